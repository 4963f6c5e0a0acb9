package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail"
	"github.com/sealpost/sealpost/mail/backend"
	"github.com/sealpost/sealpost/mail/mailtest"
)

// usedBytes is how much of the profile file bbolt's pages take (the file
// is longer: bbolt grows it ahead).
func usedBytes(t *testing.T, dir string) int64 {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, localstore.DBFileName), 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int64
	if err := db.View(func(tx *bolt.Tx) error { n = tx.Size(); return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestBackupRestoreThroughTheCLI backs up a profile with synced mail,
// damages the profile in several ways (each a one-line error, exit 1, never
// a crash), restores the backup and expects the same list of messages.
func TestBackupRestoreThroughTheCLI(t *testing.T) {
	srv := mailtest.Start(t)
	dir, pass := mailtestProfile(t, srv, srv.Alice)
	for i := range 3 {
		srv.Deliver(t, srv.Bob, srv.Alice, fmt.Appendf(nil, "From: %s\r\nTo: %s\r\nSubject: note %d\r\nMessage-ID: <n%d@example.org>\r\n\r\nbody %d\r\n",
			srv.Bob, srv.Alice, i, i, i))
	}
	mustSucceed(t, sealpost(t, dir, pass, "sync"))
	want := mustSucceed(t, sealpost(t, dir, pass, "list", "--json")).out
	backup := filepath.Join(t.TempDir(), "alice.sealpost-backup")
	mustSucceed(t, sealpost(t, dir, pass, "backup", "--output", backup))
	failsWith(t, sealpost(t, dir, pass, "backup", "--output", backup), 1, "exists already")
	failsWith(t, sealpost(t, dir, pass, "restore", "--from", backup), 1, "--force")
	failsWith(t, sealpost(t, dir, pass, "backup"), 2, "--output")

	good, err := os.ReadFile(filepath.Join(dir, localstore.DBFileName))
	if err != nil {
		t.Fatal(err)
	}
	used := usedBytes(t, dir)
	damages := []struct {
		name string
		data []byte
	}{
		{"cut to half of its pages", good[:used/2]},
		{"cut to 20 KiB", good[:20<<10]},
		{"pages overwritten", func() []byte {
			d := append([]byte(nil), good...)
			for off := int64(32 << 10); off < used; off += 16 << 10 {
				copy(d[off:off+16], []byte("XXXXXXXXXXXXXXXX"))
			}
			return d
		}()},
	}
	for _, d := range damages {
		t.Run(d.name, func(t *testing.T) {
			if err := os.WriteFile(filepath.Join(dir, localstore.DBFileName), d.data, 0o600); err != nil {
				t.Fatal(err)
			}
			failsWith(t, sealpost(t, dir, pass, "list"), 1, "sealpost list: the profile file is damaged; restore it from a backup")
		})
	}

	// A damaged backup is refused and the (damaged) profile left alone.
	badBackup := filepath.Join(t.TempDir(), "bad-backup")
	if err := os.WriteFile(badBackup, good[:used/2], 0o600); err != nil {
		t.Fatal(err)
	}
	failsWith(t, sealpost(t, dir, pass, "restore", "--from", badBackup, "--force"), 1, "the backup is damaged")

	damaged, err := os.ReadFile(filepath.Join(dir, localstore.DBFileName))
	if err != nil {
		t.Fatal(err)
	}
	r := mustSucceed(t, sealpost(t, dir, pass, "restore", "--from", backup, "--force"))
	keptDamaged := keptFile(t, r.out)
	if got, err := os.ReadFile(keptDamaged); err != nil || string(got) != string(damaged) {
		t.Errorf("the replaced (damaged) profile was not kept as it was in %s: %v", keptDamaged, err)
	}
	if got := mustSucceed(t, sealpost(t, dir, pass, "list", "--json")).out; got != want {
		t.Errorf("list after restore:\n%s\nwant the list before the backup:\n%s", got, want)
	}
	// The backup holds the trail as it was before the backup was recorded.
	if r := mustSucceed(t, sealpost(t, dir, pass, "audit", "list")); strings.Contains(r.out, "profile.backed_up") || !strings.Contains(r.out, "profile.restored") {
		t.Errorf("audit list = %q, want the restore and not the backup", r.out)
	}
}

// TestEmptyProfileFileSaysInterruptedInit gives every command the empty
// file an interrupted init leaves and expects the same one-line message.
func TestEmptyProfileFileSaysInterruptedInit(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "profile")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, localstore.DBFileName), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	pass := writeFile(t, "pass", testPassphrase+"\n")
	for _, args := range [][]string{{"list"}, {"init"}, {"keys", "list"}, {"backup", "--output", filepath.Join(t.TempDir(), "b")}} {
		failsWith(t, sealpost(t, dir, pass, args...), 1, localstore.ErrInterruptedInit.Error())
	}
}

