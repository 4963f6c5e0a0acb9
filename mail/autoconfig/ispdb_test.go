package autoconfig

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// The test ISPDB: its base URL, and the paths of its entries for the
// test domain and for the provider that the domain's MX records name.
const (
	testISPDB       = "https://ispdb.test/v1.1/"
	ispdbDomainPath = "ispdb.test/v1.1/example.test"
	ispdbMXPath     = "ispdb.test/v1.1/mailhost.test"
	providerACPath  = "autoconfig.mailhost.test/mail/config-v1.1.xml"
	testMXHost      = "mx1.mailhost.test"
)

// providerConfig is the provider's ISPDB entry: implicit TLS for both.
var providerConfig = configXML(
	imapEntry("imap.mailhost.test", "993", "SSL", "%EMAILADDRESS%", "password-cleartext"),
	smtpEntry("smtp.mailhost.test", "465", "SSL", "%EMAILADDRESS%", "password-cleartext"),
)

// plaintextConfig offers nothing but plaintext.
var plaintextConfig = configXML(
	imapEntry("imap.mailhost.test", "143", "plain", "%EMAILADDRESS%"),
	smtpEntry("smtp.mailhost.test", "25", "plain", "%EMAILADDRESS%"),
)

// dnsServer is a real DNS server (the DNS wire protocol over UDP) on
// 127.0.0.1 that answers MX queries from a table and NXDOMAIN for every
// other name; when stall is set it never answers at all.
type dnsServer struct {
	addr  string
	mx    map[string][]*dns.MX // "example.test." -> records
	stall bool

	mu    sync.Mutex
	asked []string // "MX example.test."
}

// startDNS starts a dnsServer that runs until the test ends.
func startDNS(t *testing.T, mx map[string][]*dns.MX, stall bool) *dnsServer {
	t.Helper()
	s := &dnsServer{mx: mx, stall: stall}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = pc.LocalAddr().String()
	release := make(chan struct{})
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
		s.serve(w, req, release)
	})}
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	served := make(chan error, 1)
	go func() { served <- srv.ActivateAndServe() }()
	select {
	case <-started:
	case err := <-served:
		t.Fatalf("DNS server: %v", err)
	}
	t.Cleanup(func() {
		srv.Shutdown()
		<-served
	})
	t.Cleanup(func() { close(release) }) // runs first: stalled handlers end
	return s
}

func (s *dnsServer) serve(w dns.ResponseWriter, req *dns.Msg, release <-chan struct{}) {
	if len(req.Question) != 1 {
		return
	}
	q := req.Question[0]
	s.mu.Lock()
	s.asked = append(s.asked, dns.TypeToString[q.Qtype]+" "+q.Name)
	s.mu.Unlock()
	if s.stall {
		<-release
		return
	}
	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative = true
	recs, ok := s.mx[strings.ToLower(q.Name)]
	switch {
	case !ok:
		m.Rcode = dns.RcodeNameError
	case q.Qtype == dns.TypeMX:
		for _, r := range recs {
			rr := *r
			rr.Hdr = dns.RR_Header{Name: q.Name, Rrtype: dns.TypeMX, Class: dns.ClassINET, Ttl: 60}
			m.Answer = append(m.Answer, &rr)
		}
	}
	w.WriteMsg(m)
}

// queries returns the questions the server got.
func (s *dnsServer) queries() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.asked...)
}

// resolver is Go's own DNS client pointed at the server.
func (s *dnsServer) resolver() *net.Resolver {
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "udp", s.addr)
		},
	}
}

// mxRecord is one MX record.
func mxRecord(pref uint16, host string) *dns.MX {
	return &dns.MX{Preference: pref, Mx: host}
}

// testMX is example.test's MX: a provider outside the domain, with a
// backup MX of another provider that must not be used.
var testMX = map[string][]*dns.MX{
	"example.test.": {mxRecord(20, "backup.otherhost.test."), mxRecord(10, testMXHost+".")},
}

// ispdbCase is one Discover against the test ISPDB, the domain's own
// autoconfig hosts (404 unless routed) and the real DNS server.
type ispdbCase struct {
	routes map[string]http.HandlerFunc
	mx     map[string][]*dns.MX
	stall  bool // the DNS server never answers
	setup  func(n *network, d *Discoverer)
}

type ispdbRun struct {
	got   Settings
	err   error
	site  *site
	dns   *dnsServer
	net   *network
	tried []string
}

