package transport

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"testing"
	"time"
)

const heloName = "client.example.test"

// dialStartTLS dials the IMAP or the SMTP variant with STARTTLS.
func dialStartTLS(smtp bool, p Policy) (net.Conn, ConnState, error) {
	if smtp {
		return DialSMTP(context.Background(), testHost, 587, SecurityStartTLS, p, heloName)
	}
	return DialIMAP(context.Background(), testHost, 143, SecurityStartTLS, p)
}

func protoName(smtp bool) string {
	if smtp {
		return "SMTP"
	}
	return "IMAP"
}

// TestSTARTTLSRefusals covers servers that do not let the connection be
// secured: each is refused, and the server received nothing but the
// commands listed (never a credential).
func TestSTARTTLSRefusals(t *testing.T) {
	pki := newPKI(t)
	tests := []struct {
		name     string
		server   *fakeServer
		wantErr  error // nil: any error
		wantText string
		wantRecv []string
	}{
		{name: "IMAP without STARTTLS", server: &fakeServer{},
			wantErr: ErrNoStartTLS, wantRecv: []string{"A1 CAPABILITY"}},
		{name: "IMAP STARTTLS only in the greeting", server: &fakeServer{greeting: "* OK [CAPABILITY IMAP4rev1 STARTTLS] hi\r\n"},
			wantErr: ErrNoStartTLS, wantRecv: []string{"A1 CAPABILITY"}},
		{name: "IMAP STARTTLS in the tagged OK", server: &fakeServer{startTLS: true, tlsConfig: serverConfig(pki.leaf, pki.intermediate),
			replies: map[string]string{"CAPABILITY": "TAG OK [CAPABILITY IMAP4rev1 STARTTLS] done\r\n"}},
			wantRecv: []string{"A1 CAPABILITY", "A2 STARTTLS"}},
		{name: "IMAP STARTTLS refused", server: &fakeServer{startTLS: true, replies: map[string]string{"STARTTLS": "TAG NO not now\r\n"}},
			wantErr: ErrNoStartTLS, wantText: `"A2 NO not now"`, wantRecv: []string{"A1 CAPABILITY", "A2 STARTTLS"}},
		{name: "IMAP untagged reply to STARTTLS", server: &fakeServer{startTLS: true, replies: map[string]string{"STARTTLS": "* OK whatever\r\nTAG OK go\r\n"}},
			wantText: "unexpected reply to STARTTLS", wantRecv: []string{"A1 CAPABILITY", "A2 STARTTLS"}},
		{name: "IMAP PREAUTH greeting", server: &fakeServer{startTLS: true, greeting: "* PREAUTH logged in\r\n"},
			wantText: "PREAUTH", wantRecv: nil},
		{name: "IMAP BYE greeting", server: &fakeServer{greeting: "* BYE too busy\r\n"},
			wantText: `"* BYE too busy"`, wantRecv: nil},
		{name: "IMAP CAPABILITY rejected", server: &fakeServer{replies: map[string]string{"CAPABILITY": "TAG BAD no\r\n"}},
			wantText: "rejected CAPABILITY", wantRecv: []string{"A1 CAPABILITY"}},
		{name: "IMAP literal in capabilities", server: &fakeServer{replies: map[string]string{"CAPABILITY": "* CAPABILITY {8}\r\nSTARTTLS\r\nTAG OK\r\n"}},
			wantText: "literal", wantRecv: []string{"A1 CAPABILITY"}},
		{name: "SMTP without STARTTLS", server: &fakeServer{smtp: true},
			wantErr: ErrNoStartTLS, wantRecv: []string{"EHLO " + heloName}},
		{name: "SMTP STARTTLS in the EHLO domain only", server: &fakeServer{smtp: true, replies: map[string]string{"EHLO": "250-STARTTLS\r\n250 8BITMIME\r\n"}},
			wantErr: ErrNoStartTLS, wantRecv: []string{"EHLO " + heloName}},
		{name: "SMTP EHLO rejected", server: &fakeServer{smtp: true, replies: map[string]string{"EHLO": "502 5.5.1 no EHLO\r\n"}},
			wantErr: ErrNoStartTLS, wantText: "502", wantRecv: []string{"EHLO " + heloName}},
		{name: "SMTP STARTTLS refused", server: &fakeServer{smtp: true, startTLS: true, replies: map[string]string{"STARTTLS": "454 4.7.0 TLS not available\r\n"}},
			wantErr: ErrNoStartTLS, wantText: "454", wantRecv: []string{"EHLO " + heloName, "STARTTLS"}},
		{name: "SMTP greeting refused", server: &fakeServer{smtp: true, greeting: "554 5.3.2 go away\r\n"},
			wantText: "554", wantRecv: nil},
		{name: "SMTP garbage greeting", server: &fakeServer{smtp: true, greeting: "* OK this is IMAP\r\n"},
			wantText: "malformed SMTP reply", wantRecv: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.server
			d := s.start(t)
			conn, _, err := dialStartTLS(s.smtp, Policy{RootCAs: pki.roots(), Dialer: d})
			if tt.wantErr == nil && tt.wantText == "" {
				// The positive control: the same script, but secure.
				if err != nil {
					t.Fatalf("dial error = %v, want nil", err)
				}
				conn.Close()
			} else {
				if err == nil {
					conn.Close()
					t.Fatal("dial succeeded, want an error")
				}
				if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
					t.Errorf("error = %v, want %v", err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.wantText) {
					t.Errorf("error = %q, want it to contain %q", err, tt.wantText)
				}
			}
			got := s.lines()
			if !slices.Equal(got, tt.wantRecv) {
				t.Errorf("server received %q, want %q", got, tt.wantRecv)
			}
			if sentCredentials(got) {
				t.Errorf("server received credentials: %q", got)
			}
		})
	}
}

