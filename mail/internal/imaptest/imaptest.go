// Package imaptest reads test mailboxes over IMAP: it logs a user in on a
// test server (implicit TLS), waits for mail to arrive and fetches what a
// mailbox holds. mail/testservers (Dovecot) and mail/mailtest (in-process
// servers too) share it.
package imaptest

import (
	"crypto/tls"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// Server is an IMAP server over implicit TLS and its users.
type Server struct {
	// Addr is host:port.
	Addr string
	// TLS is the client configuration that trusts the server.
	TLS *tls.Config
	// Users maps each login name to its password.
	Users map[string]string
	// Log, if set, returns the server's log for failure messages.
	Log func() string
}

// log returns the server's log, or "" without one.
func (s *Server) log() string {
	if s.Log == nil {
		return ""
	}
	return s.Log()
}

// Dial logs user in and returns the client; t.Cleanup closes it.
// unilateral may be nil.
func (s *Server) Dial(t testing.TB, user string, unilateral *imapclient.UnilateralDataHandler) *imapclient.Client {
	t.Helper()
	password, ok := s.Users[user]
	if !ok {
		t.Fatalf("imaptest: no user %q", user)
	}
	c, err := imapclient.DialTLS(s.Addr, &imapclient.Options{TLSConfig: s.TLS, UnilateralDataHandler: unilateral})
	if err != nil {
		t.Fatalf("imaptest: IMAP connect to %s: %v", s.Addr, err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login(user, password).Wait(); err != nil {
		t.Fatalf("imaptest: IMAP LOGIN as %s: %v\n%s", user, err, s.log())
	}
	return c
}

// WaitForMessages waits until mailbox of user holds at least n messages,
// watching it with IMAP IDLE, and fails t after timeout. Messages already
// there return at once.
func (s *Server) WaitForMessages(t testing.TB, user, mailbox string, n uint32, timeout time.Duration) {
	t.Helper()
	var count atomic.Uint32
	changed := make(chan struct{}, 1)
	c := s.Dial(t, user, &imapclient.UnilateralDataHandler{
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
		t.Fatalf("imaptest: EXAMINE %s as %s: %v", mailbox, user, err)
	}
	if sel.NumMessages >= n {
		return
	}
	// IDLE reports any message that arrived since EXAMINE as soon as it
	// starts, and every later one as it arrives.
	idle, err := c.Idle()
	if err != nil {
		t.Fatalf("imaptest: IDLE on %s as %s: %v", mailbox, user, err)
	}
	defer idle.Close()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for count.Load() < n {
		select {
		case <-changed:
		case <-timer.C:
			t.Fatalf("imaptest: %s of %s holds %d messages after %v, want %d\n%s",
				mailbox, user, max(count.Load(), sel.NumMessages), timeout, n, s.log())
		}
	}
}

// Flags returns the flags of every message in mailbox of user, by subject.
func (s *Server) Flags(t testing.TB, user, mailbox string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, m := range s.fetchAll(t, user, mailbox, &imap.FetchOptions{Flags: true, Envelope: true}) {
		flags := make([]string, 0, len(m.Flags))
		for _, f := range m.Flags {
			flags = append(flags, string(f))
		}
		out[m.Envelope.Subject] = flags
	}
	return out
}

// Messages returns every message in mailbox of user, in UID order, exactly
// as the server stores it (BODY.PEEK[], so \Seen is not set).
func (s *Server) Messages(t testing.TB, user, mailbox string) [][]byte {
	t.Helper()
	section := &imap.FetchItemBodySection{Peek: true}
	msgs := s.fetchAll(t, user, mailbox, &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{section}})
	if len(msgs) == 0 {
		return nil
	}
	raws := make([][]byte, 0, len(msgs))
	for _, m := range msgs {
		raws = append(raws, m.FindBodySection(section))
	}
	return raws
}

// fetchAll fetches opts of every message in mailbox of user (read-only),
// in UID order.
func (s *Server) fetchAll(t testing.TB, user, mailbox string, opts *imap.FetchOptions) []*imapclient.FetchMessageBuffer {
	t.Helper()
	c := s.Dial(t, user, nil)
	defer c.Close()
	sel, err := c.Select(mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		t.Fatalf("imaptest: EXAMINE %s as %s: %v", mailbox, user, err)
	}
	if sel.NumMessages == 0 {
		return nil
	}
	var all imap.UIDSet
	all.AddRange(1, 0) // 1:*
	opts.UID = true
	msgs, err := c.Fetch(all, opts).Collect()
	if err != nil {
		t.Fatalf("imaptest: FETCH %s as %s: %v", mailbox, user, err)
	}
	return msgs
}
