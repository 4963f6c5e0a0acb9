// Package leakcheck fails a test binary whose goroutines outlive its
// tests.
package leakcheck

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
)

// Main runs the tests of m and, if they passed, fails the run when a
// goroutine whose stack names one of patterns (such as "mail/imapsync.")
// is still running, other than the one running TestMain; name prefixes the
// report. Call it from TestMain.
func Main(m *testing.M, name string, patterns ...string) {
	code := m.Run()
	if code == 0 {
		if leaks := Leaked(patterns...); len(leaks) > 0 {
			fmt.Fprintf(os.Stderr, "%s: %d goroutines leaked:\n%s\n", name, len(leaks), strings.Join(leaks, "\n\n"))
			code = 1
		}
	}
	os.Exit(code)
}

// Leaked returns the stacks of the running goroutines that name one of
// patterns, other than TestMain's.
func Leaked(patterns ...string) []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, ".TestMain(") {
			continue
		}
		for _, p := range patterns {
			if strings.Contains(g, p) {
				out = append(out, g)
				break
			}
		}
	}
	return out
}
