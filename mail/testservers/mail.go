package testservers

import (
	"bytes"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-smtp"
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

// DialIMAP logs user in over implicit TLS, trusting only the servers' CA,
// and returns the client; t.Cleanup closes it. unilateral may be nil.
func (s *Servers) DialIMAP(t testing.TB, user string, unilateral *imapclient.UnilateralDataHandler) *imapclient.Client {
	t.Helper()
	password, ok := s.Users[user]
	if !ok {
		t.Fatalf("testservers: no user %q (users: %v)", user, s.Users)
	}
	c, err := imapclient.DialTLS(s.IMAPTLS, &imapclient.Options{
		TLSConfig:             s.TLSConfig(),
		UnilateralDataHandler: unilateral,
	})
	if err != nil {
		t.Fatalf("testservers: IMAP connect to %s: %v", s.IMAPTLS, err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login(user, password).Wait(); err != nil {
		t.Fatalf("testservers: IMAP LOGIN as %s: %v\n%s", user, err, s.Log())
	}
	return c
}

// WaitForMessages waits until mailbox of user holds at least n messages,
// watching it with IMAP IDLE, and fails t after timeout. Dovecot reports a
// new message to IDLE about 0.5 s after it arrives (it batches change
// notifications); messages already there return at once.
func (s *Servers) WaitForMessages(t testing.TB, user, mailbox string, n uint32, timeout time.Duration) {
	t.Helper()
	var count atomic.Uint32
	changed := make(chan struct{}, 1)
	c := s.DialIMAP(t, user, &imapclient.UnilateralDataHandler{
		// Runs on the client's reader goroutine: record and signal only.
		Mailbox: func(d *imapclient.UnilateralDataMailbox) {
			if d.NumMessages == nil {
				return
			}
			count.Store(*d.NumMessages)
			select {
			case changed <- struct{}{}:
			default:
			}
		},
	})
	defer c.Close()
	sel, err := c.Select(mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		t.Fatalf("testservers: EXAMINE %s as %s: %v", mailbox, user, err)
	}
	if sel.NumMessages >= n {
		return
	}
	// IDLE reports any message that arrived since EXAMINE as soon as it
	// starts, and every later one as it arrives.
	idle, err := c.Idle()
	if err != nil {
		t.Fatalf("testservers: IDLE on %s as %s: %v", mailbox, user, err)
	}
	defer idle.Close()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for count.Load() < n {
		select {
		case <-changed:
		case <-timer.C:
			t.Fatalf("testservers: %s of %s holds %d messages after %v, want %d\n%s",
				mailbox, user, max(count.Load(), sel.NumMessages), timeout, n, s.Log())
		}
	}
}

// Messages returns every message in mailbox of user, in UID order, exactly as
// the server stores it (BODY.PEEK[], so \Seen is not set).
func (s *Servers) Messages(t testing.TB, user, mailbox string) [][]byte {
	t.Helper()
	c := s.DialIMAP(t, user, nil)
	defer c.Close()
	sel, err := c.Select(mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		t.Fatalf("testservers: EXAMINE %s as %s: %v", mailbox, user, err)
	}
	if sel.NumMessages == 0 {
		return nil
	}
	var all imap.UIDSet
	all.AddRange(1, 0) // 1:*
	section := &imap.FetchItemBodySection{Peek: true}
	msgs, err := c.Fetch(all, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}}).Collect()
	if err != nil {
		t.Fatalf("testservers: FETCH %s as %s: %v", mailbox, user, err)
	}
	raws := make([][]byte, 0, len(msgs))
	for _, m := range msgs {
		raws = append(raws, m.FindBodySection(section))
	}
	return raws
}
