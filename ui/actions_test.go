package ui

import (
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
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
	e, st := fixtureWithFolders(t, 1)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	return unlocked(t, newApp(e)), e
}

// fixtureWithFolders returns the fixture engine, locked, with its store
// open and an empty Archive (next UID archiveNext) and Trash synchronised
// next to INBOX. The caller adds what it needs and closes the store.
func fixtureWithFolders(t *testing.T, archiveNext uint32) (*mail.Engine, *localstore.Store) {
	t.Helper()
	e := fixtureEngine(t)
	st, err := localstore.Open(e.ProfileDir(), []byte(fixturePassphrase), profileOptions().Store)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []localstore.Folder{
		{Account: alice, Name: "Archive", Delimiter: "/", SpecialUse: `\Archive`, UIDValidity: 8, UIDNext: archiveNext},
		{Account: alice, Name: "Trash", Delimiter: "/", SpecialUse: `\Trash`, UIDValidity: 9, UIDNext: 1},
	} {
		if err := st.Folders().Put(f); err != nil {
			t.Fatal(err)
		}
	}
	return e, st
}

// stored returns the engine's summary of the message with subject in
// folder, and whether it is there.
func stored(t *testing.T, e *mail.Engine, folder, subject string) (backend.MessageSummary, bool) {
	t.Helper()
	msgs, err := e.Messages(t.Context(), alice, folder, 100)
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
	v.actions.commitPending() // as when the undo window ends
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
	typeShortcut(app.window.Canvas(), forwardShortcut)
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
	app.window.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyDelete}) // F5's handler must ignore Del here
	if app.main.rows.len() != 3 {
		t.Errorf("Del without backend support left %d rows, want 3", app.main.rows.len())
	}
}

// clickRow clicks the rendered row with subject, holding mod, as the mouse
// does: the button goes down (with the modifiers), then the tap.
func clickRow(t *testing.T, app *App, subject string, mod fyne.KeyModifier) {
	t.Helper()
	v := app.main
	r := renderedRows(v)[rowOf(t, v, subject)]
	if r == nil {
		t.Fatalf("the row of %q is not rendered", subject)
	}
	r.MouseDown(&desktop.MouseEvent{Modifier: mod})
	test.Tap(r)
	app.tasks.wait()
}

// selectedSubjects lists the selected messages' subjects in list order.
func selectedSubjects(v *mainView) []string {
	var out []string
	for _, m := range v.rows.selection() {
		out = append(out, m.Subject)
	}
	return out
}

func TestMultiSelectClicks(t *testing.T) {
	test.NewTempApp(t)
	app, _ := openActionFixture(t)
	v, a := app.main, app.main.actions
	ctrl, shift := fyne.KeyModifierShortcutDefault, fyne.KeyModifierShift
	steps := []struct {
		name        string
		subject     string
		mod         fyne.KeyModifier
		selected    []string
		reader      string // the reader's subject, or its placeholder
		forwardable bool
	}{
		{"click", "Urgent: new bank details", 0, []string{"Urgent: new bank details"}, "Urgent: new bank details", true},
		{"ctrl+click adds", "Parking notice", ctrl, []string{"Urgent: new bank details", "Parking notice"}, "Parking notice", false},
		{"ctrl+click removes the last clicked", "Parking notice", ctrl, []string{"Urgent: new bank details"}, "Urgent: new bank details", true},
		{"click sets the anchor", "Urgent: new bank details", 0, []string{"Urgent: new bank details"}, "Urgent: new bank details", true},
		{"shift+click extends", "Parking notice", shift, []string{"Urgent: new bank details", "Lunch on Friday?", "Parking notice"}, "Parking notice", false},
		{"ctrl+click removes from several", "Parking notice", ctrl, []string{"Urgent: new bank details", "Lunch on Friday?"}, "2 messages selected.", false},
		{"click selects one again", "Q3 numbers", 0, []string{"Q3 numbers"}, "Q3 numbers", true},
	}
	for _, tt := range steps {
		t.Run(tt.name, func(t *testing.T) {
			clickRow(t, app, tt.subject, tt.mod)
			if got := selectedSubjects(v); !slices.Equal(got, tt.selected) {
				t.Errorf("selection got = %q, want %q", got, tt.selected)
			}
			reader := v.reader.subject.Text
			if reader == "" {
				reader = v.reader.placeholder.Text
			}
			if reader != tt.reader {
				t.Errorf("reader got = %q, want %q", reader, tt.reader)
			}
			if got := app.window.Canvas().Focused(); got != fyne.Focusable(v.list) {
				t.Errorf("focus got = %T, want the message list", got)
			}
			if a.forwardButton.Disabled() == tt.forwardable || a.deleteButton.Disabled() {
				t.Errorf("Forward disabled %v, Delete disabled %v; want Forward enabled %v, Delete enabled", a.forwardButton.Disabled(), a.deleteButton.Disabled(), tt.forwardable)
			}
			for row, r := range renderedRows(v) {
				if want := slices.Contains(tt.selected, v.rows.at(row).Subject); r.background.Visible() != want {
					t.Errorf("row %d highlighted got = %v, want %v", row, r.background.Visible(), want)
				}
			}
		})
	}

	app.window.Canvas().Unfocus()
	typeShortcut(app.window.Canvas(), &fyne.ShortcutSelectAll{})
	if got := len(v.rows.selection()); got != len(inbox) {
		t.Errorf("Ctrl+A selected %d messages, want %d", got, len(inbox))
	}
}

