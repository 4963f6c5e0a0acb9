package transport

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// tlsServer is an implicit-TLS server that greets with "* OK test" and
// whose configuration can change between connections.
type tlsServer struct {
	config atomic.Pointer[tls.Config]
}

func startTLSServer(t *testing.T, config *tls.Config) (*tlsServer, *testDialer) {
	t.Helper()
	s := &tlsServer{}
	s.config.Store(config)
	ln := listen(t)
	serve(t, ln, func(conn net.Conn) {
		tc := tls.Server(conn, s.config.Load())
		if tc.Handshake() != nil {
			return
		}
		io.WriteString(tc, "* OK test\r\n")
		io.Copy(io.Discard, tc)
	})
	return s, &testDialer{addr: ln.Addr().String()}
}

// readGreeting checks that conn works by reading its first line.
func readGreeting(t *testing.T, conn net.Conn) string {
	t.Helper()
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the greeting: %v", err)
	}
	return line
}

func TestCertificateVerification(t *testing.T) {
	pki := newPKI(t)
	other := newPKI(t)
	selfSigned := newCert(t, certOptions{cn: testHost, names: []string{testHost}}, nil)
	wrongName := newCert(t, certOptions{cn: "other.example.test", names: []string{"other.example.test"}}, &pki.intermediate)
	clientOnly := newCert(t, certOptions{cn: testHost, names: []string{testHost},
		extUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}, &pki.intermediate)
	notYet := newCert(t, certOptions{cn: testHost, names: []string{testHost},
		notBefore: time.Now().Add(time.Hour), notAfter: time.Now().Add(48 * time.Hour)}, &pki.intermediate)
	leafFP := pki.leaf.fingerprint()
	// The form a user copies from a certificate viewer.
	viewerForm := strings.ToUpper(strings.Join(splitPairs(selfSigned.fingerprint()), ":"))

	tests := []struct {
		name       string
		server     *tls.Config
		roots      *x509.CertPool
		pins       []Pin
		now        func() time.Time
		wantKind   error // nil: accepted
		wantPinned bool
		wantFP     string
		wantReason func(error) bool
	}{
		{name: "valid chain from the test CA", server: serverConfig(pki.leaf, pki.intermediate),
			roots: pki.roots(), wantFP: leafFP},
		{name: "valid chain, system roots", server: serverConfig(pki.leaf, pki.intermediate),
			wantKind: ErrUntrustedCertificate, wantFP: leafFP, wantReason: isUnknownAuthority},
		{name: "intermediate missing", server: serverConfig(pki.leaf),
			roots: pki.roots(), wantKind: ErrUntrustedCertificate, wantFP: leafFP, wantReason: isUnknownAuthority},
		{name: "another CA", server: serverConfig(other.leaf, other.intermediate),
			roots: pki.roots(), wantKind: ErrUntrustedCertificate, wantFP: other.leaf.fingerprint(), wantReason: isUnknownAuthority},
		{name: "wrong host name", server: serverConfig(wrongName, pki.intermediate),
			roots: pki.roots(), wantKind: ErrUntrustedCertificate, wantFP: wrongName.fingerprint(), wantReason: isHostnameError},
		{name: "expired", server: serverConfig(pki.leaf, pki.intermediate), roots: pki.roots(),
			now:      func() time.Time { return pki.leaf.cert.NotAfter.Add(time.Minute) },
			wantKind: ErrUntrustedCertificate, wantFP: leafFP, wantReason: isInvalid(x509.Expired)},
		{name: "not yet valid", server: serverConfig(notYet, pki.intermediate), roots: pki.roots(),
			wantKind: ErrUntrustedCertificate, wantFP: notYet.fingerprint(), wantReason: isInvalid(x509.Expired)},
		{name: "client authentication only", server: serverConfig(clientOnly, pki.intermediate), roots: pki.roots(),
			wantKind: ErrUntrustedCertificate, wantFP: clientOnly.fingerprint(), wantReason: isInvalid(x509.IncompatibleUsage)},
		{name: "self-signed", server: serverConfig(selfSigned),
			wantKind: ErrUntrustedCertificate, wantFP: selfSigned.fingerprint(), wantReason: isUnknownAuthority},
		{name: "self-signed, pinned", server: serverConfig(selfSigned),
			pins: []Pin{{Host: "MAIL.example.test.", Port: 993, SHA256: viewerForm}}, wantPinned: true, wantFP: selfSigned.fingerprint()},
		{name: "self-signed, pinned and expired", server: serverConfig(selfSigned),
			now:  func() time.Time { return selfSigned.cert.NotAfter.Add(time.Hour) },
			pins: []Pin{{Host: testHost, Port: 993, SHA256: selfSigned.fingerprint()}}, wantPinned: true, wantFP: selfSigned.fingerprint()},
		{name: "self-signed, pinned for another port", server: serverConfig(selfSigned),
			pins:     []Pin{{Host: testHost, Port: 143, SHA256: selfSigned.fingerprint()}},
			wantKind: ErrUntrustedCertificate, wantFP: selfSigned.fingerprint(), wantReason: isUnknownAuthority},
		{name: "self-signed, pinned for another host", server: serverConfig(selfSigned),
			pins:     []Pin{{Host: "imap.example.test", Port: 993, SHA256: selfSigned.fingerprint()}},
			wantKind: ErrUntrustedCertificate, wantFP: selfSigned.fingerprint(), wantReason: isUnknownAuthority},
		{name: "pinned host presents another self-signed certificate", server: serverConfig(selfSigned),
			pins:     []Pin{{Host: testHost, Port: 993, SHA256: leafFP}},
			wantKind: ErrPinMismatch, wantFP: selfSigned.fingerprint(), wantReason: isUnknownAuthority},
		{name: "pinned host presents a valid certificate", server: serverConfig(pki.leaf, pki.intermediate),
			roots: pki.roots(), pins: []Pin{{Host: testHost, Port: 993, SHA256: selfSigned.fingerprint()}}, wantFP: leafFP},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, d := startTLSServer(t, tt.server)
			p := Policy{RootCAs: tt.roots, Pins: tt.pins, Now: tt.now, Dialer: d}
			conn, st, err := DialIMAP(context.Background(), testHost, 993, SecurityTLS, p)
			if tt.wantKind == nil {
				if err != nil {
					t.Fatalf("DialIMAP error = %v, want nil", err)
				}
				defer conn.Close()
				if got := readGreeting(t, conn); got != "* OK test\r\n" {
					t.Errorf("greeting = %q, want %q", got, "* OK test\r\n")
				}
				if st.CertSHA256 != tt.wantFP || st.Pinned != tt.wantPinned {
					t.Errorf("ConnState = %+v, want CertSHA256 %s, Pinned %v", st, tt.wantFP, tt.wantPinned)
				}
				return
			}
			if err == nil {
				conn.Close()
				t.Fatalf("DialIMAP succeeded with %+v, want %v", st, tt.wantKind)
			}
			if !errors.Is(err, tt.wantKind) {
				t.Errorf("error = %v, want %v", err, tt.wantKind)
			}
			if errors.Is(tt.wantKind, ErrPinMismatch) && errors.Is(err, ErrUntrustedCertificate) {
				t.Errorf("error %v is also ErrUntrustedCertificate, want only ErrPinMismatch", err)
			}
			ce := certError(t, err)
			if ce.SHA256 != tt.wantFP || ce.Host != testHost || ce.Port != 993 {
				t.Errorf("CertificateError SHA256, Host, Port = %s, %s, %d, want %s, %s, 993", ce.SHA256, ce.Host, ce.Port, tt.wantFP, testHost)
			}
			if !strings.Contains(err.Error(), tt.wantFP) {
				t.Errorf("error text %q does not contain the fingerprint %s", err, tt.wantFP)
			}
			if !strings.Contains(ce.Subject, "CN=") || ce.Issuer == "" || ce.NotAfter.IsZero() {
				t.Errorf("CertificateError subject, issuer, NotAfter = %q, %q, %v, want them filled", ce.Subject, ce.Issuer, ce.NotAfter)
			}
			if !tt.wantReason(ce.Reason) {
				t.Errorf("Reason = %T %v, want another kind", ce.Reason, ce.Reason)
			}
		})
	}
}

