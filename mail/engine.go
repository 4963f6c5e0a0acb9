package mail

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"sync"

	"github.com/sealpost/sealpost/crypto/verdict"
	"github.com/sealpost/sealpost/mail/backend"
)

// ErrProfileLocked means an operation needs the unlocked profile.
var ErrProfileLocked = errors.New("the profile is locked: unlock it with your passphrase")

// Engine is what the desktop app talks to: one profile folder, locked or
// unlocked. Its methods are safe to call from any goroutine; the UI calls
// them off the UI goroutine because unlocking takes a noticeable moment.
//
// With ProfileOptions.Sessions set, the engine runs a session per account
// while the profile is unlocked (see session.go): mail arrives by itself
// and is reported as events (Subscribe).
type Engine struct {
	dir    string
	opts   *ProfileOptions
	events *eventBus

	mu      sync.RWMutex // guards profile; read-held while a call uses it
	profile *Profile

	liveMu sync.Mutex // guards live
	live   *sessions  // running sessions; nil when none run
}

// NewEngine returns an engine for the profile in dir, locked.
func NewEngine(dir string, opts *ProfileOptions) *Engine {
	return &Engine{dir: dir, opts: opts, events: newEventBus(opts.clock())}
}

// Subscribe returns the engine's events from now on until ctx is done.
func (e *Engine) Subscribe(ctx context.Context) <-chan backend.Event { return e.events.subscribe(ctx) }

// ConnectionStates returns the latest connection event of each account
// whose session runs.
func (e *Engine) ConnectionStates() map[string]backend.Event { return e.events.connectionStates() }

// Live reports whether the engine's sessions run.
func (e *Engine) Live() bool { return e.sessions() != nil }

// The engine reports what its sessions do as events.
var _ backend.Events = (*Engine)(nil)

// ProfileDir is the folder of the engine's profile.
func (e *Engine) ProfileDir() string { return e.dir }

// ProfileExists reports whether the profile has been created.
func (e *Engine) ProfileExists() bool { return ProfileExists(e.dir) }

// CreateProfile creates the profile and leaves it unlocked.
func (e *Engine) CreateProfile(ctx context.Context, passphrase []byte) error {
	p, err := CreateProfile(e.dir, passphrase, e.opts)
	if err != nil {
		return err
	}
	e.swap(p)
	return nil
}

// Unlock opens the profile with passphrase.
func (e *Engine) Unlock(ctx context.Context, passphrase []byte) error {
	p, err := OpenProfile(e.dir, passphrase, e.opts)
	if err != nil {
		return reportDamage(err)
	}
	e.swap(p)
	return nil
}

// Lock closes the profile; decrypted state held by the engine is dropped.
// The sessions are cancelled first; Lock then waits for calls that are
// using the profile (a submission already under way finishes).
func (e *Engine) Lock() error {
	e.stopSessions()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.profile == nil {
		return nil
	}
	err := e.profile.Close()
	e.profile = nil
	return err
}

// with runs f with the unlocked profile, which stays open until f returns.
// Once ctx is done f no longer runs: a caller that gave up, or a session
// that was stopped before the profile it belonged to was locked, never
// touches the profile (nor a later one).
func (e *Engine) with(ctx context.Context, f func(p *Profile) error) error {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	if e.profile == nil {
		return ErrProfileLocked
	}
	return reportDamage(f(e.profile))
}

// startSessionsIfWanted starts the sessions when the engine runs them.
func (e *Engine) startSessionsIfWanted() {
	if e.opts == nil || e.opts.Sessions == nil {
		return
	}
	e.liveMu.Lock()
	defer e.liveMu.Unlock()
	if e.live == nil {
		e.live = e.startSessions(*e.opts.Sessions)
	}
}

// stopSessions cancels the running sessions without waiting for them.
func (e *Engine) stopSessions() {
	e.liveMu.Lock()
	live := e.live
	e.live = nil
	e.liveMu.Unlock()
	if live != nil {
		live.stop()
	}
}

// sessions returns the running sessions, or nil.
func (e *Engine) sessions() *sessions {
	e.liveMu.Lock()
	defer e.liveMu.Unlock()
	return e.live
}

