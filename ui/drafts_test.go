package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/sealpost/sealpost/mail"
	"github.com/sealpost/sealpost/mail/backend"
)

// autosaveTimers replaces the autosave timer: tests fire it when they choose.
type autosaveTimers struct {
	delays  []time.Duration
	fns     []func() // nil once stopped
	stopped int
}

func (f *autosaveTimers) after(d time.Duration, fn func()) func() bool {
	i := len(f.fns)
	f.delays, f.fns = append(f.delays, d), append(f.fns, fn)
	return func() bool {
		if f.fns[i] == nil {
			return false
		}
		f.fns[i] = nil
		f.stopped++
		return true
	}
}

// fire runs the running timer's function, failing when there is none.
func (f *autosaveTimers) fire(t *testing.T) {
	t.Helper()
	for i := len(f.fns) - 1; i >= 0; i-- {
		if fn := f.fns[i]; fn != nil {
			f.fns[i] = nil
			fn()
			return
		}
	}
	t.Fatal("no autosave timer is running")
}

func (f *autosaveTimers) running() int {
	n := 0
	for _, fn := range f.fns {
		if fn != nil {
			n++
		}
	}
	return n
}

func pressCtrlS(c *composer) {
	c.window.Canvas().Focus(c.body)
	c.window.Canvas().Focused().(fyne.Shortcutable).TypedShortcut(
		&desktop.CustomShortcut{KeyName: fyne.KeyS, Modifier: fyne.KeyModifierShortcutDefault})
}

// storedDrafts lists the engine's drafts of every account.
func storedDrafts(t *testing.T, b backend.Drafts) []backend.SavedDraft {
	t.Helper()
	list, err := b.Drafts(t.Context(), "")
	if err != nil {
		t.Fatalf("Drafts: %v", err)
	}
	return list
}

func isOpen(app *App, w fyne.Window) bool { return slices.Contains(app.extra, w) }

// TestComposerSavesDraftAndContinuesIt saves with Ctrl+S, reopens the draft
// from the drafts window with everything restored, and sends it, which
// deletes the draft.
func TestComposerSavesDraftAndContinuesIt(t *testing.T) {
	test.NewTempApp(t)
	app, rec, c := openComposer(t)
	test.Type(c.to, "bob@example.net")
	test.Type(c.subject, "Plans")
	test.Type(c.body, "See the map.")
	c.addAttachment("map.txt", []byte("X marks the spot"))
	app.tasks.wait()
	if !c.saved.dirty {
		t.Fatal("typing left the composer without unsaved changes")
	}
	pressCtrlS(c)
	app.tasks.wait()
	if c.saved.id == "" || c.saved.dirty || !strings.Contains(c.status.Text, "on this computer") {
		t.Fatalf("after Ctrl+S: id %q, dirty %v, status %q; want saved here (no server in the fixture)", c.saved.id, c.saved.dirty, c.status.Text)
	}
	c.window.Close()

	dw := app.showDrafts()
	app.tasks.wait()
	if len(dw.drafts) != 1 {
		t.Fatalf("drafts window lists %d drafts, want 1", len(dw.drafts))
	}
	title, detail := draftRow(dw.drafts[0], fixtureNow)
	if title != "Plans" || !strings.Contains(detail, "bob@example.net") || !strings.Contains(detail, "not uploaded yet") {
		t.Errorf("row = %q / %q, want the subject, the recipient and the not-uploaded marker", title, detail)
	}
	dw.list.Select(0)
	test.Tap(dw.openButton)
	app.tasks.wait()
	c2 := dw.opened
	if c2 == nil {
		t.Fatal("the drafts window opened no composer")
	}
	if c2.to.Text != "bob@example.net" || c2.subject.Text != "Plans" || c2.body.Text != "See the map." {
		t.Errorf("continued draft: To %q, Subject %q, Body %q", c2.to.Text, c2.subject.Text, c2.body.Text)
	}
	if len(c2.attached) != 1 || string(c2.attached[0].Data) != "X marks the spot" || !c2.encrypt.Checked {
		t.Errorf("continued draft: attachments %+v, encrypt %v; want map.txt and encryption on", c2.attached, c2.encrypt.Checked)
	}
	if c2.saved.dirty {
		t.Error("a draft just opened counts as changed")
	}
	pressCtrlEnter(c2)
	app.tasks.wait()
	if got := rec.modes(); len(got) != 1 || got[0] != backend.ModeEncrypt {
		t.Fatalf("sent modes = %q, want one encrypted message", got)
	}
	if left := storedDrafts(t, rec); len(left) != 0 {
		t.Errorf("drafts after sending = %+v, want none", left)
	}
	if len(dw.drafts) != 0 {
		t.Errorf("drafts window still lists %d drafts after the send", len(dw.drafts))
	}
}

