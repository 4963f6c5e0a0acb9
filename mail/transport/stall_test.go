package transport

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/sealpost/sealpost/mail/internal/testcert"
	"github.com/sealpost/sealpost/mail/stalltest"
)

// hangLimit is how long a test waits for a result before it calls the
// wait a hang. It is generous: the stall timeouts under test are short.
const hangLimit = 30 * time.Second

// within runs fn and returns its result, failing the test if fn has not
// returned within hangLimit.
func within[T any](t *testing.T, what string, fn func() T) T {
	t.Helper()
	ch := make(chan T, 1)
	go func() { ch <- fn() }()
	select {
	case v := <-ch:
		return v
	case <-time.After(hangLimit):
		t.Fatalf("%s: no result after %v: it hangs", what, hangLimit)
		panic("unreachable")
	}
}

// waitClosed fails the test unless the client's reader goroutine ends.
func waitClosed(t *testing.T, c *imapclient.Client) {
	t.Helper()
	select {
	case <-c.Closed():
	case <-time.After(hangLimit):
		t.Fatal("the IMAP client's reader goroutine is still running")
	}
}

const (
	stallUser = "alice"
	stallPass = "correct horse"
)

// stallingIMAP starts an IMAP server holding one message of size bytes in
// INBOX behind a proxy with rule, and returns a logged-out client connected
// to it through DialIMAP with the given stall timeout.
func stallingIMAP(t *testing.T, size int, rule stalltest.Rule, stall time.Duration) (*imapclient.Client, *Conn, *stalltest.Proxy, []byte) {
	t.Helper()
	srv := stalltest.StartIMAP(t, stallUser, stallPass)
	msg := testMessage(size)
	if _, err := srv.User.Append("INBOX", bytes.NewReader(msg), &imap.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
	p := stalltest.Start(t, srv.Addr, rule)
	conn, _, err := DialIMAP(context.Background(), stalltest.Host, p.Port, SecurityTLS, Policy{RootCAs: p.Roots, StallTimeout: stall})
	if err != nil {
		t.Fatal(err)
	}
	c := imapclient.New(conn, nil)
	t.Cleanup(func() {
		c.Close()
		waitClosed(t, c)
	})
	return c, conn, p, msg
}

// testMessage is a message of about size bytes.
func testMessage(size int) []byte {
	var b bytes.Buffer
	b.WriteString("From: bob@example.test\r\nTo: alice@example.test\r\nSubject: big\r\n\r\n")
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, "line %06d of a message that arrives slowly or not at all\r\n", i)
	}
	return b.Bytes()
}

// fetchBody logs in, selects INBOX and fetches message 1's body.
func fetchBody(c *imapclient.Client) ([]byte, error) {
	if err := c.Login(stallUser, stallPass).Wait(); err != nil {
		return nil, err
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		return nil, err
	}
	section := &imap.FetchItemBodySection{Peek: true}
	msgs, err := c.Fetch(imap.UIDSetNum(1), &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{section}}).Collect()
	if err != nil {
		return nil, err
	}
	if len(msgs) != 1 {
		return nil, fmt.Errorf("fetched %d messages, want 1", len(msgs))
	}
	return msgs[0].FindBodySection(section), nil
}

// assertStalled checks that err and conn tell of a stall of the IMAP
// server at addr.
func assertStalled(t *testing.T, err error, conn *Conn, addr string) {
	t.Helper()
	if err == nil {
		t.Fatal("the exchange succeeded, want a stall")
	}
	if !strings.Contains(err.Error(), "stopped responding") {
		t.Errorf("error = %q, want it to say the server stopped responding", err)
	}
	stalled := conn.Stalled()
	if !errors.Is(stalled, ErrServerStalled) {
		t.Fatalf("Stalled() = %v, want ErrServerStalled", stalled)
	}
	se, ok := errors.AsType[*StallError](stalled)
	if !ok || se.Server != "IMAP server "+addr || se.Sending {
		t.Errorf("Stalled() = %#v, want a receiving stall of IMAP server %s", stalled, addr)
	}
	if ne, ok := errors.AsType[net.Error](stalled); !ok || !ne.Timeout() {
		t.Errorf("Stalled() = %v, want a net.Error timeout", stalled)
	}
}

