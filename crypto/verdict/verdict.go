// Package verdict reads a received message and judges its security: it
// decrypts and verifies PGP/MIME and inline PGP, applies header protection
// and reports exactly what was verified, in one Result per message.
//
// Inspect is a pure function: bytes in, Result out. It does no I/O, fetches
// nothing, and bounds the work an input can cause (Limits).
//
// Placement rules (after Thunderbird's invariants, EFAIL and "Johnny, You Are
// Fired"):
//   - An encrypted part is decrypted only when it is the message itself: the
//     root, the root of the Google Workspace/Proton "mixed-up" layout, or the
//     signed part of a root multipart/signed (a signature around an
//     encryption layer is ignored; only the signature inside counts). An
//     encrypted part inside any other structure is not decrypted, and nothing
//     of it is shown: decrypted text is never stitched together with
//     unencrypted text.
//   - Inline PGP is processed automatically only when the armored block is
//     the whole text of the message. A block with text around it is shown
//     as it is, not decrypted; a cleartext signature with text around it is
//     verified but marked as covering only a fragment.
//   - A signature that does not cover the whole displayed message (inside
//     multipart/mixed beside unsigned parts, or around a fragment of text)
//     is reported with CoversWholeMessage false and a warning. Signatures
//     inside attached or forwarded messages (message/rfc822) are not
//     examined: they are not the message's signature.
package verdict

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
	"github.com/sealpost/sealpost/crypto"
)

// Default limits, used for every zero field of Limits.
const (
	DefaultMaxDepth       = 20
	DefaultMaxParts       = 500
	DefaultMaxDecodedSize = 64 << 20
)

// Header protection schemes reported in Result.HeaderProtection.
const (
	HeaderProtectionNone    = "none"
	HeaderProtectionLegacy  = "legacy"
	HeaderProtectionRFC9788 = "rfc9788"
)

// Limits bound the work one message can cause. Zero fields take the
// defaults. Parts beyond a limit are not examined and a warning says so.
type Limits struct {
	// MaxDepth is the deepest MIME nesting examined.
	MaxDepth int
	// MaxParts is the number of MIME parts examined, decrypted ones included.
	MaxParts int
	// MaxDecodedSize caps, in bytes, both the total output of
	// transfer decoding and the plaintext of each decryption (which bounds
	// decompression).
	MaxDecodedSize int64
}

// withDefaults fills the zero fields of l.
func (l Limits) withDefaults() Limits {
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxParts <= 0 {
		l.MaxParts = DefaultMaxParts
	}
	if l.MaxDecodedSize <= 0 {
		l.MaxDecodedSize = DefaultMaxDecodedSize
	}
	return l
}

// Options configures Inspect.
type Options struct {
	// Keys are the reader's own unlocked secret keys.
	Keys []*crypto.Key
	// Verifiers are the public keys whose signatures count.
	Verifiers []*crypto.Key
	// Now is when key validity is judged; zero means time.Now().
	Now time.Time
	// Limits bound the work; the zero value means the defaults.
	Limits Limits
}

// SignatureInfo is the verdict on the message's signature.
type SignatureInfo struct {
	// Status is the signature status; crypto.SigNone when nothing is signed.
	Status crypto.SignatureStatus
	// SignerFingerprint is the signer's primary key fingerprint when the
	// signer's key is among the verifiers.
	SignerFingerprint string
	// SignerMatchesFrom is true when the signer's key carries the From
	// address that Result.From shows.
	SignerMatchesFrom bool
	// CoversWholeMessage is true when the signature covers everything that
	// BodyText and Attachments show. When false the signature belongs to a
	// fragment and must not be presented as the message's signature.
	CoversWholeMessage bool
}

// Attachment describes one attachment. Filename is sanitised (no path, no
// control characters) but still chosen by the sender.
type Attachment struct {
	Filename    string
	ContentType string
	Size        int
	// Data is the decoded content. Only attachments of the displayed
	// message are listed, so Data never holds a part the verdict refused.
	Data []byte
}

