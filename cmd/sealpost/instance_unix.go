//go:build unix

package main

import (
	"os"
	"syscall"
)

// privateDir reports whether dir is a folder of this user that no other
// user may enter: only then does a socket in it reach just this user.
func privateDir(dir string) bool {
	fi, err := os.Stat(dir)
	if err != nil || !fi.IsDir() || fi.Mode().Perm()&0o077 != 0 {
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Getuid()
}
