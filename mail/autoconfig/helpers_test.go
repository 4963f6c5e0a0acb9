package autoconfig

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// The test domain; .test is reserved (RFC 2606).
const (
	testDomain = "example.test"
	testEmail  = "alice@example.test"
)

// testCA is a certificate authority made for one test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

func newTestCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{cert: cert, key: key, pool: pool}
}

// issue makes a server certificate for names.
func (ca *testCA) issue(t *testing.T, names ...string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: names[0]},
		DNSNames:     names,
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// network is a pretend Internet on 127.0.0.1: host:port names route to
// local listeners, and every dial is recorded.
type network struct {
	t  *testing.T
	ca *testCA

	mu     sync.Mutex
	routes map[string]string // "imap.example.test:993" -> "127.0.0.1:NNNNN"
	dialed []string
}

func newNetwork(t *testing.T) *network {
	return &network{t: t, ca: newTestCA(t, "Sealpost test CA"), routes: map[string]string{}}
}

func (n *network) route(name, addr string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.routes[name] = addr
}

// dial connects to the listener behind name, or fails like a refused
// connection when there is none.
func (n *network) dial(ctx context.Context, name string) (net.Conn, error) {
	n.mu.Lock()
	n.dialed = append(n.dialed, name)
	addr, ok := n.routes[name]
	n.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("dial %s: connection refused (no test listener)", name)
	}
	var d net.Dialer
	return d.DialContext(ctx, "tcp", addr)
}

func (n *network) dials() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.dialed...)
}

// serve starts a TCP listener whose connections are handled by handle, and
// routes name to it. Connections and the accept loop end with the test.
func (n *network) serve(name string, handle func(net.Conn)) {
	t := n.t
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Go(func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				handle(c)
			})
		}
	})
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	n.route(name, ln.Addr().String())
}

// serveTLS serves implicit TLS with cert on name.
func (n *network) serveTLS(name string, cert tls.Certificate) {
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}}
	n.serve(name, func(c net.Conn) {
		tc := tls.Server(c, cfg)
		if tc.Handshake() == nil {
			// Greet and hang up: the prober only needs the handshake.
			fmt.Fprintf(tc, "* OK hello\r\n")
		}
		tc.Close()
	})
}

// serveSTARTTLS serves a minimal IMAP or SMTP server that upgrades with
// STARTTLS when offer is true, and never offers it otherwise.
func (n *network) serveSTARTTLS(name, protocol string, cert tls.Certificate, offer bool) {
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}}
	n.serve(name, func(c net.Conn) {
		br := bufio.NewReader(c)
		var ok bool
		if protocol == ProtocolIMAP {
			ok = imapServerSTARTTLS(c, br, offer)
		} else {
			ok = smtpServerSTARTTLS(c, br, offer)
		}
		if ok {
			tls.Server(c, cfg).Handshake()
		}
	})
}

func imapServerSTARTTLS(c net.Conn, br *bufio.Reader, offer bool) bool {
	caps := "IMAP4rev1"
	if offer {
		caps += " STARTTLS"
	}
	fmt.Fprintf(c, "* OK [CAPABILITY %s] test server ready\r\n", caps)
	line, err := br.ReadString('\n')
	if err != nil {
		return false
	}
	tag, cmd, _ := strings.Cut(strings.TrimSpace(line), " ")
	if !offer || !strings.EqualFold(cmd, "STARTTLS") {
		fmt.Fprintf(c, "%s BAD unknown command\r\n", tag)
		return false
	}
	fmt.Fprintf(c, "%s OK begin TLS now\r\n", tag)
	return true
}

func smtpServerSTARTTLS(c net.Conn, br *bufio.Reader, offer bool) bool {
	fmt.Fprintf(c, "220 test server ready\r\n")
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return false
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"):
			if offer {
				fmt.Fprintf(c, "250-test\r\n250 STARTTLS\r\n")
			} else {
				fmt.Fprintf(c, "250-test\r\n250 AUTH PLAIN\r\n")
			}
		case cmd == "STARTTLS" && offer:
			fmt.Fprintf(c, "220 go ahead\r\n")
			return true
		default:
			fmt.Fprintf(c, "502 not implemented\r\n")
			return false
		}
	}
}

// prober is the tests' Prober: a verified TLS connection through the
// network, implicit or after a minimal STARTTLS exchange. It counts the
// probes in flight.
func (n *network) prober() Prober {
	return func(ctx context.Context, protocol string, s Server) error {
		conn, err := n.dial(ctx, s.Address())
		if err != nil {
			return err
		}
		defer conn.Close()
		stop := context.AfterFunc(ctx, func() { conn.Close() })
		defer stop()
		if s.Security == SecurityStartTLS {
			br := bufio.NewReader(conn)
			var err error
			if protocol == ProtocolIMAP {
				err = imapClientSTARTTLS(conn, br)
			} else {
				err = smtpClientSTARTTLS(conn, br)
			}
			if err != nil {
				return err
			}
			if br.Buffered() > 0 {
				return errors.New("cleartext after the STARTTLS reply")
			}
		}
		tc := tls.Client(conn, &tls.Config{ServerName: s.Host, RootCAs: n.ca.pool, MinVersion: tls.VersionTLS12})
		if err := tc.HandshakeContext(ctx); err != nil {
			return fmt.Errorf("TLS handshake with %s: %w", s.Host, err)
		}
		return nil
	}
}

