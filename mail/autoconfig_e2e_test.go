package mail

import (
	"context"
	"net"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail/autoconfig"
	"github.com/sealpost/sealpost/mail/testservers"
)

// srvRecords answers SRV queries for the test domain with the test
// servers' ports, as a provider's DNS would for its own domain.
type srvRecords struct {
	domain  string
	records map[string]*net.SRV
}

func (r srvRecords) LookupSRV(_ context.Context, service, proto, name string) (string, []*net.SRV, error) {
	if rec, ok := r.records[service]; ok && name == r.domain {
		return "", []*net.SRV{rec}, nil
	}
	return "", nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

// loopbackDialer sends every connection for host to 127.0.0.1, keeping the
// port: the test's stand-in for DNS.
type loopbackDialer struct{ host string }

func (d loopbackDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host != d.host {
		return nil, &net.DNSError{Err: "no such host", Name: addr, IsNotFound: true}
	}
	var nd net.Dialer
	return nd.DialContext(ctx, network, net.JoinHostPort("127.0.0.1", port))
}

func portOf(t *testing.T, addr string) uint16 {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(p)
	return uint16(n)
}

// TestAddAccountDiscoversServers adds an account from its address alone:
// SRV records name mail.example.test (the test CA's certificate is made for
// it), and both logins succeed over verified TLS.
func TestAddAccountDiscoversServers(t *testing.T) {
	srv := testservers.Start(t)
	const host = "mail." + testservers.Domain
	p, err := CreateProfile(filepath.Join(t.TempDir(), "p"), []byte("test passphrase 123"),
		&ProfileOptions{Store: &localstore.Options{KDF: &cheapKDF}, RootCAs: srv.CA, Dialer: loopbackDialer{host}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	resolver := srvRecords{domain: testservers.Domain, records: map[string]*net.SRV{
		"imaps":       {Target: host + ".", Port: portOf(t, srv.IMAPTLS)},
		"submissions": {Target: host + ".", Port: portOf(t, srv.SMTPTLS)},
	}}
	disc := &autoconfig.Discoverer{Resolver: resolver, StepTimeout: 5 * time.Second,
		Probe: func(context.Context, string, autoconfig.Server) error { return nil }}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	user := "alice@" + srv.Domain
	info, err := p.Accounts().Add(ctx, AccountSettings{Email: user, Secret: []byte(srv.Users[user])}, &AccountOptions{Discoverer: disc})
	if err != nil {
		t.Fatalf("add account by discovery: %v", err)
	}
	if info.IMAP.Host != host || info.IMAP.Security != "tls" || info.SMTP.Port != int(portOf(t, srv.SMTPTLS)) ||
		info.Discovery != "srv" || len(info.Pins) != 0 {
		t.Errorf("discovered account = %+v", info)
	}
}
