// Package delivery finds out, before a message is sent, how it will travel
// from the provider's server to each recipient's domain: the domain's mail
// servers (MX), its MTA-STS policy (RFC 8461: the _mta-sts TXT record, then
// the policy fetched over HTTPS with a verified certificate and cached) and
// whether its mail servers publish DANE TLSA records (RFC 7672), with the
// AD bit of the resolver saying whether DNSSEC validated them.
//
// What cannot be looked up (offline, a DNS failure or timeout) is reported
// as not checked, never guessed.
package delivery

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/sealpost/sealpost/mail/backend"
	"github.com/sealpost/sealpost/mail/internal/hostname"
)

// DefaultTimeout bounds one Check whose context has no earlier deadline.
const DefaultTimeout = 10 * time.Second

// maxMX is how many mail servers are looked at for DANE.
const maxMX = 8

// maxPolicySize bounds a policy file (RFC 8461 section 3.3 suggests 64 KiB).
const maxPolicySize = 64 << 10

// Errors a Check explains in its finding.
var (
	// ErrNoResolver means no DNS resolver is configured.
	ErrNoResolver = errors.New("no DNS resolver is configured")
	// ErrDNSFailed means the resolver answered with an error (SERVFAIL,
	// REFUSED, …).
	ErrDNSFailed = errors.New("the DNS lookup failed")
)

// Dialer opens network connections (the policy fetch's, mapped to loopback
// servers in tests).
type Dialer interface {
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}

// Cache keeps fetched MTA-STS policies between checks (sealed in the
// profile).
type Cache interface {
	// Policy returns the cached policy of domain; ok is false without one.
	Policy(domain string) (p Policy, ok bool, err error)
	// SavePolicy stores p as domain's policy.
	SavePolicy(domain string, p Policy) error
}

// Options configure a Checker; the zero value uses the system's resolver,
// certificate authorities and network, and caches nothing.
type Options struct {
	// Resolver is the DNS resolver's host:port; empty means the first
	// nameserver of ResolvConf.
	Resolver string
	// ResolvConf is the resolver configuration file; empty means
	// /etc/resolv.conf.
	ResolvConf string
	// RootCAs verify the policy host's certificate; nil means the system's.
	RootCAs *x509.CertPool
	// Dialer connects to the policy host; nil means a net.Dialer.
	Dialer Dialer
	// Cache keeps policies; nil means none.
	Cache Cache
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Checker looks up the delivery security of recipient domains. It is safe
// for concurrent use.
type Checker struct {
	opts Options
	http *http.Client
}

// New returns a Checker with opts.
func New(opts Options) *Checker {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	dial := opts.Dialer
	if dial == nil {
		dial = &net.Dialer{}
	}
	tr := &http.Transport{
		Proxy:             nil, // the policy host is reached directly, as a mail server would
		DialContext:       dial.DialContext,
		TLSClientConfig:   &tls.Config{RootCAs: opts.RootCAs, MinVersion: tls.VersionTLS12},
		DisableKeepAlives: true,
	}
	return &Checker{opts: opts, http: &http.Client{
		Transport: tr,
		// RFC 8461 section 3.3: redirects are not followed.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// Check looks up domain. It returns within ctx's deadline, or DefaultTimeout
// when ctx has none; what did not answer by then is not checked.
func (c *Checker) Check(ctx context.Context, domain string) backend.DeliveryFinding {
	f := backend.DeliveryFinding{Domain: backend.NormDomain(domain), Status: backend.DeliveryNotChecked, DANE: backend.DANENotChecked, Checked: c.opts.Now().UTC()}
	domain, ok := mailDomain(domain)
	if !ok {
		f.Reason = "not a mail domain"
		return f
	}
	f.Domain = domain
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultTimeout)
		defer cancel()
	}
	server, err := c.resolver()
	if err != nil {
		f.Reason = reason(err)
		return f
	}
	q := querier{server: server}

	mx, mxAD, err := q.mx(ctx, domain)
	if err != nil {
		f.Reason = reason(err)
		return f
	}
	if len(mx) == 1 && mx[0] == "" {
		f.Status, f.DANE, f.Reason = backend.DeliveryNotEnforced, backend.DANENone, domain+" accepts no mail (null MX)"
		return f
	}
	if len(mx) == 0 {
		mx = []string{domain} // RFC 5321 section 5.1: the domain itself
	}
	f.MX = mx

	if err := c.policy(ctx, q, &f); err != nil {
		f.Status, f.Reason = backend.DeliveryNotChecked, reason(err)
		return f
	}
	f.DANE = q.dane(ctx, mx, mxAD)
	return f
}

// policy finds domain's MTA-STS policy (RFC 8461 section 5.1): a cached
// policy is used while fresh unless the TXT record names another id; a
// policy that cannot be fetched leaves TLS not enforced. Only a failed TXT
// lookup without a fresh cached policy is an error.
func (c *Checker) policy(ctx context.Context, q querier, f *backend.DeliveryFinding) error {
	now := c.opts.Now()
	cached, haveCached := c.cached(f.Domain, now)
	id, txtErr := q.stsID(ctx, f.Domain)
	var p Policy
	switch {
	case txtErr != nil && !errors.Is(txtErr, ErrInvalidPolicy) && !haveCached:
		return txtErr
	case haveCached && (txtErr != nil || id == "" || id == cached.ID):
		p = cached
		f.PolicyCached = true
	case errors.Is(txtErr, ErrInvalidPolicy):
		f.Status, f.Reason = backend.DeliveryNotEnforced, "its MTA-STS record is not valid"
		return nil
	case id == "":
		f.Status = backend.DeliveryNotEnforced
		return nil
	default:
		fetched, err := c.fetch(ctx, f.Domain)
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("fetch the MTA-STS policy: %w", ctx.Err())
			}
			f.Status, f.Reason = backend.DeliveryNotEnforced, "its MTA-STS policy could not be fetched: "+fetchReason(err)
			return nil
		}
		fetched.ID, fetched.Fetched = id, now.UTC()
		p = fetched
		if c.opts.Cache != nil && p.MaxAge > 0 {
			// A policy not cached is fetched again next time; the finding
			// made with it stands.
			_ = c.opts.Cache.SavePolicy(f.Domain, p)
		}
	}
	f.PolicyMode, f.PolicyID = p.Mode, p.ID
	switch p.Mode {
	case ModeEnforce:
		f.Status = backend.DeliveryEnforced
		if !slices.ContainsFunc(f.MX, p.Matches) {
			f.Reason = "none of its mail servers is listed in its MTA-STS policy, so delivery will fail"
		}
	case ModeTesting:
		f.Status = backend.DeliveryTesting
	default:
		f.Status, f.Reason = backend.DeliveryNotEnforced, "its MTA-STS policy is in mode none"
	}
	return nil
}

