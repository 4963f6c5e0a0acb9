package verdict

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"io"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp/clearsign"
	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"
	"github.com/sealpost/sealpost/crypto"
)

// Armor lines of inline PGP.
var (
	armorMessage     = []byte("-----BEGIN PGP MESSAGE-----")
	armorMessageEnd  = []byte("-----END PGP MESSAGE-----")
	armorSigned      = []byte("-----BEGIN PGP SIGNED MESSAGE-----")
	armorSignatureEn = []byte("-----END PGP SIGNATURE-----")
)

// isAttachment reports whether a part is meant as an attachment rather than
// as displayed text.
func isAttachment(p *part) bool {
	disp, _, _ := p.header.ContentDisposition()
	return strings.EqualFold(disp, "attachment")
}

// render adds the displayable content of p to the body and its attachments
// to the list. Security layers met here are not the message's own: an
// encrypted part is not decrypted; a signature is a fragment's.
func (in *inspector) render(p *part, top bool) {
	if _, ok := isEncrypted(p); ok {
		note := "an encrypted part inside an unencrypted message was not decrypted: it may be someone else's message placed here to leak its content"
		in.warn("%s", note)
		in.addPart(PartVerdict{Path: p.path, ContentType: p.mediaType, Note: note})
		return
	}
	switch {
	case p.isMultipart("encrypted"):
		note := "an encrypted part without OpenPGP ciphertext was not shown"
		in.warn("%s", note)
		in.addPart(PartVerdict{Path: p.path, ContentType: p.mediaType, Note: note})
	case p.isMultipart("signed"):
		in.renderSigned(p)
	case p.isMultipart("alternative"):
		if c := pickAlternative(p.children); c != nil {
			in.render(c, false)
		}
	case p.isMultipart(""):
		for _, c := range p.children {
			in.render(c, false)
		}
	case p.mediaType == "message/rfc822" || p.mediaType == "message/global":
		in.attach(p, in.attachedName(p))
		in.addPart(PartVerdict{Path: p.path, ContentType: p.mediaType,
			Note: "attached message: its signature or encryption is not the message's and is not examined here"})
	case p.mediaType == "text/rfc822-headers":
		// The legacy display of protected headers: shown through From/Subject.
	case (p.mediaType == "text/plain" || p.mediaType == "text/html") && !isAttachment(p):
		if in.protected != nil && p.params["protected-headers"] != "" && !top {
			return // legacy display part of protected headers
		}
		in.renderText(p)
	default:
		in.attach(p, "")
	}
}

// pickAlternative chooses the plain-text alternative, else the HTML one,
// else the last (the richest, RFC 2046).
func pickAlternative(cs []*part) *part {
	for _, want := range []string{"text/plain", "text/html"} {
		for _, c := range cs {
			if c.mediaType == want && !isAttachment(c) {
				return c
			}
		}
	}
	if len(cs) == 0 {
		return nil
	}
	return cs[len(cs)-1]
}

// renderSigned handles a multipart/signed that is not the whole message.
func (in *inspector) renderSigned(p *part) {
	if len(p.children) < 2 {
		in.warn("the message says it is signed, but the signature is missing")
		for _, c := range p.children {
			in.render(c, false)
		}
		return
	}
	if isPGPSigned(p) {
		in.setSignature(in.verifyMultipartSigned(p), false)
	} else {
		in.warn("a part carries a %s signature, which is not checked", p.params["protocol"])
	}
	in.render(p.children[0], false)
}

// renderText adds a text part to the body.
func (in *inspector) renderText(p *part) {
	data := in.decodeBody(p)
	if p.mediaType == "text/plain" && (bytes.Contains(data, armorMessage) || bytes.Contains(data, armorSigned)) {
		in.inlineFragment(p, data)
		return
	}
	text := toUTF8(data, p.params["charset"])
	if p.mediaType == "text/html" {
		text = htmlToText(text)
		if strings.Contains(text, string(armorMessage)) || strings.Contains(text, string(armorSigned)) {
			in.findBlocks([]byte(text), p.path, "utf-8")
			in.warn("an inline PGP block inside HTML text was not processed; it is shown as text")
			in.addPart(PartVerdict{Path: p.path, ContentType: p.mediaType, Shown: true, Note: "inline PGP in HTML: not processed"})
		}
	} else if in.hpKind == HeaderProtectionRFC9788 && p.params["hp-legacy-display"] == "1" {
		text = stripLegacyDisplay(text)
	}
	in.addText(strings.TrimRight(text, "\r\n"))
}

