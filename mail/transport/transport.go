// Package transport turns (host, port, security, pins) into an
// authenticated TLS connection for IMAP or SMTP, or an error, before any
// credential can be sent. It is the one place where Sealpost's TLS policy
// lives:
//
//   - there is no plaintext mode: security is implicit TLS ("tls") or
//     mandatory STARTTLS ("starttls");
//   - TLS 1.2 is the minimum; the certificate chain is verified against the
//     system roots (or Policy.RootCAs) and the host name is checked;
//   - a certificate that fails verification is refused with a
//     *CertificateError carrying its SHA-256 fingerprint, which the user may
//     pin for exactly that host and port;
//   - this package owns the STARTTLS step of both protocols: it reads the
//     server's STARTTLS reply byte by byte, refuses any cleartext that
//     follows it (the STARTTLS response-injection attack) and hands the
//     caller a connection on which the protocol starts afresh.
//
// The connections returned by DialIMAP and DialSMTP are ready for
// imapclient.New and smtp.NewClient: both clients read a greeting and then
// ask the server for its capabilities over TLS.
package transport

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
)

// Security is how a connection is protected. There is deliberately no
// plaintext value.
type Security string

const (
	// SecurityTLS is implicit TLS: the handshake starts as soon as the TCP
	// connection is up (ports 993 and 465).
	SecurityTLS Security = "tls"
	// SecurityStartTLS is mandatory STARTTLS: the connection starts in
	// cleartext and must be upgraded before anything else is said. A server
	// that does not offer STARTTLS is refused (ports 143 and 587).
	SecurityStartTLS Security = "starttls"
)

// Sentinel errors. Dial errors wrap one of them where a caller may want to
// branch; a certificate failure is a *CertificateError that wraps
// ErrUntrustedCertificate or ErrPinMismatch.
var (
	// ErrPlaintextRefused means a plaintext connection was asked for.
	ErrPlaintextRefused = errors.New("plaintext connections are not supported: use security \"tls\" or \"starttls\"")
	// ErrUnknownSecurity means the security setting is neither "tls" nor
	// "starttls".
	ErrUnknownSecurity = errors.New("unknown security setting: use \"tls\" or \"starttls\"")
	// ErrNoStartTLS means the server did not offer STARTTLS, or refused it.
	// Nothing but the capability request (and the STARTTLS command, if it was
	// offered) was sent: no credential ever.
	ErrNoStartTLS = errors.New("the server does not offer STARTTLS, so the connection cannot be secured; use implicit TLS (security \"tls\", usually port 993 or 465) if the server supports it")
	// ErrSTARTTLSInjection means the server sent cleartext after its
	// STARTTLS reply, before the TLS handshake.
	ErrSTARTTLSInjection = errors.New("the server sent data after STARTTLS: possible injection attack")
	// ErrTLSVersion means the server offers no TLS version of 1.2 or newer.
	ErrTLSVersion = errors.New("the server does not support TLS 1.2 or newer")
	// ErrUntrustedCertificate means the server's certificate failed
	// verification and is not pinned.
	ErrUntrustedCertificate = errors.New("the server's certificate is not trusted")
	// ErrPinMismatch means the host and port have a pinned certificate, the
	// server presented a different one, and that one fails normal
	// verification too: the certificate changed.
	ErrPinMismatch = errors.New("the server's certificate differs from the pinned one")
	// ErrInvalidFingerprint means a SHA-256 fingerprint is malformed.
	ErrInvalidFingerprint = errors.New("invalid SHA-256 fingerprint: want 64 hexadecimal digits, colons and spaces allowed")
)

// ParseSecurity parses a user's security setting ("tls" or "starttls",
// case-insensitive). Plaintext spellings ("", "none", "plain", "plaintext",
// "insecure", "off") fail with ErrPlaintextRefused.
func ParseSecurity(s string) (Security, error) {
	switch v := strings.ToLower(strings.TrimSpace(s)); v {
	case string(SecurityTLS), string(SecurityStartTLS):
		return Security(v), nil
	case "", "none", "plain", "plaintext", "insecure", "off":
		return "", fmt.Errorf("security %q: %w", s, ErrPlaintextRefused)
	default:
		return "", fmt.Errorf("security %q: %w", s, ErrUnknownSecurity)
	}
}

