//go:build !windows

package localstore

import (
	"errors"
	"os"
	"syscall"
)

// tryLock takes bbolt's lock on f, an exclusive flock, without waiting:
// errLockHeld when another open file holds it.
func tryLock(f *os.File) error {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return errLockHeld
	}
	return err
}