func (c ispdbCase) run(t *testing.T) ispdbRun {
	t.Helper()
	n := newNetwork(t)
	s := &site{routes: c.routes}
	names := []string{"autoconfig." + testDomain, testDomain, "ispdb.test", "autoconfig.mailhost.test"}
	n.serveHTTPS(s, n.ca.issue(t, names...), names...)
	ds := startDNS(t, c.mx, c.stall)
	d := n.discoverer(ds.resolver())
	d.Probe = nil
	if c.setup != nil {
		c.setup(n, d)
	}
	type outcome struct {
		s   Settings
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		st, err := d.Discover(t.Context(), testEmail)
		done <- outcome{st, err}
	}()
	var o outcome
	select {
	case o = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("Discover did not return within 20s")
	}
	r := ispdbRun{got: o.s, err: o.err, site: s, dns: ds, net: n}
	var nf *NotFoundError
	if errors.As(o.err, &nf) {
		r.tried = nf.Tried
	}
	return r
}

// triedLine returns the first line of tried that starts with prefix.
func triedLine(tried []string, prefix string) string {
	for _, l := range tried {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

func TestDiscoverISPDB(t *testing.T) {
	ownFiles := []string{autoconfigPath + "?emailaddress=alice%40example.test", wellKnownPath}
	hits := []struct {
		name     string
		routes   map[string]http.HandlerFunc
		want     Settings
		wantReqs []string // the domain only, never the address
		wantMX   bool     // the MX lookup is asked
	}{
		{
			name:   "domain entry",
			routes: map[string]http.HandlerFunc{ispdbDomainPath: serveXML(completeConfig)},
			want: Settings{
				IMAP:     Server{Host: "imap.example.test", Port: 993, Security: SecurityTLS, Auth: []Auth{AuthPasswordCleartext}},
				SMTP:     Server{Host: "smtp.example.test", Port: 465, Security: SecurityTLS, Auth: []Auth{AuthPasswordCleartext}},
				Username: testEmail, Source: SourceISPDB, Confirmed: true,
				SourceDetail: "Thunderbird's ISPDB entry for example.test (" + testISPDB + "example.test)",
			},
			wantReqs: append(slices.Clone(ownFiles), ispdbDomainPath),
		},
		{
			name:   "not in the ISPDB, MX provider's entry",
			routes: map[string]http.HandlerFunc{ispdbMXPath: serveXML(providerConfig)},
			want: Settings{
				IMAP:     Server{Host: "imap.mailhost.test", Port: 993, Security: SecurityTLS, Auth: []Auth{AuthPasswordCleartext}},
				SMTP:     Server{Host: "smtp.mailhost.test", Port: 465, Security: SecurityTLS, Auth: []Auth{AuthPasswordCleartext}},
				Username: testEmail, Source: SourceMXISPDB, Confirmed: true,
				SourceDetail: "Thunderbird's ISPDB entry for mailhost.test, the provider of example.test's MX host mx1.mailhost.test",
			},
			wantReqs: append(slices.Clone(ownFiles), ispdbDomainPath, ispdbMXPath), // a 404, then the MX
			wantMX:   true,
		},
	}
	for _, tt := range hits {
		t.Run(tt.name, func(t *testing.T) {
			r := ispdbCase{routes: tt.routes, mx: testMX}.run(t)
			if r.err != nil {
				t.Fatalf("Discover() error = %v, want nil", r.err)
			}
			if !sameSettings(t, r.got, tt.want) {
				t.Errorf("Discover() = %+v, want %+v", r.got, tt.want)
			}
			if got := r.site.log(); !slices.Equal(got, tt.wantReqs) {
				t.Errorf("requests = %q, want %q", got, tt.wantReqs)
			}
			if q := r.dns.queries(); slices.Contains(q, "MX example.test.") != tt.wantMX {
				t.Errorf("DNS queries = %q, want the MX of example.test asked: %v", q, tt.wantMX)
			}
		})
	}
	t.Run("MX provider's own autoconfig is unconfirmed", func(t *testing.T) {
		r := ispdbCase{
			routes: map[string]http.HandlerFunc{providerACPath: serveXML(providerConfig)},
			mx:     testMX,
		}.run(t)
		if r.err != nil {
			t.Fatalf("Discover() error = %v, want nil", r.err)
		}
		if r.got.Source != SourceMXAutoconfig || r.got.Confirmed || r.got.IMAP.Host != "imap.mailhost.test" {
			t.Errorf("Discover() = %+v, want the unconfirmed result of the provider's autoconfig file", r.got)
		}
		checkNotes(t, r.got.Notes, []string{"DNS answers can be forged", "DNS answers can be forged"})
		if got := r.site.log(); !slices.Contains(got, providerACPath) {
			t.Errorf("requests = %q, want %q without the address", got, providerACPath)
		}
	})
}

func TestDiscoverISPDBRefusals(t *testing.T) {
	tests := []struct {
		name      string
		routes    map[string]http.HandlerFunc
		wantTried string // in the ISPDB lines
	}{
		{
			name: "malformed XML",
			routes: map[string]http.HandlerFunc{
				ispdbDomainPath: serveXML("<clientConfig><emailProvider>"),
				ispdbMXPath:     serveXML("not xml at all"),
			},
			wantTried: ErrMalformedConfig.Error(),
		},
		{
			name: "plaintext only",
			routes: map[string]http.HandlerFunc{
				ispdbDomainPath: serveXML(plaintextConfig),
				ispdbMXPath:     serveXML(plaintextConfig),
			},
			wantTried: ErrNoUsableServer.Error(),
		},
		{
			name: "redirect to http",
			routes: map[string]http.HandlerFunc{
				ispdbDomainPath: redirect("http://ispdb.test/v1.1/example.test"),
				ispdbMXPath:     redirect("http://ispdb.test/v1.1/mailhost.test"),
			},
			wantTried: ErrInsecureRedirect.Error(),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var plainRequests atomic.Int32
			// A plain HTTP server with a complete file: never asked.
			plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				plainRequests.Add(1)
				serveXML(providerConfig)(w, r)
			}))
			t.Cleanup(plain.Close)
			r := ispdbCase{routes: tt.routes, mx: testMX, setup: func(n *network, _ *Discoverer) {
				n.route("ispdb.test:80", plain.Listener.Addr().String())
			}}.run(t)
			if !errors.Is(r.err, ErrNotFound) {
				t.Fatalf("Discover() = %+v, %v; want ErrNotFound", r.got, r.err)
			}
			for _, prefix := range []string{"ISPDB " + testISPDB + "example.test: ", "ISPDB " + testISPDB + "mailhost.test: "} {
				if l := triedLine(r.tried, prefix); !strings.Contains(l, tt.wantTried) {
					t.Errorf("tried %q = %q, want it to contain %q", prefix, l, tt.wantTried)
				}
			}
			if !strings.Contains(r.err.Error(), tt.wantTried) {
				t.Errorf("error = %q, want it to say %q", r.err, tt.wantTried)
			}
			var nf *NotFoundError
			errors.As(r.err, &nf)
			if nf.Partial.IMAP.Host != "" || nf.Partial.SMTP.Host != "" {
				t.Errorf("Partial = %+v, want nothing", nf.Partial)
			}
			if c := plainRequests.Load(); c != 0 {
				t.Errorf("plain HTTP requests = %d, want 0", c)
			}
		})
	}
}

