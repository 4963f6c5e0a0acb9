package signintest

import (
	"crypto/x509"
	"testing"

	"github.com/sealpost/sealpost/mail/testservers"
)

// StartMail starts a provider and Dovecot and Postfix that accept its
// tokens (testservers.StartOAuth2), and returns them with the roots that
// trust both: the servers' CA and the provider's certificate.
func StartMail(t testing.TB) (*Provider, *testservers.Servers, *x509.CertPool) {
	t.Helper()
	p := New(t)
	srv := testservers.StartOAuth2(t, testservers.OAuth2{IntrospectionURL: p.IntrospectionURL(), CAPEM: p.CAPEM()})
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(srv.CAPEM)
	roots.AppendCertsFromPEM(p.CAPEM())
	return p, srv, roots
}