// TestStalledIMAPServerFails: a server that stops answering, before a reply
// or in its middle, fails the command with ErrServerStalled after the stall
// timeout instead of hanging; the connection and go-imap's reader end.
func TestStalledIMAPServerFails(t *testing.T) {
	tests := []struct {
		name string
		rule stalltest.Rule
	}{
		{"during login", stalltest.Rule{After: " LOGIN "}},
		{"before the first byte of a reply", stalltest.Rule{After: " FETCH "}},
		{"in the middle of a reply", stalltest.Rule{After: " FETCH ", Pass: 5}},
		{"in the middle of a literal", stalltest.Rule{After: " FETCH ", Pass: 2000}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, conn, p, _ := stallingIMAP(t, 16<<10, tt.rule, time.Second)
			got := within(t, "fetch", func() error {
				_, err := fetchBody(c)
				return err
			})
			select {
			case <-p.Stalled():
			default:
				t.Fatalf("the proxy never stalled; the exchange ended with %v", got)
			}
			assertStalled(t, got, conn, p.Addr())
			waitClosed(t, c)
		})
	}
}

// TestSlowLiteralDoesNotStall: a reply that keeps arriving, a chunk at a
// time, takes several stall timeouts in all and still succeeds: every byte
// restarts the clock (go-imap's own fixed limits are replaced too).
func TestSlowLiteralDoesNotStall(t *testing.T) {
	const stall = time.Second
	rule := stalltest.Rule{After: " FETCH ", Chunk: 4 << 10, Every: 100 * time.Millisecond}
	// 96 KiB in 4 KiB chunks every 100 ms: about 2.4 s, more than twice the stall timeout.
	c, conn, p, msg := stallingIMAP(t, 96<<10, rule, stall)
	type result struct {
		body []byte
		err  error
	}
	start := time.Now()
	r := within(t, "fetch", func() result {
		b, err := fetchBody(c)
		return result{b, err}
	})
	if r.err != nil {
		t.Fatalf("slow fetch failed: %v (Stalled() = %v)", r.err, conn.Stalled())
	}
	if !bytes.Equal(r.body, msg) {
		t.Fatalf("fetched %d bytes, want the %d of the message", len(r.body), len(msg))
	}
	select {
	case <-p.Stalled():
	default:
		t.Fatal("the proxy never slowed down")
	}
	if took := time.Since(start); took < 2*stall {
		t.Fatalf("the transfer took %v, less than two stall timeouts: the test proves nothing", took)
	}
}

// rawServer is a TLS server on loopback that runs handle on its only
// connection once the handshake is done; stop is closed when the test
// ends, and the test waits for handle to return.
func rawServer(t testing.TB, handle func(c *tls.Conn, stop <-chan struct{})) (port int, pol Policy) {
	t.Helper()
	cert, pool := testcert.SelfSigned(t, stalltest.Host)
	ln, err := net.Listen("tcp", stalltest.Host+":0")
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		tc := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
		defer tc.Close()
		if tc.Handshake() == nil {
			handle(tc, stop)
		}
	})
	t.Cleanup(func() {
		close(stop)
		ln.Close()
		wg.Wait()
	})
	return ln.Addr().(*net.TCPAddr).Port, Policy{RootCAs: pool}
}

