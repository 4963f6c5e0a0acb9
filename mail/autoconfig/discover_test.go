package autoconfig

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The two autoconfig locations as the test site sees them (host + path).
const (
	autoconfigPath = "autoconfig.example.test/mail/config-v1.1.xml"
	wellKnownPath  = "example.test/.well-known/autoconfig/mail/config-v1.1.xml"
)

// site is the test HTTPS site: a handler per host + path, and a log of the
// requests it got.
type site struct {
	routes map[string]http.HandlerFunc

	mu       sync.Mutex
	requests []string
}

func (s *site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	host := r.Host
	if h, _, err := net.SplitHostPort(r.Host); err == nil {
		host = h
	}
	key := host + r.URL.Path
	logged := key
	if r.URL.RawQuery != "" {
		logged += "?" + r.URL.RawQuery
	}
	if r.TLS == nil {
		logged = "NOT TLS " + logged
	}
	s.mu.Lock()
	s.requests = append(s.requests, logged)
	s.mu.Unlock()
	if f := s.routes[key]; f != nil {
		f(w, r)
		return
	}
	http.NotFound(w, r)
}

func (s *site) log() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.requests...)
}

func serveXML(doc string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/xml")
		w.Write([]byte(doc))
	}
}

// completeConfig is an autoconfig file with implicit TLS for both.
var completeConfig = configXML(
	imapEntry("imap.example.test", "993", "SSL", "%EMAILADDRESS%", "password-cleartext"),
	smtpEntry("smtp.example.test", "465", "SSL", "%EMAILADDRESS%", "password-cleartext"),
)

// discoverer is a Discoverer wired to the test network.
func (n *network) discoverer(res Resolver) *Discoverer {
	return &Discoverer{
		Resolver:    res,
		HTTPClient:  n.httpClient(),
		Probe:       n.prober(),
		Timeout:     30 * time.Second,
		StepTimeout: 10 * time.Second,
		ISPDB:       testISPDB,
	}
}

// sameSettings reports whether got equals want, SourceDetail aside unless
// want sets it; got.SourceDetail must be set whenever got.Source is.
func sameSettings(t *testing.T, got, want Settings) bool {
	t.Helper()
	if got.Source != "" && got.SourceDetail == "" {
		t.Errorf("SourceDetail is empty for Source %q", got.Source)
	}
	if want.SourceDetail == "" {
		got.SourceDetail = ""
	}
	return reflect.DeepEqual(got, want)
}

// tlsServer is the implicit-TLS server the guesses expect.
func tlsServer(host string, port int) Server {
	return Server{Host: host, Port: port, Security: SecurityTLS}
}

func startTLSServer(host string, port int) Server {
	return Server{Host: host, Port: port, Security: SecurityStartTLS}
}

func checkNotes(t *testing.T, notes, want []string) {
	t.Helper()
	if len(notes) != len(want) {
		t.Fatalf("notes = %q, want %d notes containing %q", notes, len(want), want)
	}
	for i, w := range want {
		if !strings.Contains(notes[i], w) {
			t.Errorf("note %d = %q, want it to contain %q", i, notes[i], w)
		}
	}
}