// TestComposerAutosaves checks that a change starts the autosave timer,
// that a further change restarts it, and that it saves when it fires.
func TestComposerAutosaves(t *testing.T) {
	test.NewTempApp(t)
	app, rec, c := openComposer(t)
	var timers autosaveTimers
	c.saved.after = timers.after
	test.Type(c.subject, "Hi")
	app.tasks.wait()
	if timers.running() != 1 || timers.delays[len(timers.delays)-1] != autosaveDelay {
		t.Fatalf("timers running = %d, delays %v; want one of %v", timers.running(), timers.delays, autosaveDelay)
	}
	if n := len(storedDrafts(t, rec)); n != 0 {
		t.Fatalf("saved %d drafts before the timer fired", n)
	}
	timers.fire(t)
	app.tasks.wait()
	list := storedDrafts(t, rec)
	if len(list) != 1 || list[0].Draft.Subject != "Hi" || c.saved.dirty {
		t.Fatalf("after the timer: drafts %+v, dirty %v; want one saved with subject Hi", list, c.saved.dirty)
	}
	test.Type(c.subject, "!")
	app.tasks.wait()
	if timers.running() != 1 {
		t.Errorf("timers running after another change = %d, want 1", timers.running())
	}
	stoppedBefore := timers.stopped
	pressCtrlS(c)
	app.tasks.wait()
	if timers.running() != 0 || timers.stopped != stoppedBefore+1 {
		t.Errorf("after saving by hand: %d timers running, %d stopped; want the pending autosave stopped", timers.running(), timers.stopped-stoppedBefore)
	}
	if list := storedDrafts(t, rec); len(list) != 1 || list[0].Draft.Subject != "Hi!" {
		t.Errorf("drafts = %+v, want the one draft, updated", list)
	}
}

// TestComposerCloseWithChanges answers the close dialog each way.
func TestComposerCloseWithChanges(t *testing.T) {
	for _, tt := range []struct {
		name       string
		answer     func(c *composer) *widget.Button
		wantOpen   bool
		wantDrafts int
	}{
		{"cancel", func(c *composer) *widget.Button { return c.saved.closeNo }, true, 0},
		{"discard", func(c *composer) *widget.Button { return c.saved.closeDiscard }, false, 0},
		{"save", func(c *composer) *widget.Button { return c.saved.closeSave }, false, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			test.NewTempApp(t)
			app, rec, c := openComposer(t)
			test.Type(c.body, "unsaved words")
			app.tasks.wait()
			c.requestClose()
			if c.saved.closeDialog == nil || !isOpen(app, c.window) {
				t.Fatal("closing with changes did not ask")
			}
			test.Tap(tt.answer(c))
			app.tasks.wait()
			if got := isOpen(app, c.window); got != tt.wantOpen {
				t.Errorf("composer open = %v, want %v", got, tt.wantOpen)
			}
			if got := len(storedDrafts(t, rec)); got != tt.wantDrafts {
				t.Errorf("drafts = %d, want %d", got, tt.wantDrafts)
			}
		})
	}
	t.Run("no changes", func(t *testing.T) {
		test.NewTempApp(t)
		app, _, c := openComposer(t)
		c.requestClose()
		if c.saved.closeDialog != nil || isOpen(app, c.window) {
			t.Errorf("closing an untouched composer asked (%v) or left it open (%v)", c.saved.closeDialog != nil, isOpen(app, c.window))
		}
	})
}

