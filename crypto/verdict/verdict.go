// Package verdict reads a received message and judges its security: it
// decrypts and verifies PGP/MIME and inline PGP, applies header protection
// and reports exactly what was verified, in one Result per message.
//
// Inspect is a pure function: bytes in, Result out; InspectFrom reads a
// message of any size from an io.ReaderAt (a file) in bounded memory. They
// do no other I/O, fetch nothing, and bound the work an input can cause
// (Limits).
//
// Memory: the message is parsed as a stream and its parts are read again
// from the input when needed, never held whole. Decrypted content cannot be
// read again (it is never written anywhere): it is parsed while it is
// decrypted, keeping only text, signatures and (when asked) attachment data
// within MaxDecodedSize, and a size and SHA-256 of every attachment. None of
// it is used unless the integrity check at the end of the decryption
// passes; otherwise what was kept is wiped.
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
//     verified but marked as covering only a fragment. Such blocks, and
//     those in HTML, are listed in Result.Blocks: InspectBlock decrypts or
//     verifies one on its own when the user asks, with a verdict of its own
//     and only its content as text.
//   - A signature that does not cover the whole displayed message (inside
//     multipart/mixed beside unsigned parts, or around a fragment of text)
//     is reported with CoversWholeMessage false and a warning. Signatures
//     inside attached or forwarded messages (message/rfc822) are not
//     examined: they are not the message's signature.
package verdict

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-message"
	"github.com/sealpost/sealpost/crypto"
	"github.com/sealpost/sealpost/internal/maildate"
)

