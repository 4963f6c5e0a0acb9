package mail

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail/backend"
)

// TestEngineBackupAndRestore backs up through the engine, refuses to
// restore while unlocked, restores once locked, and reports a damaged
// profile as backend.ErrProfileDamaged.
func TestEngineBackupAndRestore(t *testing.T) {
	ctx := context.Background()
	pass := []byte("test passphrase 123")
	dir := filepath.Join(t.TempDir(), "p")
	e := NewEngine(dir, &ProfileOptions{Store: &localstore.Options{KDF: &cheapKDF}})
	if err := e.CreateProfile(ctx, pass); err != nil {
		t.Fatal(err)
	}
	backup := filepath.Join(t.TempDir(), "backup")
	if err := e.BackupProfile(ctx, backup); err != nil {
		t.Fatalf("BackupProfile: %v", err)
	}
	if err := e.BackupProfile(ctx, backup); !errors.Is(err, localstore.ErrBackupExists) {
		t.Errorf("BackupProfile over an existing file: %v, want %v", err, localstore.ErrBackupExists)
	}
	if err := e.RestoreProfile(ctx, backup, pass, true); !errors.Is(err, ErrUnlockedDuringRestore) {
		t.Errorf("RestoreProfile while unlocked: %v, want %v", err, ErrUnlockedDuringRestore)
	}
	if err := e.Lock(); err != nil {
		t.Fatal(err)
	}
	if err := e.BackupProfile(ctx, filepath.Join(t.TempDir(), "b2")); !errors.Is(err, ErrProfileLocked) {
		t.Errorf("BackupProfile while locked: %v, want %v", err, ErrProfileLocked)
	}
	if err := e.RestoreProfile(ctx, backup, pass, false); !errors.Is(err, localstore.ErrProfileExists) {
		t.Errorf("RestoreProfile without replace: %v, want %v", err, localstore.ErrProfileExists)
	}
	// Damage the profile: the engine says so in the app's terms.
	if err := os.Truncate(filepath.Join(dir, localstore.DBFileName), 20<<10); err != nil {
		t.Fatal(err)
	}
	if err := e.Unlock(ctx, pass); !errors.Is(err, backend.ErrProfileDamaged) || !errors.Is(err, localstore.ErrDamaged) {
		t.Errorf("Unlock of a damaged profile: %v, want %v", err, backend.ErrProfileDamaged)
	}
	if err := e.RestoreProfile(ctx, backup, pass, true); err != nil {
		t.Fatalf("RestoreProfile: %v", err)
	}
	if err := e.Unlock(ctx, pass); err != nil {
		t.Fatalf("Unlock after restore: %v", err)
	}
	defer e.Lock()
	trail, err := e.AuditTrail(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(trail.Entries); n == 0 || trail.Entries[0].Kind != AuditProfileRestored {
		t.Errorf("newest audit entry after restore = %+v, want %s", trail.Entries, AuditProfileRestored)
	}
}
