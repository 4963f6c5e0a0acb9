package mailtest

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail"
)

// Passphrase unlocks every profile this package creates.
const Passphrase = "mailtest passphrase"

// setupTimeout bounds adding an account (two logins on the test servers).
const setupTimeout = time.Minute

// StoreOptions makes profiles cheap to create and unlock (a small Argon2id
// cost). The parameters are stored in the profile, so every process that
// opens it later, a command under test say, uses them too.
func StoreOptions() *localstore.Options {
	return &localstore.Options{KDF: &localstore.KDFParams{Time: 1, MemoryKiB: 8 * 1024, Threads: 1}}
}

// ProfileOptions returns a copy of opts (nil means none) that trusts the
// servers' CA and, unless opts sets Store, uses StoreOptions.
func (s *Servers) ProfileOptions(opts *mail.ProfileOptions) *mail.ProfileOptions {
	var o mail.ProfileOptions
	if opts != nil {
		o = *opts
	}
	if o.Store == nil {
		o.Store = StoreOptions()
	}
	o.RootCAs = s.CA
	return &o
}

// Account returns the settings of user's account on the servers: both
// over implicit TLS, the user's password, a display name from the local
// part ("Alice" for alice@...).
func (s *Servers) Account(user string) mail.AccountSettings {
	local, _, _ := strings.Cut(user, "@")
	return mail.AccountSettings{
		Email: user, Name: strings.ToUpper(local[:1]) + local[1:], Secret: []byte(s.Users[user]),
		IMAP: s.IMAP, SMTP: s.SMTP,
	}
}

// NewProfile creates a profile in a temporary folder that trusts the
// servers' CA, adds user's account (which logs in to both servers) and
// returns it open; t.Cleanup closes it. opts may be nil (see
// ProfileOptions).
func NewProfile(t testing.TB, s *Servers, user string, opts *mail.ProfileOptions) *mail.Profile {
	t.Helper()
	p := create(t, s.ProfileOptions(opts))
	t.Cleanup(func() { p.Close() })
	addAccount(t, s, p, s.Account(user))
	return p
}

// NewEngine makes a profile like NewProfile and returns an engine unlocked
// on it with the same options; t.Cleanup locks it. With opts.Sessions set,
// the account's session starts at the unlock.
func NewEngine(t testing.TB, s *Servers, user string, opts *mail.ProfileOptions) *mail.Engine {
	t.Helper()
	opts = s.ProfileOptions(opts)
	p := create(t, opts)
	addAccount(t, s, p, s.Account(user))
	if err := p.Close(); err != nil {
		t.Fatalf("mailtest: close the new profile: %v", err)
	}
	e := mail.NewEngine(p.Dir(), opts)
	if err := e.Unlock(t.Context(), []byte(Passphrase)); err != nil {
		t.Fatalf("mailtest: unlock: %v", err)
	}
	t.Cleanup(func() { _ = e.Lock() })
	return e
}

// PinnedProfileDir creates a profile with user's account whose servers'
// certificate is pinned rather than trusted through the CA, closes it and
// returns its folder: any process can open it with Passphrase and no
// options, as the sealpost command does. The pin is in the account and in
// the audit trail.
func PinnedProfileDir(t testing.TB, s *Servers, user string) string {
	t.Helper()
	p := create(t, &mail.ProfileOptions{Store: StoreOptions()})
	settings := s.Account(user)
	settings.TrustCert = s.CertSHA256
	addAccount(t, s, p, settings)
	if err := p.Close(); err != nil {
		t.Fatalf("mailtest: close the new profile: %v", err)
	}
	return p.Dir()
}

// create creates an empty profile in a temporary folder.
func create(t testing.TB, opts *mail.ProfileOptions) *mail.Profile {
	t.Helper()
	p, err := mail.CreateProfile(filepath.Join(t.TempDir(), "profile"), []byte(Passphrase), opts)
	if err != nil {
		t.Fatalf("mailtest: create a profile: %v", err)
	}
	return p
}

// addAccount adds settings' account to p.
func addAccount(t testing.TB, s *Servers, p *mail.Profile, settings mail.AccountSettings) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	if _, err := p.Accounts().Add(ctx, settings, nil); err != nil {
		t.Fatalf("mailtest: add %s's account: %v\n%s", settings.Email, err, s.Log())
	}
}
