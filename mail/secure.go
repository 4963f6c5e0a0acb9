package mail

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/sealpost/sealpost/crypto"
	"github.com/sealpost/sealpost/crypto/pgpmime"
	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail/backend"
)

// Security modes of an outgoing message: backend's, and ModeAuto.
const (
	// ModeAuto encrypts and signs when every recipient has a usable key
	// and refuses otherwise; an empty mode means it too.
	ModeAuto     = "auto"
	ModeEncrypt  = backend.ModeEncrypt
	ModeSign     = backend.ModeSign
	ModePassword = backend.ModePassword
	ModePlain    = backend.ModePlain
)

var (
	// ErrNoOwnKey means the sender has no usable own key to sign with.
	ErrNoOwnKey = errors.New("no usable own key for the sender: create one or import one")
	// ErrUnknownMode means the security mode is not one Sealpost knows.
	ErrUnknownMode = errors.New("unknown security mode: use auto, encrypt, sign, password or plain")
	// ErrPasswordNeeded means ModePassword was chosen without a password.
	ErrPasswordNeeded = errors.New("password mode needs a password (share it with the recipients out of band)")
)

// Composer writes outgoing messages: it builds the MIME message and
// protects it as asked (encrypt, sign, password, plain), failing closed
// when a recipient's key is missing; and it prepares replies and forwards
// that quote only what was safely decrypted.
type Composer struct {
	store     *localstore.Store
	keys      *Keyring
	accounts  *Accounts
	inspector *Inspector
	now       func() time.Time
}

// Compose builds the message d from the address from, protected as sec
// asks, exactly as it would be submitted. In auto mode (the default) the
// message is encrypted and signed when every recipient has a usable key;
// otherwise it is refused with a *backend.MissingKeysError, never downgraded.
func (c *Composer) Compose(from string, d backend.Draft, sec backend.Security) ([]byte, error) {
	var buf bytes.Buffer
	if err := c.ComposeTo(&buf, from, d, sec); err != nil {
		clear(buf.Bytes())
		return nil, err
	}
	return buf.Bytes(), nil
}

// ComposeFor composes like Outbox.Send would, without network, and writes the
// message to w: from the account (its address and display name) or, with no
// account, from the address given, using the own key for it. See ComposeTo.
func (c *Composer) ComposeFor(w io.Writer, account, from string, d backend.Draft, sec backend.Security) error {
	if account != "" {
		acct, err := c.accounts.get(account)
		if err != nil {
			return err
		}
		from, d.FromName = acct.Email, acct.DisplayName
	}
	return c.ComposeTo(w, from, d, sec)
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
func (c *Composer) ComposeTo(w io.Writer, from string, d backend.Draft, sec backend.Security) error {
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
	now := c.now()
	msg, err := newOutgoing(d, now)
	if err != nil {
		return err
	}
	signer, err := c.keys.signingKey(from, now)
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
		recipients, blind, err := c.recipientKeys(d, now)
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

// recipientKeys finds a usable public key for every recipient of d: an own
// key for one's own addresses, else a contact key, verified ones first,
// then the newest. named are the To and Cc recipients' keys; blind those of
// the Bcc recipients who are not also in To or Cc, to encrypt to without
// naming them.
func (c *Composer) recipientKeys(d backend.Draft, now time.Time) (named, blind []*crypto.Key, err error) {
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
		key, err := c.keys.encryptionKeyFor(email, now)
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
