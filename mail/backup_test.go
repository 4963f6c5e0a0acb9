package mail

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

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
	if _, err := e.RestoreProfile(ctx, backup, pass, true); !errors.Is(err, ErrUnlockedDuringRestore) {
		t.Errorf("RestoreProfile while unlocked: %v, want %v", err, ErrUnlockedDuringRestore)
	}
	if err := e.Lock(); err != nil {
		t.Fatal(err)
	}
	if err := e.BackupProfile(ctx, filepath.Join(t.TempDir(), "b2")); !errors.Is(err, ErrProfileLocked) {
		t.Errorf("BackupProfile while locked: %v, want %v", err, ErrProfileLocked)
	}
	if _, err := e.RestoreProfile(ctx, backup, pass, false); !errors.Is(err, localstore.ErrProfileExists) {
		t.Errorf("RestoreProfile without replace: %v, want %v", err, localstore.ErrProfileExists)
	}
	// Damage the profile: the engine says so in the app's terms.
	if err := os.Truncate(filepath.Join(dir, localstore.DBFileName), 20<<10); err != nil {
		t.Fatal(err)
	}
	if err := e.Unlock(ctx, pass); !errors.Is(err, backend.ErrProfileDamaged) || !errors.Is(err, localstore.ErrDamaged) {
		t.Errorf("Unlock of a damaged profile: %v, want %v", err, backend.ErrProfileDamaged)
	}
	res, err := e.RestoreProfile(ctx, backup, pass, true)
	if err != nil || res.Warning != nil || res.Kept == "" {
		t.Fatalf("RestoreProfile: %+v, %v; want the damaged profile kept", res, err)
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
		t.Fatalf("newest audit entry after restore = %+v, want %s", trail.Entries, AuditProfileRestored)
	}
	if d := trail.Entries[0].Detail; !strings.HasSuffix(d, "kept as "+filepath.Base(res.Kept)) {
		t.Errorf("the restore's audit entry says %q, want it to name the kept file %s", d, filepath.Base(res.Kept))
	}
}

// backupPass is the passphrase of the profiles these tests back up.
const backupPass = "test passphrase 123"

// withoutAuditHead deletes the audit trail's head from the closed profile
// in dir, so that no audit entry can be added (the trail refuses to grow
// from a head it cannot find) while every record still opens.
func withoutAuditHead(t *testing.T, dir string) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, localstore.DBFileName), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte("meta")).Delete([]byte("audithead")) }); err != nil {
		t.Fatal(err)
	}
}

// newBackedUpEngine makes a locked engine on a profile whose KDF is kdf,
// with an audit entry, and a backup of it.
func newBackedUpEngine(t *testing.T, kdf localstore.KDFParams) (e *Engine, backup string) {
	t.Helper()
	ctx := context.Background()
	e = NewEngine(filepath.Join(t.TempDir(), "p"), &ProfileOptions{Store: &localstore.Options{KDF: &kdf}})
	if err := e.CreateProfile(ctx, []byte(backupPass)); err != nil {
		t.Fatal(err)
	}
	backup = filepath.Join(t.TempDir(), "backup")
	if err := e.BackupProfile(ctx, backup); err != nil {
		t.Fatal(err)
	}
	if err := e.Lock(); err != nil {
		t.Fatal(err)
	}
	return e, backup
}

// TestBackupStandsWhenTheAuditFails backs up a profile whose audit trail
// cannot grow and expects the backup written and the audit failure
// reported as backend.ErrBackupNotAudited, a warning.
func TestBackupStandsWhenTheAuditFails(t *testing.T) {
	ctx := context.Background()
	e, _ := newBackedUpEngine(t, cheapKDF)
	withoutAuditHead(t, e.ProfileDir())
	if err := e.Unlock(ctx, []byte(backupPass)); err != nil {
		t.Fatal(err)
	}
	defer e.Lock()
	backup := filepath.Join(t.TempDir(), "second")
	err := e.BackupProfile(ctx, backup)
	if !errors.Is(err, backend.ErrBackupNotAudited) {
		t.Fatalf("BackupProfile with an audit trail that cannot grow: %v, want %v", err, backend.ErrBackupNotAudited)
	}
	if _, err := os.Stat(backup); err != nil {
		t.Errorf("the backup: %v", err)
	}
}

// TestRestoreStandsWhenTheAuditFails restores a backup whose audit trail
// cannot grow and expects the restore done, and the audit failure reported
// as a warning rather than as a failed restore.
func TestRestoreStandsWhenTheAuditFails(t *testing.T) {
	e, _ := newBackedUpEngine(t, cheapKDF)
	withoutAuditHead(t, e.ProfileDir())
	// A backup is a copy of the profile file.
	data, err := os.ReadFile(filepath.Join(e.ProfileDir(), localstore.DBFileName))
	if err != nil {
		t.Fatal(err)
	}
	backup := filepath.Join(t.TempDir(), "headless")
	if err := os.WriteFile(backup, data, 0o600); err != nil {
		t.Fatal(err)
	}
	res, err := e.RestoreProfile(context.Background(), backup, []byte(backupPass), true)
	if err != nil {
		t.Fatalf("RestoreProfile of a backup whose audit trail cannot grow: %v, want it restored", err)
	}
	if res.Warning == nil || res.Kept == "" {
		t.Errorf("RestoreProfile = %+v, want a warning and the replaced profile kept", res)
	}
}

// TestRestoreDerivesTheKeyOnce restores a backup whose passphrase takes
// 64 MiB of Argon2id and expects the restore to allocate that memory
// once: the backup is unlocked once, also to record the restore.
func TestRestoreDerivesTheKeyOnce(t *testing.T) {
	const kdfMiB = 64
	e, backup := newBackedUpEngine(t, localstore.KDFParams{Time: 1, MemoryKiB: kdfMiB << 10, Threads: 1})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	res, err := e.RestoreProfile(context.Background(), backup, []byte(backupPass), true)
	runtime.ReadMemStats(&after)
	if err != nil || res.Warning != nil {
		t.Fatalf("RestoreProfile: %+v, %v", res, err)
	}
	if mib := (after.TotalAlloc - before.TotalAlloc) >> 20; mib >= kdfMiB*3/2 {
		t.Errorf("RestoreProfile allocated %d MiB, want one key derivation's %d MiB and little more", mib, kdfMiB)
	}
}
