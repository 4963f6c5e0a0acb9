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
)

// Attachment is a file attached to an outgoing message.
type Attachment struct {
	Filename    string
	ContentType string // empty: guessed from the file name
	Data        []byte
}

// Draft is a message as the user wrote it.
type Draft struct {
	From          string // the account address; Name is added from the account
	FromName      string
	To, Cc, Bcc   []string
	Subject, Body string
	Attachments   []Attachment
	InReplyTo     string
	References    []string
}

// ErrNoRecipients means a message has nobody to go to.
var ErrNoRecipients = errors.New("the message has no recipients: give at least one --to, --cc or --bcc")

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
func BuildMessage(d Draft, now time.Time) ([]byte, error) {
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

	var buf bytes.Buffer
	if len(d.Attachments) == 0 {
		h.Set("Content-Type", "text/plain; charset=utf-8")
		w, err := gomail.CreateSingleInlineWriter(&buf, h)
		if err != nil {
			return nil, err
		}
		return finish(&buf, w, d.Body)
	}
	mw, err := gomail.CreateWriter(&buf, h)
	if err != nil {
		return nil, err
	}
	var th gomail.InlineHeader
	th.Set("Content-Type", "text/plain; charset=utf-8")
	tw, err := mw.CreateSingleInline(th)
	if err != nil {
		return nil, err
	}
	if _, err := io.WriteString(tw, d.Body); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	for _, a := range d.Attachments {
		var ah gomail.AttachmentHeader
		ct := a.ContentType
		if ct == "" {
			ct = contentTypeFor(a.Filename)
		}
		ah.Set("Content-Type", ct)
		ah.SetFilename(a.Filename)
		aw, err := mw.CreateAttachment(ah)
		if err != nil {
			return nil, err
		}
		if _, err := aw.Write(a.Data); err != nil {
			return nil, err
		}
		if err := aw.Close(); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func finish(buf *bytes.Buffer, w io.WriteCloser, body string) ([]byte, error) {
	if _, err := io.WriteString(w, body); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
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