// TestActionsOnSeveralMessages applies each action to a selection of
// several messages and checks the store.
func TestActionsOnSeveralMessages(t *testing.T) {
	test.NewTempApp(t)
	app, e := openActionFixture(t)
	v, a := app.main, app.main.actions
	// Flagged and not; both read once selected, as each was opened when
	// clicked.
	two := []string{"Urgent: new bank details", "Parking notice"}
	selectTwo := func(t *testing.T) {
		t.Helper()
		v.click(rowOf(t, v, two[0]), 0)
		v.click(rowOf(t, v, two[1]), fyne.KeyModifierShortcutDefault)
		app.tasks.wait()
	}
	steps := []struct {
		name   string
		button *widget.Button
		label  string // the button's text before the tap
		check  func(backend.MessageSummary) bool
		status string
	}{
		{"mark unread", a.readButton, "Mark unread", func(m backend.MessageSummary) bool { return !m.Seen }, "Marked 2 messages as unread; the server is updated on the next sync."},
		{"mark read", a.readButton, "Mark read", func(m backend.MessageSummary) bool { return m.Seen }, "Marked 2 messages as read; the server is updated on the next sync."},
		{"flag", a.flagButton, "Flag", func(m backend.MessageSummary) bool { return m.Flagged }, "Flagged 2 messages; the server is updated on the next sync."},
		{"unflag", a.flagButton, "Unflag", func(m backend.MessageSummary) bool { return !m.Flagged }, "Unflagged 2 messages; the server is updated on the next sync."},
	}
	selectTwo(t)
	for _, tt := range steps {
		t.Run(tt.name, func(t *testing.T) {
			if tt.button.Text != tt.label {
				t.Errorf("button before got = %q, want %q", tt.button.Text, tt.label)
			}
			test.Tap(tt.button)
			app.tasks.wait()
			for _, subject := range two {
				if m, _ := stored(t, e, "INBOX", subject); !tt.check(m) {
					t.Errorf("stored %q got = %+v, want it changed by %s", subject, m, tt.name)
				}
			}
			if v.status.Text != tt.status {
				t.Errorf("status got = %q, want %q", v.status.Text, tt.status)
			}
		})
	}

	t.Run("move", func(t *testing.T) {
		test.Tap(a.moveButton)
		if a.picker == nil {
			t.Fatal("Move did not open the folder picker")
		}
		a.picker.SetSelected("Archive")
		test.Tap(dialogButton(t, app.window.Canvas(), "Move"))
		app.tasks.wait()
		for _, subject := range two {
			if _, ok := stored(t, e, "INBOX", subject); ok {
				t.Errorf("%q is still in the stored INBOX", subject)
			}
		}
		if got := subjects(v); !slices.Equal(got, []string{"Q3 numbers", "Lunch on Friday?"}) {
			t.Errorf("rows got = %q, want the two others", got)
		}
		if want := "Moved 2 messages to Archive; the server is updated on the next sync."; v.status.Text != want {
			t.Errorf("status got = %q, want %q", v.status.Text, want)
		}
	})

	t.Run("delete", func(t *testing.T) {
		v.click(0, 0)
		v.click(1, fyne.KeyModifierShift)
		app.tasks.wait()
		app.window.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyDelete})
		app.tasks.wait()
		a.commitPending()
		app.tasks.wait()
		if msgs, err := e.Messages(t.Context(), alice, "INBOX", 100); err != nil || len(msgs) != 0 {
			t.Errorf("stored INBOX got = %d messages (%v), want none", len(msgs), err)
		}
		if v.rows.len() != 0 || v.opened != nil || !a.deleteButton.Disabled() {
			t.Errorf("after delete: %d rows, opened %v, Delete disabled %v; want nothing left", v.rows.len(), v.opened, a.deleteButton.Disabled())
		}
		if want := "Deleted 2 messages; the server is updated on the next sync."; v.status.Text != want {
			t.Errorf("status got = %q, want %q", v.status.Text, want)
		}
	})
}

