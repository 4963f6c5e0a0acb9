package testservers

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

const (
	alice = "alice@" + Domain
	bob   = "bob@" + Domain
	// deliveryTimeout bounds the wait for a message to arrive.
	deliveryTimeout = 20 * time.Second
)

func TestCertificate(t *testing.T) {
	c, err := newCerts(t.TempDir(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(c.certFile)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(b)
	if block == nil {
		t.Fatalf("%s holds no PEM block", c.certFile)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if info, err := os.Stat(c.keyFile); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("key file: mode %v, error %v; want mode 0600", info.Mode().Perm(), err)
	}
	tests := []struct {
		name  string
		host  string
		valid bool
	}{
		{"localhost", "localhost", true},
		{"mail host", "mail.example.test", true},
		{"loopback", "127.0.0.1", true},
		{"STARTTLS loopback", "127.0.0.2", true},
		{"other name", "example.com", false},
		{"other address", "127.0.0.3", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := cert.Verify(x509.VerifyOptions{DNSName: tt.host, Roots: c.pool})
			if got := err == nil; got != tt.valid {
				t.Errorf("certificate valid for %s = %v (%v), want %v", tt.host, got, err, tt.valid)
			}
		})
	}
	t.Run("not trusted by the system", func(t *testing.T) {
		if _, err := cert.Verify(x509.VerifyOptions{DNSName: "localhost"}); err == nil {
			t.Errorf("certificate verifies against the system roots, want it to fail")
		}
	})
}

func TestPasswdLine(t *testing.T) {
	line := passwdLine("alice@example.test", "secret", 8, 8, "/home/alice")
	f := strings.Split(strings.TrimSuffix(line, "\n"), ":")
	if len(f) != 8 {
		t.Fatalf("got %d fields in %q, want 8", len(f), line)
	}
	if got, want := [4]string{f[0], f[2], f[3], f[5]}, [4]string{"alice@example.test", "8", "8", "/home/alice"}; got != want {
		t.Errorf("user, uid, gid, home = %q, want %q", got, want)
	}
	enc, ok := strings.CutPrefix(f[1], "{SSHA256}")
	if !ok {
		t.Fatalf("password field = %q, want a {SSHA256} hash", f[1])
	}
	raw, err := base64.StdEncoding.DecodeString(enc)
	if err != nil || len(raw) <= sha256.Size {
		t.Fatalf("password hash %q: %d bytes, error %v; want a SHA-256 and a salt", enc, len(raw), err)
	}
	sum, salt := raw[:sha256.Size], raw[sha256.Size:]
	if want := sha256.Sum256(append([]byte("secret"), salt...)); !bytes.Equal(sum, want[:]) {
		t.Errorf("hash = %x, want SHA-256(password || salt) = %x", sum, want)
	}
}

// TestServers starts Dovecot and Postfix and checks from the client side
// what the package promises; afterwards, that nothing of them is left.
func TestServers(t *testing.T) {
	var s *Servers
	var groups []daemon
	t.Run("running", func(t *testing.T) {
		begin := time.Now()
		s = Start(t)
		t.Logf("Start took %v", time.Since(begin))
		groups = []daemon{s.dovecot.daemon, s.postfix.daemon}
		// The group is the server's: the check after cleanup means something.
		for _, g := range groups {
			if pids := groupMembers(g.pgid); len(pids) < 2 || pids[0] != g.pgid {
				t.Errorf("%s process group %d = %v, want the master %d and its children", g.name, g.pgid, pids, g.pgid)
			}
		}

		t.Run("IMAP over TLS", func(t *testing.T) { checkIMAPTLS(t, s) })
		t.Run("IMAP STARTTLS listener refuses LOGIN before STARTTLS", func(t *testing.T) { checkLoginDisabled(t, s) })
		t.Run("IMAP LOGIN after STARTTLS", func(t *testing.T) {
			c, err := imapclient.DialStartTLS(s.IMAPStartTLS, &imapclient.Options{TLSConfig: s.TLSConfig()})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if err := c.Login(alice, s.Users[alice]).Wait(); err != nil {
				t.Errorf("LOGIN after STARTTLS: %v, want success", err)
			}
		})
		t.Run("TLS 1.1 refused", func(t *testing.T) {
			for _, addr := range []string{s.IMAPTLS, s.SMTPTLS} {
				cfg := s.TLSConfig()
				cfg.MinVersion, cfg.MaxVersion = tls.VersionTLS10, tls.VersionTLS11
				conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, cfg)
				if err == nil {
					conn.Close()
					t.Errorf("TLS 1.1 handshake with %s succeeded, want a refusal", addr)
				}
			}
		})
		t.Run("SMTP AUTH without TLS refused", func(t *testing.T) { checkSMTPAuthNeedsTLS(t, s) })
		t.Run("SMTP submission without AUTH refused", func(t *testing.T) {
			c, err := smtp.DialTLS(s.SMTPTLS, s.TLSConfig())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if err := c.Mail(alice, nil); err != nil {
				t.Fatal(err)
			}
			err = c.Rcpt(bob, nil)
			var smtpErr *smtp.SMTPError
			if !errors.As(err, &smtpErr) || smtpErr.Code < 500 {
				t.Errorf("RCPT without AUTH: %v, want a permanent SMTP error", err)
			}
		})
		t.Run("submission delivers to Dovecot byte-identical", func(t *testing.T) { checkSubmission(t, s) })
	})
	if s == nil {
		t.Skip("the servers did not start")
	}

	// The subtest's cleanup has run: every process is gone, and the directory.
	pgrep, pgrepErr := exec.LookPath("pgrep")
	for _, g := range groups {
		if pids := groupMembers(g.pgid); len(pids) != 0 {
			t.Errorf("%s processes %v (group %d) still there after cleanup, want none", g.name, pids, g.pgid)
		}
		if pgrepErr != nil {
			continue
		}
		out, err := exec.Command(pgrep, "-g", strconv.Itoa(g.pgid)).Output()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 1 {
			t.Errorf("pgrep -g %d (%s) = %q, %v; want no process (exit status 1)", g.pgid, g.name, out, err)
		}
	}
	if _, err := os.Stat(s.Dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stat %s after cleanup: %v, want it removed", s.Dir, err)
	}
}