// accountsChanged starts or stops the session of account after it was
// added, edited or removed: an edited account's session starts over with
// the new settings.
func (e *Engine) accountsChanged(account string, exists bool) {
	live := e.sessions()
	if live == nil {
		return
	}
	account = strings.ToLower(account)
	live.stopAccount(account)
	if exists {
		live.startAccount(account)
	}
}

// restartSessions starts every session over, so changed settings apply.
func (e *Engine) restartSessions() {
	if e.sessions() == nil {
		return
	}
	e.stopSessions()
	e.startSessionsIfWanted()
}

// sendFailed has the outbox sender plan the retry of a message that could
// not be sent and now waits in the outbox.
func (e *Engine) sendFailed() {
	if live := e.sessions(); live != nil {
		signal(live.outboxLate)
	}
}

// kickReplay asks the session of account to send its queued actions to
// the server now.
func (e *Engine) kickReplay(account string) {
	if live := e.sessions(); live != nil {
		if s := live.session(strings.ToLower(account)); s != nil {
			s.kickReplay()
		}
	}
}

// ListKeys lists own and contacts' keys of the unlocked profile.
func (e *Engine) ListKeys(ctx context.Context) (keys []KeyInfo, err error) {
	err = e.with(ctx, func(p *Profile) error { keys, err = p.Keys().ListKeys(); return err })
	return keys, err
}

// ImportKeys imports public keys. Secret keys are refused here: the key
// manager imports them with their passphrase.
func (e *Engine) ImportKeys(ctx context.Context, data []byte) (keys []KeyInfo, err error) {
	err = e.with(ctx, func(p *Profile) error {
		res, err := p.Keys().ImportKeys(data, func(fingerprint string, _ []string) ([]byte, error) {
			return nil, fmt.Errorf("%s: %w; import it as your own key, with its passphrase", GroupFingerprint(fingerprint), ErrKeyPassphraseNeeded)
		})
		for _, r := range res {
			keys = append(keys, r.Key)
		}
		return err
	})
	return keys, err
}

// VerifyKey marks a contact's key as verified.
func (e *Engine) VerifyKey(ctx context.Context, fingerprint string) (key KeyInfo, err error) {
	err = e.with(ctx, func(p *Profile) error { key, err = p.Keys().VerifyKey(fingerprint); return err })
	return key, err
}

// KeyStates returns the key each address would be encrypted to: an own
// key, else a usable verified contact key, else the newest usable one.
func (e *Engine) KeyStates(ctx context.Context, addresses []string) (states []backend.KeyState, err error) {
	err = e.with(ctx, func(p *Profile) error {
		all, err := p.Keys().ListKeys()
		if err != nil {
			return err
		}
		states = make([]backend.KeyState, len(addresses))
		for i, a := range addresses {
			states[i] = keyStateFor(a, all)
		}
		return nil
	})
	return states, err
}

func keyStateFor(address string, all []KeyInfo) backend.KeyState {
	st := backend.KeyState{Address: address}
	email := address
	if a, err := mail.ParseAddress(address); err == nil {
		email = a.Address
	}
	rank := func(k KeyInfo) int {
		switch {
		case k.Verification == backend.VerificationOwn && k.Default:
			return 4
		case k.Verification == backend.VerificationOwn:
			return 3
		case k.Verification == backend.VerificationVerified:
			return 2
		}
		return 1
	}
	best := -1
	for i, k := range all {
		if k.Usable != "" || !containsFold(k.Emails, email) {
			continue
		}
		if best < 0 || rank(k) > rank(all[best]) || (rank(k) == rank(all[best]) && k.CreatedAt.After(all[best].CreatedAt)) {
			best = i
		}
	}
	if best >= 0 {
		st.Fingerprint, st.Verification = all[best].Fingerprint, all[best].Verification
	}
	return st
}

// Accounts lists the configured accounts.
func (e *Engine) Accounts(ctx context.Context) (out []backend.Account, err error) {
	err = e.with(ctx, func(p *Profile) error {
		accts, err := p.Accounts().List()
		for _, a := range accts {
			out = append(out, backend.Account{Email: a.Email, Name: a.Name})
		}
		return err
	})
	return out, err
}

