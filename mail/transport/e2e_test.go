package transport

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// commands picks, in order, the client commands out of a server's debug
// output (which mixes both directions): the lines whose verb is one of verbs,
// with the verb at position pos (1 for IMAP after the tag, 0 for SMTP).
func commands(debug string, pos int, verbs ...string) []string {
	var out []string
	for _, line := range strings.Split(debug, "\n") {
		f := strings.Fields(line)
		if len(f) > pos && f[0] != "*" && slices.Contains(verbs, strings.ToUpper(f[pos])) {
			out = append(out, strings.ToUpper(f[pos]))
		}
	}
	return out
}

// startIMAPServer runs go-imap's in-memory server with user alice. With
// implicit, the listener speaks TLS; otherwise the server offers STARTTLS.
// Authentication is only allowed over TLS.
func startIMAPServer(t testing.TB, cfg *tls.Config, implicit bool) (*testDialer, *lockedBuffer) {
	t.Helper()
	mem := imapmemserver.New()
	user := imapmemserver.NewUser("alice", "correct horse")
	if err := user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	mem.AddUser(user)
	debug := &lockedBuffer{}
	opts := &imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:        imap.CapSet{imap.CapIMAP4rev1: {}},
		Logger:      log.New(io.Discard, "", 0),
		DebugWriter: debug,
	}
	ln := listen(t)
	if implicit {
		ln = tls.NewListener(ln, cfg)
	} else {
		opts.TLSConfig = cfg
	}
	srv := imapserver.New(opts)
	var wg sync.WaitGroup
	wg.Go(func() { srv.Serve(ln) })
	t.Cleanup(func() {
		srv.Close()
		wg.Wait()
	})
	return &testDialer{addr: ln.Addr().String()}, debug
}

func TestIMAPClientEndToEnd(t *testing.T) {
	pki := newPKI(t)
	for _, implicit := range []bool{false, true} {
		name, sec, port := "STARTTLS", SecurityStartTLS, 143
		if implicit {
			name, sec, port = "implicit TLS", SecurityTLS, 993
		}
		t.Run(name, func(t *testing.T) {
			d, debug := startIMAPServer(t, serverConfig(pki.leaf, pki.intermediate), implicit)
			conn, st, err := DialIMAP(context.Background(), testHost, port, sec, Policy{RootCAs: pki.roots(), Dialer: d})
			if err != nil {
				t.Fatalf("DialIMAP error = %v, want nil", err)
			}
			if st.Implicit != implicit || st.Pinned || st.CertSHA256 != pki.leaf.fingerprint() {
				t.Errorf("ConnState = %+v, want Implicit %v, not pinned, the leaf's fingerprint", st, implicit)
			}
			c := imapclient.New(conn, nil)
			defer c.Close()
			if err := c.WaitGreeting(); err != nil {
				t.Fatalf("WaitGreeting error = %v, want nil", err)
			}
			caps := c.Caps()
			if caps.Has(imap.CapStartTLS) || !caps.Has(imap.Cap("AUTH=PLAIN")) || caps.Has(imap.CapLoginDisabled) {
				t.Errorf("capabilities = %v, want those offered over TLS: AUTH=PLAIN, no STARTTLS, no LOGINDISABLED", caps)
			}
			if err := c.Login("alice", "correct horse").Wait(); err != nil {
				t.Fatalf("Login error = %v, want nil", err)
			}
			data, err := c.Select("INBOX", nil).Wait()
			if err != nil {
				t.Fatalf("Select error = %v, want nil", err)
			}
			if data.NumMessages != 0 {
				t.Errorf("INBOX has %d messages, want 0", data.NumMessages)
			}
			if err := c.Logout().Wait(); err != nil {
				t.Errorf("Logout error = %v, want nil", err)
			}

			// Over implicit TLS the server's greeting lists the capabilities;
			// after STARTTLS the synthetic greeting does not, so the client
			// asks again over TLS.
			want := []string{"LOGIN", "SELECT", "LOGOUT"}
			if !implicit {
				want = append([]string{"CAPABILITY", "STARTTLS", "CAPABILITY"}, want...)
			}
			if got := commands(debug.String(), 1, "CAPABILITY", "STARTTLS", "LOGIN", "AUTHENTICATE", "SELECT", "LOGOUT"); !slices.Equal(got, want) {
				t.Errorf("server received commands %q, want %q", got, want)
			}
		})
	}
}

