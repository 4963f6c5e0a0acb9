package verdict

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/sealpost/sealpost/crypto"
)

func TestHeaderProtection(t *testing.T) {
	k := people(t)
	tests := []struct {
		name    string
		msg     string
		hp      string
		subject string
		from    string
		body    string
		absent  string
		warn    string
	}{
		{
			name: "rfc9788 encrypted",
			msg: header("Alice <alice@example.org>", "[...]") + pgpMIME(encryptTo(t, k, k.alice,
				"Content-Type: text/plain; charset=utf-8; hp=\"cipher\"; hp-legacy-display=\"1\"\n"+
					"From: Alice <alice@example.org>\nSubject: Quarterly numbers\n\n"+
					"Subject: Quarterly numbers\n\nThe numbers are good.\n"), "E"),
			hp: hpRFC, subject: "Quarterly numbers", from: "Alice <alice@example.org>",
			body: "The numbers are good.", absent: "Subject:",
		},
		{
			name: "legacy protected headers with a display part",
			msg: header("Alice <alice@example.org>", "...") + pgpMIME(encryptTo(t, k, k.alice,
				"Content-Type: multipart/mixed; boundary=M; protected-headers=\"v1\"\nSubject: Real subject\n"+
					"From: Alice <alice@example.org>\n\n--M\nContent-Type: text/rfc822-headers; protected-headers=\"v1\"\n\n"+
					"Subject: Real subject\n\n--M\nContent-Type: text/plain\n\nbody text\n--M--\n"), "E"),
			hp: hpLegacy, subject: "Real subject", from: "Alice <alice@example.org>", body: "body text", absent: "Subject:",
		},
		{
			name: "rfc9788 clear on a signed message",
			msg: header("Alice <alice@example.org>", "outer subject") + signedPart(t, k.alice,
				"Content-Type: text/plain; hp=\"clear\"\nSubject: inner subject\nFrom: Alice <alice@example.org>\n\nsigned body", "S"),
			hp: hpRFC, subject: "inner subject", body: "signed body",
		},
		{
			name: "signed headers under a bad signature are not used",
			msg: header("Alice <alice@example.org>", "outer subject") + strings.Replace(signedPart(t, k.alice,
				"Content-Type: text/plain; hp=\"clear\"\nSubject: inner subject\n\nsigned body", "S"), "signed body", "forged body", 1),
			hp: hpNone, subject: "outer subject", body: "forged body", warn: "the signature is not valid",
		},
		{
			name: "hp cipher on an unencrypted message is ignored",
			msg: header("Alice <alice@example.org>", "outer subject") + signedPart(t, k.alice,
				"Content-Type: text/plain; hp=\"cipher\"\nSubject: inner subject\n\nsigned body", "S"),
			hp: hpNone, subject: "outer subject", body: "signed body", warn: "claims encrypted header protection",
		},
		{
			name: "unprotected inner headers are not used",
			msg: header("Alice <alice@example.org>", "outer subject") + pgpMIME(encryptTo(t, k, k.alice,
				"Content-Type: text/plain\nSubject: inner subject\n\nbody\n"), "E"),
			hp: hpNone, subject: "outer subject", body: "body",
		},
		{
			name: "protected From differs from the outer From",
			msg: header("Mallory <mallory@example.org>", "x") + pgpMIME(encryptTo(t, k, nil,
				"Content-Type: text/plain; hp=\"cipher\"\nFrom: Alice <alice@example.org>\nSubject: s\n\nbody\n"), "E"),
			hp: hpRFC, subject: "s", from: "Alice <alice@example.org>", body: "body", warn: "differs from the outer sender",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Inspect([]byte(tc.msg), bobReads(k))
			if err != nil {
				t.Fatalf("Inspect error = %v, want nil", err)
			}
			if r.HeaderProtection != tc.hp || r.Subject != tc.subject {
				t.Errorf("HeaderProtection, Subject = %q, %q, want %q, %q", r.HeaderProtection, r.Subject, tc.hp, tc.subject)
			}
			if tc.from != "" && r.From != tc.from {
				t.Errorf("From = %q, want %q", r.From, tc.from)
			}
			if !strings.Contains(r.BodyText, tc.body) || (tc.absent != "" && strings.Contains(r.BodyText, tc.absent)) {
				t.Errorf("BodyText = %q, want it to contain %q and not %q", r.BodyText, tc.body, tc.absent)
			}
			if tc.warn != "" && !containsWarning(r.Warnings, tc.warn) {
				t.Errorf("Warnings = %q, want one containing %q", r.Warnings, tc.warn)
			}
		})
	}
}

