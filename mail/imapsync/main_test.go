package imapsync

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
)

// TestMain fails the run if a goroutine of this package outlives the tests:
// every goroutine the Syncer starts is joined before its call returns, and
// every test joins its servers, proxies and Watch calls.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if leaks := leakedGoroutines(); len(leaks) > 0 {
			fmt.Fprintf(os.Stderr, "imapsync: %d goroutines leaked:\n%s\n", len(leaks), strings.Join(leaks, "\n\n"))
			code = 1
		}
	}
	os.Exit(code)
}

// leakedGoroutines returns the stacks of goroutines running code of this
// package, other than the one running TestMain.
func leakedGoroutines() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "mail/imapsync.") && !strings.Contains(g, "mail/imapsync.TestMain") {
			out = append(out, g)
		}
	}
	return out
}