func TestDiscoverSRV(t *testing.T) {
	tests := []struct {
		name    string
		email   string
		records map[string][]*net.SRV
		want    Settings
	}{
		{
			name:  "implicit TLS within the domain",
			email: testEmail,
			records: map[string][]*net.SRV{
				"_imaps._tcp.example.test":       {srvRecord("imap.example.test.", 993, 0, 1)},
				"_submissions._tcp.example.test": {srvRecord("smtp.example.test.", 465, 0, 1)},
			},
			want: Settings{
				IMAP: tlsServer("imap.example.test", 993), SMTP: tlsServer("smtp.example.test", 465),
				Username: testEmail, Source: SourceSRV, Confirmed: true,
			},
		},
		{
			name:  "implicit TLS preferred over STARTTLS",
			email: testEmail,
			records: map[string][]*net.SRV{
				"_imap._tcp.example.test":        {srvRecord("imap.example.test.", 143, 0, 1)},
				"_imaps._tcp.example.test":       {srvRecord("imaps.example.test.", 993, 10, 1)},
				"_submission._tcp.example.test":  {srvRecord("smtp.example.test.", 587, 0, 1)},
				"_submissions._tcp.example.test": {srvRecord("smtps.example.test.", 465, 10, 1)},
			},
			want: Settings{
				IMAP: tlsServer("imaps.example.test", 993), SMTP: tlsServer("smtps.example.test", 465),
				Username: testEmail, Source: SourceSRV, Confirmed: true,
			},
		},
		{
			name:  "STARTTLS services when the TLS ones are missing or not offered",
			email: testEmail,
			records: map[string][]*net.SRV{
				"_imaps._tcp.example.test":      {srvRecord(".", 0, 0, 0)},
				"_imap._tcp.example.test":       {srvRecord("imap.example.test.", 143, 0, 1)},
				"_submission._tcp.example.test": {srvRecord("smtp.example.test.", 587, 0, 1)},
			},
			want: Settings{
				IMAP: startTLSServer("imap.example.test", 143), SMTP: startTLSServer("smtp.example.test", 587),
				Username: testEmail, Source: SourceSRV, Confirmed: true,
			},
		},
		{
			name:  "subdomain address served by the parent domain",
			email: "alice@lists.example.test",
			records: map[string][]*net.SRV{
				"_imaps._tcp.lists.example.test":       {srvRecord("imap.example.test.", 993, 0, 1)},
				"_submissions._tcp.lists.example.test": {srvRecord("smtp.example.test.", 465, 0, 1)},
			},
			want: Settings{
				IMAP: tlsServer("imap.example.test", 993), SMTP: tlsServer("smtp.example.test", 465),
				Username: "alice@lists.example.test", Source: SourceSRV, Confirmed: true,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := newNetwork(t)
			res := &fakeResolver{records: tt.records}
			got, err := n.discoverer(res).Discover(t.Context(), tt.email)
			if err != nil {
				t.Fatalf("Discover() error = %v, want nil", err)
			}
			if !sameSettings(t, got, tt.want) {
				t.Errorf("Discover() = %+v, want %+v", got, tt.want)
			}
			_, domain, _ := strings.Cut(tt.email, "@")
			var want []string
			for _, svc := range []string{"imap", "imaps", "submission", "submissions"} {
				want = append(want, "_"+svc+"._tcp."+domain)
			}
			if q := res.asked(); !slices.Equal(slices.Sorted(slices.Values(q)), want) {
				t.Errorf("SRV queries = %q, want %q", q, want)
			}
			if d := n.dials(); len(d) != 0 {
				t.Errorf("dials = %q, want none: a confirmed SRV result ends the search", d)
			}
		})
	}
}

// providerSRV points the domain's SRV records at a provider outside it.
var providerSRV = map[string][]*net.SRV{
	"_imaps._tcp.example.test":       {srvRecord("imap.provider.example.", 993, 0, 1)},
	"_submissions._tcp.example.test": {srvRecord("smtp.provider.example.", 465, 0, 1)},
}

func TestDiscoverSRVOutsideDomain(t *testing.T) {
	t.Run("unconfirmed when nothing else is found", func(t *testing.T) {
		n := newNetwork(t)
		got, err := n.discoverer(&fakeResolver{records: providerSRV}).Discover(t.Context(), testEmail)
		if err != nil {
			t.Fatalf("Discover() error = %v, want nil", err)
		}
		want := Settings{
			IMAP: tlsServer("imap.provider.example", 993), SMTP: tlsServer("smtp.provider.example", 465),
			Username: testEmail, Source: SourceSRV, Confirmed: false,
		}
		notes := got.Notes
		got.Notes = nil
		if !sameSettings(t, got, want) {
			t.Errorf("Discover() = %+v, want %+v", got, want)
		}
		checkNotes(t, notes, []string{"imap.provider.example, which is outside example.test", "smtp.provider.example, which is outside example.test"})
		// The other sources were asked for a confirmed answer.
		d := n.dials()
		for _, want := range []string{"autoconfig.example.test:443", "example.test:443", "imap.example.test:993", "smtp.example.test:587"} {
			if !slices.Contains(d, want) {
				t.Errorf("dials = %q, want them to include %q", d, want)
			}
		}
	})
	t.Run("a confirmed autoconfig file wins", func(t *testing.T) {
		n := newNetwork(t)
		n.httpsServer(&site{routes: map[string]http.HandlerFunc{autoconfigPath: serveXML(completeConfig)}})
		got, err := n.discoverer(&fakeResolver{records: providerSRV}).Discover(t.Context(), testEmail)
		if err != nil {
			t.Fatalf("Discover() error = %v, want nil", err)
		}
		if got.Source != SourceAutoconfig || !got.Confirmed || got.IMAP.Host != "imap.example.test" {
			t.Errorf("Discover() = %+v, want the confirmed autoconfig result for imap.example.test", got)
		}
		if len(got.Notes) != 0 {
			t.Errorf("notes = %q, want none: the SRV result was not used", got.Notes)
		}
	})
}

