package ui

import (
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail"
	"github.com/sealpost/sealpost/mail/backend"
)

// openActionFixture opens the fixture profile with a synchronised Archive
// and Trash folder next to INBOX, as after a sync.
func openActionFixture(t *testing.T) (*App, *mail.Engine) {
	t.Helper()
	e := fixtureEngine(t)
	st, err := localstore.Open(e.ProfileDir(), []byte(fixturePassphrase), profileOptions().Store)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []localstore.Folder{
		{Account: alice, Name: "Archive", Delimiter: "/", SpecialUse: `\Archive`, UIDValidity: 8, UIDNext: 1},
		{Account: alice, Name: "Trash", Delimiter: "/", SpecialUse: `\Trash`, UIDValidity: 9, UIDNext: 1},
	} {
		if err := st.Folders().Put(f); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	return unlocked(t, newApp(e)), e
}

// stored returns the engine's summary of the message with subject in
// folder, and whether it is there.
func stored(t *testing.T, e *mail.Engine, folder, subject string) (backend.MessageSummary, bool) {
	t.Helper()
	msgs, err := e.Messages(alice, folder, 100)
	if err != nil {
		t.Fatalf("messages of %s: %v", folder, err)
	}
	i := slices.IndexFunc(msgs, func(m backend.MessageSummary) bool { return m.Subject == subject })
	if i < 0 {
		return backend.MessageSummary{}, false
	}
	return msgs[i], true
}

// openRowOf selects the row with subject and waits for the reader.
func openRowOf(t *testing.T, app *App, subject string) {
	t.Helper()
	app.main.list.Select(rowOf(t, app.main, subject))
	app.tasks.wait()
}

func TestOpeningMarksReadAndTogglesWork(t *testing.T) {
	test.NewTempApp(t)
	app, e := openActionFixture(t)
	v, a := app.main, app.main.actions
	if a == nil {
		t.Fatal("actions got = nil with the real engine, want the toolbar actions")
	}
	node := alice + folderSep + "INBOX"
	before := v.unread[node]
	openRowOf(t, app, "Q3 numbers")
	if m, _ := stored(t, e, "INBOX", "Q3 numbers"); !m.Seen {
		t.Errorf("stored Seen after opening got = false, want true")
	}
	if got := v.rows.at(rowOf(t, v, "Q3 numbers")); !got.Seen {
		t.Errorf("row Seen after opening got = false, want true")
	}
	if got := v.unread[node]; got != before-1 {
		t.Errorf("unread count got = %d, want %d", got, before-1)
	}

	steps := []struct {
		name   string
		button *widget.Button
		check  func(backend.MessageSummary) bool
		label  string // the button's text afterwards
		status string
	}{
		{"mark unread", a.readButton, func(m backend.MessageSummary) bool { return !m.Seen }, "Mark read", "Marked as unread; the server is updated on the next sync."},
		{"mark read", a.readButton, func(m backend.MessageSummary) bool { return m.Seen }, "Mark unread", "Marked as read; the server is updated on the next sync."},
		{"flag", a.flagButton, func(m backend.MessageSummary) bool { return m.Flagged }, "Unflag", "Flagged; the server is updated on the next sync."},
		{"unflag", a.flagButton, func(m backend.MessageSummary) bool { return !m.Flagged }, "Flag", "Unflagged; the server is updated on the next sync."},
	}
	for _, tt := range steps {
		t.Run(tt.name, func(t *testing.T) {
			test.Tap(tt.button)
			app.tasks.wait()
			if m, _ := stored(t, e, "INBOX", "Q3 numbers"); !tt.check(m) {
				t.Errorf("stored message got = %+v, want it changed by %s", m, tt.name)
			}
			if !tt.check(v.rows.at(rowOf(t, v, "Q3 numbers"))) {
				t.Errorf("row got = %+v, want it changed by %s", v.rows.at(rowOf(t, v, "Q3 numbers")), tt.name)
			}
			if tt.button.Text != tt.label {
				t.Errorf("button got = %q, want %q", tt.button.Text, tt.label)
			}
			if v.status.Text != tt.status {
				t.Errorf("status got = %q, want %q", v.status.Text, tt.status)
			}
		})
	}
}

func TestDeleteKeyMovesToTrash(t *testing.T) {
	test.NewTempApp(t)
	app, e := openActionFixture(t)
	v := app.main
	openRowOf(t, app, "Parking notice")
	c := app.window.Canvas()
	if c.Focused() != nil {
		t.Fatalf("focus got = %T, want none after selecting a row", c.Focused())
	}
	c.OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyDelete})
	app.tasks.wait()
	if _, ok := stored(t, e, "INBOX", "Parking notice"); ok {
		t.Error("the deleted message is still in the stored INBOX")
	}
	if _, ok := stored(t, e, "Trash", "Parking notice"); ok {
		t.Error("the deleted message is in the local Trash before the server moved it, want it there only after a sync")
	}
	for i := 0; i < v.rows.len(); i++ {
		if v.rows.at(i).Subject == "Parking notice" {
			t.Errorf("row %d still lists the deleted message", i)
		}
	}
	if v.opened != nil || v.reader.subject.Text != "" || !v.actions.deleteButton.Disabled() {
		t.Errorf("after delete: opened %v, reader subject %q, Delete disabled %v; want nothing open", v.opened, v.reader.subject.Text, v.actions.deleteButton.Disabled())
	}
	if want := "Deleted; the server is updated on the next sync."; v.status.Text != want {
		t.Errorf("status got = %q, want %q", v.status.Text, want)
	}
	// With nothing open, Del does nothing.
	c.OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyDelete})
	app.tasks.wait()
	if got := v.rows.len(); got != len(inbox)-1 {
		t.Errorf("rows after a second Del with nothing open got = %d, want %d", got, len(inbox)-1)
	}
}

