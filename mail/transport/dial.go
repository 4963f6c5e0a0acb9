package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// defaultDialTimeout bounds the connection setup when Policy.DialTimeout is
// zero.
const defaultDialTimeout = 30 * time.Second

// DialIMAP connects to an IMAP server and returns a connection that is
// authenticated by TLS, together with what was verified. No credential is
// sent by this function, and none can be sent on a connection it refuses.
//
// With SecurityTLS the handshake starts at once and the server's greeting is
// left unread for the client. With SecurityStartTLS, DialIMAP reads the
// cleartext greeting, sends CAPABILITY, requires STARTTLS among the
// capabilities (else ErrNoStartTLS, and nothing more is sent), sends STARTTLS,
// reads the tagged OK byte by byte and completes the handshake; cleartext
// that follows the OK fails with ErrSTARTTLSInjection. Everything learnt in
// cleartext is discarded: the returned connection starts with a synthetic
// "* OK" greeting without capabilities, so an imapclient.Client built on it
// with imapclient.New asks for the capabilities again, over TLS. A server
// that greets with PREAUTH before STARTTLS is refused.
//
// The TLS handshake offers the ALPN protocol "imap" (RFC 9051), which
// servers without ALPN ignore. ctx and Policy.DialTimeout bound the whole
// setup; cancelling ctx closes the connection. After that, the returned
// connection's stall guard bounds every wait for the server (see Conn): the
// owner marks it Idle while the connection is parked or in IDLE.
func DialIMAP(ctx context.Context, host string, port int, sec Security, p Policy) (*Conn, ConnState, error) {
	return dial(ctx, host, port, sec, p, protocol{
		name:       "IMAP",
		nextProtos: []string{"imap"},
		startTLS:   imapStartTLS,
		greeting:   "* OK TLS established, capabilities must be requested again\r\n",
	})
}

// DialSMTP connects to an SMTP submission server and returns a connection
// that is authenticated by TLS, together with what was verified. No
// credential is sent by this function, and none can be sent on a connection
// it refuses.
//
// With SecurityTLS the handshake starts at once and the server's 220 greeting
// is left unread for the client. With SecurityStartTLS, DialSMTP reads the
// cleartext 220 greeting, sends "EHLO heloName" (heloName "" means
// "localhost"), requires STARTTLS in the reply (else ErrNoStartTLS, and
// nothing more is sent), sends STARTTLS, reads the 220 reply byte by byte and
// completes the handshake; cleartext that follows the 220 fails with
// ErrSTARTTLSInjection. The returned connection starts with a synthetic 220
// greeting, so a client from smtp.NewClient reads it and then sends EHLO
// again, over TLS (call Client.Hello(heloName) first to choose the name).
//
// ctx and Policy.DialTimeout bound the whole setup; cancelling ctx closes the
// connection. After that, the returned connection's stall guard bounds every
// wait for the server (see Conn); SMTP is request and reply, so it stays busy.
func DialSMTP(ctx context.Context, host string, port int, sec Security, p Policy, heloName string) (*Conn, ConnState, error) {
	if heloName == "" {
		heloName = "localhost"
	}
	if err := checkName(heloName); err != nil {
		return nil, ConnState{}, fmt.Errorf("SMTP HELO name %q: %w", heloName, err)
	}
	return dial(ctx, host, port, sec, p, protocol{
		name: "SMTP",
		startTLS: func(conn net.Conn) error {
			return smtpStartTLS(conn, heloName)
		},
		greeting: "220 " + host + " TLS established, EHLO must be sent again\r\n",
	})
}

// protocol is what differs between IMAP and SMTP.
type protocol struct {
	name       string
	nextProtos []string
	// startTLS runs the cleartext part of STARTTLS on conn, up to and
	// including the server's go-ahead, reading no byte past it.
	startTLS func(conn net.Conn) error
	// greeting is replayed to the client after a STARTTLS handshake.
	greeting string
}

func dial(ctx context.Context, host string, port int, sec Security, p Policy, proto protocol) (*Conn, ConnState, error) {
	sec, err := ParseSecurity(string(sec))
	if err != nil {
		return nil, ConnState{}, fmt.Errorf("%s server %s: %w", proto.name, host, err)
	}
	if err := checkName(host); err != nil {
		return nil, ConnState{}, fmt.Errorf("%s server host %q: %w", proto.name, host, err)
	}
	if port < 1 || port > 65535 {
		return nil, ConnState{}, fmt.Errorf("%s server port %d: out of range 1 to 65535", proto.name, port)
	}
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	v, err := newVerifier(host, port, p)
	if err != nil {
		return nil, ConnState{}, fmt.Errorf("%s server %s: %w", proto.name, addr, err)
	}

	timeout := p.DialTimeout
	if timeout <= 0 {
		timeout = defaultDialTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	var d Dialer = p.Dialer
	if d == nil {
		d = &net.Dialer{}
	}
	raw, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, ConnState{}, fmt.Errorf("connecting to %s server %s: %w", proto.name, addr, err)
	}
	conn, tc, err := negotiate(ctx, raw, sec, v, proto)
	if err != nil {
		raw.Close()
		if _, ok := errors.AsType[*CertificateError](err); ok {
			return nil, ConnState{}, err // it names host and port itself
		}
		// The connection's deadline is ctx's, so a timeout is ctx's too,
		// even if ctx's own timer has not fired yet.
		ctxErr := ctx.Err()
		if ctxErr == nil && errors.Is(err, os.ErrDeadlineExceeded) {
			ctxErr = context.DeadlineExceeded
		}
		if ctxErr != nil && !errors.Is(err, ctxErr) {
			err = fmt.Errorf("connection setup stopped: %w (%w)", ctxErr, err)
		}
		return nil, ConnState{}, fmt.Errorf("%s server %s: %w", proto.name, addr, err)
	}
	cs := tc.ConnectionState()
	stall := p.StallTimeout
	if stall <= 0 {
		stall = DefaultStallTimeout
	}
	return newConn(conn, tc, raw, proto.name+" server "+addr, stall), ConnState{
		Version:     tls.VersionName(cs.Version),
		CipherSuite: tls.CipherSuiteName(cs.CipherSuite),
		CertSHA256:  v.sha256,
		Pinned:      v.pinned,
		ServerName:  host,
		Implicit:    sec == SecurityTLS,
	}, nil
}

