// Package mail is Sealpost's engine: it owns the unlocked profile, key
// management and (later) accounts, synchronisation and submission. The UI
// and the command line talk to it; it talks to crypto and localstore.
package mail

import (
	"crypto/x509"
	"fmt"
	"sync"
	"time"

	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail/submit"
	"github.com/sealpost/sealpost/mail/transport"
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

// Profile is an unlocked Sealpost profile. The engine calls it from several
// goroutines at once: the store serialises writes, and the profile's own
// caches and its outbox sender have locks. A change made of a read and a
// later write (such as editing an account) is not atomic against another
// change of the same record. The UI reaches it through the engine, never
// directly.
type Profile struct {
	store   *localstore.Store
	now     func() time.Time
	rootCAs *x509.CertPool
	dialer  transport.Dialer
	stall   time.Duration // transport.Policy.StallTimeout of every connection

	connMu sync.Mutex
	conns  map[string]Connection // latest connection per account and protocol

	keys *Keyring

	// sender is the profile's one outbox sender (see outbox), made once:
	// its claims keep a message from being submitted by two calls at once.
	senderOnce sync.Once
	sender     *submit.Outbox
	senderErr  error
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
	p := &Profile{store: store, now: opts.clock()}
	p.rootCAs, p.dialer, p.stall = opts.network()
	p.keys = &Keyring{store: store, now: p.now}
	return p
}

// Keys is the profile's keyring: own keys and contacts' keys.
func (p *Profile) Keys() *Keyring { return p.keys }

// Close locks the profile again.
func (p *Profile) Close() error { return p.store.Close() }

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
	return p.audit(AuditPassphraseChange, "", "master key rewrapped under a new passphrase")
}

// AuditEntries returns the audit trail, oldest first.
func (p *Profile) AuditEntries() ([]localstore.AuditEntry, error) {
	return p.store.AuditEntries()
}

// VerifyAudit checks the audit trail's hash chain.
func (p *Profile) VerifyAudit() (localstore.AuditReport, error) {
	return p.store.VerifyAudit()
}

func (p *Profile) audit(kind, subject, detail string) error {
	return writeAudit(p.store, kind, subject, detail)
}

// writeAudit appends an entry to the store's audit trail.
func writeAudit(store *localstore.Store, kind, subject, detail string) error {
	if _, err := store.AppendAudit(kind, subject, detail); err != nil {
		return fmt.Errorf("write audit entry %s: %w", kind, err)
	}
	return nil
}

// auditNote is an audit entry written in the same transaction as the change
// it records.
func auditNote(kind, subject, detail string) localstore.AuditNote {
	return localstore.AuditNote{Kind: kind, Subject: subject, Detail: detail}
}

// Settings returns the profile's settings (the defaults when none were
// saved yet).
func (p *Profile) Settings() (localstore.Settings, error) { return p.store.GetSettings() }

// SaveSettings stores the profile's settings, sealed.
func (p *Profile) SaveSettings(s localstore.Settings) error { return p.store.PutSettings(s) }
