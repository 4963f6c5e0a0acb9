package localstore

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// OwnKey is one of the user's OpenPGP keys.
type OwnKey struct {
	Fingerprint string
	SecretKey   []byte // binary OpenPGP secret key, unprotected: the store seals it
	UserIDs     []string
	Algorithm   string
	CreatedAt   time.Time
	ExpiresAt   time.Time // zero: does not expire
	Revoked     bool
	Default     bool // the default key for its addresses (the engine keeps one per address)
	AddedAt     time.Time
}

// KeyEvent is one entry of a contact key's history.
type KeyEvent struct {
	At     time.Time
	Event  string
	Detail string
}

// ContactKey is a correspondent's OpenPGP public key and what we know about it.
type ContactKey struct {
	Fingerprint  string
	Emails       []string
	UserIDs      []string
	PublicKey    []byte // binary OpenPGP public key
	Algorithm    string
	CreatedAt    time.Time
	ExpiresAt    time.Time
	Revoked      bool
	Source       string // "import", "autocrypt", "gossip", "wkd" or "keyserver"
	Verification string // "unverified" or "verified"
	AddedAt      time.Time
	UpdatedAt    time.Time
	History      []KeyEvent
}

var errNoFingerprint = errors.New("key has no fingerprint")

// normFpr canonicalises a fingerprint: upper-case hex without spaces.
func normFpr(fpr string) string {
	return strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(fpr), " ", ""))
}

// OwnKeys is the repository of the user's keys, keyed by blinded fingerprint.
type OwnKeys struct{ s *Store }

// OwnKeys returns the own-key repository.
func (s *Store) OwnKeys() OwnKeys { return OwnKeys{s} }

func (r OwnKeys) key(fpr string) []byte { return r.s.keys.blind(labelOwnKey, normFpr(fpr)) }

// Put stores or replaces k and appends notes to the audit log, in one
// transaction. Which key is the default for an address is the caller's
// decision: Put stores Default as given.
func (r OwnKeys) Put(k OwnKey, notes ...AuditNote) error {
	return r.PutAll([]OwnKey{k}, notes...)
}

// PutAll stores or replaces every key of keys and appends notes to the
// audit log, all in one transaction (changing which key is an address's
// default touches two keys at once).
func (r OwnKeys) PutAll(keys []OwnKey, notes ...AuditNote) error {
	for _, k := range keys {
		if normFpr(k.Fingerprint) == "" {
			return errNoFingerprint
		}
	}
	err := r.s.update(func(tx *bolt.Tx) error {
		path := [][]byte{bktOwnKeys}
		for i := range keys {
			if err := r.s.putJSON(tx, path, r.key(keys[i].Fingerprint), &keys[i]); err != nil {
				return err
			}
		}
		return r.s.appendNotes(tx, notes)
	})
	if err != nil {
		return fmt.Errorf("store own key: %w", err)
	}
	return nil
}

// Get returns the own key with fingerprint fpr, or ErrNotFound.
func (r OwnKeys) Get(fpr string) (OwnKey, error) {
	var k OwnKey
	err := r.s.view(func(tx *bolt.Tx) error {
		return r.s.getJSON(tx, [][]byte{bktOwnKeys}, r.key(fpr), &k)
	})
	if err != nil {
		return OwnKey{}, fmt.Errorf("read own key: %w", err)
	}
	return k, nil
}

