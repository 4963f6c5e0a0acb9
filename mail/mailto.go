package mail

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/sealpost/sealpost/mail/backend"
)

// ErrNotMailto means a link is not a mailto: URL.
var ErrNotMailto = errors.New("not a mailto: link")

// ParseMailto turns an RFC 6068 mailto: link into a draft: the addresses
// before "?" and in to=, cc= and bcc=, and subject= and body=. Other header
// fields in the link are ignored, so a link cannot set From, Reply-To or
// anything that changes how the message is protected.
func ParseMailto(link string) (backend.Draft, error) {
	var d backend.Draft
	u, err := url.Parse(strings.TrimSpace(link))
	if err != nil || !strings.EqualFold(u.Scheme, "mailto") {
		return d, fmt.Errorf("%q: %w", link, ErrNotMailto)
	}
	addAll := func(list *[]string, value string) {
		for _, a := range strings.Split(value, ",") {
			if a = strings.TrimSpace(a); a != "" {
				*list = append(*list, a)
			}
		}
	}
	to, err := url.PathUnescape(u.Opaque)
	if err != nil {
		return d, fmt.Errorf("mailto link: %w", err)
	}
	addAll(&d.To, to)
	query, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return d, fmt.Errorf("mailto link: %w", err)
	}
	for key, values := range query {
		for _, v := range values {
			switch strings.ToLower(key) {
			case "to":
				addAll(&d.To, v)
			case "cc":
				addAll(&d.Cc, v)
			case "bcc":
				addAll(&d.Bcc, v)
			case "subject":
				d.Subject = v
			case "body":
				d.Body = strings.ReplaceAll(v, "\r\n", "\n")
			}
		}
	}
	return d, nil
}
