package travel

import (
	"bytes"
	"context"
	"errors"
	"net"
	netmail "net/mail"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-msgauth/dkim"

	"github.com/sealpost/sealpost/mail/backend"
)

// LookupTXT returns the TXT records of a DNS name; (*net.Resolver).LookupTXT
// is one. A name without TXT records is a *net.DNSError with IsNotFound.
type LookupTXT func(ctx context.Context, name string) ([]string, error)

// Resolver looks up DKIM keys for every sync of a profile: it bounds
// each lookup, caches answers for an hour (one key serves a sender's whole
// mail), and once the DNS fails several times in a row it stops asking for
// a minute, so an offline sync is not slowed by a timeout per message: what
// it cannot look up is "not checked". It is safe for concurrent use.
type Resolver struct {
	lookup  LookupTXT
	timeout time.Duration
	now     func() time.Time

	mu        sync.Mutex
	cache     map[string]answer
	failures  int       // temporary failures in a row
	downUntil time.Time // while failures >= maxFailuresInARow: when to ask again
}

// answer is a cached lookup: the records, or whether the name has none.
type answer struct {
	txts     []string
	notFound bool
	at       time.Time
}

const (
	// lookupTimeout bounds one DNS lookup of a DKIM key.
	lookupTimeout = 5 * time.Second
	// maxFailuresInARow is after how many temporary DNS failures in a row
	// the Resolver stops asking, for downFor.
	maxFailuresInARow = 3
	downFor           = time.Minute
	// cacheFor is how long an answer is kept.
	cacheFor = time.Hour
	// maxCached bounds the names a Resolver remembers.
	maxCached = 4096
	// maxSignatures bounds the DKIM signatures checked per message.
	maxSignatures = 8
)

// NewResolver returns a Resolver that asks lookup.
func NewResolver(lookup LookupTXT) *Resolver {
	return &Resolver{lookup: lookup, timeout: lookupTimeout, now: time.Now, cache: make(map[string]answer)}
}

// unavailable is a DNS failure that says nothing about the key: go-msgauth
// turns it into a temporary failure, which is "not checked".
type unavailable struct{ msg string }

func (e unavailable) Error() string   { return e.msg }
func (e unavailable) Timeout() bool   { return true }
func (e unavailable) Temporary() bool { return true }

// errDNSDown is what the lookups of a Resolver that stopped asking return.
var errDNSDown = unavailable{"DNS was not reachable"}

