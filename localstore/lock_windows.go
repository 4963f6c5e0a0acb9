package localstore

import (
	"errors"
	"os"

	"golang.org/x/sys/windows"
)

// tryLock takes bbolt's lock on f, an exclusive lock of the byte at offset
// 2^64-1, without waiting: errLockHeld when another handle holds it.
func tryLock(f *os.File) error {
	const last = ^uint32(0)
	err := windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY,
		0, 1, 0, &windows.Overlapped{Offset: last, OffsetHigh: last})
	if errors.Is(err, windows.ERROR_LOCK_VIOLATION) {
		return errLockHeld
	}
	return err
}
