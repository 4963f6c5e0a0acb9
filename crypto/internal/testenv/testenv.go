// Package testenv finds what crypto's tests share with the rest of the
// project: the interop corpus in ../shared/testdata.
package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

// SharedTestdata returns ../shared/testdata/<parts...> relative to the
// module root, or skips the test with a clear message when it is absent.
func SharedTestdata(t testing.TB, parts ...string) string {
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
