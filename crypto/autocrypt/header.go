// Package autocrypt implements the receiving side of Autocrypt Level 1:
// parsing and validating Autocrypt and Autocrypt-Gossip header values, and
// the peer-state update algorithm as a pure function (Update). Generating
// the outgoing header is done by the PGP/MIME layer.
//
// The package does no I/O and reads no clock: every time comes from the
// caller.
package autocrypt

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/sealpost/sealpost/crypto"
)

// Sentinel errors. Every header that cannot be used fails with
// ErrInvalidHeader; the more specific sentinels are wrapped together with it.
var (
	// ErrInvalidHeader reports an Autocrypt or Autocrypt-Gossip header value
	// that must be ignored. The wrapping error says why.
	ErrInvalidHeader = errors.New("invalid Autocrypt header")
	// ErrUnknownCritical reports an attribute without a leading underscore
	// that Level 1 does not define: the whole header is ignored.
	ErrUnknownCritical = errors.New("unknown critical attribute")
	// ErrBadKeyData reports keydata that is not base64, not exactly one
	// OpenPGP public key, or a key that cannot encrypt.
	ErrBadKeyData = errors.New("unusable keydata")
	// ErrAddrMismatch reports a key without a user ID carrying the header's
	// addr, or a header whose addr is not the expected address.
	ErrAddrMismatch = errors.New("address does not match")
	// ErrMultipleHeaders reports a message with more than one valid Autocrypt
	// header for its sender; Level 1 says to ignore them all.
	ErrMultipleHeaders = errors.New("more than one valid Autocrypt header")
)

// MaxHeaderSize bounds a header value (folding included) before any
// decoding: Autocrypt keys are minimal, and the largest ones (RSA-4096 with
// one user ID) stay below 5 KB.
const MaxHeaderSize = 64 << 10

// PreferEncrypt is the sender's encryption preference.
type PreferEncrypt string

// The two Level 1 preferences.
const (
	// NoPreference: the header carried no prefer-encrypt=mutual.
	NoPreference PreferEncrypt = "nopreference"
	// Mutual: the sender agrees to encrypt by default with peers that do too.
	Mutual PreferEncrypt = "mutual"
)

// Header is a parsed and validated Autocrypt or Autocrypt-Gossip header.
type Header struct {
	// Addr is the address the key is for, lower-cased.
	Addr string
	// PreferEncrypt is Mutual only for prefer-encrypt=mutual. Any other value
	// is NoPreference. It has no meaning in a gossip header.
	PreferEncrypt PreferEncrypt
	// KeyData is the binary OpenPGP public key from the keydata attribute.
	KeyData []byte
	// Key is KeyData parsed. It carries Addr as a user ID and can encrypt at
	// the time given to Parse.
	Key *crypto.Key
}

// Fingerprint returns the key's fingerprint (upper-case hex).
func (h *Header) Fingerprint() string { return h.Key.Fingerprint() }

// Parse parses and validates one Autocrypt or Autocrypt-Gossip header value
// (the part after "Autocrypt:"; folding is allowed) following Level 1: addr
// and keydata are required; prefer-encrypt is optional; attributes starting
// with "_" are ignored; any other attribute makes the header invalid. The key
// must be a single public key with a user ID for addr and must be able to
// encrypt at now. Every failure wraps ErrInvalidHeader.
func Parse(value string, now time.Time) (*Header, error) {
	h, err := parse(value, now)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidHeader, err)
	}
	return h, nil
}

func parse(value string, now time.Time) (*Header, error) {
	if len(value) > MaxHeaderSize {
		return nil, fmt.Errorf("value is %d bytes, at most %d are accepted", len(value), MaxHeaderSize)
	}
	var h Header
	var addr, keydata string
	seen := make(map[string]bool, 3)
	h.PreferEncrypt = NoPreference
	for attr := range strings.SplitSeq(value, ";") {
		attr = strings.TrimSpace(attr)
		if attr == "" {
			continue
		}
		name, val, ok := strings.Cut(attr, "=")
		if !ok {
			return nil, fmt.Errorf("attribute %q has no value", truncate(attr))
		}
		name = strings.ToLower(strings.TrimSpace(name))
		val = strings.TrimSpace(val)
		if strings.HasPrefix(name, "_") {
			continue
		}
		if seen[name] {
			return nil, fmt.Errorf("attribute %q appears twice", truncate(name))
		}
		seen[name] = true
		switch name {
		case "addr":
			addr = val
		case "prefer-encrypt":
			if val == string(Mutual) {
				h.PreferEncrypt = Mutual
			}
		case "keydata":
			keydata = val
		default:
			return nil, fmt.Errorf("%w %q", ErrUnknownCritical, truncate(name))
		}
	}
	switch {
	case !seen["addr"]:
		return nil, errors.New("the addr attribute is missing")
	case !seen["keydata"]:
		return nil, errors.New("the keydata attribute is missing")
	}
	norm, err := normAddr(addr)
	if err != nil {
		return nil, err
	}
	h.Addr = norm
	if err := h.setKey(keydata, now); err != nil {
		return nil, err
	}
	return &h, nil
}