func TestDiscoverAutoconfig(t *testing.T) {
	imapOnly := configXML(
		imapEntry("imap.example.test", "993", "SSL", "%EMAILLOCALPART%"),
		smtpEntry("smtp.example.test", "25", "plain", "%EMAILLOCALPART%"),
	)
	smtpOnly := configXML(smtpEntry("mail.example.test", "587", "STARTTLS", "%EMAILLOCALPART%"))
	tests := []struct {
		name         string
		routes       map[string]http.HandlerFunc
		want         Settings
		wantNotes    []string
		wantRequests []string
	}{
		{
			name:   "autoconfig host",
			routes: map[string]http.HandlerFunc{autoconfigPath: serveXML(completeConfig)},
			want: Settings{
				IMAP:     Server{Host: "imap.example.test", Port: 993, Security: SecurityTLS, Auth: []Auth{AuthPasswordCleartext}},
				SMTP:     Server{Host: "smtp.example.test", Port: 465, Security: SecurityTLS, Auth: []Auth{AuthPasswordCleartext}},
				Username: testEmail, Source: SourceAutoconfig, Confirmed: true,
			},
			wantRequests: []string{autoconfigPath + "?emailaddress=alice%40example.test"},
		},
		{
			name:   "well-known path on the domain",
			routes: map[string]http.HandlerFunc{wellKnownPath: serveXML(completeConfig)},
			want: Settings{
				IMAP:     Server{Host: "imap.example.test", Port: 993, Security: SecurityTLS, Auth: []Auth{AuthPasswordCleartext}},
				SMTP:     Server{Host: "smtp.example.test", Port: 465, Security: SecurityTLS, Auth: []Auth{AuthPasswordCleartext}},
				Username: testEmail, Source: SourceAutoconfig, Confirmed: true,
			},
			wantRequests: []string{autoconfigPath + "?emailaddress=alice%40example.test", wellKnownPath},
		},
		{
			name: "two partial files combine",
			routes: map[string]http.HandlerFunc{
				autoconfigPath: serveXML(imapOnly),
				wellKnownPath:  serveXML(smtpOnly),
			},
			want: Settings{
				IMAP:     tlsServer("imap.example.test", 993),
				SMTP:     startTLSServer("mail.example.test", 587),
				Username: "alice", Source: SourceAutoconfig, Confirmed: true,
			},
			wantNotes:    []string{"no encryption"},
			wantRequests: []string{autoconfigPath + "?emailaddress=alice%40example.test", wellKnownPath},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := newNetwork(t)
			s := &site{routes: tt.routes}
			n.httpsServer(s)
			got, err := n.discoverer(&fakeResolver{}).Discover(t.Context(), testEmail)
			if err != nil {
				t.Fatalf("Discover() error = %v, want nil", err)
			}
			notes := got.Notes
			got.Notes = nil
			if !sameSettings(t, got, tt.want) {
				t.Errorf("Discover() = %+v, want %+v", got, tt.want)
			}
			checkNotes(t, notes, tt.wantNotes)
			if r := s.log(); !slices.Equal(r, tt.wantRequests) {
				t.Errorf("requests = %q, want %q", r, tt.wantRequests)
			}
			for _, d := range n.dials() {
				if !strings.HasSuffix(d, ":443") {
					t.Errorf("dialled %q, want only HTTPS (port 443) and no probes", d)
				}
			}
		})
	}
}

// redirect answers with a redirect to the URL to.
func redirect(to string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, to, http.StatusFound) }
}