// stripLegacyDisplay removes the RFC 9788 legacy display element (header
// lines up to the first empty line) from the start of a text/plain body.
func stripLegacyDisplay(text string) string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	if _, rest, ok := strings.Cut(text, "\n\n"); ok {
		return rest
	}
	return text
}

// attach lists p as an attachment.
func (in *inspector) attach(p *part, fallback string) {
	ah := mail.AttachmentHeader{Header: p.header}
	name, err := ah.Filename()
	if err != nil || name == "" {
		name = p.params["name"]
	}
	name = sanitizeFilename(name)
	if name == "" {
		name = fallback
	}
	if in.namesOnly() {
		in.res.Attachments = append(in.res.Attachments, Attachment{Filename: name, ContentType: p.mediaType})
		return
	}
	sum := in.summarize(p)
	a := Attachment{Filename: name, ContentType: p.mediaType, Size: sum.size, SHA256: hex.EncodeToString(sum.sha256[:])}
	if in.opts.KeepAttachmentData {
		a.Data = in.decodeBody(p)
	}
	in.res.Attachments = append(in.res.Attachments, a)
	if bytes.HasPrefix(bytes.TrimSpace(sum.head), armorMessage) {
		note := fmt.Sprintf("the attachment %q holds an encrypted OpenPGP message; it was not decrypted into this message", name)
		in.warn("%s", note)
		in.addPart(PartVerdict{Path: p.path, ContentType: p.mediaType, Note: note})
	}
}

// maxAttachedHeader bounds how much of an attached message is read for
// its Subject.
const maxAttachedHeader = 64 << 10

// attachedName is the file name of an attached message that has none: its
// own Subject with ".eml", as a mail client saves it, else
// "forwarded-message.eml". Inside decrypted content the Subject is known
// only when attachment data is kept.
func (in *inspector) attachedName(p *part) string {
	const fallback = "forwarded-message.eml"
	br := bufio.NewReader(io.LimitReader(decoder(p.cte(), p.body.reader()), maxAttachedHeader))
	h, err := textproto.ReadHeader(br)
	if err != nil {
		return fallback
	}
	subject, _ := (&mail.Header{Header: message.Header{Header: h}}).Text("Subject")
	subject = strings.NewReplacer("/", "-", "\\", "-").Replace(strings.Join(strings.Fields(subject), " "))
	subject = sanitizeFilename(subject)
	if subject == "" {
		return fallback
	}
	if len(subject) > 100 {
		subject = strings.ToValidUTF8(subject[:100], "")
	}
	return subject + ".eml"
}

