package submit

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/mail"
	"strings"

	"github.com/emersion/go-message/textproto"
)

// Envelope is the SMTP envelope of a message: the return path and every
// recipient (To, Cc and Bcc together).
type Envelope struct {
	From string
	To   []string
}

// hiddenFields are removed before submission: their addresses go into the
// envelope only.
var hiddenFields = []string{"Bcc", "Resent-Bcc"}

// PrepareForSubmission returns the message as it is submitted, which is raw
// with every Bcc (and Resent-Bcc) header field removed and every other byte
// unchanged, and its envelope: the Sender address (else the single From
// address) and the To, Cc and Bcc addresses, in that order, without
// duplicates. Addresses are compared and returned with their domain in
// lower case; local parts are kept as written.
func PrepareForSubmission(raw []byte) ([]byte, Envelope, error) {
	br := bufio.NewReader(bytes.NewReader(raw))
	h, err := textproto.ReadHeader(br)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, Envelope{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	from, err := sender(h)
	if err != nil {
		return nil, Envelope{}, err
	}
	env := Envelope{From: from}
	seen := map[string]bool{}
	for _, field := range []string{"To", "Cc", "Bcc"} {
		addrs, err := addresses(h, field)
		if err != nil {
			return nil, Envelope{}, err
		}
		for _, a := range addrs {
			if !seen[a] {
				seen[a] = true
				env.To = append(env.To, a)
			}
		}
	}
	if len(env.To) == 0 {
		return nil, Envelope{}, ErrNoRecipients
	}

	for _, f := range hiddenFields {
		h.Del(f)
	}
	var out bytes.Buffer
	out.Grow(len(raw))
	if err := textproto.WriteHeader(&out, h); err != nil {
		return nil, Envelope{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if _, err := br.WriteTo(&out); err != nil {
		return nil, Envelope{}, fmt.Errorf("copy message body: %w", err)
	}
	return out.Bytes(), env, nil
}

// hasHiddenField reports whether data's header has a Bcc or Resent-Bcc field.
func hasHiddenField(data []byte) (bool, error) {
	h, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(data)))
	if err != nil && !errors.Is(err, io.EOF) {
		return false, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	for _, f := range hiddenFields {
		if h.Has(f) {
			return true, nil
		}
	}
	return false, nil
}

// sender returns the envelope sender: the Sender address, else the only
// From address.
func sender(h textproto.Header) (string, error) {
	for _, field := range []string{"Sender", "From"} {
		addrs, err := addresses(h, field)
		if err != nil {
			return "", err
		}
		switch len(addrs) {
		case 0:
			continue
		case 1:
			return addrs[0], nil
		default:
			if field == "From" {
				return "", fmt.Errorf("%w: From names %d addresses and there is no Sender", ErrNoSender, len(addrs))
			}
			return "", fmt.Errorf("%w: Sender names %d addresses", ErrNoSender, len(addrs))
		}
	}
	return "", ErrNoSender
}

// addressParser reads address lists. Display names are not needed, so
// encoded words in any charset are passed through undecoded rather than
// failing the parse.
var addressParser = mail.AddressParser{WordDecoder: &mime.WordDecoder{
	CharsetReader: func(_ string, input io.Reader) (io.Reader, error) { return input, nil },
}}

// addresses parses every field named key (a message may wrongly repeat a
// field) and returns its addresses, domains lower-cased. Group syntax
// ("undisclosed-recipients:;") contributes its members, if any.
func addresses(h textproto.Header, key string) ([]string, error) {
	var out []string
	for _, v := range h.Values(key) {
		if strings.TrimSpace(v) == "" {
			continue
		}
		list, err := addressParser.ParseList(v)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrMalformed, key, err)
		}
		for _, a := range list {
			out = append(out, normalize(a.Address))
		}
	}
	return out, nil
}

// normalize lower-cases the domain of addr.
func normalize(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return addr
	}
	return addr[:at+1] + strings.ToLower(addr[at+1:])
}
