package travel

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"
	"github.com/miekg/dns"

	"github.com/sealpost/sealpost/mail/backend"
)

// dnsServer is a DNS server on 127.0.0.1 that answers TXT queries from a
// zone the test fills, and counts the queries it gets.
type dnsServer struct {
	addr    string
	mu      sync.Mutex
	txt     map[string]string // FQDN (lower case) -> record
	queries atomic.Int32
}

// startDNS starts a dnsServer for the test's lifetime.
func startDNS(t *testing.T) *dnsServer {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	d := &dnsServer{addr: pc.LocalAddr().String(), txt: make(map[string]string)}
	started := make(chan struct{})
	srv := &dns.Server{PacketConn: pc, NotifyStartedFunc: func() { close(started) }, Handler: dns.HandlerFunc(d.serve)}
	go func() { _ = srv.ActivateAndServe() }()
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("the DNS server did not start")
	}
	t.Cleanup(func() { _ = srv.Shutdown() })
	return d
}

func (d *dnsServer) serve(w dns.ResponseWriter, req *dns.Msg) {
	d.queries.Add(1)
	m := new(dns.Msg)
	m.SetReply(req)
	q := req.Question[0]
	d.mu.Lock()
	rec, ok := d.txt[strings.ToLower(q.Name)]
	d.mu.Unlock()
	switch {
	case !ok:
		m.Rcode = dns.RcodeNameError
	case q.Qtype == dns.TypeTXT:
		m.Answer = append(m.Answer, &dns.TXT{
			Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 60},
			Txt: splitTXT(rec),
		})
	}
	_ = w.WriteMsg(m)
}

// splitTXT cuts a record into the 255-byte strings DNS carries.
func splitTXT(s string) []string {
	var out []string
	for len(s) > 255 {
		out, s = append(out, s[:255]), s[255:]
	}
	return append(out, s)
}

// publish serves key's DKIM record for selector and domain.
func (d *dnsServer) publish(selector, domain string, pub crypto.PublicKey) {
	var rec string
	switch k := pub.(type) {
	case ed25519.PublicKey:
		rec = "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(k)
	default:
		der, _ := x509.MarshalPKIXPublicKey(pub)
		rec = "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(der)
	}
	d.mu.Lock()
	d.txt[selector+"._domainkey."+domain+"."] = rec
	d.mu.Unlock()
}

// lookup is the real Go resolver, asking only d.
func (d *dnsServer) lookup() LookupTXT {
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var dialer net.Dialer
		return dialer.DialContext(ctx, "udp", d.addr)
	}}
	return r.LookupTXT
}

const testMessage = "From: Alice <alice@example.com>\r\n" +
	"To: me@provider.net\r\n" +
	"Subject: Q3 numbers\r\n" +
	"Date: Sat, 05 Dec 2026 12:00:00 +0000\r\n" +
	"Message-ID: <1@example.com>\r\n" +
	"\r\n" +
	"The numbers are good.\r\n"

// sign returns msg signed for domain and selector by signer.
func sign(t *testing.T, msg, domain, selector string, signer crypto.Signer) []byte {
	t.Helper()
	var out bytes.Buffer
	err := dkim.Sign(&out, strings.NewReader(msg), &dkim.SignOptions{
		Domain: domain, Selector: selector, Signer: signer,
		HeaderCanonicalization: dkim.CanonicalizationRelaxed, BodyCanonicalization: dkim.CanonicalizationRelaxed,
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestDKIM(t *testing.T) {
	d := startDNS(t)
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	d.publish("ed", "example.com", edKey.Public())
	d.publish("rsa", "example.com", rsaKey.Public())
	_, otherKey, _ := ed25519.GenerateKey(rand.Reader)

	signedEd := sign(t, testMessage, "example.com", "ed", edKey)
	signedRSA := sign(t, testMessage, "example.com", "rsa", rsaKey)
	// A relay adds a field on top of a signed message: still valid.
	relayed := append([]byte("Received: from a.example by b.example with ESMTPS; Sat, 5 Dec 2026 12:00:01 +0000\r\n"), signedEd...)
	tampered := bytes.Replace(signedEd, []byte("good"), []byte("bad!"), 1)
	// A forger signs for example.com with their own key: the key in
	// example.com's DNS does not match.
	forged := sign(t, testMessage, "example.com", "ed", otherKey)
	// A forger signs with a selector example.com never published.
	unpublished := sign(t, testMessage, "example.com", "forged", otherKey)
	// Signed by a third party, not the From domain.
	d.publish("s", "mailer.example", otherKey.Public())
	thirdParty := sign(t, testMessage, "mailer.example", "s", otherKey)

	tests := []struct {
		name   string
		raw    []byte
		result string
		domain string
		align  bool
	}{
		{"ed25519", signedEd, backend.DKIMPass, "example.com", true},
		{"rsa", signedRSA, backend.DKIMPass, "example.com", true},
		{"relayed", relayed, backend.DKIMPass, "example.com", true},
		{"tampered body", tampered, backend.DKIMFail, "example.com", true},
		{"forged signature", forged, backend.DKIMFail, "example.com", true},
		{"unpublished selector", unpublished, backend.DKIMFail, "example.com", true},
		{"third party", thirdParty, backend.DKIMPass, "mailer.example", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := Examine(context.Background(), tt.raw, Options{Resolver: NewResolver(d.lookup())})
			if len(ev.DKIM) != 1 {
				t.Fatalf("got %d DKIM checks, want 1: %+v", len(ev.DKIM), ev.DKIM)
			}
			c := ev.DKIM[0]
			if c.Result != tt.result || c.Domain != tt.domain || c.AlignedWithFrom != tt.align {
				t.Errorf("got %+v, want result %s domain %s aligned %v", c, tt.result, tt.domain, tt.align)
			}
		})
	}
}

func TestDKIMOffline(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	signed := sign(t, testMessage, "example.com", "ed", key)
	// A port nothing answers on: every lookup fails.
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := pc.LocalAddr().String()
	pc.Close()
	var lookups atomic.Int32
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		lookups.Add(1)
		var dialer net.Dialer
		return dialer.DialContext(ctx, "tcp", addr) // refused at once
	}}
	res := NewResolver(r.LookupTXT)
	for i := range 10 {
		// Each message names another domain, so the cache does not answer.
		msg := sign(t, testMessage, "example.com", "s"+string(rune('a'+i)), key)
		ev := Examine(context.Background(), msg, Options{Resolver: res})
		if len(ev.DKIM) != 1 || ev.DKIM[0].Result != backend.DKIMNotChecked {
			t.Fatalf("message %d: got %+v, want not checked", i, ev.DKIM)
		}
	}
	if n := lookups.Load(); n == 0 || n > 3*maxFailuresInARow {
		t.Errorf("the resolver dialled %d times for 10 messages; it should stop after %d failures", n, maxFailuresInARow)
	}
	// No resolver at all: not checked either, never "fail".
	ev := Examine(context.Background(), signed, Options{})
	if len(ev.DKIM) != 1 || ev.DKIM[0].Result != backend.DKIMNotChecked || ev.DKIM[0].Domain != "example.com" {
		t.Errorf("without a resolver got %+v, want not checked for example.com", ev.DKIM)
	}
}