// txt returns the records of name, as go-msgauth's LookupTXT option wants
// them: a name without records is a not-found *net.DNSError (the key does
// not exist, so the signature fails); every other failure is unavailable.
func (r *Resolver) txt(ctx context.Context, name string) ([]string, error) {
	key := strings.ToLower(name)
	r.mu.Lock()
	now := r.now()
	a, ok := r.cache[key]
	if ok && now.Sub(a.at) >= cacheFor {
		delete(r.cache, key)
		ok = false
	}
	if r.failures >= maxFailuresInARow && !now.Before(r.downUntil) {
		r.failures = maxFailuresInARow - 1 // one more failure stops it again
	}
	down := r.failures >= maxFailuresInARow
	r.mu.Unlock()
	switch {
	case ok && a.notFound:
		return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
	case ok:
		return a.txts, nil
	case down:
		return nil, errDNSDown
	case ctx.Err() != nil:
		return nil, unavailable{"the sync was cancelled"}
	}
	lctx, cancel := context.WithTimeout(ctx, r.timeout)
	txts, err := r.lookup(lctx, name)
	cancel()
	var dnsErr *net.DNSError
	notFound := err != nil && errors.As(err, &dnsErr) && dnsErr.IsNotFound
	if err != nil && !notFound && ctx.Err() != nil {
		// The caller stopped waiting: that says nothing about the DNS.
		return nil, unavailable{"the lookup was not waited for"}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil && !notFound {
		r.failures++
		if r.failures == maxFailuresInARow {
			r.downUntil = r.now().Add(downFor)
		}
		return nil, unavailable{"DNS lookup failed: " + err.Error()}
	}
	r.failures = 0
	if len(r.cache) < maxCached {
		r.cache[key] = answer{txts: txts, notFound: notFound, at: r.now()}
	}
	if notFound {
		return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
	}
	return txts, nil
}

// checkDKIM verifies every DKIM signature of raw (up to maxSignatures)
// with keys from opts.Resolver; without one, each is DKIMNotChecked for
// opts.NotChecked. fromDomain is the From address's domain, for
// AlignedWithFrom.
func checkDKIM(ctx context.Context, raw []byte, fields []field, fromDomain string, opts Options) []backend.DKIMCheck {
	res := opts.Resolver
	n := 0
	for _, f := range fields {
		if f.is("DKIM-Signature") {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	if res == nil {
		reason := opts.NotChecked
		if reason == "" {
			reason = "no DNS lookups were allowed"
		}
		out := make([]backend.DKIMCheck, 0, min(n, maxSignatures))
		for _, f := range fields {
			if f.is("DKIM-Signature") && len(out) < maxSignatures {
				out = append(out, notChecked(signingDomain(f.value), fromDomain, reason))
			}
		}
		return out
	}
	verifs, err := dkim.VerifyWithOptions(bytes.NewReader(raw), &dkim.VerifyOptions{
		LookupTXT:        func(name string) ([]string, error) { return res.txt(ctx, name) },
		MaxVerifications: maxSignatures,
	})
	if err != nil && !errors.Is(err, dkim.ErrTooManySignatures) {
		return []backend.DKIMCheck{{Result: backend.DKIMFail, Reason: "the message header could not be read"}}
	}
	out := make([]backend.DKIMCheck, 0, len(verifs))
	for _, v := range verifs {
		c := backend.DKIMCheck{Domain: strings.ToLower(v.Domain), Result: backend.DKIMPass}
		c.AlignedWithFrom = aligned(c.Domain, fromDomain)
		switch {
		case v.Err == nil:
		case dkim.IsTempFail(v.Err):
			c.Result, c.Reason = backend.DKIMNotChecked, "its key could not be looked up"
		default:
			c.Result, c.Reason = backend.DKIMFail, v.Err.Error()
		}
		out = append(out, c)
	}
	return out
}

// notChecked is the check of a signature that was not verified.
func notChecked(domain, fromDomain, reason string) backend.DKIMCheck {
	return backend.DKIMCheck{Domain: domain, Result: backend.DKIMNotChecked, Reason: reason, AlignedWithFrom: aligned(domain, fromDomain)}
}

// signingDomain reads the d= tag of a DKIM-Signature value.
func signingDomain(value string) string {
	for tag := range strings.SplitSeq(value, ";") {
		k, v, ok := strings.Cut(tag, "=")
		if ok && strings.TrimSpace(k) == "d" {
			return strings.ToLower(strings.Join(strings.Fields(v), ""))
		}
	}
	return ""
}

// aligned reports whether the signing domain d is the From domain or a
// parent of it (relaxed alignment, without the public suffix list: the
// DMARC result of the provider is the authoritative one).
func aligned(d, fromDomain string) bool {
	return d != "" && fromDomain != "" && (d == fromDomain || strings.HasSuffix(fromDomain, "."+d))
}

// fromDomainOf returns the lower-case domain of the first From address.
func fromDomainOf(fields []field) string {
	for _, f := range fields {
		if !f.is("From") {
			continue
		}
		addr, err := netmail.ParseAddress(f.value)
		if err != nil {
			list, lerr := netmail.ParseAddressList(f.value)
			if lerr != nil || len(list) == 0 {
				return ""
			}
			addr = list[0]
		}
		_, domain, _ := strings.Cut(addr.Address, "@")
		return strings.ToLower(domain)
	}
	return ""
}