func splitPairs(s string) []string {
	var parts []string
	for i := 0; i+2 <= len(s); i += 2 {
		parts = append(parts, s[i:i+2])
	}
	return parts
}

func isUnknownAuthority(err error) bool {
	_, ok := errors.AsType[x509.UnknownAuthorityError](err)
	return ok
}

func isHostnameError(err error) bool {
	_, ok := errors.AsType[x509.HostnameError](err)
	return ok
}

func isInvalid(reason x509.InvalidReason) func(error) bool {
	return func(err error) bool {
		e, ok := errors.AsType[x509.CertificateInvalidError](err)
		return ok && e.Reason == reason
	}
}

// TestConnStateOfValidChain checks what a connection records for the UI.
func TestConnStateOfValidChain(t *testing.T) {
	pki := newPKI(t)
	tests := []struct {
		name        string
		maxVersion  uint16
		wantVersion string
	}{
		{name: "TLS 1.3", maxVersion: tls.VersionTLS13, wantVersion: "TLS 1.3"},
		{name: "TLS 1.2", maxVersion: tls.VersionTLS12, wantVersion: "TLS 1.2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := serverConfig(pki.leaf, pki.intermediate)
			cfg.MaxVersion = tt.maxVersion
			_, d := startTLSServer(t, cfg)
			conn, st, err := DialIMAP(context.Background(), testHost, 993, SecurityTLS, Policy{RootCAs: pki.roots(), Dialer: d})
			if err != nil {
				t.Fatalf("DialIMAP error = %v, want nil", err)
			}
			defer conn.Close()
			cs := conn.ConnectionState()
			want := ConnState{
				Version:     tt.wantVersion,
				CipherSuite: tls.CipherSuiteName(cs.CipherSuite),
				CertSHA256:  pki.leaf.fingerprint(),
				ServerName:  testHost,
				Implicit:    true,
			}
			if st != want {
				t.Errorf("ConnState = %+v, want %+v", st, want)
			}
			if !strings.HasPrefix(st.CipherSuite, "TLS_") {
				t.Errorf("CipherSuite = %q, want an IANA name", st.CipherSuite)
			}
			if got := d.dialed(); len(got) != 1 || got[0] != "mail.example.test:993" {
				t.Errorf("dialled %q, want [mail.example.test:993]", got)
			}
		})
	}
}

