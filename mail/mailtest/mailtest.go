// Package mailtest gives tests mail servers and ready profiles on them.
//
// Start runs the in-process servers of mail/demo (go-imap's memory server
// and a go-smtp server, implicit TLS with a throwaway CA, delivering
// straight into the recipients' INBOX) unless the environment says
// SEALPOST_TEST_SERVERS=dovecot: then the same API is backed by Dovecot
// and Postfix from mail/testservers (Linux, root, Debian packages; see
// docs/testing.md). Either way there are two users, alice and bob of
// Domain, with INBOX, Sent, Drafts, Trash, Junk and Archive.
//
// NewProfile, NewEngine and PinnedProfileDir make a profile with one of
// them as its account, with cheap key derivation. Tests inside package
// mail cannot use this package (it imports mail): put them in package
// mail_test.
package mailtest

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/sealpost/sealpost/mail"
	"github.com/sealpost/sealpost/mail/demo"
	"github.com/sealpost/sealpost/mail/internal/imaptest"
	"github.com/sealpost/sealpost/mail/testservers"
)

// Env names the environment variable that picks the servers Start runs.
const Env = "SEALPOST_TEST_SERVERS"

// The kinds of servers; Start takes the value of Env, and KindInProcess
// when it is empty.
const (
	// KindInProcess is mail/demo's servers inside the test process.
	KindInProcess = "inprocess"
	// KindDovecot is Dovecot and Postfix, from mail/testservers.
	KindDovecot = "dovecot"
)

// Domain is the users' mail domain, whichever kind runs.
const Domain = testservers.Domain

// Servers are running IMAP and SMTP servers (both implicit TLS) for one
// test; t.Cleanup stops them.
type Servers struct {
	// Kind is KindInProcess or KindDovecot.
	Kind string
	// Alice and Bob are the users' addresses.
	Alice, Bob string
	// Users maps each address to its password (the login name is the
	// address).
	Users map[string]string
	// IMAP and SMTP are the servers, with Security "tls".
	IMAP, SMTP mail.Server
	// CA holds the throwaway CA that signed the servers' certificate.
	CA *x509.CertPool
	// CertSHA256 is the hex SHA-256 of the servers' certificate: the value
	// to pin where CA is not trusted.
	CertSHA256 string

	inProcess *demo.Servers
	dovecot   *testservers.Servers
}

// Start starts the servers Env asks for (in-process by default) for t.
func Start(t testing.TB) *Servers {
	t.Helper()
	kind := os.Getenv(Env)
	if kind == "" {
		kind = KindInProcess
	}
	return StartKind(t, kind)
}

// Kinds lists every kind of servers, for a test that runs against each.
func Kinds() []string { return []string{KindInProcess, KindDovecot} }

// StartKind starts servers of the given kind for t. KindDovecot skips t
// where the servers cannot run (and fails it with
// SEALPOST_REQUIRE_SERVERS=1, as CI sets).
func StartKind(t testing.TB, kind string) *Servers {
	t.Helper()
	s := &Servers{Kind: kind, Alice: "alice@" + Domain, Bob: "bob@" + Domain}
	switch kind {
	case KindInProcess:
		d, err := demo.StartServers(s.Alice, s.Bob)
		if err != nil {
			t.Fatalf("mailtest: start the in-process servers: %v", err)
		}
		t.Cleanup(func() {
			if err := d.Close(); err != nil {
				t.Errorf("mailtest: stop the in-process servers: %v", err)
			}
		})
		s.inProcess, s.CA, s.CertSHA256 = d, d.CA, d.CertSHA256
		s.Users = make(map[string]string)
		for _, u := range []string{s.Alice, s.Bob} {
			if s.Users[u], err = d.Password(u); err != nil {
				t.Fatal(err)
			}
		}
		s.IMAP = mail.Server{Host: demo.Host, Port: d.IMAPPort, Security: "tls"}
		s.SMTP = mail.Server{Host: demo.Host, Port: d.SMTPPort, Security: "tls"}
	case KindDovecot:
		d := testservers.Start(t)
		s.dovecot, s.CA, s.CertSHA256, s.Users = d, d.CA, d.CertSHA256, d.Users
		s.IMAP, s.SMTP = server(t, d.IMAPTLS), server(t, d.SMTPTLS)
	default:
		t.Fatalf("mailtest: %s=%q: want %q or %q", Env, kind, KindInProcess, KindDovecot)
	}
	return s
}

// server splits host:port into an implicit-TLS mail.Server.
func server(t testing.TB, addr string) mail.Server {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("mailtest: server address %q: %v", addr, err)
	}
	n, err := strconv.Atoi(port)
	if err != nil {
		t.Fatalf("mailtest: server address %q: %v", addr, err)
	}
	return mail.Server{Host: host, Port: n, Security: "tls"}
}

// Deliver puts raw (CRLF line endings) into the INBOX of the user at
// address to, as mail from the envelope sender from arriving from
// elsewhere, and fails t if the server refuses it. The in-process servers
// store it before Deliver returns; Dovecot (over LMTP) too, but tells IDLE
// about it up to a second later.
func (s *Servers) Deliver(t testing.TB, from, to string, raw []byte) {
	t.Helper()
	if s.dovecot != nil {
		s.dovecot.Deliver(t, from, to, raw)
		return
	}
	if err := s.inProcess.Deliver(to, raw); err != nil {
		t.Fatalf("mailtest: deliver to %s: %v", to, err)
	}
}

// Messages returns every message in mailbox of user, in UID order, as the
// server stores it, without marking any read.
func (s *Servers) Messages(t testing.TB, user, mailbox string) [][]byte {
	t.Helper()
	return s.imap().Messages(t, user, mailbox)
}

// Flags returns the flags of every message in mailbox of user on the
// server, by subject.
func (s *Servers) Flags(t testing.TB, user, mailbox string) map[string][]string {
	t.Helper()
	return s.imap().Flags(t, user, mailbox)
}

// WaitForMessages waits until mailbox of user holds at least n messages and
// fails t after timeout: after a send through Postfix, say, which delivers
// in the background.
func (s *Servers) WaitForMessages(t testing.TB, user, mailbox string, n uint32, timeout time.Duration) {
	t.Helper()
	s.imap().WaitForMessages(t, user, mailbox, n, timeout)
}

// Log returns the end of the servers' logs, for failure messages; the
// in-process servers keep none.
func (s *Servers) Log() string {
	if s.dovecot != nil {
		return s.dovecot.Log()
	}
	return ""
}

// imap returns the IMAP server as imaptest reaches it.
func (s *Servers) imap() *imaptest.Server {
	return &imaptest.Server{
		Addr:  net.JoinHostPort(s.IMAP.Host, strconv.Itoa(s.IMAP.Port)),
		TLS:   &tls.Config{RootCAs: s.CA, MinVersion: tls.VersionTLS12},
		Users: s.Users,
		Log:   s.Log,
	}
}

// Message returns a small plain-text message from from to to with subject
// and body, with a Date and a unique Message-ID: something to Deliver.
func Message(from, to, subject, body string) []byte {
	sum := sha256.Sum256(fmt.Appendf(nil, "%s %s %s %d", from, to, subject, time.Now().UnixNano()))
	return fmt.Appendf(nil, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s@%s>\r\n"+
		"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n",
		from, to, subject, time.Now().Format(time.RFC1123Z), hex.EncodeToString(sum[:8]), Domain, body)
}
