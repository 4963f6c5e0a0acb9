// Package mail is Sealpost's engine: it owns the unlocked profile, key
// management and (later) accounts, synchronisation and submission. The UI
// and the command line talk to it; it talks to crypto and localstore.
package mail

import (
	"crypto/x509"
	"fmt"
	"net"
	"time"

	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail/delivery"
	"github.com/sealpost/sealpost/mail/transport"
	"github.com/sealpost/sealpost/mail/travel"
)

// Audit entry kinds written by the engine.
const (
	AuditProfileCreated   = "profile.created"
	AuditPassphraseChange = "profile.passphrase_changed"
	AuditKeyGenerated     = "key.generated"
	AuditKeyImported      = "key.imported"
	AuditKeyUpdated       = "key.updated"
	AuditKeyVerified      = "key.verified"
	AuditKeyDeleted       = "key.deleted"
	AuditKeyRevoked       = "key.revoked"
	AuditKeyExported      = "key.secret_exported"
)

// Profile is an unlocked Sealpost profile: it opens and locks the
// encrypted store and hands out the services that work on it, each with one
// job (Keys, Accounts, Syncer, Messages, Index, Inspector, Composer, Outbox,
// Drafts, Audit, Settings). The services depend on each other through
// fields set here, never through the profile. The engine calls them from
// several goroutines at once: the store serialises writes, and the
// services' caches and the outbox sender have locks. A change made of a
// read and a later write (such as editing an account) is not atomic against
// another change of the same record. The UI reaches the profile through the
// engine, never directly.
type Profile struct {
	store *localstore.Store

	keys        *Keyring
	settings    *Settings
	audit       *Audit
	tokens      *Tokens
	signIns     *SignIns
	connections *Connections
	accounts    *Accounts
	inspector   *Inspector
	composer    *Composer
	drafts      *Drafts
	index       *Index
	syncer      *Syncer
	messages    *Messages
	outbox      *Outbox
	delivery    *Delivery
}

// ProfileOptions tune how a profile is created or opened. The zero value is
// what the application uses.
type ProfileOptions struct {
	// Store is passed to the encrypted store (KDF parameters, lock timeout).
	Store *localstore.Options
	// Now replaces the clock, for tests.
	Now func() time.Time
	// RootCAs replaces the system's certificate authorities, for tests
	// against servers with generated certificates.
	RootCAs *x509.CertPool
	// Dialer replaces the network dialer, for tests that map host names
	// to loopback servers.
	Dialer transport.Dialer
	// StallTimeout is how long a connection waits for a server that sends
	// nothing before it fails with transport.ErrServerStalled; zero means
	// transport.DefaultStallTimeout.
	StallTimeout time.Duration
	// Resolver is the DNS resolver (host:port) the delivery checks ask;
	// empty means the first nameserver of /etc/resolv.conf. Tests point it
	// at a local server.
	Resolver string
	// LookupTXT replaces the DNS lookups of DKIM keys while syncing, for
	// tests against a DNS server of their own; nil means the system's
	// resolver.
	LookupTXT travel.LookupTXT
	// Sessions, if set, makes an Engine run a session per account while
	// the profile is unlocked: mail is fetched as it arrives and reported
	// as events. The app and `sealpost watch` set it; one-shot commands
	// leave it nil.
	Sessions *SessionOptions
}

func (o *ProfileOptions) clock() func() time.Time {
	if o != nil && o.Now != nil {
		return o.Now
	}
	return time.Now
}

// network returns the roots and dialer connections use (nil: the system's)
// and their stall timeout (zero: the default).
func (o *ProfileOptions) network() (*x509.CertPool, transport.Dialer, time.Duration) {
	if o == nil {
		return nil, nil, 0
	}
	return o.RootCAs, o.Dialer, o.StallTimeout
}

// deliveryOptions configure the delivery checks: the resolver, and the
// roots and dialer of the network for the MTA-STS policy fetch.
func (o *ProfileOptions) deliveryOptions() delivery.Options {
	if o == nil {
		return delivery.Options{}
	}
	opts := delivery.Options{Resolver: o.Resolver, RootCAs: o.RootCAs}
	if o.Dialer != nil {
		opts.Dialer = o.Dialer
	}
	return opts
}

// lookupTXT returns the DNS lookup of DKIM keys: LookupTXT, else the
// system's resolver.
func (o *ProfileOptions) lookupTXT() travel.LookupTXT {
	if o != nil && o.LookupTXT != nil {
		return o.LookupTXT
	}
	return net.DefaultResolver.LookupTXT
}

func (o *ProfileOptions) storeOptions() *localstore.Options {
	if o == nil {
		return nil
	}
	return o.Store
}

// ProfileExists reports whether dir already holds a Sealpost profile.
func ProfileExists(dir string) bool { return localstore.Exists(dir) }

