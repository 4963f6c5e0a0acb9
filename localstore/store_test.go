package localstore

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func TestCheckPassphrase(t *testing.T) {
	tests := []struct {
		name string
		pass string
		weak bool
	}{
		{"empty", "", true},
		{"nine characters", "abcxyz123", true},
		{"ten ascii characters", "tr0ub4dor&", false},
		{"ten runes but more bytes", "äöüßéèêëïí", false},
		{"nine runes of multi-byte text", "äöüßéèêëï", true},
		{"all the same character", "aaaaaaaaaaaaaaa", true},
		{"only four different characters", "abcdabcdabcdabcd", true},
		{"ascending run", "0123456789", true},
		{"descending run", "zyxwvutsrqpon", true},
		{"invalid utf-8", "abcdefghij\xff", true},
		{"ordinary passphrase", "correct horse battery staple", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckPassphrase([]byte(tt.pass))
			if got := errors.Is(err, ErrWeakPassphrase); got != tt.weak {
				t.Fatalf("CheckPassphrase(%q) = %v, weak = %v, want %v", tt.pass, err, got, tt.weak)
			}
		})
	}
}

func TestDefaultKDFParams(t *testing.T) {
	p := DefaultKDFParams()
	if p.MemoryKiB < 64<<10 {
		t.Errorf("MemoryKiB = %d, want >= %d", p.MemoryKiB, 64<<10)
	}
	if err := p.validate(); err != nil {
		t.Errorf("validate() = %v, want nil", err)
	}
}

func TestCreateOpenModes(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "profile")
	if Exists(dir) {
		t.Fatalf("Exists before Create = true, want false")
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	s, err := Create(dir, testPass, testOpts())
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if !Exists(dir) {
		t.Errorf("Exists after Create = false, want true")
	}
	if s.Dir() != dir {
		t.Errorf("Dir() = %q, want %q", s.Dir(), dir)
	}
	if got, want := s.SchemaVersion(), currentSchema(); got != want {
		t.Errorf("SchemaVersion() = %d, want %d", got, want)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
	assertModes(t, dir)

	// A folder loosened later is tightened again on Open.
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dbPath(dir), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err = Open(dir, testPass, testOpts())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	assertModes(t, dir)
}

// assertModes checks that dir is 0700 and holds only the db file, mode 0600.
func assertModes(t *testing.T, dir string) {
	t.Helper()
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o700 {
		t.Errorf("folder mode = %o, want 700", got)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != DBFileName {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("folder holds %v, want only %s", names, DBFileName)
	}
	fi, err = os.Stat(dbPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Errorf("file mode = %o, want 600", got)
	}
}

func TestCreateErrors(t *testing.T) {
	t.Run("profile exists", func(t *testing.T) {
		s := newTestStore(t)
		_, err := Create(s.Dir(), testPass, testOpts())
		wantErr(t, "Create on existing profile", err, ErrProfileExists)
	})
	t.Run("weak passphrase", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "p")
		_, err := Create(dir, []byte("short"), testOpts())
		wantErr(t, "Create with weak passphrase", err, ErrWeakPassphrase)
		if Exists(dir) {
			t.Errorf("Exists after refused Create = true, want false")
		}
	})
	t.Run("invalid KDF parameters", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "p")
		_, err := Create(dir, testPass, &Options{KDF: &KDFParams{Time: 0, MemoryKiB: 64, Threads: 1}})
		if err == nil {
			t.Fatalf("Create with Time 0: got nil error, want one")
		}
		if Exists(dir) {
			t.Errorf("Exists after refused Create = true, want false")
		}
	})
}

func TestOpenErrors(t *testing.T) {
	t.Run("no profile", func(t *testing.T) {
		dir := t.TempDir()
		_, err := Open(dir, testPass, testOpts())
		wantErr(t, "Open on empty folder", err, ErrNoProfile)
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("Open on empty folder left %d files, want 0", len(entries))
		}
	})
	t.Run("empty file", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(dbPath(dir), nil, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Open(dir, testPass, testOpts())
		wantErr(t, "Open on empty file", err, ErrInterruptedInit)
		if fi, _ := os.Stat(dbPath(dir)); fi.Size() != 0 {
			t.Errorf("file size after Open = %d, want 0", fi.Size())
		}
	})
	t.Run("not a bbolt file", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(dbPath(dir), make([]byte, 64<<10), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Open(dir, testPass, testOpts())
		wantErr(t, "Open on zero-filled file", err, ErrDamaged)
	})
	t.Run("bbolt file without header", func(t *testing.T) {
		dir := t.TempDir()
		db, err := bolt.Open(dbPath(dir), 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		_, err = Open(dir, testPass, testOpts())
		wantErr(t, "Open on foreign bbolt file", err, ErrCorrupt)
	})
}

