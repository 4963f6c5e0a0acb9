package localstore

import (
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"
)

var testPass = []byte("correct horse battery staple")

// cheapKDF keeps unit tests fast; the default parameters are measured in benchmarks.
var cheapKDF = KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}

func testOpts() *Options { return &Options{KDF: &cheapKDF} }

// newTestStore creates a profile in a fresh temporary folder and closes it at cleanup.
func newTestStore(t testing.TB) *Store {
	t.Helper()
	s, err := Create(filepath.Join(t.TempDir(), "profile"), testPass, testOpts())
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// reopen closes s and opens its profile again.
func reopen(t testing.TB, s *Store) *Store {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	s2, err := Open(s.Dir(), testPass, testOpts())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s2.Close() })
	return s2
}

// fileSum returns the SHA-256 of the profile file.
func fileSum(t testing.TB, dir string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(dbPath(dir))
	if err != nil {
		t.Fatalf("read profile file: %v", err)
	}
	return sha256.Sum256(b)
}

// rawUpdate edits the closed profile's bbolt file directly, as an attacker
// with access to the disk could.
func rawUpdate(t testing.TB, dir string, fn func(tx *bolt.Tx) error) {
	t.Helper()
	db, err := bolt.Open(dbPath(dir), 0o600, nil)
	if err != nil {
		t.Fatalf("open bbolt: %v", err)
	}
	defer db.Close()
	if err := db.Update(fn); err != nil {
		t.Fatalf("raw update: %v", err)
	}
}

// wantErr fails the test unless errors.Is(err, want).
func wantErr(t testing.TB, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: got error = %v, want %v", what, err, want)
	}
}
