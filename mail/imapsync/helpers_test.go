package imapsync

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail/internal/testcert"
	"github.com/sealpost/sealpost/mail/testservers"
)

const (
	testUser = "alice@example.test"
	testPass = "imapsync test password"
	// serversEnv restricts the suite to a comma-separated list of servers
	// ("memserver", "dovecot"); unset means all (Dovecot is skipped where
	// it cannot run, see mail/testservers).
	serversEnv = "SEALPOST_IMAPSYNC_SERVERS"
)

// testServer is a running IMAP server the suite syncs against.
type testServer struct {
	name      string
	addr      string
	tls       *tls.Config
	user      string
	pass      string
	condStore bool // offers CONDSTORE
	special   bool // offers SPECIAL-USE with the usual folders
}

// memCaps are the capabilities of the default in-memory server: an
// IMAP4rev1 server with the usual extensions but no CONDSTORE (which
// imapmemserver lacks) and no SPECIAL-USE.
var memCaps = imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapUIDPlus: {}, imap.CapMove: {}, imap.CapESearch: {}, imap.CapUnselect: {}}

// forEachServer runs fn as a subtest against each server of the suite.
func forEachServer(t *testing.T, fn func(t *testing.T, srv *testServer)) {
	t.Helper()
	for _, name := range []string{"memserver", "dovecot"} {
		t.Run(name, func(t *testing.T) {
			if want := os.Getenv(serversEnv); want != "" && !strings.Contains(","+want+",", ","+name+",") {
				t.Skipf("%s=%s", serversEnv, want)
			}
			if name == "dovecot" {
				fn(t, startDovecot(t))
			} else {
				fn(t, startMemServer(t, memCaps))
			}
		})
	}
}

func startDovecot(t *testing.T) *testServer {
	t.Helper()
	s := testservers.StartDovecot(t)
	return &testServer{name: "dovecot", addr: s.IMAPTLS, tls: s.TLSConfig(), user: testUser, pass: s.Users[testUser],
		condStore: true, special: true}
}

// startMemServer serves an imapmemserver over TLS on 127.0.0.1 with caps,
// holding an empty INBOX for testUser.
func startMemServer(t testing.TB, caps imap.CapSet) *testServer {
	t.Helper()
	mem := imapmemserver.New()
	u := imapmemserver.NewUser(testUser, testPass)
	if err := u.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	mem.AddUser(u)
	cert, pool := testcert.SelfSigned(t, "127.0.0.1")
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:   caps,
		Logger: quietLogger{},
	})
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		<-done
	})
	return &testServer{name: "memserver", addr: ln.Addr().String(),
		tls: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, user: testUser, pass: testPass}
}

type quietLogger struct{}

func (quietLogger) Printf(string, ...any) {}

// dial opens a TLS connection to addr (which may be a proxy in front of the server).
func (ts *testServer) dial(ctx context.Context, addr string) (net.Conn, error) {
	d := tls.Dialer{Config: ts.tls.Clone()}
	return d.DialContext(ctx, "tcp", addr)
}

// connector returns a Connector that logs in through addr (the server's own
// address when empty) and records the client's commands in tap (if not nil).
func (ts *testServer) connector(addr string, tap *wireTap) Connector {
	if addr == "" {
		addr = ts.addr
	}
	return func(ctx context.Context, opts *imapclient.Options) (*imapclient.Client, Link, error) {
		conn, err := ts.dial(ctx, addr)
		if err != nil {
			return nil, nil, err
		}
		if tap != nil {
			conn = &tappedConn{Conn: conn, tap: tap}
		}
		if os.Getenv("IMAPSYNC_DEBUG") != "" && opts != nil {
			opts.DebugWriter = os.Stderr
		}
		c := imapclient.New(conn, opts)
		if err := c.Login(ts.user, ts.pass).Wait(); err != nil {
			_ = c.Close()
			return nil, nil, err
		}
		return c, nil, nil
	}
}