// inlineRoot processes a text/plain part that is the whole message and
// consists of exactly one inline PGP block. It reports false when the part
// is anything else.
func (in *inspector) inlineRoot(p *part) bool {
	data := in.decodeBody(p)
	block := bytes.TrimSpace(data)
	switch {
	case bytes.HasPrefix(block, armorMessage) && bytes.HasSuffix(block, armorMessageEnd) &&
		bytes.Count(block, armorMessage) == 1:
		outer, outerIntegrity := in.res.Encrypted, in.res.IntegrityProtected
		plain, v, ok := in.decryptText(block, p.path)
		if !ok {
			// Encrypted unless positively an unencrypted OpenPGP message:
			// damaged armor tells nothing either way.
			in.res.Encrypted = outer || !v.Unencrypted
			return true
		}
		in.res.Encrypted = outer || v.Encrypted
		in.res.IntegrityProtected = v.IntegrityProtected || (outer && outerIntegrity && !v.Encrypted)
		if v.Signature.Status != crypto.SigNone {
			in.setSignature(v.Signature, true)
		}
		in.addPart(PartVerdict{Path: p.path, ContentType: p.mediaType, Encrypted: v.Encrypted, Signature: v.Signature.Status, Shown: true, Note: "inline PGP message"})
		in.addText(strings.TrimRight(toUTF8(plain, p.params["charset"]), "\r\n"))
		return true
	case bytes.HasPrefix(block, armorMessage) && bytes.Count(block, armorMessage) == 1 && !bytes.Contains(block, armorMessageEnd):
		return in.truncatedInlineRoot(p, block)
	case bytes.HasPrefix(block, armorSigned) && bytes.HasSuffix(block, armorSignatureEn) &&
		bytes.Count(block, armorSigned) == 1:
		b, rest := clearsign.Decode(block)
		if b == nil || len(bytes.TrimSpace(rest)) != 0 {
			return false
		}
		sig := in.verifyClearsigned(b)
		in.setSignature(sig, true)
		in.addPart(PartVerdict{Path: p.path, ContentType: p.mediaType, Signature: sig.Status, Shown: true, Note: "inline cleartext signature"})
		in.addText(strings.TrimRight(toUTF8(b.Plaintext, p.params["charset"]), "\r\n"))
		return true
	}
	return false
}

// truncatedInlineRoot handles a text that is the whole message and begins
// an armored OpenPGP message whose END line is missing or damaged. Nothing
// of it is shown, not even what might decrypt: the message is encrypted
// and could not be read, unless the block is positively an unencrypted
// OpenPGP message, which is then left to inlineFragment (false).
func (in *inspector) truncatedInlineRoot(p *part, block []byte) bool {
	st := &stagingBuffer{limit: in.lim.MaxDecodedSize}
	v, _ := crypto.Decrypt(bytes.NewReader(block), st, in.decryptOptions())
	st.Discard()
	if v.Unencrypted {
		return false
	}
	in.res.Encrypted = true
	note := "the message is encrypted, but it could not be decrypted: its armor is damaged (the END line is missing or broken)"
	in.warn("%s", note)
	in.addPart(PartVerdict{Path: p.path, ContentType: p.mediaType, Note: note})
	return true
}

// verifyClearsigned checks a cleartext signature block.
func (in *inspector) verifyClearsigned(b *clearsign.Block) crypto.SignatureResult {
	sig, err := io.ReadAll(b.ArmoredSignature.Body)
	if err != nil {
		return crypto.SignatureResult{Status: crypto.SigInvalid, Detail: "the signature block is damaged: " + err.Error()}
	}
	return crypto.VerifyDetached(bytes.NewReader(b.Bytes), sig, in.opts.Verifiers, in.now)
}

// inlineFragment handles inline PGP that is not the whole message: an
// encrypted block is not decrypted; a cleartext signature is verified as a
// fragment's. The text is shown as received, and the blocks are listed
// for InspectBlock.
func (in *inspector) inlineFragment(p *part, data []byte) {
	in.findBlocks(data, p.path, p.params["charset"])
	if bytes.Contains(data, armorMessage) {
		note := "an encrypted block is mixed with unencrypted text and was not decrypted automatically; decrypt it on its own only if you trust where it came from"
		in.warn("%s", note)
		in.addPart(PartVerdict{Path: p.path, ContentType: p.mediaType, Shown: false, Note: note})
	}
	if i := bytes.Index(data, armorSigned); i >= 0 {
		if b, _ := clearsign.Decode(data[i:]); b != nil {
			sig := in.verifyClearsigned(b)
			in.setSignature(sig, false)
			in.addPart(PartVerdict{Path: p.path, ContentType: p.mediaType, Signature: sig.Status, Shown: true,
				Note: "inline cleartext signature over a fragment of the text"})
		} else {
			in.warn("a damaged inline signature block was ignored")
		}
	}
	in.addText(strings.TrimRight(toUTF8(data, p.params["charset"]), "\r\n"))
}