func imapClientSTARTTLS(c net.Conn, br *bufio.Reader) error {
	greeting, err := br.ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.Contains(greeting, "STARTTLS") {
		return errors.New("the server does not offer STARTTLS")
	}
	fmt.Fprintf(c, "a1 STARTTLS\r\n")
	reply, err := br.ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(reply, "a1 OK") {
		return fmt.Errorf("STARTTLS refused: %q", reply)
	}
	return nil
}

func smtpClientSTARTTLS(c net.Conn, br *bufio.Reader) error {
	if _, err := br.ReadString('\n'); err != nil {
		return err
	}
	fmt.Fprintf(c, "EHLO probe\r\n")
	offered := false
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return err
		}
		if strings.Contains(line, "STARTTLS") {
			offered = true
		}
		if len(line) < 4 || line[3] != '-' {
			break
		}
	}
	if !offered {
		return errors.New("the server does not offer STARTTLS")
	}
	fmt.Fprintf(c, "STARTTLS\r\n")
	reply, err := br.ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(reply, "220") {
		return fmt.Errorf("STARTTLS refused: %q", reply)
	}
	return nil
}

// httpsServer starts an HTTPS server with a certificate of the test CA for
// the autoconfig host names, routed from their port 443. The handler sees
// the host name the client asked for in r.Host.
func (n *network) httpsServer(h http.Handler) {
	n.httpsServerWithCert(h, n.ca.issue(n.t, "autoconfig."+testDomain, testDomain))
}

func (n *network) httpsServerWithCert(h http.Handler, cert tls.Certificate) {
	n.serveHTTPS(h, cert, "autoconfig."+testDomain, testDomain)
}

// serveHTTPS starts an HTTPS server with cert, routed from port 443 of
// names.
func (n *network) serveHTTPS(h http.Handler, cert tls.Certificate, names ...string) {
	ts := httptest.NewUnstartedServer(h)
	ts.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	ts.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are expected
	ts.StartTLS()
	n.t.Cleanup(ts.Close)
	for _, name := range names {
		n.route(name+":443", ts.Listener.Addr().String())
	}
}

// httpClient is an HTTPS client that dials through the network and trusts
// the test CA.
func (n *network) httpClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, addr string) (net.Conn, error) {
			return n.dial(ctx, addr)
		},
		TLSClientConfig: &tls.Config{RootCAs: n.ca.pool, MinVersion: tls.VersionTLS12},
	}}
}

// fakeResolver answers SRV and MX queries from tables; a missing name is
// NXDOMAIN. block, if set, runs first and may wait for the context. It
// stands in where a test needs a resolver that blocks on cue or answers
// hundreds of subtests cheaply; the MX tests use a real DNS server
// (dnsServer).
type fakeResolver struct {
	records map[string][]*net.SRV // "_imaps._tcp.example.test" -> records
	mx      map[string][]*net.MX  // "example.test" -> records
	block   func(ctx context.Context) error

	mu      sync.Mutex
	queries []string // SRV queries
	mxAsked []string
}

func (r *fakeResolver) LookupMX(ctx context.Context, name string) ([]*net.MX, error) {
	r.mu.Lock()
	r.mxAsked = append(r.mxAsked, name)
	r.mu.Unlock()
	if r.block != nil {
		if err := r.block(ctx); err != nil {
			return nil, err
		}
	}
	recs, ok := r.mx[name]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
	}
	return recs, nil
}

func (r *fakeResolver) LookupSRV(ctx context.Context, service, proto, name string) (string, []*net.SRV, error) {
	q := fmt.Sprintf("_%s._%s.%s", service, proto, name)
	r.mu.Lock()
	r.queries = append(r.queries, q)
	r.mu.Unlock()
	if r.block != nil {
		if err := r.block(ctx); err != nil {
			return "", nil, err
		}
	}
	recs, ok := r.records[q]
	if !ok {
		return "", nil, &net.DNSError{Err: "no such host", Name: q, IsNotFound: true}
	}
	return q + ".", recs, nil
}

func (r *fakeResolver) asked() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.queries...)
}

// srvRecord is one SRV record.
func srvRecord(target string, port, priority, weight uint16) *net.SRV {
	return &net.SRV{Target: target, Port: port, Priority: priority, Weight: weight}
}

// configXML is a clientConfig document with the given server entries.
func configXML(entries ...string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1">
  <emailProvider id="example.test">
    <domain>example.test</domain>
    <displayName>Example</displayName>
` + strings.Join(entries, "\n") + `
  </emailProvider>
</clientConfig>
`
}

// entry is one incomingServer or outgoingServer element.
func entry(kind, typ, host, port, socket, user string, auth ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "    <%s type=%q>\n", kind, typ)
	fmt.Fprintf(&b, "      <hostname>%s</hostname>\n      <port>%s</port>\n      <socketType>%s</socketType>\n", host, port, socket)
	if user != "" {
		fmt.Fprintf(&b, "      <username>%s</username>\n", user)
	}
	for _, a := range auth {
		fmt.Fprintf(&b, "      <authentication>%s</authentication>\n", a)
	}
	fmt.Fprintf(&b, "    </%s>", kind)
	return b.String()
}

func imapEntry(host, port, socket, user string, auth ...string) string {
	return entry("incomingServer", "imap", host, port, socket, user, auth...)
}

func smtpEntry(host, port, socket, user string, auth ...string) string {
	return entry("outgoingServer", "smtp", host, port, socket, user, auth...)
}
