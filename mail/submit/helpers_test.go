package submit

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail/internal/testcert"
)

// Test credentials.
const (
	testUser     = "alice@example.org"
	testPassword = "app password"
	testToken    = "ya29.token"
)

// received is one message the test server accepted.
type received struct {
	From string
	To   []string
	Data []byte
}

// backend is a go-smtp backend that records what it receives and can be
// told to refuse at each stage.
type backend struct {
	mechs []string // AUTH mechanisms advertised

	mu            sync.Mutex
	faults        map[Stage]*smtp.SMTPError // refusal per stage
	rcptFaults    map[string]*smtp.SMTPError
	dropAfterData bool     // close the connection instead of answering DATA
	auths         []string // mechanisms of every AUTH attempt
	msgs          []received
}

func newBackend(mechs ...string) *backend {
	if len(mechs) == 0 {
		mechs = []string{MechPlain, MechLogin, MechXOAuth2, MechOAuthBearer}
	}
	return &backend{mechs: mechs, faults: map[Stage]*smtp.SMTPError{}, rcptFaults: map[string]*smtp.SMTPError{}}
}

// fail makes the server refuse stage with code (4xx or 5xx) from now on;
// code 0 removes the fault.
func (b *backend) fail(stage Stage, code int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if code == 0 {
		delete(b.faults, stage)
		return
	}
	b.faults[stage] = &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{code / 100, 7, 1},
		Message: "injected " + string(stage) + " failure"}
}

func (b *backend) fault(stage Stage) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if f := b.faults[stage]; f != nil {
		return f
	}
	return nil
}

func (b *backend) messages() []received {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]received(nil), b.msgs...)
}

func (b *backend) authAttempts() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.auths...)
}

func (b *backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{b: b, conn: c}, nil
}

type session struct {
	b      *backend
	conn   *smtp.Conn
	authed bool
	from   string
	to     []string
}

func (s *session) AuthMechanisms() []string { return s.b.mechs }

func (s *session) Auth(mech string) (sasl.Server, error) {
	s.b.mu.Lock()
	s.b.auths = append(s.b.auths, mech)
	s.b.mu.Unlock()
	if err := s.b.fault(StageAuth); err != nil {
		return nil, err
	}
	checkPassword := func(user, pass string) error {
		if user != testUser || pass != testPassword {
			return smtp.ErrAuthFailed
		}
		s.authed = true
		return nil
	}
	switch mech {
	case MechPlain:
		return sasl.NewPlainServer(func(_, user, pass string) error { return checkPassword(user, pass) }), nil
	case MechLogin:
		return &loginServer{check: checkPassword}, nil
	case MechXOAuth2:
		return &xoauth2Server{check: func(user, token string) bool {
			s.authed = user == testUser && token == testToken
			return s.authed
		}}, nil
	case MechOAuthBearer:
		return sasl.NewOAuthBearerServer(func(o sasl.OAuthBearerOptions) *sasl.OAuthBearerError {
			if o.Username != testUser || o.Token != testToken {
				return &sasl.OAuthBearerError{Status: "invalid_token", Schemes: "bearer"}
			}
			s.authed = true
			return nil
		}), nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if !s.authed {
		return smtp.ErrAuthRequired
	}
	if err := s.b.fault(StageMail); err != nil {
		return err
	}
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.b.mu.Lock()
	f := s.b.rcptFaults[to]
	s.b.mu.Unlock()
	if f != nil {
		return f
	}
	if err := s.b.fault(StageRcpt); err != nil {
		return err
	}
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if err := s.b.fault(StageData); err != nil {
		return err
	}
	s.b.mu.Lock()
	s.b.msgs = append(s.b.msgs, received{From: s.from, To: s.to, Data: data})
	drop := s.b.dropAfterData
	s.b.mu.Unlock()
	if drop {
		return s.conn.Close()
	}
	return nil
}

func (s *session) Reset()        { s.from, s.to = "", nil }
func (s *session) Logout() error { return nil }

// loginServer is the server side of SASL LOGIN.
type loginServer struct {
	check   func(user, pass string) error
	user    string
	gotUser bool
}

func (l *loginServer) Next(resp []byte) ([]byte, bool, error) {
	if !l.gotUser {
		if resp == nil {
			return []byte("Username:"), false, nil
		}
		l.user, l.gotUser = string(resp), true
		return []byte("Password:"), false, nil
	}
	if err := l.check(l.user, string(resp)); err != nil {
		return nil, true, err
	}
	return nil, true, nil
}

// xoauth2Server is the server side of XOAUTH2: an error JSON challenge,
// then 535 after the client's empty response.
type xoauth2Server struct {
	check  func(user, token string) bool
	failed bool
}

func (x *xoauth2Server) Next(resp []byte) ([]byte, bool, error) {
	if x.failed {
		return nil, true, smtp.ErrAuthFailed
	}
	if resp == nil {
		return []byte{}, false, nil
	}
	var user, token string
	for _, f := range strings.Split(string(resp), "\x01") {
		if v, ok := strings.CutPrefix(f, "user="); ok {
			user = v
		}
		if v, ok := strings.CutPrefix(f, "auth=Bearer "); ok {
			token = v
		}
	}
	if x.check(user, token) {
		return nil, true, nil
	}
	x.failed = true
	challenge, _ := json.Marshal(map[string]string{"status": "401", "schemes": "bearer"})
	return challenge, false, nil
}

// testServer is a go-smtp server on 127.0.0.1 with a generated certificate.
type testServer struct {
	addr string
	pool *x509.CertPool
	b    *backend
}

// newTLSServer starts an implicit-TLS submission server.
func newTLSServer(t testing.TB, b *backend) *testServer {
	t.Helper()
	cert, pool := testcert.SelfSigned(t, "localhost")
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	serve(t, b, ln, false)
	return &testServer{addr: ln.Addr().String(), pool: pool, b: b}
}

// newPlainServer starts a cleartext server that would even accept AUTH.
func newPlainServer(t testing.TB, b *backend) *testServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	serve(t, b, ln, true)
	return &testServer{addr: ln.Addr().String(), b: b}
}