// TestIdleConnectionWaits: a connection marked Idle waits for a late
// message from the server however long it takes; a busy one fails after
// the stall timeout, and so does an idle one whose client is inside a reply
// (a read deadline is set: the guard replaces its time with its own rule)
// or has sent something (the server owes a reply).
func TestIdleConnectionWaits(t *testing.T) {
	const stall = 400 * time.Millisecond
	const late = 5 * stall
	tests := []struct {
		name      string
		mark      func(c *Conn)
		wantStall bool
	}{
		{"idle", func(c *Conn) { c.Idle() }, false},
		{"busy", func(c *Conn) { c.Idle(); c.Busy() }, true},
		{"idle inside a reply", func(c *Conn) { c.Idle(); _ = c.SetReadDeadline(time.Now().Add(time.Hour)) }, true},
		{"idle after a write", func(c *Conn) {
			c.Idle()
			if _, err := c.Write([]byte("DONE\r\n")); err != nil {
				t.Error(err)
			}
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			port, pol := rawServer(t, func(c *tls.Conn, stop <-chan struct{}) {
				t := time.NewTimer(late) // the server's own slowness
				defer t.Stop()
				select {
				case <-t.C:
					_, _ = c.Write([]byte("late\n"))
				case <-stop:
				}
			})
			pol.StallTimeout = stall
			conn, _, err := DialIMAP(context.Background(), stalltest.Host, port, SecurityTLS, pol)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			tt.mark(conn)
			got := within(t, "read", func() error {
				_, err := io.ReadFull(conn, make([]byte, 5))
				return err
			})
			if tt.wantStall {
				if !errors.Is(got, ErrServerStalled) || !errors.Is(conn.Stalled(), ErrServerStalled) {
					t.Fatalf("read error = %v, Stalled() = %v; want ErrServerStalled", got, conn.Stalled())
				}
				if _, err := conn.Write([]byte("more\n")); !errors.Is(err, ErrServerStalled) {
					t.Errorf("write after the stall = %v, want ErrServerStalled", err)
				}
				return
			}
			if got != nil || conn.Stalled() != nil {
				t.Fatalf("read error = %v, Stalled() = %v; want the late message", got, conn.Stalled())
			}
		})
	}
}

// TestWriteStall: a server that stops reading fails a write with a sending
// ErrServerStalled once the buffers are full, instead of blocking forever.
func TestWriteStall(t *testing.T) {
	port, pol := rawServer(t, func(_ *tls.Conn, stop <-chan struct{}) { <-stop })
	pol.StallTimeout = 500 * time.Millisecond
	conn, _, err := DialSMTP(context.Background(), stalltest.Host, port, SecurityTLS, pol, "")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	data := make([]byte, 64<<20)
	err = within(t, "write", func() error {
		_, err := conn.Write(data)
		return err
	})
	se, ok := errors.AsType[*StallError](err)
	if !ok || !se.Sending || !errors.Is(err, ErrServerStalled) {
		t.Fatalf("write error = %v, want a sending ErrServerStalled", err)
	}
	if !strings.Contains(err.Error(), "SMTP server "+stalltest.Host) || !strings.Contains(err.Error(), "accepted no data") {
		t.Errorf("error = %q, want it to name the SMTP server and say it accepted no data", err)
	}
}

// TestSlowReaderDoesNotStall: one large write to a server that reads slowly
// but steadily succeeds although it takes longer than the stall timeout:
// the guard's deadline covers one chunk, not the whole buffer.
func TestSlowReaderDoesNotStall(t *testing.T) {
	const stall = time.Second
	const size = 16 << 20 // far more than the socket buffers hold
	got := make(chan int, 1)
	port, pol := rawServer(t, func(c *tls.Conn, stop <-chan struct{}) {
		tick := time.NewTicker(100 * time.Millisecond) // 512 KiB every 100 ms: about 3 s in all
		defer tick.Stop()
		total := 0
		buf := make([]byte, 512<<10)
		for total < size {
			select {
			case <-tick.C:
			case <-stop:
				return
			}
			n, err := io.ReadFull(c, buf[:min(len(buf), size-total)])
			total += n
			if err != nil {
				break
			}
		}
		got <- total
	})
	pol.StallTimeout = stall
	conn, _, err := DialSMTP(context.Background(), stalltest.Host, port, SecurityTLS, pol, "")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	if err := within(t, "write", func() error {
		_, err := conn.Write(make([]byte, size))
		return err
	}); err != nil {
		t.Fatalf("slow write failed: %v", err)
	}
	if took := time.Since(start); took < stall {
		t.Fatalf("the write took %v, less than the stall timeout: the test proves nothing", took)
	}
	if n := within(t, "server", func() int { return <-got }); n != size {
		t.Fatalf("the server read %d bytes, want %d", n, size)
	}
}
