package delivery

import (
	"bufio"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sealpost/sealpost/mail/backend"
)

// MTA-STS policy modes (RFC 8461 section 5).
const (
	ModeEnforce = "enforce"
	ModeTesting = "testing"
	ModeNone    = "none"
)

// maxPolicyAge is the largest max_age RFC 8461 allows: 31557600 seconds,
// about a year.
const maxPolicyAge = 31557600 * time.Second

// ErrInvalidPolicy means a policy file or TXT record does not follow RFC
// 8461.
var ErrInvalidPolicy = errors.New("invalid MTA-STS policy")

// Policy is a domain's MTA-STS policy as fetched, with the id of the TXT
// record that announced it.
type Policy struct {
	// ID is the id of the _mta-sts TXT record the policy was fetched for.
	ID string
	// Mode is ModeEnforce, ModeTesting or ModeNone.
	Mode string
	// MX are the patterns the domain's mail servers must match: a host
	// name, or "*." and a domain for any one label in front of it.
	MX []string
	// MaxAge is how long the policy may be cached.
	MaxAge time.Duration
	// Fetched is when the policy was fetched.
	Fetched time.Time
}

// Fresh reports whether the policy may still be used at now (RFC 8461
// section 5.1: until max_age after it was fetched).
func (p Policy) Fresh(now time.Time) bool { return now.Before(p.Fetched.Add(p.MaxAge)) }

// Matches reports whether mx, a mail server's host name, is covered by the
// policy (RFC 8461 section 4.1: a wildcard stands for exactly one label).
func (p Policy) Matches(mx string) bool {
	mx = backend.NormDomain(mx)
	for _, pat := range p.MX {
		pat = backend.NormDomain(pat)
		if rest, ok := strings.CutPrefix(pat, "*."); ok {
			if label, parent, found := strings.Cut(mx, "."); found && label != "" && parent == rest {
				return true
			}
			continue
		}
		if mx == pat {
			return true
		}
	}
	return false
}

// ParsePolicy reads a policy file (RFC 8461 section 3.2): "key: value"
// lines, of which version must be STSv1, mode one of the modes, max_age a
// number of seconds, and mx given at least once unless the mode is none.
// Unknown keys are ignored.
func ParsePolicy(body string) (Policy, error) {
	var p Policy
	var version string
	haveAge := false
	sc := bufio.NewScanner(strings.NewReader(body))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		key, value, ok := strings.Cut(line, ":")
		if !ok {
			return Policy{}, fmt.Errorf("%w: line %d is not key: value", ErrInvalidPolicy, n)
		}
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		switch key {
		case "version":
			version = value
		case "mode":
			p.Mode = value
		case "max_age":
			secs, err := strconv.ParseUint(value, 10, 64)
			if err != nil || len(value) > 10 {
				return Policy{}, fmt.Errorf("%w: max_age %q is not a number of seconds", ErrInvalidPolicy, value)
			}
			p.MaxAge = time.Duration(min(secs, uint64(maxPolicyAge/time.Second))) * time.Second
			haveAge = true
		case "mx":
			if value == "" {
				return Policy{}, fmt.Errorf("%w: empty mx on line %d", ErrInvalidPolicy, n)
			}
			p.MX = append(p.MX, value)
		}
	}
	if err := sc.Err(); err != nil {
		return Policy{}, fmt.Errorf("%w: %w", ErrInvalidPolicy, err)
	}
	switch {
	case version != "STSv1":
		return Policy{}, fmt.Errorf("%w: version %q, want STSv1", ErrInvalidPolicy, version)
	case p.Mode != ModeEnforce && p.Mode != ModeTesting && p.Mode != ModeNone:
		return Policy{}, fmt.Errorf("%w: mode %q", ErrInvalidPolicy, p.Mode)
	case !haveAge:
		return Policy{}, fmt.Errorf("%w: no max_age", ErrInvalidPolicy)
	case len(p.MX) == 0 && p.Mode != ModeNone:
		return Policy{}, fmt.Errorf("%w: no mx", ErrInvalidPolicy)
	}
	return p, nil
}

// parseTXT reads the id of an _mta-sts TXT record (RFC 8461 section 3.1):
// "v=STSv1; id=..." with an id of 1 to 32 letters and digits. ok is false
// for a record that is not an MTA-STS record at all.
func parseTXT(txt string) (id string, ok bool, err error) {
	fields := strings.Split(txt, ";")
	if strings.TrimSpace(fields[0]) != "v=STSv1" {
		return "", false, nil
	}
	for _, f := range fields[1:] {
		k, v, _ := strings.Cut(strings.TrimSpace(f), "=")
		if k == "id" {
			id = v
		}
	}
	if id == "" || len(id) > 32 || strings.IndexFunc(id, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}) >= 0 {
		return "", true, fmt.Errorf("%w: TXT record id %q", ErrInvalidPolicy, id)
	}
	return id, true, nil
}