// setKey decodes and checks the keydata attribute.
func (h *Header) setKey(keydata string, now time.Time) error {
	// Folding leaves CR, LF, spaces and tabs inside the base64 text.
	clean := strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, keydata)
	raw, err := base64.StdEncoding.DecodeString(clean)
	if err != nil {
		return fmt.Errorf("%w: not base64: %w", ErrBadKeyData, err)
	}
	if len(raw) == 0 || raw[0]&0x80 == 0 {
		return fmt.Errorf("%w: not a binary OpenPGP key", ErrBadKeyData)
	}
	keys, err := crypto.ParseKeys(raw)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrBadKeyData, err)
	}
	if len(keys) != 1 {
		return fmt.Errorf("%w: %d keys, want exactly one", ErrBadKeyData, len(keys))
	}
	k := keys[0]
	if k.IsSecret() {
		return fmt.Errorf("%w: it holds secret key material", ErrBadKeyData)
	}
	if err := k.CanEncrypt(now); err != nil {
		return fmt.Errorf("%w: %w", ErrBadKeyData, err)
	}
	if !slices.Contains(k.Emails(), h.Addr) {
		return fmt.Errorf("%w: key %s has no user ID for the addr attribute", ErrAddrMismatch, k.Fingerprint())
	}
	h.KeyData, h.Key = raw, k
	return nil
}

// normAddr checks that addr is a bare addr-spec and lower-cases it.
func normAddr(addr string) (string, error) {
	if addr == "" {
		return "", errors.New("the addr attribute is empty")
	}
	parsed, err := mail.ParseAddress(addr)
	if err != nil || parsed.Name != "" || parsed.Address != addr {
		return "", errors.New("the addr attribute is not a plain e-mail address")
	}
	return NormalizeAddr(addr), nil
}

// NormalizeAddr returns the form in which addresses are compared: trimmed
// and lower-cased.
func NormalizeAddr(addr string) string { return strings.ToLower(strings.TrimSpace(addr)) }

// truncate shortens attacker-controlled text quoted in an error.
func truncate(s string) string {
	const limit = 40
	if len(s) <= limit {
		return s
	}
	return s[:limit] + "…"
}

// SelectHeader applies Level 1's rules to the Autocrypt header values of one
// message from the address from: invalid headers and headers for another
// address are ignored; if exactly one remains it is returned with a nil
// error; if several remain, all are ignored (nil and ErrMultipleHeaders).
// When none remains it returns nil and the reasons the headers were ignored
// joined in one error (nil if the message had no Autocrypt header), for a
// diagnostic only: a nil header means "no header" to Update either way.
// The caller skips messages Level 1 excludes (spam, multipart/report).
func SelectHeader(values []string, from string, now time.Time) (*Header, error) {
	want := NormalizeAddr(from)
	var found []*Header
	var problems []error
	for i, v := range values {
		h, err := Parse(v, now)
		switch {
		case err != nil:
			//lint:ignore ST1005 Autocrypt is a name
			problems = append(problems, fmt.Errorf("Autocrypt header %d: %w", i+1, err))
		case h.Addr != want:
			//lint:ignore ST1005 Autocrypt is a name
			problems = append(problems, fmt.Errorf("Autocrypt header %d: %w: %w: it is not for the From address",
				i+1, ErrInvalidHeader, ErrAddrMismatch))
		default:
			found = append(found, h)
		}
	}
	switch len(found) {
	case 0:
		return nil, errors.Join(problems...)
	case 1:
		return found[0], nil
	}
	return nil, fmt.Errorf("%w: %d for the From address", ErrMultipleHeaders, len(found))
}

// SelectGossip applies Level 1's rules to the Autocrypt-Gossip header values
// found inside the encrypted part of one message: a header counts only if it
// is valid and its addr is one of recipients (the message's To and Cc); an
// address gossiped more than once in the message is ignored. The result is
// in header order. Problems with ignored headers are joined in the error,
// for a diagnostic only.
func SelectGossip(values []string, recipients []string, now time.Time) ([]*Header, error) {
	allowed := make(map[string]bool, len(recipients))
	for _, r := range recipients {
		allowed[NormalizeAddr(r)] = true
	}
	var found []*Header
	var problems []error
	count := make(map[string]int)
	for i, v := range values {
		h, err := Parse(v, now)
		switch {
		case err != nil:
			problems = append(problems, fmt.Errorf("Autocrypt-Gossip header %d: %w", i+1, err))
		case !allowed[h.Addr]:
			problems = append(problems, fmt.Errorf("Autocrypt-Gossip header %d: %w: %w: it is not for a recipient",
				i+1, ErrInvalidHeader, ErrAddrMismatch))
		default:
			count[h.Addr]++
			found = append(found, h)
		}
	}
	var out []*Header
	for _, h := range found {
		switch n := count[h.Addr]; {
		case n == 1:
			out = append(out, h)
		case n > 1:
			problems = append(problems, fmt.Errorf("%w: %d Autocrypt-Gossip headers for one recipient", ErrMultipleHeaders, n))
			count[h.Addr] = 0 // report each address once
		}
	}
	return out, errors.Join(problems...)
}