// checkIMAPTLS logs in over implicit TLS and checks the extensions and the
// special-use folders.
func checkIMAPTLS(t *testing.T, s *Servers) {
	c := s.DialIMAP(t, alice, nil)
	for _, cp := range []imap.Cap{imap.CapCondStore, imap.CapQResync, imap.CapSpecialUse} {
		if !c.Caps().Has(cp) {
			t.Errorf("capabilities lack %s: %v", cp, c.Caps())
		}
	}
	boxes, err := c.List("", "*", &imap.ListOptions{ReturnSpecialUse: true}).Collect()
	if err != nil {
		t.Fatalf("LIST: %v", err)
	}
	byUse := map[imap.MailboxAttr]string{}
	for _, b := range boxes {
		for _, a := range b.Attrs {
			byUse[a] = b.Mailbox
		}
	}
	for _, tt := range []struct {
		use  imap.MailboxAttr
		want string
	}{
		{imap.MailboxAttrSent, "Sent"},
		{imap.MailboxAttrDrafts, "Drafts"},
		{imap.MailboxAttrTrash, "Trash"},
		{imap.MailboxAttrJunk, "Junk"},
		{imap.MailboxAttrArchive, "Archive"},
	} {
		t.Run(string(tt.use), func(t *testing.T) {
			if got := byUse[tt.use]; got != tt.want {
				t.Errorf("folder with %s = %q, want %q", tt.use, got, tt.want)
			}
		})
	}
}

