package dnstest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/sealpost/sealpost/mail/internal/testcert"
)

// PolicyPath is where RFC 8461 puts an MTA-STS policy.
const PolicyPath = "/.well-known/mta-sts.txt"

// PolicyHost is an HTTPS server on loopback that serves MTA-STS policies
// for several domains, as https://mta-sts.<domain>/.well-known/mta-sts.txt.
// Its certificate, from a throwaway CA in Roots, names mta-sts.<domain>
// for the domains given to StartPolicyHost only: a policy served for any
// other domain fails certificate verification. DialContext maps every
// mta-sts.* host name to it.
type PolicyHost struct {
	// Roots trusts the host's certificate.
	Roots *x509.CertPool
	// Cert is that certificate (self-signed), to add to other roots.
	Cert *x509.Certificate

	srv *httptest.Server

	mu       sync.Mutex
	policies map[string]string // by host name
	requests map[string]int    // by host name
}

// StartPolicyHost starts a policy host whose certificate is valid for
// mta-sts.<domain> for each of domains. It stops when the test ends.
func StartPolicyHost(t testing.TB, domains ...string) *PolicyHost {
	t.Helper()
	names := make([]string, len(domains))
	for i, d := range domains {
		names[i] = "mta-sts." + strings.TrimSuffix(strings.ToLower(d), ".")
	}
	if len(names) == 0 {
		names = []string{"mta-sts.invalid"}
	}
	cert, roots := testcert.SelfSigned(t, names...)
	h := &PolicyHost{Roots: roots, Cert: cert.Leaf, policies: map[string]string{}, requests: map[string]int{}}
	h.srv = httptest.NewUnstartedServer(http.HandlerFunc(h.serve))
	h.srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	h.srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are what some tests want
	h.srv.StartTLS()
	t.Cleanup(h.srv.Close)
	return h
}

// Serve makes the host answer for domain with policy as the body (served
// as text/plain).
func (h *PolicyHost) Serve(domain, policy string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.policies["mta-sts."+strings.TrimSuffix(strings.ToLower(domain), ".")] = policy
}

// Requests is how many times the policy of domain was asked for.
func (h *PolicyHost) Requests(domain string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.requests["mta-sts."+strings.TrimSuffix(strings.ToLower(domain), ".")]
}

func (h *PolicyHost) serve(w http.ResponseWriter, r *http.Request) {
	host := strings.ToLower(r.Host)
	if hh, _, err := net.SplitHostPort(host); err == nil {
		host = hh
	}
	h.mu.Lock()
	h.requests[host]++
	policy, ok := h.policies[host]
	h.mu.Unlock()
	if !ok || r.URL.Path != PolicyPath {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	w.Write([]byte(policy))
}

// DialContext connects to the policy host for any address whose host name
// starts with "mta-sts.", dials IP addresses as they are (the test's
// other servers), and refuses other names: nothing leaves the machine.
func (h *PolicyHost) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	var d net.Dialer
	switch {
	case strings.HasPrefix(strings.ToLower(host), "mta-sts."):
		return d.DialContext(ctx, "tcp", h.srv.Listener.Addr().String())
	case net.ParseIP(host) != nil:
		return d.DialContext(ctx, network, addr)
	}
	return nil, &net.OpError{Op: "dial", Net: network, Err: errNotMapped}
}

// errNotMapped is the dial error for a host the policy host does not stand for.
var errNotMapped = errors.New("dnstest: no test server for this host")
