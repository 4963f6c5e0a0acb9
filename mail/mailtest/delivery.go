package mailtest

import (
	"crypto/x509"
	"testing"

	"github.com/sealpost/sealpost/mail"
	"github.com/sealpost/sealpost/mail/internal/dnstest"
)

// DeliveryDNS serves domain for the delivery checks of a profile opened
// with opts: a real DNS server (unbound, see mail/internal/dnstest) with an
// MX record for it and, unless mode is empty, an _mta-sts record and an
// HTTPS host serving an MTA-STS policy in mode ("enforce", "testing",
// "none"). It sets opts' Resolver and Dialer, and adds the policy host's
// certificate to its RootCAs. Without unbound it skips t, unless
// SEALPOST_REQUIRE_SERVERS=1.
func DeliveryDNS(t testing.TB, opts *mail.ProfileOptions, domain, mode string) {
	t.Helper()
	z := dnstest.NewZone(t, domain)
	z.Add("@ MX 10 mx")
	if mode != "" {
		z.Add(`_mta-sts TXT "v=STSv1; id=1"`)
	}
	srv := dnstest.Start(t, z)
	policy := dnstest.StartPolicyHost(t, domain)
	if mode != "" {
		policy.Serve(domain, "version: STSv1\nmode: "+mode+"\nmx: mx."+domain+"\nmax_age: 86400\n")
	}
	roots := x509.NewCertPool()
	if opts.RootCAs != nil {
		roots = opts.RootCAs.Clone()
	}
	roots.AddCert(policy.Cert)
	opts.Resolver, opts.RootCAs, opts.Dialer = srv.Addr, roots, policy
}