// TestDraftInPasswordModeAsksForThePasswordAgain saves a draft meant for a
// password and checks that reopening it asks for the password, which was
// never kept.
func TestDraftInPasswordModeAsksForThePasswordAgain(t *testing.T) {
	test.NewTempApp(t)
	app, rec, c := openComposer(t)
	test.Type(c.to, "carol@example.com")
	test.Type(c.body, "for Carol")
	app.tasks.wait()
	pressCtrlEnter(c) // no key: the offer appears
	app.tasks.wait()
	test.Tap(c.passwordButton)
	test.Type(c.password, "tuna-melt-42")
	test.Tap(c.saved.saveButton)
	app.tasks.wait()
	list := storedDrafts(t, rec)
	if len(list) != 1 || list[0].Mode != backend.ModePassword {
		t.Fatalf("drafts = %+v, want one in password mode", list)
	}
	if got := fmt.Sprintf("%+v", list[0]); strings.Contains(got, "tuna-melt-42") {
		t.Fatalf("the saved draft holds the password: %s", got)
	}
	c.window.Close()
	dw := app.showDrafts()
	app.tasks.wait()
	dw.list.Select(0)
	test.Tap(dw.openButton)
	app.tasks.wait()
	c2 := dw.opened
	if c2 == nil {
		t.Fatal("the drafts window opened no composer")
	}
	if !c2.passwordRow.Visible() || c2.password.Text != "" || c2.encrypt.Checked {
		t.Errorf("reopened: password row shown %v, password %q, encrypt %v; want asked again, empty, encryption by key off",
			c2.passwordRow.Visible(), c2.password.Text, c2.encrypt.Checked)
	}
	if c2.mode() != backend.ModePassword {
		t.Errorf("reopened mode = %q, want password", c2.mode())
	}
}

// TestDraftsWindowDeletesAfterConfirmation deletes a draft only once the
// user confirms.
func TestDraftsWindowDeletesAfterConfirmation(t *testing.T) {
	test.NewTempApp(t)
	rec := &sendRecorder{Engine: fixtureEngine(t)}
	app := unlocked(t, newApp(rec))
	for _, s := range []string{"keep", "delete me"} {
		if _, err := rec.SaveDraft(context.Background(), alice, "", backend.Draft{Subject: s}, backend.ModeEncrypt); err == nil {
			t.Fatal("SaveDraft reached a server that the fixture does not have")
		}
	}
	dw := app.showDrafts()
	app.tasks.wait()
	doomed := slices.IndexFunc(dw.drafts, func(d backend.SavedDraft) bool { return d.Draft.Subject == "delete me" })
	if len(dw.drafts) != 2 || doomed < 0 {
		t.Fatalf("drafts window lists %+v, want both", dw.drafts)
	}
	dw.list.Select(doomed)
	test.Tap(dw.deleteButton)
	if dw.confirm == nil || len(storedDrafts(t, rec)) != 2 {
		t.Fatal("Delete did not ask first")
	}
	test.Tap(dw.confirmDelete)
	app.tasks.wait()
	list := storedDrafts(t, rec)
	if len(list) != 1 || list[0].Draft.Subject != "keep" || len(dw.drafts) != 1 {
		t.Errorf("after deleting: stored %+v, listed %d; want only keep", list, len(dw.drafts))
	}
}

