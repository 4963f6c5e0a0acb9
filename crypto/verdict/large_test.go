package verdict

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/sealpost/sealpost/crypto"
)

// largeMessage returns a PGP/MIME message, encrypted to bob and signed by
// alice, whose payload carries a text part and a base64 attachment of n
// bytes, with the attachment's SHA-256.
func largeMessage(t *testing.T, k testKeys, n int) (msg, sum string) {
	t.Helper()
	data := make([]byte, n)
	for i := range data {
		data[i] = byte(i * 31 >> 3)
	}
	h := sha256.Sum256(data)
	payload := "Content-Type: multipart/mixed; boundary=M\n\n--M\nContent-Type: text/plain\n\nsee the attachment\n" +
		"--M\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename=\"big.bin\"\n" +
		"Content-Transfer-Encoding: base64\n\n" + b64Lines(string(data)) + "--M--\n"
	return header("Alice <alice@example.org>", "big") + pgpMIME(encryptTo(t, k, k.alice, payload), "E"), hex.EncodeToString(h[:])
}

// TestLargeEncryptedMessage: a valid encrypted and signed message whose
// decrypted content is larger than MaxDecodedSize is integrity protected,
// its signature valid and its attachment described in full. (The whole
// message used to be decoded into memory up to MaxDecodedSize: the cut
// ciphertext then failed its integrity check.)
func TestLargeEncryptedMessage(t *testing.T) {
	k := people(t)
	const n = 3 << 20
	msg, sum := largeMessage(t, k, n)
	opts := bobReads(k)
	opts.Limits = Limits{MaxDecodedSize: 1 << 20}
	r, err := Inspect([]byte(msg), opts)
	if err != nil {
		t.Fatalf("Inspect: %v", err)
	}
	if !r.Encrypted || !r.IntegrityProtected || r.Signature.Status != crypto.SigValid || !r.Signature.CoversWholeMessage {
		t.Fatalf("verdict = encrypted %v, integrity %v, signature %+v; want encrypted, integrity protected, valid over the whole message (warnings %q)",
			r.Encrypted, r.IntegrityProtected, r.Signature, r.Warnings)
	}
	if r.BodyText != "see the attachment" || len(r.Warnings) != 0 {
		t.Errorf("BodyText = %q, warnings %q; want the text and no warning", r.BodyText, r.Warnings)
	}
	if len(r.Attachments) != 1 || r.Attachments[0].Size != n || r.Attachments[0].SHA256 != sum || r.Attachments[0].Data != nil {
		t.Errorf("attachments = %+v, want big.bin of %d bytes, SHA-256 %s, no data", r.Attachments, n, sum)
	}

	// With its data asked for, an attachment larger than the budget is cut
	// and the verdict says so.
	opts.KeepAttachmentData = true
	r, err = Inspect([]byte(msg), opts)
	if err != nil {
		t.Fatalf("Inspect: %v", err)
	}
	if !r.IntegrityProtected || len(r.Attachments) != 1 || r.Attachments[0].Size != n || len(r.Attachments[0].Data) >= n ||
		!containsWarning(r.Warnings, "decoded content larger than") {
		t.Errorf("with data: integrity %v, attachments %d, warnings %q; want the data cut with a warning", r.IntegrityProtected, len(r.Attachments), r.Warnings)
	}
}

// TestLargeTamperedMessage: a large message whose ciphertext was modified or
// cut off shows nothing of its content, though it streamed through the
// parser before the integrity check failed at its end.
func TestLargeTamperedMessage(t *testing.T) {
	k := people(t)
	msg, _ := largeMessage(t, k, 2<<20)
	start := strings.Index(msg, "-----BEGIN PGP MESSAGE-----")
	end := strings.Index(msg, "-----END PGP MESSAGE-----")
	lines := strings.Split(msg[start:end], "\n")
	mid := len(lines) / 2
	flipped := []byte(lines[mid])
	flipped[10] ^= 'A' ^ 'B' // still base64: only the decryption can tell
	if flipped[10] == lines[mid][10] {
		flipped[10] = 'C'
	}
	modified := append(append(append([]string{}, lines[:mid]...), string(flipped)), lines[mid+1:]...)
	tests := []struct {
		name, armored string
	}{
		{"modified", strings.Join(modified, "\n")},
		{"cut off", strings.Join(lines[:mid], "\n") + "\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bad := msg[:start] + tc.armored + msg[end:]
			r, err := Inspect([]byte(bad), bobReads(k))
			if err != nil {
				t.Fatalf("Inspect: %v", err)
			}
			if !r.Encrypted || r.IntegrityProtected || r.BodyText != "" || len(r.Attachments) != 0 || r.Signature.Status != crypto.SigNone {
				t.Errorf("verdict = integrity %v, body %q, attachments %+v, signature %s; want nothing shown", r.IntegrityProtected, r.BodyText, r.Attachments, r.Signature.Status)
			}
			if !containsWarning(r.Warnings, "not integrity protected or was modified") && !containsWarning(r.Warnings, "cannot be decrypted") {
				t.Errorf("warnings = %q, want the integrity failure", r.Warnings)
			}
		})
	}
}

