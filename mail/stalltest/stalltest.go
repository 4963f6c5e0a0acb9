// Package stalltest runs loopback servers for tests of what Sealpost does
// when a server stops responding: an in-memory IMAP server and an SMTP
// server, in cleartext, and a TLS proxy to put in front of either that
// stops passing the server's replies once the client has sent a chosen
// command, or passes them slowly.
//
// Everything a function here starts is stopped, and its goroutines joined,
// when the test ends.
package stalltest

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"io"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/sealpost/sealpost/mail/internal/testcert"
)

// Host is the loopback address everything listens on.
const Host = "127.0.0.1"

// Rule says when and how a Proxy stalls.
type Rule struct {
	// After is what the client sends that starts the stall, matched in
	// the cleartext inside TLS (also across reads); empty means never.
	After string
	// Pass is how many bytes of the server's replies still reach the
	// client once the stall began, so that a reply can stop in its middle.
	Pass int
	// Deaf makes the proxy also stop reading what the client sends once
	// the stall began, so that the client's writes back up.
	Deaf bool
	// Chunk and Every, when both are positive, make a slow link instead of
	// a stall: from After on, the server's bytes reach the client Chunk
	// bytes at a time, one chunk every Every. The pace follows the clock:
	// when the machine is busy and a chunk leaves late, the chunks due
	// meanwhile (up to a second's worth) follow at once.
	Chunk int
	Every time.Duration
	// Upload makes Chunk and Every pace the client's bytes to the server
	// instead, behind a small receive window, so that they wait in the
	// client's send buffer as on a slow link. The proxy's connection to the
	// server has a small send buffer too: a server slower than the pace
	// holds the client back, so that what the client sees acknowledged
	// has nearly all reached the server.
	Upload bool
}

// slow reports whether the rule paces the given direction.
func (r Rule) slow(upload bool) bool { return r.Chunk > 0 && r.Every > 0 && r.Upload == upload }

// Proxy is a TLS server on Host that relays each connection, in
// cleartext, to a backend server and applies its Rule to it.
type Proxy struct {
	// Port is the port the proxy listens on.
	Port int
	// Roots trusts the proxy's certificate (issued for Host).
	Roots *x509.CertPool
	// SHA256 is the hex SHA-256 of the certificate, the value to pin.
	SHA256 string

	cert    tls.Certificate
	backend string
	rule    Rule
	ln      net.Listener

	stallOnce sync.Once
	stalled   chan struct{}

	mu     sync.Mutex
	closed bool
	conns  []net.Conn
	wg     sync.WaitGroup
}

// Addr is the proxy's address, Host:Port.
func (p *Proxy) Addr() string { return net.JoinHostPort(Host, strconv.Itoa(p.Port)) }

// Stalled is closed once a connection's stall (or slow link) began.
func (p *Proxy) Stalled() <-chan struct{} { return p.stalled }

// Start starts a proxy in front of the server at backend.
func Start(t testing.TB, backend string, rule Rule) *Proxy {
	t.Helper()
	cert, roots := testcert.SelfSigned(t, Host)
	return start(t, backend, rule, cert, roots)
}

// Sibling starts another proxy with p's certificate, so that the same
// roots or pin trust both (as an account's IMAP and SMTP servers often
// share one certificate).
func (p *Proxy) Sibling(t testing.TB, backend string, rule Rule) *Proxy {
	t.Helper()
	return start(t, backend, rule, p.cert, p.Roots)
}

func start(t testing.TB, backend string, rule Rule, cert tls.Certificate, roots *x509.CertPool) *Proxy {
	t.Helper()
	ln, err := tls.Listen("tcp", net.JoinHostPort(Host, "0"), &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(cert.Leaf.Raw)
	p := &Proxy{
		Port: ln.Addr().(*net.TCPAddr).Port, Roots: roots, SHA256: hex.EncodeToString(sum[:]),
		cert: cert, backend: backend, rule: rule, ln: ln, stalled: make(chan struct{}),
	}
	p.wg.Go(p.accept)
	t.Cleanup(p.close)
	return p
}

func (p *Proxy) accept() {
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		if tc, ok := client.(*tls.Conn); ok && p.rule.slow(true) {
			// A small receive window, so that the client's socket holds
			// what the proxy has not taken, as on a slow link.
			if tcp, ok := tc.NetConn().(*net.TCPConn); ok {
				_ = tcp.SetReadBuffer(4 * p.rule.Chunk)
			}
		}
		server, err := net.Dial("tcp", p.backend)
		if err != nil {
			client.Close()
			continue
		}
		if tcp, ok := server.(*net.TCPConn); ok && p.rule.slow(true) {
			// Else megabytes could wait here, unseen by the client, for a
			// server slower than the pace (a loaded machine, -race).
			_ = tcp.SetWriteBuffer(p.rule.Chunk)
		}
		if !p.track(client, server) {
			return
		}
		p.wg.Go(func() { p.relay(client, server) })
	}
}