func TestDiscoverISPDBStalls(t *testing.T) {
	t.Run("ISPDB server that never answers", func(t *testing.T) {
		entered := make(chan struct{})
		wait := blockUntilDone(entered)
		r := ispdbCase{
			routes: map[string]http.HandlerFunc{
				ispdbDomainPath: func(_ http.ResponseWriter, r *http.Request) { wait(r.Context()) },
				ispdbMXPath:     serveXML(providerConfig),
			},
			mx:    testMX,
			setup: func(_ *network, d *Discoverer) { d.StepTimeout = 200 * time.Millisecond },
		}.run(t)
		// The step time limit ends the download; the MX source answers.
		if r.err != nil || r.got.Source != SourceMXISPDB {
			t.Fatalf("Discover() = %+v, %v; want the MX provider's ISPDB entry", r.got, r.err)
		}
		select {
		case <-entered:
		default:
			t.Error("the stalled ISPDB server was never asked")
		}
	})
	t.Run("DNS server that never answers", func(t *testing.T) {
		r := ispdbCase{
			stall: true,
			setup: func(_ *network, d *Discoverer) { d.StepTimeout = 200 * time.Millisecond },
		}.run(t)
		var nf *NotFoundError
		if !errors.As(r.err, &nf) || nf.TimedOut {
			t.Fatalf("Discover() = %+v, %v; want a *NotFoundError without the overall time-out", r.got, r.err)
		}
		if l := triedLine(r.tried, "DNS MX example.test: "); !strings.Contains(l, "no answer within 200ms") {
			t.Errorf("MX line = %q, want the step time limit", l)
		}
		if q := r.dns.queries(); !slices.Contains(q, "MX example.test.") {
			t.Errorf("DNS queries = %q, want the MX of example.test.", q)
		}
	})
	t.Run("overall deadline during the ISPDB download", func(t *testing.T) {
		entered := make(chan struct{})
		wait := blockUntilDone(entered)
		r := ispdbCase{
			routes: map[string]http.HandlerFunc{ispdbDomainPath: func(_ http.ResponseWriter, r *http.Request) { wait(r.Context()) }},
			mx:     testMX,
			setup:  func(_ *network, d *Discoverer) { d.Timeout = 300 * time.Millisecond },
		}.run(t)
		var nf *NotFoundError
		if !errors.As(r.err, &nf) || !nf.TimedOut || !errors.Is(r.err, context.DeadlineExceeded) {
			t.Fatalf("Discover() = %+v, %v; want a timed-out *NotFoundError", r.got, r.err)
		}
	})
}