// TestComposerLookUpStaysReachable fills To with many recipients without
// keys at the default composer size: every Look up key button must be
// inside the window's width, the last one must come into view by scrolling
// the chips, the text must keep its room, and tapping the button must work.
func TestComposerLookUpStaysReachable(t *testing.T) {
	test.NewTempApp(t)
	app, _, c := openComposerWithLookup(t)
	var many []string
	for i := range 8 {
		many = append(many, fmt.Sprintf("recipient-number-%d@example.com", i))
	}
	c.to.SetText(strings.Join(many, ", "))
	app.tasks.wait()
	width := c.window.Canvas().Size().Width
	var last *widget.Button
	n := 0
	for _, o := range c.toChips.Objects {
		b, ok := o.(*widget.Button)
		if !ok || b.Text != "Look up key" {
			continue
		}
		n++
		pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(b)
		if !b.Visible() || pos.X < 0 || pos.X+b.Size().Width > width || b.Size().Width == 0 {
			t.Errorf("Look up key %d at x %.0f, width %.0f: outside the window (width %.0f)", n, pos.X, b.Size().Width, width)
		}
		last = b
	}
	if n != len(many) {
		t.Fatalf("Look up key buttons = %d, want %d", n, len(many))
	}
	scroll := c.chipScrolls[c.toChips]
	scroll.ScrollToBottom()
	view := fyne.CurrentApp().Driver().AbsolutePositionForObject(scroll)
	pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(last)
	if bottom := pos.Y + last.Size().Height; pos.Y < view.Y || bottom > view.Y+scroll.Size().Height || bottom > c.window.Canvas().Size().Height {
		t.Errorf("last Look up key spans y %.0f to %.0f after scrolling the chips, outside their view (%.0f to %.0f)",
			pos.Y, bottom, view.Y, view.Y+scroll.Size().Height)
	}
	if h := c.body.Size().Height; h < 40 {
		t.Errorf("the text field is %.0f high with many recipients, want room to write", h)
	}
	test.Tap(last)
	app.tasks.wait()
	if c.found == nil || !c.found.Visible() {
		t.Errorf("tapping the last Look up key showed nothing; status %q", c.status.Text)
	}
}

// TestLockKeepsUnsavedMessages: locking (by hand or when idle) with a
// composer holding unsaved changes keeps them as a draft, says so, and the
// draft is there after unlocking; a composer saved already adds nothing.
func TestLockKeepsUnsavedMessages(t *testing.T) {
	test.NewTempApp(t)
	app, rec, c := openComposer(t)
	test.Type(c.subject, "Half done")
	test.Type(c.body, "words that must not be lost")
	app.tasks.wait()
	test.Tap(app.main.newButton)
	app.tasks.wait()
	if len(app.composers) != 2 {
		t.Fatalf("open composers = %d, want 2", len(app.composers))
	}
	app.lockAndWipe()
	app.tasks.wait()
	if len(app.composers) != 0 || len(app.extra) != 0 {
		t.Errorf("after locking: %d composers, %d windows open; want none", len(app.composers), len(app.extra))
	}
	if got := app.status.Text; !strings.Contains(got, "kept in Drafts (1 message)") {
		t.Errorf("unlock screen status = %q, want it to say the message was kept", got)
	}
	unlocked(t, app)
	list := storedDrafts(t, rec)
	if len(list) != 1 || list[0].Draft.Subject != "Half done" || list[0].Uploaded {
		t.Fatalf("drafts after unlocking = %+v, want the unsaved message, not uploaded yet", list)
	}
	full, err := rec.OpenDraft(t.Context(), list[0].Account, list[0].ID)
	if err != nil || full.Draft.Body != "words that must not be lost" {
		t.Errorf("kept draft body = %q, %v", full.Draft.Body, err)
	}
}