// PartVerdict is the security state of one security-relevant part.
type PartVerdict struct {
	// Path is the IMAP-style section number ("" is the root). Parts of
	// decrypted content carry the path of their ciphertext part, "/", and
	// their own number.
	Path string
	// ContentType is the part's media type.
	ContentType string
	// Encrypted is true when the part was decrypted with integrity protection.
	Encrypted bool
	// Signature is the status of the part's own signature.
	Signature crypto.SignatureStatus
	// Shown is true when the part's protected content is part of BodyText.
	Shown bool
	// Note explains the state in words.
	Note string
}

// Result is the verdict on one message.
type Result struct {
	// From and Subject are the protected values when header protection
	// applied, else the outer ones.
	From, Subject string
	// Encrypted is true when the message itself is encrypted (even when it
	// could not be decrypted).
	Encrypted bool
	// IntegrityProtected is true when decryption succeeded with MDC or AEAD.
	IntegrityProtected bool
	// HeaderProtection is "none", "legacy" or "rfc9788".
	HeaderProtection string
	// Signature is the verdict on the message's signature.
	Signature SignatureInfo
	// BodyText is the text the user sees; HTML reduced to text.
	BodyText string
	// Attachments lists the attachments of the displayed message.
	Attachments []Attachment
	// Warnings are the problems found, in words a user can act on.
	Warnings []string
	// Autocrypt holds the raw Autocrypt header values of the outer header.
	Autocrypt []string
	// Gossip holds Autocrypt-Gossip values found inside the encrypted part.
	Gossip []string
	// Parts lists the security-relevant parts and their state.
	Parts []PartVerdict
}

// inspector carries the state of one Inspect call.
type inspector struct {
	opts   Options
	lim    Limits
	now    time.Time
	res    Result
	parts  int
	budget int64
	body   []string
	// sigSet is true once a signature was recorded.
	sigSet bool
	// sigAt is the creation time the recorded signature claims.
	sigAt time.Time
	// protected is the header of the payload whose headers are protected.
	protected *message.Header
	hpKind    string
}

// Inspect reads one RFC 5322 message and returns its security verdict. It
// returns an error only when the input cannot be read as a message at all;
// every other problem is reported in Result.Warnings.
func Inspect(raw []byte, opts Options) (Result, error) {
	in := &inspector{opts: opts, lim: opts.Limits.withDefaults(), now: opts.Now}
	if in.now.IsZero() {
		in.now = time.Now()
	}
	in.budget = in.lim.MaxDecodedSize
	if len(bytes.TrimSpace(raw)) == 0 {
		return Result{}, errors.New("inspect: the message is empty")
	}
	in.parts = 1
	if bytes.HasPrefix(raw, []byte("From ")) {
		// An mbox separator line ("From - date") before the header.
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			raw = raw[i+1:]
		}
	}
	root, err := in.parse(raw, "", 0)
	if err != nil {
		return Result{}, fmt.Errorf("inspect: %w", err)
	}
	in.res.HeaderProtection = HeaderProtectionNone
	in.res.Signature.Status = crypto.SigNone
	in.res.Autocrypt = root.header.Values("Autocrypt")
	in.message(root)

	outer := parseFrom(root.header)
	from, replyHeader, dateHeader := outer, root.header, root.header
	in.res.Subject, _ = (&root.header).Text("Subject")
	if in.protected != nil {
		in.res.HeaderProtection = in.hpKind
		ph := *in.protected
		if ph.Has("Subject") {
			in.res.Subject, _ = ph.Text("Subject")
		}
		if ph.Has("Reply-To") {
			replyHeader = ph
		}
		if ph.Has("Date") {
			dateHeader = ph
		}
		if ph.Has("From") {
			from = parseFrom(ph)
			if from.addr != outer.addr {
				in.warn("the protected sender %s differs from the outer sender %s; the protected one is shown", from.display, outer.display)
			}
		}
	}
	in.res.From = from.display
	in.checkSender(from, replyHeader)
	in.judgeSigner(from, outer)
	in.checkSignatureDate(dateHeader)
	in.res.BodyText = strings.ReplaceAll(strings.Join(in.body, "\n\n"), "\r\n", "\n")
	return in.res, nil
}