// checkLoginDisabled checks on the wire that the STARTTLS listener
// advertises LOGINDISABLED and refuses a LOGIN before STARTTLS.
func checkLoginDisabled(t *testing.T, s *Servers) {
	c, err := imapclient.DialInsecure(s.IMAPStartTLS, nil)
	if err != nil {
		t.Fatal(err)
	}
	caps := c.Caps()
	c.Close()
	for _, cp := range []imap.Cap{imap.CapStartTLS, imap.CapLoginDisabled} {
		if !caps.Has(cp) {
			t.Errorf("capabilities before STARTTLS lack %s: %v", cp, caps)
		}
	}

	conn, err := net.DialTimeout("tcp", s.IMAPStartTLS, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(conn)
	if greeting, err := r.ReadString('\n'); err != nil || !strings.HasPrefix(greeting, "* OK") {
		t.Fatalf("greeting = %q, %v; want * OK", greeting, err)
	}
	fmt.Fprintf(conn, "a1 LOGIN %q %q\r\n", alice, s.Users[alice])
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the LOGIN reply: %v", err)
		}
		if strings.HasPrefix(line, "a1 ") {
			if !strings.HasPrefix(line, "a1 NO") && !strings.HasPrefix(line, "a1 BAD") {
				t.Errorf("LOGIN before STARTTLS: %q, want NO or BAD", line)
			}
			return
		}
	}
}

