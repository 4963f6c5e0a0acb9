package autoconfig

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/publicsuffix"

	"github.com/sealpost/sealpost/mail/internal/hostname"
)

// address is a parsed e-mail address.
type address struct {
	email  string // as given, without surrounding space or a trailing dot
	local  string // the local part, as given
	given  string // the domain, as given, without a trailing dot
	domain string // the domain: ASCII (IDNA), lower case, no trailing dot
}

// parseAddress splits email at its last "@" and checks that the domain is
// a full domain name. It is deliberately simple: it is for finding servers,
// not for validating RFC 5322 syntax, so quoted local parts with spaces are
// refused.
func parseAddress(email string) (address, error) {
	e := strings.TrimSpace(email)
	if !utf8.ValidString(e) {
		return address{}, fmt.Errorf("%w: it is not valid UTF-8 text", ErrInvalidAddress)
	}
	if strings.IndexFunc(e, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return address{}, fmt.Errorf("%w: it contains spaces or control characters", ErrInvalidAddress)
	}
	at := strings.LastIndexByte(e, '@')
	if at <= 0 || at == len(e)-1 {
		return address{}, fmt.Errorf("%w: it needs a name, an @ and a domain", ErrInvalidAddress)
	}
	domain, err := hostname.Normalize(e[at+1:])
	if err != nil {
		return address{}, fmt.Errorf("%w: %w", ErrInvalidAddress, err)
	}
	if !strings.Contains(domain, ".") {
		return address{}, fmt.Errorf("%w: the domain %q is not a full domain name like example.com", ErrInvalidAddress, domain)
	}
	given := strings.TrimSuffix(e[at+1:], ".")
	return address{email: e[:at+1] + given, local: e[:at], given: given, domain: domain}, nil
}

// withinDomain reports whether host (normalised) belongs to domain
// (normalised): it is the domain, a subdomain of it, or shares its
// registrable domain (public suffix plus one label).
func withinDomain(host, domain string) bool {
	if host == domain || strings.HasSuffix(host, "."+domain) {
		return true
	}
	hr, err := publicsuffix.EffectiveTLDPlusOne(host)
	if err != nil {
		return false
	}
	dr, err := publicsuffix.EffectiveTLDPlusOne(domain)
	return err == nil && hr == dr
}
