package transport

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// CertificateError is a refused server certificate. It carries what the
// user needs to decide whether to pin it. It wraps Kind (ErrUntrustedCertificate
// or ErrPinMismatch) and Reason.
type CertificateError struct {
	// Host and Port are the server the certificate came from.
	Host string
	Port int
	// SHA256 is the lower-case hex SHA-256 of the leaf certificate's DER:
	// exactly the value to pin.
	SHA256 string
	// Subject and Issuer are the leaf certificate's names.
	Subject, Issuer string
	// NotBefore and NotAfter are the leaf certificate's validity period.
	NotBefore, NotAfter time.Time
	// Kind is ErrUntrustedCertificate, or ErrPinMismatch when the host and
	// port have a pin that this certificate does not match.
	Kind error
	// Reason is why normal verification failed (an x509 error).
	Reason error
}

// Error names the server, the reason and the certificate, and prints the
// SHA-256 fingerprint exactly as it must be pinned.
func (e *CertificateError) Error() string {
	var advice string
	if errors.Is(e.Kind, ErrPinMismatch) {
		advice = "the certificate changed since it was pinned: this may be an attack; pin the new fingerprint only after verifying it with the server's operator"
	} else {
		advice = "pin this fingerprint only after verifying it with the server's operator"
	}
	return fmt.Sprintf("%v for %s:%d (%v): subject %q, issuer %q, valid %s to %s, SHA-256 %s; %s",
		e.Kind, e.Host, e.Port, e.Reason, e.Subject, e.Issuer,
		e.NotBefore.UTC().Format(time.DateOnly), e.NotAfter.UTC().Format(time.DateOnly), e.SHA256, advice)
}

// Unwrap returns Kind and Reason.
func (e *CertificateError) Unwrap() []error { return []error{e.Kind, e.Reason} }

// verifier checks the server certificate of one connection attempt. Its
// result fields are set by verify, which crypto/tls calls on the goroutine
// that runs the handshake.
type verifier struct {
	host   string
	port   int
	roots  *x509.CertPool
	pins   []string // normalized fingerprints pinned for host and port
	now    func() time.Time
	sha256 string
	pinned bool
}

// newVerifier collects the pins for host and port; a malformed one among
// them fails the connection rather than being ignored.
func newVerifier(host string, port int, p Policy) (*verifier, error) {
	v := &verifier{host: host, port: port, roots: p.RootCAs, now: p.Now}
	if v.now == nil {
		v.now = time.Now
	}
	for _, pin := range p.Pins {
		if pin.Port != port || !sameHost(pin.Host, host) {
			continue
		}
		fp, err := NormalizeSHA256(pin.SHA256)
		if err != nil {
			return nil, fmt.Errorf("pinned certificate for %s:%d: %w", host, port, err)
		}
		v.pins = append(v.pins, fp)
	}
	return v, nil
}

func sameHost(a, b string) bool {
	return strings.EqualFold(strings.TrimSuffix(a, "."), strings.TrimSuffix(b, "."))
}

// tlsConfig is the client configuration for one connection: TLS 1.2 or
// newer, and certificate verification done by verify (crypto/tls's own
// verification cannot accept a pinned certificate). No session cache is set,
// so every connection runs a full handshake and verify always runs.
func (v *verifier) tlsConfig(nextProtos []string) *tls.Config {
	return &tls.Config{
		ServerName:         v.host,
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: true, // verify below does the complete check
		VerifyConnection:   v.verify,
		Time:               v.now,
		NextProtos:         nextProtos,
	}
}

// verify accepts the connection if the chain verifies against the roots for
// the host name at the current time, or else if the leaf is pinned for this
// host and port. A pinned host that presents a publicly valid certificate is
// accepted with pinned false: the pin stays, but is not needed.
func (v *verifier) verify(cs tls.ConnectionState) error {
	if len(cs.PeerCertificates) == 0 {
		return fmt.Errorf("%s:%d: %w: the server sent no certificate", v.host, v.port, ErrUntrustedCertificate)
	}
	leaf := cs.PeerCertificates[0]
	sum := sha256.Sum256(leaf.Raw)
	v.sha256 = hex.EncodeToString(sum[:])

	intermediates := x509.NewCertPool()
	for _, c := range cs.PeerCertificates[1:] {
		intermediates.AddCert(c)
	}
	_, err := leaf.Verify(x509.VerifyOptions{
		Roots:         v.roots,
		Intermediates: intermediates,
		DNSName:       v.host,
		CurrentTime:   v.now(),
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	if err == nil {
		return nil
	}
	kind := ErrUntrustedCertificate
	if len(v.pins) > 0 {
		for _, fp := range v.pins {
			if fp == v.sha256 {
				v.pinned = true
				return nil
			}
		}
		kind = ErrPinMismatch
	}
	return &CertificateError{
		Host:      v.host,
		Port:      v.port,
		SHA256:    v.sha256,
		Subject:   leaf.Subject.String(),
		Issuer:    leaf.Issuer.String(),
		NotBefore: leaf.NotBefore,
		NotAfter:  leaf.NotAfter,
		Kind:      kind,
		Reason:    err,
	}
}
