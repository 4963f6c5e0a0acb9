package localstore

import (
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Settings are the user's application preferences, stored as one sealed record.
type Settings struct {
	AutoLockMinutes int // lock after this many idle minutes; 0 disables auto-lock
	// NotificationDetails lets new-mail notifications name the sender and
	// subject; off (private) by default.
	NotificationDetails bool
	// HeadersOnlySync keeps only the message list offline, not whole
	// messages; off by default.
	HeadersOnlySync bool
	// MaxMessageMB is the size cap for offline messages in MiB: larger
	// ones are stored as summaries only. 0 means the sync's built-in
	// default.
	MaxMessageMB int
	// CheckMinutes is how often, in minutes, the running app checks the
	// folders other than INBOX (which it watches with IDLE); 0 means the
	// engine's default.
	CheckMinutes int
	// Theme is the app's look: "light", "dark", or empty to follow the
	// desktop.
	Theme          string
	DefaultAccount string // address of the account preselected in the composer
	Signature      string // text appended to new messages
	// NoProviderLookup keeps account setup from asking Thunderbird's ISPDB
	// and the provider named by the domain's MX records for server
	// settings; off (they are asked) by default.
	NoProviderLookup bool
	// NoDKIMLookups keeps syncs and the reader from looking up the DKIM
	// keys of incoming mail in the DNS, which tells the resolver which
	// domains and selectors signed the mail read; off (they are looked
	// up) by default.
	NoDKIMLookups bool `json:",omitempty"`
	// CompactList shows the message list in compact rows.
	CompactList bool `json:",omitempty"`
	// ListViews is how the message list orders each folder whose order
	// the user changed, by account and folder (as backend.ListViewKey
	// joins them).
	ListViews map[string]ListView `json:",omitempty"`
	// SignIn holds the application's registration with each OAuth2
	// provider, by provider ID ("google", "microsoft", "yahoo", "aol", or
	// an organisation's own provider): empty until set.
	SignIn map[string]SignInClient `json:",omitempty"`
}

// ListView is how the message list orders one folder.
type ListView struct {
	Column    string // the sort column's name
	Ascending bool
	Threaded  bool
}

// SignInClient is the application's registration with one OAuth2
// provider. For a provider Sealpost has no preset for, it also says where
// the provider is.
type SignInClient struct {
	ClientID, ClientSecret string
	// Name, AuthURL, TokenURL, Scopes, Mechanism ("XOAUTH2" or
	// "OAUTHBEARER") and Servers (the provider's IMAP and SMTP hosts, the
	// only ones its tokens go to; ".example.com" for every host under a
	// domain) describe a provider without a preset; a preset's own are
	// used otherwise.
	Name, AuthURL, TokenURL string   `json:",omitempty"`
	Scopes                  []string `json:",omitempty"`
	Mechanism               string   `json:",omitempty"`
	Servers                 []string `json:",omitempty"`
}

// DefaultSettings returns the settings used when none are stored.
func DefaultSettings() Settings { return Settings{AutoLockMinutes: 15} }

// GetSettings returns the stored settings, or DefaultSettings if none are stored.
func (s *Store) GetSettings() (Settings, error) {
	st := DefaultSettings()
	err := s.view(func(tx *bolt.Tx) error {
		return s.getJSON(tx, [][]byte{bktSettings}, keySettings, &st)
	})
	if errors.Is(err, ErrNotFound) {
		return DefaultSettings(), nil
	}
	if err != nil {
		return Settings{}, fmt.Errorf("read settings: %w", err)
	}
	return st, nil
}

// PutSettings stores st, replacing the previous settings.
func (s *Store) PutSettings(st Settings) error {
	err := s.update(func(tx *bolt.Tx) error {
		return s.putJSON(tx, [][]byte{bktSettings}, keySettings, &st)
	})
	if err != nil {
		return fmt.Errorf("store settings: %w", err)
	}
	return nil
}
