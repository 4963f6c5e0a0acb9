// Package hostname checks and normalises the DNS host and domain names that
// the mail packages look up (autoconfig servers, recipient domains), so that
// they all agree on what a name is and how it is written.
package hostname

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// Normalize returns the ASCII (IDNA), lower-case form of the host name h
// without surrounding space or a trailing dot, or an error when it is not a
// valid DNS host name: at most 253 characters, labels of 1 to 63 letters,
// digits and hyphens, none at the start or end of a label (IDNA refuses
// those). It accepts a single label; callers that need a full domain name
// check that themselves.
func Normalize(h string) (string, error) {
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
