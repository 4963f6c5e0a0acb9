//go:build linux || darwin

package submit

import (
	"bytes"
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/sealpost/sealpost/mail/stalltest"
)

// TestSubmitSlowLargeMessage: a large message that the server takes in
// slowly but steadily, for longer than the stall timeout in all, is sent;
// and the wait for the reply does not stall while the end of the message
// still drains from the socket's send buffer (which only Linux and macOS
// report).
func TestSubmitSlowLargeMessage(t *testing.T) {
	const stall = time.Second
	body := bytes.Repeat([]byte("a line of a large message that travels slowly to the server.\r\n"), (768<<10)/63)
	raw := append(testMessage("To: bob@example.net"), body...)
	// 8 KiB every 50 ms, 160 KiB/s: what the send buffer holds after the
	// last write (256 KiB asked for; Linux doubles it, up to a limit)
	// drains for 1.6 s or more, after about a second of sending.
	rule := stalltest.Rule{After: "DATA\r\n", Chunk: 8 << 10, Every: 50 * time.Millisecond, Upload: true}
	d := &timingDialer{sendBuffer: 256 << 10}
	start := time.Now()
	srv, err := submitThrough(t, rule, stall, d, raw)
	if err != nil {
		t.Fatalf("Submit = %v, want the message sent", err)
	}
	if took := time.Since(start); took < 2*stall {
		t.Fatalf("the submission took %v, less than two stall timeouts: the test proves nothing", took)
	}
	if wait := d.conn.longestWait(); wait <= stall {
		t.Fatalf("the longest wait for the server after a write was %v, not more than the stall timeout: the test proves nothing about the wait while the message's end drains", wait)
	}
	if got := srv.Received(); len(got) != 1 || len(got[0]) < len(body) {
		t.Fatalf("the server received %d messages, want the large one", len(got))
	}
}

// timingDialer dials TCP with a send buffer of a known size, so that how
// long the end of a message waits in it depends on the pace alone, not on
// the kernel's tuning; it keeps the connection to time the waits.
type timingDialer struct {
	sendBuffer int
	conn       *timedConn
}

func (d *timingDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	tcp := c.(*net.TCPConn)
	if err := tcp.SetWriteBuffer(d.sendBuffer); err != nil {
		c.Close()
		return nil, err
	}
	d.conn = &timedConn{TCPConn: tcp}
	return d.conn, nil
}

// timedConn notes the longest time from a write to the next bytes read:
// the wait for a reply, which for the reply to a message's end includes
// the time its last bytes took to leave the send buffer. It remains a
// syscall.Conn, so the stall guard can still ask for the send queue.
type timedConn struct {
	*net.TCPConn

	mu      sync.Mutex
	wrote   time.Time // the last write with no read since; zero if none
	longest time.Duration
}

func (c *timedConn) Write(b []byte) (int, error) {
	n, err := c.TCPConn.Write(b)
	c.mu.Lock()
	c.wrote = time.Now()
	c.mu.Unlock()
	return n, err
}

func (c *timedConn) Read(b []byte) (int, error) {
	n, err := c.TCPConn.Read(b)
	if n > 0 {
		c.mu.Lock()
		if !c.wrote.IsZero() {
			c.longest = max(c.longest, time.Since(c.wrote))
			c.wrote = time.Time{}
		}
		c.mu.Unlock()
	}
	return n, err
}

func (c *timedConn) longestWait() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.longest
}
