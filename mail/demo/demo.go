// Package demo sets up a throwaway Sealpost demo: in-process IMAP and SMTP
// servers on 127.0.0.1 holding two users, alice and bob, a fresh profile for
// alice with keys exchanged and verified, and alice's INBOX seeded with mail
// from bob that the real engine composed: encrypted and signed with an
// attachment, signed only, plain, one whose signature fails, and one whose
// subject only header protection reveals.
//
// Bob's profile lives in a temporary folder removed by Close. The servers
// keep their mailboxes in memory and live until Close.
package demo

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"

	"github.com/sealpost/sealpost/crypto"
	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail"
	"github.com/sealpost/sealpost/mail/backend"
)

// The demo users.
const (
	Alice = "alice@demo.sealpost.test"
	Bob   = "bob@demo.sealpost.test"
)

// names are the display names of the demo users.
var names = map[string]string{Alice: "Alice Demo", Bob: "Bob Demo"}

// ErrDirExists means the folder for the demo profile already exists; the
// demo only creates fresh profiles.
var ErrDirExists = errors.New("the demo profile folder already exists: remove it first")

// Options configures Setup.
type Options struct {
	// Dir is the folder for alice's profile; it must not exist yet.
	Dir string
	// Passphrase unlocks alice's profile.
	Passphrase []byte
	// Store configures both profiles' stores (tests pass cheap KDF
	// parameters); nil means the defaults.
	Store *localstore.Options
}

// Seed is one message of alice's seeded INBOX.
type Seed struct {
	// Subject is the subject alice sees (the protected one when the message
	// is encrypted).
	Subject string
	// Mode is the security mode bob sent it with (a mail.Mode constant).
	Mode string
	// Tampered is true when the body was changed after signing, so the
	// signature must fail.
	Tampered bool
	// Attachment names the attached file; empty for none.
	Attachment string

	body string
}

// tamperFrom and tamperTo are the body text the tampered seed changes
// after signing (same length, plain ASCII so the bytes appear as written).
const (
	tamperFrom = "DE89 3704 0044 0532 0130 00"
	tamperTo   = "GB33 BUKB 2020 1555 5555 55"
)

// seeds are the messages bob sends alice, oldest first.
var seeds = []Seed{
	{Subject: "Encrypted and signed: the plan for Friday", Mode: mail.ModeEncrypt, Attachment: "agenda.txt",
		body: "Hi Alice,\r\n\r\nthe agenda for Friday is attached. Only you and I can read this message,\r\n" +
			"and the seal shows it really comes from me.\r\n\r\nTry replying: your answer is encrypted to my key.\r\n\r\nBob\r\n"},
	{Subject: "Signed, not encrypted: the office moves on Monday", Mode: mail.ModeSign,
		body: "Hi Alice,\r\n\r\nthis message is signed but not encrypted: anyone on the way can read it,\r\n" +
			"but nobody can change it without the signature breaking.\r\n\r\nBob\r\n"},
	{Subject: "Plain mail: lunch tomorrow?", Mode: mail.ModePlain,
		body: "Hi Alice,\r\n\r\nthis one is neither signed nor encrypted, like most mail today.\r\n\r\nBob\r\n"},
	{Subject: "Signed, then altered on the way: the new bank account", Mode: mail.ModeSign, Tampered: true,
		body: "Hi Alice,\r\n\r\nplease send the money to my new account: " + tamperFrom + ".\r\n\r\nBob\r\n"},
	{Subject: "This subject is encrypted: servers only see [...]", Mode: mail.ModeEncrypt,
		body: "Hi Alice,\r\n\r\nthe subject of this message travels inside the encryption: the servers\r\n" +
			"only saw \"[...]\". Sealpost shows you the real one.\r\n\r\nBob\r\n"},
}

// Seeds returns the messages bob sends alice, oldest first.
func Seeds() []Seed { return slices.Clone(seeds) }

// Demo is a running demo: the servers, alice's profile folder (closed, for
// the app to open) and bob's profile.
type Demo struct {
	// Servers are the running demo servers.
	Servers *Servers
	// Dir is alice's profile folder.
	Dir string

	bob    *mail.Profile
	bobDir string
}

