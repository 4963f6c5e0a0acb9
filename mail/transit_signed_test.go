package mail

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"

	"github.com/sealpost/sealpost/mail/backend"
	"github.com/sealpost/sealpost/mail/internal/dnstest"
	"github.com/sealpost/sealpost/mail/testservers"
)

// TestProviderSignedMailVerifiedThroughRealDNS: mail that the test's
// Postfix signs with OpenDKIM, as a provider's outgoing server does, is
// verified at sync time against the key that unbound publishes; a copy
// whose text was changed after signing, and a message carrying a
// DKIM-Signature that the sender wrote with a key not in DNS, both fail.
func TestProviderSignedMailVerifiedThroughRealDNS(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	srv := testservers.StartSigning(t, testservers.Signing{Key: key, Selector: "mail2026"})
	zone := dnstest.NewZone(t, srv.Domain)
	zone.AddDKIM("mail2026", &key.PublicKey)
	resolver := dnstest.Start(t, zone)
	viaUnbound := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, resolver.Addr)
	}}

	alice, bob := "alice@"+srv.Domain, "bob@"+srv.Domain
	pa := profileWithAccount(t, srv, alice, false)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pb := dkimCheckingProfile(ctx, t, srv, bob, viaUnbound.LookupTXT)

	if _, err := pa.Outbox().Send(ctx, alice, backend.Draft{To: []string{bob}, Subject: "Signed by the provider", Body: "The real text.\n"},
		backend.Security{Mode: ModePlain}); err != nil {
		t.Fatalf("send: %v", err)
	}
	srv.WaitForMessages(t, bob, "INBOX", 1, 30*time.Second)
	if err := pb.Syncer().Sync(ctx, SyncRequest{Folder: "INBOX"}); err != nil {
		t.Fatal(err)
	}
	list, err := pb.Messages().List(bob, "INBOX", 10)
	if err != nil || len(list) != 1 {
		t.Fatalf("inbox: %d messages, %v", len(list), err)
	}
	raw, err := pb.Messages().Raw(ctx, bob, "INBOX", list[0].UID)
	if err != nil {
		t.Fatal(err)
	}
	// The forger keeps the provider's signature on another text, and
	// another signs in the provider's name with a key of its own.
	altered := bytes.Replace(raw, []byte("The real text."), []byte("Pay to IBAN X."), 1)
	altered = bytes.Replace(altered, []byte("Subject: Signed by the provider"), []byte("Subject: Altered"), 1)
	srv.Deliver(t, alice, bob, altered)
	otherKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	own := "From: " + alice + "\r\nTo: " + bob + "\r\nSubject: Own key\r\nDate: Sat, 05 Dec 2026 12:00:00 +0000\r\nMessage-ID: <own@x>\r\n\r\nText.\r\n"
	var ownSigned bytes.Buffer
	if err := dkim.Sign(&ownSigned, strings.NewReader(own), &dkim.SignOptions{Domain: srv.Domain, Selector: "mail2026", Signer: otherKey}); err != nil {
		t.Fatal(err)
	}
	srv.Deliver(t, alice, bob, ownSigned.Bytes())
	srv.WaitForMessages(t, bob, "INBOX", 3, 30*time.Second)
	if err := pb.Syncer().Sync(ctx, SyncRequest{Folder: "INBOX"}); err != nil {
		t.Fatal(err)
	}
	if list, err = pb.Messages().List(bob, "INBOX", 10); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"Signed by the provider": backend.DKIMPass, "Altered": backend.DKIMFail, "Own key": backend.DKIMFail}
	for _, m := range list {
		tr, err := pb.Messages().Travel(bob, "INBOX", m.UID)
		if err != nil || tr == nil {
			t.Fatalf("%q: nothing recorded (%v)", m.Subject, err)
		}
		if d := tr.DKIM; len(d) != 1 || d[0].Result != want[m.Subject] || d[0].Domain != srv.Domain {
			t.Errorf("%q: DKIM %+v, want one %s for %s", m.Subject, d, want[m.Subject], srv.Domain)
		}
		delete(want, m.Subject)
	}
	if len(want) != 0 {
		t.Errorf("messages missing from the inbox: %v", want)
	}
}
