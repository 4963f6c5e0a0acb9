package ui

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/sealpost/sealpost/mail/backend"
)

// pastedBlock is a plain message from Bob whose text holds the armored
// block of the fixture's encrypted message between other text: the
// "partial inline PGP" case.
func pastedBlock(t *testing.T, html bool) []byte {
	t.Helper()
	raw := string(readFixture(t, "good.eml"))
	start, end := strings.Index(raw, "-----BEGIN PGP MESSAGE-----"), strings.Index(raw, "-----END PGP MESSAGE-----")
	if start < 0 || end < start {
		t.Fatal("good.eml holds no armored block")
	}
	block := strings.ReplaceAll(raw[start:end], "\r\n", "\n") + "-----END PGP MESSAGE-----"
	head := "From: \"Bob Example\" <bob@example.net>\r\nTo: alice@example.org\r\nSubject: Pasted\r\n" +
		"Date: Fri, 20 Nov 2026 09:30:00 +0000\r\nMIME-Version: 1.0\r\n"
	if html {
		return []byte(head + "Content-Type: text/html\r\n\r\n<p>Words before.</p><p>" +
			strings.ReplaceAll(block, "\n", "<br>\r\n") + "</p><p>Words after.</p>\r\n")
	}
	return []byte(head + "Content-Type: text/plain\r\n\r\nWords before.\r\n" +
		strings.ReplaceAll(block, "\n", "\r\n") + "\r\nWords after.\r\n")
}

// TestReaderBlockAction: an encrypted block inside other text is shown as
// received, not decrypted; its action opens it in a window of its own that
// shows only the decrypted block, with the block's own verdict, and locking
// closes that window.
func TestReaderBlockAction(t *testing.T) {
	for _, html := range []bool{false, true} {
		name := "text"
		if html {
			name = "html"
		}
		t.Run(name, func(t *testing.T) {
			test.NewTempApp(t)
			app, e := openFixture(t)
			v := app.main
			m, err := e.Inspect(t.Context(), pastedBlock(t, html))
			if err != nil {
				t.Fatal(err)
			}
			v.showMessage(m)
			if barSays(v.reader, "Signed by") || !barSays(v.reader, "Not encrypted") {
				t.Errorf("message bar = %q, want not encrypted, not signed", barText(v.reader))
			}
			if strings.Contains(v.reader.body.Text, "Revenue") || !strings.Contains(v.reader.body.Text, "Words before") {
				t.Errorf("message body = %q, want the text as received and nothing decrypted", v.reader.body.Text)
			}
			if len(v.reader.blockButtons) != 1 || v.reader.blockButtons[0].Text != "Decrypt this block" || !v.reader.blocks.Visible() {
				t.Fatalf("block buttons = %d, want one Decrypt this block", len(v.reader.blockButtons))
			}

			test.Tap(v.reader.blockButtons[0])
			app.tasks.wait()
			sub, w := v.reader.lastAttached, v.reader.lastAttachedWindow
			if sub == nil {
				t.Fatalf("no window opened; status %q", v.reader.saveStatus.Text)
			}
			if !strings.Contains(sub.body.Text, "Revenue is up") || strings.Contains(sub.body.Text, "Words") {
				t.Errorf("block body = %q, want the decrypted block alone", sub.body.Text)
			}
			for _, want := range []string{"Encrypted", "Signed by Bob Example", "verified", "A block from “Pasted”"} {
				if !barSays(sub, want) {
					t.Errorf("block bar lacks %q:\n%s", want, barText(sub))
				}
			}
			if barSays(sub, "local encrypted store") || !strings.Contains(w.Title(), "Block from “Pasted”") {
				t.Errorf("block bar %q, title %q", barText(sub), w.Title())
			}
			if barSays(v.reader, "Signed by") || strings.Contains(v.reader.body.Text, "Revenue") {
				t.Error("the block's content or verdict reached the message's reader")
			}

			app.lockAndWipe()
			app.tasks.wait()
			if !sub.closed || sub.body.Text != "" || len(app.extra) != 0 {
				t.Errorf("after locking: closed %v, body %q, %d side windows", sub.closed, sub.body.Text, len(app.extra))
			}
		})
	}
}