// DefaultSecurity is the security to assume for a well-known port when the
// user names none: STARTTLS for 143, 587 and 25, implicit TLS otherwise
// (993, 465 and any other port).
func DefaultSecurity(port int) Security {
	switch port {
	case 143, 587, 25:
		return SecurityStartTLS
	default:
		return SecurityTLS
	}
}

// Pin trusts exactly one certificate for one host and port, even though it
// fails normal verification (self-signed, private CA, expired, wrong name).
// A pin only adds trust: if the server later presents a certificate that
// passes normal verification, it is accepted with ConnState.Pinned false;
// any other certificate fails with ErrPinMismatch.
type Pin struct {
	// Host is the server's host name as the account names it (compared
	// case-insensitively, a trailing dot ignored).
	Host string
	// Port is the server's TCP port.
	Port int
	// SHA256 is the fingerprint of the certificate's DER encoding, in any
	// form NormalizeSHA256 accepts.
	SHA256 string
}

// Policy is the trust and timeout configuration of one connection attempt.
// The zero value uses the system roots, no pins, time.Now, a 30 second
// setup timeout and DefaultStallTimeout.
type Policy struct {
	// RootCAs are the trusted roots; nil means the system roots.
	RootCAs *x509.CertPool
	// Pins are the user's pinned certificates; only the ones for the dialled
	// host and port count.
	Pins []Pin
	// Now is the clock for certificate validity; nil means time.Now.
	Now func() time.Time
	// DialTimeout bounds the whole connection setup (TCP connect, STARTTLS
	// negotiation and TLS handshake); zero means 30 seconds. A context
	// deadline that comes earlier wins.
	DialTimeout time.Duration
	// Dialer opens the TCP connection; nil means a net.Dialer.
	Dialer Dialer
	// StallTimeout is how long an established connection may wait for the
	// server without progress before it fails with ErrServerStalled (see
	// Conn); zero means DefaultStallTimeout.
	StallTimeout time.Duration
}

// Dialer opens TCP connections; *net.Dialer implements it.
type Dialer interface {
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}

// ConnState is what was verified about one connection, for the UI and the
// audit trail.
type ConnState struct {
	// Version is the TLS version, for example "TLS 1.3".
	Version string
	// CipherSuite is the IANA name of the cipher suite.
	CipherSuite string
	// CertSHA256 is the lower-case hex SHA-256 of the leaf certificate's DER.
	CertSHA256 string
	// Pinned is true when the certificate was accepted only because the user
	// pinned it; false when it passed normal verification.
	Pinned bool
	// ServerName is the host name the certificate was checked against.
	ServerName string
	// Implicit is true for implicit TLS, false for STARTTLS.
	Implicit bool
}

// NormalizeSHA256 returns the canonical form of a SHA-256 fingerprint: 64
// lower-case hex digits. It accepts upper case and separating colons and
// white space, as certificate viewers print them.
func NormalizeSHA256(s string) (string, error) {
	var b strings.Builder
	b.Grow(64)
	for _, r := range s {
		switch {
		case r == ':' || r == ' ' || r == '\t' || r == '\n' || r == '\r':
			continue
		case r >= '0' && r <= '9', r >= 'a' && r <= 'f':
			b.WriteRune(r)
		case r >= 'A' && r <= 'F':
			b.WriteRune(r - 'A' + 'a')
		default:
			return "", fmt.Errorf("%w: unexpected character %q", ErrInvalidFingerprint, r)
		}
	}
	if b.Len() != 64 {
		return "", fmt.Errorf("%w: got %d hexadecimal digits", ErrInvalidFingerprint, b.Len())
	}
	return b.String(), nil
}
