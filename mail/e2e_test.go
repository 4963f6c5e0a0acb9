package mail

import (
	"bytes"
	"context"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail/backend"
	"github.com/sealpost/sealpost/mail/testservers"
)

// serverOf splits a test server's host:port.
func serverOf(t *testing.T, addr, security string) Server {
	t.Helper()
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	port, _ := strconv.Atoi(portText)
	return Server{Host: host, Port: port, Security: security}
}

// profileWithAccount creates a profile that trusts the test servers' CA and
// adds user's account on them.
func profileWithAccount(t *testing.T, srv *testservers.Servers, user string, imapStartTLS bool) *Profile {
	t.Helper()
	p, err := CreateProfile(filepath.Join(t.TempDir(), "p"), []byte("test passphrase 123"),
		&ProfileOptions{Store: &localstore.Options{KDF: &cheapKDF}, RootCAs: srv.CA})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	settings := AccountSettings{
		Email: user, Name: "Test " + strings.Split(user, "@")[0], Secret: []byte(srv.Users[user]),
		IMAP: serverOf(t, srv.IMAPTLS, "tls"), SMTP: serverOf(t, srv.SMTPTLS, "tls"),
	}
	if imapStartTLS {
		settings.IMAP = serverOf(t, srv.IMAPStartTLS, "starttls")
		settings.SMTP = serverOf(t, srv.SMTPStartTLS, "starttls")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	info, err := p.Accounts().Add(ctx, settings, nil)
	if err != nil {
		t.Fatalf("add account %s: %v\n%s", user, err, srv.Log())
	}
	for _, c := range info.Tested {
		if c.Version == "" || c.CertSHA256 == "" || c.CipherSuite == "" {
			t.Errorf("connection %s not recorded: %+v", c.Server, c)
		}
	}
	return p
}

// TestSendAndReceiveThroughRealServers sends from alice to bob through
// Postfix into Dovecot and checks what arrives, what is stored, and what
// stays out of the headers.
func TestSendAndReceiveThroughRealServers(t *testing.T) {
	srv := testservers.Start(t)
	alice := "alice@" + srv.Domain
	bob := "bob@" + srv.Domain
	pa := profileWithAccount(t, srv, alice, false)
	pb := profileWithAccount(t, srv, bob, true)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	if err := pa.Syncer().Sync(ctx, SyncRequest{}); err != nil {
		t.Fatalf("alice's first sync: %v", err)
	}
	body := "Hello Bob,\r\nthe numbers are attached.\r\n\r\n-- \r\nAlice\r\n"
	_, err := pa.Outbox().Send(ctx, alice, backend.Draft{
		To: []string{"Bob <" + bob + ">"}, Bcc: []string{alice}, Subject: "Q3 numbers – ünïcode",
		Body: body, Attachments: []backend.Attachment{{Filename: "résumé.txt", Data: []byte("attached bytes\n")}},
	}, backend.Security{Mode: ModePlain})
	if err != nil {
		t.Fatalf("send: %v\n%s", err, srv.Log())
	}
	if items, _ := pa.Outbox().List(); len(items) != 0 {
		t.Errorf("outbox after a successful send holds %d messages", len(items))
	}
	sent := srv.Messages(t, alice, "Sent")
	if len(sent) != 1 || !bytes.Contains(sent[0], []byte("Bcc:")) {
		t.Fatalf("alice's Sent folder = %d messages; the copy must keep the Bcc line", len(sent))
	}

	srv.WaitForMessages(t, bob, "INBOX", 1, 30*time.Second)
	if err := pb.Syncer().Sync(ctx, SyncRequest{}); err != nil {
		t.Fatalf("bob's sync: %v", err)
	}
	msgs, err := pb.Messages().List(bob, "INBOX", 10)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("bob's INBOX = %+v, %v; want one message", msgs, err)
	}
	m := msgs[0]
	if m.Subject != "Q3 numbers – ünïcode" || !strings.Contains(m.From, alice) || !m.HasAttachments || m.Seen {
		t.Errorf("bob's message summary = %+v", m)
	}
	raw, err := pb.Messages().Raw(t.Context(), bob, "INBOX", m.UID)
	if err != nil {
		t.Fatal(err)
	}
	onServer := srv.Messages(t, bob, "INBOX")
	if !bytes.Equal(raw, onServer[0]) {
		t.Errorf("stored message differs from the server's copy (%d vs %d bytes)", len(raw), len(onServer[0]))
	}
	if bytes.Contains(raw, []byte("Bcc:")) {
		t.Errorf("the Bcc recipient is visible to bob:\n%s", raw)
	}
	srv.WaitForMessages(t, alice, "INBOX", 1, 30*time.Second) // the Bcc copy

	if c, ok := pb.Connections().Last(bob, "imap"); !ok || c.Implicit || c.Version == "" {
		t.Errorf("bob's IMAP connection record = %+v, want STARTTLS with a TLS version", c)
	}

	// A second sync changes nothing.
	if err := pb.Syncer().Sync(ctx, SyncRequest{}); err != nil {
		t.Fatal(err)
	}
	if again, _ := pb.Messages().List(bob, "INBOX", 10); len(again) != 1 {
		t.Errorf("after a no-change resync bob has %d messages", len(again))
	}

	folders, err := pb.Messages().Folders(bob)
	if err != nil || len(folders) < 2 || folders[0].Name != "INBOX" || folders[0].Messages != 1 {
		t.Fatalf("bob's folders = %+v, %v; want INBOX first with one message", folders, err)
	}
	sentFolder := false
	for _, f := range folders {
		sentFolder = sentFolder || (f.SpecialUse == `\Sent` && f.Messages == 0)
	}
	if !sentFolder {
		t.Errorf("bob's folders %+v lack an empty \\Sent folder", folders)
	}
	if err := pb.Accounts().Remove(bob); err != nil {
		t.Fatal(err)
	}
	if accts, _ := pb.Accounts().List(); len(accts) != 0 {
		t.Errorf("accounts after removal = %+v", accts)
	}
	if _, err := pb.Messages().List(bob, "INBOX", 1); err == nil {
		t.Error("the removed account's mail is still listed")
	}
}