func serve(t testing.TB, b *backend, ln net.Listener, insecureAuth bool) {
	s := smtp.NewServer(b)
	s.Domain = "localhost"
	s.AllowInsecureAuth = insecureAuth
	s.ErrorLog = log.New(io.Discard, "", 0)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.Serve(ln)
	}()
	t.Cleanup(func() {
		// Closing ln as well ends Serve even if Close ran before Serve
		// registered the listener.
		_ = s.Close()
		_ = ln.Close()
		<-done
	})
}

// dial opens a verified TLS connection to the server.
func (ts *testServer) dial(ctx context.Context) (net.Conn, error) {
	return tlsDialer(ts.pool).DialContext(ctx, "tcp", ts.addr)
}

// tlsDialer dials TLS to "localhost" trusting pool (nil: the system roots).
func tlsDialer(pool *x509.CertPool) *tls.Dialer {
	return &tls.Dialer{Config: &tls.Config{RootCAs: pool, ServerName: "localhost", MinVersion: tls.VersionTLS12}}
}

// connector returns a Connector to the server that logs in with auth.
func (ts *testServer) connector(auth Auth) Connector {
	return func(ctx context.Context, _ string) (net.Conn, Auth, error) {
		c, err := ts.dial(ctx)
		return c, auth, err
	}
}

var passwordAuth = Auth{Username: testUser, Secret: testPassword}

// testMessage builds a message with the given extra header lines.
func testMessage(headers ...string) []byte {
	var b bytes.Buffer
	b.WriteString("From: Alice <alice@example.org>\r\n")
	for _, h := range headers {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("Message-ID: <1@example.org>\r\nSubject: test\r\n\r\nHello.\r\n")
	return b.Bytes()
}

// cheapKDF keeps store creation fast in tests.
var cheapKDF = localstore.KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}

var testPass = []byte("correct horse battery staple")

// newStore creates a profile in a fresh folder, closed at cleanup.
func newStore(t testing.TB) *localstore.Store {
	t.Helper()
	s, err := localstore.Create(filepath.Join(t.TempDir(), "profile"), testPass, &localstore.Options{KDF: &cheapKDF})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// reopen closes s and opens its profile again, as after a restart.
func reopen(t testing.TB, s *localstore.Store) *localstore.Store {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	s2, err := localstore.Open(s.Dir(), testPass, &localstore.Options{KDF: &cheapKDF})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s2.Close() })
	return s2
}

// sentBox is a SentAppender that records copies and can be told to fail.
type sentBox struct {
	mu     sync.Mutex
	err    error
	copies [][]byte
}

func (s *sentBox) AppendSent(_ context.Context, _ string, raw []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	s.copies = append(s.copies, raw)
	return nil
}

func (s *sentBox) setErr(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.err = err
}

func (s *sentBox) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.copies)
}

// clock is a settable test clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

var errAppendDown = errors.New("IMAP server unreachable")