// TestSTARTTLSInjection is the STARTTLS response-injection attack: the
// server (or a man in the middle) appends cleartext to its STARTTLS
// go-ahead, hoping the client takes it as a reply sent over TLS.
func TestSTARTTLSInjection(t *testing.T) {
	pki := newPKI(t)
	tests := []struct {
		name        string
		smtp        bool
		inject      string
		injectLater string
		forgedTLS   bool
	}{
		{name: "IMAP capabilities in the same write", inject: "* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n"},
		{name: "IMAP tagged reply in the same write", inject: "A3 OK LOGIN completed\r\n"},
		{name: "IMAP in a second write", injectLater: "* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n"},
		{name: "IMAP a single byte", inject: "*"},
		{name: "SMTP EHLO reply in the same write", smtp: true, inject: "250-evil.example.test\r\n250 AUTH PLAIN\r\n"},
		{name: "SMTP in a second write", smtp: true, injectLater: "250 AUTH PLAIN\r\n"},
		// Bytes shaped like a TLS record pass the cleartext check and are
		// rejected by the handshake itself.
		{name: "IMAP forged TLS record", inject: "\x16\x03\x03\x00\x04\x02\x00\x00\x00", forgedTLS: true},
		{name: "SMTP forged TLS record", smtp: true, inject: "\x16\x03\x03\x00\x04\x02\x00\x00\x00", forgedTLS: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &fakeServer{smtp: tt.smtp, startTLS: true, inject: tt.inject, injectLater: tt.injectLater,
				tlsConfig: serverConfig(pki.leaf, pki.intermediate)}
			d := s.start(t)
			conn, _, err := dialStartTLS(tt.smtp, Policy{RootCAs: pki.roots(), Dialer: d})
			if err == nil {
				conn.Close()
				t.Fatal("dial succeeded, want it refused")
			}
			if tt.forgedTLS {
				if !strings.Contains(err.Error(), "TLS handshake failed") {
					t.Errorf("error = %v, want a failed TLS handshake", err)
				}
			} else {
				if !errors.Is(err, ErrSTARTTLSInjection) {
					t.Errorf("error = %v, want ErrSTARTTLSInjection", err)
				}
				if !strings.Contains(err.Error(), "possible injection attack") {
					t.Errorf("error = %q, want it to explain the injection", err)
				}
			}
			want := []string{"A1 CAPABILITY", "A2 STARTTLS"}
			if tt.smtp {
				want = []string{"EHLO " + heloName, "STARTTLS"}
			}
			if got := s.lines(); !slices.Equal(got, want) {
				t.Errorf("server received %q, want %q", got, want)
			}
			if err := <-s.handshakeErr; err == nil {
				t.Error("server-side handshake succeeded, want it to fail")
			}
		})
	}
}