// smtpBackend accepts mail from users authenticated with PLAIN and records it.
type smtpBackend struct {
	mu       sync.Mutex
	user     string
	from     string
	to       []string
	messages [][]byte
}

func (b *smtpBackend) NewSession(*smtp.Conn) (smtp.Session, error) { return &smtpSession{b: b}, nil }

type smtpSession struct {
	b    *smtpBackend
	user string
}

func (s *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *smtpSession) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != "alice" || password != "correct horse" {
			return smtp.ErrAuthFailed
		}
		s.user = username
		return nil
	}), nil
}

func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.user == "" {
		return smtp.ErrAuthRequired
	}
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	s.b.user, s.b.from = s.user, from
	return nil
}

func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	s.b.to = append(s.b.to, to)
	return nil
}

func (s *smtpSession) Data(r io.Reader) error {
	msg, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	s.b.messages = append(s.b.messages, msg)
	return nil
}

func (s *smtpSession) Reset()        {}
func (s *smtpSession) Logout() error { return nil }

func startSMTPServer(t testing.TB, cfg *tls.Config, implicit bool) (*testDialer, *smtpBackend, *lockedBuffer) {
	t.Helper()
	be := &smtpBackend{}
	debug := &lockedBuffer{}
	srv := smtp.NewServer(be)
	srv.Domain = testHost
	srv.ErrorLog = log.New(io.Discard, "", 0)
	srv.Debug = debug
	tracked := &trackedListener{Listener: listen(t)}
	var ln net.Listener = tracked
	if implicit {
		ln = tls.NewListener(ln, cfg)
	} else {
		srv.TLSConfig = cfg
	}
	var wg sync.WaitGroup
	wg.Go(func() { srv.Serve(ln) })
	t.Cleanup(func() {
		tracked.waitClosed(5 * time.Second)
		srv.Close()
		wg.Wait()
	})
	return &testDialer{addr: ln.Addr().String()}, be, debug
}

func TestSMTPClientEndToEnd(t *testing.T) {
	pki := newPKI(t)
	msg := []byte("From: alice@example.test\r\nTo: bob@example.test\r\nSubject: hello\r\n\r\n.a line that starts with a dot\r\nbye\r\n")
	for _, implicit := range []bool{false, true} {
		name, sec, port := "STARTTLS", SecurityStartTLS, 587
		if implicit {
			name, sec, port = "implicit TLS", SecurityTLS, 465
		}
		t.Run(name, func(t *testing.T) {
			d, be, debug := startSMTPServer(t, serverConfig(pki.leaf, pki.intermediate), implicit)
			conn, st, err := DialSMTP(context.Background(), testHost, port, sec, Policy{RootCAs: pki.roots(), Dialer: d}, heloName)
			if err != nil {
				t.Fatalf("DialSMTP error = %v, want nil", err)
			}
			if st.Implicit != implicit || st.CertSHA256 != pki.leaf.fingerprint() {
				t.Errorf("ConnState = %+v, want Implicit %v and the leaf's fingerprint", st, implicit)
			}
			c := smtp.NewClient(conn)
			defer c.Close()
			if err := c.Hello(heloName); err != nil {
				t.Fatalf("Hello error = %v, want nil", err)
			}
			if ok, _ := c.Extension("STARTTLS"); ok {
				t.Error("EHLO over TLS still offers STARTTLS: the capabilities were not asked again")
			}
			if !c.SupportsAuth(sasl.Plain) {
				t.Fatal("server does not offer AUTH PLAIN over TLS")
			}
			if err := c.Auth(sasl.NewPlainClient("", "alice", "correct horse")); err != nil {
				t.Fatalf("Auth error = %v, want nil", err)
			}
			if err := c.SendMail("alice@example.test", []string{"bob@example.test"}, bytes.NewReader(msg)); err != nil {
				t.Fatalf("SendMail error = %v, want nil", err)
			}
			if err := c.Quit(); err != nil {
				t.Errorf("Quit error = %v, want nil", err)
			}

			be.mu.Lock()
			defer be.mu.Unlock()
			if be.user != "alice" || be.from != "alice@example.test" || !slices.Equal(be.to, []string{"bob@example.test"}) {
				t.Errorf("server got user %q, from %q, to %q, want alice, alice@example.test, [bob@example.test]", be.user, be.from, be.to)
			}
			if len(be.messages) != 1 || !bytes.Equal(be.messages[0], msg) {
				t.Errorf("server got messages %q, want exactly %q", be.messages, msg)
			}
			want := []string{"EHLO", "AUTH", "MAIL", "RCPT", "DATA", "QUIT"}
			if !implicit {
				want = append([]string{"EHLO", "STARTTLS"}, want...)
			}
			if got := commands(debug.String(), 0, "EHLO", "HELO", "STARTTLS", "AUTH", "MAIL", "RCPT", "DATA", "QUIT"); !slices.Equal(got, want) {
				t.Errorf("server received commands %q, want %q", got, want)
			}
		})
	}
}