// checkSMTPAuthNeedsTLS checks on the wire that the STARTTLS submission
// port neither offers nor accepts AUTH before STARTTLS.
func checkSMTPAuthNeedsTLS(t *testing.T, s *Servers) {
	conn, err := net.DialTimeout("tcp", s.SMTPStartTLS, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	tp := textproto.NewConn(conn)
	if _, _, err := tp.ReadResponse(220); err != nil {
		t.Fatalf("greeting: %v", err)
	}
	id, err := tp.Cmd("EHLO client.example.test")
	if err != nil {
		t.Fatal(err)
	}
	tp.StartResponse(id)
	_, ehlo, err := tp.ReadResponse(250)
	tp.EndResponse(id)
	if err != nil {
		t.Fatalf("EHLO: %v", err)
	}
	if !strings.Contains(ehlo, "STARTTLS") || strings.Contains(ehlo, "AUTH") {
		t.Errorf("EHLO before STARTTLS = %q, want STARTTLS and no AUTH", ehlo)
	}
	plain := base64.StdEncoding.EncodeToString([]byte("\x00" + alice + "\x00" + s.Users[alice]))
	id, err = tp.Cmd("AUTH PLAIN %s", plain)
	if err != nil {
		t.Fatal(err)
	}
	tp.StartResponse(id)
	code, msg, _ := tp.ReadResponse(0)
	tp.EndResponse(id)
	if code < 500 {
		t.Errorf("AUTH before STARTTLS = %d %s, want a 5xx refusal", code, msg)
	}
}

// checkSubmission sends a message from alice to bob through each submission
// port and checks that bob's INBOX holds each one with its original header
// and body untouched, below the trace headers the servers add.
func checkSubmission(t *testing.T, s *Servers) {
	tests := []struct {
		name string
		dial func() (*smtp.Client, error)
	}{
		{"implicit TLS", func() (*smtp.Client, error) { return smtp.DialTLS(s.SMTPTLS, s.TLSConfig()) }},
		{"STARTTLS", func() (*smtp.Client, error) { return smtp.DialStartTLS(s.SMTPStartTLS, s.TLSConfig()) }},
	}
	sent := map[string][]byte{}
	for i, tt := range tests {
		msg := testMessage(tt.name, fmt.Sprintf("<%d.%d@example.test>", time.Now().UnixNano(), i))
		sent[tt.name] = msg
		t.Run("send over "+tt.name, func(t *testing.T) {
			c, err := tt.dial()
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if err := c.Auth(sasl.NewPlainClient("", alice, s.Users[alice])); err != nil {
				t.Fatalf("AUTH PLAIN: %v", err)
			}
			// After a command: go-smtp shakes hands at the first write.
			if state, ok := c.TLSConnectionState(); !ok || state.Version < tls.VersionTLS12 {
				t.Errorf("TLS version %x (TLS: %v), want at least TLS 1.2", state.Version, ok)
			}
			if err := c.SendMail(alice, []string{bob}, bytes.NewReader(msg)); err != nil {
				t.Fatalf("send: %v", err)
			}
			if err := c.Quit(); err != nil {
				t.Errorf("QUIT: %v", err)
			}
		})
	}

	s.WaitForMessages(t, bob, "INBOX", uint32(len(tests)), deliveryTimeout)
	got := s.Messages(t, bob, "INBOX")
	for _, tt := range tests {
		t.Run("received over "+tt.name, func(t *testing.T) {
			checkDelivered(t, got, sent[tt.name], "Return-Path", "Delivered-To", "Received")
		})
	}
}

// testMessage is a message with CRLF line ends whose body holds what a
// careless relay would change: a leading dot, "From " at a line start,
// 8-bit text, trailing white space.
func testMessage(subject, messageID string) []byte {
	return []byte("From: Alice <" + alice + ">\r\n" +
		"To: Bob <" + bob + ">\r\n" +
		"Subject: " + subject + "\r\n" +
		"Date: Sun, 29 Nov 2026 19:30:00 +0000\r\n" +
		"Message-ID: " + messageID + "\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n" +
		"Content-Transfer-Encoding: 8bit\r\n" +
		"\r\n" +
		"Hello Bob,\r\n" +
		".a line that starts with a dot\r\n" +
		"..and one with two\r\n" +
		"From the start of a line\r\n" +
		"trailing space \r\n" +
		"\r\n" +
		"Grüße, Alice\r\n")
}

// checkDelivered finds want among got by its Message-ID and checks that the
// stored message is want with only the named trace headers put in front.
func checkDelivered(t *testing.T, got [][]byte, want []byte, trace ...string) {
	t.Helper()
	id := want[bytes.Index(want, []byte("Message-ID: ")):]
	id = id[:bytes.Index(id, []byte("\r\n"))]
	for _, m := range got {
		if !bytes.Contains(m, id) {
			continue
		}
		_, gotBody, _ := bytes.Cut(m, []byte("\r\n\r\n"))
		_, wantBody, _ := bytes.Cut(want, []byte("\r\n\r\n"))
		if !bytes.Equal(gotBody, wantBody) {
			t.Errorf("body = %q, want %q", gotBody, wantBody)
		}
		prefix, ok := bytes.CutSuffix(m, want)
		if !ok {
			t.Fatalf("stored message = %q, want it to end with the message as sent, %q", m, want)
		}
		for _, line := range strings.SplitAfter(string(prefix), "\r\n") {
			if line == "" || line[0] == ' ' || line[0] == '\t' {
				continue // end, or a continuation line
			}
			name, _, _ := strings.Cut(line, ":")
			if !containsFold(trace, name) {
				t.Errorf("added header %q, want only %v", strings.TrimSpace(line), trace)
			}
		}
		return
	}
	t.Errorf("no stored message has %s; have %d messages", id, len(got))
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// TestStartDovecot checks the IMAP-only start and delivery over LMTP.
func TestStartDovecot(t *testing.T) {
	begin := time.Now()
	s := StartDovecot(t)
	t.Logf("StartDovecot took %v", time.Since(begin))
	if s.SMTPTLS != "" || s.SMTPStartTLS != "" || s.postfix != nil {
		t.Errorf("SMTP addresses = %q, %q, want none without Postfix", s.SMTPTLS, s.SMTPStartTLS)
	}
	msg := testMessage("over LMTP", "<lmtp@example.test>")
	s.Deliver(t, alice, bob, msg)
	s.WaitForMessages(t, bob, "INBOX", 1, deliveryTimeout)
	checkDelivered(t, s.Messages(t, bob, "INBOX"), msg, "Return-Path", "Delivered-To", "Received")
	if got := s.Messages(t, alice, "INBOX"); len(got) != 0 {
		t.Errorf("alice's INBOX holds %d messages, want 0", len(got))
	}
}

// TestTwoInstances checks that instances running at once stay apart.
func TestTwoInstances(t *testing.T) {
	a, b := Start(t), Start(t)
	addrs := map[string]bool{}
	for _, s := range []*Servers{a, b} {
		for _, addr := range []string{s.IMAPTLS, s.IMAPStartTLS, s.SMTPTLS, s.SMTPStartTLS} {
			if addrs[addr] {
				t.Errorf("address %s used twice, want every listener on its own port", addr)
			}
			addrs[addr] = true
		}
	}
	if a.Users[bob] == b.Users[bob] {
		t.Errorf("both instances gave bob the password %q, want generated ones", a.Users[bob])
	}

	c, err := smtp.DialTLS(b.SMTPTLS, b.TLSConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Auth(sasl.NewPlainClient("", alice, b.Users[alice])); err != nil {
		t.Fatalf("AUTH PLAIN: %v", err)
	}
	msg := testMessage("to the second instance", "<second@example.test>")
	if err := c.SendMail(alice, []string{bob}, bytes.NewReader(msg)); err != nil {
		t.Fatalf("send: %v", err)
	}
	b.WaitForMessages(t, bob, "INBOX", 1, deliveryTimeout)
	if got := a.Messages(t, bob, "INBOX"); len(got) != 0 {
		t.Errorf("the first instance's bob has %d messages, want 0", len(got))
	}
	if c, err := imapclient.DialTLS(a.IMAPTLS, &imapclient.Options{TLSConfig: b.TLSConfig()}); err == nil {
		c.Close()
		t.Errorf("TLS to the first instance trusting only the second's CA succeeded, want a certificate error")
	}
}

// TestPortTaken checks that a server start on a port another process holds
// fails with errAddrInUse, which makes Start retry with new ports.
func TestPortTaken(t *testing.T) {
	if reason := unavailable(true); reason != "" {
		t.Skip(reason)
	}
	// Postfix only writes the socket paths into its configuration.
	dc := &dovecot{lmtpSocket: "/nonexistent/lmtp", authSocket: "/nonexistent/auth"}
	tests := []struct {
		name      string
		takenHost string
		freeHost  string
		start     func(st *setup, taken, free int) (*daemon, error)
	}{
		{"dovecot TLS", loopbackHost, startTLSHost, func(st *setup, taken, free int) (*daemon, error) {
			d, err := startDovecot(st, false, taken, free)
			if err != nil {
				return nil, err
			}
			return &d.daemon, nil
		}},
		{"dovecot STARTTLS", startTLSHost, loopbackHost, func(st *setup, taken, free int) (*daemon, error) {
			d, err := startDovecot(st, false, free, taken)
			if err != nil {
				return nil, err
			}
			return &d.daemon, nil
		}},
		{"postfix TLS", loopbackHost, loopbackHost, func(st *setup, taken, free int) (*daemon, error) {
			p, err := startPostfix(st, dc, taken, free)
			if err != nil {
				return nil, err
			}
			return &p.daemon, nil
		}},
		{"postfix STARTTLS", loopbackHost, loopbackHost, func(st *setup, taken, free int) (*daemon, error) {
			p, err := startPostfix(st, dc, free, taken)
			if err != nil {
				return nil, err
			}
			return &p.daemon, nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// In parallel: Postfix takes 3 s to report a fatal
			// start-up error.
			t.Parallel()
			st := newSetup(t)
			l, err := net.Listen("tcp4", net.JoinHostPort(tt.takenHost, "0"))
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			free, err := freePort(tt.freeHost)
			if err != nil {
				t.Fatal(err)
			}
			d, err := tt.start(st, l.Addr().(*net.TCPAddr).Port, free)
			if d != nil {
				t.Cleanup(func() { d.stop() })
			}
			if !errors.Is(err, errAddrInUse) {
				t.Errorf("start with a taken port: %v, want errAddrInUse", err)
			}
		})
	}
}
