package localstore

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// auditKinds returns the kinds of the audit entries of the closed profile
// in dir, oldest first.
func auditKinds(t *testing.T, dir string) []string {
	t.Helper()
	s, err := Open(dir, testPass, testOpts())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	return kindsIn(t, s)
}

// kindsIn returns the kinds of s's audit entries, oldest first.
func kindsIn(t *testing.T, s *Store) []string {
	t.Helper()
	entries, err := s.AuditEntries()
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range entries {
		kinds = append(kinds, e.Kind)
	}
	return kinds
}

// backedUp makes a closed profile with the audit entry "in.backup", backs
// it up, then adds "after.backup" to the profile. It returns the profile
// folder and the backup.
func backedUp(t *testing.T) (dir, backup string) {
	t.Helper()
	s, err := Create(filepath.Join(t.TempDir(), "profile"), testPass, testOpts())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.AppendAudit("in.backup", "", ""); err != nil {
		t.Fatal(err)
	}
	backup = filepath.Join(t.TempDir(), "profile.backup")
	if err := s.Backup(backup); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AppendAudit("after.backup", "", ""); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return s.Dir(), backup
}

// TestRestoreKeepsTheReplacedProfile restores over a profile twice and
// expects each replaced profile kept beside the restored one, byte for
// byte as it was, under a name of its own.
func TestRestoreKeepsTheReplacedProfile(t *testing.T) {
	dir, backup := backedUp(t)
	var kept []string
	for range 2 {
		before, err := os.ReadFile(dbPath(dir))
		if err != nil {
			t.Fatal(err)
		}
		res, err := Restore(dir, backup, testPass, true, testOpts(), nil)
		if err != nil || res.Warning != nil {
			t.Fatalf("Restore: %+v, %v", res, err)
		}
		if filepath.Dir(res.Kept) != dir || !strings.HasPrefix(filepath.Base(res.Kept), DBFileName+keptSuffix) {
			t.Fatalf("Restore kept the replaced profile as %q, want %s%s… in %s", res.Kept, DBFileName, keptSuffix, dir)
		}
		got, err := os.ReadFile(res.Kept)
		if err != nil {
			t.Fatalf("the replaced profile: %v", err)
		}
		if string(got) != string(before) {
			t.Errorf("%s differs from the profile it replaced", res.Kept)
		}
		if fi, err := os.Stat(res.Kept); err != nil || fi.Mode().Perm() != fileMode {
			t.Errorf("kept file: %v, %v; want mode %v", fi, err, fileMode)
		}
		kept = append(kept, res.Kept)
	}
	if kept[0] == kept[1] {
		t.Errorf("both restores kept the replaced profile as %s", kept[0])
	}
	if got := auditKinds(t, dir); strings.Join(got, " ") != "in.backup" {
		t.Errorf("restored audit trail = %v, want the backup's", got)
	}
	// The first kept file is the profile as it was before any restore.
	old := filepath.Join(t.TempDir(), "old")
	if err := os.MkdirAll(old, dirMode); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(kept[0], dbPath(old)); err != nil {
		t.Fatal(err)
	}
	if got := auditKinds(t, old); strings.Join(got, " ") != "in.backup after.backup" {
		t.Errorf("kept profile's audit trail = %v, want the replaced profile's", got)
	}
}

