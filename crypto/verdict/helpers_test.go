package verdict

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/sealpost/sealpost/crypto"
)

// sharedTestdata returns a folder of the shared interop corpus
// (../shared/testdata from the module root) or skips the test.
func sharedTestdata(t testing.TB, parts ...string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("Getwd: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("module root not found: shared interop testdata not used")
		}
		dir = parent
	}
	root := filepath.Join(append([]string{dir, "..", "shared", "testdata"}, parts...)...)
	if _, err := os.Stat(root); err != nil {
		t.Skipf("shared testdata %s is absent: interop corpus tests skipped", root)
	}
	return root
}

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
