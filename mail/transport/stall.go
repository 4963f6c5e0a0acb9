package transport

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// DefaultStallTimeout is how long a connection waits for a server that
// sends nothing before it gives up, when Policy.StallTimeout is zero.
const DefaultStallTimeout = 60 * time.Second

// ErrServerStalled means the server stopped responding: while Sealpost
// waited for it, nothing arrived (or nothing could be sent) for the stall
// timeout, so the connection was closed. Errors that wrap it are
// *StallError values.
var ErrServerStalled = errors.New("the server stopped responding")

// StallError is the error of a connection that its stall guard closed. It
// wraps ErrServerStalled and is a net.Error whose Timeout is true.
type StallError struct {
	// Server names the protocol and the address, such as
	// "IMAP server imap.example.com:993".
	Server string
	// Silence is the stall timeout that passed without progress.
	Silence time.Duration
	// Sending is true when the server stopped accepting what Sealpost
	// sent, false when it stopped sending.
	Sending bool
}

// Error says which server stopped, for how long, and what the user can do.
func (e *StallError) Error() string {
	what := "nothing arrived"
	if e.Sending {
		what = "it accepted no data"
	}
	return fmt.Sprintf("%s stopped responding: %s for %s, so the connection was closed; check the network connection or try again later",
		e.Server, what, seconds(e.Silence))
}

// Unwrap returns ErrServerStalled.
func (e *StallError) Unwrap() error { return ErrServerStalled }

// Timeout reports true: a stall is a timeout (net.Error).
func (e *StallError) Timeout() bool { return true }

// Temporary reports true: the same exchange may succeed later (net.Error).
func (e *StallError) Temporary() bool { return true }

// seconds formats d for people: "60 s", "1.5 s", or "250ms" below a second.
func seconds(d time.Duration) string {
	if d < time.Second {
		return d.String()
	}
	return fmt.Sprintf("%g s", d.Round(100*time.Millisecond).Seconds())
}

// Conn is a connection returned by DialIMAP or DialSMTP: TLS with a stall
// guard. Its owner says when it waits for the server (Busy) and when the
// server owes it nothing (Idle); a new Conn is busy, because the server's
// greeting is due.
//
// The guard's rule: while the owner is busy, while the protocol client is
// in the middle of a reply, or after something was sent on an idle
// connection (an IMAP DONE or IDLE: the server owes a reply) until a reply
// begins, a read fails once StallTimeout passed without a byte received or
// sent; a write fails once StallTimeout passed without any of its bytes
// moving, busy or not. Either way the guard closes the connection and
// the call fails with a *StallError (ErrServerStalled), which Stalled also
// returns afterwards: go-imap, for one, reports read errors as text only.
// Every byte that moves restarts the clock, so a large transfer that keeps
// progressing never stalls, however long it takes. That includes the bytes
// still in the socket's send buffer after the last write, which a server
// on a slow link may take a long time to acknowledge before it can answer,
// and the bytes that leave a full send buffer while a write waits for room:
// on Linux and macOS, the guard asks the kernel before it calls a silence
// a stall, and a send queue that shrank (or, for a write, changed) counts
// as progress.
//
// Deadlines set by the protocol client only tell the guard whether the
// client is inside a reply (a read deadline is set) or between replies (it
// is cleared); their times are replaced by the guard's rule, because
// go-imap's and go-smtp's fixed limits would end slow but progressing
// transfers, and go-imap sets none while it waits for the first byte of a
// reply.
type Conn struct {
	net.Conn // the TLS connection that Read and Write use

	tls    *tls.Conn
	raw    syscall.RawConn // the TCP socket, to ask for its send queue; may be nil
	server string
	stall  time.Duration

	mu      sync.Mutex
	busy    bool        // the owner waits for the server
	inReply bool        // the client has a read deadline: it is inside a reply
	owed    bool        // sent while idle, and nothing received since
	queued  int         // the send queue after the last write, -1 if unknown or read since
	since   time.Time   // when the current silence began
	err     *StallError // set once the guard closed the connection
}

func newConn(conn net.Conn, tc *tls.Conn, raw net.Conn, server string, stall time.Duration) *Conn {
	c := &Conn{Conn: conn, tls: tc, server: server, stall: stall, busy: true, since: time.Now(), queued: -1}
	if sc, ok := raw.(syscall.Conn); ok {
		c.raw, _ = sc.SyscallConn()
	}
	return c
}

// ConnectionState returns the TLS state (see tls.Conn.ConnectionState).
func (c *Conn) ConnectionState() tls.ConnectionState { return c.tls.ConnectionState() }

// Busy says the owner now waits for the server: from now on a silence of
// StallTimeout fails the connection.
func (c *Conn) Busy() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.busy = true
	c.since = time.Now()
	c.armLocked()
}

// Idle says the server owes the owner nothing, as while the connection is
// parked or in IDLE: reads wait for as long as it takes, except inside a
// reply that has begun and after the client sent something. The owner
// keeps a connection in IDLE alive by ending and re-issuing the IDLE
// command from time to time: a dead server then fails to reply.
func (c *Conn) Idle() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.busy, c.owed = false, false
	c.armLocked()
}

// Stalled returns the *StallError if the guard closed the connection
// because the server stopped responding, else nil.
func (c *Conn) Stalled() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		return nil
	}
	return c.err
}

// armLocked sets the read deadline the guard's rule asks for now; it also
// applies to a Read already waiting.
func (c *Conn) armLocked() {
	var d time.Time
	if c.waitingLocked() {
		d = c.since.Add(c.stall)
	}
	_ = c.Conn.SetReadDeadline(d)
}