func TestAutocryptAndGossip(t *testing.T) {
	k := people(t)
	const ac = "addr=alice@example.org; keydata=AAAA"
	tests := []struct {
		name       string
		msg        string
		autocrypt  []string
		gossip     []string
		wantEncryp bool
	}{
		{
			name:      "gossip outside the encryption is ignored",
			msg:       header("Alice <alice@example.org>", "hi") + "Autocrypt: " + ac + "\nAutocrypt-Gossip: addr=eve@evil.example; keydata=BBBB\nContent-Type: text/plain\n\nhi\n",
			autocrypt: []string{ac},
		},
		{
			name: "gossip inside the encryption counts",
			msg: header("Alice <alice@example.org>", "hi") + "Autocrypt: " + ac + "\n" + pgpMIME(encryptTo(t, k, k.alice,
				"Autocrypt-Gossip: addr=carol@example.org; keydata=CCCC\nContent-Type: text/plain\n\nhi\n"), "E"),
			autocrypt: []string{ac}, gossip: []string{"addr=carol@example.org; keydata=CCCC"}, wantEncryp: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Inspect([]byte(tc.msg), bobReads(k))
			if err != nil {
				t.Fatalf("Inspect error = %v, want nil", err)
			}
			if !slices.Equal(r.Autocrypt, tc.autocrypt) || !slices.Equal(r.Gossip, tc.gossip) || r.Encrypted != tc.wantEncryp {
				t.Errorf("Autocrypt, Gossip, Encrypted = %q, %q, %v, want %q, %q, %v",
					r.Autocrypt, r.Gossip, r.Encrypted, tc.autocrypt, tc.gossip, tc.wantEncryp)
			}
		})
	}
}

func TestInlinePGP(t *testing.T) {
	k := people(t)
	armored := encryptTo(t, k, k.alice, "inline secret\n")
	tests := []struct {
		name   string
		msg    string
		enc    bool
		sig    crypto.SignatureStatus
		covers bool
		body   string
		warn   string
	}{
		{
			name: "whole body encrypted and signed",
			msg:  header("Alice <alice@example.org>", "hi") + "Content-Type: text/plain\n\n" + armored + "\n",
			enc:  true, sig: crypto.SigValid, covers: true, body: "inline secret",
		},
		{
			name: "base64 transfer encoding around the block",
			msg: header("Alice <alice@example.org>", "hi") + "Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\n" +
				b64Lines(armored),
			enc: true, sig: crypto.SigValid, covers: true, body: "inline secret",
		},
		{
			name: "not to our key",
			msg: header("Alice <alice@example.org>", "hi") + "Content-Type: text/plain\n\n" + func() string {
				out, err := crypto.EncryptBytes([]byte("x"), crypto.EncryptOptions{Recipients: []*crypto.Key{k.eve.Public()}, Now: testNow, Armor: true})
				if err != nil {
					t.Fatalf("EncryptBytes: %v", err)
				}
				return string(out)
			}() + "\n",
			enc: true, sig: crypto.SigNone, warn: "not to any of your keys",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Inspect([]byte(tc.msg), bobReads(k))
			if err != nil {
				t.Fatalf("Inspect error = %v, want nil", err)
			}
			if r.Encrypted != tc.enc || r.Signature.Status != tc.sig || r.Signature.CoversWholeMessage != tc.covers {
				t.Errorf("Encrypted, Signature, covers = %v, %s, %v, want %v, %s, %v",
					r.Encrypted, r.Signature.Status, r.Signature.CoversWholeMessage, tc.enc, tc.sig, tc.covers)
			}
			if !strings.Contains(r.BodyText, tc.body) {
				t.Errorf("BodyText = %q, want it to contain %q", r.BodyText, tc.body)
			}
			if tc.warn != "" && !containsWarning(r.Warnings, tc.warn) {
				t.Errorf("Warnings = %q, want one containing %q", r.Warnings, tc.warn)
			}
		})
	}
}

// b64Lines encodes s as base64 in 76-character lines.
func b64Lines(s string) string {
	enc := base64Std(s)
	var b strings.Builder
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\n")
		enc = enc[76:]
	}
	return b.String() + enc + "\n"
}

