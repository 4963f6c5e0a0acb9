package ui

import (
	"errors"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/sealpost/sealpost/mail/backend"
)

func TestHeaderBlockDate(t *testing.T) {
	h := newHeaderBlock()
	h.zone = time.FixedZone("CET", 3600)
	tests := []struct {
		name string
		date time.Time
		want string
	}{
		{"sender in the reader's offset", time.Date(2026, 11, 20, 10, 30, 0, 0, time.FixedZone("", 3600)), "Fri 20 Nov 2026 10:30"},
		{"sender elsewhere", time.Date(2026, 11, 20, 9, 30, 0, 0, time.FixedZone("", 0)), "Fri 20 Nov 2026 10:30 (sender's time 09:30 +0000)"},
		{"sender on another day", time.Date(2026, 11, 19, 18, 30, 0, 0, time.FixedZone("", -8*3600)),
			"Fri 20 Nov 2026 03:30 (sender's time Thu 19 Nov 18:30 -0800)"},
		{"no date", time.Time{}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := h.date(tc.date); got != tc.want {
				t.Errorf("date(%v) = %q, want %q", tc.date, got, tc.want)
			}
		})
	}
}

// TestReaderHeaderBlock opens the fixture's encrypted message, whose
// headers are protected, and a plain one.
func TestReaderHeaderBlock(t *testing.T) {
	test.NewTempApp(t)
	app, _ := openFixture(t)
	v := app.main
	v.reader.headers.zone = time.UTC

	v.list.Select(rowOf(t, v, "Q3 numbers"))
	app.tasks.wait()
	h := v.reader.headers
	if !strings.Contains(h.shown["From"], "bob@example.net") || !strings.Contains(h.shown["To"], "alice@example.org") ||
		h.shown["Date"] != "Fri 20 Nov 2026 09:30" {
		t.Errorf("header block = %q, want Bob, Alice and the date", h.shown)
	}
	for _, f := range []string{"From", "To"} {
		if !h.protected[f] {
			t.Errorf("%s protected = false, want the lock: Sealpost protects its own mail's headers (protected %q)", f, v.message.Protected)
		}
	}
	if !v.reader.subjectLock.Visible() || v.reader.subject.Text != "Q3 numbers" {
		t.Errorf("subject = %q with lock %v, want the protected subject with its lock", v.reader.subject.Text, v.reader.subjectLock.Visible())
	}
	if !barSays(v.reader, "marked with a lock") {
		t.Errorf("bar = %q, want a line about the protected headers", barText(v.reader))
	}
	if len(h.form.Objects) != 2*len(h.shown) {
		t.Errorf("form has %d objects for %d lines, want a label and a value each", len(h.form.Objects), len(h.shown))
	}

	v.list.Select(rowOf(t, v, "Parking notice"))
	app.tasks.wait()
	h = v.reader.headers
	for f, on := range h.protected {
		if on {
			t.Errorf("%s protected in a plain message, want no lock on an outer value", f)
		}
	}
	if v.reader.subjectLock.Visible() || barSays(v.reader, "marked with a lock") {
		t.Error("a plain message shows a protected subject or headers")
	}
	if _, ok := h.shown["Cc"]; ok {
		t.Errorf("header block = %q, want no Cc line for a message without Cc", h.shown)
	}
}

// TestReaderShowsRecipients checks the lines a sent message needs: who it
// went to, blind copies included, and a To line even when there is none.
func TestReaderShowsRecipients(t *testing.T) {
	test.NewTempApp(t)
	r := newReader()
	r.show(backend.Message{From: "Alice <alice@example.org>", To: "Bob <bob@example.net>, carol@example.com",
		Cc: "Dave <dave@example.org>", Bcc: "erin@example.org", ReplyTo: "team@example.org", Protected: []string{"To"}})
	want := map[string]string{"From": "Alice <alice@example.org>", "To": "Bob <bob@example.net>, carol@example.com",
		"Cc": "Dave <dave@example.org>", "Bcc": "erin@example.org", "Reply-To": "team@example.org"}
	for f, w := range want {
		if got := r.headers.shown[f]; got != w {
			t.Errorf("%s = %q, want %q", f, got, w)
		}
	}
	if !r.headers.protected["To"] || r.headers.protected["Cc"] {
		t.Errorf("protected = %v, want To only", r.headers.protected)
	}
	r.show(backend.Message{From: "alice@example.org"})
	if got := r.headers.shown["To"]; got != "(no recipients shown)" {
		t.Errorf("To without recipients = %q, want it to say so", got)
	}
}

// TestReaderHTMLLinks opens an HTML-only message: its text shows where its
// links lead, as text.
func TestReaderHTMLLinks(t *testing.T) {
	test.NewTempApp(t)
	app, e := openFixture(t)
	raw := "From: Carol <carol@example.com>\r\nTo: alice@example.org\r\nSubject: Newsletter\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: text/html; charset=utf-8\r\n\r\n<p>Read <a href=\"https://example.com/report\">the report</a>.</p>" +
		"<img src=\"https://tracker.example/pixel.gif\"><p><a href=\"https://evil.example/\">https://bank.example/</a></p>\r\n"
	m, err := e.Inspect(t.Context(), []byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	app.main.showMessage(m)
	body := app.main.reader.body.Text
	for _, want := range []string{"Read the report <https://example.com/report>.", "https://bank.example/ <https://evil.example/>"} {
		if !strings.Contains(body, want) {
			t.Errorf("body = %q, want it to contain %q", body, want)
		}
	}
	if strings.Contains(body, "tracker") {
		t.Errorf("body = %q, want the remote image left out", body)
	}
}

// TestReaderClosePathsDisableReply checks that every way the reader stops
// showing an opened message disables the actions on it.
func TestReaderClosePathsDisableReply(t *testing.T) {
	test.NewTempApp(t)
	app, _ := openFixture(t)
	v := app.main
	open := func() {
		t.Helper()
		v.closeMessage("")
		v.list.UnselectAll()
		v.list.Select(rowOf(t, v, "Q3 numbers"))
		app.tasks.wait()
		if v.replyButton.Disabled() || v.replyAllButton.Disabled() {
			t.Fatal("Reply disabled with a message open")
		}
	}
	for name, end := range map[string]func(){
		"closeMessage (the list's call)": func() { v.closeMessage("Select a message to read it.") },
		"clear":                          func() { v.reader.clear("") },
		"wipe (lock)":                    func() { v.reader.wipe() },
		"failed":                         func() { v.reader.failed(errors.New("gone")) },
		"loading another":                func() { v.reader.loading(backend.MessageSummary{Subject: "next"}) },
	} {
		t.Run(name, func(t *testing.T) {
			open()
			end()
			if !v.replyButton.Disabled() || !v.replyAllButton.Disabled() {
				t.Error("Reply stays enabled after the reader closed its message")
			}
		})
	}
	open()
	v.reader.clear("")
	if len(v.reader.saves.Objects) != 0 || v.reader.attachments.Visible() || len(v.reader.headers.shown) != 0 || v.reader.body.Text != "" {
		t.Error("the cleared reader still shows parts of the message")
	}
}

// barText is the security bar's text, a line each.
func barText(r *reader) string {
	var lines []string
	for _, l := range r.bar.state.lines {
		lines = append(lines, l.text)
	}
	return strings.Join(lines, "\n")
}

// barSays reports whether a line of the security bar contains s.
func barSays(r *reader, s string) bool { return strings.Contains(barText(r), s) }