// TestRestoreRecordsThroughStampOnTheCopy expects stamp to run on the
// checked copy before it takes the profile's place, and a stamp that
// fails to leave the restore standing, with a warning.
func TestRestoreRecordsThroughStampOnTheCopy(t *testing.T) {
	dir, backup := backedUp(t)
	var planned string
	stamp := func(s *Store, kept string) error {
		planned = kept
		if s.db.Path() == dbPath(dir) {
			return errors.New("stamp ran on the profile, not the copy")
		}
		_, err := s.AppendAudit("restored", "", "")
		return err
	}
	res, err := Restore(dir, backup, testPass, true, testOpts(), stamp)
	if err != nil || res.Warning != nil {
		t.Fatalf("Restore: %+v, %v", res, err)
	}
	if planned == "" || planned != filepath.Base(res.Kept) {
		t.Errorf("stamp was told the replaced profile is kept as %q, but it is %q", planned, res.Kept)
	}
	if got := auditKinds(t, dir); strings.Join(got, " ") != "in.backup restored" {
		t.Errorf("restored audit trail = %v, want the backup's and the restore", got)
	}
	failing := errors.New("no audit today")
	res, err = Restore(dir, backup, testPass, true, testOpts(), func(*Store, string) error { return failing })
	if err != nil || !errors.Is(res.Warning, failing) || res.Kept == "" {
		t.Fatalf("Restore with a failing stamp: %+v, %v; want it restored, with the failure as a warning", res, err)
	}
	if got := auditKinds(t, dir); strings.Join(got, " ") != "in.backup" {
		t.Errorf("restored audit trail = %v, want the backup's", got)
	}
}

// TestRestoreRefusesAProfileOpenElsewhere opens the profile in a second
// Store, damages the file under it (so that bbolt could no longer open
// it), and expects Restore to refuse all the same and change nothing.
func TestRestoreRefusesAProfileOpenElsewhere(t *testing.T) {
	dir, backup := backedUp(t)
	s, err := Open(dir, testPass, testOpts())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	f, err := os.OpenFile(dbPath(dir), os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(make([]byte, 2*pageSize), 0); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	before := fileSum(t, dir)
	_, err = Restore(dir, backup, testPass, true, &Options{LockTimeout: 50 * time.Millisecond}, nil)
	wantErr(t, "Restore of a profile that is open, and damaged", err, ErrLocked)
	if fileSum(t, dir) != before {
		t.Error("the profile changed")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("profile folder holds %d files, want only %s", len(entries), DBFileName)
	}
}

// TestRestoreNeverReplacesAProfileThatAppeared restores into an empty
// folder in which another process creates a profile while the backup is
// checked, and expects that profile left alone.
func TestRestoreNeverReplacesAProfileThatAppeared(t *testing.T) {
	_, backup := backedUp(t)
	dir := filepath.Join(t.TempDir(), "new")
	var sum [32]byte
	appear := func(*Store, string) error {
		s, err := Create(dir, testPass, testOpts())
		if err != nil {
			return err
		}
		if err := s.Close(); err != nil {
			return err
		}
		sum = fileSum(t, dir)
		return nil
	}
	_, err := Restore(dir, backup, testPass, true, testOpts(), appear)
	wantErr(t, "Restore where a profile appeared", err, ErrProfileExists)
	if fileSum(t, dir) != sum {
		t.Error("the profile that appeared was replaced")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("profile folder holds %d files, want only %s", len(entries), DBFileName)
	}
}

// openForWriting counts the files this process has open for reading and
// writing at path (Linux only: it reads /proc/self/fd).
func openForWriting(t *testing.T, path string) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	n := 0
	for _, fd := range fds {
		if target, err := os.Readlink("/proc/self/fd/" + fd.Name()); err != nil || target != path {
			continue
		}
		info, err := os.ReadFile("/proc/self/fdinfo/" + fd.Name())
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(info), "\n") {
			if v, ok := strings.CutPrefix(line, "flags:"); ok {
				flags, err := strconv.ParseUint(strings.TrimSpace(v), 8, 32)
				if err == nil && flags&uint64(os.O_RDWR|os.O_WRONLY) == uint64(os.O_RDWR) {
					n++
				}
			}
		}
	}
	return n
}