// CreateProfile creates a new encrypted profile in dir, protected by
// passphrase, and records its creation in the audit trail.
func CreateProfile(dir string, passphrase []byte, opts *ProfileOptions) (*Profile, error) {
	store, err := localstore.Create(dir, passphrase, opts.storeOptions())
	if err != nil {
		return nil, err
	}
	p := newProfile(store, opts)
	if _, err := store.AppendAudit(AuditProfileCreated, "", "encrypted profile created"); err != nil {
		store.Close()
		return nil, fmt.Errorf("record profile creation: %w", err)
	}
	return p, nil
}

// OpenProfile unlocks the profile in dir with passphrase. A wrong
// passphrase yields an error wrapping localstore.ErrWrongPassphrase and
// leaves the profile untouched.
func OpenProfile(dir string, passphrase []byte, opts *ProfileOptions) (*Profile, error) {
	store, err := localstore.Open(dir, passphrase, opts.storeOptions())
	if err != nil {
		return nil, err
	}
	p := newProfile(store, opts)
	return p, nil
}

// newProfile makes the profile of an open store and its services.
func newProfile(store *localstore.Store, opts *ProfileOptions) *Profile {
	now := opts.clock()
	p := &Profile{store: store}
	p.keys = &Keyring{store: store, now: now}
	p.settings = &Settings{store: store}
	p.audit = &Audit{store: store, keys: p.keys, now: now}
	rootCAs, dialer, stall := opts.network()
	p.tokens = &Tokens{store: store, settings: p.settings, rootCAs: rootCAs, now: now}
	p.signIns = &SignIns{tokens: p.tokens, settings: p.settings}
	p.connections = &Connections{rootCAs: rootCAs, dialer: dialer, stall: stall, tokens: p.tokens}
	p.accounts = &Accounts{store: store, now: now, connections: p.connections, settings: p.settings}
	p.inspector = &Inspector{keys: p.keys, now: now}
	p.composer = &Composer{store: store, keys: p.keys, accounts: p.accounts, inspector: p.inspector, now: now}
	p.drafts = &Drafts{store: store, accounts: p.accounts, connections: p.connections, keys: p.keys, now: now}
	p.index = &Index{store: store, accounts: p.accounts, keys: p.keys, inspector: p.inspector}
	p.syncer = newSyncer(p, opts.lookupTXT(), now)
	p.messages = &Messages{store: store, accounts: p.accounts, syncer: p.syncer, settings: p.settings}
	p.delivery = newDelivery(store, opts.deliveryOptions(), now)
	p.outbox = &Outbox{store: store, accounts: p.accounts, connections: p.connections, composer: p.composer,
		delivery: p.delivery, now: now}
	return p
}

// Keys is the profile's keyring: own keys and contacts' keys.
func (p *Profile) Keys() *Keyring { return p.keys }

// Settings are the profile's settings.
func (p *Profile) Settings() *Settings { return p.settings }

// SignIns signs accounts in with OAuth2 providers.
func (p *Profile) SignIns() *SignIns { return p.signIns }

// Accounts are the profile's mail accounts.
func (p *Profile) Accounts() *Accounts { return p.accounts }

// Outbox sends mail and keeps what is not sent yet.
func (p *Profile) Outbox() *Outbox { return p.outbox }

// Delivery tells how mail to recipient domains will travel.
func (p *Profile) Delivery() *Delivery { return p.delivery }

// Drafts are the messages being written.
func (p *Profile) Drafts() *Drafts { return p.drafts }

// Connections reaches the accounts' servers and says how the latest
// connections were secured.
func (p *Profile) Connections() *Connections { return p.connections }

// Syncer keeps the local copy of the accounts' mail up to date.
func (p *Profile) Syncer() *Syncer { return p.syncer }

// Messages is the local copy of mail: folders, lists, messages and the
// actions on them.
func (p *Profile) Messages() *Messages { return p.messages }

// Index is the search index of the local copy of mail.
func (p *Profile) Index() *Index { return p.index }

// Inspector decrypts and verifies messages with the profile's keys.
func (p *Profile) Inspector() *Inspector { return p.inspector }

// Composer writes outgoing messages, replies and forwards.
func (p *Profile) Composer() *Composer { return p.composer }

// Audit is the profile's audit trail.
func (p *Profile) Audit() *Audit { return p.audit }

// Close locks the profile again, after stopping the DKIM checks that run
// in the background.
func (p *Profile) Close() error {
	p.syncer.checks.close()
	return p.store.Close()
}

// Dir is the folder that holds the profile.
func (p *Profile) Dir() string { return p.store.Dir() }

// ChangePassphrase rewraps the profile's master key under a new passphrase.
// The old passphrase must be given again; nothing else in the store changes.
func (p *Profile) ChangePassphrase(oldPass, newPass []byte) error {
	if err := localstore.CheckPassphrase(newPass); err != nil {
		return err
	}
	if err := p.store.ChangePassphrase(oldPass, newPass); err != nil {
		return err
	}
	return writeAudit(p.store, AuditPassphraseChange, "", "master key rewrapped under a new passphrase")
}
