package verdict

import (
	"bytes"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/clearsign"
	"github.com/ProtonMail/go-crypto/openpgp/packet"

	"github.com/sealpost/sealpost/crypto"
	"github.com/sealpost/sealpost/crypto/internal/testenv"
)

// headerDated is header with another Date.
func headerDated(from, subject string, date time.Time) string {
	return "From: " + from + "\nTo: bob@example.org\nSubject: " + subject + "\nDate: " + date.Format(time.RFC1123Z) + "\nMIME-Version: 1.0\n"
}

// TestSignatureDateMismatch: a valid signature made more than a day from
// the message's Date is marked, so that it is not shown as a plain valid
// signature (an old signed message sent again).
func TestSignatureDateMismatch(t *testing.T) {
	k := people(t)
	body := "Content-Type: text/plain\n\nsigned text"
	tests := []struct {
		name     string
		date     time.Time
		mismatch bool
	}{
		{"same time", testNow, false},
		{"twenty hours later", testNow.Add(20 * time.Hour), false},
		{"three days later", testNow.Add(72 * time.Hour), true},
		{"two days earlier", testNow.Add(-48 * time.Hour), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			msg := headerDated("Alice <alice@example.org>", "hi", tc.date) + signedPart(t, k.alice, body, "S")
			r, err := Inspect([]byte(msg), bobReads(k))
			if err != nil {
				t.Fatal(err)
			}
			if r.Signature.Status != crypto.SigValid || !r.Signature.SignerMatchesFrom {
				t.Fatalf("signature = %+v, want valid by the sender", r.Signature)
			}
			if r.Signature.DateMismatch != tc.mismatch {
				t.Errorf("DateMismatch = %v, want %v (warnings %q)", r.Signature.DateMismatch, tc.mismatch, r.Warnings)
			}
			if got := slices.Contains(r.Warnings, DateMismatchWarning(r.Signature.SignedAt, r.Date)); got != tc.mismatch {
				t.Errorf("date warning present = %v, want %v: %q", got, tc.mismatch, r.Warnings)
			}
			if !r.Signature.SignedAt.Equal(testNow) {
				t.Errorf("SignedAt = %v, want %v", r.Signature.SignedAt, testNow)
			}
		})
	}
}

// TestSignatureDateMismatchCorpus: Thunderbird's own date mismatch sample.
func TestSignatureDateMismatchCorpus(t *testing.T) {
	dir := filepath.Join(testenv.SharedTestdata(t, "interop", "thunderbird"), "eml")
	r, err := Inspect(readFile(t, filepath.Join(dir, "signed-mismatch-email-date.eml")), corpusProfile(t, profileTB))
	if err != nil {
		t.Fatal(err)
	}
	if r.Signature.Status != crypto.SigValid || !r.Signature.DateMismatch {
		t.Errorf("signature = %+v, want valid with a date mismatch", r.Signature)
	}
}

// TestMultiFromNamesOuterSender: a message with several From addresses
// warns with the outer first address, also when header protection shows
// another one.
func TestMultiFromNamesOuterSender(t *testing.T) {
	k := people(t)
	tests := []struct {
		name, msg string
	}{
		{"two From fields", "From: Eve <eve@evil.example>\nFrom: Alice <alice@example.org>\nTo: bob@example.org\nSubject: s\n" +
			"Date: Mon, 01 Jun 2026 12:00:00 +0000\nContent-Type: text/plain\n\nhello\n"},
		{"two addresses in one field", "From: Eve <eve@evil.example>, Alice <alice@example.org>\nTo: bob@example.org\nSubject: s\n" +
			"Date: Mon, 01 Jun 2026 12:00:00 +0000\nContent-Type: text/plain\n\nhello\n"},
		{"protected From is another", "From: Eve <eve@evil.example>\nFrom: Alice <alice@example.org>\nTo: bob@example.org\nSubject: x\n" +
			"Date: Mon, 01 Jun 2026 12:00:00 +0000\nMIME-Version: 1.0\n" + pgpMIME(encryptTo(t, k, k.alice,
			"Content-Type: text/plain; hp=\"cipher\"\nFrom: Alice <alice@example.org>\nSubject: s\n\nbody\n"), "E")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Inspect([]byte(tc.msg), bobReads(k))
			if err != nil {
				t.Fatal(err)
			}
			if !containsWarning(r.Warnings, "names 2 senders; only the first, eve@evil.example, counts") {
				t.Errorf("warnings = %q, want the two senders named by the outer first address", r.Warnings)
			}
		})
	}
}