func TestWrongPassphraseLeavesFileUnchanged(t *testing.T) {
	s := newTestStore(t)
	if err := s.Accounts().Put(Account{Email: "a@example.org"}); err != nil {
		t.Fatal(err)
	}
	dir := s.Dir()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	before := fileSum(t, dir)
	_, err := Open(dir, []byte("not the right passphrase"), testOpts())
	wantErr(t, "Open with wrong passphrase", err, ErrWrongPassphrase)
	if after := fileSum(t, dir); after != before {
		t.Errorf("file sha256 changed by failed Open: got %x, want %x", after, before)
	}
}

func TestHeaderTamperDetected(t *testing.T) {
	tests := []struct {
		name   string
		offset int // byte of the header to change
		want   error
	}{
		{"kdf time", len(headerMagic) + 1 + 3, ErrWrongPassphrase},
		{"kdf memory", len(headerMagic) + 1 + 7, ErrWrongPassphrase},
		{"salt", headerFixedAD + 3, ErrWrongPassphrase},
		{"wrapped key", headerFixedAD + saltSize + 24 + 5, ErrWrongPassphrase},
		{"magic", 0, ErrCorrupt},
		{"newer format", len(headerMagic), ErrNewerSchema},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestStore(t)
			dir := s.Dir()
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			rawUpdate(t, dir, func(tx *bolt.Tx) error {
				h := append([]byte(nil), tx.Bucket(bktMeta).Get(keyHeader)...)
				h[tt.offset]++
				return tx.Bucket(bktMeta).Put(keyHeader, h)
			})
			_, err := Open(dir, testPass, testOpts())
			wantErr(t, "Open with altered header", err, tt.want)
		})
	}
}

func TestChangePassphrase(t *testing.T) {
	s := newTestStore(t)
	if err := s.Accounts().Put(Account{Email: "keep@example.org", DisplayName: "Keep"}); err != nil {
		t.Fatal(err)
	}
	newPass := []byte("a brand new passphrase")
	wantErr(t, "ChangePassphrase with wrong old", s.ChangePassphrase([]byte("wrong old passphrase"), newPass), ErrWrongPassphrase)
	wantErr(t, "ChangePassphrase to weak", s.ChangePassphrase(testPass, []byte("weak")), ErrWeakPassphrase)
	if err := s.ChangePassphrase(testPass, newPass); err != nil {
		t.Fatalf("ChangePassphrase: %v", err)
	}
	// The open store keeps working.
	if _, err := s.Accounts().Get("keep@example.org"); err != nil {
		t.Fatalf("Get after ChangePassphrase: %v", err)
	}
	dir := s.Dir()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	_, err := Open(dir, testPass, testOpts())
	wantErr(t, "Open with old passphrase", err, ErrWrongPassphrase)
	s2, err := Open(dir, newPass, testOpts())
	if err != nil {
		t.Fatalf("Open with new passphrase: %v", err)
	}
	defer s2.Close()
	a, err := s2.Accounts().Get("keep@example.org")
	if err != nil {
		t.Fatalf("Get after reopen: %v", err)
	}
	if a.DisplayName != "Keep" {
		t.Errorf("DisplayName = %q, want %q", a.DisplayName, "Keep")
	}
}

func TestSecondOpenIsLocked(t *testing.T) {
	s := newTestStore(t)
	start := time.Now()
	_, err := Open(s.Dir(), testPass, &Options{KDF: &cheapKDF, LockTimeout: 50 * time.Millisecond})
	wantErr(t, "second Open", err, ErrLocked)
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("second Open took %v, want well under 2s", d)
	}
	_, err = Create(s.Dir(), testPass, testOpts())
	wantErr(t, "Create while open", err, ErrProfileExists)
}

func TestNewerSchemaRefused(t *testing.T) {
	s := newTestStore(t)
	if err := s.db.Update(func(tx *bolt.Tx) error { return s.putSchema(tx, currentSchema()+1) }); err != nil {
		t.Fatal(err)
	}
	dir := s.Dir()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	before := fileSum(t, dir)
	_, err := Open(dir, testPass, testOpts())
	wantErr(t, "Open newer schema", err, ErrNewerSchema)
	if after := fileSum(t, dir); after != before {
		t.Errorf("file sha256 changed by refused Open: got %x, want %x", after, before)
	}
}

