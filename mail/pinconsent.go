package mail

import (
	"errors"
	"fmt"
	"strings"

	"github.com/sealpost/sealpost/mail/transport"
)

// certTrust is what the user consented to pin while setting up an account:
// a fingerprint for whichever of the account's servers presents it (the
// command line's --trust-cert, where the user typed the fingerprint), and
// fingerprints each for exactly one host and port (the app's dialog, which
// names every server it pins). Nothing else is ever pinned.
type certTrust struct {
	anyServer string          // normalized fingerprint, or ""
	servers   []transport.Pin // with normalized fingerprints
}

// newCertTrust checks and normalizes the fingerprints.
func newCertTrust(anyServer string, servers []transport.Pin) (certTrust, error) {
	var t certTrust
	if anyServer != "" {
		fp, err := transport.NormalizeSHA256(anyServer)
		if err != nil {
			return t, err
		}
		t.anyServer = fp
	}
	for _, s := range servers {
		fp, err := transport.NormalizeSHA256(s.SHA256)
		if err != nil {
			return t, fmt.Errorf("certificate to trust for %s:%d: %w", s.Host, s.Port, err)
		}
		t.servers = append(t.servers, transport.Pin{Host: s.Host, Port: s.Port, SHA256: fp})
	}
	return t, nil
}

// empty reports whether the user trusted no certificate.
func (t certTrust) empty() bool { return t.anyServer == "" && len(t.servers) == 0 }

// allows reports whether the user consented to pin the certificate that
// err names: an untrusted one (never one that differs from an existing
// pin) whose fingerprint the user approved for its server.
func (t certTrust) allows(err error) (*transport.CertificateError, bool) {
	var certErr *transport.CertificateError
	if !errors.As(err, &certErr) || !errors.Is(err, transport.ErrUntrustedCertificate) {
		return nil, false
	}
	if t.anyServer != "" && certErr.SHA256 == t.anyServer {
		return certErr, true
	}
	for _, s := range t.servers {
		if s.Port == certErr.Port && sameHostName(s.Host, certErr.Host) && s.SHA256 == certErr.SHA256 {
			return certErr, true
		}
	}
	return certErr, false
}

// untrustedCertificate reports whether err is a certificate that does not
// verify and that the user may still choose to trust (not a changed pin).
func untrustedCertificate(err error) bool {
	var certErr *transport.CertificateError
	return errors.As(err, &certErr) && errors.Is(err, transport.ErrUntrustedCertificate)
}

func sameHostName(a, b string) bool {
	return strings.EqualFold(strings.TrimSuffix(a, "."), strings.TrimSuffix(b, "."))
}

// serverErrors are the errors of several servers of one account, reported
// together so the user can decide about all of them at once. Its text is
// one line, as the command line's errors must be.
type serverErrors []error

// joinServerErrors returns errs as one error: nil, the only one, or all.
func joinServerErrors(errs []error) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	return serverErrors(errs)
}

// Error joins the errors' texts with "; ".
func (e serverErrors) Error() string {
	texts := make([]string, len(e))
	for i, err := range e {
		texts[i] = err.Error()
	}
	return strings.Join(texts, "; ")
}

// Unwrap returns the errors, for errors.Is and errors.As.
func (e serverErrors) Unwrap() []error { return e }