func TestDiscoverRedirects(t *testing.T) {
	tests := []struct {
		name         string
		routes       map[string]http.HandlerFunc
		wantErr      error
		wantRequests []string
	}{
		{
			name: "to http is refused",
			routes: map[string]http.HandlerFunc{
				autoconfigPath: redirect("http://example.test/config.xml"),
				wellKnownPath:  redirect("http://example.test/config.xml"),
			},
			wantErr:      ErrNotFound,
			wantRequests: []string{autoconfigPath + "?emailaddress=alice%40example.test", wellKnownPath},
		},
		{
			name: "to https is followed",
			routes: map[string]http.HandlerFunc{
				autoconfigPath:                     redirect("https://example.test/provider/config.xml"),
				"example.test/provider/config.xml": serveXML(completeConfig),
			},
			wantRequests: []string{autoconfigPath + "?emailaddress=alice%40example.test", "example.test/provider/config.xml"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := newNetwork(t)
			s := &site{routes: tt.routes}
			n.httpsServer(s)
			var plainRequests atomic.Int32
			plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				plainRequests.Add(1)
				serveXML(completeConfig)(w, r)
			}))
			t.Cleanup(plain.Close)
			n.route("example.test:80", plain.Listener.Addr().String())

			d := n.discoverer(&fakeResolver{})
			d.Probe = nil
			got, err := d.Discover(t.Context(), testEmail)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Discover() = %+v, %v; want error %v", got, err, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), ErrInsecureRedirect.Error()) {
				t.Errorf("error = %q, want it to mention %q", err, ErrInsecureRedirect)
			}
			if err == nil && got.Source != SourceAutoconfig {
				t.Errorf("Source = %q, want %q", got.Source, SourceAutoconfig)
			}
			if r := s.log(); !slices.Equal(r, tt.wantRequests) {
				t.Errorf("HTTPS requests = %q, want %q", r, tt.wantRequests)
			}
			if c := plainRequests.Load(); c != 0 {
				t.Errorf("plain HTTP requests = %d, want 0", c)
			}
			if slices.Contains(n.dials(), "example.test:80") {
				t.Errorf("dials = %q, want no connection to port 80", n.dials())
			}
		})
	}
}

func TestDiscoverRefusedDownloads(t *testing.T) {
	tests := []struct {
		name      string
		handler   http.HandlerFunc
		untrusted bool // the HTTPS certificate is not from the trusted CA
		wantTried string
	}{
		{
			name: "oversized response",
			handler: func(w http.ResponseWriter, _ *http.Request) {
				w.Write([]byte(completeConfig))
				w.Write([]byte("<!--" + strings.Repeat("x", MaxConfigSize) + "-->"))
			},
			wantTried: ErrConfigTooLarge.Error(),
		},
		{
			name:      "malformed XML",
			handler:   serveXML(completeConfig[:200]),
			wantTried: ErrMalformedConfig.Error(),
		},
		{
			name:      "server error",
			handler:   func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "oops", http.StatusInternalServerError) },
			wantTried: "HTTP status 500",
		},
		{
			name:      "untrusted certificate",
			handler:   serveXML(completeConfig),
			untrusted: true,
			wantTried: "certificate",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := newNetwork(t)
			s := &site{routes: map[string]http.HandlerFunc{autoconfigPath: tt.handler, wellKnownPath: tt.handler}}
			if tt.untrusted {
				other := newTestCA(t, "Untrusted CA")
				n.httpsServerWithCert(s, other.issue(t, "autoconfig."+testDomain, testDomain))
			} else {
				n.httpsServer(s)
			}
			d := n.discoverer(&fakeResolver{})
			d.Probe = nil
			got, err := d.Discover(t.Context(), testEmail)
			var nf *NotFoundError
			if !errors.As(err, &nf) {
				t.Fatalf("Discover() = %+v, %v; want a *NotFoundError", got, err)
			}
			var hits int
			for _, line := range nf.Tried {
				if strings.HasPrefix(line, "autoconfig ") && strings.Contains(line, tt.wantTried) {
					hits++
				}
			}
			if hits != 2 {
				t.Errorf("tried = %q, want both autoconfig locations to report %q", nf.Tried, tt.wantTried)
			}
		})
	}
}