// TestEveryWayToQuitKeepsUnsavedMessages: Ctrl+Q, the tray's Quit and a
// signal (App.Quit, as the main window's close button too) each keep a
// composer's unsaved text as a draft, lock the profile and stop the app.
func TestEveryWayToQuitKeepsUnsavedMessages(t *testing.T) {
	ways := map[string]func(app *App){
		"Ctrl+Q":    func(app *App) { press(app, shortcutQuit) },
		"tray Quit": func(app *App) { app.trayMenu(0, true).Items[3].Action() },
		"signal":    func(app *App) { app.Quit() },
	}
	for name, quit := range ways {
		t.Run(name, func(t *testing.T) {
			test.NewTempApp(t)
			app, rec, c := openComposer(t)
			stopped := 0
			app.stopDriver = func() { stopped++ }
			test.Type(c.subject, "Half done")
			test.Type(c.body, "words that must not be lost")
			app.tasks.wait()
			quit(app)
			app.tasks.wait()
			if _, err := rec.Accounts(t.Context()); !errors.Is(err, mail.ErrProfileLocked) || stopped != 1 {
				t.Fatalf("after quitting: accounts error %v, driver stopped %d times; want locked and stopped once", err, stopped)
			}
			if err := rec.Unlock(t.Context(), []byte(fixturePassphrase)); err != nil {
				t.Fatal(err)
			}
			list := storedDrafts(t, rec)
			if len(list) != 1 || list[0].Draft.Subject != "Half done" {
				t.Fatalf("drafts after quitting = %+v, want the unsaved message", list)
			}
		})
	}
}

// TestSendWhileSavingDeletesTheDraft: a message sent while its first draft
// save still runs leaves no draft behind, whichever finishes first.
func TestSendWhileSavingDeletesTheDraft(t *testing.T) {
	test.NewTempApp(t)
	app, rec, c := openComposer(t)
	test.Type(c.to, "bob@example.net")
	test.Type(c.subject, "Both at once")
	app.tasks.wait()
	pressCtrlS(c)
	if !c.saved.saving {
		t.Fatal("Ctrl+S started no save")
	}
	pressCtrlEnter(c)
	app.tasks.wait()
	if got := rec.modes(); len(got) != 1 {
		t.Fatalf("sent modes = %q, want one message sent", got)
	}
	if left := storedDrafts(t, rec); len(left) != 0 {
		t.Errorf("drafts after sending during the save = %+v, want none", left)
	}
}

// uploadingDrafts is the fixture engine whose draft upload waits for the
// network until its context ends, as a slow server's would.
type uploadingDrafts struct {
	*mail.Engine
	started chan struct{}
	ended   chan error
}

func (u *uploadingDrafts) SaveDraft(ctx context.Context, account, id string, d backend.Draft, mode string) (string, error) {
	u.started <- struct{}{}
	<-ctx.Done()
	u.ended <- ctx.Err()
	return u.Engine.SaveDraft(ctx, account, id, d, mode)
}

// uploadingDraft opens a composer on an engine whose draft uploads wait
// for their context, types subject, and presses Ctrl+S: the upload is
// under way when it returns.
func uploadingDraft(t *testing.T, subject string) (*App, *uploadingDrafts, *composer) {
	t.Helper()
	u := &uploadingDrafts{Engine: fixtureEngine(t), started: make(chan struct{}, 1), ended: make(chan error, 1)}
	app := unlocked(t, newApp(u))
	test.Tap(app.main.newButton)
	app.tasks.wait()
	c := app.main.lastComposer
	test.Type(c.subject, subject)
	app.tasks.wait()
	pressCtrlS(c)
	select {
	case <-u.started:
	case <-time.After(10 * time.Second):
		t.Fatal("Ctrl+S started no upload")
	}
	return app, u, c
}

