package localstore

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// lockRetry is how often lockProfile tries again for a lock that is held.
const lockRetry = 50 * time.Millisecond

// errLockHeld is what tryLock returns for a lock another open file holds.
var errLockHeld = errors.New("lock held")

// lockProfile opens the profile file at path and takes the exclusive lock
// that bbolt takes on it (so a Store open in any process holds it), trying
// for up to timeout: ErrLocked when it stays held. Unlike opening the file
// with bbolt, it reads nothing, so a damaged file is locked too. A missing
// file gives ErrNoProfile. Closing the file releases the lock.
func lockProfile(path string, timeout time.Duration) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNoProfile
	}
	if err != nil {
		return nil, fmt.Errorf("open profile file: %w", err)
	}
	deadline := time.Now().Add(timeout)
	for {
		err := tryLock(f)
		switch {
		case err == nil:
			return f, nil
		case !errors.Is(err, errLockHeld):
			_ = f.Close()
			return nil, fmt.Errorf("lock the profile file: %w", err)
		case time.Now().After(deadline):
			_ = f.Close()
			return nil, ErrLocked
		}
		time.Sleep(lockRetry)
	}
}