// TestSTARTTLSStartsFresh checks the connection handed to the caller: it
// begins with a synthetic greeting, nothing from the cleartext phase
// survives, and the next command travels over TLS.
func TestSTARTTLSStartsFresh(t *testing.T) {
	pki := newPKI(t)
	for _, smtp := range []bool{false, true} {
		t.Run(protoName(smtp), func(t *testing.T) {
			s := &fakeServer{smtp: smtp, startTLS: true, tlsConfig: serverConfig(pki.leaf, pki.intermediate)}
			d := s.start(t)
			conn, st, err := dialStartTLS(smtp, Policy{RootCAs: pki.roots(), Dialer: d})
			if err != nil {
				t.Fatalf("dial error = %v, want nil", err)
			}
			if err := <-s.handshakeErr; err != nil {
				t.Fatalf("server-side handshake error = %v, want nil", err)
			}
			wantGreeting := "* OK TLS established, capabilities must be requested again\r\n"
			cmd, wantReply := "X1 NOOP", "X1 OK noop\r\n"
			if smtp {
				wantGreeting = "220 " + testHost + " TLS established, EHLO must be sent again\r\n"
				cmd, wantReply = "NOOP", "250 2.0.0 ok\r\n"
			}
			br := bufio.NewReader(conn)
			if got, err := br.ReadString('\n'); got != wantGreeting || err != nil {
				t.Errorf("first line = %q, %v, want %q", got, err, wantGreeting)
			}
			fmt.Fprintf(conn, "%s\r\n", cmd)
			if got, err := br.ReadString('\n'); got != wantReply || err != nil {
				t.Errorf("reply over TLS = %q, %v, want %q", got, err, wantReply)
			}
			conn.Close()
			want := ConnState{Version: "TLS 1.3", CipherSuite: st.CipherSuite, CertSHA256: pki.leaf.fingerprint(), ServerName: testHost}
			if st != want || st.CipherSuite == "" {
				t.Errorf("ConnState = %+v, want %+v", st, want)
			}
			if got := s.lines(); len(got) != 3 || got[2] != cmd {
				t.Errorf("server received %q, want the two cleartext commands then %q", got, cmd)
			}
		})
	}
}

// TestPinLifecycle is the self-signed certificate story over STARTTLS and
// implicit TLS: refused with its fingerprint, accepted once pinned, refused
// again when the server's certificate changes.
func TestPinLifecycle(t *testing.T) {
	first := newCert(t, certOptions{cn: testHost, names: []string{testHost}}, nil)
	second := newCert(t, certOptions{cn: testHost, names: []string{testHost}}, nil)
	for _, tt := range []struct {
		smtp     bool
		implicit bool
	}{{false, false}, {true, false}, {false, true}, {true, true}} {
		name := protoName(tt.smtp) + " STARTTLS"
		port := map[bool]int{false: 143, true: 587}[tt.smtp]
		if tt.implicit {
			name = protoName(tt.smtp) + " implicit TLS"
			port = map[bool]int{false: 993, true: 465}[tt.smtp]
		}
		t.Run(name, func(t *testing.T) {
			var pins []Pin
			dial := func(cert testCert) (net.Conn, ConnState, error) {
				t.Helper()
				p := Policy{Pins: pins}
				sec := SecurityStartTLS
				if tt.implicit {
					sec = SecurityTLS
					_, p.Dialer = startTLSServer(t, serverConfig(cert))
				} else {
					p.Dialer = (&fakeServer{smtp: tt.smtp, startTLS: true, tlsConfig: serverConfig(cert)}).start(t)
				}
				if tt.smtp {
					return DialSMTP(context.Background(), testHost, port, sec, p, heloName)
				}
				return DialIMAP(context.Background(), testHost, port, sec, p)
			}

			_, _, err := dial(first)
			if !errors.Is(err, ErrUntrustedCertificate) {
				t.Fatalf("first contact: error = %v, want ErrUntrustedCertificate", err)
			}
			ce := certError(t, err)
			if ce.SHA256 != first.fingerprint() {
				t.Fatalf("first contact: SHA256 = %s, want %s", ce.SHA256, first.fingerprint())
			}

			pins = []Pin{{Host: ce.Host, Port: ce.Port, SHA256: ce.SHA256}}
			conn, st, err := dial(first)
			if err != nil {
				t.Fatalf("after pinning: error = %v, want nil", err)
			}
			conn.Close()
			if !st.Pinned || st.CertSHA256 != first.fingerprint() || st.Implicit != tt.implicit {
				t.Errorf("after pinning: ConnState = %+v, want Pinned, CertSHA256 %s, Implicit %v", st, first.fingerprint(), tt.implicit)
			}

			_, _, err = dial(second)
			if !errors.Is(err, ErrPinMismatch) {
				t.Fatalf("changed certificate: error = %v, want ErrPinMismatch", err)
			}
			if ce := certError(t, err); ce.SHA256 != second.fingerprint() {
				t.Errorf("changed certificate: SHA256 = %s, want the new %s", ce.SHA256, second.fingerprint())
			}
		})
	}
}

