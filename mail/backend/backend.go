// Package backend is the boundary between the desktop UI and the engine:
// the interface the UI calls and the plain domain types that cross it. It
// imports no network, storage or UI package, so the UI can depend on it
// without depending on how mail is fetched or stored.
package backend

import "time"

// Verification levels of a key as the user sees them.
const (
	VerificationOwn        = "own"
	VerificationVerified   = "verified"
	VerificationUnverified = "unverified"
)

// Backend is everything the UI asks of the engine. Calls may block (key
// derivation, disk, network): the UI makes them off its own goroutine.
type Backend interface {
	// ProfileDir is the folder of the profile.
	ProfileDir() string
	// ProfileExists reports whether the profile has been created.
	ProfileExists() bool
	// CreateProfile creates the profile with passphrase and unlocks it.
	CreateProfile(passphrase []byte) error
	// Unlock opens the profile with passphrase.
	Unlock(passphrase []byte) error
	// Lock closes the profile and drops decrypted state.
	Lock() error
	// ListKeys lists own keys, then contacts' keys.
	ListKeys() ([]KeyInfo, error)
}

// KeyInfo describes one key in the profile, own or a contact's.
type KeyInfo struct {
	Fingerprint  string
	UserIDs      []string
	Emails       []string
	Own          bool
	Default      bool
	Verification string
	Source       string
	Algorithm    string
	CreatedAt    time.Time
	ExpiresAt    time.Time
	Revoked      bool
	// Usable is empty when the key can be used now, else why not
	// ("expired", "revoked").
	Usable string
	// History lists what happened to a contact's key, oldest first.
	History []KeyEvent
}

// KeyEvent is one entry in a key's history.
type KeyEvent struct {
	At     time.Time
	Event  string
	Detail string
}

// GroupFingerprint writes a fingerprint in groups of four for people to
// compare.
func GroupFingerprint(fpr string) string {
	var out []byte
	for i := 0; i < len(fpr); i += 4 {
		if i > 0 {
			out = append(out, ' ')
		}
		out = append(out, fpr[i:min(i+4, len(fpr))]...)
	}
	return string(out)
}
