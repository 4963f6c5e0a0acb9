package mail

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/sealpost/sealpost/crypto"
	"github.com/sealpost/sealpost/crypto/pgpmime"
	"github.com/sealpost/sealpost/mail/backend"
)

// Security modes of an outgoing message.
const (
	ModeAuto     = "auto"
	ModeEncrypt  = "encrypt"
	ModeSign     = "sign"
	ModePassword = "password"
	ModePlain    = "plain"
)

// SecurityOptions say how an outgoing message is protected.
type SecurityOptions struct {
	// Mode is one of the Mode constants; empty means ModeAuto.
	Mode string
	// Password encrypts the message in ModePassword; share it out of band.
	Password []byte
	// AttachKey attaches the sender's public key.
	AttachKey bool
}

var (
	// ErrNoOwnKey means the sender has no usable own key to sign with.
	ErrNoOwnKey = errors.New("no usable own key for the sender: create one with `sealpost keys generate` or import one")
	// ErrUnknownMode means the security mode is not one Sealpost knows.
	ErrUnknownMode = errors.New("unknown security mode: use auto, encrypt, sign, password or plain")
	// ErrPasswordNeeded means ModePassword was chosen without a password.
	ErrPasswordNeeded = errors.New("password mode needs a password (share it with the recipients out of band)")
)

// Compose builds the message d from the address from, protected as sec
// asks, exactly as it would be submitted. In auto mode (the default) the
// message is encrypted and signed when every recipient has a usable key;
// otherwise it is refused with a *backend.MissingKeysError, never downgraded.
func (p *Profile) Compose(from string, d backend.Draft, sec SecurityOptions) ([]byte, error) {
	var buf bytes.Buffer
	if err := p.ComposeTo(&buf, from, d, sec); err != nil {
		clear(buf.Bytes())
		return nil, err
	}
	return buf.Bytes(), nil
}

// ComposeForTo composes like Send would, without network, and writes the
// message to w: from the account (its address and display name) or, with no
// account, from the address given, using the own key for it. See ComposeTo.
func (p *Profile) ComposeForTo(w io.Writer, account, from string, d backend.Draft, sec SecurityOptions) error {
	if account != "" {
		acct, err := p.account(account)
		if err != nil {
			return err
		}
		from, d.FromName = acct.Email, acct.DisplayName
	}
	return p.ComposeTo(w, from, d, sec)
}

// errComposeStopped ends the writing of a message that protection no longer
// reads (it failed, or it has read all it needs).
var errComposeStopped = errors.New("message composition stopped")

// ComposeTo is Compose for messages of any size: the message streams into w
// (attachments given with Attachment.Open are read as they are written), in
// bounded memory. Everything that can be checked before the first byte (the
// mode, addresses, keys) is; nothing is written to w when it fails. An error
// after that (an attachment that cannot be read to its end, a failing w)
// leaves an incomplete message in w, which the caller must discard.
func (p *Profile) ComposeTo(w io.Writer, from string, d backend.Draft, sec SecurityOptions) error {
	mode := sec.Mode
	if mode == "" {
		mode = ModeAuto
	}
	switch mode {
	case ModeAuto, ModeEncrypt, ModeSign, ModePassword, ModePlain:
	default:
		return fmt.Errorf("%q: %w", mode, ErrUnknownMode)
	}
	if mode == ModePassword && len(sec.Password) == 0 {
		return ErrPasswordNeeded
	}
	d.From = from
	now := p.now()
	msg, err := newOutgoing(d, now)
	if err != nil {
		return err
	}
	signer, err := p.signingKey(from, now)
	if err != nil && (mode != ModePlain && mode != ModePassword) {
		return err
	}
	if signer != nil {
		defer signer.ClearPrivate()
	}
	opts := pgpmime.Options{Signer: signer, Password: sec.Password, AttachPublicKey: sec.AttachKey, Now: now}
	if signer != nil {
		opts.Autocrypt = signer.Public()
	}
	switch mode {
	case ModeAuto, ModeEncrypt:
		recipients, blind, err := p.recipientKeys(d, now)
		if err != nil {
			return err
		}
		opts.Mode = pgpmime.ModeEncrypt
		opts.Recipients = append(recipients, signer.Public())
		opts.HiddenRecipients = blind
		if len(recipients) > 1 {
			opts.Gossip = recipients
		}
	case ModeSign:
		opts.Mode = pgpmime.ModeSign
	case ModePassword:
		opts.Mode = pgpmime.ModePassword
		if signer != nil {
			// The Sent copy stays readable with the sender's own key.
			opts.Recipients = []*crypto.Key{signer.Public()}
		}
	case ModePlain:
		opts.Mode = pgpmime.ModePlain
	}
	// The plain message is written into a pipe by its own goroutine and
	// protected as it is read: it never exists whole.
	pr, pw := io.Pipe()
	built := make(chan error, 1)
	go func() {
		var err error
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("compose: internal error: %v", r)
			}
			pw.CloseWithError(err)
			built <- err
		}()
		// Whole buffers cross the pipe, not MIME lines: each handoff wakes
		// the other goroutine.
		bw := bufio.NewWriterSize(pw, 64<<10)
		if err = msg.writeTo(bw); err == nil {
			err = bw.Flush()
		}
	}()
	err = pgpmime.ProtectTo(w, pr, opts)
	pr.CloseWithError(errComposeStopped)
	if berr := <-built; berr != nil && !errors.Is(berr, errComposeStopped) {
		// The cause: protection failed because the message could not be made.
		return berr
	}
	return err
}