// dialogButton finds the button labelled text in the top overlay (a
// dialog).
func dialogButton(t *testing.T, c fyne.Canvas, text string) *widget.Button {
	t.Helper()
	top := c.Overlays().Top()
	if top == nil {
		t.Fatal("no dialog is open")
	}
	return buttonIn(t, top, text)
}

func TestMoveToFolder(t *testing.T) {
	test.NewTempApp(t)
	app, e := openActionFixture(t)
	v, a := app.main, app.main.actions
	openRowOf(t, app, "Lunch on Friday?")
	test.Tap(a.moveButton)
	if a.picker == nil {
		t.Fatal("Move did not open the folder picker")
	}
	if want := []string{"Archive", "Trash"}; !slices.Equal(a.picker.Options, want) {
		t.Errorf("picker options got = %v, want %v", a.picker.Options, want)
	}

	// Move without a choice moves nothing.
	test.Tap(dialogButton(t, app.window.Canvas(), "Move"))
	app.tasks.wait()
	if _, ok := stored(t, e, "INBOX", "Lunch on Friday?"); !ok {
		t.Fatal("a move without a chosen folder removed the message")
	}
	if want := "Nothing was moved: choose a folder first."; v.status.Text != want {
		t.Errorf("status got = %q, want %q", v.status.Text, want)
	}

	test.Tap(a.moveButton)
	a.picker.SetSelected("Archive")
	test.Tap(dialogButton(t, app.window.Canvas(), "Move"))
	app.tasks.wait()
	if _, ok := stored(t, e, "INBOX", "Lunch on Friday?"); ok {
		t.Error("the moved message is still in the stored INBOX")
	}
	if got := v.rows.len(); got != len(inbox)-1 {
		t.Errorf("rows after the move got = %d, want %d", got, len(inbox)-1)
	}
	if want := "Moved to Archive; the server is updated on the next sync."; v.status.Text != want {
		t.Errorf("status got = %q, want %q", v.status.Text, want)
	}
}

func TestForward(t *testing.T) {
	tests := []struct {
		name, subject, body string
		encrypt, touched    bool
		status              string
	}{
		{"encrypted stays encrypted", "Q3 numbers", "Revenue is up", true, true, "this forward is encrypted too"},
		{"plain", "Parking notice", "---------- Forwarded message ----------", false, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			test.NewTempApp(t)
			app, _ := openActionFixture(t)
			v := app.main
			openRowOf(t, app, tt.subject)
			test.Tap(v.actions.forwardButton)
			app.tasks.wait()
			c := v.lastComposer
			if c == nil {
				t.Fatal("Forward opened no composer")
			}
			if want := "Fwd: " + tt.subject; c.subject.Text != want {
				t.Errorf("subject got = %q, want %q", c.subject.Text, want)
			}
			if !strings.Contains(c.body.Text, tt.body) {
				t.Errorf("body got = %q, want it to contain %q", c.body.Text, tt.body)
			}
			if c.encrypt.Checked != tt.encrypt || c.encryptTouched != tt.touched {
				t.Errorf("Encrypt got = %v (touched %v), want %v (touched %v)", c.encrypt.Checked, c.encryptTouched, tt.encrypt, tt.touched)
			}
			if tt.status != "" && !strings.Contains(c.status.Text, tt.status) {
				t.Errorf("composer status got = %q, want it to contain %q", c.status.Text, tt.status)
			}
		})
	}
}

func TestForwardShortcut(t *testing.T) {
	test.NewTempApp(t)
	app, _ := openActionFixture(t)
	openRowOf(t, app, "Parking notice")
	app.window.Canvas().(fyne.Shortcutable).TypedShortcut(forwardShortcut)
	app.tasks.wait()
	if c := app.main.lastComposer; c == nil || c.subject.Text != "Fwd: Parking notice" {
		t.Fatalf("Ctrl+Shift+F opened composer %v, want a forward of Parking notice", c)
	}
}

func TestNoActionsWithoutBackendSupport(t *testing.T) {
	test.NewTempApp(t)
	app := unlocked(t, newApp(&bigInbox{n: 3}))
	if app.main.actions != nil {
		t.Fatal("actions got = non-nil for a backend without backend.Actions, want nil")
	}
	for _, o := range test.LaidOutObjects(app.window.Content()) {
		if b, ok := o.(*widget.Button); ok && (b.Text == "Delete" || b.Text == "Forward") {
			t.Errorf("toolbar shows %q without backend support", b.Text)
		}
	}
	if app.window.Canvas().OnTypedKey() != nil {
		t.Error("a Del handler is installed without backend support, want none")
	}
}
