package transport

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/sealpost/sealpost/mail/stalltest"
)

// TestWriteWaitingForRoomDoesNotStall: a write that waits for room in a
// full send buffer does not stall while the server keeps taking bytes,
// although Linux lets the writer in only once about a third of the buffer
// has drained, which here takes longer than the stall timeout: the send
// queue that changes meanwhile is progress. (macOS wakes a writer as soon
// as a little room is free.)
func TestWriteWaitingForRoomDoesNotStall(t *testing.T) {
	const stall = 400 * time.Millisecond
	port, pol := rawServer(t, func(c *tls.Conn, stop <-chan struct{}) {
		// 32 KiB every 20 ms, 1.6 MiB/s: the kernel's send buffer for the
		// client, a few MiB, drains by a third in about a second.
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		buf := make([]byte, 32<<10)
		for {
			select {
			case <-tick.C:
			case <-stop:
				return
			}
			if _, err := io.ReadFull(c, buf); err != nil {
				return
			}
		}
	})
	pol.StallTimeout = stall
	d := &slowestWrite{}
	pol.Dialer = d
	conn, _, err := DialSMTP(context.Background(), stalltest.Host, port, SecurityTLS, pol, "")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := within(t, "write", func() error {
		_, err := conn.Write(make([]byte, 8<<20))
		return err
	}); err != nil {
		t.Fatalf("write to a slow but steady server failed: %v", err)
	}
	if w := d.conn.longest(); w <= stall {
		t.Fatalf("no write to the socket waited longer than the stall timeout (the longest %v): the test proves nothing", w)
	}
}

// slowestWrite dials TCP and keeps the connection, which times its writes.
type slowestWrite struct {
	conn *writeTimer
}

func (d *slowestWrite) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	d.conn = &writeTimer{TCPConn: c.(*net.TCPConn)}
	return d.conn, nil
}

// writeTimer notes how long its slowest write took. It remains a
// syscall.Conn, so the stall guard can still ask for the send queue.
type writeTimer struct {
	*net.TCPConn

	mu      sync.Mutex
	slowest time.Duration
}

func (c *writeTimer) Write(b []byte) (int, error) {
	start := time.Now()
	n, err := c.TCPConn.Write(b)
	c.mu.Lock()
	c.slowest = max(c.slowest, time.Since(start))
	c.mu.Unlock()
	return n, err
}

func (c *writeTimer) longest() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.slowest
}
