package delivery_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sealpost/sealpost/mail/backend"
	"github.com/sealpost/sealpost/mail/delivery"
	"github.com/sealpost/sealpost/mail/internal/dnstest"
)

const tlsa = "3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// world is a DNS server and a policy host with one domain per case.
type world struct {
	dns    *dnstest.Server
	policy *dnstest.PolicyHost
}

// newWorld serves these domains (all under .test):
//
//	enforce.test   MX mx.enforce.test, policy enforce, no TLSA
//	testing.test   policy testing
//	none.test      policy mode none
//	nopolicy.test  MX only
//	badcert.test   TXT, but the policy host's certificate does not name it
//	mismatch.test  policy enforce that lists other servers
//	badtxt.test    two MTA-STS TXT records
//	nullmx.test    null MX
//	implicit.test  no MX records at all
//	tlsa.test      unsigned, with TLSA for its MX
//	dane.test      DNSSEC-signed, with TLSA for its MX
func newWorld(t *testing.T) *world {
	t.Helper()
	var zones []*dnstest.Zone
	zone := func(origin string, rrs ...string) *dnstest.Zone {
		z := dnstest.NewZone(t, origin)
		for _, rr := range rrs {
			z.Add(rr)
		}
		zones = append(zones, z)
		return z
	}
	zone("enforce.test", "@ MX 10 mx", "_mta-sts TXT \"v=STSv1; id=20260101\"")
	zone("testing.test", "@ MX 10 mx", "_mta-sts TXT \"v=STSv1; id=1\"")
	zone("none.test", "@ MX 10 mx", "_mta-sts TXT \"v=STSv1; id=1\"")
	zone("nopolicy.test", "@ MX 10 mx")
	zone("badcert.test", "@ MX 10 mx", "_mta-sts TXT \"v=STSv1; id=1\"")
	zone("mismatch.test", "@ MX 10 mx", "_mta-sts TXT \"v=STSv1; id=1\"")
	zone("badtxt.test", "@ MX 10 mx", "_mta-sts TXT \"v=STSv1; id=1\"", "_mta-sts TXT \"v=STSv1; id=2\"")
	zone("nullmx.test", "@ MX 0 .")
	zone("implicit.test", "@ A 192.0.2.1")
	zone("tlsa.test", "@ MX 10 mx", "_25._tcp.mx TLSA "+tlsa)
	zone("dane.test", "@ MX 10 mx", "_25._tcp.mx TLSA "+tlsa).Sign()
	w := &world{dns: dnstest.Start(t, zones...)}
	w.policy = dnstest.StartPolicyHost(t, "enforce.test", "testing.test", "none.test", "mismatch.test")
	w.policy.Serve("enforce.test", "version: STSv1\r\nmode: enforce\r\nmx: mx.enforce.test\r\nmax_age: 86400\r\n")
	w.policy.Serve("testing.test", "version: STSv1\nmode: testing\nmx: *.testing.test\nmax_age: 86400\n")
	w.policy.Serve("none.test", "version: STSv1\nmode: none\nmax_age: 86400\n")
	w.policy.Serve("mismatch.test", "version: STSv1\nmode: enforce\nmx: mail.elsewhere.example\nmax_age: 86400\n")
	w.policy.Serve("badcert.test", "version: STSv1\nmode: enforce\nmx: mx.badcert.test\nmax_age: 86400\n")
	return w
}

func (w *world) checker(cache delivery.Cache, now func() time.Time) *delivery.Checker {
	return delivery.New(delivery.Options{Resolver: w.dns.Addr, RootCAs: w.policy.Roots, Dialer: w.policy, Cache: cache, Now: now})
}

func check(t *testing.T, c *delivery.Checker, domain string) backend.DeliveryFinding {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return c.Check(ctx, domain)
}