// cached returns domain's cached policy if there is one still fresh at now.
// A cache that cannot be read counts as empty: the policy is fetched again.
func (c *Checker) cached(domain string, now time.Time) (Policy, bool) {
	if c.opts.Cache == nil {
		return Policy{}, false
	}
	p, ok, err := c.opts.Cache.Policy(domain)
	if err != nil || !ok || !p.Fresh(now) {
		return Policy{}, false
	}
	return p, true
}

// fetch gets the policy file from https://mta-sts.<domain>/.well-known/mta-sts.txt
// over verified TLS (RFC 8461 section 3.3): status 200, text/plain, no
// redirects, at most 64 KiB.
func (c *Checker) fetch(ctx context.Context, domain string) (Policy, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://mta-sts."+domain+"/.well-known/mta-sts.txt", nil)
	if err != nil {
		return Policy{}, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return Policy{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return Policy{}, fmt.Errorf("%w: the server answered %s", errPolicyHTTP, resp.Status)
	}
	if mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err != nil || mt != "text/plain" {
		return Policy{}, fmt.Errorf("%w: it is not text/plain", errPolicyHTTP)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxPolicySize+1))
	if err != nil {
		return Policy{}, err
	}
	if len(body) > maxPolicySize {
		return Policy{}, fmt.Errorf("%w: larger than 64 KiB", ErrInvalidPolicy)
	}
	return ParsePolicy(string(body))
}

// errPolicyHTTP is a policy host's answer that is not a policy.
var errPolicyHTTP = errors.New("no policy served")

// fetchReason says in a few words why a policy could not be fetched.
func fetchReason(err error) string {
	var certErr *tls.CertificateVerificationError
	var hostErr x509.HostnameError
	switch {
	case errors.As(err, &certErr), errors.As(err, &hostErr):
		return "its certificate is not valid"
	case errors.Is(err, ErrInvalidPolicy):
		return "it is not a valid policy"
	case errors.Is(err, errPolicyHTTP):
		return err.Error()
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return "the policy server did not answer in time"
	}
	return "the policy server could not be reached"
}

// reason says why DNS gave no answer, for a finding that is not checked.
func reason(err error) string {
	var netErr net.Error
	switch {
	case errors.Is(err, ErrNoResolver):
		return "no DNS resolver configured"
	case errors.Is(err, errNoDomain):
		return "the domain does not exist"
	case errors.Is(err, ErrDNSFailed):
		return "DNS lookup failed"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return "no answer in time"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	}
	return "offline"
}

// mailDomain returns domain as an ASCII host name of at least two labels
// (an internationalised name in its A-label form), and false for anything
// else.
func mailDomain(domain string) (string, bool) {
	ascii, err := hostname.Normalize(domain)
	if err != nil || !strings.Contains(ascii, ".") {
		return "", false
	}
	return ascii, true
}

// resolver is the DNS server to ask.
func (c *Checker) resolver() (string, error) {
	if c.opts.Resolver != "" {
		return c.opts.Resolver, nil
	}
	file := c.opts.ResolvConf
	if file == "" {
		file = "/etc/resolv.conf"
	}
	conf, err := dns.ClientConfigFromFile(file)
	if err != nil || len(conf.Servers) == 0 {
		return "", ErrNoResolver
	}
	return net.JoinHostPort(conf.Servers[0], conf.Port), nil
}
