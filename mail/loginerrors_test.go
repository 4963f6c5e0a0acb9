package mail

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail/backend"
	"github.com/sealpost/sealpost/mail/internal/testcert"
	"github.com/sealpost/sealpost/mail/testservers"
)

// scriptedIMAP is a loopback IMAP server over implicit TLS that answers
// every LOGIN with one tagged reply, to test how refusals are told apart.
// It returns the server's port and the pool that trusts its certificate.
func scriptedIMAP(t *testing.T, loginReply string) (int, *tls.Config) {
	t.Helper()
	cert, pool := testcert.SelfSigned(t, "127.0.0.1")
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer conn.Close()
				serveScript(conn, loginReply)
			}()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port, &tls.Config{RootCAs: pool}
}

func serveScript(conn net.Conn, loginReply string) {
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	w := bufio.NewWriter(conn)
	write := func(s string) { w.WriteString(s + "\r\n"); w.Flush() }
	write("* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] scripted server ready")
	r := bufio.NewReader(conn)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		tag, rest, _ := strings.Cut(strings.TrimSpace(line), " ")
		cmd, _, _ := strings.Cut(rest, " ")
		switch strings.ToUpper(cmd) {
		case "CAPABILITY":
			write("* CAPABILITY IMAP4rev1 AUTH=PLAIN")
			write(tag + " OK done")
		case "LOGIN":
			// Split the reply over two writes, so the referral code is
			// read across reads.
			half := len(loginReply) / 2
			w.WriteString(tag + " " + loginReply[:half])
			w.Flush()
			write(loginReply[half:])
		case "LOGOUT":
			write("* BYE")
			write(tag + " OK bye")
			return
		default:
			write(tag + " BAD unknown command")
		}
	}
}

// TestIMAPLoginRefusalsToldApart: the response code of a refused IMAP
// login (RFC 5530, RFC 2221) decides the sentinel: AUTHENTICATIONFAILED
// and a bare NO are a refused login, UNAVAILABLE a server to try later,
// and REFERRAL names the server the account was sent to, URL and all.
func TestIMAPLoginRefusalsToldApart(t *testing.T) {
	for _, tt := range []struct {
		name, reply string
		want        error
		notWant     []error
		referTo     string // host:port of the *ReferralError; "" for none
	}{
		{"authenticationfailed", "NO [AUTHENTICATIONFAILED] Authentication failed.", backend.ErrLoginRejected,
			[]error{backend.ErrServerUnavailable, backend.ErrReferral}, ""},
		{"bare NO", "NO Login failed.", backend.ErrLoginRejected, []error{backend.ErrServerUnavailable}, ""},
		{"unavailable", "NO [UNAVAILABLE] Maintenance, try again later.", backend.ErrServerUnavailable,
			[]error{backend.ErrLoginRejected, backend.ErrReferral}, ""},
		{"referral", "NO [REFERRAL imap://alice;AUTH=*@imap2.example.org:1993/] Account moved to imap2.", backend.ErrReferral,
			[]error{backend.ErrLoginRejected, backend.ErrServerUnavailable}, "imap2.example.org:1993"},
		{"referral without port", "NO [referral IMAP://alice@imap3.example.org/] Try imap3.", backend.ErrReferral,
			[]error{backend.ErrLoginRejected}, "imap3.example.org"},
		{"unreadable referral", "NO [REFERRAL not-a-url] Elsewhere.", backend.ErrReferral, []error{backend.ErrLoginRejected}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			port, client := scriptedIMAP(t, tt.reply)
			e := NewEngine(filepath.Join(t.TempDir(), "p"),
				&ProfileOptions{Store: &localstore.Options{KDF: &cheapKDF}, RootCAs: client.RootCAs})
			t.Cleanup(func() { _ = e.Lock() })
			if err := e.CreateProfile(t.Context(), []byte(enginePass)); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			_, err := e.AddAccount(ctx, backend.NewAccount{Email: "alice@example.org", Password: []byte("secret"),
				IMAP: backend.ServerSettings{Host: "127.0.0.1", Port: port, Security: backend.SecurityTLS},
				SMTP: backend.ServerSettings{Host: "127.0.0.1", Port: 1, Security: backend.SecurityTLS}})
			if !errors.Is(err, tt.want) {
				t.Fatalf("AddAccount = %v, want it to wrap %v", err, tt.want)
			}
			for _, not := range tt.notWant {
				if errors.Is(err, not) {
					t.Errorf("AddAccount = %v, should not wrap %v", err, not)
				}
			}
			var referral *backend.ReferralError
			if errors.As(err, &referral) {
				got := referral.Host
				if referral.Port != 0 {
					got += ":" + strconv.Itoa(referral.Port)
				}
				if got != tt.referTo || referral.Server != "127.0.0.1" {
					t.Errorf("referral = %+v, want from 127.0.0.1 to %q", referral, tt.referTo)
				}
			}
		})
	}
}

// TestDovecotAuthenticationFailed: Dovecot answers a wrong password with
// AUTHENTICATIONFAILED, which is a refused login and nothing else.
func TestDovecotAuthenticationFailed(t *testing.T) {
	srv := testservers.Start(t)
	p := profileWithAccount(t, srv, "alice@"+srv.Domain, false)
	acct, err := p.accounts.get("alice@" + srv.Domain)
	if err != nil {
		t.Fatal(err)
	}
	acct.Secret.Value = "not the password"
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err = p.connections.login(ctx, acct, "imap")
	if !errors.Is(err, backend.ErrLoginRejected) || errors.Is(err, backend.ErrServerUnavailable) || errors.Is(err, backend.ErrReferral) ||
		!strings.Contains(err.Error(), "AUTHENTICATIONFAILED") {
		t.Errorf("login = %v, want a refused login from AUTHENTICATIONFAILED only", err)
	}
}

// TestLoginWatchFindsSplitReferral: the watch finds a referral cut by any
// read boundary, keeps nothing once stopped, and ignores a code that never
// ends within its bound.
func TestLoginWatchFindsSplitReferral(t *testing.T) {
	reply := "* OK hello\r\na1 NO [REFERRAL imap://bob@imap2.example.org/] moved\r\n"
	for cut := range len(reply) {
		w := &loginWatch{}
		w.watching.Store(true)
		w.scan([]byte(reply[:cut]))
		w.scan([]byte(reply[cut:]))
		if got := w.stop(); got != "imap://bob@imap2.example.org/" {
			t.Fatalf("cut at %d: referral %q", cut, got)
		}
	}
	w := &loginWatch{}
	w.scan([]byte("a1 NO [REFERRAL imap://" + strings.Repeat("x", 2*maxReferral)))
	w.scan([]byte("]\r\n"))
	if got := w.stop(); got != "" {
		t.Errorf("overlong referral = %q, want none", got)
	}
}