func TestCheck(t *testing.T) {
	w := newWorld(t)
	c := w.checker(nil, nil)
	for _, tc := range []struct {
		domain, status, dane, text string
		mx                         []string
	}{
		{"enforce.test", backend.DeliveryEnforced, backend.DANENone, "delivered over enforced TLS (MTA-STS)", []string{"mx.enforce.test"}},
		{"Enforce.Test.", backend.DeliveryEnforced, backend.DANENone, "delivered over enforced TLS (MTA-STS)", []string{"mx.enforce.test"}},
		{"testing.test", backend.DeliveryTesting, backend.DANENone, "TLS not enforced by testing.test (MTA-STS in testing mode)", nil},
		{"none.test", backend.DeliveryNotEnforced, backend.DANENone, "TLS not enforced by none.test (its MTA-STS policy is in mode none)", nil},
		{"nopolicy.test", backend.DeliveryNotEnforced, backend.DANENone, "TLS not enforced by nopolicy.test", nil},
		{"badcert.test", backend.DeliveryNotEnforced, backend.DANENone, "TLS not enforced by badcert.test (its MTA-STS policy could not be fetched: its certificate is not valid)", nil},
		{"mismatch.test", backend.DeliveryEnforced, backend.DANENone, "delivered over enforced TLS (MTA-STS) (none of its mail servers is listed in its MTA-STS policy, so delivery will fail)", nil},
		{"badtxt.test", backend.DeliveryNotEnforced, backend.DANENone, "TLS not enforced by badtxt.test (its MTA-STS record is not valid)", nil},
		{"nullmx.test", backend.DeliveryNotEnforced, backend.DANENone, "TLS not enforced by nullmx.test (nullmx.test accepts no mail (null MX))", nil},
		{"implicit.test", backend.DeliveryNotEnforced, backend.DANENone, "TLS not enforced by implicit.test", []string{"implicit.test"}},
		{"tlsa.test", backend.DeliveryNotEnforced, backend.DANEUnvalidated,
			"TLS not enforced by tlsa.test; DANE: TLSA records found but the resolver did not validate them (no DNSSEC)", nil},
		{"dane.test", backend.DeliveryNotEnforced, backend.DANEValidated, "TLS not enforced by dane.test; DANE: TLSA records validated with DNSSEC", nil},
		{"missing.enforce.test", backend.DeliveryNotChecked, backend.DANENotChecked, "not checked (the domain does not exist)", nil},
		{"localhost", backend.DeliveryNotChecked, backend.DANENotChecked, "not checked (not a mail domain)", nil},
		{"bad domain.test", backend.DeliveryNotChecked, backend.DANENotChecked, "not checked (not a mail domain)", nil},
	} {
		t.Run(tc.domain, func(t *testing.T) {
			f := check(t, c, tc.domain)
			if f.Status != tc.status || f.DANE != tc.dane || f.Text() != tc.text {
				t.Errorf("got status %q, DANE %q, text %q\nwant %q, %q, %q", f.Status, f.DANE, f.Text(), tc.status, tc.dane, tc.text)
			}
			if tc.mx != nil && strings.Join(f.MX, ",") != strings.Join(tc.mx, ",") {
				t.Errorf("MX = %v, want %v", f.MX, tc.mx)
			}
		})
	}
}