// track remembers c for close; false if the proxy is closed already.
func (p *Proxy) track(c ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		for _, x := range c {
			x.Close()
		}
		return false
	}
	p.conns = append(p.conns, c...)
	return true
}

func (p *Proxy) close() {
	p.ln.Close()
	p.mu.Lock()
	conns := p.conns
	p.conns, p.closed = nil, true
	p.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
	p.wg.Wait()
}

// relay copies both ways until either side ends.
func (p *Proxy) relay(client, server net.Conn) {
	defer client.Close()
	defer server.Close()
	st := &stall{started: make(chan struct{}), done: make(chan struct{})}
	var wg sync.WaitGroup
	wg.Go(func() {
		defer server.Close()
		p.fromClient(client, server, st)
	})
	p.fromServer(server, client, st)
	close(st.done)
	client.Close()
	wg.Wait()
}

// stall is the state of one relayed connection.
type stall struct {
	once    sync.Once
	started chan struct{} // closed when the rule's After was seen
	done    chan struct{} // closed when the server side of the relay ended
}

func (s *stall) begin(p *Proxy) {
	s.once.Do(func() {
		close(s.started)
		p.stallOnce.Do(func() { close(p.stalled) })
	})
}

func (s *stall) hasBegun() bool {
	select {
	case <-s.started:
		return true
	default:
		return false
	}
}