// warn adds a formatted warning once.
func (in *inspector) warn(format string, args ...any) {
	w := fmt.Sprintf(format, args...)
	for _, have := range in.res.Warnings {
		if have == w {
			return
		}
	}
	in.res.Warnings = append(in.res.Warnings, w)
}

// limitHit reports an exceeded limit once per kind.
func (in *inspector) limitHit(what string) {
	in.warn("%s: the rest of the message is not examined or shown", what)
}

// isEncrypted reports whether p is a PGP/MIME encrypted entity (RFC 3156),
// returning the ciphertext part.
func isEncrypted(p *part) (*part, bool) {
	if p.isMultipart("encrypted") && len(p.children) >= 2 &&
		strings.EqualFold(p.params["protocol"], "application/pgp-encrypted") {
		return p.children[1], true
	}
	return nil, false
}

// mixedUp recognises the layouts that Google Workspace, Microsoft Exchange
// and some Proton gateways make of a PGP/MIME message, and returns the
// repaired envelope and its ciphertext part:
//   - multipart/mixed of an empty text part, the application/pgp-encrypted
//     version part and the ciphertext ("mixed-up");
//   - multipart/mixed of a text part that is empty or holds only a
//     signature delimiter ("-- "), and a multipart/encrypted.
//
// The unencrypted text must be blank: otherwise the encrypted part is
// someone's ciphertext inside attacker MIME and is not decrypted.
func (in *inspector) mixedUp(p *part) (env, ct *part, ok bool) {
	if !p.isMultipart("mixed") {
		return nil, nil, false
	}
	c := p.children
	switch {
	case len(c) == 3 && in.blankText(c[0]) && c[1].mediaType == "application/pgp-encrypted" &&
		c[2].mediaType == "application/octet-stream":
		return p, c[2], true
	case len(c) == 2 && in.blankText(c[0]):
		if ct, ok := isEncrypted(c[1]); ok {
			return c[1], ct, true
		}
	}
	return nil, nil, false
}

// blankText reports whether p is a text/plain part without content, apart
// from a signature delimiter that some gateways add.
func (in *inspector) blankText(p *part) bool {
	if p.mediaType != "text/plain" {
		return false
	}
	t := strings.TrimSpace(string(in.decodeBody(p)))
	return t == "" || t == "--"
}

// message judges the root of a message.
func (in *inspector) message(root *part) {
	if ct, ok := isEncrypted(root); ok {
		in.encryptedRoot(root, ct)
		return
	}
	if env, ct, ok := in.mixedUp(root); ok {
		in.warn("the message's PGP/MIME structure is non-standard (as some providers and gateways rearrange it); it was read as one encrypted message")
		in.encryptedRoot(env, ct)
		return
	}
	if root.isMultipart("signed") && len(root.children) >= 2 {
		first := root.children[0]
		env, ct, enc := in.mixedUp(first)
		if c, ok := isEncrypted(first); ok {
			env, ct, enc = first, c, true
		}
		if enc {
			in.warn("a signature around the encrypted part was ignored; only a signature inside the encryption counts")
			in.addPart(PartVerdict{Path: root.path, ContentType: root.mediaType, Signature: crypto.SigNone,
				Note: "outer signature around the encryption layer: ignored"})
			in.encryptedRoot(env, ct)
			return
		}
		if isSMIMEEncrypted(first) {
			in.warn("a signature around the encrypted part was ignored; only a signature inside the encryption counts")
			in.smimeEncrypted(first)
			return
		}
		payload := in.signedRoot(root)
		// Signed-only headers are protected only by a good signature.
		if in.res.Signature.Status == crypto.SigValid {
			in.headerProtection(payload, false)
		} else if payload.params["hp"] != "" || payload.params["protected-headers"] != "" {
			in.warn("the headers inside the signed part are not used: the signature is not valid")
		}
		in.render(payload, true)
		return
	}
	if isSMIMEEncrypted(root) {
		in.smimeEncrypted(root)
		return
	}
	if root.mediaType == "text/plain" && root.header.Get("Content-Disposition") == "" {
		if in.inlineRoot(root) {
			return
		}
	}
	in.render(root, true)
}

