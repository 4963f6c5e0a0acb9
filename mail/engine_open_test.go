package mail

import (
	"slices"
	"strings"
	"testing"

	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail/backend"
)

// TestEngineOpenHeaders checks that Open carries the header block: To, the
// sender's Date, and which values came from protected headers (Sealpost
// protects its own mail's headers, RFC 9788).
func TestEngineOpenHeaders(t *testing.T) {
	e := engineWithMail(t)
	m, err := e.Open(t.Context(), "alice@example.org", "INBOX", 7)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.To, "alice@example.org") || m.Date.IsZero() {
		t.Errorf("To, Date = %q, %v, want Alice and the date", m.To, m.Date)
	}
	for _, f := range []string{"Subject", "From", "To"} {
		if !slices.Contains(m.Protected, f) {
			t.Errorf("Protected = %q, want %s among them", m.Protected, f)
		}
	}

	// Stored without a record of how it travelled: none, "not recorded".
	if m.Travel != nil {
		t.Errorf("Travel = %+v, want nil for a message stored without a record", m.Travel)
	}
	err = e.with(t.Context(), func(p *Profile) error {
		_, err := p.store.Messages().UpdateTransports("alice@example.org", "INBOX",
			[]localstore.TransportUpdate{{UID: 7, New: []byte(`{"hops":[{"by":"mx.example.org","encryption":"tls"}]}`)}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if m, err = e.Open(t.Context(), "alice@example.org", "INBOX", 7); err != nil {
		t.Fatal(err)
	}
	if m.Travel == nil || len(m.Travel.Hops) != 1 || m.Travel.Hops[0].By != "mx.example.org" {
		t.Errorf("Travel = %+v, want the stored record", m.Travel)
	}
}

// TestEngineInspectsAttachedMessage opens a message attached to a plain
// one: the parent is neither encrypted nor signed, and the attached
// message, inspected on its own, is (Thunderbird's fwd-unsigned-encrypted
// case).
func TestEngineInspectsAttachedMessage(t *testing.T) {
	e := engineWithMail(t)
	raw := storedRaw(t, e)
	outer := "From: Carol <carol@example.com>\r\nTo: alice@example.org\r\nSubject: Fwd: a note\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n" +
		"--B\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment\r\n\r\n" + string(raw) + "\r\n--B--\r\n"
	parent, err := e.Inspect(t.Context(), []byte(outer))
	if err != nil {
		t.Fatal(err)
	}
	if parent.Encrypted || parent.Signature.Status != "none" || len(parent.Attachments) != 1 {
		t.Fatalf("parent = encrypted %v, signature %s, %d attachments, want a plain message with one", parent.Encrypted, parent.Signature.Status, len(parent.Attachments))
	}
	a := parent.Attachments[0]
	if a.ContentType != "message/rfc822" || len(a.Data) != a.Size || !strings.HasSuffix(a.Filename, ".eml") {
		t.Fatalf("attachment = %q %s with %d of %d bytes, want the whole attached message", a.Filename, a.ContentType, len(a.Data), a.Size)
	}
	attached, err := e.Inspect(t.Context(), a.Data)
	if err != nil {
		t.Fatal(err)
	}
	if !attached.Encrypted || !attached.Decrypted || !attached.Signature.Counts() || attached.Subject != "Note to self" {
		t.Errorf("attached = %+v, want the encrypted, signed note", attached)
	}
	if attached.Transport != nil {
		t.Errorf("attached Transport = %+v, want none: it did not travel on its own", attached.Transport)
	}
}

// TestEngineInspectsInlineBlock opens an encrypted block that sits inside
// other text: the message shows the text as received, the block, opened on
// request, its own content and verdict only.
func TestEngineInspectsInlineBlock(t *testing.T) {
	e := engineWithMail(t)
	raw := storedRaw(t, e)
	start, end := strings.Index(string(raw), "-----BEGIN PGP MESSAGE-----"), strings.Index(string(raw), "-----END PGP MESSAGE-----")
	if start < 0 || end < start {
		t.Fatal("the stored message holds no armored block")
	}
	block := string(raw[start:end]) + "-----END PGP MESSAGE-----"
	outer := "From: Alice <alice@example.org>\r\nTo: alice@example.org\r\nSubject: pasted\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: text/plain\r\n\r\nprefix words\r\n" + block + "\r\nsuffix words\r\n"
	m, err := e.Inspect(t.Context(), []byte(outer))
	if err != nil {
		t.Fatal(err)
	}
	if m.Encrypted || len(m.Blocks) != 1 || m.Blocks[0].Kind != "encrypted" || !strings.Contains(m.Body, "prefix words") {
		t.Fatalf("message = encrypted %v, blocks %d, body %q; want the text as received and one block", m.Encrypted, len(m.Blocks), m.Body)
	}
	b, err := e.InspectBlock(t.Context(), m.Blocks[0])
	if err != nil {
		t.Fatal(err)
	}
	if !b.Encrypted || !b.Decrypted || strings.Contains(b.Body, "prefix words") || strings.Contains(b.Body, "suffix words") || b.Body == "" {
		t.Errorf("block = encrypted %v, decrypted %v, body %q; want the decrypted block alone", b.Encrypted, b.Decrypted, b.Body)
	}
	if b.Signature.Status != "valid" || b.Signature.Signer == "" {
		t.Errorf("block signature = %+v, want Alice's, named", b.Signature)
	}
	if _, err := e.InspectBlock(t.Context(), backend.InlineBlock{Kind: "encrypted", Armored: []byte("no block")}); err == nil {
		t.Error("InspectBlock of no block: error = nil, want one")
	}
}

// storedRaw is the fixture's stored message 7, encrypted and signed.
func storedRaw(t *testing.T, e *Engine) []byte {
	t.Helper()
	var raw []byte
	err := e.with(t.Context(), func(p *Profile) (err error) {
		raw, err = p.Messages().Raw(t.Context(), "alice@example.org", "INBOX", 7)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return raw
}