// TestSTARTTLSStrippedByProxy puts a man in the middle between the client
// and real servers that offer STARTTLS; the proxy removes STARTTLS from the
// capabilities. The connection is refused, and what the server received
// (everything the proxy forwarded) holds no credential.
func TestSTARTTLSStrippedByProxy(t *testing.T) {
	pki := newPKI(t)
	cfg := serverConfig(pki.leaf, pki.intermediate)
	tests := []struct {
		name     string
		smtp     bool
		rewrite  func(string) (string, bool)
		wantRecv []string
	}{
		{name: "IMAP", rewrite: func(l string) (string, bool) {
			return strings.ReplaceAll(l, " STARTTLS", ""), true
		}, wantRecv: []string{"A1 CAPABILITY"}},
		{name: "SMTP", smtp: true, rewrite: func(l string) (string, bool) {
			return l, !strings.Contains(strings.ToUpper(l), "STARTTLS")
		}, wantRecv: []string{"EHLO " + heloName}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var upstream *testDialer
			if tt.smtp {
				upstream, _, _ = startSMTPServer(t, cfg, false)
			} else {
				upstream, _ = startIMAPServer(t, cfg, false)
			}
			proxy := &lineProxy{upstream: upstream.addr, rewrite: tt.rewrite}
			d := proxy.start(t)
			conn, _, err := dialStartTLS(tt.smtp, Policy{RootCAs: pki.roots(), Dialer: d})
			if err == nil {
				conn.Close()
			}
			if !errors.Is(err, ErrNoStartTLS) {
				t.Fatalf("error = %v, want ErrNoStartTLS", err)
			}
			got := proxy.lines()
			if !slices.Equal(got, tt.wantRecv) || sentCredentials(got) {
				t.Errorf("server received %q, want %q", got, tt.wantRecv)
			}

			// Without the proxy's tampering the same servers are fine.
			proxy = &lineProxy{upstream: upstream.addr, rewrite: func(l string) (string, bool) { return l, true }}
			conn, _, err = dialStartTLS(tt.smtp, Policy{RootCAs: pki.roots(), Dialer: proxy.start(t)})
			if err != nil {
				t.Fatalf("untampered: error = %v, want nil", err)
			}
			conn.Close()
		})
	}
}

// trackedListener counts the accepted connections that are still open.
// go-smtp v0.25.1's Server.Close reads a connection's fields without a lock
// while a STARTTLS on it may still be replacing them (a data race inside the
// library), so cleanup first waits for the server to finish its
// connections, which it does once the client has gone.
type trackedListener struct {
	net.Listener
	open sync.WaitGroup
}

func (l *trackedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.open.Add(1)
	return &trackedConn{Conn: c, done: l.open.Done}, nil
}

// waitClosed waits until every accepted connection was closed, or max.
func (l *trackedListener) waitClosed(max time.Duration) {
	done := make(chan struct{})
	go func() { l.open.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(max):
	}
}

type trackedConn struct {
	net.Conn
	once sync.Once
	done func()
}

func (c *trackedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.done)
	return err
}
