package localstore

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// summariesOf returns the subjects of a filled profile's INBOX, newest first.
func summariesOf(t testing.TB, s *Store) []string {
	t.Helper()
	sums, err := s.Messages().Newest(damageAcct, "INBOX", 0)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(sums))
	for i, m := range sums {
		out[i] = m.Subject
	}
	return out
}

// TestBackupRestoreRoundTrip backs up a filled profile, changes the
// profile, restores the backup over it and expects the backed-up messages
// back, and the backup's passphrase to be the one that unlocks.
func TestBackupRestoreRoundTrip(t *testing.T) {
	dir, _ := filledProfile(t)
	s, err := Open(dir, testPass, testOpts())
	if err != nil {
		t.Fatal(err)
	}
	want := summariesOf(t, s)
	backup := filepath.Join(t.TempDir(), "profile.backup")
	if err := s.Backup(backup); err != nil {
		t.Fatalf("Backup: %v", err)
	}
	if fi, err := os.Stat(backup); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v, %v; want mode 0600", fi, err)
	}
	if entries, _ := os.ReadDir(filepath.Dir(backup)); len(entries) != 1 {
		t.Errorf("backup folder holds %d files, want only the backup", len(entries))
	}
	wantErr(t, "Backup over an existing file", s.Backup(backup), ErrBackupExists)
	// Change the profile after the backup.
	if err := s.Messages().DeleteSummaries(damageAcct, "INBOX", 1, 2, 3); err != nil {
		t.Fatal(err)
	}
	_, err = Restore(dir, backup, testPass, true, &Options{LockTimeout: 50e6}, nil)
	wantErr(t, "Restore while the profile is open", err, ErrLocked)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = Restore(dir, backup, testPass, false, testOpts(), nil)
	wantErr(t, "Restore over a profile without replace", err, ErrProfileExists)
	_, err = Restore(dir, backup, []byte("not the passphrase"), true, testOpts(), nil)
	wantErr(t, "Restore with a wrong passphrase", err, ErrWrongPassphrase)
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("profile folder holds %d files after refused restores, want only %s", len(entries), DBFileName)
	}
	res, err := Restore(dir, backup, testPass, true, testOpts(), nil)
	if err != nil || res.Warning != nil {
		t.Fatalf("Restore: %+v, %v", res, err)
	}
	s2, err := Open(dir, testPass, testOpts())
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if got := summariesOf(t, s2); !slices.Equal(got, want) {
		t.Errorf("restored INBOX has %d messages, want the %d backed up", len(got), len(want))
	}
	if err := s2.Verify(); err != nil {
		t.Errorf("Verify of the restored profile: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("profile folder holds %d files after a restore, want %s and the replaced profile", len(entries), DBFileName)
	}
	// Restoring into a new folder needs no replace, and keeps nothing.
	fresh := filepath.Join(t.TempDir(), "new")
	if res, err := Restore(fresh, backup, testPass, false, testOpts(), nil); err != nil || res.Kept != "" {
		t.Fatalf("Restore into a new folder: %+v, %v; want no kept file", res, err)
	}
}

// TestRestoreRefusesADamagedBackup damages backups in several ways and
// expects Restore to refuse each, leaving the profile as it was.
func TestRestoreRefusesADamagedBackup(t *testing.T) {
	dir, good := filledProfile(t)
	m := currentMeta(bytes.NewReader(good))
	ps, used := int(m.pageSize), int(m.pages)*int(m.pageSize)
	before := fileSum(t, dir)
	tests := []struct {
		name   string
		data   []byte
		detail string // in the error's text
	}{
		{"empty", nil, "empty"},
		{"cut to half", good[:used/2], "pages"},
		{"page headers overwritten", func() []byte {
			d := bytes.Clone(good)
			for off := 2 * ps; off < used; off += ps {
				copy(d[off:off+16], bytes.Repeat([]byte{0xff}, 16))
			}
			return d
		}(), "freelist page"},
		{"a record altered", func() []byte {
			// A record that Open does not read: only Verify finds it.
			cp := filepath.Join(t.TempDir(), "p")
			if err := os.MkdirAll(cp, 0o700); err != nil {
				t.Fatal(err)
			}
			writeProfile(t, cp, good)
			rawUpdate(t, cp, func(tx *bolt.Tx) error {
				b := tx.Bucket(bktMessages)
				for {
					k, v := b.Cursor().Last()
					if v != nil {
						v = bytes.Clone(v)
						v[len(v)-1] ^= 0x55
						return b.Put(bytes.Clone(k), v)
					}
					b = b.Bucket(k)
				}
			})
			d, err := os.ReadFile(dbPath(cp))
			if err != nil {
				t.Fatal(err)
			}
			return d
		}(), ErrTampered.Error()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			backup := filepath.Join(t.TempDir(), "bad.backup")
			if err := os.WriteFile(backup, tt.data, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Restore(dir, backup, testPass, true, testOpts(), nil)
			wantErr(t, "Restore of a damaged backup", err, ErrBackupDamaged)
			if !strings.Contains(err.Error(), tt.detail) {
				t.Errorf("Restore of a damaged backup = %v, want it to say %q", err, tt.detail)
			}
			if errors.Is(err, ErrDamaged) {
				t.Errorf("Restore of a damaged backup = %v, which says the profile is damaged", err)
			}
			if after := fileSum(t, dir); after != before {
				t.Error("the profile changed")
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 1 {
				t.Errorf("profile folder holds %d files, want only %s", len(entries), DBFileName)
			}
		})
	}
}

// TestBackupWhileWriting backs a profile up again and again while another
// goroutine keeps writing to it, as a sync in the running app does: every
// backup succeeds, the writes too, and the store is never taken for
// damaged.
func TestBackupWhileWriting(t *testing.T) {
	s := newTestStore(t)
	if err := s.Accounts().Put(Account{Email: damageAcct}); err != nil {
		t.Fatal(err)
	}
	const n = 300
	sums := make([]Summary, 0, n)
	for uid := uint32(1); uid <= n; uid++ {
		sums = append(sums, Summary{UID: uid, Subject: fmt.Sprint("subject ", uid)})
	}
	if err := s.Messages().PutSummaries(damageAcct, "INBOX", sums); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	writeErr := make(chan error, 1)
	go func() {
		for i := uint32(0); ; i++ {
			select {
			case <-stop:
				writeErr <- nil
				return
			default:
			}
			if err := s.Messages().PutSummaries(damageAcct, "INBOX", []Summary{{UID: 1 + i%n, Subject: fmt.Sprint("changed ", i)}}); err != nil {
				writeErr <- err
				return
			}
		}
	}()
	dir := t.TempDir()
	for i := range 40 {
		if err := s.Backup(filepath.Join(dir, fmt.Sprintf("b%d", i))); err != nil {
			close(stop)
			<-writeErr
			t.Fatalf("backup %d of a healthy profile being written: %v", i, err)
		}
	}
	close(stop)
	if err := <-writeErr; err != nil {
		t.Fatalf("a write during the backups: %v", err)
	}
	if err := s.Verify(); err != nil {
		t.Errorf("Verify after the backups: %v", err)
	}
}