// TestOpenWaitingForARestoreGetsTheRestoredProfile starts an Open while
// Restore holds the profile's lock, lets Restore finish once that Open
// has the file open and waits for the lock, and expects the Open to get
// the restored profile, not the replaced one it first opened.
func TestOpenWaitingForARestoreGetsTheRestoredProfile(t *testing.T) {
	dir, backup := backedUp(t)
	type opened struct {
		kinds []string
		err   error
	}
	got := make(chan opened, 1)
	wait := func(*Store, string) error {
		go func() {
			s, err := Open(dir, testPass, &Options{LockTimeout: time.Minute})
			if err != nil {
				got <- opened{err: err}
				return
			}
			entries, err := s.AuditEntries()
			var kinds []string
			for _, e := range entries {
				kinds = append(kinds, e.Kind)
			}
			got <- opened{kinds, errors.Join(err, s.Close())}
		}()
		// Restore's lock and the waiting Open's bbolt file.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		for openForWriting(t, dbPath(dir)) < 2 {
			select {
			case <-ctx.Done():
				return fmt.Errorf("the Open did not open the profile file: %w", ctx.Err())
			case <-time.After(time.Millisecond):
			}
		}
		return nil
	}
	if res, err := Restore(dir, backup, testPass, true, testOpts(), wait); err != nil || res.Warning != nil {
		t.Fatalf("Restore: %+v, %v", res, err)
	}
	select {
	case o := <-got:
		if o.err != nil {
			t.Fatalf("Open: %v", o.err)
		}
		if strings.Join(o.kinds, " ") != "in.backup" {
			t.Errorf("Open waiting for a restore got the audit trail %v, want the restored profile's", o.kinds)
		}
	case <-time.After(time.Minute):
		t.Fatal("Open did not return")
	}
}

// TestRestoreWithFilesClosedFirst restores as on Windows, where every file
// of the profile is closed before the renames, and expects the same
// outcome.
func TestRestoreWithFilesClosedFirst(t *testing.T) {
	defer func(v bool) { closeBeforeRename = v }(closeBeforeRename)
	closeBeforeRename = true
	dir, backup := backedUp(t)
	before := fileSum(t, dir)
	res, err := Restore(dir, backup, testPass, true, testOpts(), nil)
	if err != nil || res.Warning != nil || res.Kept == "" {
		t.Fatalf("Restore: %+v, %v", res, err)
	}
	if got := auditKinds(t, dir); strings.Join(got, " ") != "in.backup" {
		t.Errorf("restored audit trail = %v, want the backup's", got)
	}
	if b, err := os.ReadFile(res.Kept); err != nil || sha256.Sum256(b) != before {
		t.Errorf("kept profile: %v, or it differs from the replaced one", err)
	}
	// The empty file of an interrupted Create is replaced, not kept.
	if err := os.WriteFile(dbPath(dir), nil, fileMode); err != nil {
		t.Fatal(err)
	}
	if res, err := Restore(dir, backup, testPass, false, testOpts(), nil); err != nil || res.Kept != "" {
		t.Fatalf("Restore over an interrupted Create: %+v, %v; want it restored, nothing kept", res, err)
	}
}

// TestUpdateRollsBackOnAPanic panics inside a write transaction, as a bug
// of Sealpost's own would, and expects the panic to go on and the store
// to stay usable: the transaction rolled back, bbolt's writer lock free.
func TestUpdateRollsBackOnAPanic(t *testing.T) {
	// Not closed at cleanup: closing would wait forever for a writer lock
	// left held.
	s, err := Create(filepath.Join(t.TempDir(), "profile"), testPass, testOpts())
	if err != nil {
		t.Fatal(err)
	}
	func() {
		defer func() {
			if r := recover(); r != "a bug" {
				t.Errorf("recovered %v, want the panic of fn", r)
			}
		}()
		_ = s.update(func(tx *bolt.Tx) error {
			if err := tx.Bucket(bktAudit).Put([]byte("x"), []byte("y")); err != nil {
				return err
			}
			panic("a bug")
		})
	}()
	done := make(chan error, 1)
	go func() {
		_, err := s.AppendAudit("after.panic", "", "")
		done <- errors.Join(err, s.Close())
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("a write after a panic in a write transaction did not end")
	}
	if got := auditKinds(t, s.Dir()); strings.Join(got, " ") != "after.panic" {
		t.Errorf("audit trail = %v, want only the entry written after the panic", got)
	}
}
