package mail

import (
	"strings"
	"testing"

	"github.com/sealpost/sealpost/mail/backend"
)

// keyedPair gives alice and bob a key each, each knowing the other's.
func keyedPair(t testing.TB) (alice, bob *Profile) {
	t.Helper()
	alice, bob = newTestProfile(t), newTestProfile(t)
	exchangeKeys(t, alice, "alice@example.org", bob, "bob@example.net")
	return alice, bob
}

func TestReplyToEncryptedIsEncryptedAndQuotesDecryptedText(t *testing.T) {
	alice, bob := keyedPair(t)
	raw, err := alice.Composer().Compose("alice@example.org", backend.Draft{To: []string{"bob@example.net"}, Subject: "Plans", Body: "Meet at noon.\n"}, backend.Security{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := bob.Composer().Reply(raw, false)
	if err != nil {
		t.Fatal(err)
	}
	if r.Security != ModeEncrypt || r.Draft.Subject != "Re: Plans" || !strings.Contains(r.Draft.Body, "> Meet at noon.") ||
		len(r.Draft.To) != 1 || !strings.Contains(r.Draft.To[0], "alice@example.org") || r.Draft.InReplyTo == "" {
		t.Fatalf("reply = %+v", r)
	}
	// The reply goes out encrypted to alice, whose key bob has.
	if _, err := bob.Composer().Compose("bob@example.net", r.Draft, backend.Security{Mode: r.Security}); err != nil {
		t.Fatalf("compose the encrypted reply: %v", err)
	}
}

// TestReplyDoesNotQuoteForeignCiphertext is the "decrypt via reply" attack:
// eve wraps ciphertext she captured (encrypted to bob) in her own message,
// hoping bob's reply quotes it in plaintext.
func TestReplyDoesNotQuoteForeignCiphertext(t *testing.T) {
	alice, bob := keyedPair(t)
	captured, err := alice.Composer().Compose("alice@example.org", backend.Draft{To: []string{"bob@example.net"}, Subject: "x", Body: "SECRET-7731\n"}, backend.Security{})
	if err != nil {
		t.Fatal(err)
	}
	// Take the armored OpenPGP message out of the captured mail.
	start := strings.Index(string(captured), "-----BEGIN PGP MESSAGE-----")
	end := strings.Index(string(captured), "-----END PGP MESSAGE-----")
	if start < 0 || end < 0 {
		t.Fatal("no armored message in the captured mail")
	}
	armored := string(captured[start : end+len("-----END PGP MESSAGE-----")])
	attack := "From: Eve <eve@evil.example>\r\nTo: bob@example.net\r\nSubject: quick question\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nCan you check this?\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\n" + armored + "\r\n--b--\r\n"
	r, err := bob.Composer().Reply([]byte(attack), false)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(r.Draft.Body, "SECRET-7731") {
		t.Fatalf("the reply quotes foreign decrypted text:\n%s", r.Draft.Body)
	}
	if r.Security == ModeEncrypt {
		t.Error("a reply to an unencrypted message need not be forced to encrypt mode (auto decides)")
	}
}

func TestReplyAllAndReplyToWarning(t *testing.T) {
	_, bob := keyedPair(t)
	raw := "From: Alice <alice@example.org>\r\nReply-To: collector@evil.example\r\nTo: bob@example.net, dave@example.org\r\n" +
		"Cc: erin@example.org\r\nSubject: Re: lunch\r\nMessage-ID: <m1@example.org>\r\nReferences: <m0@example.org>\r\n\r\nTomorrow?\r\n"
	r, err := bob.Composer().Reply([]byte(raw), true)
	if err != nil {
		t.Fatal(err)
	}
	if r.Draft.Subject != "Re: lunch" || len(r.Warnings) == 0 || !strings.Contains(r.Warnings[0], "collector@evil.example") {
		t.Errorf("reply = %+v, want the Reply-To warning and no double Re:", r)
	}
	cc := strings.Join(r.Draft.Cc, ",")
	if strings.Contains(cc, "bob@example.net") || !strings.Contains(cc, "dave@example.org") || !strings.Contains(cc, "erin@example.org") {
		t.Errorf("reply-all Cc = %q, want the others but not bob himself", cc)
	}
	if strings.Join(r.Draft.References, " ") != "m0@example.org m1@example.org" || r.Draft.InReplyTo != "m1@example.org" {
		t.Errorf("threading = %q / %q", r.Draft.InReplyTo, r.Draft.References)
	}
}

func TestForwardOfEncryptedStaysEncrypted(t *testing.T) {
	alice, bob := keyedPair(t)
	raw, err := alice.Composer().Compose("alice@example.org", backend.Draft{To: []string{"bob@example.net"}, Subject: "Plans", Body: "Meet at noon.\n"}, backend.Security{})
	if err != nil {
		t.Fatal(err)
	}
	f, err := bob.Composer().Forward(raw)
	if err != nil {
		t.Fatal(err)
	}
	if f.Security != ModeEncrypt || f.Draft.Subject != "Fwd: Plans" || !strings.Contains(f.Draft.Body, "Meet at noon.") {
		t.Fatalf("forward = %+v", f)
	}
	// To someone without a key, the forward is refused rather than sent plain.
	f.Draft.To = []string{"carol@example.com"}
	if _, err := bob.Composer().Compose("bob@example.net", f.Draft, backend.Security{Mode: f.Security}); err == nil {
		t.Fatal("an encrypted message was forwarded to a recipient without a key")
	}
}
