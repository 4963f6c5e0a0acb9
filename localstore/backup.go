package localstore

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

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
	// A link, unlike a rename, never replaces a file that appeared at dest
	// meanwhile.
	if err := os.Link(tmp.Name(), dest); errors.Is(err, fs.ErrExist) {
		return ErrBackupExists
	} else if err != nil {
		// A file system without links (such as FAT on a USB stick).
		if _, err := os.Lstat(dest); err == nil {
			return ErrBackupExists
		}
		if err := os.Rename(tmp.Name(), dest); err != nil {
			return fmt.Errorf("name the backup file: %w", err)
		}
	} else if err := os.Remove(tmp.Name()); err != nil {
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

// Restore replaces the profile in dir with the backup at src, made by
// Backup, which passphrase must unlock. It first copies src into dir under
// a unique name and checks the copy as Open and Verify do, with the
// profile's migrations applied; only then does the copy take the
// profile's place, in one rename. A profile in dir is replaced only when
// replace is set (else ErrProfileExists), and only while no process has it
// open (else ErrLocked); the empty file an interrupted Create leaves is
// replaced either way. A damaged or altered backup is ErrBackupDamaged; on
// any failure the profile in dir is as it was.
func Restore(dir, src string, passphrase []byte, replace bool, opts *Options) (err error) {
	if Exists(dir) && !Interrupted(dir) && !replace {
		return ErrProfileExists
	}
	if err := ensureDir(dir); err != nil {
		return err
	}
	if fi, err := os.Stat(dbPath(dir)); err == nil && fi.Size() > 0 && checkFile(dbPath(dir), fi.Size()) == nil {
		// Hold the profile's lock while it is replaced. A profile too
		// damaged to open cannot be in use either.
		old, err := openBolt(dbPath(dir), boltOptions(opts.lockTimeout(), os.OpenFile))
		switch {
		case err == nil:
			defer old.Close()
		case errors.Is(err, ErrLocked):
			return err
		}
	}
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("open the backup: %w", err)
	}
	defer in.Close()
	tmp, err := os.CreateTemp(dir, "."+DBFileName+".*.restore")
	if err != nil {
		return fmt.Errorf("copy the backup: %w", err)
	}
	defer func() {
		_ = tmp.Close()
		if err != nil {
			_ = os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(fileMode); err != nil {
		return fmt.Errorf("restrict the copy to owner-only access: %w", err)
	}
	if _, err := tmp.ReadFrom(in); err != nil {
		return fmt.Errorf("copy the backup: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("copy the backup: %w", err)
	}
	s, err := openAt(dir, tmp.Name(), passphrase, opts)
	if err == nil {
		err = s.Verify()
		if cerr := s.Close(); err == nil {
			err = cerr
		}
	}
	switch {
	case errors.Is(err, ErrInterruptedInit), errors.Is(err, ErrNoProfile):
		return fmt.Errorf("%w (it is empty)", ErrBackupDamaged)
	case errors.Is(err, ErrDamaged), errors.Is(err, ErrTampered), errors.Is(err, ErrCorrupt):
		// Not wrapped: the damage is the backup's, not the profile's.
		detail := err.Error()
		if d := (*damageError)(nil); errors.As(err, &d) {
			detail = d.detail
		}
		return fmt.Errorf("%w (%s)", ErrBackupDamaged, detail)
	case err != nil:
		return fmt.Errorf("check the backup: %w", err)
	}
	if err := os.Rename(tmp.Name(), dbPath(dir)); err != nil {
		return fmt.Errorf("put the backup in place: %w", err)
	}
	return syncDir(dir)
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