// isSMIMEEncrypted reports whether p is S/MIME enveloped (encrypted) data.
func isSMIMEEncrypted(p *part) bool {
	if p.mediaType != "application/pkcs7-mime" && p.mediaType != "application/x-pkcs7-mime" {
		return false
	}
	t := strings.ToLower(p.params["smime-type"])
	return t == "" || t == "enveloped-data" || t == "authenveloped-data"
}

// smimeEncrypted reports an S/MIME encrypted message, which Sealpost cannot
// read.
func (in *inspector) smimeEncrypted(p *part) {
	in.res.Encrypted = true
	note := "the message is S/MIME encrypted; Sealpost reads only OpenPGP, so its content is not shown"
	in.warn("%s", note)
	in.addPart(PartVerdict{Path: p.path, ContentType: p.mediaType, Note: note})
}

// signedRoot verifies a multipart/signed that is the whole message (or the
// whole decrypted content) and returns the signed payload.
func (in *inspector) signedRoot(p *part) *part {
	payload := p.children[0]
	if !isPGPSigned(p) {
		in.warn("the message carries a %s signature, which is not checked; it is shown as unsigned", p.params["protocol"])
		return payload
	}
	sig := in.verifyMultipartSigned(p)
	in.setSignature(sig, true)
	return payload
}

// isPGPSigned reports whether a multipart/signed carries an OpenPGP
// signature: by its protocol parameter or, when that is missing, by the type
// of its signature part.
func isPGPSigned(p *part) bool {
	proto := strings.ToLower(p.params["protocol"])
	return proto == "application/pgp-signature" ||
		(proto == "" && len(p.children) >= 2 && p.children[1].mediaType == "application/pgp-signature")
}

// verifyMultipartSigned checks an RFC 3156 multipart/signed entity. The
// signed data is the first part in canonical CRLF form; some clients sign
// their own non-canonical line endings, so the bytes as received are tried
// when the canonical form does not verify.
func (in *inspector) verifyMultipartSigned(p *part) crypto.SignatureResult {
	sigPart := p.children[1]
	if sigPart.mediaType != "application/pgp-signature" {
		in.warn("the signature part has the type %s instead of application/pgp-signature", sigPart.mediaType)
	}
	sigData := in.decodeBody(sigPart)
	signed := p.children[0].raw
	res := crypto.VerifyDetached(bytes.NewReader(canonicalCRLF(signed)), sigData, in.opts.Verifiers, in.now)
	if res.Status == crypto.SigInvalid {
		if alt := crypto.VerifyDetached(bytes.NewReader(signed), sigData, in.opts.Verifiers, in.now); alt.Status != crypto.SigInvalid {
			res = alt
		}
	}
	in.addPart(PartVerdict{Path: p.path, ContentType: p.mediaType, Signature: res.Status, Shown: true, Note: res.Detail})
	return res
}