// TestCheckStalledResolver: a resolver that never answers ends in "not
// checked" by the context's deadline, never a hang and never a guess.
func TestCheckStalledResolver(t *testing.T) {
	c := delivery.New(delivery.Options{Resolver: dnstest.Stalled(t)})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	done := make(chan backend.DeliveryFinding, 1)
	go func() { done <- c.Check(ctx, "example.test") }()
	select {
	case f := <-done:
		if f.Status != backend.DeliveryNotChecked || f.Text() != "not checked (no answer in time)" {
			t.Errorf("got %q (%s), want not checked", f.Text(), f.Status)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Check did not return after its context's deadline")
	}
}

// TestCheckOffline: no resolver configured, or none listening.
func TestCheckOffline(t *testing.T) {
	noConf := delivery.New(delivery.Options{ResolvConf: filepath.Join(t.TempDir(), "missing")})
	if f := check(t, noConf, "example.test"); f.Text() != "not checked (no DNS resolver configured)" {
		t.Errorf("without resolv.conf: %q", f.Text())
	}
	conf := filepath.Join(t.TempDir(), "resolv.conf")
	if err := os.WriteFile(conf, []byte("# nothing\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if f := check(t, delivery.New(delivery.Options{ResolvConf: conf}), "example.test"); f.Status != backend.DeliveryNotChecked {
		t.Errorf("empty resolv.conf: %q", f.Text())
	}
	// A port nothing listens on: the query is refused at once.
	closed := delivery.New(delivery.Options{Resolver: "127.0.0.1:1"})
	if f := check(t, closed, "example.test"); f.Status != backend.DeliveryNotChecked || !strings.HasPrefix(f.Text(), "not checked (") {
		t.Errorf("no resolver listening: %q", f.Text())
	}
}

// memCache is a Cache in memory that counts its writes.
type memCache struct {
	mu     sync.Mutex
	m      map[string]delivery.Policy
	saves  int
	broken bool
}

func (c *memCache) Policy(domain string) (delivery.Policy, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.broken {
		return delivery.Policy{}, false, errors.New("broken cache")
	}
	p, ok := c.m[domain]
	return p, ok, nil
}

func (c *memCache) SavePolicy(domain string, p delivery.Policy) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[domain] = p
	c.saves++
	return nil
}

// TestCheckCachesPolicy: a policy is fetched once and reused within
// max_age while the TXT id is unchanged; it is fetched again after max_age.
// A cached policy also stands in when the policy host fails meanwhile.
func TestCheckCachesPolicy(t *testing.T) {
	w := newWorld(t)
	cache := &memCache{m: map[string]delivery.Policy{}}
	now := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	c := w.checker(cache, clock)

	f := check(t, c, "enforce.test")
	if f.Status != backend.DeliveryEnforced || f.PolicyCached || f.PolicyID != "20260101" {
		t.Fatalf("first check: %+v", f)
	}
	if got := w.policy.Requests("enforce.test"); got != 1 {
		t.Fatalf("policy fetched %d times, want 1", got)
	}
	now = now.Add(23 * time.Hour)
	w.policy.Serve("enforce.test", "garbage") // the cache, not the host, answers now
	f = check(t, c, "enforce.test")
	if f.Status != backend.DeliveryEnforced || !f.PolicyCached || w.policy.Requests("enforce.test") != 1 {
		t.Fatalf("within max_age: %+v, %d fetches", f, w.policy.Requests("enforce.test"))
	}
	now = now.Add(2 * time.Hour) // past max_age (24 h)
	f = check(t, c, "enforce.test")
	if w.policy.Requests("enforce.test") != 2 || f.Status != backend.DeliveryNotEnforced {
		t.Fatalf("after max_age: %+v (%d fetches), want a new fetch of the broken policy", f, w.policy.Requests("enforce.test"))
	}
	if cache.saves != 1 {
		t.Errorf("cache written %d times, want 1 (an invalid policy is not cached)", cache.saves)
	}
	// A cache that fails to read counts as empty.
	cache.broken = true
	w.policy.Serve("enforce.test", "version: STSv1\nmode: testing\nmx: mx.enforce.test\nmax_age: 60\n")
	if f := check(t, c, "enforce.test"); f.Status != backend.DeliveryTesting || f.PolicyCached {
		t.Errorf("broken cache: %+v", f)
	}
}

// TestCheckCacheNewID: a TXT id other than the cached policy's makes the
// policy be fetched again at once.
func TestCheckCacheNewID(t *testing.T) {
	w := newWorld(t)
	cache := &memCache{m: map[string]delivery.Policy{"enforce.test": {
		ID: "old", Mode: delivery.ModeTesting, MX: []string{"mx.enforce.test"}, MaxAge: time.Hour, Fetched: time.Now(),
	}}}
	c := w.checker(cache, nil)
	f := check(t, c, "enforce.test")
	if f.Status != backend.DeliveryEnforced || f.PolicyCached || w.policy.Requests("enforce.test") != 1 {
		t.Fatalf("got %+v", f)
	}
	if p := cache.m["enforce.test"]; p.ID != "20260101" || p.Mode != delivery.ModeEnforce {
		t.Errorf("cache holds %+v", p)
	}
}

// TestCheckIDN: an internationalised domain is looked up by its A-label.
func TestCheckIDN(t *testing.T) {
	z := dnstest.NewZone(t, "xn--bcher-kva.test")
	z.Add("@ MX 10 mx")
	srv := dnstest.Start(t, z)
	f := check(t, delivery.New(delivery.Options{Resolver: srv.Addr}), "BÜCHER.test")
	if f.Domain != "xn--bcher-kva.test" || f.Status != backend.DeliveryNotEnforced {
		t.Errorf("got %+v", f)
	}
}
