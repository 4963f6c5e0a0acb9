package transport

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"errors"
	"io"
	"math/big"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// testHost is the name the test certificates are issued for; testDialer
// sends every connection to the test server, so that names are checked as
// they would be against a real server.
const testHost = "mail.example.test"

// certOptions describe one test certificate.
type certOptions struct {
	cn        string
	names     []string // DNS names or IP addresses
	notBefore time.Time
	notAfter  time.Time
	isCA      bool
	extUsage  []x509.ExtKeyUsage
}

// testCert is a certificate with its key.
type testCert struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

// fingerprint is the SHA-256 of the certificate's DER in lower-case hex.
func (c testCert) fingerprint() string {
	sum := sha256.Sum256(c.cert.Raw)
	return hex.EncodeToString(sum[:])
}

// newCert makes an ECDSA P-256 certificate signed by parent, or self-signed
// when parent is nil.
func newCert(t testing.TB, o certOptions, parent *testCert) testCert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		t.Fatal(err)
	}
	if o.notBefore.IsZero() {
		o.notBefore = time.Now().Add(-time.Hour)
	}
	if o.notAfter.IsZero() {
		o.notAfter = time.Now().Add(24 * time.Hour)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: o.cn, Organization: []string{"Sealpost tests"}},
		NotBefore:             o.notBefore,
		NotAfter:              o.notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  o.isCA,
		ExtKeyUsage:           o.extUsage,
	}
	if o.isCA {
		tmpl.KeyUsage |= x509.KeyUsageCertSign
	} else if o.extUsage == nil {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	}
	for _, n := range o.names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	signer, signerCert := key, tmpl
	if parent != nil {
		signer, signerCert = parent.key, parent.cert
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signerCert, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return testCert{cert: cert, key: key}
}

// testPKI is a root CA, an intermediate CA and a leaf for testHost.
type testPKI struct {
	root, intermediate, leaf testCert
}

func newPKI(t testing.TB) testPKI {
	t.Helper()
	root := newCert(t, certOptions{cn: "Sealpost Test Root", isCA: true}, nil)
	inter := newCert(t, certOptions{cn: "Sealpost Test Intermediate", isCA: true}, &root)
	leaf := newCert(t, certOptions{cn: testHost, names: []string{testHost}}, &inter)
	return testPKI{root: root, intermediate: inter, leaf: leaf}
}

// roots is a pool holding only the root.
func (p testPKI) roots() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(p.root.cert)
	return pool
}

// serverConfig is a server TLS configuration presenting leaf and its chain.
func serverConfig(leaf testCert, chain ...testCert) *tls.Config {
	c := tls.Certificate{Certificate: [][]byte{leaf.cert.Raw}, PrivateKey: leaf.key, Leaf: leaf.cert}
	for _, ca := range chain {
		c.Certificate = append(c.Certificate, ca.cert.Raw)
	}
	return &tls.Config{Certificates: []tls.Certificate{c}}
}

// testDialer connects every address to one test server.
type testDialer struct {
	addr string

	mu    sync.Mutex
	dials []string // the addresses asked for
}

func (d *testDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	d.mu.Lock()
	d.dials = append(d.dials, address)
	d.mu.Unlock()
	var nd net.Dialer
	return nd.DialContext(ctx, network, d.addr)
}

func (d *testDialer) dialed() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.dials...)
}

// listen opens a loopback listener closed at the end of the test.
func listen(t testing.TB) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// serve accepts connections on ln and runs handle on each in its own
// goroutine; the test waits for the handlers before it ends.
func serve(t testing.TB, ln net.Listener, handle func(net.Conn)) {
	t.Helper()
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer conn.Close()
				handle(conn)
			})
		}
	})
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
}

// record is a goroutine-safe log of the lines a test server received.
type record struct {
	mu    sync.Mutex
	lines []string
}

func (r *record) add(line string) {
	r.mu.Lock()
	r.lines = append(r.lines, line)
	r.mu.Unlock()
}

func (r *record) get() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.lines...)
}

// sentCredentials reports whether any recorded client line is a login.
func sentCredentials(lines []string) bool {
	for _, l := range lines {
		f := strings.Fields(strings.ToUpper(l))
		for _, w := range f {
			if w == "LOGIN" || w == "AUTHENTICATE" || w == "AUTH" {
				return true
			}
		}
	}
	return false
}

// fakeServer is a scripted IMAP or SMTP server for one connection that
// records every line it receives, in cleartext and after TLS.
type fakeServer struct {
	smtp        bool
	greeting    string            // replaces the normal greeting
	replies     map[string]string // command (upper case) -> reply, replacing the normal one
	startTLS    bool              // advertise STARTTLS
	inject      string            // appended to the STARTTLS go-ahead in the same write
	injectLater string            // written after the go-ahead, in a second write
	tlsConfig   *tls.Config       // for the handshake after STARTTLS
	received    record

	// handshakeErr receives the server side's handshake result.
	handshakeErr chan error
	// ended is closed when the connection is over.
	ended chan struct{}
}

