package localstore

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Blinding labels: one per kind of looked-up value (domain separation).
const (
	labelAccount    = "account"
	labelFolder     = "folder"
	labelOwnKey     = "ownkey"
	labelContactKey = "contactkey"
	labelEmail      = "email"
)

// ServerConfig is how to reach one server of an account.
type ServerConfig struct {
	Host     string
	Port     int
	Security string // "tls" (implicit TLS) or "starttls"
}

// Secret is an account credential, sealed with the account.
type Secret struct {
	Kind  string // "password" or "oauth2"
	Value string // the password, or the OAuth2 access token
	// Refresh is the OAuth2 refresh token of an account signed in with a
	// provider (empty for a pasted access token), Provider that
	// provider's ID and Mechanism the SASL mechanism it expects.
	Refresh, Provider, Mechanism string
	// Expiry is when the access token ends (zero: unknown), Obtained
	// when it was issued: of two tokens of an account the later one wins.
	Expiry, Obtained time.Time
}

// SetSecret replaces the secret of the account with address email in one
// transaction, if the secret stored is still the one update expects:
// update gets the stored secret and returns the new one, or ok false to
// leave it. It returns ErrNotFound if there is no such account.
func (r Accounts) SetSecret(email string, update func(Secret) (Secret, bool)) error {
	return r.s.update(func(tx *bolt.Tx) error {
		var a Account
		path := [][]byte{bktAccounts}
		if err := r.s.getJSON(tx, path, r.key(email), &a); err != nil {
			return err
		}
		next, ok := update(a.Secret)
		if !ok {
			return nil
		}
		a.Secret = next
		if err := r.s.putJSON(tx, path, r.key(email), &a); err != nil {
			return fmt.Errorf("store account: %w", err)
		}
		return nil
	})
}

// PinnedCert is a server certificate the user chose to trust for one host and port.
type PinnedCert struct {
	Host     string
	Port     int
	SHA256   string // hex SHA-256 of the DER certificate
	PinnedAt time.Time
}

// Account is a mail account.
type Account struct {
	Email       string
	DisplayName string
	IMAP, SMTP  ServerConfig
	Username    string
	Secret      Secret
	PinnedCerts []PinnedCert
	// ServerSavesSent means the provider stores submitted mail in Sent
	// itself, so Sealpost must not APPEND a second copy.
	ServerSavesSent bool
	// ProviderDomain names the account's provider for the transport
	// evidence of incoming mail: its Received and Authentication-Results
	// fields are trusted. Empty means the registrable domain of the IMAP
	// host.
	ProviderDomain string `json:",omitempty"`
	CreatedAt      time.Time
}

// AuditNote is an audit entry to append in the same transaction as the change
// it describes (see Accounts.Put and similar methods).
type AuditNote struct {
	Kind, Subject, Detail string
	// SendRecord is filled for a sent message only.
	SendRecord
}

// Accounts is the repository of accounts, keyed by blinded lower-case address.
type Accounts struct{ s *Store }

// Accounts returns the account repository.
func (s *Store) Accounts() Accounts { return Accounts{s} }

// normEmail is the canonical form used for blinded address keys.
func normEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

var errNoEmail = errors.New("account has no e-mail address")

func (r Accounts) key(email string) []byte { return r.s.keys.blind(labelAccount, normEmail(email)) }

// Put stores or replaces the account with a's address, and appends notes to
// the audit log in the same transaction.
func (r Accounts) Put(a Account, notes ...AuditNote) error {
	if normEmail(a.Email) == "" {
		return errNoEmail
	}
	return r.s.update(func(tx *bolt.Tx) error {
		k := r.key(a.Email)
		if tx.Bucket(bktAccounts).Get(k) == nil {
			// A new account has no mail to index: its syncs index as they store.
			if err := r.s.markNoBacklog(tx, k); err != nil {
				return err
			}
		}
		if err := r.s.putJSON(tx, [][]byte{bktAccounts}, k, &a); err != nil {
			return fmt.Errorf("store account: %w", err)
		}
		return r.s.appendNotes(tx, notes)
	})
}

// Get returns the account for email (case-insensitive), or ErrNotFound.
func (r Accounts) Get(email string) (Account, error) {
	var a Account
	err := r.s.view(func(tx *bolt.Tx) error {
		return r.s.getJSON(tx, [][]byte{bktAccounts}, r.key(email), &a)
	})
	if err != nil {
		return Account{}, fmt.Errorf("read account: %w", err)
	}
	return a, nil
}

// List returns all accounts sorted by address.
func (r Accounts) List() ([]Account, error) {
	var out []Account
	err := r.s.view(func(tx *bolt.Tx) error {
		path := [][]byte{bktAccounts}
		return tx.Bucket(bktAccounts).ForEach(func(k, v []byte) error {
			var a Account
			if err := r.s.openJSON(path, k, v, &a); err != nil {
				return err
			}
			out = append(out, a)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return normEmail(out[i].Email) < normEmail(out[j].Email) })
	return out, nil
}

// ErrOutboxNotEmpty means an account cannot be deleted because messages
// from it still wait in the outbox.
var ErrOutboxNotEmpty = errors.New("the account has unsent messages in the outbox")

// Delete removes the account together with its folders, message summaries,
// raw messages, search index and drafts, and appends notes to the audit log,
// all in one transaction. It returns ErrNotFound if there is no such
// account, and ErrOutboxNotEmpty, deleting nothing, while the outbox holds
// messages of the account.
func (r Accounts) Delete(email string, notes ...AuditNote) error {
	err := r.s.update(func(tx *bolt.Tx) error {
		k := r.key(email)
		if tx.Bucket(bktAccounts).Get(k) == nil {
			return ErrNotFound
		}
		if n, err := r.s.queuedFrom(tx, email); err != nil {
			return err
		} else if n > 0 {
			return fmt.Errorf("%w: %d waiting", ErrOutboxNotEmpty, n)
		}
		if err := deleteKey(tx, [][]byte{bktAccounts}, k); err != nil {
			return err
		}
		if err := deleteBucketAt(tx, [][]byte{bktFolders, k}); err != nil {
			return err
		}
		for _, top := range [][]byte{bktMessages, bktSearch, bktDrafts} {
			if err := deleteBucketAt(tx, [][]byte{top, k}); err != nil {
				return err
			}
		}
		return r.s.appendNotes(tx, notes)
	})
	if err != nil {
		return fmt.Errorf("delete account: %w", err)
	}
	return nil
}

// queuedFrom counts the outbox items of account within tx.
func (s *Store) queuedFrom(tx *bolt.Tx, account string) (int, error) {
	n := 0
	path := [][]byte{bktOutbox}
	err := tx.Bucket(bktOutbox).ForEach(func(k, v []byte) error {
		var it OutboxItem
		if err := s.openJSON(path, k, v, &it); err != nil {
			return err
		}
		if normEmail(it.Account) == normEmail(account) {
			n++
		}
		return nil
	})
	return n, err
}