// TestLongText: text beyond MaxTextSize is cut with a marker and a warning.
func TestLongText(t *testing.T) {
	text := strings.Repeat("0123456789abcdef\n", 200)
	msg := header("Alice <alice@example.org>", "long") + "Content-Type: text/plain\n\n" + text
	r, err := Inspect([]byte(msg), Options{Limits: Limits{MaxTextSize: 1000}, Now: testNow})
	if err != nil {
		t.Fatalf("Inspect: %v", err)
	}
	if !strings.HasPrefix(r.BodyText, text[:1000]) || !strings.HasSuffix(r.BodyText, textCutMarker) || len(r.BodyText) > 1000+len(textCutMarker)+2 {
		t.Errorf("BodyText = %.60q…%q (%d bytes), want the first 1000 bytes and the marker", r.BodyText, r.BodyText[max(0, len(r.BodyText)-60):], len(r.BodyText))
	}
	if !containsWarning(r.Warnings, "only its beginning is shown") {
		t.Errorf("warnings = %q, want one about the cut", r.Warnings)
	}
}

// TestMessageStart: an mbox separator line is skipped, a message of white
// space is refused, and a first line without a line break is no separator.
func TestMessageStart(t *testing.T) {
	tests := []struct {
		name, in string
		want     int64
		wantErr  bool
	}{
		{"plain", "From: a@b\n\nx", 0, false},
		{"mbox separator", "From - Mon Jun  1 12:00:00 2026\nFrom: a@b\n", 32, false},
		{"long separator", "From " + strings.Repeat("x", 10000) + "\nA: b\n", 10006, false},
		{"no line break", "From nowhere", 0, false},
		{"white space only", " \r\n\t\n", 0, true},
		{"empty", "", 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := messageStart(bufio.NewReader(nil), strings.NewReader(tc.in), int64(len(tc.in)))
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("messageStart = %d, %v; want %d, error %v", got, err, tc.want, tc.wantErr)
			}
		})
	}
}

// TestLargeSignedPartInsideEncryption: a multipart/signed inside the
// encryption whose signed part does not fit in MaxDecodedSize is reported as
// not checked, never as valid.
func TestLargeSignedPartInsideEncryption(t *testing.T) {
	k := people(t)
	inner := "Content-Type: text/plain\n\n" + strings.Repeat("signed text\n", 200<<10/12)
	msg := header("Alice <alice@example.org>", "signed") + pgpMIME(encryptTo(t, k, nil, signedPart(t, k.alice, inner, "S")), "E")
	opts := bobReads(k)
	opts.Limits = Limits{MaxDecodedSize: 64 << 10}
	r, err := Inspect([]byte(msg), opts)
	if err != nil {
		t.Fatalf("Inspect: %v", err)
	}
	if !r.IntegrityProtected || r.Signature.Status != crypto.SigError || !containsWarning(r.Warnings, "cannot be checked") {
		t.Errorf("verdict = integrity %v, signature %s, warnings %q; want integrity and a signature that was not checked",
			r.IntegrityProtected, r.Signature.Status, r.Warnings)
	}
	opts.Limits = Limits{}
	if r, err = Inspect([]byte(msg), opts); err != nil || r.Signature.Status != crypto.SigValid {
		t.Errorf("within the limit: signature = %s, %v; want valid", r.Signature.Status, err)
	}
}