func TestDKIMCachesKeys(t *testing.T) {
	d := startDNS(t)
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	d.publish("ed", "example.com", key.Public())
	signed := sign(t, testMessage, "example.com", "ed", key)
	res := NewResolver(d.lookup())
	for range 5 {
		ev := Examine(context.Background(), signed, Options{Resolver: res})
		if ev.DKIM[0].Result != backend.DKIMPass {
			t.Fatalf("got %+v, want pass", ev.DKIM[0])
		}
	}
	// The Go resolver may ask more than once for one lookup (search
	// domains, retries), but not once per message.
	if n := d.queries.Load(); n > 2 {
		t.Errorf("the DNS server got %d queries for 5 messages signed with one key, want the key cached", n)
	}
}

// TestResolverRecovers checks that a Resolver that stopped asking asks
// again after downFor, and that cached keys expire after cacheFor: the
// app's sessions keep one Resolver for hours.
func TestResolverRecovers(t *testing.T) {
	clock := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	var calls atomic.Int32
	online := false
	lookup := func(context.Context, string) ([]string, error) {
		calls.Add(1)
		if !online {
			return nil, &net.DNSError{Err: "connection refused", IsTemporary: true}
		}
		return []string{"v=DKIM1; p=AAAA"}, nil
	}
	res := NewResolver(lookup)
	res.now = func() time.Time { return clock }
	ctx := context.Background()
	for i := range 10 {
		if _, err := res.txt(ctx, fmt.Sprintf("s%d._domainkey.example.com", i)); err == nil {
			t.Fatal("a lookup succeeded offline")
		}
	}
	if n := calls.Load(); n != maxFailuresInARow {
		t.Errorf("offline: %d lookups, want %d and then none", n, maxFailuresInARow)
	}
	online = true
	clock = clock.Add(downFor)
	if _, err := res.txt(ctx, "a._domainkey.example.com"); err != nil {
		t.Fatalf("after %v online again: %v", downFor, err)
	}
	before := calls.Load()
	if _, err := res.txt(ctx, "a._domainkey.example.com"); err != nil || calls.Load() != before {
		t.Errorf("a cached key was looked up again (%v)", err)
	}
	clock = clock.Add(cacheFor)
	if _, err := res.txt(ctx, "a._domainkey.example.com"); err != nil || calls.Load() != before+1 {
		t.Errorf("a key cached for %v was not looked up again (%v)", cacheFor, err)
	}
}

func TestDKIMCancelled(t *testing.T) {
	d := startDNS(t)
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	d.publish("ed", "example.com", key.Public())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ev := Examine(ctx, sign(t, testMessage, "example.com", "ed", key), Options{Resolver: NewResolver(d.lookup())})
	if ev.DKIM[0].Result != backend.DKIMNotChecked {
		t.Errorf("with a cancelled sync got %+v, want not checked", ev.DKIM[0])
	}
}

// TestDKIMCallerGivingUpIsNoDNSFailure: lookups cut short because the
// caller stopped waiting (the sync's time for lookups ran out) do not
// count as DNS failures: the Resolver keeps asking afterwards.
func TestDKIMCallerGivingUpIsNoDNSFailure(t *testing.T) {
	d := startDNS(t)
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	d.publish("ed", "example.com", key.Public())
	answer := d.lookup()
	hang := true
	res := NewResolver(func(ctx context.Context, name string) ([]string, error) {
		if hang {
			<-ctx.Done()
			return nil, ctx.Err()
		}
		return answer(ctx, name)
	})
	signed := sign(t, testMessage, "example.com", "ed", key)
	for range maxFailuresInARow + 1 {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
		ev := Examine(ctx, signed, Options{Resolver: res})
		cancel()
		if ev.DKIM[0].Result != backend.DKIMNotChecked {
			t.Fatalf("cut short: got %+v, want not checked", ev.DKIM[0])
		}
	}
	hang = false
	if ev := Examine(context.Background(), signed, Options{Resolver: res}); ev.DKIM[0].Result != backend.DKIMPass {
		t.Errorf("after lookups the caller gave up on: got %+v, want pass (the DNS was never down)", ev.DKIM[0])
	}
}
