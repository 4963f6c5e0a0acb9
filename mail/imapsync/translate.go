package imapsync

import (
	"bufio"
	"bytes"
	"strings"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/sealpost/sealpost/localstore"
)

// summaryOf translates one FETCH response into a localstore summary.
func summaryOf(m *imapclient.FetchMessageBuffer) localstore.Summary {
	sum := localstore.Summary{
		UID:          uint32(m.UID),
		InternalDate: m.InternalDate,
		Flags:        flagStrings(m.Flags),
		Size:         uint32(min(max(m.RFC822Size, 0), 1<<32-1)),
	}
	if env := m.Envelope; env != nil {
		sum.MessageID = env.MessageID
		sum.Subject = env.Subject
		sum.Date = env.Date
		sum.From = formatAddresses(env.From)
		sum.To = formatAddresses(env.To)
		sum.Cc = formatAddresses(env.Cc)
		if len(env.InReplyTo) > 0 {
			sum.InReplyTo = env.InReplyTo[0]
		}
	}
	if bs := m.BodyStructure; bs != nil {
		sum.HasAttachments, sum.Encrypted, sum.Signed = structureFacts(bs)
	}
	return sum
}

func flagStrings(flags []imap.Flag) []string {
	out := make([]string, len(flags))
	for i, f := range flags {
		out[i] = string(f)
	}
	return out
}

// formatAddresses renders addresses as `Name <local@host>, ...`, skipping
// group markers.
func formatAddresses(list []imap.Address) string {
	var b strings.Builder
	for i := range list {
		a := &list[i]
		if a.IsGroupStart() || a.IsGroupEnd() {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		addr := a.Addr()
		if a.Name == "" {
			b.WriteString(addr)
			continue
		}
		b.WriteString(a.Name + " <" + addr + ">")
	}
	return b.String()
}

// structureFacts reads what the list view shows from a body structure:
// attachments (a part with an attachment disposition, or a named non-inline
// part), an OpenPGP encrypted top level (RFC 3156; S/MIME, which Sealpost
// cannot read, does not count) and a signed one. The crypto layer refines
// Encrypted and Signed when the message is opened.
func structureFacts(bs imap.BodyStructure) (attachments, encrypted, signed bool) {
	switch top := bs.(type) {
	case *imap.BodyStructureMultiPart:
		switch strings.ToLower(top.Subtype) {
		case "encrypted":
			encrypted = isPGPEncrypted(top)
		case "signed":
			signed = true
		}
	case *imap.BodyStructureSinglePart:
		if top.MediaType() == "application/pkcs7-mime" || top.MediaType() == "application/x-pkcs7-mime" {
			// S/MIME: ciphertext or an opaque signature, nothing to list.
			return false, false, false
		}
	}
	if strings.EqualFold(bs.MediaType(), "multipart/encrypted") {
		// The parts inside are ciphertext; the crypto layer looks inside.
		return false, encrypted, false
	}
	bs.Walk(func(_ []int, part imap.BodyStructure) bool {
		single, ok := part.(*imap.BodyStructureSinglePart)
		if !ok {
			return true
		}
		disp := single.Disposition()
		switch {
		case disp != nil && strings.EqualFold(disp.Value, "attachment"):
			attachments = true
		case single.Filename() != "" && (disp == nil || !strings.EqualFold(disp.Value, "inline")) && !isCryptoPart(single.MediaType()):
			attachments = true
		}
		return !attachments
	})
	return attachments, encrypted, signed
}

// isPGPEncrypted reports whether a multipart/encrypted is OpenPGP's (RFC
// 3156): its protocol, when the server sent it, and its first part say so.
func isPGPEncrypted(mp *imap.BodyStructureMultiPart) bool {
	if ext := mp.Extended; ext != nil && ext.Params != nil {
		if p, ok := ext.Params["protocol"]; ok && !strings.EqualFold(p, "application/pgp-encrypted") {
			return false
		}
	}
	return len(mp.Children) >= 2 && strings.EqualFold(mp.Children[0].MediaType(), "application/pgp-encrypted")
}

// isCryptoPart reports whether a named part is a PGP/MIME or S/MIME control
// or signature part rather than an attachment.
func isCryptoPart(mediaType string) bool {
	switch mediaType {
	case "application/pgp-encrypted", "application/pgp-signature",
		"application/pkcs7-signature", "application/x-pkcs7-signature",
		"application/pkcs7-mime", "application/x-pkcs7-mime":
		return true
	}
	return false
}

// maxReferences bounds the Message-IDs kept from a References header: the
// oldest (the thread's root) and the newest ones are what threading needs.
const maxReferences = 20

// referencesOf reads the Message-IDs of a fetched References header
// (header lines and the blank line after them), without angle brackets; a
// header that does not parse gives none. Of a long list it keeps the
// first and the last maxReferences-1.
func referencesOf(header []byte) []string { return threadHeadersOf(header).References }

// threadHeadersOf reads In-Reply-To (its first Message-ID) and References
// (as referencesOf) from fetched header lines.
func threadHeadersOf(header []byte) localstore.ThreadHeaders {
	var th localstore.ThreadHeaders
	if len(header) == 0 {
		return th
	}
	h, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(header)))
	if err != nil {
		return th
	}
	mh := mail.Header{Header: message.Header{Header: h}}
	if ids, err := mh.MsgIDList("In-Reply-To"); err == nil && len(ids) > 0 {
		th.InReplyTo = ids[0]
	}
	ids, err := mh.MsgIDList("References")
	if err != nil || len(ids) == 0 {
		return th
	}
	if len(ids) > maxReferences {
		ids = append(ids[:1], ids[len(ids)-maxReferences+1:]...)
	}
	th.References = ids
	return th
}