// entityOf returns go-crypto's form of an unlocked secret key.
func entityOf(t *testing.T, k *crypto.Key) *openpgp.Entity {
	t.Helper()
	sec, err := k.MarshalSecret()
	if err != nil {
		t.Fatal(err)
	}
	ents, err := openpgp.ReadKeyRing(bytes.NewReader(sec))
	if err != nil {
		t.Fatal(err)
	}
	return ents[0]
}

// signedOnly returns an armored OpenPGP message of text signed by signer
// and compressed, not encrypted: small, but large once decompressed.
func signedOnly(t *testing.T, signer *crypto.Key, text string) string {
	t.Helper()
	ent := entityOf(t, signer)
	cfg := &packet.Config{Time: func() time.Time { return testNow }, CompressionConfig: &packet.CompressionConfig{Level: 9}}
	var buf bytes.Buffer
	aw, err := armor.Encode(&buf, "PGP MESSAGE", nil)
	if err != nil {
		t.Fatal(err)
	}
	cw, err := packet.SerializeCompressed(nopCloser{aw}, packet.CompressionZLIB, cfg.CompressionConfig)
	if err != nil {
		t.Fatal(err)
	}
	w, err := openpgp.Sign(cw, ent, nil, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(w, text); err != nil {
		t.Fatal(err)
	}
	for _, c := range []io.Closer{w, cw, aw} {
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return buf.String()
}

// nopCloser keeps SerializeCompressed from closing the armor early.
type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// TestEncryptedOnlyForOpenPGP: Encrypted is true for OpenPGP encryption
// only: not for S/MIME, not for an OpenPGP message that is signed and too
// large to show.
func TestEncryptedOnlyForOpenPGP(t *testing.T) {
	k := people(t)
	big := signedOnly(t, k.alice, "Content-Type: text/plain\n\n"+strings.Repeat("0", 256<<10))
	if len(big) > 16<<10 {
		t.Fatalf("the signed message is %d bytes, want a small one", len(big))
	}
	smime := "Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\n" +
		"Content-Transfer-Encoding: base64\nContent-Disposition: attachment; filename=smime.p7m\n\nMIAGCSqGSIb3DQEHA6CAMIACAQAxggFYMIIBVAIBADA8\n"
	tests := []struct {
		name       string
		msg        string
		enc, smime bool
		warn       string
	}{
		{name: "S/MIME enveloped data", msg: header("Alice <alice@example.org>", "s") + smime, smime: true, warn: "S/MIME encrypted"},
		{name: "S/MIME under a signature", msg: header("Alice <alice@example.org>", "s") +
			"Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; boundary=B\n\n--B\n" + smime +
			"--B\nContent-Type: application/pkcs7-signature\n\nAAAA\n--B--\n", smime: true, warn: "S/MIME encrypted"},
		{name: "oversized signed inline message", msg: header("Alice <alice@example.org>", "s") + "Content-Type: text/plain\n\n" + big,
			warn: "too large"},
		{name: "oversized signed message as PGP/MIME", msg: header("Alice <alice@example.org>", "s") + pgpMIME(big, "E"),
			warn: "too large"},
		{name: "encrypted and too large", msg: header("Alice <alice@example.org>", "s") + pgpMIME(compressedTo(t, k, 256<<10), "E"),
			enc: true, warn: "too large"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := bobReads(k)
			opts.Limits = Limits{MaxDecodedSize: 64 << 10}
			r, err := Inspect([]byte(tc.msg), opts)
			if err != nil {
				t.Fatal(err)
			}
			if r.Encrypted != tc.enc || r.SMIMEEncrypted != tc.smime || r.IntegrityProtected {
				t.Errorf("Encrypted, SMIMEEncrypted, IntegrityProtected = %v, %v, %v, want %v, %v, false (warnings %q)",
					r.Encrypted, r.SMIMEEncrypted, r.IntegrityProtected, tc.enc, tc.smime, r.Warnings)
			}
			if !containsWarning(r.Warnings, tc.warn) {
				t.Errorf("warnings = %q, want one containing %q", r.Warnings, tc.warn)
			}
		})
	}
}

// clearsigned returns text cleartext-signed by signer.
func clearsigned(t *testing.T, signer *crypto.Key, text string) string {
	t.Helper()
	ent := entityOf(t, signer)
	var buf bytes.Buffer
	w, err := clearsign.Encode(&buf, ent.PrivateKey, &packet.Config{Time: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(w, text); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// htmlLines writes an armored block as HTML does: one line per <br>,
// paragraphs around.
func htmlLines(block string) string {
	return strings.ReplaceAll(strings.TrimSpace(block), "\n", "<br>\n")
}

// TestInlineBlocks: a PGP block inside a larger text or HTML body is not
// processed with the message, but listed; InspectBlock then shows only
// what the block holds, with its own verdict.
func TestInlineBlocks(t *testing.T) {
	k := people(t)
	const secret = "the inline secret"
	enc := encryptTo(t, k, k.alice, secret+"\n")
	signed := clearsigned(t, k.alice, "signed words\n")
	tests := []struct {
		name      string
		msg       string
		kind      string
		enc       bool
		sig       crypto.SignatureStatus
		body      string
		blockWarn string
	}{
		{name: "encrypted block in text", msg: header("Alice <alice@example.org>", "hi") +
			"Content-Type: text/plain\n\nprefix text\n" + enc + "\nsuffix text\n",
			kind: BlockEncrypted, enc: true, sig: crypto.SigValid, body: secret},
		{name: "encrypted block in HTML", msg: header("Alice <alice@example.org>", "hi") +
			"Content-Type: text/html\n\n<html><body><p>prefix text</p><p>" + htmlLines(enc) + "</p><p>suffix text</p></body></html>\n",
			kind: BlockEncrypted, enc: true, sig: crypto.SigValid, body: secret},
		{name: "signed block in text", msg: header("Alice <alice@example.org>", "hi") +
			"Content-Type: text/plain\n\nprefix text\n" + signed + "suffix text\n",
			kind: BlockSigned, sig: crypto.SigValid, body: "signed words"},
		{name: "encrypted block from someone else", msg: header("Eve <eve@example.org>", "hi") +
			"Content-Type: text/plain\n\nprefix text\n" + enc + "\nsuffix text\n",
			kind: BlockEncrypted, enc: true, sig: crypto.SigValid, body: secret, blockWarn: "not by the sender"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Inspect([]byte(tc.msg), bobReads(k))
			if err != nil {
				t.Fatal(err)
			}
			if r.Encrypted || strings.Contains(r.BodyText, secret) || !strings.Contains(r.BodyText, "prefix text") {
				t.Fatalf("message: encrypted %v, body %q; want the text as received, nothing decrypted", r.Encrypted, r.BodyText)
			}
			if len(r.Blocks) != 1 || r.Blocks[0].Kind != tc.kind {
				t.Fatalf("blocks = %+v, want one %s block", r.Blocks, tc.kind)
			}
			b := r.Blocks[0]
			if b.Sender == "" || !b.Date.Equal(testNow) {
				t.Errorf("block sender, date = %q, %v; want the message's", b.Sender, b.Date)
			}
			br, err := InspectBlock(b, bobReads(k))
			if err != nil {
				t.Fatal(err)
			}
			if br.Encrypted != tc.enc || br.Signature.Status != tc.sig || !br.Signature.CoversWholeMessage {
				t.Errorf("block verdict: encrypted %v, signature %+v; want %v, %s over the whole block (warnings %q)",
					br.Encrypted, br.Signature, tc.enc, tc.sig, br.Warnings)
			}
			if strings.TrimSpace(br.BodyText) != tc.body {
				t.Errorf("block text = %q, want only %q", br.BodyText, tc.body)
			}
			if tc.blockWarn == "" && !br.Signature.SignerMatchesFrom {
				t.Errorf("block signer does not match the sender: %q", br.Warnings)
			}
			if tc.blockWarn != "" && !containsWarning(br.Warnings, tc.blockWarn) {
				t.Errorf("block warnings = %q, want one containing %q", br.Warnings, tc.blockWarn)
			}
			if len(br.Blocks) != 0 {
				t.Errorf("block verdict lists blocks %+v, want none", br.Blocks)
			}
		})
	}
}

// TestInspectBlockBadInput: what is not one block of its kind is refused.
func TestInspectBlockBadInput(t *testing.T) {
	k := people(t)
	enc := encryptTo(t, k, nil, "x")
	tests := []struct {
		name string
		b    Block
	}{
		{"unknown kind", Block{Kind: "other", Armored: []byte(enc)}},
		{"text around the block", Block{Kind: BlockEncrypted, Armored: []byte("hello\n" + enc)}},
		{"kind does not match", Block{Kind: BlockSigned, Armored: []byte(enc)}},
		{"empty", Block{Kind: BlockEncrypted}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := InspectBlock(tc.b, bobReads(k)); err == nil {
				t.Error("InspectBlock error = nil, want one")
			}
		})
	}
}

// TestInlineBlocksCorpus: Thunderbird's partial inline samples, processed
// on request as Thunderbird does after the user clicks.
func TestInlineBlocksCorpus(t *testing.T) {
	dir := filepath.Join(testenv.SharedTestdata(t, "interop", "thunderbird"), "eml")
	tests := []struct {
		file string
		enc  bool
		sig  crypto.SignatureStatus
		warn string
	}{
		{"partial-encrypt-for-alice-plaintext.eml", true, crypto.SigNone, ""},
		{"partial-encrypt-for-alice-html.eml", true, crypto.SigNone, ""},
		{"partial-encrypt-for-carol-plaintext.eml", true, crypto.SigNone, "not to any of your keys"},
		{"partial-encrypt-for-carol-html.eml", true, crypto.SigNone, "not to any of your keys"},
		{"partial-signed-from-bob-plaintext.eml", false, crypto.SigValid, ""},
		{"partial-signed-from-bob-html.eml", false, crypto.SigValid, ""},
		{"partial-signed-from-carol-plaintext.eml", false, crypto.SigUnknownKey, "a key you do not have"},
		{"partial-signed-from-carol-html.eml", false, crypto.SigUnknownKey, "a key you do not have"},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			opts := corpusProfile(t, profileTB)
			r, err := Inspect(readFile(t, filepath.Join(dir, tc.file)), opts)
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Blocks) != 1 {
				t.Fatalf("blocks = %d, want 1", len(r.Blocks))
			}
			br, err := InspectBlock(r.Blocks[0], opts)
			if err != nil {
				t.Fatal(err)
			}
			if br.Encrypted != tc.enc || br.Signature.Status != tc.sig {
				t.Errorf("block: encrypted %v, signature %s; want %v, %s (warnings %q)", br.Encrypted, br.Signature.Status, tc.enc, tc.sig, br.Warnings)
			}
			if strings.Contains(br.BodyText, "prefix") || strings.Contains(br.BodyText, "suffix") {
				t.Errorf("block text = %q, want nothing of the text around it", br.BodyText)
			}
			if tc.warn != "" && !containsWarning(br.Warnings, tc.warn) {
				t.Errorf("block warnings = %q, want one containing %q", br.Warnings, tc.warn)
			}
		})
	}
}
