// Package testenv holds what crypto's tests share: the interop corpus in
// ../shared/testdata and throwaway GnuPG homes.
package testenv

import (
	"os"
	"os/exec"
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

// GPGHome creates a throwaway GnuPG home under /tmp (short enough for the
// agent's socket) and returns the gpg binary, the home and the environment
// that points gpg at it. At cleanup the agent is killed and the home
// removed. It skips the test when gpg is not installed.
func GPGHome(tb testing.TB) (bin, home string, env []string) {
	tb.Helper()
	bin, err := exec.LookPath("gpg")
	if err != nil {
		tb.Skip("gpg is not installed: GnuPG interop not tested")
	}
	home, err = os.MkdirTemp("/tmp", "spg")
	if err != nil {
		tb.Fatalf("MkdirTemp: %v", err)
	}
	if err := os.Chmod(home, 0o700); err != nil {
		tb.Fatalf("chmod: %v", err)
	}
	env = append(os.Environ(), "GNUPGHOME="+home, "LC_ALL=C")
	tb.Cleanup(func() {
		kill := exec.Command("gpgconf", "--kill", "all")
		kill.Env = env
		_ = kill.Run() // best effort: the home is removed next either way
		if err := os.RemoveAll(home); err != nil {
			tb.Errorf("remove GnuPG home: %v", err)
		}
	})
	return bin, home, env
}