// Setup starts the servers, creates alice's profile at opts.Dir and bob's
// in a temporary folder, gives each a key and the other's verified key,
// adds their accounts (pinning the servers' certificate, which the audit
// trail records), sends alice the Seeds from bob through the demo SMTP
// server and synchronises alice's profile. Alice's profile is closed when
// Setup returns. On failure everything Setup made is removed.
func Setup(ctx context.Context, opts Options) (d *Demo, err error) {
	if _, err := os.Stat(opts.Dir); err == nil {
		return nil, fmt.Errorf("%s: %w", opts.Dir, ErrDirExists)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("check the demo profile folder: %w", err)
	}
	srv, err := StartServers(Alice, Bob)
	if err != nil {
		return nil, fmt.Errorf("start the demo servers: %w", err)
	}
	d = &Demo{Servers: srv, Dir: opts.Dir}
	defer func() {
		if err != nil {
			err = errors.Join(err, d.Close(), os.RemoveAll(opts.Dir))
			d = nil
		}
	}()
	if d.bobDir, err = os.MkdirTemp("", "sealpost-demo-bob-"); err != nil {
		return d, fmt.Errorf("create bob's profile folder: %w", err)
	}
	// Bob's passphrase is never shown: his profile exists only to send.
	if d.bob, err = mail.CreateProfile(d.bobDir+"/profile", []byte(rand.Text()), &mail.ProfileOptions{Store: opts.Store}); err != nil {
		return d, fmt.Errorf("create bob's profile: %w", err)
	}
	alice, err := mail.CreateProfile(opts.Dir, opts.Passphrase, &mail.ProfileOptions{Store: opts.Store})
	if err != nil {
		return d, fmt.Errorf("create alice's profile: %w", err)
	}
	defer func() {
		if cerr := alice.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("close alice's profile: %w", cerr))
		}
	}()
	if err := exchangeKeys(alice, d.bob); err != nil {
		return d, err
	}
	for email, p := range map[string]*mail.Profile{Alice: alice, Bob: d.bob} {
		if err := d.addAccount(ctx, p, email); err != nil {
			return d, err
		}
	}
	if err := d.seed(ctx); err != nil {
		return d, err
	}
	if err := alice.Syncer().Sync(ctx, mail.SyncRequest{Account: Alice}); err != nil {
		return d, fmt.Errorf("synchronise alice's profile: %w", err)
	}
	return d, nil
}

// exchangeKeys gives alice and bob a key each, imports each public key into
// the other profile and marks it verified, as if they had compared
// fingerprints in person.
func exchangeKeys(alice, bob *mail.Profile) error {
	pair := []struct {
		email     string
		own, peer *mail.Profile
	}{{Alice, alice, bob}, {Bob, bob, alice}}
	for _, x := range pair {
		if _, err := x.own.Keys().GenerateKey(names[x.email], x.email, crypto.AlgoCurve25519, 0); err != nil {
			return fmt.Errorf("generate %s's key: %w", x.email, err)
		}
	}
	for _, x := range pair {
		pub, err := x.own.Keys().ExportPublic(x.email)
		if err != nil {
			return fmt.Errorf("export %s's public key: %w", x.email, err)
		}
		res, err := x.peer.Keys().ImportKeys([]byte(pub), nil)
		if err != nil {
			return fmt.Errorf("import %s's public key: %w", x.email, err)
		}
		if len(res) != 1 {
			return fmt.Errorf("importing %s's public key gave %d keys, want 1", x.email, len(res))
		}
		if _, err := x.peer.Keys().VerifyKey(res[0].Key.Fingerprint); err != nil {
			return fmt.Errorf("verify %s's key: %w", x.email, err)
		}
	}
	return nil
}

// addAccount adds email's demo account to p, pinning the servers'
// certificate.
func (d *Demo) addAccount(ctx context.Context, p *mail.Profile, email string) error {
	pw, err := d.Servers.Password(email)
	if err != nil {
		return err
	}
	_, err = p.Accounts().Add(ctx, mail.AccountSettings{
		Email: email, Name: names[email], Secret: []byte(pw),
		IMAP:      mail.Server{Host: Host, Port: d.Servers.IMAPPort, Security: "tls"},
		SMTP:      mail.Server{Host: Host, Port: d.Servers.SMTPPort, Security: "tls"},
		TrustCert: d.Servers.CertSHA256,
	}, nil)
	if err != nil {
		return fmt.Errorf("add %s's account: %w", email, err)
	}
	return nil
}

// seed sends alice the seeds from bob's profile through the demo SMTP
// server; the tampered one is composed, altered, then submitted as is.
func (d *Demo) seed(ctx context.Context) error {
	for _, s := range seeds {
		draft := backend.Draft{To: []string{names[Alice] + " <" + Alice + ">"}, Subject: s.Subject, Body: s.body}
		if s.Attachment != "" {
			draft.Attachments = []backend.Attachment{{Filename: s.Attachment,
				Data: []byte("Friday\n 09:00 coffee\n 10:00 key signing\n 12:00 lunch\n")}}
		}
		sec := backend.Security{Mode: s.Mode}
		if !s.Tampered {
			if _, err := d.bob.Outbox().Send(ctx, Bob, draft, sec); err != nil {
				return fmt.Errorf("send %q: %w", s.Subject, err)
			}
			continue
		}
		draft.FromName = names[Bob]
		raw, err := d.bob.Composer().Compose(Bob, draft, sec)
		if err != nil {
			return fmt.Errorf("compose %q: %w", s.Subject, err)
		}
		altered := bytes.Replace(raw, []byte(tamperFrom), []byte(tamperTo), 1)
		if bytes.Equal(altered, raw) {
			return fmt.Errorf("compose %q: the signed body does not hold the text to alter", s.Subject)
		}
		if _, err := d.bob.Outbox().SendRaw(ctx, Bob, altered); err != nil {
			return fmt.Errorf("send %q: %w", s.Subject, err)
		}
	}
	return nil
}

// Close stops the servers and removes bob's profile; calling it again does
// nothing more. Alice's profile stays (its folder is the caller's).
func (d *Demo) Close() error {
	var errs []error
	if d.bob != nil {
		errs = append(errs, d.bob.Close())
		d.bob = nil
	}
	if d.bobDir != "" {
		errs = append(errs, os.RemoveAll(d.bobDir))
		d.bobDir = ""
	}
	errs = append(errs, d.Servers.Close())
	return errors.Join(errs...)
}
