package mail

import (
	"context"
	"errors"

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
// trail. The copy opens with the profile's current passphrase.
func (p *Profile) Backup(dest string) error {
	if err := p.store.Backup(dest); err != nil {
		return err
	}
	return writeAudit(p.store, AuditProfileBackedUp, "", "sealed copy of the profile written")
}

// RestoreProfile replaces the profile in dir with the backup at src, which
// passphrase must unlock, after checking that every record of the backup
// reads (see localstore.Restore); an existing profile is replaced only
// with replace set. The restore is recorded in the restored profile's
// audit trail.
func RestoreProfile(dir, src string, passphrase []byte, replace bool, opts *ProfileOptions) error {
	if err := localstore.Restore(dir, src, passphrase, replace, opts.storeOptions()); err != nil {
		return err
	}
	p, err := OpenProfile(dir, passphrase, opts)
	if err != nil {
		return err
	}
	err = writeAudit(p.store, AuditProfileRestored, "", "profile restored from a backup")
	if cerr := p.Close(); err == nil {
		err = cerr
	}
	return err
}

// BackupProfile writes a sealed copy of the unlocked profile to the new
// file dest.
func (e *Engine) BackupProfile(ctx context.Context, dest string) error {
	return e.with(ctx, func(p *Profile) error { return p.Backup(dest) })
}

// RestoreProfile replaces the engine's profile with the backup at src,
// which passphrase unlocks (see RestoreProfile); the engine must be locked
// and stays so.
func (e *Engine) RestoreProfile(ctx context.Context, src string, passphrase []byte, replace bool) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	if e.profile != nil {
		return ErrUnlockedDuringRestore
	}
	return reportDamage(RestoreProfile(e.dir, src, passphrase, replace, e.opts))
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