func TestLimits(t *testing.T) {
	k := people(t)
	nested := func(depth int) string {
		var b strings.Builder
		b.WriteString(header("Alice <alice@example.org>", "deep"))
		for i := range depth {
			fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n", i, i)
		}
		b.WriteString("Content-Type: text/plain\n\ndeepest text\n")
		for i := depth - 1; i >= 0; i-- {
			fmt.Fprintf(&b, "--b%d--\n", i)
		}
		return b.String()
	}
	many := func(n int) string {
		var b strings.Builder
		b.WriteString(header("Alice <alice@example.org>", "wide") + "Content-Type: multipart/mixed; boundary=W\n\n")
		for i := range n {
			fmt.Fprintf(&b, "--W\nContent-Type: text/plain\n\npart %d\n", i)
		}
		b.WriteString("--W--\n")
		return b.String()
	}
	big := strings.Repeat("0123456789abcdef", 512) // 8 KiB
	tests := []struct {
		name   string
		msg    string
		limits Limits
		body   string
		absent string
		warn   string
	}{
		{name: "depth within the limit", msg: nested(5), limits: Limits{MaxDepth: 6}, body: "deepest text"},
		{name: "depth over the limit", msg: nested(30), limits: Limits{}, absent: "deepest text", warn: "nesting deeper than 20"},
		{name: "parts over the limit", msg: many(20), limits: Limits{MaxParts: 10}, body: "part 8", absent: "part 12", warn: "more than 10 MIME parts"},
		{
			name:   "decoded size over the limit",
			msg:    header("Alice <alice@example.org>", "big") + "Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\n" + b64Lines(big),
			limits: Limits{MaxDecodedSize: 1024}, absent: big[:2048], warn: "decoded content larger than 1024 bytes",
		},
		{
			name:   "decompression bomb",
			msg:    header("Alice <alice@example.org>", "bomb") + pgpMIME(compressedTo(t, k, 8<<20), "E"),
			limits: Limits{MaxDecodedSize: 1 << 20}, absent: "00000000", warn: "too large",
		},
		{
			name: "compressed message within the limit",
			msg:  header("Alice <alice@example.org>", "small") + pgpMIME(compressedTo(t, k, 1<<10), "E"),
			body: "00000000",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := bobReads(k)
			opts.Limits = tc.limits
			r, err := Inspect([]byte(tc.msg), opts)
			if err != nil {
				t.Fatalf("Inspect error = %v, want nil", err)
			}
			if !strings.Contains(r.BodyText, tc.body) || (tc.absent != "" && strings.Contains(r.BodyText, tc.absent)) {
				t.Errorf("BodyText = %.200q, want it to contain %q and not %.40q", r.BodyText, tc.body, tc.absent)
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

// compressedTo encrypts a text/plain part of n zero digits for bob with
// maximal ZLIB compression: a few kilobytes that inflate to n bytes.
func compressedTo(t *testing.T, k testKeys, n int) string {
	t.Helper()
	pub, err := k.bob.ArmorPublic()
	if err != nil {
		t.Fatalf("ArmorPublic: %v", err)
	}
	ents, err := openpgp.ReadArmoredKeyRing(strings.NewReader(pub))
	if err != nil {
		t.Fatalf("ReadArmoredKeyRing: %v", err)
	}
	for _, id := range ents[0].Identities {
		id.SelfSignature.PreferredCompression = []uint8{uint8(packet.CompressionZLIB)}
	}
	var buf bytes.Buffer
	aw, err := armor.Encode(&buf, "PGP MESSAGE", nil)
	if err != nil {
		t.Fatalf("armor.Encode: %v", err)
	}
	cfg := &packet.Config{DefaultCompressionAlgo: packet.CompressionZLIB, CompressionConfig: &packet.CompressionConfig{Level: 9}, Time: func() time.Time { return testNow }}
	w, err := openpgp.Encrypt(aw, ents, nil, nil, cfg)
	if err != nil {
		t.Fatalf("openpgp.Encrypt: %v", err)
	}
	if _, err := io.WriteString(w, "Content-Type: text/plain\n\n"+strings.Repeat("0", n)); err != nil {
		t.Fatalf("write: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if err := aw.Close(); err != nil {
		t.Fatalf("close armor: %v", err)
	}
	if buf.Len() > 64<<10 {
		t.Fatalf("compressed message is %d bytes, want a small one", buf.Len())
	}
	return buf.String()
}

func TestInspectUnreadable(t *testing.T) {
	tests := []struct {
		name string
		msg  string
	}{
		{"empty", ""},
		{"only whitespace", " \r\n\t"},
		{"not a header", "this is not a mail header\n\nbody"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Inspect([]byte(tc.msg), Options{}); err == nil {
				t.Errorf("Inspect(%q) error = nil, want an error", tc.msg)
			}
		})
	}
}

func TestMboxSeparatorLine(t *testing.T) {
	r, err := Inspect([]byte("From - Thu, 06 Apr 2023 05:00:00 2023\nFrom: a@example.org\nSubject: s\n\nbody\n"), Options{})
	if err != nil || r.Subject != "s" || r.BodyText != "body" {
		t.Errorf("Inspect = %q, %q, %v, want \"s\", \"body\", nil", r.Subject, r.BodyText, err)
	}
}

func TestDecryptProblem(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{fmt.Errorf("x: %w", crypto.ErrIntegrity), "not integrity protected"},
		{fmt.Errorf("x: %w", crypto.ErrNoMatchingKey), "not to any of your keys"},
		{fmt.Errorf("x: %w", crypto.ErrKeyLocked), "unlock it"},
		{fmt.Errorf("x: %w", crypto.ErrBadPassword), "with a password"},
		{fmt.Errorf("x: %w", errTooLarge), "too large"},
		{errors.New("other"), "cannot be decrypted: other"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			if got := decryptProblem(tc.err); !strings.Contains(got, tc.want) {
				t.Errorf("decryptProblem(%v) = %q, want it to contain %q", tc.err, got, tc.want)
			}
		})
	}
}
