package pgpmime

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"slices"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/emersion/go-message/mail"

	"github.com/sealpost/sealpost/crypto"
)

// Mode is the security mode of an outgoing message.
type Mode string

// Modes.
const (
	// ModeEncrypt signs, then encrypts to every recipient key: RFC 3156
	// multipart/encrypted with one OpenPGP message (embedded signature).
	ModeEncrypt Mode = "encrypt"
	// ModeSign signs only: RFC 3156 multipart/signed.
	ModeSign Mode = "sign"
	// ModePassword encrypts the message with a password shared out of band and
	// sends it as the attachment message.asc with a plaintext cover note.
	ModePassword Mode = "password"
	// ModePlain sends the message unprotected (only the Autocrypt header and,
	// if asked, the public key are added).
	ModePlain Mode = "plain"
)

// ErrMalformedMessage reports an input that is not a well-formed RFC 5322
// message with MIME, or one Protect cannot carry safely.
var ErrMalformedMessage = errors.New("malformed message")

// Subject placeholder visible outside encrypted mail (RFC 9788 hcp_baseline).
const hiddenSubject = "[...]"

// Options configures Protect.
type Options struct {
	// Mode is the security mode.
	Mode Mode
	// Signer is the sender's own unlocked secret key. Required for
	// ModeEncrypt and ModeSign; optional for ModePassword (the message is then
	// signed too); in ModePlain only the key AttachPublicKey attaches.
	Signer *crypto.Key
	// Recipients are the public keys to encrypt to in ModeEncrypt: one for
	// every To and Cc recipient, and the sender's own key so that the Sent
	// copy stays readable. In ModePassword they are optional keys that can
	// open the message besides the password (typically the sender's own).
	Recipients []*crypto.Key
	// HiddenRecipients are the Bcc recipients' keys in ModeEncrypt: the
	// message is encrypted to them without naming their keys, so the other
	// recipients cannot learn of the blind copies from the key IDs.
	HiddenRecipients []*crypto.Key
	// Password encrypts the message in ModePassword.
	Password []byte
	// Gossip are recipients' public keys to announce in Autocrypt-Gossip
	// headers inside encrypted mail (ModeEncrypt only). A key is gossiped for
	// each To or Cc address it carries, other than the sender's; never for a
	// Bcc address (that would reveal the Bcc recipient to the others). Nothing
	// is gossiped unless at least two addresses are.
	Gossip []*crypto.Key
	// Autocrypt, when not nil, is the sender's own key, announced in an
	// Autocrypt header (prefer-encrypt=mutual). It must carry the From address.
	Autocrypt *crypto.Key
	// AttachPublicKey attaches the sender's public key (application/pgp-keys,
	// the Signer's, else the Autocrypt key) inside the protected payload.
	AttachPublicKey bool
	// Now is the time for key validity and signatures; zero means time.Now().
	Now time.Time
}

// Protect returns msg, an RFC 5322 message as mail.BuildMessage writes it,
// protected as opts.Mode says. The output has CRLF line ends (a ModePlain
// body without an attached key is left exactly as it was). Bcc stays in
// the outer header (the submission removes it) and never enters the
// protected payload.
//
// Errors wrap ErrMalformedMessage for an unusable msg, crypto.ErrInvalidOptions
// for missing or unusable options, and the crypto sentinels (ErrKeyExpired,
// ErrKeyRevoked, ErrNoEncryptionKey, ErrNoSigningKey, ErrKeyLocked, ...) for a
// key that cannot be used, naming it. On error nothing is returned.
func Protect(msg []byte, opts Options) ([]byte, error) {
	var out bytes.Buffer
	if err := ProtectTo(&out, bytes.NewReader(msg), opts); err != nil {
		clear(out.Bytes())
		return nil, err
	}
	return out.Bytes(), nil
}

// ProtectTo is Protect for a message of any size: it reads msg and writes the
// protected message to dst as it goes, in bounded memory (attachments stream
// through canonicalisation, signing and encryption).
//
// The options, keys and the message header are checked before anything is
// written. A problem found later in the body (a part that does not decode, a
// missing closing boundary) or an error reading msg or writing dst fails the
// call after part of the output was written: the caller must then discard
// what dst received.
func ProtectTo(dst io.Writer, msg io.Reader, opts Options) error {
	c, err := newComposer(msg, opts)
	if err != nil {
		return err
	}
	var write func(w io.Writer) error
	switch opts.Mode {
	case ModeEncrypt:
		write, err = c.encrypt()
	case ModeSign:
		write, err = c.sign()
	case ModePassword:
		write, err = c.password()
	case ModePlain:
		write, err = c.plain()
	default:
		err = fmt.Errorf("%w: unknown security mode %q (want encrypt, sign, password or plain)", crypto.ErrInvalidOptions, opts.Mode)
	}
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(dst, 64<<10)
	if err := write(bw); err != nil {
		return err
	}
	return bw.Flush()
}

