package mail

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	netmail "net/mail"
	"strings"
	"time"

	gomail "github.com/emersion/go-message/mail"
	"github.com/sealpost/sealpost/mail/backend"
)

// ErrNoRecipients means a message has nobody to go to.
var ErrNoRecipients = errors.New("the message has no recipients: add at least one")

// parseAddresses parses addresses as people write them ("Bob <bob@x>" or
// "bob@x", several separated by commas).
func parseAddresses(list []string) ([]*gomail.Address, error) {
	var out []*gomail.Address
	for _, item := range list {
		if strings.TrimSpace(item) == "" {
			continue
		}
		addrs, err := netmail.ParseAddressList(item)
		if err != nil {
			return nil, fmt.Errorf("%q is not a valid address: %w", item, err)
		}
		for _, a := range addrs {
			out = append(out, &gomail.Address{Name: a.Name, Address: a.Address})
		}
	}
	return out, nil
}

// BuildMessage writes d as an RFC 5322 message with MIME: a UTF-8
// text/plain body (quoted-printable) and base64 attachments whose file names
// are encoded per RFC 2231. Bcc stays in this copy (it is removed when the
// message is submitted) so the user's own copy shows who got it.
func BuildMessage(d backend.Draft, now time.Time) ([]byte, error) {
	m, err := newOutgoing(d, now)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := m.writeTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// outgoing is a message as BuildMessage writes it: the header is made and
// checked first, the body (with its attachments) is written as it streams.
type outgoing struct {
	h gomail.Header
	d backend.Draft
}

// newOutgoing checks d's addresses and makes the header.
func newOutgoing(d backend.Draft, now time.Time) (*outgoing, error) {
	from, err := parseAddresses([]string{d.From})
	if err != nil || len(from) != 1 {
		return nil, fmt.Errorf("sender %q is not one address", d.From)
	}
	if d.FromName != "" && from[0].Name == "" {
		from[0].Name = d.FromName
	}
	to, err := parseAddresses(d.To)
	if err != nil {
		return nil, err
	}
	cc, err := parseAddresses(d.Cc)
	if err != nil {
		return nil, err
	}
	bcc, err := parseAddresses(d.Bcc)
	if err != nil {
		return nil, err
	}
	if len(to)+len(cc)+len(bcc) == 0 {
		return nil, ErrNoRecipients
	}
	var h gomail.Header
	h.SetDate(now)
	h.SetAddressList("From", from)
	if len(to) > 0 {
		h.SetAddressList("To", to)
	}
	if len(cc) > 0 {
		h.SetAddressList("Cc", cc)
	}
	if len(bcc) > 0 {
		h.SetAddressList("Bcc", bcc)
	}
	h.SetSubject(d.Subject)
	id, err := newMessageID(from[0].Address)
	if err != nil {
		return nil, err
	}
	h.SetMessageID(id)
	if d.InReplyTo != "" {
		h.SetMsgIDList("In-Reply-To", []string{d.InReplyTo})
	}
	if len(d.References) > 0 {
		h.SetMsgIDList("References", d.References)
	}
	return &outgoing{h: h, d: d}, nil
}

// writeTo writes the message to w, streaming each attachment.
func (m *outgoing) writeTo(w io.Writer) error {
	if len(m.d.Attachments) == 0 {
		h := m.h.Copy()
		h.Set("Content-Type", "text/plain; charset=utf-8")
		tw, err := gomail.CreateSingleInlineWriter(w, h)
		if err != nil {
			return err
		}
		return writeAndClose(tw, strings.NewReader(m.d.Body))
	}
	mw, err := gomail.CreateWriter(w, m.h)
	if err != nil {
		return err
	}
	var th gomail.InlineHeader
	th.Set("Content-Type", "text/plain; charset=utf-8")
	tw, err := mw.CreateSingleInline(th)
	if err != nil {
		return err
	}
	if err := writeAndClose(tw, strings.NewReader(m.d.Body)); err != nil {
		return err
	}
	for _, a := range m.d.Attachments {
		if err := writeAttachment(mw, a); err != nil {
			return err
		}
	}
	return mw.Close()
}

// writeAttachment adds a to the message, streaming it from a.Open if set.
func writeAttachment(mw *gomail.Writer, a backend.Attachment) error {
	var ah gomail.AttachmentHeader
	ct := a.ContentType
	if ct == "" {
		ct = contentTypeFor(a.Filename)
	}
	ah.Set("Content-Type", ct)
	ah.SetFilename(a.Filename)
	aw, err := mw.CreateAttachment(ah)
	if err != nil {
		return err
	}
	if a.Open == nil {
		return writeAndClose(aw, bytes.NewReader(a.Data))
	}
	src, err := a.Open()
	if err != nil {
		return fmt.Errorf("attachment %s: %w", a.Filename, err)
	}
	defer src.Close()
	if err := writeAndClose(aw, src); err != nil {
		return fmt.Errorf("attachment %s: %w", a.Filename, err)
	}
	return nil
}

// writeAndClose copies src into w and closes w.
func writeAndClose(w io.WriteCloser, src io.Reader) error {
	if _, err := io.Copy(w, src); err != nil {
		return err
	}
	return w.Close()
}

func contentTypeFor(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		if t := mime.TypeByExtension(strings.ToLower(name[i:])); t != "" {
			return t
		}
	}
	return "application/octet-stream"
}

// newMessageID makes a random Message-ID in the sender's domain.
func newMessageID(address string) (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	domain := "sealpost.invalid"
	if i := strings.LastIndexByte(address, '@'); i >= 0 && i+1 < len(address) {
		domain = address[i+1:]
	}
	return hex.EncodeToString(b[:]) + "@" + domain, nil
}