// List returns all own keys, the default first, then by fingerprint.
func (r OwnKeys) List() ([]OwnKey, error) {
	var out []OwnKey
	err := r.s.view(func(tx *bolt.Tx) error {
		path := [][]byte{bktOwnKeys}
		return tx.Bucket(bktOwnKeys).ForEach(func(k, v []byte) error {
			var o OwnKey
			if err := r.s.openJSON(path, k, v, &o); err != nil {
				return err
			}
			out = append(out, o)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list own keys: %w", err)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Default != out[j].Default {
			return out[i].Default
		}
		return normFpr(out[i].Fingerprint) < normFpr(out[j].Fingerprint)
	})
	return out, nil
}

// Delete removes the own key and appends notes to the audit log, in one
// transaction; ErrNotFound if absent.
func (r OwnKeys) Delete(fpr string, notes ...AuditNote) error {
	err := r.s.update(func(tx *bolt.Tx) error {
		if err := deleteKey(tx, [][]byte{bktOwnKeys}, r.key(fpr)); err != nil {
			return err
		}
		return r.s.appendNotes(tx, notes)
	})
	if err != nil {
		return fmt.Errorf("delete own key: %w", err)
	}
	return nil
}

// ContactKeys is the repository of correspondents' keys, keyed by blinded
// fingerprint, with an index from blinded address to key kept in the same
// transactions (contactemails/<blind email>/<blind fingerprint>).
type ContactKeys struct{ s *Store }

// ContactKeys returns the contact-key repository.
func (s *Store) ContactKeys() ContactKeys { return ContactKeys{s} }

func (r ContactKeys) key(fpr string) []byte { return r.s.keys.blind(labelContactKey, normFpr(fpr)) }

func (r ContactKeys) emailKey(email string) []byte {
	return r.s.keys.blind(labelEmail, normEmail(email))
}

// Put stores or replaces k, updates the address index to k.Emails, and
// appends notes to the audit log, all in one transaction.
func (r ContactKeys) Put(k ContactKey, notes ...AuditNote) error {
	if normFpr(k.Fingerprint) == "" {
		return errNoFingerprint
	}
	err := r.s.update(func(tx *bolt.Tx) error {
		path := [][]byte{bktContacts}
		key := r.key(k.Fingerprint)
		var old ContactKey
		err := r.s.getJSON(tx, path, key, &old)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		if err := r.unindex(tx, key, old.Emails); err != nil {
			return err
		}
		if err := r.s.putJSON(tx, path, key, &k); err != nil {
			return err
		}
		idx := tx.Bucket(bktContactEmails)
		for _, e := range k.Emails {
			b, err := idx.CreateBucketIfNotExists(r.emailKey(e))
			if err != nil {
				return fmt.Errorf("index contact address: %w", err)
			}
			if err := b.Put(key, []byte{}); err != nil {
				return fmt.Errorf("index contact address: %w", err)
			}
		}
		return r.s.appendNotes(tx, notes)
	})
	if err != nil {
		return fmt.Errorf("store contact key: %w", err)
	}
	return nil
}

// unindex removes key from the index entries of emails.
func (r ContactKeys) unindex(tx *bolt.Tx, key []byte, emails []string) error {
	idx := tx.Bucket(bktContactEmails)
	for _, e := range emails {
		ek := r.emailKey(e)
		b := idx.Bucket(ek)
		if b == nil {
			continue
		}
		if err := b.Delete(key); err != nil {
			return fmt.Errorf("unindex contact address: %w", err)
		}
		if k, _ := b.Cursor().First(); k == nil {
			if err := idx.DeleteBucket(ek); err != nil {
				return fmt.Errorf("unindex contact address: %w", err)
			}
		}
	}
	return nil
}

// Get returns the contact key with fingerprint fpr, or ErrNotFound.
func (r ContactKeys) Get(fpr string) (ContactKey, error) {
	var k ContactKey
	err := r.s.view(func(tx *bolt.Tx) error {
		return r.s.getJSON(tx, [][]byte{bktContacts}, r.key(fpr), &k)
	})
	if err != nil {
		return ContactKey{}, fmt.Errorf("read contact key: %w", err)
	}
	return k, nil
}

// List returns all contact keys sorted by fingerprint.
func (r ContactKeys) List() ([]ContactKey, error) {
	var out []ContactKey
	err := r.s.view(func(tx *bolt.Tx) error {
		path := [][]byte{bktContacts}
		return tx.Bucket(bktContacts).ForEach(func(k, v []byte) error {
			var c ContactKey
			if err := r.s.openJSON(path, k, v, &c); err != nil {
				return err
			}
			out = append(out, c)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list contact keys: %w", err)
	}
	sortContacts(out)
	return out, nil
}

func sortContacts(cs []ContactKey) {
	sort.Slice(cs, func(i, j int) bool { return normFpr(cs[i].Fingerprint) < normFpr(cs[j].Fingerprint) })
}

// ByEmail returns the contact keys whose Emails contain email
// (case-insensitive), sorted by fingerprint; empty if none.
func (r ContactKeys) ByEmail(email string) ([]ContactKey, error) {
	want := normEmail(email)
	var out []ContactKey
	err := r.s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bktContactEmails).Bucket(r.emailKey(email))
		if b == nil {
			return nil
		}
		path := [][]byte{bktContacts}
		return b.ForEach(func(k, _ []byte) error {
			var c ContactKey
			err := r.s.getJSON(tx, path, k, &c)
			if errors.Is(err, ErrNotFound) {
				return fmt.Errorf("%w: address index points to a missing key", ErrTampered)
			}
			if err != nil {
				return err
			}
			// The index is not sealed: trust only what the sealed record says.
			for _, e := range c.Emails {
				if normEmail(e) == want {
					out = append(out, c)
					break
				}
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("find contact keys by address: %w", err)
	}
	sortContacts(out)
	return out, nil
}

// Delete removes the contact key and its index entries and appends notes to
// the audit log, in one transaction; ErrNotFound if absent.
func (r ContactKeys) Delete(fpr string, notes ...AuditNote) error {
	err := r.s.update(func(tx *bolt.Tx) error {
		path := [][]byte{bktContacts}
		key := r.key(fpr)
		var old ContactKey
		if err := r.s.getJSON(tx, path, key, &old); err != nil {
			return err
		}
		if err := r.unindex(tx, key, old.Emails); err != nil {
			return err
		}
		if err := deleteKey(tx, path, key); err != nil {
			return err
		}
		return r.s.appendNotes(tx, notes)
	})
	if err != nil {
		return fmt.Errorf("delete contact key: %w", err)
	}
	return nil
}