// Default limits, used for every zero field of Limits.
const (
	DefaultMaxDepth       = 20
	DefaultMaxParts       = 500
	DefaultMaxDecodedSize = 64 << 20
	DefaultMaxTextSize    = 1 << 20
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
	// MaxDecodedSize caps, in bytes, what is held in memory: the output of
	// transfer decoding, the parts of decrypted content that are kept, and
	// decrypted inline text. It also caps how much larger than its
	// ciphertext the plaintext of a decryption may be (which bounds
	// decompression).
	MaxDecodedSize int64
	// MaxTextSize caps BodyText; longer text is cut with a marker.
	MaxTextSize int
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
	if l.MaxTextSize <= 0 {
		l.MaxTextSize = DefaultMaxTextSize
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
	// KeepAttachmentData fills Attachment.Data (within
	// Limits.MaxDecodedSize), for a reader that saves attachments. Without
	// it attachments are only described: name, type, size and SHA-256.
	KeepAttachmentData bool
	// AttachmentNamesOnly describes attachments by name and type only:
	// their content is not decoded, so Attachment.Size and SHA256 stay
	// zero, an OpenPGP message inside one is not noted, and inside
	// decrypted content no part's first decoded bytes are kept (nor
	// charged to Limits.MaxDecodedSize). It is for a caller that reads
	// only the text, names and headers of the verdict (the search index),
	// never for one that shows the verdict. KeepAttachmentData overrides
	// it.
	AttachmentNamesOnly bool
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
	// SignedAt is the creation time the signature claims; zero when
	// nothing is signed or the signature does not say.
	SignedAt time.Time
	// DateMismatch is true when a valid signature was made more than a day
	// before or after the message's Date: an old signed message may have
	// been sent again under a new date. Such a signature must not be shown
	// as a plain valid one.
	DateMismatch bool
}

// Attachment describes one attachment. Filename is sanitised (no path, no
// control characters) but still chosen by the sender.
type Attachment struct {
	Filename    string
	ContentType string
	// Size is the size of the decoded content in bytes.
	Size int64
	// SHA256 is the SHA-256 of the decoded content, in lower-case hex.
	SHA256 string
	// Data is the decoded content, only with Options.KeepAttachmentData;
	// shorter than Size when it did not fit in Limits.MaxDecodedSize (a
	// warning says so). Only attachments of the displayed message are
	// listed, so Data never holds a part the verdict refused.
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
	// Encrypted is true when the message itself is OpenPGP encrypted (even
	// when it could not be decrypted): never for S/MIME (SMIMEEncrypted),
	// nor for an OpenPGP message that is only signed.
	Encrypted bool
	// SMIMEEncrypted is true when the message is S/MIME encrypted, which
	// Sealpost cannot read: nothing of its content is shown.
	SMIMEEncrypted bool
	// IntegrityProtected is true when decryption succeeded with MDC or AEAD.
	IntegrityProtected bool
	// HeaderProtection is "none", "legacy" or "rfc9788".
	HeaderProtection string
	// Signature is the verdict on the message's signature.
	Signature SignatureInfo
	// BodyText is the text the user sees; HTML reduced to text.
	BodyText string
	// To, Cc, Bcc and ReplyTo are the recipients and the reply address as
	// shown: addresses ("Name <address>") joined by ", ", or the field's
	// text when it cannot be read as addresses; empty when the field is
	// absent. Bcc is present mostly in one's own sent copies.
	To, Cc, Bcc, ReplyTo string
	// Date is the Date field with the sender's own time zone; zero when it
	// is absent or cannot be read.
	Date time.Time
	// Protected names the fields among From, To, Cc, Bcc, Reply-To, Date
	// and Subject whose values above come from protected headers. A field
	// that the protected headers lack keeps its outer value and is not
	// named here.
	Protected []string
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
	// Blocks are the inline OpenPGP blocks that were not processed with
	// the message (text around them, or HTML), for InspectBlock.
	Blocks []Block
}

// inspector carries the state of one Inspect call.
type inspector struct {
	opts Options
	lim  Limits
	now  time.Time
	// src is the input; nil while decrypted content streams by.
	src    io.ReaderAt
	res    Result
	parts  int
	budget int64
	// kept lists the bytes of decrypted content held in memory, to wipe
	// when the decryption fails.
	kept    [][]byte
	body    []string
	textLen int  // bytes in body
	textCut bool // body was cut at MaxTextSize
	// sigSet is true once a signature was recorded.
	sigSet bool
	// protected is the header of the payload whose headers are protected.
	protected *message.Header
	hpKind    string
	// buf is the buffer copies go through (see copy); br reads the
	// headers of parts (see headerReader).
	buf []byte
	br  *bufio.Reader
	// scratch holds buf and br when they came from scratches.
	scratch *scratch
}

// Inspect reads one RFC 5322 message and returns its security verdict. It
// returns an error only when the input cannot be read as a message at all;
// every other problem is reported in Result.Warnings.
func Inspect(raw []byte, opts Options) (Result, error) {
	return InspectFrom(bytes.NewReader(raw), int64(len(raw)), opts)
}

// InspectFrom is Inspect for a message of size bytes in src, typically a
// file: parts are read from src as they are needed, so memory stays bounded
// however large the message is (see the package documentation). It also
// fails when src cannot be read.
func InspectFrom(src io.ReaderAt, size int64, opts Options) (Result, error) {
	in := &inspector{opts: opts, lim: opts.Limits.withDefaults(), now: opts.Now, src: src}
	in.useScratch()
	defer in.release()
	if in.now.IsZero() {
		in.now = time.Now()
	}
	in.budget = in.lim.MaxDecodedSize
	start, err := messageStart(in.headerReader(nil), src, size)
	if err != nil {
		return Result{}, fmt.Errorf("inspect: %w", err)
	}
	in.parts = 1
	root, err := in.parse(io.NewSectionReader(src, start, size-start), start, "", 0, "")
	if err != nil {
		return Result{}, fmt.Errorf("inspect: read the message: %w", err)
	}
	if root.headerErr != nil {
		return Result{}, fmt.Errorf("inspect: %w", root.headerErr)
	}
	in.res.HeaderProtection = HeaderProtectionNone
	in.res.Signature.Status = crypto.SigNone
	in.res.Autocrypt = root.header.Values("Autocrypt")
	in.message(root)

	outer := parseFrom(root.header)
	from := outer
	if in.protected != nil {
		in.res.HeaderProtection = in.hpKind
	}
	subject, _ := in.shown(root.header, "Subject")
	in.res.Subject, _ = subject.Text("Subject")
	if h, protected := in.shown(root.header, "From"); protected {
		from = parseFrom(h)
		if from.addr != outer.addr {
			in.warn("the protected sender %s differs from the outer sender %s; the protected one is shown", from.display, outer.display)
		}
	}
	replyHeader, _ := in.shown(root.header, "Reply-To")
	dateHeader, _ := in.shown(root.header, "Date")
	to, _ := in.shown(root.header, "To")
	cc, _ := in.shown(root.header, "Cc")
	bcc, _ := in.shown(root.header, "Bcc")
	in.res.From = from.display
	in.res.To, in.res.Cc, in.res.Bcc = addressText(to, "To"), addressText(cc, "Cc"), addressText(bcc, "Bcc")
	in.res.ReplyTo = addressText(replyHeader, "Reply-To")
	if d, err := headerDate(dateHeader); err == nil {
		in.res.Date = d
	}
	in.checkSender(from, outer, replyHeader)
	for i := range in.res.Blocks {
		in.res.Blocks[i].Sender, in.res.Blocks[i].Date = from.addr, in.res.Date
	}
	in.judgeSigner(from, outer)
	in.checkSignatureDate(dateHeader)
	in.res.BodyText = strings.ReplaceAll(strings.Join(in.body, "\n\n"), "\r\n", "\n")
	if in.textCut {
		in.res.BodyText += "\n\n" + textCutMarker
		in.warn("the text is longer than %d bytes: only its beginning is shown", in.lim.MaxTextSize)
	}
	return in.res, nil
}

// shown returns the header whose field name the verdict shows: the
// protected header when header protection applied and it has the field
// (which Result.Protected then names, and protected reports), else the
// outer header.
func (in *inspector) shown(outer message.Header, name string) (h message.Header, protected bool) {
	if in.protected == nil || !in.protected.Has(name) {
		return outer, false
	}
	if !slices.Contains(in.res.Protected, name) {
		in.res.Protected = append(in.res.Protected, name)
	}
	return *in.protected, true
}

// textCutMarker ends a BodyText that was cut at MaxTextSize.
const textCutMarker = "[… the rest of the text is not shown: it is too long]"

// messageStart returns where the message of size bytes in src begins:
// after an mbox separator line ("From - date") if there is one, reading
// through br. A message of nothing but white space is an error.
func messageStart(br *bufio.Reader, src io.ReaderAt, size int64) (int64, error) {
	blank := true
	br.Reset(io.NewSectionReader(src, 0, size))
	for blank {
		b, err := br.ReadByte()
		if errors.Is(err, io.EOF) {
			return 0, errors.New("the message is empty")
		}
		if err != nil {
			return 0, err
		}
		blank = strings.IndexByte(" \t\r\n\v\f", b) >= 0
	}
	br.Reset(io.NewSectionReader(src, 0, size))
	if head, _ := br.Peek(5); string(head) != "From " {
		return 0, nil
	}
	var start int64
	for {
		line, err := br.ReadSlice('\n')
		start += int64(len(line))
		switch {
		case err == nil:
			return start, nil
		case errors.Is(err, io.EOF):
			return 0, nil // no line break: no separator line
		case !errors.Is(err, bufio.ErrBufferFull):
			return 0, err
		}
	}
}

// addText adds a piece of the text to show, as far as MaxTextSize allows.
func (in *inspector) addText(text string) {
	if in.textCut {
		return
	}
	if room := in.lim.MaxTextSize - in.textLen; len(text) > room {
		text = strings.ToValidUTF8(text[:max(room, 0)], "")
		in.textCut = true
	}
	in.body = append(in.body, text)
	in.textLen += len(text)
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
	in.res.SMIMEEncrypted = true
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
	var res crypto.SignatureResult
	if !signed.whole() {
		res = crypto.SignatureResult{Status: crypto.SigError,
			Detail: fmt.Sprintf("the signed part is larger than %d bytes and was not checked", in.lim.MaxDecodedSize)}
	} else {
		res = crypto.VerifyDetached(&crlfReader{r: signed.reader()}, sigData, in.opts.Verifiers, in.now)
		if res.Status == crypto.SigInvalid {
			if alt := crypto.VerifyDetached(signed.reader(), sigData, in.opts.Verifiers, in.now); alt.Status != crypto.SigInvalid {
				res = alt
			}
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
	in.sigSet = true
	in.res.Signature = SignatureInfo{Status: sig.Status, SignerFingerprint: sig.SignerFingerprint, CoversWholeMessage: whole,
		SignedAt: sig.SignedAt}
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

// headerDate returns the date of h's Date field as go-message's
// mail.Header.Date does (the zero time for none), through maildate.Parse.
func headerDate(h message.Header) (time.Time, error) {
	v := h.Get("Date")
	if v == "" {
		return time.Time{}, nil
	}
	return maildate.Parse(v)
}

// checkSignatureDate warns when a valid signature was made long before or
// after the message's Date.
func (in *inspector) checkSignatureDate(h message.Header) {
	if !in.sigSet || in.res.Signature.Status != crypto.SigValid || in.res.Signature.SignedAt.IsZero() {
		return
	}
	date, err := headerDate(h)
	if err != nil || date.IsZero() {
		return
	}
	if d := in.res.Signature.SignedAt.Sub(date); d > maxDateSkew || d < -maxDateSkew {
		in.res.Signature.DateMismatch = true
		in.warn("%s", DateMismatchWarning(in.res.Signature.SignedAt, date))
	}
}

// DateMismatchWarning is the warning of Result.Warnings that goes with
// SignatureInfo.DateMismatch, for a signature made at signed in a message
// dated date (Result.Date). A reader that shows the mismatch in words of
// its own leaves this warning out, so that it says it once.
func DateMismatchWarning(signed, date time.Time) string {
	return fmt.Sprintf("the signature was made on %s, but the message is dated %s: it may be an old message sent again",
		signed.UTC().Format(time.DateOnly), date.UTC().Format(time.DateOnly))
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

// decryptText decrypts an inline OpenPGP message into memory and reports
// failures as warnings.
func (in *inspector) decryptText(ciphertext []byte, path string) ([]byte, crypto.Verdict, bool) {
	st := &stagingBuffer{limit: in.lim.MaxDecodedSize}
	v, err := crypto.Decrypt(bytes.NewReader(ciphertext), st, in.decryptOptions())
	if err != nil {
		in.decryptFailed(err, path)
		return nil, v, false
	}
	return st.buf, v, true
}

func (in *inspector) decryptOptions() crypto.DecryptOptions {
	return crypto.DecryptOptions{Keys: in.opts.Keys, Verifiers: in.opts.Verifiers, Now: in.now}
}

// decryptFailed reports a failed decryption of the part at path.
func (in *inspector) decryptFailed(err error, path string) {
	note := decryptProblem(err)
	in.warn("%s", note)
	in.addPart(PartVerdict{Path: path, ContentType: "application/pgp-encrypted", Note: note})
}

// mimeStaging is a crypto.Staging that parses the decrypted MIME entity as
// it streams by, in a goroutine reading a pipe, with an inspector of its own
// (sub). Nothing the parse learns reaches the verdict before Commit, that
// is before the integrity check passed; Discard wipes what it kept.
type mimeStaging struct {
	pw      *io.PipeWriter
	bw      *bufio.Writer // whole buffers cross the pipe: each handoff wakes the parser
	done    chan struct{}
	sub     *inspector
	root    *part // set by the parser
	err     error // set by the parser
	written int64
	cipher  *countReader // the ciphertext Decrypt reads
	limit   int64        // how far the plaintext may outgrow the ciphertext
}

// pipeBuffer is the size of the buffers on both ends of the pipe to the
// parser of decrypted content.
const pipeBuffer = 64 << 10

// errDiscarded stops the parser of a discarded decryption.
var errDiscarded = errors.New("decryption discarded")

// newMIMEStaging starts the parser of the content decrypted from the part
// at path, read from cipher.
func (in *inspector) newMIMEStaging(path string, cipher *countReader) *mimeStaging {
	sub := &inspector{opts: in.opts, lim: in.lim, now: in.now, parts: in.parts, budget: in.budget}
	pr, pw := io.Pipe()
	st := &mimeStaging{pw: pw, bw: bufio.NewWriterSize(pw, pipeBuffer), done: make(chan struct{}), sub: sub, cipher: cipher,
		limit: in.lim.MaxDecodedSize}
	go func() {
		defer func() {
			if r := recover(); r != nil {
				st.err = fmt.Errorf("internal error reading the decrypted content: %v", r)
			}
			// Decrypt's writes must never block, whatever the parser did.
			_, _ = io.Copy(io.Discard, pr)
			close(st.done)
		}()
		// A header that cannot be read: bare text without MIME headers,
		// as some clients encrypt it.
		st.root, st.err = sub.parse(bufio.NewReaderSize(pr, pipeBuffer), 0, path+"/", 1, "text/plain")
	}()
	return st
}

// Write passes decrypted bytes to the parser. Plaintext that outgrows its
// ciphertext by more than the limit (decompression) is refused.
func (st *mimeStaging) Write(p []byte) (int, error) {
	st.written += int64(len(p))
	if st.written > st.cipher.n+st.limit {
		return 0, errTooLarge
	}
	return st.bw.Write(p)
}

// Commit ends the plaintext and waits for the parser.
func (st *mimeStaging) Commit() error {
	err := st.bw.Flush()
	st.pw.Close()
	<-st.done
	if err != nil {
		return err
	}
	return st.err
}

// Discard stops the parser and wipes what it kept.
func (st *mimeStaging) Discard() {
	st.pw.CloseWithError(errDiscarded)
	<-st.done
	for _, b := range st.sub.kept {
		clear(b)
	}
	st.root, st.sub.kept = nil, nil
}

// decryptMIME decrypts the OpenPGP message in src (the ciphertext part at
// path) and parses the decrypted MIME entity as it streams. Failures are
// reported as warnings. On success the parse's limits, budget and warnings
// join the verdict.
func (in *inspector) decryptMIME(src io.Reader, path string) (*part, crypto.Verdict, bool) {
	cipher := &countReader{r: src}
	st := in.newMIMEStaging(path, cipher)
	v, err := crypto.Decrypt(cipher, st, in.decryptOptions())
	if err != nil {
		in.decryptFailed(err, path)
		return nil, v, false
	}
	in.parts, in.budget = st.sub.parts, st.sub.budget
	for _, w := range st.sub.res.Warnings {
		in.warn("%s", w)
	}
	in.res.Blocks = append(in.res.Blocks, st.sub.res.Blocks...)
	in.res.Blocks = in.res.Blocks[:min(len(in.res.Blocks), maxBlocks)]
	return st.root, v, true
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
	case errors.Is(err, crypto.ErrDamagedArmor):
		return "the message is encrypted, but it could not be decrypted: its armor is damaged (" + err.Error() + ")"
	}
	return "the encrypted content cannot be decrypted: " + err.Error()
}

// encryptedRoot decrypts the message's own encrypted part and renders only
// the decrypted content. The ciphertext streams from the input into the
// decryption, and the decrypted content into its parser.
func (in *inspector) encryptedRoot(env, ct *part) {
	if in.signedText(ct) {
		data := in.decodeBody(ct)
		in.warn("the message claims to be encrypted, but holds only signed text")
		text := &part{raw: span{kept: data, n: int64(len(data))}, body: span{kept: data, n: int64(len(data))},
			decoded: data, done: true, path: ct.path, mediaType: "text/plain", params: map[string]string{}}
		if !in.inlineRoot(text) {
			in.inlineFragment(text, data)
		}
		return
	}
	inner, v, ok := in.decryptMIME(decoder(ct.cte(), ct.body.reader()), ct.path)
	if !ok {
		// The message arrived encrypted: it stays so, undecryptable and
		// with nothing of it shown, unless the part is positively an
		// unencrypted OpenPGP message (a signed one that failed, too
		// large, say). Damaged armor tells nothing either way.
		in.res.Encrypted = !v.Unencrypted
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

// signedText reports whether the decoded body of ct starts (after white
// space) with a cleartext signature rather than an encrypted message.
func (in *inspector) signedText(ct *part) bool {
	head, _ := io.ReadAll(io.LimitReader(&skipSpace{r: decoder(ct.cte(), ct.body.reader())}, int64(len(armorSigned))))
	return bytes.Equal(head, armorSigned)
}

// skipSpace drops the white space at the start of what it reads.
type skipSpace struct {
	r       io.Reader
	started bool
}

func (s *skipSpace) Read(p []byte) (int, error) {
	for {
		n, err := s.r.Read(p)
		if s.started || n == 0 {
			return n, err
		}
		rest := bytes.TrimLeft(p[:n], " \t\r\n\v\f")
		if len(rest) > 0 {
			s.started = true
			return copy(p, rest), err
		}
		if err != nil {
			return 0, err
		}
	}
}
