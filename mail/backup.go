package mail

import (
	"context"
	"errors"
	"fmt"

	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail/backend"
)

// Audit entry kinds of backups.
const (
	AuditProfileBackedUp = "profile.backed_up"
	AuditProfileRestored = "profile.restored"
)

// ErrUnlockedDuringRestore means a restore was asked of an engine whose
// profile is unlocked: it must be locked first, so nothing uses the file
// that is replaced.
var ErrUnlockedDuringRestore = errors.New("the profile is unlocked: lock it before restoring a backup")

// Backup writes a sealed copy of the profile, as it is now, to the new
// file dest (see localstore.Store.Backup), and records it in the audit
// trail. The copy opens with the profile's current passphrase. When only
// the audit entry fails, the backup stands and the error is
// backend.ErrBackupNotAudited (a warning).
func (p *Profile) Backup(dest string) error {
	if err := p.store.Backup(dest); err != nil {
		return err
	}
	if err := writeAudit(p.store, AuditProfileBackedUp, "", "sealed copy of the profile written"); err != nil {
		return fmt.Errorf("%w: %w", backend.ErrBackupNotAudited, err)
	}
	return nil
}

// RestoreProfile replaces the profile in dir with the backup at src, which
// passphrase must unlock, and keeps the replaced profile beside it (see
// localstore.Restore and localstore.Restored); an existing profile is
// replaced only with replace set. The backup is unlocked once, and the
// restore is recorded in its audit trail before it takes the profile's
// place. An error means the profile is as it was; what failed after the
// replacement is the result's Warning.
func RestoreProfile(dir, src string, passphrase []byte, replace bool, opts *ProfileOptions) (localstore.Restored, error) {
	return localstore.Restore(dir, src, passphrase, replace, opts.storeOptions(), func(s *localstore.Store, kept string) error {
		detail := "profile restored from a backup"
		if kept != "" {
			detail += "; the profile it replaced is kept as " + kept
		}
		return writeAudit(s, AuditProfileRestored, "", detail)
	})
}

// BackupProfile writes a sealed copy of the unlocked profile to the new
// file dest (see Profile.Backup).
func (e *Engine) BackupProfile(ctx context.Context, dest string) error {
	return e.with(ctx, func(p *Profile) error { return p.Backup(dest) })
}

// RestoreProfile replaces the engine's profile with the backup at src,
// which passphrase unlocks (see RestoreProfile); the engine must be locked
// and stays so.
func (e *Engine) RestoreProfile(ctx context.Context, src string, passphrase []byte, replace bool) (localstore.Restored, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return localstore.Restored{}, err
	}
	if e.profile != nil {
		return localstore.Restored{}, ErrUnlockedDuringRestore
	}
	res, err := RestoreProfile(e.dir, src, passphrase, replace, e.opts)
	return res, reportDamage(err)
}

// profileDamaged is a localstore.ErrDamaged as the engine reports it: also
// backend.ErrProfileDamaged, which the UI knows.
type profileDamaged struct{ err error }

func (e profileDamaged) Error() string   { return e.err.Error() }
func (e profileDamaged) Unwrap() []error { return []error{backend.ErrProfileDamaged, e.err} }

// reportDamage marks err as backend.ErrProfileDamaged when the store found
// its file damaged, and returns other errors as they are.
func reportDamage(err error) error {
	if errors.Is(err, localstore.ErrDamaged) && !errors.Is(err, backend.ErrProfileDamaged) {
		return profileDamaged{err}
	}
	return err
}

// The app backs the profile up through the engine.
var _ backend.ProfileBackup = (*Engine)(nil)
