package mail

import (
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/sealpost/sealpost/mail/backend"
)

// ErrNotMailto means a link is not a mailto: URL.
var ErrNotMailto = errors.New("not a mailto: link")

// ErrBadMailto means a mailto: link is damaged: a broken %-escape, text
// that is not UTF-8 once decoded, or a link longer than MaxMailtoLen.
var ErrBadMailto = errors.New("the mailto: link is damaged")

// MaxMailtoLen is the longest mailto: link accepted, in bytes: far more
// than any web page puts into one, and little enough to hold in memory.
const MaxMailtoLen = 1 << 20

// ParseMailto turns an RFC 6068 mailto: link into a draft.
//
// The addresses before "?" and in to=, cc= and bcc= go to To, Cc and Bcc,
// subject= and body= to Subject and Body, and in-reply-to= makes the draft
// a reply to that Message-ID. Every part is %-decoded as UTF-8; "+" stands
// for itself, not for a space. The first subject= and body= count. Any
// other header field in the link is ignored (RFC 6068 section 7), so a
// link cannot set From, Reply-To or anything else that changes where the
// message goes or how it is protected.
func ParseMailto(link string) (backend.Draft, error) {
	var d backend.Draft
	link = strings.TrimSpace(link)
	const scheme = "mailto:"
	if len(link) < len(scheme) || !strings.EqualFold(link[:len(scheme)], scheme) {
		return d, fmt.Errorf("%.80q: %w", link, ErrNotMailto)
	}
	if len(link) > MaxMailtoLen {
		return d, fmt.Errorf("%w: longer than %d KiB", ErrBadMailto, MaxMailtoLen>>10)
	}
	rest := link[len(scheme):]
	// A fragment is not part of a mailto: link: a literal "#" would be
	// written %23.
	rest, _, _ = strings.Cut(rest, "#")
	to, query, _ := strings.Cut(rest, "?")
	addrs, err := mailtoDecode(to)
	if err != nil {
		return d, err
	}
	d.To = mailtoAddresses(addrs)
	var subjectSeen, bodySeen bool
	for _, field := range strings.Split(query, "&") {
		rawName, rawValue, _ := strings.Cut(field, "=")
		name, err := mailtoDecode(rawName)
		if err != nil {
			return d, err
		}
		value, err := mailtoDecode(rawValue)
		if err != nil {
			return d, err
		}
		switch strings.ToLower(name) {
		case "to":
			d.To = append(d.To, mailtoAddresses(value)...)
		case "cc":
			d.Cc = append(d.Cc, mailtoAddresses(value)...)
		case "bcc":
			d.Bcc = append(d.Bcc, mailtoAddresses(value)...)
		case "subject":
			if !subjectSeen {
				d.Subject, subjectSeen = oneLine(value), true
			}
		case "body":
			if !bodySeen {
				d.Body, bodySeen = mailtoBody(value), true
			}
		case "in-reply-to":
			if id := messageID(value); id != "" && d.InReplyTo == "" {
				d.InReplyTo, d.References = id, []string{id}
			}
		}
	}
	return d, nil
}

// mailtoDecode undoes the %-escapes of one part of a link, leaving "+"
// as it is, and checks that the result is UTF-8.
func mailtoDecode(s string) (string, error) {
	out, err := url.PathUnescape(s)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrBadMailto, err)
	}
	if !utf8.ValidString(out) {
		return "", fmt.Errorf("%w: %.40q is not UTF-8 text", ErrBadMailto, out)
	}
	return out, nil
}

// mailtoAddresses splits a decoded address list. Display names are kept
// where the composer can show them unchanged; a list that does not parse
// is split at commas, so that the composer shows what is wrong.
func mailtoAddresses(list string) []string {
	list = oneLine(list)
	var out []string
	if parsed, err := mail.ParseAddressList(list); err == nil {
		for _, a := range parsed {
			if a.Name != "" && !strings.ContainsAny(a.Name, `,;"<>`) {
				out = append(out, a.Name+" <"+a.Address+">")
			} else {
				out = append(out, a.Address)
			}
		}
		return out
	}
	for _, a := range strings.Split(list, ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

// oneLine turns line breaks and other control characters into spaces: an
// address or a subject is one line.
func oneLine(s string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s))
}

// mailtoBody normalises a body's line breaks (%0D%0A in a link) to "\n".
func mailtoBody(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

// messageID is the first Message-ID in s without its angle brackets, or
// "" when s holds none.
func messageID(s string) string {
	s = oneLine(s)
	if i := strings.IndexByte(s, '<'); i >= 0 {
		if j := strings.IndexByte(s[i:], '>'); j > 0 {
			s = s[i+1 : i+j]
		}
	}
	if strings.ContainsAny(s, " <>") || !strings.Contains(s, "@") {
		return ""
	}
	return s
}