// signingKey loads the default own key for address (else a usable one).
func (p *Profile) signingKey(address string, now time.Time) (*crypto.Key, error) {
	owns, err := p.store.OwnKeys().List()
	if err != nil {
		return nil, err
	}
	sort.SliceStable(owns, func(i, j int) bool { return owns[i].Default && !owns[j].Default })
	for _, rec := range owns {
		if !containsFold(emailsOf(rec.UserIDs), address) {
			continue
		}
		key, err := p.keys.parseOwn(rec)
		if err != nil {
			return nil, err
		}
		if key.CanSign(now) == nil && key.CanEncrypt(now) == nil {
			return key, nil
		}
		key.ClearPrivate()
	}
	return nil, fmt.Errorf("%s: %w", address, ErrNoOwnKey)
}

// recipientKeys finds a usable public key for every recipient of d: an own
// key for one's own addresses, else a contact key, verified ones first,
// then the newest. named are the To and Cc recipients' keys; blind those of
// the Bcc recipients who are not also in To or Cc, to encrypt to without
// naming them.
func (p *Profile) recipientKeys(d backend.Draft, now time.Time) (named, blind []*crypto.Key, err error) {
	visible, err := parseAddresses(append(append([]string{}, d.To...), d.Cc...))
	if err != nil {
		return nil, nil, err
	}
	bcc, err := parseAddresses(d.Bcc)
	if err != nil {
		return nil, nil, err
	}
	seen := map[string]bool{}
	var missing []string
	for i, a := range append(visible, bcc...) {
		email := strings.ToLower(a.Address)
		if seen[email] {
			continue
		}
		seen[email] = true
		key, err := p.encryptionKeyFor(email, now)
		if err != nil {
			return nil, nil, err
		}
		switch {
		case key == nil:
			missing = append(missing, email)
		case i < len(visible):
			named = append(named, key)
		default:
			blind = append(blind, key)
		}
	}
	if len(missing) > 0 {
		return nil, nil, &backend.MissingKeysError{Addresses: missing}
	}
	return named, blind, nil
}

func (p *Profile) encryptionKeyFor(email string, now time.Time) (*crypto.Key, error) {
	if own, err := p.signingKey(email, now); err == nil {
		defer own.ClearPrivate()
		return own.Public(), nil
	} else if !errors.Is(err, ErrNoOwnKey) {
		return nil, err
	}
	contacts, err := p.store.ContactKeys().ByEmail(email)
	if err != nil {
		return nil, err
	}
	sort.SliceStable(contacts, func(i, j int) bool {
		vi, vj := contacts[i].Verification == VerificationVerified, contacts[j].Verification == VerificationVerified
		if vi != vj {
			return vi
		}
		return contacts[i].CreatedAt.After(contacts[j].CreatedAt)
	})
	for _, c := range contacts {
		keys, err := p.keys.parsePublic(c.PublicKey)
		if err != nil || len(keys) != 1 {
			return nil, fmt.Errorf("stored key %s is unreadable: %w", c.Fingerprint, err)
		}
		if keys[0].CanEncrypt(now) == nil {
			return keys[0], nil
		}
	}
	return nil, nil
}

// verifierKeys loads every contact key, to verify incoming signatures with
// (own keys are verifiers too: they come with ownSecretKeys).
func (p *Profile) verifierKeys() ([]*crypto.Key, error) {
	var out []*crypto.Key
	contacts, err := p.store.ContactKeys().List()
	if err != nil {
		return nil, err
	}
	for _, c := range contacts {
		keys, err := p.keys.parsePublic(c.PublicKey)
		if err != nil {
			return nil, fmt.Errorf("stored key %s is unreadable: %w", c.Fingerprint, err)
		}
		out = append(out, keys...)
	}
	return out, nil
}

// ownSecretKeys loads every own key, for decryption. The caller clears them.
func (p *Profile) ownSecretKeys() ([]*crypto.Key, error) {
	owns, err := p.store.OwnKeys().List()
	if err != nil {
		return nil, err
	}
	var out []*crypto.Key
	for _, rec := range owns {
		key, err := p.keys.parseOwn(rec)
		if err != nil {
			return nil, err
		}
		out = append(out, key)
	}
	return out, nil
}
