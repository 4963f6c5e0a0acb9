package localstore

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Folder is an IMAP mailbox of an account and its sync state.
type Folder struct {
	Account       string // owning account's address
	Name          string // full mailbox name
	Delimiter     string
	SpecialUse    string // RFC 6154 attribute such as `\Sent`, or ""
	Attributes    []string
	UIDValidity   uint32
	UIDNext       uint32
	HighestModSeq uint64
	Subscribed    bool
	LastSync      time.Time
	// ThreadHeaders is set once every stored summary of the folder carries
	// In-Reply-To and References (summaries stored before Sealpost fetched
	// them get them filled in by a sync).
	ThreadHeaders bool `json:",omitempty"`
}

// Folders is the repository of folders, grouped per account under blinded keys.
type Folders struct{ s *Store }

// Folders returns the folder repository.
func (s *Store) Folders() Folders { return Folders{s} }

var errNoFolderName = errors.New("folder has no account or name")

// normFolder canonicalises a mailbox name: INBOX is case-insensitive (RFC
// 3501), every other name is kept exactly.
func normFolder(name string) string {
	if strings.EqualFold(name, "INBOX") {
		return "INBOX"
	}
	return name
}

// folderKeys returns the blinded account key and folder key. Like every
// blinding helper it must run inside view or update (the keys are cleared on
// Close).
func (s *Store) folderKeys(account, folder string) (acct, fold []byte) {
	return s.keys.blind(labelAccount, normEmail(account)), s.keys.blind(labelFolder, normFolder(folder))
}

// Put stores or replaces f (identified by f.Account and f.Name).
func (r Folders) Put(f Folder) error {
	if normEmail(f.Account) == "" || f.Name == "" {
		return errNoFolderName
	}
	err := r.s.update(func(tx *bolt.Tx) error {
		acct, fold := r.s.folderKeys(f.Account, f.Name)
		return r.s.putJSON(tx, [][]byte{bktFolders, acct}, fold, &f)
	})
	if err != nil {
		return fmt.Errorf("store folder: %w", err)
	}
	return nil
}

// Get returns the folder name of account, or ErrNotFound.
func (r Folders) Get(account, name string) (Folder, error) {
	var f Folder
	err := r.s.view(func(tx *bolt.Tx) error {
		acct, fold := r.s.folderKeys(account, name)
		return r.s.getJSON(tx, [][]byte{bktFolders, acct}, fold, &f)
	})
	if err != nil {
		return Folder{}, fmt.Errorf("read folder: %w", err)
	}
	return f, nil
}

// List returns the folders of account sorted by name (empty if none).
func (r Folders) List(account string) ([]Folder, error) {
	var out []Folder
	err := r.s.view(func(tx *bolt.Tx) error {
		acct := r.s.keys.blind(labelAccount, normEmail(account))
		path := [][]byte{bktFolders, acct}
		b, err := bucketAt(tx, false, path)
		if err != nil || b == nil {
			return err
		}
		return b.ForEach(func(k, v []byte) error {
			var f Folder
			if err := r.s.openJSON(path, k, v, &f); err != nil {
				return err
			}
			out = append(out, f)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list folders: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Delete removes the folder and all its summaries, raw messages and search
// records in one transaction; ErrNotFound if there is no such folder.
func (r Folders) Delete(account, name string) error {
	err := r.s.update(func(tx *bolt.Tx) error {
		acct, fold := r.s.folderKeys(account, name)
		if err := deleteKey(tx, [][]byte{bktFolders, acct}, fold); err != nil {
			return err
		}
		if err := deleteBucketAt(tx, [][]byte{bktSearch, acct, fold}); err != nil {
			return err
		}
		return deleteBucketAt(tx, [][]byte{bktMessages, acct, fold})
	})
	if err != nil {
		return fmt.Errorf("delete folder: %w", err)
	}
	return nil
}