// composer holds one Protect call's parsed input.
type composer struct {
	opts      Options
	now       time.Time
	msg       entity    // the message header
	body      io.Reader // the message body, read once
	from      string    // the sender's address
	visible   []string  // To and Cc addresses, lower case
	autocrypt []byte    // the Autocrypt field, or nil
}

func newComposer(msg io.Reader, opts Options) (*composer, error) {
	c := &composer{opts: opts, now: opts.Now}
	if c.now.IsZero() {
		c.now = time.Now()
	}
	var err error
	if c.msg, c.body, err = readEntity(msg); err != nil {
		return nil, err
	}
	var h mail.Header
	for _, f := range c.msg.header {
		h.Add(f.name, f.value)
	}
	from, err := h.AddressList("From")
	if err != nil || len(from) != 1 {
		return nil, fmt.Errorf("%w: the From field must hold exactly one address", ErrMalformedMessage)
	}
	c.from = strings.ToLower(from[0].Address)
	for _, name := range []string{"To", "Cc"} {
		list, err := h.AddressList(name)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrMalformedMessage, name, err)
		}
		for _, a := range list {
			if addr := strings.ToLower(a.Address); !slices.Contains(c.visible, addr) {
				c.visible = append(c.visible, addr)
			}
		}
	}
	if opts.Autocrypt != nil {
		if c.autocrypt, err = autocryptField("Autocrypt", opts.Autocrypt, c.from, true, c.now); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// protectedFields are the header fields that travel inside the payload
// (RFC 9788 section 2.1): what the reader is shown. Bcc is never among them.
var protectedFields = []string{"From", "To", "Cc", "Subject", "Date", "Message-Id", "Reply-To", "In-Reply-To", "References"}

// deliveryFields are the fields the outside of encrypted mail keeps: what
// delivery and threading by the recipient's server need.
var deliveryFields = []string{"From", "To", "Cc", "Bcc", "Date", "Message-Id"}

// isMIMEField reports whether a field describes the body (moves with it).
func isMIMEField(name string) bool {
	return strings.HasPrefix(name, "Content-")
}

// outerHeader returns the outer header fields: for encrypted mail only the
// delivery fields and the Subject placeholder, otherwise every field of the
// message except the MIME ones and any Autocrypt field; then the Autocrypt
// field, MIME-Version and Content-Type.
func (c *composer) outerHeader(encrypted bool, contentType string) ([]field, error) {
	var out []field
	for _, f := range c.msg.header {
		switch {
		case f.name == "Subject" && encrypted:
			raw, err := formatField("Subject", hiddenSubject)
			if err != nil {
				return nil, err
			}
			out = append(out, field{name: "Subject", value: hiddenSubject, raw: raw})
		case encrypted && !slices.Contains(deliveryFields, f.name),
			isMIMEField(f.name), f.name == "Mime-Version", f.name == "Autocrypt":
		default:
			out = append(out, f)
		}
	}
	if c.autocrypt != nil {
		out = append(out, field{name: "Autocrypt", raw: c.autocrypt})
	}
	e := entity{header: out}
	if err := e.set("MIME-Version", "1.0"); err != nil {
		return nil, err
	}
	if err := e.set("Content-Type", contentType); err != nil {
		return nil, err
	}
	return e.header, nil
}

// payload returns the cryptographic payload: the message body as a MIME
// entity, canonicalised (CRLF, 7-bit), with the public key attached if asked
// and, when hp is "cipher" or "clear", the protected header fields (RFC
// 9788). outer is the outer header, for HP-Outer; gossip adds
// Autocrypt-Gossip fields. The body streams from the message when the
// payload is written.
func (c *composer) payload(hp string, outer []field, gossip bool) (part, error) {
	var mimeHeader entity
	for _, f := range c.msg.header {
		if isMIMEField(f.name) {
			mimeHeader.header = append(mimeHeader.header, f)
		}
	}
	body, err := canonicalize(mimeHeader, c.body, 0)
	if err != nil {
		return part{}, err
	}
	if c.opts.AttachPublicKey {
		if body, err = c.attachKey(body); err != nil {
			return part{}, err
		}
	}
	if hp == "" {
		return body, nil
	}
	mt, params, err := body.mediaType()
	if err != nil {
		return part{}, err
	}
	delete(params, "hp")
	delete(params, "protected-headers")
	// Quoted as in RFC 9788's examples, for readers that match it literally.
	ct := mime.FormatMediaType(mt, params) + `; hp="` + hp + `"; protected-headers="v1"`
	if err := body.set("Content-Type", ct); err != nil {
		return part{}, err
	}
	for _, f := range c.msg.header {
		if slices.Contains(protectedFields, f.name) {
			body.header = append(body.header, f)
		}
	}
	if hp == "cipher" {
		for _, f := range outer {
			if f.name == "Bcc" || f.name == "Autocrypt" || f.name == "Mime-Version" || isMIMEField(f.name) {
				continue
			}
			raw, err := formatField("HP-Outer", fieldName(f)+": "+f.value)
			if err != nil {
				return part{}, err
			}
			body.header = append(body.header, field{name: "Hp-Outer", raw: raw})
		}
	}
	if gossip {
		g, err := c.gossip()
		if err != nil {
			return part{}, err
		}
		body.header = append(body.header, g...)
	}
	return body, nil
}

// fieldName returns the name of f as written ("Message-ID", where f.name is
// "Message-Id").
func fieldName(f field) string {
	name, _, _ := bytes.Cut(f.raw, []byte(":"))
	return string(bytes.TrimSpace(name))
}

// gossip returns Autocrypt-Gossip fields for the To and Cc addresses other
// than the sender's that a usable key in Gossip carries, when there are at
// least two. Bcc addresses are never gossiped (that would reveal them).
func (c *composer) gossip() ([]field, error) {
	var out []field
	for _, addr := range c.visible {
		if addr == c.from {
			continue
		}
		for _, k := range c.opts.Gossip {
			if k == nil || !slices.Contains(k.Emails(), addr) || k.CanEncrypt(c.now) != nil {
				continue
			}
			raw, err := autocryptField("Autocrypt-Gossip", k, addr, false, c.now)
			if err != nil {
				return nil, err
			}
			out = append(out, field{name: "Autocrypt-Gossip", raw: raw})
			break
		}
	}
	if len(out) < 2 {
		return nil, nil
	}
	return out, nil
}

// attachKey wraps body in a multipart/mixed entity with the sender's public
// key as a second part.
func (c *composer) attachKey(body part) (part, error) {
	k := c.opts.Signer
	if k == nil {
		k = c.opts.Autocrypt
	}
	if k == nil {
		return part{}, fmt.Errorf("%w: AttachPublicKey needs a Signer or Autocrypt key", crypto.ErrInvalidOptions)
	}
	armored, err := k.ArmorPublic()
	if err != nil {
		return part{}, fmt.Errorf("attach public key %s: %w", k.Fingerprint(), err)
	}
	name := "OpenPGP_0x" + k.KeyID() + ".asc"
	var keyPart entity
	if err := setAll(&keyPart, [][2]string{
		{"Content-Type", mime.FormatMediaType("application/pgp-keys", map[string]string{"name": name})},
		{"Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name})},
		{"Content-Description", "OpenPGP public key"},
		{"Content-Transfer-Encoding", "7bit"},
	}); err != nil {
		return part{}, err
	}
	key := fixedPart(keyPart, toCRLF([]byte(armored)))
	return multipart("multipart/mixed", nil, "", body.writeTo, key.writeTo)
}

// checkRecipients reports the first recipient key that cannot be encrypted to.
func (c *composer) checkRecipients() error {
	for _, k := range slices.Concat(c.opts.Recipients, c.opts.HiddenRecipients) {
		if k == nil {
			return fmt.Errorf("%w: a recipient key is missing", crypto.ErrInvalidOptions)
		}
		if err := k.CanEncrypt(c.now); err != nil {
			return fmt.Errorf("cannot encrypt to %s: %w", describe(k), err)
		}
	}
	return nil
}

// checkSigner reports why the signer cannot sign, naming it.
func (c *composer) checkSigner() error {
	if err := c.opts.Signer.CanSign(c.now); err != nil {
		return fmt.Errorf("cannot sign with your key %s: %w", describe(c.opts.Signer), err)
	}
	switch {
	case !c.opts.Signer.IsSecret():
		return fmt.Errorf("cannot sign with your key %s: %w", describe(c.opts.Signer), crypto.ErrNotSecretKey)
	case c.opts.Signer.IsLocked():
		return fmt.Errorf("cannot sign with your key %s: %w", describe(c.opts.Signer), crypto.ErrKeyLocked)
	}
	return nil
}

// describe names a key for an error message: its first address and fingerprint.
func describe(k *crypto.Key) string {
	if emails := k.Emails(); len(emails) > 0 {
		return emails[0] + " (" + k.Fingerprint() + ")"
	}
	return k.Fingerprint()
}

// writeMessage returns the writer of a message: the outer header fields,
// then body.
func writeMessage(outer []field, body part) func(w io.Writer) error {
	return func(w io.Writer) error {
		e := entity{header: outer}
		if err := e.writeHeader(w); err != nil {
			return err
		}
		return body.writeBody(w)
	}
}

// encryptedPart returns the writer of a part with header h whose body is the
// armored encryption of *payload (set before the part is written).
func encryptedPart(h entity, payload *part, password []byte, opts crypto.EncryptOptions) func(io.Writer) error {
	return func(w io.Writer) error {
		if err := h.writeHeader(w); err != nil {
			return err
		}
		return encryptArmored(w, *payload, password, opts)
	}
}

// encrypt builds a multipart/encrypted message (RFC 3156 section 4).
func (c *composer) encrypt() (func(io.Writer) error, error) {
	if c.opts.Signer == nil {
		return nil, fmt.Errorf("%w: encrypted mail is always signed: give your own key as Signer", crypto.ErrInvalidOptions)
	}
	if len(c.opts.Recipients)+len(c.opts.HiddenRecipients) == 0 {
		return nil, fmt.Errorf("%w: encrypt mode needs the recipients' keys", crypto.ErrNoRecipients)
	}
	if err := c.checkSigner(); err != nil {
		return nil, err
	}
	if err := c.checkRecipients(); err != nil {
		return nil, err
	}
	var version, data entity
	if err := setAll(&version, [][2]string{
		{"Content-Type", "application/pgp-encrypted"},
		{"Content-Description", "PGP/MIME version identification"},
	}); err != nil {
		return nil, err
	}
	if err := setAll(&data, [][2]string{
		{"Content-Type", `application/octet-stream; name="encrypted.asc"`},
		{"Content-Description", "OpenPGP encrypted message"},
		{"Content-Disposition", `inline; filename="encrypted.asc"`},
	}); err != nil {
		return nil, err
	}
	var inner part
	versionPart := fixedPart(version, []byte("Version: 1\r\n"))
	mp, err := multipart("multipart/encrypted", map[string]string{"protocol": "application/pgp-encrypted"},
		"This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)", versionPart.writeTo,
		encryptedPart(data, &inner, nil, crypto.EncryptOptions{
			Recipients: c.opts.Recipients, HiddenRecipients: c.opts.HiddenRecipients, Signer: c.opts.Signer, Now: c.now,
		}))
	if err != nil {
		return nil, err
	}
	outer, err := c.outerHeader(true, mp.get("Content-Type"))
	if err != nil {
		return nil, err
	}
	if inner, err = c.payload("cipher", outer, true); err != nil {
		return nil, err
	}
	return writeMessage(outer, mp), nil
}

// encryptArmored encrypts (and signs, with opts.Signer) the payload into an
// armored OpenPGP message with CRLF line ends, written to w; with the
// password too when it is not nil. The literal data is binary: the MIME
// entity is already CRLF-canonical and must come out byte for byte.
func encryptArmored(w io.Writer, payload part, password []byte, opts crypto.EncryptOptions) error {
	opts.Armor, opts.Binary = true, true
	var (
		enc io.WriteCloser
		err error
	)
	if password != nil {
		enc, err = crypto.EncryptWithPassword(&crlfWriter{w: w}, password, opts)
	} else {
		enc, err = crypto.Encrypt(&crlfWriter{w: w}, opts)
	}
	if err != nil {
		return fmt.Errorf("encrypt message: %w", err)
	}
	bw := bufio.NewWriterSize(enc, 64<<10)
	if err := payload.writeTo(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("encrypt message: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("encrypt message: %w", err)
	}
	return nil
}

// sign builds a multipart/signed message (RFC 3156 section 5). The signed
// part streams to the output and into the signature at once; the hash
// algorithm, which the header names first (micalg), is learnt from a
// signature over nothing by the same key at the same time.
func (c *composer) sign() (func(io.Writer) error, error) {
	if c.opts.Signer == nil {
		return nil, fmt.Errorf("%w: sign mode needs your own key as Signer", crypto.ErrInvalidOptions)
	}
	if err := c.checkSigner(); err != nil {
		return nil, err
	}
	inner, err := c.payload("clear", nil, false)
	if err != nil {
		return nil, err
	}
	probe, err := crypto.SignDetached(bytes.NewReader(nil), c.opts.Signer, false, c.now)
	if err != nil {
		return nil, fmt.Errorf("sign message: %w", err)
	}
	micalg, err := micalgOf(probe)
	if err != nil {
		return nil, err
	}
	var sigPart entity
	if err := setAll(&sigPart, [][2]string{
		{"Content-Type", `application/pgp-signature; name="OpenPGP_signature.asc"`},
		{"Content-Description", "OpenPGP digital signature"},
		{"Content-Disposition", `attachment; filename="OpenPGP_signature.asc"`},
	}); err != nil {
		return nil, err
	}
	var sig []byte // made while the signed part is written, before the signature part
	mp, err := multipart("multipart/signed", map[string]string{"micalg": micalg, "protocol": "application/pgp-signature"},
		"This is an OpenPGP/MIME signed message (RFC 4880 and 3156)",
		func(w io.Writer) error {
			var err error
			sig, err = c.signWhileWriting(w, inner, micalg)
			return err
		},
		func(w io.Writer) error {
			if err := sigPart.writeHeader(w); err != nil {
				return err
			}
			armored, err := armorSignature(sig)
			if err != nil {
				return err
			}
			_, err = w.Write(toCRLF(armored))
			return err
		})
	if err != nil {
		return nil, err
	}
	outer, err := c.outerHeader(false, mp.get("Content-Type"))
	if err != nil {
		return nil, err
	}
	return writeMessage(outer, mp), nil
}

// signWhileWriting writes the signed part to w and returns a detached
// signature over exactly its bytes, after checking that they are 7-bit safe
// (what is not would be changed in transport and break the signature). The
// signature must use the hash micalg names.
func (c *composer) signWhileWriting(w io.Writer, signed part, micalg string) ([]byte, error) {
	type result struct {
		sig []byte
		err error
	}
	pr, pw := io.Pipe()
	done := make(chan result, 1)
	go func() {
		var res result
		defer func() {
			if p := recover(); p != nil {
				res = result{err: fmt.Errorf("sign message: internal error: %v", p)}
			}
			pr.CloseWithError(res.err) // unblocks the writer if signing stopped early
			done <- res
		}()
		res.sig, res.err = crypto.SignDetached(pr, c.opts.Signer, false, c.now)
	}()
	var check sevenBit
	// The signer gets whole buffers: each pipe handoff wakes its goroutine.
	bw := bufio.NewWriterSize(pw, 64<<10)
	err := signed.writeTo(io.MultiWriter(&check, w, bw))
	if err == nil {
		err = check.Close()
	}
	if err == nil {
		err = bw.Flush()
	}
	pw.CloseWithError(err) // nil: the signer reads to the end
	res := <-done
	switch {
	case err != nil && errors.Is(err, errNot7bit) && !errors.Is(err, ErrMalformedMessage):
		return nil, fmt.Errorf("%w: the signed part would not survive transport (8-bit header field?): %w", ErrMalformedMessage, err)
	case err != nil:
		return nil, err
	case res.err != nil:
		return nil, fmt.Errorf("sign message: %w", res.err)
	}
	if got, err := micalgOf(res.sig); err != nil || got != micalg {
		return nil, fmt.Errorf("sign message: %w: the signature uses %s, not %s as announced (%w)", crypto.ErrInvalidOptions, got, micalg, err)
	}
	return res.sig, nil
}

// armorSignature returns a binary signature armored, ending in a line break.
func armorSignature(sig []byte) ([]byte, error) {
	var armored bytes.Buffer
	w, err := armor.Encode(&armored, "PGP SIGNATURE", nil)
	if err == nil {
		_, err = w.Write(sig)
	}
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("armor signature: %w", err)
	}
	armored.WriteString("\n")
	return armored.Bytes(), nil
}

// micalgOf returns the RFC 3156 micalg name of the hash a binary signature uses.
func micalgOf(sig []byte) (string, error) {
	p, err := packet.Read(bytes.NewReader(sig))
	if err != nil {
		return "", fmt.Errorf("read own signature: %w", err)
	}
	s, ok := p.(*packet.Signature)
	if !ok {
		return "", fmt.Errorf("read own signature: %w: packet %T", crypto.ErrMalformedMessage, p)
	}
	name, ok := algorithmNames[s.Hash.String()]
	if !ok {
		return "", fmt.Errorf("read own signature: %w: hash %v has no micalg name", crypto.ErrInvalidOptions, s.Hash)
	}
	return "pgp-" + name, nil
}

// algorithmNames maps Go hash names to OpenPGP hash names (RFC 4880
// section 9.4), as micalg uses them.
var algorithmNames = map[string]string{
	"SHA-224": "sha224", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512",
	"SHA3-256": "sha3-256", "SHA3-512": "sha3-512",
}

// coverNote is the plaintext part of a password-encrypted message.
const coverNote = `This message is encrypted with a password that the sender gives you
separately (for example in person or by phone), not in this e-mail.

To read it, save the attachment message.asc and open it with any OpenPGP
program, for example GnuPG:

    gpg --decrypt message.asc

and enter the password when asked. What you get is the original message
in MIME format; save it as a .eml file to open it in a mail program.
`

// password builds a multipart/mixed message with a cover note and the
// password-encrypted payload as message.asc.
func (c *composer) password() (func(io.Writer) error, error) {
	if len(c.opts.Password) == 0 {
		return nil, fmt.Errorf("%w: password mode needs a password", crypto.ErrInvalidOptions)
	}
	if c.opts.Signer != nil {
		if err := c.checkSigner(); err != nil {
			return nil, err
		}
	}
	if err := c.checkRecipients(); err != nil {
		return nil, err
	}
	var note, data entity
	if err := setAll(&note, [][2]string{
		{"Content-Type", "text/plain; charset=us-ascii"},
		{"Content-Transfer-Encoding", "7bit"},
	}); err != nil {
		return nil, err
	}
	if err := setAll(&data, [][2]string{
		{"Content-Type", `application/octet-stream; name="message.asc"`},
		{"Content-Description", "Password-encrypted OpenPGP message"},
		{"Content-Disposition", `attachment; filename="message.asc"`},
		{"Content-Transfer-Encoding", "7bit"},
	}); err != nil {
		return nil, err
	}
	var inner part
	notePart := fixedPart(note, toCRLF([]byte(coverNote)))
	mp, err := multipart("multipart/mixed", nil, "", notePart.writeTo,
		encryptedPart(data, &inner, c.opts.Password, crypto.EncryptOptions{
			Recipients: c.opts.Recipients, Signer: c.opts.Signer, Now: c.now, Filename: "message.eml",
		}))
	if err != nil {
		return nil, err
	}
	outer, err := c.outerHeader(true, mp.get("Content-Type"))
	if err != nil {
		return nil, err
	}
	if inner, err = c.payload("cipher", outer, false); err != nil {
		return nil, err
	}
	return writeMessage(outer, mp), nil
}

// plain returns the message with the Autocrypt field (and, if asked, the
// public key attached); nothing else changes.
func (c *composer) plain() (func(io.Writer) error, error) {
	if !c.opts.AttachPublicKey {
		var out []field
		for _, f := range c.msg.header {
			if f.name != "Autocrypt" {
				out = append(out, f)
			}
		}
		if c.autocrypt != nil {
			out = append(out, field{name: "Autocrypt", raw: c.autocrypt})
		}
		return writeMessage(out, part{writeBody: func(w io.Writer) error {
			_, err := io.Copy(w, c.body)
			return err
		}}), nil
	}
	body, err := c.payload("", nil, false)
	if err != nil {
		return nil, err
	}
	outer, err := c.outerHeader(false, body.get("Content-Type"))
	if err != nil {
		return nil, err
	}
	return writeMessage(outer, body), nil
}

// setAll sets header fields on e in order.
func setAll(e *entity, fields [][2]string) error {
	for _, kv := range fields {
		if err := e.set(kv[0], kv[1]); err != nil {
			return err
		}
	}
	return nil
}