// negotiate secures raw and returns the connection to use and its TLS
// layer. Cancelling ctx closes raw, which ends any blocked read or write;
// ctx's deadline is also set on raw, and cleared on success.
func negotiate(ctx context.Context, raw net.Conn, sec Security, v *verifier, proto protocol) (net.Conn, *tls.Conn, error) {
	stop := context.AfterFunc(ctx, func() { raw.Close() })
	defer stop()
	if deadline, ok := ctx.Deadline(); ok {
		if err := raw.SetDeadline(deadline); err != nil {
			return nil, nil, fmt.Errorf("setting the connection deadline: %w", err)
		}
	}

	var tc *tls.Conn
	var conn net.Conn
	if sec == SecurityTLS {
		tc = tls.Client(raw, v.tlsConfig(proto.nextProtos))
		conn = tc
	} else {
		if err := proto.startTLS(raw); err != nil {
			return nil, nil, err
		}
		tc = tls.Client(&guardConn{Conn: raw}, v.tlsConfig(proto.nextProtos))
		conn = &greetingConn{Conn: tc, pending: []byte(proto.greeting)}
	}
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, nil, handshakeError(err)
	}
	if !stop() {
		return nil, nil, ctx.Err()
	}
	if err := raw.SetDeadline(time.Time{}); err != nil {
		return nil, nil, fmt.Errorf("clearing the connection deadline: %w", err)
	}
	return conn, tc, nil
}

// alertProtocolVersion is the TLS alert a server sends when it supports none
// of the offered versions.
const alertProtocolVersion tls.AlertError = 70

// handshakeError classifies a failed TLS handshake.
func handshakeError(err error) error {
	if _, ok := errors.AsType[*CertificateError](err); ok {
		return err
	}
	if errors.Is(err, ErrSTARTTLSInjection) || errors.Is(err, ErrUntrustedCertificate) {
		return err
	}
	// crypto/tls reports a peer's alert as a net.OpError "remote error" with
	// an unexported alert value, and a too old ServerHello version with a
	// plain error; neither has a sentinel, so the texts are compared here,
	// and tested against real handshakes.
	if opErr, ok := errors.AsType[*net.OpError](err); ok && opErr.Op == "remote error" &&
		opErr.Err != nil && opErr.Err.Error() == alertProtocolVersion.Error() {
		return fmt.Errorf("%w: %w", ErrTLSVersion, err)
	}
	if strings.Contains(err.Error(), "server selected unsupported protocol version") {
		return fmt.Errorf("%w: %w", ErrTLSVersion, err)
	}
	return fmt.Errorf("TLS handshake failed: %w", err)
}

// TLS record content types that may start a server's handshake.
const (
	recordTypeAlert     = 21
	recordTypeHandshake = 22
)

// guardConn refuses cleartext where the server's first TLS record should
// be. The STARTTLS go-ahead has been read byte by byte, so anything the
// server appended to it arrives here first; crypto/tls would otherwise fail
// with an obscure "first record does not look like a TLS handshake".
// Bytes that do look like a TLS record are left to the handshake, whose
// transcript check rejects anything forged.
type guardConn struct {
	net.Conn
	checked bool // read only by the handshake's reads, under crypto/tls's lock
}

func (g *guardConn) Read(b []byte) (int, error) {
	if g.checked {
		return g.Conn.Read(b)
	}
	n, err := g.Conn.Read(b)
	if n > 0 {
		g.checked = true
		if b[0] != recordTypeHandshake && b[0] != recordTypeAlert {
			return 0, fmt.Errorf("%w: cleartext arrived where the TLS handshake should start", ErrSTARTTLSInjection)
		}
	}
	return n, err
}

// greetingConn is a TLS connection made by STARTTLS that first replays a
// synthetic greeting, so that an IMAP or SMTP client starts on it as on a
// fresh connection and asks for the capabilities again.
type greetingConn struct {
	*tls.Conn

	mu      sync.Mutex
	pending []byte
}

func (c *greetingConn) Read(b []byte) (int, error) {
	c.mu.Lock()
	if len(c.pending) > 0 {
		n := copy(b, c.pending)
		c.pending = c.pending[n:]
		c.mu.Unlock()
		return n, nil
	}
	c.mu.Unlock()
	return c.Conn.Read(b)
}

// checkName accepts a host or HELO name that can go on a protocol line:
// printable ASCII without spaces.
func checkName(s string) error {
	if s == "" {
		return errors.New("empty")
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return fmt.Errorf("character %q not allowed", s[i])
		}
	}
	return nil
}