// Folders lists the folders of account that are in the local store: the
// well-known names and every folder a sync in this session reported.
func (e *Engine) Folders(ctx context.Context, account string) (out []backend.Folder, err error) {
	err = e.with(ctx, func(p *Profile) error {
		folders, err := p.Messages().Folders(account)
		for _, f := range folders {
			out = append(out, backend.Folder{Account: account, Name: f.Name})
		}
		return err
	})
	return out, err
}

// Messages lists the newest limit messages of folder in account.
func (e *Engine) Messages(ctx context.Context, account, folder string, limit int) (out []backend.MessageSummary, err error) {
	err = e.with(ctx, func(p *Profile) (err error) {
		out, err = p.Messages().List(account, folder, limit)
		return err
	})
	return out, err
}

// Open decrypts and verifies a stored message and says how it travelled
// (as recorded when it was stored) and how the account's last IMAP
// connection was secured. It never waits on the DNS: DKIM signatures the
// record left not checked (the DNS failed some hours ago, or the message
// was just fetched) are checked again in the background; when a check
// changes the record, EventMessageChecked says so (see Travel).
func (e *Engine) Open(ctx context.Context, account, folder string, uid uint32) (m backend.Message, err error) {
	err = e.with(ctx, func(p *Profile) error {
		raw, err := p.Messages().Raw(ctx, account, folder, uid)
		if err != nil {
			return fmt.Errorf("message %d of %s: %w", uid, folder, err)
		}
		if m, err = inspectMessage(p, raw); err != nil {
			return err
		}
		if m.Travel, err = p.Messages().Travel(account, folder, uid); err != nil {
			return err
		}
		p.syncer.checkLater(account, folder, uid, m.Travel)
		if c, ok := p.Connections().Last(account, "imap"); ok {
			m.Transport = &backend.Transport{
				Server: c.Server.Host, Version: c.Version, CipherSuite: c.CipherSuite, CertSHA256: c.CertSHA256, Pinned: c.Pinned,
			}
		}
		return nil
	})
	return m, err
}

// Travel returns how a stored message travelled, as recorded (nil: not
// recorded). Unlike Open, it queues no check: it is what a reader calls
// when a background check changed the record (EventMessageChecked).
func (e *Engine) Travel(ctx context.Context, account, folder string, uid uint32) (t *backend.Travel, err error) {
	err = e.with(ctx, func(p *Profile) (err error) {
		t, err = p.Messages().Travel(account, folder, uid)
		return err
	})
	return t, err
}

// Inspect decrypts and verifies raw, a whole message, as Open does for a
// stored one.
func (e *Engine) Inspect(ctx context.Context, raw []byte) (m backend.Message, err error) {
	err = e.with(ctx, func(p *Profile) error { m, err = inspectMessage(p, raw); return err })
	return m, err
}

// InspectBlock decrypts or verifies an inline block of an opened message
// on its own (backend.BlockInspector).
func (e *Engine) InspectBlock(ctx context.Context, b backend.InlineBlock) (m backend.Message, err error) {
	err = e.with(ctx, func(p *Profile) error {
		v, err := p.Inspector().InspectBlock(verdict.Block{Kind: b.Kind, Path: b.Path, Armored: b.Armored,
			Charset: b.Charset, Sender: b.Sender, Date: b.Date})
		if err != nil {
			return fmt.Errorf("reading the block: %w", err)
		}
		m = withSigner(p, v)
		return nil
	})
	return m, err
}

func inspectMessage(p *Profile, raw []byte) (backend.Message, error) {
	v, err := p.Inspector().Inspect(raw)
	if err != nil {
		return backend.Message{}, fmt.Errorf("reading the message: %w", err)
	}
	return withSigner(p, v), nil
}

// withSigner is messageOf with the signer's user ID and verification
// level from the keyring.
func withSigner(p *Profile, v verdict.Result) backend.Message {
	m := messageOf(v)
	if fpr := v.Signature.SignerFingerprint; fpr != "" {
		if keys, err := p.Keys().FindKeys(fpr); err == nil && len(keys) > 0 {
			m.Signature.Verification = keys[0].Verification
			if len(keys[0].UserIDs) > 0 {
				m.Signature.Signer = keys[0].UserIDs[0]
			}
		}
	}
	return m
}