// waitingLocked reports whether the rule expects the server to make
// progress now.
func (c *Conn) waitingLocked() bool { return c.busy || c.inReply || c.owed }

// Read reads like the TLS connection's Read, under the guard's rule.
func (c *Conn) Read(b []byte) (int, error) {
	for {
		c.mu.Lock()
		if c.err != nil {
			c.mu.Unlock()
			return 0, c.err
		}
		c.armLocked()
		c.mu.Unlock()

		n, err := c.Conn.Read(b)
		if n > 0 {
			c.progress(false)
			return n, err
		}
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			if serr := c.Stalled(); serr != nil && err != nil {
				return 0, serr // a stalled write closed the connection
			}
			return n, err
		}
		if serr := c.check(); serr != nil {
			return 0, serr
		}
		// The deadline was one the rule no longer asks for (the owner
		// became busy or idle meanwhile): wait on.
	}
}

// writeChunk is the most that one write to the TLS connection carries: a
// large buffer goes out in chunks, each of which restarts the clock once it
// is taken, so that a transfer that progresses never stalls, however long
// it takes in all.
const writeChunk = 64 << 10

// Write writes like the TLS connection's Write; it fails with a
// *StallError once StallTimeout passes without any of b moving, into the
// socket or (where the kernel tells) out of its send queue.
func (c *Conn) Write(b []byte) (int, error) {
	written := 0
	for {
		if err := c.Stalled(); err != nil {
			return written, err
		}
		k := min(len(b), writeChunk)
		stop := c.watchSend()
		n, err := c.Conn.Write(b[:k])
		stop()
		written += n
		if n > 0 {
			c.progress(true)
		}
		if err != nil {
			if serr := c.Stalled(); serr != nil {
				return written, serr // a stall closed the connection
			}
			return written, err
		}
		b = b[k:]
		if len(b) == 0 {
			return written, nil
		}
	}
}

// sendLooks is how many times per StallTimeout a waiting write looks at the
// send queue.
const sendLooks = 8

// watchSend starts the clock of a write that may wait for room in the
// socket's send buffer, and returns the function that stops it. A write is
// not given a deadline: a timed-out TLS write leaves the connection
// unusable, and the kernel lets a waiting writer in only once a good part
// of a full buffer has drained, which on a slow link can take longer than
// StallTimeout while bytes leave all along. Instead, the send queue is
// looked at from time to time, and any change in it (bytes acknowledged,
// or taken in from the write) restarts the clock; once StallTimeout passed
// without one, the guard closes the connection, which ends the write.
// Where the kernel does not tell the queue, only a chunk taken restarts it.
func (c *Conn) watchSend() (stop func()) {
	var (
		mu    sync.Mutex
		done  bool
		timer *time.Timer
	)
	last, since := c.unsent(), time.Now()
	look := func() {
		mu.Lock()
		defer mu.Unlock()
		if done {
			return
		}
		if q := c.unsent(); q >= 0 && q != last {
			last, since = q, time.Now()
			// Bytes moved: progress for a Read waiting meanwhile too.
			c.mu.Lock()
			c.since, c.queued = since, q
			c.mu.Unlock()
		} else if time.Since(since) >= c.stall {
			done = true
			_ = c.fail(true)
			return
		}
		timer.Reset(c.stall / sendLooks)
	}
	mu.Lock()
	timer = time.AfterFunc(c.stall/sendLooks, look)
	mu.Unlock()
	return func() {
		mu.Lock()
		done = true
		mu.Unlock()
		timer.Stop()
	}
}

// unsent returns the socket's send queue, or -1 if unknown.
func (c *Conn) unsent() int {
	if c.raw == nil {
		return -1
	}
	return unsent(c.raw)
}

// progress restarts the silence clock after bytes were sent or received;
// what is sent is owed a reply, and the send queue is noted so that check
// can tell whether the server is still taking it in.
func (c *Conn) progress(sent bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.since = time.Now()
	c.owed = sent
	c.queued = -1
	if sent {
		c.queued = c.unsent()
		c.armLocked() // for a Read waiting meanwhile; after a read, the next Read arms
	}
}

// check fails the connection if the rule's deadline has passed; it returns
// nil if it has not (the deadline that fired is outdated).
func (c *Conn) check() error {
	c.mu.Lock()
	expired := c.err == nil && c.waitingLocked() && !time.Now().Before(c.since.Add(c.stall))
	if expired {
		// Data still on its way to the server, and less than before, is
		// progress: the server cannot answer before it has it all.
		if q := c.unsent(); q >= 0 && q < c.queued {
			c.since, c.queued, expired = time.Now(), q, false
		}
	}
	c.mu.Unlock()
	if !expired {
		return c.Stalled()
	}
	return c.fail(false)
}

// fail records the stall, closes the connection and returns the error.
func (c *Conn) fail(sending bool) error {
	c.mu.Lock()
	if c.err == nil {
		c.err = &StallError{Server: c.server, Silence: c.stall, Sending: sending}
	}
	err := c.err
	c.mu.Unlock()
	_ = c.Conn.Close()
	return err
}

// SetDeadline records whether the protocol client is inside a reply (see
// SetReadDeadline); writes are timed by the guard alone (see Write).
func (c *Conn) SetDeadline(t time.Time) error { return c.SetReadDeadline(t) }

// SetReadDeadline records whether the protocol client is inside a reply: a
// deadline means it is, the zero time that it is between replies. The time
// itself is replaced by the guard's rule.
func (c *Conn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inReply = !t.IsZero()
	c.armLocked()
	return nil
}

// SetWriteDeadline does nothing: the guard times every write itself, by
// the progress of its bytes (see Write).
func (c *Conn) SetWriteDeadline(time.Time) error { return nil }