// TestReaderBlocksCleared: another message, or none, takes the block
// actions away.
func TestReaderBlocksCleared(t *testing.T) {
	test.NewTempApp(t)
	r := newReader()
	r.show(backend.Message{Blocks: []backend.InlineBlock{{Kind: backend.BlockEncrypted}, {Kind: backend.BlockSigned}}})
	if len(r.blockButtons) != 2 || r.blockButtons[1].Text != "Verify this block (2 of 2)" {
		t.Fatalf("buttons = %d, want two, the second to verify", len(r.blockButtons))
	}
	test.Tap(r.blockButtons[0]) // no app: says so instead of opening
	if r.saveStatus.Text == "" {
		t.Error("a block action without an app said nothing")
	}
	r.show(backend.Message{})
	if len(r.blockButtons) != 0 || r.blocks.Visible() {
		t.Errorf("after a message without blocks: %d buttons, visible %v", len(r.blockButtons), r.blocks.Visible())
	}
	r.show(backend.Message{Blocks: []backend.InlineBlock{{Kind: backend.BlockEncrypted}}})
	r.clear("")
	if len(r.blockButtons) != 0 || r.blocks.Visible() {
		t.Errorf("after clear: %d buttons, visible %v", len(r.blockButtons), r.blocks.Visible())
	}
}

// dateMismatch is a message from Bob whose valid signature was made five
// days before its Date.
func dateMismatch() backend.Message {
	date := time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)
	return backend.Message{From: "Bob Example <bob@example.net>", To: "alice@example.org", Subject: "Lunch on Friday?", Date: date,
		Body: "Shall we have lunch on Friday at noon?",
		Signature: backend.Signature{Status: backend.SigValid, Fingerprint: "EEE772889CE57117BD7D6C12DDFB66979E15B17C",
			Signer: "Bob Example <bob@example.net>", Verification: backend.VerificationVerified, MatchesFrom: true,
			WholeMessage: true, SignedAt: date.AddDate(0, 0, -5), DateMismatch: true}}
}

// TestReaderDateMismatch: a valid signature made days before the message's
// Date is shown as a mismatch, once, never as a plain "Signed by"; by a key
// of someone else, the bar says both.
func TestReaderDateMismatch(t *testing.T) {
	test.NewTempApp(t)
	other := dateMismatch()
	other.Signature.MatchesFrom = false
	tests := []struct {
		name  string
		msg   backend.Message
		also  string
		level level
	}{
		{"by the sender", dateMismatch(), "", levelCaution},
		{"by someone else", other, "Signed, but NOT by bob@example.net", levelBad},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newReader()
			r.show(tc.msg)
			if barSays(r, "Signed by") || !barSays(r, tc.also) {
				t.Errorf("bar = %q, want no plain \"Signed by\" and %q", barText(r), tc.also)
			}
			if n := strings.Count(barText(r), "Date mismatch: signed by Bob Example <bob@example.net> on 15 Nov 2026, but the message is dated 20 Nov 2026"); n != 1 {
				t.Errorf("bar says the date mismatch with both dates %d times, want once:\n%s", n, barText(r))
			}
			if n := strings.Count(barText(r), "old message sent again"); n != 1 {
				t.Errorf("bar warns of an old message %d times, want once:\n%s", n, barText(r))
			}
			if r.bar.state.level != tc.level {
				t.Errorf("level = %s, want %s", r.bar.state.level, tc.level)
			}
		})
	}
}

// TestReaderDateMismatchGolden renders the reader with the date mismatch
// banner.
func TestReaderDateMismatchGolden(t *testing.T) {
	if testing.Short() {
		t.Skip("renders a window")
	}
	test.NewTempApp(t)
	test.ApplyTheme(t, variantTheme{theme.DefaultTheme(), theme.VariantLight})
	r := newReader()
	r.headers.zone = time.UTC
	w := test.NewWindow(r.object)
	defer w.Close()
	w.Resize(fyne.NewSize(640, 420))
	r.show(dateMismatch())
	test.AssertImageMatches(t, "reader_date_mismatch_light.png", w.Canvas().Capture())
}