func TestOldTLSVersionsRefused(t *testing.T) {
	pki := newPKI(t)
	tests := []struct {
		name     string
		min, max uint16
	}{
		{name: "TLS 1.0 and 1.1", min: tls.VersionTLS10, max: tls.VersionTLS11},
		{name: "TLS 1.0 only", min: tls.VersionTLS10, max: tls.VersionTLS10},
		{name: "TLS 1.1 only", min: tls.VersionTLS11, max: tls.VersionTLS11},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := serverConfig(pki.leaf, pki.intermediate)
			cfg.MinVersion, cfg.MaxVersion = tt.min, tt.max
			_, d := startTLSServer(t, cfg)
			conn, _, err := DialSMTP(context.Background(), testHost, 465, SecurityTLS, Policy{RootCAs: pki.roots(), Dialer: d}, "")
			if err == nil {
				conn.Close()
			}
			if !errors.Is(err, ErrTLSVersion) {
				t.Fatalf("DialSMTP error = %v, want ErrTLSVersion", err)
			}
		})
	}
}

// TestServerSelectingTLS10Refused answers the ClientHello with a ServerHello
// that picks TLS 1.0, as an old server (or a downgrading attacker) would.
func TestServerSelectingTLS10Refused(t *testing.T) {
	ln := listen(t)
	serve(t, ln, func(conn net.Conn) {
		hdr := make([]byte, 5)
		if _, err := io.ReadFull(conn, hdr); err != nil {
			return
		}
		if _, err := io.CopyN(io.Discard, conn, int64(hdr[3])<<8|int64(hdr[4])); err != nil {
			return
		}
		body := []byte{0x03, 0x01}               // version TLS 1.0
		body = append(body, make([]byte, 32)...) // random
		body = append(body, 0)                   // empty session ID
		body = append(body, 0x00, 0x2f)          // TLS_RSA_WITH_AES_128_CBC_SHA
		body = append(body, 0)                   // no compression
		msg := append([]byte{2, 0, 0, byte(len(body))}, body...)
		record := append([]byte{22, 0x03, 0x01, 0, byte(len(msg))}, msg...)
		conn.Write(record)
		io.Copy(io.Discard, conn)
	})
	d := &testDialer{addr: ln.Addr().String()}
	conn, _, err := DialIMAP(context.Background(), testHost, 993, SecurityTLS, Policy{Dialer: d})
	if err == nil {
		conn.Close()
	}
	if !errors.Is(err, ErrTLSVersion) {
		t.Fatalf("DialIMAP error = %v, want ErrTLSVersion", err)
	}
}