// admin returns a client for changing the server's state behind the syncer's back.
func (ts *testServer) admin(t testing.TB) *imapclient.Client {
	t.Helper()
	c, _, err := ts.connector("", nil)(context.Background(), nil)
	if err != nil {
		t.Fatalf("admin login: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// wireTap records the command lines a client sends.
type wireTap struct {
	mu    sync.Mutex
	lines []string
	part  []byte
}

func (w *wireTap) record(p []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.part = append(w.part, p...)
	for {
		i := bytes.Index(w.part, []byte("\r\n"))
		if i < 0 {
			return
		}
		w.lines = append(w.lines, string(w.part[:i]))
		w.part = w.part[i+2:]
	}
}

// commands returns the recorded lines that contain all of words, and forgets
// every recorded line if reset.
func (w *wireTap) commands(reset bool, words ...string) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, l := range w.lines {
		match := true
		for _, word := range words {
			match = match && strings.Contains(l, word)
		}
		if match {
			out = append(out, l)
		}
	}
	if reset {
		w.lines = nil
	}
	return out
}

type tappedConn struct {
	net.Conn
	tap *wireTap
}

func (c *tappedConn) Write(p []byte) (int, error) {
	c.tap.record(p)
	return c.Conn.Write(p)
}

// cutProxy forwards TCP connections to target and, once armed, cuts every
// connection after a budget of server-to-client bytes.
type cutProxy struct {
	ln     net.Listener
	target string
	budget atomic.Int64 // < 0: unlimited
	cut    chan struct{}

	mu    sync.Mutex
	conns []net.Conn
	wg    sync.WaitGroup
}

func startProxy(t testing.TB, target string) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, target: target, cut: make(chan struct{}, 16)}
	p.budget.Store(-1)
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(func() {
		_ = ln.Close()
		p.closeAll()
		p.wg.Wait()
	})
	return p
}

func (p *cutProxy) addr() string { return p.ln.Addr().String() }

// arm makes the proxy cut connections after n more server-to-client bytes.
func (p *cutProxy) arm(n int64) { p.budget.Store(n) }

// disarm lets bytes flow without limit.
func (p *cutProxy) disarm() { p.budget.Store(-1) }

func (p *cutProxy) closeAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		_ = c.Close()
	}
	p.conns = nil
}

func (p *cutProxy) serve() {
	defer p.wg.Done()
	for {
		down, err := p.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = down.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, down, up)
		p.mu.Unlock()
		p.wg.Add(2)
		go func() {
			defer p.wg.Done()
			_, _ = io.Copy(up, down)
			_ = up.Close()
		}()
		go func() {
			defer p.wg.Done()
			p.pipeDown(down, up)
		}()
	}
}

