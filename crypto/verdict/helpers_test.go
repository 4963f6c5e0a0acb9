package verdict

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/sealpost/sealpost/crypto"
)

// readFile reads a test file or fails the test.
func readFile(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return data
}

// loadKey parses the first key of an armored key file, unlocking it with
// passphrase when one is given.
func loadKey(t testing.TB, path, passphrase string) *crypto.Key {
	t.Helper()
	keys, err := crypto.ParseKeys(readFile(t, path))
	if err != nil {
		t.Fatalf("ParseKeys(%s): %v", filepath.Base(path), err)
	}
	if passphrase != "" {
		if err := crypto.UnlockKey(keys[0], []byte(passphrase)); err != nil {
			t.Fatalf("UnlockKey(%s): %v", filepath.Base(path), err)
		}
	}
	return keys[0]
}
