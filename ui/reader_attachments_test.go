package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/sealpost/sealpost/mail/backend"
)

// TestOpenAttachmentWarnsFirst opens the fixture's attachment: nothing is
// written before the user agreed to the warning, and then only where the
// user chose, before the desktop opener gets it.
func TestOpenAttachmentWarnsFirst(t *testing.T) {
	test.NewTempApp(t)
	app, _ := openFixture(t)
	v := app.main
	dir := t.TempDir()
	var saved, launched []string
	v.reader.save = func(name string, data []byte, done func(string, error)) {
		saved = append(saved, name)
		path := filepath.Join(dir, name)
		done(path, os.WriteFile(path, data, 0o600))
	}
	v.reader.launch = func(path string) error {
		launched = append(launched, path)
		return nil
	}
	v.list.Select(rowOf(t, v, "Q3 numbers"))
	app.tasks.wait()
	if len(v.reader.openButtons) != 1 || v.reader.openButtons[0].Text != "Open…" {
		t.Fatalf("open buttons = %d, want one Open… for q3.csv", len(v.reader.openButtons))
	}

	test.Tap(v.reader.openButtons[0])
	if v.reader.pendingOpen == nil || !strings.Contains(v.reader.openWarning, "outside Sealpost's protection") {
		t.Fatalf("warning = %q, want one saying the file leaves Sealpost's protection", v.reader.openWarning)
	}
	v.reader.pendingOpen.Dismiss()
	if len(saved)+len(launched) != 0 {
		t.Fatalf("saved %q and launched %q after Cancel, want nothing", saved, launched)
	}

	test.Tap(v.reader.openButtons[0])
	v.reader.pendingOpen.Confirm()
	app.tasks.wait()
	want := filepath.Join(dir, "q3.csv")
	if len(saved) != 1 || saved[0] != "q3.csv" || len(launched) != 1 || launched[0] != want {
		t.Fatalf("saved %q, launched %q, want q3.csv saved and %s opened", saved, launched, want)
	}
	if got := v.reader.saveStatus.Text; !strings.Contains(got, "Opened q3.csv from "+want) || !strings.Contains(got, "until you delete it") {
		t.Errorf("status = %q, want it to say where the unencrypted file stays", got)
	}

	// The save dialog cancelled: nothing is opened.
	v.reader.save = func(_ string, _ []byte, done func(string, error)) { done("", nil) }
	test.Tap(v.reader.openButtons[0])
	v.reader.pendingOpen.Confirm()
	if len(launched) != 1 {
		t.Errorf("launched %q after the save dialog was cancelled, want nothing more", launched)
	}

	// Closing the message takes an unanswered warning with it.
	test.Tap(v.reader.openButtons[0])
	v.closeMessage("")
	if v.reader.pendingOpen != nil || len(v.reader.openButtons) != 0 {
		t.Error("the warning or the buttons outlived the closed message")
	}
}

func TestOpenWarning(t *testing.T) {
	tests := []struct {
		name     string
		runnable bool
	}{
		{"q3.csv", false},
		{"photo.JPG", false},
		{"setup.exe", true},
		{"install.sh", true},
		{"Invoice.pdf.desktop", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := openWarning(tc.name)
			if !strings.Contains(w, "“"+tc.name+"”") || !strings.Contains(w, "unencrypted") {
				t.Errorf("warning = %q, want the name and that the file is saved unencrypted", w)
			}
			if got := strings.Contains(w, "can run programs"); got != tc.runnable {
				t.Errorf("warns about running programs = %v, want %v", got, tc.runnable)
			}
		})
	}
}

// TestAttachmentNotKeptWhole checks an attachment whose data the engine
// did not keep whole: neither Open nor Save offers a cut file.
func TestAttachmentNotKeptWhole(t *testing.T) {
	test.NewTempApp(t)
	r := newReader()
	r.show(backend.Message{From: "bob@example.net", Attachments: []backend.Attachment{
		{Filename: "disk.iso", ContentType: "application/octet-stream", Size: 100, Data: make([]byte, 10)},
		{Filename: "ok.txt", ContentType: "text/plain", Size: 2, Data: []byte("ok")},
	}})
	if !r.openButtons[0].Disabled() || !r.saveButtons[0].Disabled() {
		t.Error("Open or Save enabled for an attachment that is not whole")
	}
	if r.openButtons[1].Disabled() || r.saveButtons[1].Disabled() {
		t.Error("Open or Save disabled for a whole attachment")
	}
}