// pipeDown copies server bytes to the client, cutting both when the budget runs out.
func (p *cutProxy) pipeDown(down, up net.Conn) {
	defer down.Close()
	defer up.Close()
	buf := make([]byte, 16<<10)
	for {
		n, err := up.Read(buf)
		if n > 0 {
			chunk := buf[:n]
			if b := p.budget.Load(); b >= 0 {
				if int64(n) >= b {
					_, _ = down.Write(chunk[:b])
					p.budget.Store(0)
					p.cut <- struct{}{}
					return
				}
				p.budget.Add(-int64(n))
			}
			if _, err := down.Write(chunk); err != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// newStore creates a profile with cheap KDF parameters.
func newStore(t testing.TB) *localstore.Store {
	t.Helper()
	st, err := localstore.Create(filepath.Join(t.TempDir(), "profile"), []byte(testPass), storeOpts())
	if err != nil {
		t.Fatalf("create store: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func storeOpts() *localstore.Options {
	return &localstore.Options{KDF: &localstore.KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}}
}

// reopenStore closes st and opens its profile again.
func reopenStore(t testing.TB, st *localstore.Store) *localstore.Store {
	t.Helper()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st2, err := localstore.Open(st.Dir(), []byte(testPass), storeOpts())
	if err != nil {
		t.Fatalf("reopen store: %v", err)
	}
	t.Cleanup(func() { _ = st2.Close() })
	return st2
}

// newSyncer returns a Syncer for the server's account in st, closed at cleanup.
func newSyncer(t testing.TB, st *localstore.Store, conn Connector, edit func(*Options)) *Syncer {
	t.Helper()
	opts := Options{Account: testUser, Store: st, Connect: conn, BatchSize: 7, InFlight: 2}
	if edit != nil {
		edit(&opts)
	}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// testMessage builds a message with a unique Message-ID and a body of about
// size bytes.
func testMessage(i, size int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: Bob Example <bob@example.test>\r\nTo: %s\r\nSubject: message %d\r\n", testUser, i)
	fmt.Fprintf(&b, "Date: Mon, 02 Jan 2006 15:04:%02d +0000\r\nMessage-ID: <m%d@example.test>\r\n", i%60, i)
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n")
	line := fmt.Sprintf("line of message %d, padded to a realistic length for a mail body.\r\n", i)
	for b.Len() < size {
		b.WriteString(line)
	}
	return b.Bytes()
}

// msgID is the Message-ID of testMessage(i, ...) as envelopes report it.
func msgID(i int) string { return fmt.Sprintf("m%d@example.test", i) }

// appendMsg appends raw to mailbox through admin.
func appendMsg(t testing.TB, admin *imapclient.Client, mailbox string, raw []byte, flags ...imap.Flag) {
	t.Helper()
	cmd := admin.Append(mailbox, int64(len(raw)), &imap.AppendOptions{Flags: flags})
	if _, err := cmd.Write(raw); err != nil {
		t.Fatalf("append: %v", err)
	}
	if err := cmd.Close(); err != nil {
		t.Fatalf("append: %v", err)
	}
	if _, err := cmd.Wait(); err != nil {
		t.Fatalf("append to %s: %v", mailbox, err)
	}
}

// fill appends n test messages (sizes varying around size) to mailbox and
// returns them by Message-ID.
func fill(t testing.TB, admin *imapclient.Client, mailbox string, first, n, size int) map[string][]byte {
	t.Helper()
	out := make(map[string][]byte, n)
	for i := first; i < first+n; i++ {
		raw := testMessage(i, size+(i%5)*size/4)
		appendMsg(t, admin, mailbox, raw)
		out[msgID(i)] = raw
	}
	return out
}

// checkStored verifies that folder holds exactly want (by Message-ID), each
// stored once with byte-identical raw bytes.
func checkStored(t testing.TB, st *localstore.Store, folder string, want map[string][]byte) {
	t.Helper()
	sums, err := st.Messages().Newest(testUser, folder, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, m := range sums {
		if seen[m.MessageID] {
			t.Errorf("%s: message %s stored twice", folder, m.MessageID)
		}
		seen[m.MessageID] = true
		raw, ok := want[m.MessageID]
		if !ok {
			t.Errorf("%s: unexpected message %s (UID %d)", folder, m.MessageID, m.UID)
			continue
		}
		got, err := st.Messages().Raw(testUser, folder, m.UID)
		if err != nil {
			t.Errorf("%s: raw of %s: %v", folder, m.MessageID, err)
			continue
		}
		if !bytes.Equal(got, raw) {
			t.Errorf("%s: raw of %s differs: got %d bytes, want %d", folder, m.MessageID, len(got), len(raw))
		}
	}
	if len(sums) != len(want) {
		t.Errorf("%s: got %d messages, want %d", folder, len(sums), len(want))
	}
}

// summaryByID returns the stored summary with messageID.
func summaryByID(t testing.TB, st *localstore.Store, folder, messageID string) (localstore.Summary, bool) {
	t.Helper()
	sums, err := st.Messages().Newest(testUser, folder, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range sums {
		if m.MessageID == messageID {
			return m, true
		}
	}
	return localstore.Summary{}, false
}

// serverUID returns the UID of the message with messageID in mailbox.
func serverUID(t testing.TB, admin *imapclient.Client, mailbox, messageID string) imap.UID {
	t.Helper()
	if _, err := admin.Select(mailbox, nil).Wait(); err != nil {
		t.Fatalf("select %s: %v", mailbox, err)
	}
	data, err := admin.UIDSearch(&imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Message-ID", Value: "<" + messageID + ">"}}}, nil).Wait()
	if err != nil {
		t.Fatalf("search: %v", err)
	}
	uids := data.AllUIDs()
	if len(uids) != 1 {
		t.Fatalf("%s: %d messages with Message-ID %s, want 1", mailbox, len(uids), messageID)
	}
	return uids[0]
}

// serverMessages returns the flags of every message in mailbox by Message-ID.
func serverMessages(t testing.TB, admin *imapclient.Client, mailbox string) map[string][]imap.Flag {
	t.Helper()
	sel, err := admin.Select(mailbox, nil).Wait()
	if err != nil {
		t.Fatalf("select %s: %v", mailbox, err)
	}
	out := map[string][]imap.Flag{}
	if sel.NumMessages == 0 {
		return out
	}
	var all imap.SeqSet
	all.AddRange(1, sel.NumMessages)
	msgs, err := admin.Fetch(all, &imap.FetchOptions{Envelope: true, Flags: true}).Collect()
	if err != nil {
		t.Fatalf("fetch %s: %v", mailbox, err)
	}
	for _, m := range msgs {
		out[m.Envelope.MessageID] = m.Flags
	}
	return out
}

// errOffline is what the offline connector returns.
var errOffline = errors.New("offline")

func offline(context.Context, *imapclient.Options) (*imapclient.Client, Link, error) {
	return nil, nil, errOffline
}
