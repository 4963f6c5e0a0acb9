package autoconfig

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
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
	domain, err := normalizeHost(e[at+1:])
	if err != nil {
		return address{}, fmt.Errorf("%w: %w", ErrInvalidAddress, err)
	}
	if !strings.Contains(domain, ".") {
		return address{}, fmt.Errorf("%w: the domain %q is not a full domain name like example.com", ErrInvalidAddress, domain)
	}
	given := strings.TrimSuffix(e[at+1:], ".")
	return address{email: e[:at+1] + given, local: e[:at], given: given, domain: domain}, nil
}

// normalizeHost returns the ASCII, lower-case form of a host name without a
// trailing dot, or an error when it is not a valid DNS host name.
func normalizeHost(h string) (string, error) {
	h = strings.TrimSuffix(strings.TrimSpace(h), ".")
	if h == "" {
		return "", fmt.Errorf("empty host name")
	}
	if !utf8.ValidString(h) {
		return "", fmt.Errorf("invalid host name %q: not UTF-8", h)
	}
	a, err := idna.Lookup.ToASCII(h)
	if err != nil {
		return "", fmt.Errorf("invalid host name %q: %w", h, err)
	}
	a = strings.ToLower(a)
	if len(a) > 253 {
		return "", fmt.Errorf("invalid host name %q: longer than 253 characters", h)
	}
	for label := range strings.SplitSeq(a, ".") {
		if label == "" || len(label) > 63 {
			return "", fmt.Errorf("invalid host name %q: empty label or label longer than 63 characters", h)
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				return "", fmt.Errorf("invalid host name %q: character %q", h, r)
			}
		}
	}
	return a, nil
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