// withMigration appends a test-only migration for the duration of the test.
// Tests using it must not run in parallel.
func withMigration(t *testing.T, m migration) {
	saved := migrations
	migrations = append(migrations[:len(migrations):len(migrations)], m)
	t.Cleanup(func() { migrations = saved })
}

func TestMigrationHookRunsOnce(t *testing.T) {
	s := newTestStore(t)
	dir := s.Dir()
	from := s.SchemaVersion()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	runs := 0
	withMigration(t, migration{name: "test: add marker", apply: func(tx *bolt.Tx, s *Store) error {
		runs++
		return s.putValue(tx, [][]byte{bktMeta}, []byte("marker"), []byte("migrated"))
	}})
	for i := range 2 {
		s, err := Open(dir, testPass, testOpts())
		if err != nil {
			t.Fatalf("Open %d: %v", i, err)
		}
		if got, want := s.SchemaVersion(), from+1; got != want {
			t.Errorf("Open %d: SchemaVersion() = %d, want %d", i, got, want)
		}
		err = s.db.View(func(tx *bolt.Tx) error {
			v, err := s.getValue(tx, [][]byte{bktMeta}, []byte("marker"))
			if err == nil && string(v) != "migrated" {
				t.Errorf("marker = %q, want %q", v, "migrated")
			}
			return err
		})
		if err != nil {
			t.Errorf("read marker: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if runs != 1 {
		t.Errorf("migration ran %d times, want 1", runs)
	}
}

func TestFailedMigrationChangesNothing(t *testing.T) {
	s := newTestStore(t)
	dir := s.Dir()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	before := fileSum(t, dir)
	errBoom := errors.New("boom")
	withMigration(t, migration{name: "test: fails", apply: func(tx *bolt.Tx, s *Store) error {
		if err := s.putValue(tx, [][]byte{bktMeta}, []byte("marker"), []byte("half")); err != nil {
			return err
		}
		return errBoom
	}})
	_, err := Open(dir, testPass, testOpts())
	wantErr(t, "Open with failing migration", err, errBoom)
	if after := fileSum(t, dir); after != before {
		t.Errorf("file sha256 changed by failed migration: got %x, want %x", after, before)
	}
}

func TestMissingBucketIsCorrupt(t *testing.T) {
	s := newTestStore(t)
	dir := s.Dir()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	rawUpdate(t, dir, func(tx *bolt.Tx) error { return tx.DeleteBucket(bktOutbox) })
	_, err := Open(dir, testPass, testOpts())
	wantErr(t, "Open without outbox bucket", err, ErrCorrupt)
}

func TestSchemaRecordIsSealed(t *testing.T) {
	s := newTestStore(t)
	dir := s.Dir()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	rawUpdate(t, dir, func(tx *bolt.Tx) error {
		return tx.Bucket(bktMeta).Put(keySchema, binary.BigEndian.AppendUint32(nil, 1))
	})
	_, err := Open(dir, testPass, testOpts())
	wantErr(t, "Open with plaintext schema record", err, ErrTampered)
}

func TestCloseWhileBusy(t *testing.T) {
	s := newTestStore(t)
	const acct, folder = "a@example.org", "INBOX"
	if err := s.Messages().PutSummaries(acct, folder, makeSummaries(1, 10, "x")); err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 400)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 100 {
				var err error
				if g%2 == 0 {
					_, err = s.Messages().Summary(acct, folder, uint32(1+i%10))
				} else {
					err = s.Messages().PutSummaries(acct, folder, makeSummaries(uint32(11+i), uint32(11+i), "y"))
				}
				errs <- err
			}
		})
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil && !errors.Is(err, ErrClosed) {
			t.Errorf("operation during Close: got error = %v, want nil or ErrClosed", err)
		}
	}
	_, err := s.Accounts().List()
	wantErr(t, "List after Close", err, ErrClosed)
	_, err = s.AppendAudit("k", "s", "d")
	wantErr(t, "AppendAudit after Close", err, ErrClosed)
	wantErr(t, "ChangePassphrase after Close", s.ChangePassphrase(testPass, []byte("another passphrase")), ErrClosed)
}