// TestLockStopsDraftUpload: locking ends a draft upload that is under way
// instead of keeping the profile open until it times out.
func TestLockStopsDraftUpload(t *testing.T) {
	test.NewTempApp(t)
	app, u, _ := uploadingDraft(t, "slow server")
	app.lockAndWipe()
	select {
	case err := <-u.ended:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("the upload ended with %v, want it cancelled by the lock", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("locking did not stop the draft upload")
	}
	app.tasks.wait()
}

// failingDrafts is the fixture engine whose drafts cannot be stored.
type failingDrafts struct{ *mail.Engine }

func (failingDrafts) SaveDraft(context.Context, string, string, backend.Draft, string) (string, error) {
	return "", errors.New("disk full")
}

// TestLockSaysWhenUnsavedTextIsLost: when keeping an open composer's text
// as a draft fails at lock, the unlock screen says so rather than staying
// silent.
func TestLockSaysWhenUnsavedTextIsLost(t *testing.T) {
	test.NewTempApp(t)
	app := unlocked(t, newApp(failingDrafts{fixtureEngine(t)}))
	test.Tap(app.main.newButton)
	app.tasks.wait()
	test.Type(app.main.lastComposer.body, "unsaved words")
	app.tasks.wait()
	app.lockAndWipe()
	app.tasks.wait()
	if got := app.status.Text; !strings.Contains(got, "could not be kept as a draft") || !strings.Contains(got, "disk full") {
		t.Errorf("unlock screen status = %q, want the lost draft and the reason", got)
	}
}

// TestDraftUploadCanBeCancelled: saving a draft shows Cancel while it goes
// to the server; Cancel stops the upload, and the draft is kept on this
// computer all the same.
func TestDraftUploadCanBeCancelled(t *testing.T) {
	test.NewTempApp(t)
	app, u, c := uploadingDraft(t, "Slow server")
	cancel := findButton(c.notice.actions, "Cancel")
	if cancel == nil {
		t.Fatalf("no Cancel while the draft is uploaded; status %q", c.status.Text)
	}
	test.Tap(cancel)
	select {
	case err := <-u.ended:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("the upload ended with %v, want it cancelled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Cancel did not stop the upload")
	}
	app.tasks.wait()
	if !strings.Contains(c.status.Text, "saved on this computer") || findButton(c.notice.actions, "Cancel") != nil {
		t.Errorf("after Cancel: status %q, Cancel still shown %v; want the draft kept here", c.status.Text, findButton(c.notice.actions, "Cancel") != nil)
	}
	if list := storedDrafts(t, u); len(list) != 1 || list[0].Draft.Subject != "Slow server" {
		t.Errorf("drafts after Cancel = %+v, want the draft kept", list)
	}
}

// TestQuitAsksWhenUnsavedTextCannotBeKept: when the composer's text cannot
// be kept as a draft, Quit asks first; Stay keeps the app and the text
// (still unsaved), Quit anyway ends it.
func TestQuitAsksWhenUnsavedTextCannotBeKept(t *testing.T) {
	test.NewTempApp(t)
	app := unlocked(t, newApp(failingDrafts{fixtureEngine(t)}))
	stopped := 0
	app.stopDriver = func() { stopped++ }
	test.Tap(app.main.newButton)
	app.tasks.wait()
	c := app.main.lastComposer
	test.Type(c.body, "unsaved words")
	app.tasks.wait()

	app.Quit()
	app.tasks.wait()
	if stopped != 0 || app.quitDialog == nil || !strings.Contains(dialogText(t, app), "disk full") {
		t.Fatalf("after Quit with a failing draft: stopped %d, dialog %v; want the app kept and the reason asked about", stopped, app.quitDialog != nil)
	}
	test.Tap(dialogButton(t, app.window.Canvas(), "Stay"))
	if stopped != 0 || app.quitting || !c.saved.dirty || c.body.Text != "unsaved words" {
		t.Fatalf("after Stay: stopped %d, quitting %v, dirty %v, body %q", stopped, app.quitting, c.saved.dirty, c.body.Text)
	}

	app.Quit()
	app.tasks.wait()
	test.Tap(dialogButton(t, app.window.Canvas(), "Quit anyway"))
	if _, err := app.backend.Accounts(t.Context()); stopped != 1 || !errors.Is(err, mail.ErrProfileLocked) {
		t.Errorf("after Quit anyway: stopped %d, accounts error %v; want stopped once and locked", stopped, err)
	}
}
