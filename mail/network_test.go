package mail

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail/stalltest"
	"github.com/sealpost/sealpost/mail/testservers"
	"github.com/sealpost/sealpost/mail/transport"
)

const (
	netUser = "alice@example.test"
	netPass = "net test password"
)

// netServers is an IMAP and an SMTP server, each behind a stalltest proxy.
type netServers struct {
	imap             *stalltest.IMAP
	smtp             *stalltest.SMTP
	imapProxy, smtpP *stalltest.Proxy
}

// startNetServers starts the servers; the proxies apply imapRule and
// smtpRule and share one certificate.
func startNetServers(t *testing.T, imapRule, smtpRule stalltest.Rule) *netServers {
	t.Helper()
	s := &netServers{imap: stalltest.StartIMAP(t, netUser, netPass), smtp: stalltest.StartSMTP(t, netUser, netPass)}
	s.imapProxy = stalltest.Start(t, s.imap.Addr, imapRule)
	s.smtpP = s.imapProxy.Sibling(t, s.smtp.Addr, smtpRule)
	return s
}

// profile creates a profile with the account on the servers and the given
// stall timeout.
func (s *netServers) profile(t *testing.T, stall time.Duration) *Profile {
	t.Helper()
	p, err := CreateProfile(filepath.Join(t.TempDir(), "p"), []byte("test passphrase 123"),
		&ProfileOptions{Store: &localstore.Options{KDF: &cheapKDF}, RootCAs: s.imapProxy.Roots, StallTimeout: stall})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err = p.Accounts().Add(ctx, AccountSettings{
		Email: netUser, Secret: []byte(netPass),
		IMAP: Server{Host: stalltest.Host, Port: s.imapProxy.Port, Security: "tls"}, SMTP: Server{Host: stalltest.Host, Port: s.smtpP.Port, Security: "tls"},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// folders lists the IMAP user's folders with their attributes, straight
// from the server.
func (s *netServers) folders(t *testing.T) map[string][]imap.MailboxAttr {
	t.Helper()
	conn, err := net.Dial("tcp", s.imap.Addr)
	if err != nil {
		t.Fatal(err)
	}
	c := imapclient.New(conn, nil)
	defer c.Close()
	if err := c.Login(netUser, netPass).Wait(); err != nil {
		t.Fatal(err)
	}
	boxes, err := c.List("", "*", &imap.ListOptions{ReturnSpecialUse: true}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string][]imap.MailboxAttr)
	for _, b := range boxes {
		out[b.Mailbox] = b.Attrs
	}
	return out
}

// count is the number of messages in the server's folder name.
func (s *netServers) count(t *testing.T, name string) uint32 {
	t.Helper()
	st, err := s.imap.User.Status(name, &imap.StatusOptions{NumMessages: true})
	if err != nil {
		t.Fatalf("status of %s: %v", name, err)
	}
	return *st.NumMessages
}

// plainMessage is a finished message from the account, number i.
func plainMessage(i int) []byte { return plainMessageFrom(netUser, i) }

// plainMessageFrom is a finished message from address, number i.
func plainMessageFrom(address string, i int) []byte {
	return fmt.Appendf(nil, "From: %s\r\nTo: %s\r\nSubject: note %d\r\nDate: Mon, 02 Jan 2006 15:04:05 +0000\r\n"+
		"Message-ID: <net%d@example.test>\r\n\r\nhello\r\n", address, address, i, i)
}

// TestSentCopyCreatesTheMissingSentFolder: the server has no Sent folder,
// so the APPEND of the sent copy fails with TRYCREATE; the folder is
// created and the copy lands there, instead of the send ending in an error
// after the mail went out. (go-imap's memory server keeps no special-use
// attributes; TestSentCopyTryCreateDovecot checks \Sent.)
func TestSentCopyCreatesTheMissingSentFolder(t *testing.T) {
	s := startNetServers(t, stalltest.Rule{}, stalltest.Rule{})
	p := s.profile(t, 0)
	if _, ok := s.folders(t)["Sent"]; ok {
		t.Fatal("the server has a Sent folder before the test")
	}
	if _, err := p.Outbox().SendRaw(context.Background(), netUser, plainMessage(1)); err != nil {
		t.Fatalf("send: %v", err)
	}
	if n := len(s.smtp.Received()); n != 1 {
		t.Fatalf("the SMTP server received %d messages, want 1", n)
	}
	if _, ok := s.folders(t)["Sent"]; !ok {
		t.Fatalf("no Sent folder after the send; folders: %v", s.folders(t))
	}
	if n := s.count(t, "Sent"); n != 1 {
		t.Errorf("Sent holds %d messages, want the copy", n)
	}
	if items, err := p.Outbox().List(); err != nil || len(items) != 0 {
		t.Errorf("outbox = %v, %v; want it empty", items, err)
	}
}

// TestSentCopyFindsTheServersSentFolder: the local folder list is stale
// and names a folder \Sent that the server no longer has, so the APPEND
// fails with TRYCREATE; the server's own list names its \Sent folder (in
// Dovecot's configuration, Sent), and the copy goes there instead of
// re-creating the stale name. (Dovecot re-creates a deleted Sent at login,
// so the case of a missing Sent runs against the memory server.)
func TestSentCopyFindsTheServersSentFolder(t *testing.T) {
	srv := testservers.Start(t)
	user := "alice@" + srv.Domain
	p := profileWithAccount(t, srv, user, false)
	admin := srv.DialIMAP(t, user, nil)
	f := localstore.Folder{Account: user, Name: "Old Sent", Delimiter: "/", SpecialUse: `\Sent`}
	if err := p.store.Folders().Put(f); err != nil {
		t.Fatal(err)
	}
	before := sentCount(t, admin)
	if _, err := p.Outbox().SendRaw(context.Background(), user, plainMessageFrom(user, 10)); err != nil {
		t.Fatalf("send: %v\n%s", err, srv.Log())
	}
	boxes, err := admin.List("", "*", &imap.ListOptions{ReturnSpecialUse: true}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range boxes {
		if b.Mailbox == "Old Sent" {
			t.Errorf("the stale folder name was created on the server")
		}
	}
	if after := sentCount(t, admin); after != before+1 {
		t.Errorf("Sent holds %d messages, want %d", after, before+1)
	}
}

// sentCount is the number of messages in Sent, 0 if it does not exist.
func sentCount(t *testing.T, admin *imapclient.Client) uint32 {
	t.Helper()
	st, err := admin.Status("Sent", &imap.StatusOptions{NumMessages: true}).Wait()
	if err != nil {
		return 0
	}
	return *st.NumMessages
}

// TestSyncOfStalledServerFailsWithin: a one-shot sync against a server
// that stops answering mid-fetch returns ErrServerStalled after about the
// stall timeout, naming the account and the server.
func TestSyncOfStalledServerFailsWithin(t *testing.T) {
	s := startNetServers(t, stalltest.Rule{After: " FETCH "}, stalltest.Rule{})
	if _, err := s.imap.User.Append("INBOX", strings.NewReader(string(plainMessage(3))), &imap.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
	p := s.profile(t, time.Second)
	errc := make(chan error, 1)
	go func() { errc <- p.Syncer().Sync(context.Background(), SyncRequest{}) }()
	var err error
	select {
	case err = <-errc:
	case <-time.After(30 * time.Second):
		t.Fatal("Sync still runs after 30 s: it hangs")
	}
	if !errors.Is(err, transport.ErrServerStalled) {
		t.Fatalf("Sync = %v, want ErrServerStalled", err)
	}
	want := "IMAP server " + net.JoinHostPort(stalltest.Host, strconv.Itoa(s.imapProxy.Port)) + " stopped responding"
	if msg := err.Error(); !strings.HasPrefix(msg, netUser+": ") || !strings.Contains(msg, want) {
		t.Errorf("Sync error = %q, want the account and %q", err, want)
	}
}
