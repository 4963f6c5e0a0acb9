package ui

import (
	"context"
	"fmt"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/sealpost/sealpost/mail/backend"
)

// bigInbox is a backend double for the scale test only: an unlocked
// profile with one account whose inbox holds n messages. Building 100,000
// real sealed messages would test the store, not the list.
type bigInbox struct {
	backend.Backend // methods the list does not call are left nil
	n               int
	opened          []uint32
}

func (b *bigInbox) ProfileExists() bool                  { return true }
func (b *bigInbox) Unlock(context.Context, []byte) error { return nil }
func (b *bigInbox) Lock() error                          { return nil }
func (b *bigInbox) Accounts(ctx context.Context) ([]backend.Account, error) {
	return []backend.Account{{Email: alice, Name: "Alice"}}, nil
}
func (b *bigInbox) Folders(ctx context.Context, account string) ([]backend.Folder, error) {
	return []backend.Folder{{Account: account, Name: "INBOX"}}, nil
}

func (b *bigInbox) Messages(ctx context.Context, account, folder string, limit int) ([]backend.MessageSummary, error) {
	out := make([]backend.MessageSummary, min(b.n, limit))
	for i := range out {
		uid := uint32(b.n - i)
		out[i] = backend.MessageSummary{
			Account: account, Folder: folder, UID: uid, From: fmt.Sprintf("Sender %d <s%d@example.net>", uid, uid),
			Subject: fmt.Sprintf("Message %d", uid), Date: fixtureNow.Add(-time.Duration(i) * time.Minute),
			Seen: uid%3 != 0, Flagged: uid%7 == 0, Encrypted: uid%2 == 0, Signed: uid%5 == 0,
		}
	}
	return out, nil
}

func (b *bigInbox) Open(ctx context.Context, account, folder string, uid uint32) (backend.Message, error) {
	b.opened = append(b.opened, uid)
	return backend.Message{From: fmt.Sprintf("s%d@example.net", uid), Subject: fmt.Sprintf("Message %d", uid),
		Body: "text", Signature: backend.Signature{Status: backend.SigNone}}, nil
}

// TestMessageListScales loads 100,000 messages, scrolls to the end and
// selects the last one.
func TestMessageListScales(t *testing.T) {
	const n = 100_000
	test.NewTempApp(t)
	b := &bigInbox{n: n}
	app := newApp(b)
	start := time.Now()
	unlocked(t, app)
	v := app.main
	t.Logf("unlock to a listed inbox of %d: %v", n, time.Since(start))
	if got := v.rows.len(); got != n {
		t.Fatalf("rows = %d, want %d", got, n)
	}

	start = time.Now()
	v.list.ScrollToBottom()
	v.list.Select(n - 1)
	app.tasks.wait()
	t.Logf("scroll to the end and open: %v", time.Since(start))
	if len(b.opened) != 1 || b.opened[0] != 1 {
		t.Fatalf("opened UIDs = %v, want [1] (the oldest message, last row)", b.opened)
	}
	if got := v.reader.subject.Text; got != "Message 1" {
		t.Errorf("reader subject = %q, want Message 1", got)
	}
	var visible []string
	var rows int
	for _, o := range test.LaidOutObjects(v.list) {
		if r, ok := o.(*messageRow); ok && r.Visible() {
			rows++
			visible = append(visible, r.subject.Text)
		}
	}
	if rows == 0 || rows > 100 {
		t.Fatalf("rendered rows = %d, want a screenful (the list must be virtualised)", rows)
	}
	if !contains(visible, "Message 1") {
		t.Errorf("rendered subjects after scrolling to the end = %q, want Message 1 among them", visible)
	}

	start = time.Now()
	v.search.SetText("Message 9999")
	t.Logf("search over %d rows: %v", n, time.Since(start))
	// 9999, 19999, …, 89999 and 99990 to 99999.
	if got := v.rows.len(); got != 19 {
		t.Errorf("rows matching Message 9999 = %d, want 19", got)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// fitsScreen checks that w, at the scale under test, is no larger than
// the small screen's room (the test canvas grows to its content's least
// size, so this covers that too) and that each of actions is shown
// wholly inside it.
func fitsScreen(t *testing.T, name string, w fyne.Window, actions ...fyne.CanvasObject) {
	t.Helper()
	room := screenRoom(w)
	size := w.Canvas().Size()
	if size.Width > room.Width || size.Height > room.Height {
		t.Errorf("%s is %v, larger than the screen's room %v", name, size, room)
	}
	if min := w.Content().MinSize(); min.Width > room.Width || min.Height > room.Height {
		t.Errorf("%s cannot shrink below %v, larger than the screen's room %v", name, min, room)
	}
	d := fyne.CurrentApp().Driver()
	for _, o := range actions {
		pos := d.AbsolutePositionForObject(o)
		end := pos.Add(o.Size())
		if !o.Visible() || o.Size().IsZero() || pos.X < 0 || pos.Y < 0 || end.X > size.Width || end.Y > size.Height {
			t.Errorf("%s: an action button at %v–%v is not wholly shown in %v", name, pos, end, size)
		}
	}
}

// TestWindowsFitSmallScreen opens every window at FYNE_SCALE=1.5 and
// checks that each fits a 1366×768 screen with its action buttons in view
// (the content scrolls instead).
func TestWindowsFitSmallScreen(t *testing.T) {
	t.Setenv("FYNE_SCALE", "1.5")
	test.NewTempApp(t)
	app := New(fyne.CurrentApp(), fixtureEngine(t), nil)
	app.tasks.queueUpdates()
	if room := screenRoom(app.window); room.Width > 1366/1.5 || room.Height > 768/1.5 {
		t.Fatalf("room at scale 1.5 got = %v, want within 1366×768 pixels", room)
	}
	fitsScreen(t, "the unlock screen", app.window, app.submit)
	unlocked(t, app)
	v := app.main
	fitsScreen(t, "the main window", app.window, v.newButton, v.search)

	app.showSettings()
	sw := app.settingsOf().window
	for _, tab := range sw.tabs.Items {
		sw.tabs.Select(tab)
		fitsScreen(t, "the settings' "+tab.Text+" tab", sw.window, sw.footer)
	}

	a := app.showAccountSetup()
	a.advanced.Open(0)
	a.window.Content().Refresh()
	fitsScreen(t, "the add-account window", a.window, a.testButton)

	sw.accounts.edit(alice, false)
	app.tasks.wait()
	edit := app.settingsOf().accountEdit
	fitsScreen(t, "the edit-account window", edit.window, edit.testButton)

	app.showKeyManager()
	app.tasks.wait()
	fitsScreen(t, "the key manager", app.keyManager.window, app.keyManager.importButton)

	v.compose(nil)
	app.tasks.wait()
	c := v.lastComposer
	fitsScreen(t, "the composer", c.window, c.sendButton, c.attachButton)

	app.showFirstSteps()
	fitsScreen(t, "the first steps", app.firstSteps.window, app.firstSteps.doneButton)
}