func TestDiscoverISPDBOptions(t *testing.T) {
	t.Run("third-party lookups turned off", func(t *testing.T) {
		r := ispdbCase{
			routes: map[string]http.HandlerFunc{ispdbDomainPath: serveXML(completeConfig), ispdbMXPath: serveXML(providerConfig)},
			mx:     testMX,
			setup:  func(_ *network, d *Discoverer) { d.NoThirdParty = true },
		}.run(t)
		if !errors.Is(r.err, ErrNotFound) {
			t.Fatalf("Discover() = %+v, %v; want ErrNotFound", r.got, r.err)
		}
		for _, req := range r.site.log() {
			if strings.HasPrefix(req, "ispdb.test") || strings.HasPrefix(req, "autoconfig.mailhost.test") {
				t.Errorf("requested %q with third-party lookups turned off", req)
			}
		}
		for _, q := range r.dns.queries() {
			if strings.HasPrefix(q, "MX ") {
				t.Errorf("DNS asked %q with third-party lookups turned off", q)
			}
		}
		for _, prefix := range []string{"ISPDB: skipped", "DNS MX example.test: skipped"} {
			if triedLine(r.tried, prefix) == "" {
				t.Errorf("tried = %q, want a line %q", r.tried, prefix)
			}
		}
	})
	t.Run("ISPDB address without https", func(t *testing.T) {
		r := ispdbCase{
			routes: map[string]http.HandlerFunc{ispdbDomainPath: serveXML(completeConfig)},
			mx:     testMX,
			setup:  func(_ *network, d *Discoverer) { d.ISPDB = "http://ispdb.test/v1.1/" },
		}.run(t)
		if !errors.Is(r.err, ErrNotFound) {
			t.Fatalf("Discover() = %+v, %v; want ErrNotFound", r.got, r.err)
		}
		if l := triedLine(r.tried, "ISPDB: "); !strings.Contains(l, "not an https:// URL") {
			t.Errorf("ISPDB line = %q, want the refusal of the address", l)
		}
		for _, d := range r.net.dials() {
			if strings.HasPrefix(d, "ispdb.test") {
				t.Errorf("dialled %q, want no connection to a non-HTTPS ISPDB", d)
			}
		}
	})
}

func TestDiscoverMXUnused(t *testing.T) {
	tests := []struct {
		name   string
		mx     map[string][]*dns.MX
		wantMX string // in the log's MX line
	}{
		{name: "no MX record", wantMX: "DNS MX example.test: no record"},
		{
			name:   "null MX",
			mx:     map[string][]*dns.MX{"example.test.": {mxRecord(0, ".")}},
			wantMX: "the domain receives no mail (null MX)",
		},
		{
			name:   "MX within the domain is not asked again",
			mx:     map[string][]*dns.MX{"example.test.": {mxRecord(10, "example.test.")}},
			wantMX: "the domain's own, whose files were asked already",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ispdbCase{mx: tt.mx}.run(t)
			if !errors.Is(r.err, ErrNotFound) {
				t.Fatalf("Discover() = %+v, %v; want ErrNotFound", r.got, r.err)
			}
			if l := triedLine(r.tried, "DNS MX example.test: "); !strings.Contains(l, tt.wantMX) {
				t.Errorf("MX line = %q, want it to contain %q", l, tt.wantMX)
			}
			for _, req := range r.site.log() {
				if req != ispdbDomainPath && strings.HasPrefix(req, "ispdb.test") {
					t.Errorf("requested %q, want no provider lookup", req)
				}
			}
		})
	}
}