// setSignature records a signature result. A signature over the whole
// message replaces a fragment's; otherwise the first one found is kept.
func (in *inspector) setSignature(sig crypto.SignatureResult, whole bool) {
	if in.sigSet && (!whole || in.res.Signature.CoversWholeMessage) {
		return
	}
	in.sigSet, in.sigAt = true, sig.SignedAt
	in.res.Signature = SignatureInfo{Status: sig.Status, SignerFingerprint: sig.SignerFingerprint, CoversWholeMessage: whole}
	switch sig.Status {
	case crypto.SigInvalid:
		in.warn("the signature is not valid: the content was changed after signing, or the signature is damaged")
	case crypto.SigUnknownKey:
		in.warn("signed with a key you do not have (%s)", sig.SignerKeyID)
	case crypto.SigExpiredKey:
		in.warn("signed with an expired key: %s", sig.Detail)
	case crypto.SigRevokedKey:
		in.warn("signed with a revoked key: %s", sig.Detail)
	case crypto.SigError:
		in.warn("the signature cannot be checked: %s", sig.Detail)
	}
	if sig.WeakKey != "" && sig.Status == crypto.SigValid {
		in.warn("signed with a weak key (%s): someone with enough computing power could have made this signature", sig.WeakKey)
	}
}

// judgeSigner decides whether the signer's key carries the From address:
// the shown one and, when it differs, the outer one too, so that a
// protected From cannot lend its signature to a different outer sender.
func (in *inspector) judgeSigner(from, outer sender) {
	s := &in.res.Signature
	if !in.sigSet {
		return
	}
	verified := s.Status == crypto.SigValid || s.Status == crypto.SigExpiredKey || s.Status == crypto.SigRevokedKey
	if !verified {
		s.SignerFingerprint = ""
	}
	if verified && from.addr != "" {
		for _, k := range in.opts.Verifiers {
			if k.Fingerprint() == s.SignerFingerprint {
				emails := k.Emails()
				s.SignerMatchesFrom = slices.Contains(emails, from.addr) &&
					(outer.addr == "" || slices.Contains(emails, outer.addr))
				break
			}
		}
	}
	if verified && !s.SignerMatchesFrom {
		in.warn("signed, but not by the sender: the signing key does not belong to %s", from.addr)
	}
	if !s.CoversWholeMessage {
		in.warn("only part of this message is signed; the signature does not vouch for the rest")
	}
}

// maxDateSkew is how far the signature time may be from the Date header
// before a warning: more suggests an old signed message sent again.
const maxDateSkew = 24 * time.Hour

// checkSignatureDate warns when a valid signature was made long before or
// after the message's Date.
func (in *inspector) checkSignatureDate(h message.Header) {
	if !in.sigSet || in.res.Signature.Status != crypto.SigValid || in.sigAt.IsZero() {
		return
	}
	date, err := (&mail.Header{Header: h}).Date()
	if err != nil || date.IsZero() {
		return
	}
	if d := in.sigAt.Sub(date); d > maxDateSkew || d < -maxDateSkew {
		in.warn("the signature was made on %s, but the message is dated %s: it may be an old message sent again",
			in.sigAt.UTC().Format(time.DateOnly), date.UTC().Format(time.DateOnly))
	}
}

// addPart records the state of a security-relevant part.
func (in *inspector) addPart(v PartVerdict) {
	if v.Signature == "" {
		v.Signature = crypto.SigNone
	}
	in.res.Parts = append(in.res.Parts, v)
}

// headerProtection looks for RFC 9788 or legacy protected headers on the
// payload of a cryptographic envelope.
func (in *inspector) headerProtection(payload *part, encrypted bool) {
	hp := strings.ToLower(payload.params["hp"])
	switch {
	case hp == "cipher" && encrypted, hp == "clear":
		in.protected, in.hpKind = &payload.header, HeaderProtectionRFC9788
	case hp == "cipher":
		in.warn("the message claims encrypted header protection but is not encrypted; its inner headers are ignored")
	case strings.EqualFold(payload.params["protected-headers"], "v1"):
		in.protected, in.hpKind = &payload.header, HeaderProtectionLegacy
	}
}

// stagingBuffer is a crypto.Staging that holds the plaintext in memory up to
// a limit and wipes it on Discard.
type stagingBuffer struct {
	buf   []byte
	limit int64
}

// errTooLarge reports decrypted content over the size limit.
var errTooLarge = errors.New("decrypted content exceeds the size limit")

