package mail

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sealpost/sealpost/crypto"
	"github.com/sealpost/sealpost/mail/backend"
	"github.com/sealpost/sealpost/mail/testservers"
)

// exchangeKeys gives each profile a key for its address and imports the
// other's public key, verified.
func exchangeKeys(t testing.TB, a *Profile, aAddr string, b *Profile, bAddr string) {
	t.Helper()
	ka, err := a.Keys().GenerateKey("A", aAddr, crypto.AlgoCurve25519, 0)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := b.Keys().GenerateKey("B", bAddr, crypto.AlgoCurve25519, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range []struct {
		from, to *Profile
		fpr      string
	}{{a, b, ka.Fingerprint}, {b, a, kb.Fingerprint}} {
		pub, err := x.from.Keys().ExportPublic(x.fpr)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := x.to.Keys().ImportKeys([]byte(pub), nil); err != nil {
			t.Fatal(err)
		}
		if _, err := x.to.Keys().VerifyKey(x.fpr); err != nil {
			t.Fatal(err)
		}
	}
}

// TestEncryptedMailThroughRealServers: alice sends encrypted and signed to
// bob through Postfix and Dovecot; the server never holds the body or the
// real subject; bob reads both with a valid signature.
func TestEncryptedMailThroughRealServers(t *testing.T) {
	srv := testservers.Start(t)
	alice, bob := "alice@"+srv.Domain, "bob@"+srv.Domain
	pa := profileWithAccount(t, srv, alice, false)
	pb := profileWithAccount(t, srv, bob, false)
	exchangeKeys(t, pa, alice, pb, bob)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	const subject, body = "Merger plans Q3", "The secret number is 4711.\n"
	if _, err := pa.Outbox().Send(ctx, alice, backend.Draft{To: []string{bob}, Subject: subject, Body: body}, backend.Security{}); err != nil {
		t.Fatalf("send encrypted: %v", err)
	}
	srv.WaitForMessages(t, bob, "INBOX", 1, 30*time.Second)
	onServer := srv.Messages(t, bob, "INBOX")[0]
	for _, secret := range []string{subject, "4711"} {
		if bytes.Contains(onServer, []byte(secret)) {
			t.Errorf("the server's copy contains %q", secret)
		}
	}
	if sent := srv.Messages(t, alice, "Sent"); len(sent) != 1 || bytes.Contains(sent[0], []byte("4711")) {
		t.Errorf("alice's Sent copy must be the encrypted one")
	}

	if err := pb.Syncer().Sync(ctx, SyncRequest{}); err != nil {
		t.Fatal(err)
	}
	msgs, err := pb.Messages().List(bob, "INBOX", 1)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("bob's INBOX: %v, %v", msgs, err)
	}
	if msgs[0].Subject != subject || !msgs[0].Encrypted {
		t.Errorf("bob's list shows %q (encrypted %v), want the protected subject from the encrypted part", msgs[0].Subject, msgs[0].Encrypted)
	}
	raw, err := pb.Messages().Raw(t.Context(), bob, "INBOX", msgs[0].UID)
	if err != nil {
		t.Fatal(err)
	}
	v, err := pb.Inspector().Inspect(raw)
	if err != nil {
		t.Fatal(err)
	}
	if !v.Encrypted || !v.IntegrityProtected || v.Subject != subject || v.Signature.Status != crypto.SigValid ||
		!v.Signature.SignerMatchesFrom || !bytes.Contains([]byte(v.BodyText), []byte("4711")) {
		t.Errorf("bob's verdict = %+v", v)
	}
}

// TestSendFailsClosedWithoutKey: auto mode refuses a recipient without a
// key, and nothing reaches the MTA.
func TestSendFailsClosedWithoutKey(t *testing.T) {
	srv := testservers.Start(t)
	alice, bob := "alice@"+srv.Domain, "bob@"+srv.Domain
	pa := profileWithAccount(t, srv, alice, false)
	if _, err := pa.Keys().GenerateKey("Alice", alice, crypto.AlgoCurve25519, 0); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := pa.Outbox().Send(ctx, alice, backend.Draft{To: []string{bob}, Subject: "secret", Body: "secret body"}, backend.Security{})
	var missing *backend.MissingKeysError
	if !errors.As(err, &missing) || len(missing.Addresses) != 1 || missing.Addresses[0] != bob {
		t.Fatalf("send without bob's key: err = %v, want a MissingKeysError naming bob", err)
	}
	if _, err := pa.Outbox().Send(ctx, alice, backend.Draft{To: []string{bob}, Subject: "x"}, backend.Security{Mode: ModeEncrypt}); !errors.As(err, &missing) {
		t.Fatalf("encrypt mode without bob's key: err = %v, want a MissingKeysError", err)
	}
	if items, _ := pa.Outbox().List(); len(items) != 0 {
		t.Fatalf("the refused message was queued: %d outbox items", len(items))
	}
	// An explicit plain message afterwards is the only one bob gets.
	if _, err := pa.Outbox().Send(ctx, alice, backend.Draft{To: []string{bob}, Subject: "plain on purpose"}, backend.Security{Mode: ModePlain}); err != nil {
		t.Fatal(err)
	}
	srv.WaitForMessages(t, bob, "INBOX", 1, 30*time.Second)
	got := srv.Messages(t, bob, "INBOX")
	if len(got) != 1 || !bytes.Contains(got[0], []byte("plain on purpose")) || bytes.Contains(got[0], []byte("secret body")) {
		t.Fatalf("bob's INBOX has %d messages; want only the plain one", len(got))
	}
	if !bytes.Contains(got[0], []byte("Autocrypt: addr="+alice)) {
		t.Error("the plain message carries no Autocrypt header")
	}
}
