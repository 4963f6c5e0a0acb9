package testservers

import (
	"bytes"
	"net"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-smtp"

	"github.com/sealpost/sealpost/mail/internal/imaptest"
)

// Deliver delivers msg (CRLF line endings) from the envelope sender from to
// the user at address to, straight into Dovecot over LMTP, and fails t if
// Dovecot does not accept it. It is the fast way to fill a mailbox.
func (s *Servers) Deliver(t testing.TB, from, to string, msg []byte) {
	t.Helper()
	conn, err := net.Dial("unix", s.LMTP)
	if err != nil {
		t.Fatalf("testservers: connect to LMTP: %v", err)
	}
	c := smtp.NewClientLMTP(conn)
	defer c.Close()
	if err := c.Hello("localhost"); err != nil {
		t.Fatalf("testservers: LMTP LHLO: %v", err)
	}
	if err := c.SendMail(from, []string{to}, bytes.NewReader(msg)); err != nil {
		t.Fatalf("testservers: deliver to %s over LMTP: %v\n%s", to, err, s.Log())
	}
	if err := c.Quit(); err != nil {
		t.Fatalf("testservers: LMTP QUIT: %v", err)
	}
}

// imap returns Dovecot's implicit-TLS listener as an imaptest.Server.
func (s *Servers) imap() *imaptest.Server {
	return &imaptest.Server{Addr: s.IMAPTLS, TLS: s.TLSConfig(), Users: s.Users, Log: s.Log}
}

// DialIMAP logs user in over implicit TLS, trusting only the servers' CA,
// and returns the client; t.Cleanup closes it. unilateral may be nil.
func (s *Servers) DialIMAP(t testing.TB, user string, unilateral *imapclient.UnilateralDataHandler) *imapclient.Client {
	t.Helper()
	return s.imap().Dial(t, user, unilateral)
}

// WaitForMessages waits until mailbox of user holds at least n messages,
// watching it with IMAP IDLE, and fails t after timeout. Dovecot reports a
// new message to IDLE about 0.5 s after it arrives (it batches change
// notifications); messages already there return at once.
func (s *Servers) WaitForMessages(t testing.TB, user, mailbox string, n uint32, timeout time.Duration) {
	t.Helper()
	s.imap().WaitForMessages(t, user, mailbox, n, timeout)
}

// Flags returns the flags of every message in mailbox of user, by subject.
func (s *Servers) Flags(t testing.TB, user, mailbox string) map[string][]string {
	t.Helper()
	return s.imap().Flags(t, user, mailbox)
}

// Messages returns every message in mailbox of user, in UID order, exactly as
// the server stores it (BODY.PEEK[], so \Seen is not set).
func (s *Servers) Messages(t testing.TB, user, mailbox string) [][]byte {
	t.Helper()
	return s.imap().Messages(t, user, mailbox)
}