// TestCancellation checks that ctx and Policy.DialTimeout end a stalled
// connection setup at every stage.
func TestCancellation(t *testing.T) {
	tests := []struct {
		name    string
		sec     Security
		smtp    bool
		stallAt string // "greeting": the server never greets; "command": it greets, then never answers
		cancel  bool   // cancel ctx once the server has stalled, instead of a deadline
		timeout bool   // use Policy.DialTimeout instead of a ctx deadline
		wantErr error
	}{
		{name: "IMAP greeting, ctx deadline", sec: SecurityStartTLS, stallAt: "greeting", wantErr: context.DeadlineExceeded},
		{name: "IMAP CAPABILITY, cancelled", sec: SecurityStartTLS, stallAt: "command", cancel: true, wantErr: context.Canceled},
		{name: "SMTP EHLO, DialTimeout", sec: SecurityStartTLS, smtp: true, stallAt: "command", timeout: true, wantErr: context.DeadlineExceeded},
		{name: "SMTP greeting, cancelled", sec: SecurityStartTLS, smtp: true, stallAt: "greeting", cancel: true, wantErr: context.Canceled},
		{name: "implicit TLS handshake, ctx deadline", sec: SecurityTLS, stallAt: "greeting", wantErr: context.DeadlineExceeded},
		{name: "implicit TLS handshake, cancelled", sec: SecurityTLS, stallAt: "greeting", cancel: true, wantErr: context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stalled := make(chan struct{})
			ln := listen(t)
			serve(t, ln, func(conn net.Conn) {
				br := bufio.NewReader(conn)
				if tt.stallAt == "command" {
					if tt.smtp {
						io.WriteString(conn, "220 ready\r\n")
					} else {
						io.WriteString(conn, "* OK ready\r\n")
					}
					if _, err := br.ReadString('\n'); err != nil {
						return
					}
				}
				close(stalled)
				io.Copy(io.Discard, br) // until the client gives up
			})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			p := Policy{Dialer: &testDialer{addr: ln.Addr().String()}}
			switch {
			case tt.cancel:
				go func() {
					<-stalled
					cancel()
				}()
			case tt.timeout:
				p.DialTimeout = 100 * time.Millisecond
			default:
				ctx, cancel = context.WithTimeout(ctx, 100*time.Millisecond)
				defer cancel()
			}
			start := time.Now()
			var conn net.Conn
			var err error
			if tt.smtp {
				conn, _, err = DialSMTP(ctx, testHost, 587, tt.sec, p, heloName)
			} else {
				conn, _, err = DialIMAP(ctx, testHost, 143, tt.sec, p)
			}
			if err == nil {
				conn.Close()
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
			if elapsed := time.Since(start); elapsed > 10*time.Second {
				t.Errorf("gave up after %v, want promptly", elapsed)
			}
		})
	}
}