func (s *fakeServer) start(t testing.TB) *testDialer {
	t.Helper()
	s.handshakeErr = make(chan error, 1)
	s.ended = make(chan struct{})
	ln := listen(t)
	var once sync.Once
	serve(t, ln, func(conn net.Conn) {
		s.handle(conn)
		conn.Close()
		once.Do(func() { close(s.ended) })
	})
	return &testDialer{addr: ln.Addr().String()}
}

// lines waits for the connection to end and returns what the server received.
func (s *fakeServer) lines() []string {
	<-s.ended
	return s.received.get()
}

func (s *fakeServer) handle(conn net.Conn) {
	br := bufio.NewReader(conn)
	w := io.Writer(conn)
	greeting := s.greeting
	if greeting == "" && s.smtp {
		greeting = "220 fake.example.test ESMTP ready\r\n"
	} else if greeting == "" {
		greeting = "* OK fake IMAP ready\r\n"
	}
	io.WriteString(w, greeting)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		s.received.add(line)
		tag, cmd, _ := strings.Cut(line, " ")
		if s.smtp {
			cmd, _, _ = strings.Cut(line, " ")
		}
		cmd = strings.ToUpper(cmd)
		if reply, ok := s.replies[cmd]; ok {
			io.WriteString(w, strings.ReplaceAll(reply, "TAG", tag))
			continue
		}
		switch cmd {
		case "CAPABILITY":
			caps := "IMAP4rev1 LOGINDISABLED"
			if s.startTLS {
				caps += " STARTTLS"
			}
			io.WriteString(w, "* CAPABILITY "+caps+"\r\n"+tag+" OK done\r\n")
		case "EHLO":
			reply := "250-fake.example.test\r\n250-PIPELINING\r\n"
			if s.startTLS {
				reply += "250-STARTTLS\r\n"
			}
			io.WriteString(w, reply+"250 8BITMIME\r\n")
		case "STARTTLS":
			if s.smtp {
				io.WriteString(w, "220 2.0.0 go ahead\r\n"+s.inject)
			} else {
				io.WriteString(w, tag+" OK begin TLS\r\n"+s.inject)
			}
			if s.injectLater != "" {
				io.WriteString(w, s.injectLater)
			}
			tc := tls.Server(conn, s.tlsConfig)
			err := tc.Handshake()
			s.handshakeErr <- err
			if err != nil {
				return
			}
			br, w = bufio.NewReader(tc), tc
		case "NOOP":
			if s.smtp {
				io.WriteString(w, "250 2.0.0 ok\r\n")
			} else {
				io.WriteString(w, tag+" OK noop\r\n")
			}
		default:
			if s.smtp {
				io.WriteString(w, "502 5.5.1 not implemented\r\n")
			} else {
				io.WriteString(w, tag+" BAD not implemented\r\n")
			}
		}
	}
}

// lineProxy relays a connection to upstream, rewriting each line from the
// server with rewrite (a false result drops the line) and recording every
// line the client sent, which is exactly what the server received. Once the
// client sends STARTTLS, the proxy relays bytes unchanged.
type lineProxy struct {
	upstream string
	rewrite  func(string) (string, bool)
	received record
	ended    chan struct{}
}

// lines waits for the connection to end and returns what the server received.
func (p *lineProxy) lines() []string {
	<-p.ended
	return p.received.get()
}

func (p *lineProxy) start(t testing.TB) *testDialer {
	t.Helper()
	p.ended = make(chan struct{})
	ln := listen(t)
	var once sync.Once
	serve(t, ln, func(client net.Conn) {
		defer once.Do(func() { close(p.ended) })
		server, err := net.Dial("tcp", p.upstream)
		if err != nil {
			return
		}
		defer server.Close()
		var passThrough atomic.Bool
		done := make(chan struct{})
		go func() {
			defer close(done)
			defer server.Close()
			br := bufio.NewReader(client)
			for !passThrough.Load() {
				line, err := br.ReadString('\n')
				if line != "" {
					p.received.add(strings.TrimRight(line, "\r\n"))
					if strings.Contains(strings.ToUpper(line), "STARTTLS") {
						passThrough.Store(true)
					}
					server.Write([]byte(line))
				}
				if err != nil {
					return
				}
			}
			io.Copy(server, br)
		}()
		br := bufio.NewReader(server)
		for !passThrough.Load() {
			line, err := br.ReadString('\n')
			if out, keep := p.rewrite(line); keep && line != "" {
				client.Write([]byte(out))
			}
			if err != nil {
				break
			}
		}
		io.Copy(client, br)
		client.Close()
		<-done
	})
	return &testDialer{addr: ln.Addr().String()}
}

// lockedBuffer is a goroutine-safe io.Writer for servers' debug output.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// certError returns err as a *CertificateError or fails the test.
func certError(t testing.TB, err error) *CertificateError {
	t.Helper()
	ce, ok := errors.AsType[*CertificateError](err)
	if !ok {
		t.Fatalf("error = %v, want a *CertificateError", err)
	}
	return ce
}
