package mail

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"

	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail/backend"
	"github.com/sealpost/sealpost/mail/testservers"
	"github.com/sealpost/sealpost/mail/travel"
)

// keyZone is a LookupTXT that serves the DKIM records of a test: a name it
// does not hold does not exist.
type keyZone map[string]string

func (z keyZone) lookup(_ context.Context, name string) ([]string, error) {
	if rec, ok := z[strings.ToLower(strings.TrimSuffix(name, "."))]; ok {
		return []string{rec}, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

// dkimCheckingProfile is a new profile holding account of srv, whose
// syncs look DKIM keys up with lookup.
func dkimCheckingProfile(ctx context.Context, t *testing.T, srv *testservers.Servers, account string, lookup travel.LookupTXT) *Profile {
	t.Helper()
	p, err := CreateProfile(filepath.Join(t.TempDir(), "p"), []byte("test passphrase 123"),
		&ProfileOptions{Store: &localstore.Options{KDF: &cheapKDF}, RootCAs: srv.CA, LookupTXT: lookup})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	if _, err := p.Accounts().Add(ctx, AccountSettings{Email: account, Secret: []byte(srv.Users[account]),
		IMAP: serverOf(t, srv.IMAPTLS, "tls"), SMTP: serverOf(t, srv.SMTPTLS, "tls")}, nil); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSyncRecordsHowMailTravelled sends mail through the test's Postfix
// into Dovecot and delivers a DKIM-signed message and a forged one, syncs,
// and checks what was recorded and sealed with each: the hops Postfix and
// Dovecot wrote, the DKIM checks, and the TLS of our own fetch.
func TestSyncRecordsHowMailTravelled(t *testing.T) {
	srv := testservers.Start(t)
	alice, bob := "alice@"+srv.Domain, "bob@"+srv.Domain
	pa := profileWithAccount(t, srv, alice, false)

	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	zone := keyZone{"s1._domainkey.sender.example": "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(key.Public().(ed25519.PublicKey))}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pb := dkimCheckingProfile(ctx, t, srv, bob, zone.lookup)
	// The test's servers are 127.0.0.1: name the provider.
	domain := srv.Domain
	info, err := pb.Accounts().Update(ctx, AccountChange{Email: bob, ProviderDomain: &domain})
	if err != nil || info.ProviderDomain != srv.Domain {
		t.Fatalf("set the provider domain: %v, %q", err, info.ProviderDomain)
	}

	if _, err := pa.Outbox().Send(ctx, alice, backend.Draft{To: []string{bob}, Subject: "Through Postfix", Body: "Hello.\n"}, backend.Security{Mode: ModePlain}); err != nil {
		t.Fatalf("send: %v", err)
	}
	msg := "From: Carol <carol@sender.example>\r\nTo: " + bob + "\r\nSubject: Signed\r\nDate: Sat, 05 Dec 2026 12:00:00 +0000\r\nMessage-ID: <s@sender.example>\r\n\r\nSigned text.\r\n"
	var signed bytes.Buffer
	if err := dkim.Sign(&signed, strings.NewReader(msg), &dkim.SignOptions{Domain: "sender.example", Selector: "s1", Signer: key}); err != nil {
		t.Fatal(err)
	}
	srv.Deliver(t, "carol@sender.example", bob, signed.Bytes())
	// The forger copies the signature onto another text.
	forged := bytes.Replace(signed.Bytes(), []byte("Signed text."), []byte("Pay to IBAN X."), 1)
	forged = bytes.Replace(forged, []byte("Subject: Signed"), []byte("Subject: Forged"), 1)
	srv.Deliver(t, "carol@sender.example", bob, forged)
	srv.WaitForMessages(t, bob, "INBOX", 3, 30*time.Second)

	if err := pb.Syncer().Sync(ctx, SyncRequest{Folder: "INBOX"}); err != nil {
		t.Fatal(err)
	}
	list, err := pb.Messages().List(bob, "INBOX", 10)
	if err != nil {
		t.Fatal(err)
	}
	bySubject := map[string]*backend.Travel{}
	for _, m := range list {
		tr, err := pb.Messages().Travel(bob, "INBOX", m.UID)
		if err != nil || tr == nil {
			t.Fatalf("%q: nothing recorded (%v)", m.Subject, err)
		}
		bySubject[m.Subject] = tr
		f := tr.Fetch
		if f == nil || f.Version == "" || f.Cipher == "" || f.Server == "" {
			t.Errorf("%q: our fetch's TLS = %+v, want it recorded", m.Subject, f)
		}
	}

	post := bySubject["Through Postfix"]
	if post == nil {
		t.Fatalf("the message sent through Postfix is missing: %+v", list)
	}
	var submission *backend.Hop
	for i, h := range post.Hops {
		if strings.EqualFold(h.By, "mail."+srv.Domain) {
			submission = &post.Hops[i]
		}
	}
	if submission == nil {
		t.Fatalf("no hop by Postfix (mail.%s) in %+v", srv.Domain, post.Hops)
	}
	if submission.Encryption != backend.HopTLS || submission.TLSVersion == "" || submission.With != "ESMTPSA" || !submission.ByProvider {
		t.Errorf("Postfix's hop = %+v, want ESMTPSA over a stated TLS version, by the provider", *submission)
	}
	if len(post.DKIM) != 0 {
		t.Errorf("unsigned mail has DKIM checks %+v", post.DKIM)
	}

	if d := bySubject["Signed"].DKIM; len(d) != 1 || d[0].Result != backend.DKIMPass || d[0].Domain != "sender.example" || !d[0].AlignedWithFrom {
		t.Errorf("signed mail: DKIM %+v, want a pass for sender.example", d)
	}
	if d := bySubject["Forged"].DKIM; len(d) != 1 || d[0].Result != backend.DKIMFail {
		t.Errorf("forged mail: DKIM %+v, want a fail", d)
	}

	// Headers only: nothing is recorded until the message is fetched to be
	// read; then its record is made without waiting on the DNS, and the
	// DKIM check follows in the background.
	pc := dkimCheckingProfile(ctx, t, srv, bob, zone.lookup)
	if err := pc.Syncer().Sync(ctx, SyncRequest{Folder: "INBOX", HeadersOnly: true}); err != nil {
		t.Fatal(err)
	}
	list, err = pc.Messages().List(bob, "INBOX", 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range list {
		if tr, err := pc.Messages().Travel(bob, "INBOX", m.UID); err != nil || tr != nil {
			t.Errorf("headers only: %q has a record %+v (%v), want none", m.Subject, tr, err)
		}
		if m.Subject != "Signed" {
			continue
		}
		if _, err := pc.Messages().Raw(ctx, bob, "INBOX", m.UID); err != nil {
			t.Fatal(err)
		}
		got, err := pc.Messages().Travel(bob, "INBOX", m.UID)
		if err != nil || got == nil || got.Fetch == nil || len(got.DKIM) != 1 || got.DKIM[0].Reason != backend.DKIMNotYet {
			t.Fatalf("fetched to be read: Travel = %+v, %v; want our fetch recorded, the signature not checked yet", got, err)
		}
		pc.syncer.checkLater(bob, "INBOX", m.UID, got) // as Engine.Open does
		pc.syncer.checks.wg.Wait()
		got, err = pc.Messages().Travel(bob, "INBOX", m.UID)
		if err != nil || got == nil || got.Fetch == nil || len(got.DKIM) != 1 || got.DKIM[0].Result != backend.DKIMPass {
			t.Errorf("checked after the fetch: Travel = %+v, %v; want the DKIM pass and our fetch recorded", got, err)
		}
	}
}

func TestNormProviderDomain(t *testing.T) {
	for in, want := range map[string]string{"": "", " Example.NET. ": "example.net", "mx.google.com": "mx.google.com"} {
		if got, err := normProviderDomain(in); err != nil || got != want {
			t.Errorf("normProviderDomain(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"exa mple.net", "a..b", ".example.net", "example.net/x", "-x.net", "ex@mple.net"} {
		if _, err := normProviderDomain(bad); err == nil {
			t.Errorf("normProviderDomain(%q) accepted", bad)
		}
	}
}
