package mail

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail/autoconfig"
	"github.com/sealpost/sealpost/mail/testservers"
)

// srvRecords answers SRV queries for the test domain with the test
// servers' ports, as a provider's DNS would for its own domain, and MX
// queries from a table.
type srvRecords struct {
	domain  string
	records map[string]*net.SRV
	mx      map[string][]*net.MX
}

func (r srvRecords) LookupSRV(_ context.Context, service, proto, name string) (string, []*net.SRV, error) {
	if rec, ok := r.records[service]; ok && name == r.domain {
		return "", []*net.SRV{rec}, nil
	}
	return "", nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (r srvRecords) LookupMX(_ context.Context, name string) ([]*net.MX, error) {
	if mx, ok := r.mx[name]; ok {
		return mx, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
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

// loopbackProfile is a new profile that trusts srv's CA and reaches host
// on 127.0.0.1; it is closed when the test ends.
func loopbackProfile(t *testing.T, srv *testservers.Servers, host string) *Profile {
	t.Helper()
	p, err := CreateProfile(filepath.Join(t.TempDir(), "p"), []byte("test passphrase 123"),
		&ProfileOptions{Store: &localstore.Options{KDF: &cheapKDF}, RootCAs: srv.CA, Dialer: loopbackDialer{host}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// addDiscovered adds alice's account from her address and password alone,
// with disc finding the servers.
func addDiscovered(t *testing.T, p *Profile, srv *testservers.Servers, disc *autoconfig.Discoverer) AccountInfo {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	user := "alice@" + srv.Domain
	info, err := p.Accounts().Add(ctx, AccountSettings{Email: user, Secret: []byte(srv.Users[user])}, &AccountOptions{Discoverer: disc})
	if err != nil {
		t.Fatalf("add account by discovery: %v", err)
	}
	return info
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
	p := loopbackProfile(t, srv, host)
	resolver := srvRecords{domain: testservers.Domain, records: map[string]*net.SRV{
		"imaps":       {Target: host + ".", Port: portOf(t, srv.IMAPTLS)},
		"submissions": {Target: host + ".", Port: portOf(t, srv.SMTPTLS)},
	}}
	disc := &autoconfig.Discoverer{Resolver: resolver, StepTimeout: 5 * time.Second,
		Probe: func(context.Context, string, autoconfig.Server) error { return nil }}
	info := addDiscovered(t, p, srv, disc)
	if info.IMAP.Host != host || info.IMAP.Security != "tls" || info.SMTP.Port != int(portOf(t, srv.SMTPTLS)) ||
		info.Discovery != "srv" || len(info.Pins) != 0 {
		t.Errorf("discovered account = %+v", info)
	}
}

// TestAddAccountDiscoversServersByMX adds an account whose domain has no
// SRV records and no autoconfig file of its own: its MX record names a
// provider whose entry a local HTTPS ISPDB holds, and both logins succeed
// over verified TLS with the servers of that entry.
func TestAddAccountDiscoversServersByMX(t *testing.T) {
	srv := testservers.Start(t)
	const host = "mail." + testservers.Domain
	p := loopbackProfile(t, srv, host)
	entry := fmt.Sprintf(`<?xml version="1.0"?>
<clientConfig version="1.1"><emailProvider id="provider.test">
  <incomingServer type="imap"><hostname>%s</hostname><port>%d</port><socketType>SSL</socketType><username>%%EMAILADDRESS%%</username></incomingServer>
  <outgoingServer type="smtp"><hostname>%s</hostname><port>%d</port><socketType>SSL</socketType><username>%%EMAILADDRESS%%</username></outgoingServer>
</emailProvider></clientConfig>`, host, portOf(t, srv.IMAPTLS), host, portOf(t, srv.SMTPTLS))
	var asked []string
	var mu sync.Mutex
	ispdb := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		asked = append(asked, r.URL.RequestURI())
		mu.Unlock()
		if r.URL.Path != "/v1.1/provider.test" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprint(w, entry)
	}))
	ispdb.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes below are expected
	ispdb.StartTLS()
	defer ispdb.Close()
	resolver := srvRecords{domain: srv.Domain, mx: map[string][]*net.MX{srv.Domain: {{Host: "mx1.provider.test.", Pref: 10}}}}
	// Every HTTPS request goes to the ISPDB server, whose certificate is
	// valid for 127.0.0.1 only: the domain's own autoconfig hosts fail.
	client := ispdb.Client()
	client.Transport.(*http.Transport).DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, ispdb.Listener.Addr().String())
	}
	disc := &autoconfig.Discoverer{Resolver: resolver, HTTPClient: client, ISPDB: ispdb.URL + "/v1.1/", StepTimeout: 5 * time.Second}

	// With the profile's setting against it, neither is asked.
	settings, err := p.Settings().Get()
	if err != nil {
		t.Fatal(err)
	}
	settings.NoProviderLookup = true
	if err := p.Settings().Save(settings); err != nil {
		t.Fatal(err)
	}
	user := "alice@" + srv.Domain
	_, err = p.Accounts().Add(t.Context(), AccountSettings{Email: user, Secret: []byte(srv.Users[user])}, &AccountOptions{Discoverer: disc})
	if !errors.Is(err, autoconfig.ErrNotFound) {
		t.Fatalf("add account with provider lookups off: %v, want autoconfig.ErrNotFound", err)
	}
	mu.Lock()
	if len(asked) != 0 {
		t.Errorf("the ISPDB was asked %q with provider lookups off", asked)
	}
	mu.Unlock()
	settings.NoProviderLookup = false
	if err := p.Settings().Save(settings); err != nil {
		t.Fatal(err)
	}

	info := addDiscovered(t, p, srv, disc)
	if info.IMAP.Host != host || info.SMTP.Port != int(portOf(t, srv.SMTPTLS)) || info.Discovery != autoconfig.SourceMXISPDB ||
		!strings.Contains(info.DiscoveryDetail, "ISPDB entry for provider.test") || !strings.Contains(info.DiscoveryDetail, "mx1.provider.test") {
		t.Errorf("discovered account = %+v", info)
	}
	if added := addedAccount(info); added.DiscoveryDetail != info.DiscoveryDetail {
		t.Errorf("the engine reports DiscoveryDetail %q, want %q", added.DiscoveryDetail, info.DiscoveryDetail)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, u := range asked {
		if strings.Contains(u, "alice") {
			t.Errorf("the ISPDB was asked %q, which names the user", u)
		}
	}
}