// attachedFixture is a plain message from Carol that forwards the
// fixture message file as an attachment.
func attachedFixture(t *testing.T, file string) []byte {
	t.Helper()
	return []byte("From: Carol <carol@example.com>\r\nTo: alice@example.org\r\nSubject: Fwd: from Bob\r\n" +
		"Date: Fri, 20 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n" +
		"--B\r\nContent-Type: text/plain\r\n\r\nSee Bob's message.\r\n--B\r\nContent-Type: message/rfc822\r\n" +
		"Content-Disposition: attachment\r\n\r\n" + string(readFixture(t, file)) + "\r\n--B--\r\n")
}

// TestAttachedMessageWindow opens messages attached to a plain one, each in
// its own window with its own verdict (Thunderbird's forwarded-message
// cases): the parent is neither encrypted nor signed, the attached one is
// what it is, and locking closes its window.
func TestAttachedMessageWindow(t *testing.T) {
	tests := []struct {
		file      string
		subject   string
		want      []string
		forbidden []string
	}{
		{"signed.eml", "Lunch on Friday?", []string{"Not encrypted", "Signed by Bob Example", "verified", "Attached to “Fwd: from Bob”"},
			[]string{"local encrypted store"}},
		{"good.eml", "Q3 numbers", []string{"Encrypted", "Signed by Bob Example", "Attached to"}, []string{"Not encrypted"}},
		{"spoofed.eml", "Urgent: new bank details", []string{"Not encrypted", "Attached to"}, []string{"Signed by Bob"}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			test.NewTempApp(t)
			app, e := openFixture(t)
			v := app.main
			parent, err := e.Inspect(t.Context(), attachedFixture(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			v.showMessage(parent)
			if barSays(v.reader, "Signed by") || !barSays(v.reader, "Not encrypted") || !barSays(v.reader, "Not signed") {
				t.Errorf("parent bar = %q, want not encrypted and not signed", barText(v.reader))
			}
			if len(v.reader.openButtons) != 1 || v.reader.openButtons[0].Text != "Open message" {
				t.Fatalf("open buttons = %d, want Open message", len(v.reader.openButtons))
			}
			test.Tap(v.reader.openButtons[0])
			app.tasks.wait()
			sub, w := v.reader.lastAttached, v.reader.lastAttachedWindow
			if sub == nil {
				t.Fatalf("no window opened; status %q", v.reader.saveStatus.Text)
			}
			if sub.subject.Text != tc.subject || !strings.Contains(w.Title(), tc.subject) {
				t.Errorf("attached subject = %q, title %q, want %q", sub.subject.Text, w.Title(), tc.subject)
			}
			for _, s := range tc.want {
				if !barSays(sub, s) {
					t.Errorf("attached bar lacks %q:\n%s", s, barText(sub))
				}
			}
			for _, s := range tc.forbidden {
				if barSays(sub, s) {
					t.Errorf("attached bar says %q:\n%s", s, barText(sub))
				}
			}
			if barSays(v.reader, "Signed by") {
				t.Errorf("the attached message's signature reached the parent's bar:\n%s", barText(v.reader))
			}

			app.lockAndWipe()
			app.tasks.wait()
			if !sub.closed || sub.body.Text != "" || len(app.extra) != 0 {
				t.Errorf("after locking: closed %v, body %q, %d side windows, want the window closed and wiped", sub.closed, sub.body.Text, len(app.extra))
			}
		})
	}
}

// attachmentLabels is the text of the reader's attachment rows, a line each.
func attachmentLabels(r *reader) string {
	var lines []string
	for _, row := range r.saves.Objects {
		for _, o := range row.(*fyne.Container).Objects {
			if l, ok := o.(*widget.Label); ok {
				lines = append(lines, l.Text)
			}
		}
	}
	return strings.Join(lines, "\n")
}