func TestDiscoverGuesses(t *testing.T) {
	type listener struct {
		name     string // host:port
		protocol string
		starttls bool
		offer    bool   // STARTTLS offered
		certFor  string // host name in the certificate; default: the listener's host
		badCA    bool   // certificate from an untrusted CA
	}
	tests := []struct {
		name      string
		listeners []listener
		// gate holds back the probe of a key ("imap.example.test:993") until
		// the probe of its value has returned, to fix the order of answers.
		gate     map[string]string
		wantIMAP Server
		wantSMTP Server
	}{
		{
			name: "implicit TLS",
			listeners: []listener{
				{name: "imap.example.test:993", protocol: ProtocolIMAP},
				{name: "smtp.example.test:465", protocol: ProtocolSMTP},
			},
			wantIMAP: tlsServer("imap.example.test", 993),
			wantSMTP: tlsServer("smtp.example.test", 465),
		},
		{
			name: "preferred server first even when it answers last",
			listeners: []listener{
				{name: "imap.example.test:993", protocol: ProtocolIMAP},
				{name: "mail.example.test:993", protocol: ProtocolIMAP},
				{name: "smtp.example.test:465", protocol: ProtocolSMTP},
				{name: "smtp.example.test:587", protocol: ProtocolSMTP, starttls: true, offer: true},
			},
			gate: map[string]string{
				"imap.example.test:993": "mail.example.test:993",
				"smtp.example.test:465": "smtp.example.test:587",
			},
			wantIMAP: tlsServer("imap.example.test", 993),
			wantSMTP: tlsServer("smtp.example.test", 465),
		},
		{
			name: "untrusted certificates are not offered",
			listeners: []listener{
				{name: "imap.example.test:993", protocol: ProtocolIMAP, badCA: true},
				{name: "mail.example.test:993", protocol: ProtocolIMAP},
				{name: "smtp.example.test:465", protocol: ProtocolSMTP, badCA: true},
				{name: "mail.example.test:465", protocol: ProtocolSMTP, badCA: true},
				{name: "smtp.example.test:587", protocol: ProtocolSMTP, starttls: true, offer: true},
			},
			wantIMAP: tlsServer("mail.example.test", 993),
			wantSMTP: startTLSServer("smtp.example.test", 587),
		},
		{
			name: "certificates for another name are not offered",
			listeners: []listener{
				{name: "imap.example.test:993", protocol: ProtocolIMAP, certFor: "other.example.test"},
				{name: "imap.example.test:143", protocol: ProtocolIMAP, starttls: true, offer: true},
				{name: "smtp.example.test:465", protocol: ProtocolSMTP, certFor: "other.example.test"},
				{name: "mail.example.test:587", protocol: ProtocolSMTP, starttls: true, offer: true},
			},
			wantIMAP: startTLSServer("imap.example.test", 143),
			wantSMTP: startTLSServer("mail.example.test", 587),
		},
		{
			name: "servers without STARTTLS are not offered",
			listeners: []listener{
				{name: "imap.example.test:143", protocol: ProtocolIMAP, starttls: true, offer: false},
				{name: "mail.example.test:143", protocol: ProtocolIMAP, starttls: true, offer: true},
				{name: "smtp.example.test:587", protocol: ProtocolSMTP, starttls: true, offer: false},
				{name: "mail.example.test:587", protocol: ProtocolSMTP, starttls: true, offer: true},
			},
			wantIMAP: startTLSServer("mail.example.test", 143),
			wantSMTP: startTLSServer("mail.example.test", 587),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := newNetwork(t)
			untrusted := newTestCA(t, "Untrusted CA")
			for _, l := range tt.listeners {
				host, _, _ := net.SplitHostPort(l.name)
				if l.certFor != "" {
					host = l.certFor
				}
				ca := n.ca
				if l.badCA {
					ca = untrusted
				}
				cert := ca.issue(t, host)
				if l.starttls {
					n.serveSTARTTLS(l.name, l.protocol, cert, l.offer)
				} else {
					n.serveTLS(l.name, cert)
				}
			}
			returned := map[string]chan struct{}{}
			for _, after := range tt.gate {
				returned[after] = make(chan struct{})
			}
			var inFlight atomic.Int32
			d := n.discoverer(&fakeResolver{})
			probe := d.Probe
			d.Probe = func(ctx context.Context, protocol string, s Server) error {
				inFlight.Add(1)
				defer inFlight.Add(-1)
				if after, ok := tt.gate[s.Address()]; ok {
					select {
					case <-returned[after]:
					case <-ctx.Done():
						return ctx.Err()
					}
				}
				if ch, ok := returned[s.Address()]; ok {
					defer close(ch)
				}
				return probe(ctx, protocol, s)
			}
			got, err := d.Discover(t.Context(), testEmail)
			if err != nil {
				t.Fatalf("Discover() error = %v, want nil", err)
			}
			want := Settings{IMAP: tt.wantIMAP, SMTP: tt.wantSMTP, Username: testEmail, Source: SourceGuess, Confirmed: true}
			if !sameSettings(t, got, want) {
				t.Errorf("Discover() = %+v, want %+v", got, want)
			}
			if c := inFlight.Load(); c != 0 {
				t.Errorf("probes still running after Discover returned: %d, want 0", c)
			}
		})
	}
}