func messageOf(v verdict.Result) backend.Message {
	m := backend.Message{
		From: v.From, Subject: v.Subject, Encrypted: v.Encrypted, Decrypted: v.IntegrityProtected, Body: v.BodyText,
		SMIMEEncrypted: v.SMIMEEncrypted,
		To:             v.To, Cc: v.Cc, Bcc: v.Bcc, ReplyTo: v.ReplyTo, Date: v.Date, Protected: v.Protected,
		Warnings: ShownWarnings(v),
		Signature: backend.Signature{
			Status: string(v.Signature.Status), Fingerprint: v.Signature.SignerFingerprint,
			MatchesFrom: v.Signature.SignerMatchesFrom, WholeMessage: v.Signature.CoversWholeMessage,
			SignedAt: v.Signature.SignedAt, DateMismatch: v.Signature.DateMismatch,
		},
	}
	for _, b := range v.Blocks {
		m.Blocks = append(m.Blocks, backend.InlineBlock{Kind: b.Kind, Armored: b.Armored, Path: b.Path,
			Charset: b.Charset, Sender: b.Sender, Date: b.Date})
	}
	for _, a := range v.Attachments {
		m.Attachments = append(m.Attachments, backend.Attachment{Filename: a.Filename, ContentType: a.ContentType, Size: int(a.Size), Data: a.Data})
	}
	return m
}

// ShownWarnings are v's warnings less the date mismatch, for a reader that
// words v.Signature.DateMismatch itself (as the app's reader and the text
// of `sealpost inspect` do), so that the mismatch is said once.
func ShownWarnings(v Verdict) []string {
	if !v.Signature.DateMismatch {
		return v.Warnings
	}
	mismatch := verdict.DateMismatchWarning(v.Signature.SignedAt, v.Date)
	var out []string
	for _, w := range v.Warnings {
		if w != mismatch {
			out = append(out, w)
		}
	}
	return out
}

// Reply prepares an answer to a stored message.
func (e *Engine) Reply(ctx context.Context, account, folder string, uid uint32, all bool) (r backend.Reply, err error) {
	err = e.with(ctx, func(p *Profile) error {
		raw, err := p.Messages().Raw(ctx, account, folder, uid)
		if err != nil {
			return fmt.Errorf("message %d of %s: %w", uid, folder, err)
		}
		r, err = p.Composer().Reply(raw, all)
		return err
	})
	return r, err
}

// Sync fetches new mail of account (every account when empty).
func (e *Engine) Sync(ctx context.Context, account string, progress func(backend.SyncProgress)) error {
	return e.SyncWith(ctx, account, backend.SyncOptions{}, progress)
}

// Send composes and submits d from account. A missing recipient key is
// reported as a *backend.MissingKeysError; nothing is sent then.
func (e *Engine) Send(ctx context.Context, account string, d backend.Draft, sec backend.Security) error {
	switch sec.Mode {
	case backend.ModeEncrypt, backend.ModeSign, backend.ModePassword, backend.ModePlain:
	default: // the app always chooses; "auto" is the command line's
		return fmt.Errorf("%q: %w", sec.Mode, ErrUnknownMode)
	}
	return e.with(ctx, func(p *Profile) error {
		_, err := p.Outbox().Send(ctx, account, d, sec)
		if err != nil {
			e.sendFailed()
		}
		return err
	})
}

func (e *Engine) swap(p *Profile) {
	e.stopSessions()
	if p != nil {
		p.syncer.checked = e.messageChecked
	}
	e.mu.Lock()
	old := e.profile
	e.profile = p
	e.mu.Unlock()
	if old != nil {
		old.Close()
	}
	e.startSessionsIfWanted()
}

// messageChecked reports that a background DKIM check changed the record
// of message uid of folder in account.
func (e *Engine) messageChecked(account, folder string, uid uint32) {
	e.events.publish(backend.Event{Kind: backend.EventMessageChecked, Account: account, Folder: folder, UIDs: []uint32{uid}})
}

// The engine is the desktop app's backend.
var _ backend.Backend = (*Engine)(nil)

// It opens attached messages too.
var _ backend.MessageInspector = (*Engine)(nil)

// It reads a message's travel record on its own.
var _ backend.TravelReader = (*Engine)(nil)

// And inline blocks, on request.
var _ backend.BlockInspector = (*Engine)(nil)
