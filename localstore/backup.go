package localstore

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"time"

	bolt "go.etcd.io/bbolt"
)

// ErrBackupDamaged means a backup given to Restore is damaged or altered
// (the detail says how); the profile was left as it was.
var ErrBackupDamaged = errors.New("the backup is damaged; the profile was left as it was")

// ErrBackupExists means the file a backup was to be written to exists
// already; it was left alone.
var ErrBackupExists = errors.New("a file of that name exists already: choose another name for the backup")

// Backup writes a copy of the profile, as it is at one moment, to a new
// file at dest, which must not exist yet. The copy is the profile file
// itself, taken inside one read transaction: sealed like the profile and
// unlocked by the passphrase the profile has now. It is written to a file
// of a unique name beside dest (mode 0600) and given its name only once it
// is complete and synced, so dest never holds half a backup, and it is
// removed on failure. Before copying, Backup reads every page and opens
// every sealed record: a damaged profile gives ErrDamaged (or ErrTampered,
// ErrCorrupt) and no backup, rather than a backup that cannot be restored.
func (s *Store) Backup(dest string) (err error) {
	if _, err := os.Lstat(dest); err == nil {
		return ErrBackupExists
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("inspect the backup file: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(dest), "."+filepath.Base(dest)+".*.partial")
	if err != nil {
		return fmt.Errorf("create the backup file: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(fileMode); err != nil {
		return fmt.Errorf("restrict the backup file to owner-only access: %w", err)
	}
	err = s.view(func(tx *bolt.Tx) error {
		if err := s.verifyIn(tx); err != nil {
			return err
		}
		if _, err := tx.WriteTo(tmp); err != nil {
			return fmt.Errorf("write the backup: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("write the backup: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write the backup: %w", err)
	}
	if err := linkNew(tmp.Name(), dest); errors.Is(err, fs.ErrExist) {
		return ErrBackupExists
	} else if err != nil {
		return fmt.Errorf("name the backup file: %w", err)
	}
	return syncDir(filepath.Dir(dest))
}

// Verify reads every page of the profile and opens every sealed record,
// in one read transaction. It returns ErrDamaged for a damaged file,
// ErrTampered for a record that fails authentication, ErrCorrupt for a
// malformed one, and nil when everything reads.
func (s *Store) Verify() error {
	return s.view(s.verifyIn)
}

// verifyIn is Verify inside tx.
func (s *Store) verifyIn(tx *bolt.Tx) error {
	var pt []byte
	defer func() { clear(pt) }()
	var walk func(b *bolt.Bucket, path [][]byte) error
	walk = func(b *bolt.Bucket, path [][]byte) error {
		ad := make([]byte, 0, 128)
		return b.ForEach(func(k, v []byte) error {
			switch {
			case v == nil:
				return walk(b.Bucket(k), append(path[:len(path):len(path)], k))
			case len(path) == 1 && bytes.Equal(path[0], bktMeta) && bytes.Equal(k, keyHeader):
				return nil // the plaintext header: Open checked it
			case len(v) == 0 && len(path) == 2 && bytes.Equal(path[0], bktContactEmails):
				return nil // an entry of the contacts' address index
			}
			var err error
			ad = appendAD(ad[:0], path, k)
			if pt, err = s.keys.openTo(pt[:0], v, ad); err != nil {
				return fmt.Errorf("%w: a record in %s", err, path[0])
			}
			clear(pt)
			return nil
		})
	}
	return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
		return walk(b, [][]byte{name})
	})
}

// Restored says what Restore did.
type Restored struct {
	// Kept is the file that holds the profile the backup replaced, sealed
	// as it was (it opens with the passphrase it had); "" when the folder
	// held no profile, or only the empty file of an interrupted Create.
	Kept string
	// Warning is a step after the backup took the profile's place that
	// failed (such as making the new names durable): the restore stands.
	Warning error
}

// closeBeforeRename says whether Restore must close the profile files
// before it renames them: Windows renames no file that is open (nor one
// bbolt maps). Elsewhere Restore holds both files' locks across the
// rename, so that no process opens either file meanwhile.
var closeBeforeRename = runtime.GOOS == "windows"

// keptSuffix starts the name Restore gives the profile it replaces:
// sealpost.db.before-restore-DATE-TIME.
const keptSuffix = ".before-restore-"

// Restore replaces the profile in dir with the backup at src, made by
// Backup, which passphrase must unlock, and keeps the replaced profile
// beside it (see Restored).
//
// It takes the profile's lock first and holds it to the end: a profile
// another Store has open (in any process) is never replaced (ErrLocked).
// Under the lock, it copies src into dir under a unique name (src itself
// is only read), opens the copy with passphrase (one key derivation),
// applies the profile's migrations and checks it as Verify does; stamp,
// when not nil, then runs on the copy's store with the file name the
// replaced profile is to be kept under ("" for none), to record the
// restore; its failure is a Warning, ErrDamaged aside. Only then does the copy take
// the profile's place, in one rename, the replaced file keeping a second
// name. A profile in dir is replaced only when
// replace is set (else ErrProfileExists); the empty file an interrupted
// Create leaves is replaced either way. A damaged or altered backup is
// ErrBackupDamaged. On any error the profile in dir is as it was.
func Restore(dir, src string, passphrase []byte, replace bool, opts *Options, stamp func(s *Store, kept string) error) (Restored, error) {
	if err := ensureDir(dir); err != nil {
		return Restored{}, err
	}
	live := dbPath(dir)
	// Nothing to lock when there is no profile: the copy then gets its
	// name only if none appeared meanwhile (see linkNew).
	lock, err := lockProfile(live, opts.lockTimeout())
	switch {
	case errors.Is(err, ErrNoProfile):
	case err != nil:
		return Restored{}, err
	default:
		defer func() {
			if lock != nil {
				_ = lock.Close()
			}
		}()
	}
	// exists: dir holds a profile file (locked); keep: one worth keeping.
	exists, keep := lock != nil, false
	if exists {
		fi, err := lock.Stat()
		if err != nil {
			return Restored{}, fmt.Errorf("inspect profile file: %w", err)
		}
		if keep = fi.Size() > 0; keep && !replace {
			return Restored{}, ErrProfileExists
		}
	}
	copied, err := copyBackup(dir, src)
	if err != nil {
		return Restored{}, err
	}
	s, err := openBackup(dir, copied, passphrase, opts)
	if err != nil {
		_ = os.Remove(copied)
		return Restored{}, err
	}
	var warnings []error
	var kept string
	if keep {
		kept = freeKeptName(live)
	}
	if stamp != nil {
		if err := stamp(s, filepath.Base(kept)); errors.Is(err, ErrDamaged) {
			_ = s.Close()
			_ = os.Remove(copied)
			return Restored{}, fmt.Errorf("%w (found as the restore was recorded)", ErrBackupDamaged)
		} else if err != nil {
			// The backup checked out: it is restored all the same.
			warnings = append(warnings, fmt.Errorf("the restore could not be recorded in the audit trail: %w", err))
		}
	}
	release := func() error {
		err := s.Close()
		if lock != nil {
			if cerr := lock.Close(); err == nil {
				err = cerr
			}
			lock = nil
		}
		return err
	}
	if closeBeforeRename {
		if err := release(); err != nil {
			_ = os.Remove(copied)
			return Restored{}, fmt.Errorf("close the profile files: %w", err)
		}
	}
	var res Restored
	if keep {
		res.Kept, err = replaceKeeping(live, copied, kept)
	} else if exists {
		err = os.Rename(copied, live)
	} else if err = linkNew(copied, live); errors.Is(err, fs.ErrExist) {
		err = ErrProfileExists
	}
	if err != nil {
		_ = release()
		_ = os.Remove(copied)
		if errors.Is(err, ErrProfileExists) {
			return Restored{}, err
		}
		return Restored{}, fmt.Errorf("put the backup in place: %w", err)
	}
	if err := syncDir(dir); err != nil {
		warnings = append(warnings, err)
	}
	if !closeBeforeRename {
		if err := release(); err != nil {
			warnings = append(warnings, fmt.Errorf("close the profile files: %w", err))
		}
	}
	res.Warning = errors.Join(warnings...)
	return res, nil
}

// copyBackup copies the backup at src into a new file of a unique name in
// dir (mode 0600) and returns its path; on failure it leaves nothing.
func copyBackup(dir, src string) (_ string, err error) {
	in, err := os.Open(src)
	if err != nil {
		return "", fmt.Errorf("open the backup: %w", err)
	}
	defer in.Close()
	tmp, err := os.CreateTemp(dir, "."+DBFileName+".*.restore")
	if err != nil {
		return "", fmt.Errorf("copy the backup: %w", err)
	}
	defer func() {
		if cerr := tmp.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("copy the backup: %w", cerr)
		}
		if err != nil {
			_ = os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(fileMode); err != nil {
		return "", fmt.Errorf("restrict the copy to owner-only access: %w", err)
	}
	if _, err := tmp.ReadFrom(in); err != nil {
		return "", fmt.Errorf("copy the backup: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return "", fmt.Errorf("copy the backup: %w", err)
	}
	return tmp.Name(), nil
}

// openBackup opens the copy of a backup at path as Open does and checks it
// as Verify does. It returns the open store, or an error (ErrBackupDamaged
// for a damaged copy) and a closed or nil store.
func openBackup(dir, path string, passphrase []byte, opts *Options) (*Store, error) {
	s, err := openAt(dir, path, passphrase, opts)
	if err == nil {
		if err = s.Verify(); err != nil {
			_ = s.Close()
		}
	}
	switch {
	case err == nil:
		return s, nil
	case errors.Is(err, ErrInterruptedInit), errors.Is(err, ErrNoProfile):
		return nil, fmt.Errorf("%w (it is empty)", ErrBackupDamaged)
	case errors.Is(err, ErrDamaged), errors.Is(err, ErrTampered), errors.Is(err, ErrCorrupt):
		// Not wrapped: the damage is the backup's, not the profile's.
		detail := err.Error()
		if d := (*damageError)(nil); errors.As(err, &d) {
			detail = d.detail
		}
		return nil, fmt.Errorf("%w (%s)", ErrBackupDamaged, detail)
	default:
		return nil, fmt.Errorf("check the backup: %w", err)
	}
}

// freeKeptName is the name the profile at live is to be kept under when a
// restore replaces it: live's name with keptSuffix and the date and time,
// and a number after it when that name is taken.
func freeKeptName(live string) string {
	base := live + keptSuffix + time.Now().Format("2006-01-02-150405")
	kept := base
	for n := 2; ; n++ {
		if _, err := os.Lstat(kept); errors.Is(err, fs.ErrNotExist) {
			return kept
		}
		kept = fmt.Sprintf("%s-%d", base, n)
	}
}

// replaceKeeping gives the file at src the name live, in one rename, and
// returns the new name of the file it replaced: kept (see freeKeptName),
// or, if a file took that name meanwhile, kept with a number after it.
// Where the file system has links, live keeps a name throughout.
func replaceKeeping(live, src, kept string) (string, error) {
	base := kept
	for n := 2; ; n++ {
		err := os.Link(live, kept)
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrExist) {
			// A file system without links (such as FAT): live has no
			// name until src takes it.
			if _, serr := os.Lstat(kept); serr == nil {
				kept = fmt.Sprintf("%s-%d", base, n)
				continue
			}
			if err := os.Rename(live, kept); err != nil {
				return "", fmt.Errorf("keep the replaced profile: %w", err)
			}
			if err := os.Rename(src, live); err != nil {
				_ = os.Rename(kept, live)
				return "", err
			}
			return kept, nil
		}
		kept = fmt.Sprintf("%s-%d", base, n)
	}
	if err := os.Rename(src, live); err != nil {
		_ = os.Remove(kept)
		return "", err
	}
	return kept, nil
}

// linkNew gives the complete file at tmp the name dest, which must not
// exist (else fs.ErrExist, tmp left alone): a link, unlike a rename, never
// replaces a file that appeared at dest meanwhile.
func linkNew(tmp, dest string) error {
	if err := os.Link(tmp, dest); errors.Is(err, fs.ErrExist) {
		return err
	} else if err != nil {
		// A file system without links (such as FAT on a USB stick).
		if _, err := os.Lstat(dest); err == nil {
			return fs.ErrExist
		}
		return os.Rename(tmp, dest)
	}
	return os.Remove(tmp)
}

// syncDir makes a new name in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync folder: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return fmt.Errorf("sync folder: %w", err)
	}
	return nil
}
