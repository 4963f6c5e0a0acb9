package localstore

import (
	"errors"
	"fmt"
)

// Sentinel errors that callers branch on with errors.Is. Messages never carry
// mail content, addresses or folder names, so they are safe to log.
var (
	// ErrWrongPassphrase means the passphrase does not unlock the profile. The
	// profile file is left byte-for-byte unchanged.
	ErrWrongPassphrase = errors.New("wrong passphrase: the profile could not be unlocked (or its header was altered)")
	// ErrWeakPassphrase means a new passphrase does not meet the strength rule
	// checked by CheckPassphrase; the wrapped error says why.
	ErrWeakPassphrase = errors.New("passphrase too weak")
	// ErrProfileExists means Create was called on a folder that already holds a profile.
	ErrProfileExists = errors.New("a Sealpost profile already exists in this folder: open it, or choose another folder")
	// ErrNoProfile means Open was called on a folder without a profile.
	ErrNoProfile = errors.New("no Sealpost profile in this folder: create one first")
	// ErrLocked means another Sealpost process has the profile open.
	ErrLocked = errors.New("the profile is in use by another Sealpost process: close it and try again")
	// ErrNewerSchema means the profile was written by a newer Sealpost; nothing was changed.
	ErrNewerSchema = errors.New("the profile was written by a newer version of Sealpost: upgrade Sealpost to open it")
	// ErrCorrupt means the file is not a Sealpost profile or its header or a
	// record cannot be read.
	ErrCorrupt = errors.New("the profile is damaged or is not a Sealpost profile")
	// ErrDamaged means the profile file's structure is damaged (cut short,
	// or bytes altered where bbolt keeps its pages): nothing more is read or
	// written through the store that found it. The cure is a backup (see
	// Store.Backup and Restore).
	ErrDamaged = errors.New("the profile file is damaged; restore it from a backup")
	// ErrInterruptedInit means the profile file is empty, as creating a
	// profile leaves it when interrupted before anything was written.
	ErrInterruptedInit = errors.New("the profile file is empty because creating the profile was interrupted: delete the empty file " + DBFileName + " in the profile folder and create the profile again")
	// ErrKDFBounds means the profile header asks for key-derivation costs
	// outside what Sealpost writes: it was altered, and nothing was derived.
	ErrKDFBounds = fmt.Errorf("%w: its header asks for a key-derivation cost Sealpost never uses", ErrDamaged)
	// ErrSearchDamaged means a record of the search index failed
	// authentication or does not parse: a search would miss messages, so
	// none is answered.
	ErrSearchDamaged = errors.New("the search index is damaged; restore the profile from a backup")
	// ErrTampered means a sealed value failed authentication: it was altered,
	// damaged, or moved from another record.
	ErrTampered = errors.New("a stored record failed authentication: the profile was altered or damaged")
	// ErrClosed means the store was closed (locked); open it again to continue.
	ErrClosed = errors.New("the profile is locked: unlock it to continue")
	// ErrNotFound means the requested record does not exist.
	ErrNotFound = errors.New("record not found")
)