// fromClient relays the client's bytes, watching for the rule's After.
func (p *Proxy) fromClient(client, server net.Conn, st *stall) {
	up := &pacer{rule: p.rule}
	defer up.stop()
	var tail []byte // the last bytes seen, to match After across reads
	buf := make([]byte, 32<<10)
	for {
		n, err := client.Read(buf)
		if n > 0 {
			if p.rule.After != "" && !st.hasBegun() {
				tail = append(tail, buf[:n]...)
				if bytes.Contains(tail, []byte(p.rule.After)) {
					st.begin(p) // before the server can see the command
				}
				if keep := len(p.rule.After) - 1; len(tail) > keep {
					tail = append(tail[:0], tail[len(tail)-keep:]...)
				}
			}
			var werr error
			if st.hasBegun() && p.rule.slow(true) {
				werr = up.write(server, buf[:n])
			} else {
				_, werr = server.Write(buf[:n])
			}
			if werr != nil {
				return
			}
			if st.hasBegun() && p.rule.Deaf {
				<-st.done // read nothing more until the relay ends
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// fromServer relays the server's bytes under the rule.
func (p *Proxy) fromServer(server, client net.Conn, st *stall) {
	buf := make([]byte, 32<<10)
	pass := p.rule.Pass
	down := &pacer{rule: p.rule}
	defer down.stop()
	for {
		n, err := server.Read(buf)
		out := buf[:n]
		if st.hasBegun() && p.rule.slow(false) {
			if down.write(client, out) != nil {
				return
			}
			out = nil
		} else if st.hasBegun() && !p.rule.slow(true) {
			k := min(pass, len(out))
			pass -= k
			out = out[:k] // the rest is swallowed: the client hears nothing more
		}
		if len(out) > 0 {
			if _, werr := client.Write(out); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// pacer passes bytes at the rule's pace: Chunk bytes every Every, by the
// clock. A ticker drops the ticks its reader missed, so counting ticks
// would slow the pace whenever the machine is busy; the credit is counted
// from the time instead, up to maxCatchUp's worth.
type pacer struct {
	rule   Rule
	tick   *time.Ticker // started on first use
	last   time.Time    // when credit was last added
	credit int          // bytes that may pass before more is due
}

// maxCatchUp is the most time whose chunks a late pacer still passes.
const maxCatchUp = time.Second

// write writes b to w at the pace.
func (pc *pacer) write(w net.Conn, b []byte) error {
	if pc.tick == nil {
		pc.last, pc.tick = time.Now(), time.NewTicker(pc.rule.Every) // the first tick is due a full Every after last
	}
	for len(b) > 0 {
		if pc.credit == 0 {
			<-pc.tick.C
			due := time.Since(pc.last) / pc.rule.Every
			pc.last = pc.last.Add(due * pc.rule.Every)
			most := max(1, int(maxCatchUp/pc.rule.Every)) * pc.rule.Chunk
			pc.credit = min(int(due)*pc.rule.Chunk, most)
			if pc.credit == 0 {
				continue // the last tick came late and caught up already
			}
		}
		k := min(pc.credit, len(b))
		if _, err := w.Write(b[:k]); err != nil {
			return err
		}
		pc.credit -= k
		b = b[k:]
	}
	return nil
}

func (pc *pacer) stop() {
	if pc.tick != nil {
		pc.tick.Stop()
	}
}

// IMAP is an in-memory IMAP server (go-imap's imapmemserver) in cleartext
// on Host, with IDLE, UIDPLUS, MOVE and SPECIAL-USE; put a Proxy in front.
type IMAP struct {
	// Addr is the server's address.
	Addr string
	// User is the one user's account, for changing mailboxes behind the
	// client's back.
	User *imapmemserver.User
}

// StartIMAP starts an IMAP server with one user, who has an INBOX.
func StartIMAP(t testing.TB, user, pass string) *IMAP {
	t.Helper()
	mem := imapmemserver.New()
	u := imapmemserver.NewUser(user, pass)
	if err := u.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	mem.AddUser(u)
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps: imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapUIDPlus: {}, imap.CapMove: {}, imap.CapUnselect: {},
			imap.CapSpecialUse: {}, imap.CapCreateSpecialUse: {}},
		Logger:       quiet{},
		InsecureAuth: true, // the proxy in front provides TLS
	})
	return &IMAP{Addr: serve(t, srv.Serve, srv.Close), User: u}
}

// serve runs a server on a new listener on Host until the test ends, and
// returns its address.
func serve(t testing.TB, run func(net.Listener) error, stop func() error) string {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(Host, "0"))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() { _ = run(ln) })
	t.Cleanup(func() {
		_ = stop()
		wg.Wait()
	})
	return ln.Addr().String()
}

type quiet struct{}

func (quiet) Printf(string, ...any) {}

func (quiet) Println(...any) {}

// SMTP is a submission server in cleartext on Host that requires AUTH
// PLAIN and keeps what it accepts; put a Proxy in front.
type SMTP struct {
	// Addr is the server's address.
	Addr string

	user, pass string
	mu         sync.Mutex
	received   [][]byte
}

// StartSMTP starts an SMTP server that accepts user with pass.
func StartSMTP(t testing.TB, user, pass string) *SMTP {
	t.Helper()
	s := &SMTP{user: user, pass: pass}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &smtpSession{s: s}, nil }))
	srv.Domain = "stall.test"
	srv.AllowInsecureAuth = true // the proxy in front provides TLS
	srv.MaxMessageBytes = 256 << 20
	srv.ErrorLog = quiet{}
	s.Addr = serve(t, srv.Serve, srv.Close)
	return s
}

// Received returns the messages the server accepted so far.
func (s *SMTP) Received() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]byte(nil), s.received...)
}

type smtpSession struct {
	s      *SMTP
	authed bool
}

func (c *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (c *smtpSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != c.s.user || pass != c.s.pass {
			return smtp.ErrAuthFailed
		}
		c.authed = true
		return nil
	}), nil
}

func (c *smtpSession) Mail(string, *smtp.MailOptions) error {
	if !c.authed {
		return smtp.ErrAuthRequired
	}
	return nil
}

func (c *smtpSession) Rcpt(string, *smtp.RcptOptions) error { return nil }

func (c *smtpSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	c.s.mu.Lock()
	c.s.received = append(c.s.received, raw)
	c.s.mu.Unlock()
	return nil
}

func (c *smtpSession) Reset() {}

func (c *smtpSession) Logout() error { return nil }