// TestDeleteSearchResultsAcrossFolders deletes search results from two
// folders at once: the engine is called per folder.
func TestDeleteSearchResultsAcrossFolders(t *testing.T) {
	test.NewTempApp(t)
	app, s := openSearchFixture(t)
	v := app.main
	v.scope.SetSelected(scopeAll)
	test.Type(v.search, "revenue")
	v.search.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	app.tasks.wait()
	if got := subjects(v); !slices.Equal(got, []string{"Q3 numbers", "Annual report"}) {
		t.Fatalf("results got = %q, want Q3 numbers and Annual report", got)
	}
	test.Tap(renderedRows(v)[0])
	app.tasks.wait()
	clickRow(t, app, "Annual report", fyne.KeyModifierShift)
	if got := selectedSubjects(v); !slices.Equal(got, []string{"Q3 numbers", "Annual report"}) {
		t.Fatalf("selection got = %q, want both results", got)
	}
	v.list.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDelete})
	app.tasks.wait()
	v.actions.commitPending()
	app.tasks.wait()
	for _, f := range []struct{ folder, subject string }{{"INBOX", "Q3 numbers"}, {"Archive", "Annual report"}} {
		if _, ok := stored(t, s.Engine, f.folder, f.subject); ok {
			t.Errorf("%q is still in the stored %s", f.subject, f.folder)
		}
	}
	if v.rows.len() != 0 || !v.inResults {
		t.Errorf("after delete: %d rows, in results %v; want the results emptied and still shown (status %q, focus %T)", v.rows.len(), v.inResults, v.status.Text, app.window.Canvas().Focused())
	}
}

// TestMessageKeysWaitForDialogsAndEntries: Del, Ctrl+R and Ctrl+Shift+F
// do nothing while a dialog is shown or a text field has the focus.
func TestMessageKeysWaitForDialogsAndEntries(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, app *App)
	}{
		{"move dialog open", func(t *testing.T, app *App) {
			test.Tap(app.main.actions.moveButton)
			if app.window.Canvas().Overlays().Top() == nil {
				t.Fatal("the Move dialog is not shown")
			}
		}},
		{"search box focused", func(t *testing.T, app *App) {
			app.window.Canvas().Focus(app.main.search)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			test.NewTempApp(t)
			app, e := openActionFixture(t)
			v := app.main
			openRowOf(t, app, "Parking notice")
			tt.setup(t, app)
			c := app.window.Canvas()
			c.OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyDelete})
			v.list.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDelete})
			typeShortcut(c, &desktop.CustomShortcut{KeyName: fyne.KeyR, Modifier: fyne.KeyModifierShortcutDefault})
			typeShortcut(c, forwardShortcut)
			app.tasks.wait()
			if _, ok := stored(t, e, "INBOX", "Parking notice"); !ok || v.actions.pending != nil || rowOf(t, v, "Parking notice") < 0 {
				t.Error("Del deleted the message")
			}
			if len(app.extra) != 0 {
				t.Errorf("Ctrl+R or Ctrl+Shift+F opened %d composers, want none", len(app.extra))
			}
		})
	}
}