func TestDiscoverMerge(t *testing.T) {
	tests := []struct {
		name    string
		records map[string][]*net.SRV
		want    Settings
	}{
		{
			name:    "SRV IMAP and guessed SMTP",
			records: map[string][]*net.SRV{"_imaps._tcp.example.test": {srvRecord("imap.example.test.", 993, 0, 1)}},
			want: Settings{
				IMAP: tlsServer("imap.example.test", 993), SMTP: tlsServer("smtp.example.test", 465),
				Username: testEmail, Source: "srv+guess", Confirmed: true,
				SourceDetail: "IMAP from the DNS SRV record _imaps._tcp.example.test; SMTP from a guess, confirmed by a verified TLS connection to smtp.example.test:465 (tls)",
			},
		},
		{
			name:    "a confirmed guess replaces an unconfirmed SRV target",
			records: map[string][]*net.SRV{"_imaps._tcp.example.test": {srvRecord("imap.evil.example.", 993, 0, 1)}},
			want: Settings{
				IMAP: tlsServer("imap.example.test", 993), SMTP: tlsServer("smtp.example.test", 465),
				Username: testEmail, Source: SourceGuess, Confirmed: true,
			},
		},
		{
			name:    "an unconfirmed SRV target with a guess",
			records: map[string][]*net.SRV{"_submissions._tcp.example.test": {srvRecord("smtp.provider.example.", 465, 0, 1)}},
			want: Settings{
				IMAP: tlsServer("imap.example.test", 993), SMTP: tlsServer("smtp.provider.example", 465),
				Username: testEmail, Source: "guess+srv", Confirmed: false,
				Notes: []string{"The DNS SRV record for example.test points to smtp.provider.example, which is outside example.test. DNS answers can be forged: make sure this really is your provider's SMTP server before entering your password."},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := newNetwork(t)
			n.serveTLS("imap.example.test:993", n.ca.issue(t, "imap.example.test"))
			if tt.want.SMTP.Host == "smtp.example.test" {
				n.serveTLS("smtp.example.test:465", n.ca.issue(t, "smtp.example.test"))
			}
			got, err := n.discoverer(&fakeResolver{records: tt.records}).Discover(t.Context(), testEmail)
			if err != nil {
				t.Fatalf("Discover() error = %v, want nil", err)
			}
			if !sameSettings(t, got, tt.want) {
				t.Errorf("Discover() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestDiscoverNotFound(t *testing.T) {
	t.Run("nothing anywhere", func(t *testing.T) {
		n := newNetwork(t)
		d := n.discoverer(&fakeResolver{})
		d.Probe = nil
		_, err := d.Discover(t.Context(), testEmail)
		var nf *NotFoundError
		if !errors.As(err, &nf) || !errors.Is(err, ErrNotFound) {
			t.Fatalf("Discover() error = %v, want a *NotFoundError matching ErrNotFound", err)
		}
		if errors.Is(err, context.DeadlineExceeded) || nf.TimedOut {
			t.Errorf("error = %v, want no time-out", err)
		}
		wantPrefixes := []string{
			"DNS SRV _imaps._tcp.example.test: no record",
			"DNS SRV _imap._tcp.example.test: no record",
			"DNS SRV _submissions._tcp.example.test: no record",
			"DNS SRV _submission._tcp.example.test: no record",
			"autoconfig https://autoconfig.example.test/mail/config-v1.1.xml: ",
			"autoconfig https://example.test/.well-known/autoconfig/mail/config-v1.1.xml: ",
			"ISPDB " + testISPDB + "example.test: ",
			"DNS MX example.test: no record",
			"guesses: skipped, no prober configured",
		}
		if len(nf.Tried) != len(wantPrefixes) {
			t.Fatalf("tried = %q, want %d entries", nf.Tried, len(wantPrefixes))
		}
		for i, p := range wantPrefixes {
			if !strings.HasPrefix(nf.Tried[i], p) {
				t.Errorf("tried[%d] = %q, want prefix %q", i, nf.Tried[i], p)
			}
		}
		if msg := err.Error(); strings.Contains(msg, "alice") || !strings.Contains(msg, "enter the server settings by hand") {
			t.Errorf("error = %q, want advice and no trace of the address's local part", msg)
		}
	})
	t.Run("partial result", func(t *testing.T) {
		n := newNetwork(t)
		res := &fakeResolver{records: map[string][]*net.SRV{"_imaps._tcp.example.test": {srvRecord("imap.example.test.", 993, 0, 1)}}}
		_, err := n.discoverer(res).Discover(t.Context(), testEmail)
		var nf *NotFoundError
		if !errors.As(err, &nf) {
			t.Fatalf("Discover() error = %v, want a *NotFoundError", err)
		}
		want := Settings{IMAP: tlsServer("imap.example.test", 993), Username: testEmail, Source: SourceSRV}
		if !sameSettings(t, nf.Partial, want) {
			t.Errorf("Partial = %+v, want %+v", nf.Partial, want)
		}
		var probes []string
		for _, line := range nf.Tried {
			if strings.HasPrefix(line, "guess ") {
				probes = append(probes, line)
			}
		}
		// IMAP is confirmed already: only SMTP is guessed.
		if len(probes) != 4 || !strings.HasPrefix(probes[0], "guess smtp smtp.example.test:465 (tls): ") {
			t.Errorf("guesses tried = %q, want the 4 SMTP candidates", probes)
		}
	})
	t.Run("invalid address", func(t *testing.T) {
		n := newNetwork(t)
		res := &fakeResolver{}
		_, err := n.discoverer(res).Discover(t.Context(), "alice@")
		if !errors.Is(err, ErrInvalidAddress) {
			t.Fatalf("Discover() error = %v, want ErrInvalidAddress", err)
		}
		if q := res.asked(); len(q) != 0 {
			t.Errorf("SRV queries = %q, want none", q)
		}
	})
}

// blockUntilDone signals entered once and waits for ctx.
func blockUntilDone(entered chan<- struct{}) func(ctx context.Context) error {
	var once sync.Once
	return func(ctx context.Context) error {
		once.Do(func() { close(entered) })
		<-ctx.Done()
		return ctx.Err()
	}
}

func TestDiscoverCancel(t *testing.T) {
	tests := []struct {
		name  string
		setup func(n *network, d *Discoverer, res *fakeResolver, entered chan struct{})
	}{
		{
			name: "during an SRV lookup",
			setup: func(_ *network, _ *Discoverer, res *fakeResolver, entered chan struct{}) {
				res.block = blockUntilDone(entered)
			},
		},
		{
			name: "during a download",
			setup: func(n *network, _ *Discoverer, _ *fakeResolver, entered chan struct{}) {
				wait := blockUntilDone(entered)
				n.httpsServer(&site{routes: map[string]http.HandlerFunc{
					autoconfigPath: func(_ http.ResponseWriter, r *http.Request) { wait(r.Context()) },
				}})
			},
		},
		{
			name: "during the probes",
			setup: func(_ *network, d *Discoverer, _ *fakeResolver, entered chan struct{}) {
				wait := blockUntilDone(entered)
				d.Probe = func(ctx context.Context, _ string, _ Server) error { return wait(ctx) }
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := newNetwork(t)
			res := &fakeResolver{}
			d := n.discoverer(res)
			entered := make(chan struct{})
			tt.setup(n, d, res, entered)
			var inFlight atomic.Int32
			if probe := d.Probe; probe != nil {
				d.Probe = func(ctx context.Context, protocol string, s Server) error {
					inFlight.Add(1)
					defer inFlight.Add(-1)
					return probe(ctx, protocol, s)
				}
			}
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			type outcome struct {
				s   Settings
				err error
			}
			done := make(chan outcome, 1)
			go func() {
				s, err := d.Discover(ctx, testEmail)
				done <- outcome{s, err}
			}()
			<-entered
			cancel()
			select {
			case o := <-done:
				if !errors.Is(o.err, context.Canceled) {
					t.Errorf("Discover() = %+v, %v; want context.Canceled", o.s, o.err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Discover did not return within 10s of the cancellation")
			}
			if c := inFlight.Load(); c != 0 {
				t.Errorf("probes still running after Discover returned: %d, want 0", c)
			}
		})
	}
}

func TestDiscoverTimeLimits(t *testing.T) {
	t.Run("overall limit, nothing found", func(t *testing.T) {
		n := newNetwork(t)
		entered := make(chan struct{})
		d := n.discoverer(&fakeResolver{block: blockUntilDone(entered)})
		d.Timeout = 100 * time.Millisecond
		_, err := d.Discover(t.Context(), testEmail)
		var nf *NotFoundError
		if !errors.As(err, &nf) || !nf.TimedOut || !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, ErrNotFound) {
			t.Fatalf("Discover() error = %v, want a timed-out *NotFoundError matching ErrNotFound and context.DeadlineExceeded", err)
		}
	})
	t.Run("overall limit keeps an unconfirmed result", func(t *testing.T) {
		n := newNetwork(t)
		entered := make(chan struct{})
		wait := blockUntilDone(entered)
		n.httpsServer(&site{routes: map[string]http.HandlerFunc{
			autoconfigPath: func(_ http.ResponseWriter, r *http.Request) { wait(r.Context()) },
		}})
		d := n.discoverer(&fakeResolver{records: providerSRV})
		d.Timeout = 200 * time.Millisecond
		got, err := d.Discover(t.Context(), testEmail)
		if err != nil {
			t.Fatalf("Discover() error = %v, want the SRV result", err)
		}
		if got.Source != SourceSRV || got.Confirmed || got.IMAP.Host != "imap.provider.example" {
			t.Errorf("Discover() = %+v, want the unconfirmed SRV result", got)
		}
	})
	t.Run("step limit moves on to the guesses", func(t *testing.T) {
		n := newNetwork(t)
		entered := make(chan struct{})
		wait := blockUntilDone(entered)
		hang := func(_ http.ResponseWriter, r *http.Request) { wait(r.Context()) }
		n.httpsServer(&site{routes: map[string]http.HandlerFunc{autoconfigPath: hang, wellKnownPath: hang}})
		n.serveTLS("imap.example.test:993", n.ca.issue(t, "imap.example.test"))
		n.serveTLS("smtp.example.test:465", n.ca.issue(t, "smtp.example.test"))
		d := n.discoverer(&fakeResolver{})
		d.StepTimeout = 100 * time.Millisecond
		got, err := d.Discover(t.Context(), testEmail)
		if err != nil {
			t.Fatalf("Discover() error = %v, want nil", err)
		}
		if got.Source != SourceGuess {
			t.Errorf("Source = %q, want %q", got.Source, SourceGuess)
		}
	})
}

func TestDiscoverProberPanic(t *testing.T) {
	n := newNetwork(t)
	n.serveTLS("mail.example.test:993", n.ca.issue(t, "mail.example.test"))
	n.serveTLS("smtp.example.test:465", n.ca.issue(t, "smtp.example.test"))
	d := n.discoverer(&fakeResolver{})
	probe := d.Probe
	d.Probe = func(ctx context.Context, protocol string, s Server) error {
		if s.Host == "imap.example.test" {
			panic("prober bug")
		}
		return probe(ctx, protocol, s)
	}
	got, err := d.Discover(t.Context(), testEmail)
	if err != nil {
		t.Fatalf("Discover() error = %v, want nil", err)
	}
	if want := tlsServer("mail.example.test", 993); !reflect.DeepEqual(got.IMAP, want) {
		t.Errorf("IMAP = %+v, want %+v", got.IMAP, want)
	}
}