// Write implements io.Writer.
func (s *stagingBuffer) Write(p []byte) (int, error) {
	if int64(len(s.buf)+len(p)) > s.limit {
		return 0, errTooLarge
	}
	s.buf = append(s.buf, p...)
	return len(p), nil
}

// Commit implements crypto.Staging.
func (s *stagingBuffer) Commit() error { return nil }

// Discard implements crypto.Staging.
func (s *stagingBuffer) Discard() {
	clear(s.buf)
	s.buf = nil
}

// decrypt decrypts an OpenPGP message and reports failures as warnings.
func (in *inspector) decrypt(ciphertext []byte, path string) ([]byte, crypto.Verdict, bool) {
	st := &stagingBuffer{limit: in.lim.MaxDecodedSize}
	v, err := crypto.Decrypt(bytes.NewReader(ciphertext), st, crypto.DecryptOptions{
		Keys: in.opts.Keys, Verifiers: in.opts.Verifiers, Now: in.now,
	})
	if err != nil {
		note := decryptProblem(err)
		in.warn("%s", note)
		in.addPart(PartVerdict{Path: path, ContentType: "application/pgp-encrypted", Note: note})
		return nil, v, false
	}
	return st.buf, v, true
}

// decryptProblem words a decryption error for the user.
func decryptProblem(err error) string {
	switch {
	case errors.Is(err, errTooLarge):
		return "the decrypted content is too large to show; it was not decrypted"
	case errors.Is(err, crypto.ErrIntegrity):
		return "the encrypted content is not integrity protected or was modified; it is not shown (" + err.Error() + ")"
	case errors.Is(err, crypto.ErrNoMatchingKey):
		return "the message is encrypted, but not to any of your keys"
	case errors.Is(err, crypto.ErrKeyLocked):
		return "your secret key is locked; unlock it to read this message"
	case errors.Is(err, crypto.ErrBadPassword):
		return "the message is encrypted with a password; open it with the password"
	}
	return "the encrypted content cannot be decrypted: " + err.Error()
}

// encryptedRoot decrypts the message's own encrypted part and renders only
// the decrypted content.
func (in *inspector) encryptedRoot(env, ct *part) {
	data := in.decodeBody(ct)
	if bytes.HasPrefix(bytes.TrimSpace(data), armorSigned) {
		in.warn("the message claims to be encrypted, but holds only signed text")
		text := &part{raw: data, body: data, decoded: data, done: true, path: ct.path,
			mediaType: "text/plain", params: map[string]string{}}
		if !in.inlineRoot(text) {
			in.inlineFragment(text, data)
		}
		return
	}
	in.res.Encrypted = true
	plain, v, ok := in.decrypt(data, ct.path)
	if !ok {
		return
	}
	in.res.Encrypted, in.res.IntegrityProtected = v.Encrypted, v.IntegrityProtected
	if !v.Encrypted {
		in.warn("the message claims to be encrypted, but its content is not encrypted")
	}
	if v.Signature.Status != crypto.SigNone {
		in.setSignature(v.Signature, true)
	}
	in.addPart(PartVerdict{Path: env.path, ContentType: env.mediaType, Encrypted: true, Signature: v.Signature.Status, Shown: true})
	in.parts++
	prefix := ct.path + "/"
	inner, err := in.parse(plain, prefix, 1)
	if err != nil {
		// Some clients encrypt bare text without MIME headers.
		inner = &part{raw: plain, body: plain, path: prefix, mediaType: "text/plain", params: map[string]string{}}
	}
	in.res.Gossip = append(in.res.Gossip, inner.header.Values("Autocrypt-Gossip")...)
	payload := inner
	if inner.isMultipart("signed") && len(inner.children) >= 2 {
		payload = in.signedRoot(inner)
		in.res.Gossip = append(in.res.Gossip, payload.header.Values("Autocrypt-Gossip")...)
	}
	in.headerProtection(payload, true)
	if payload.mediaType == "text/plain" && payload.header.Get("Content-Disposition") == "" {
		if in.inlineRoot(payload) {
			return
		}
	}
	in.render(payload, true)
}