// keptFile returns the file restore's output names as holding the
// replaced profile.
func keptFile(t *testing.T, out string) string {
	t.Helper()
	_, rest, ok := strings.Cut(out, "kept, sealed as it was, in ")
	kept, _, ok2 := strings.Cut(rest, "; delete that file")
	if !ok || !ok2 {
		t.Fatalf("restore printed %q, want where the replaced profile is kept", out)
	}
	return kept
}

// TestRestoreKeepsTheReplacedProfileAndIgnoresStallTimeout restores over a
// profile and expects the replaced one kept where restore says; restore
// talks to no server, so a --stall-timeout it cannot use is no mistake.
func TestRestoreKeepsTheReplacedProfileAndIgnoresStallTimeout(t *testing.T) {
	dir, pass := newProfile(t)
	backup := filepath.Join(t.TempDir(), "b")
	mustSucceed(t, sealpost(t, dir, pass, "backup", "--output", backup))
	before, err := os.ReadFile(filepath.Join(dir, localstore.DBFileName))
	if err != nil {
		t.Fatal(err)
	}
	r := mustSucceed(t, sealpost(t, dir, pass, "--stall-timeout", "-1s", "restore", "--from", backup, "--force"))
	if r.err != "" {
		t.Errorf("restore wrote %q on stderr, want nothing", r.err)
	}
	kept := keptFile(t, r.out)
	if filepath.Dir(kept) != dir {
		t.Errorf("restore kept the replaced profile in %s, want it in the profile folder %s", kept, dir)
	}
	if got, err := os.ReadFile(kept); err != nil || string(got) != string(before) {
		t.Errorf("%s does not hold the replaced profile as it was: %v", kept, err)
	}
}

// TestRestoreRefusesWhileTheProfileIsOpen unlocks the profile in an
// engine, as the app does, and expects restore to refuse and change
// nothing.
func TestRestoreRefusesWhileTheProfileIsOpen(t *testing.T) {
	dir, pass := newProfile(t)
	backup := filepath.Join(t.TempDir(), "b")
	mustSucceed(t, sealpost(t, dir, pass, "backup", "--output", backup))
	e := mail.NewEngine(dir, nil)
	if err := e.Unlock(context.Background(), []byte(testPassphrase)); err != nil {
		t.Fatal(err)
	}
	defer e.Lock()
	failsWith(t, sealpost(t, dir, pass, "restore", "--from", backup, "--force"), 1, localstore.ErrLocked.Error())
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("profile folder holds %d files, want only %s", len(entries), localstore.DBFileName)
	}
}

// TestBackupWarnsWhenTheAuditFails backs up a profile whose audit trail
// cannot grow: the backup is written, so the command succeeds, with the
// audit failure as a warning on stderr.
func TestBackupWarnsWhenTheAuditFails(t *testing.T) {
	dir, pass := newProfile(t)
	mustSucceed(t, sealpost(t, dir, pass, "backup", "--output", filepath.Join(t.TempDir(), "first")))
	db, err := bolt.Open(filepath.Join(dir, localstore.DBFileName), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte("meta")).Delete([]byte("audithead")) })
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	backup := filepath.Join(t.TempDir(), "second")
	r := mustSucceed(t, sealpost(t, dir, pass, "backup", "--output", backup))
	if !strings.Contains(r.out, "Backed up the profile to "+backup) {
		t.Errorf("backup printed %q, want it to say where the backup is", r.out)
	}
	if !strings.HasPrefix(r.err, "warning: "+backend.ErrBackupNotAudited.Error()) || strings.Count(r.err, "\n") != 1 {
		t.Errorf("backup warned %q, want one line saying the audit entry failed", r.err)
	}
	if _, err := os.Stat(backup); err != nil {
		t.Errorf("the backup: %v", err)
	}
}
