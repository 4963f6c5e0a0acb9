package ui

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/sealpost/sealpost/mail"
	"github.com/sealpost/sealpost/mail/backend"
)

// progressEngine is the real engine with a Sync that reports fixed
// progress instead of talking to a server.
type progressEngine struct {
	*mail.Engine
	steps []backend.SyncProgress
}

func (p *progressEngine) Sync(_ context.Context, _ string, progress func(backend.SyncProgress)) error {
	for _, s := range p.steps {
		progress(s)
	}
	return nil
}

func TestSyncShowsProgressAndReloads(t *testing.T) {
	test.NewTempApp(t)
	e := &progressEngine{Engine: fixtureEngine(t), steps: []backend.SyncProgress{
		{Account: alice, Folder: "INBOX", Done: 1, Total: 4}, {Account: alice, Folder: "INBOX", Done: 4, Total: 4},
	}}
	app := unlocked(t, newApp(e))
	v := app.main
	test.Tap(v.syncButton)
	if !v.progress.Visible() || !v.syncButton.Disabled() {
		t.Fatalf("while syncing: progress visible %v, Sync disabled %v; want both", v.progress.Visible(), v.syncButton.Disabled())
	}
	app.tasks.wait()
	if v.progress.Value != 1 {
		t.Errorf("progress = %v, want 1 after the last step", v.progress.Value)
	}
	if v.progress.Visible() || v.syncButton.Disabled() {
		t.Errorf("after syncing: progress visible %v, Sync disabled %v; want neither", v.progress.Visible(), v.syncButton.Disabled())
	}
	if got := v.status.Text; got != "Inbox: 4 messages" {
		t.Errorf("status = %q, want the reloaded inbox", got)
	}
}

func TestSyncFailureIsReported(t *testing.T) {
	test.NewTempApp(t)
	app, _ := openFixture(t) // the fixture account has no servers
	v := app.main
	test.Tap(v.syncButton)
	app.tasks.wait()
	if got := v.status.Text; !strings.HasPrefix(got, "Sync failed: ") {
		t.Errorf("status = %q, want the failure reported", got)
	}
	if v.progress.Visible() || v.syncButton.Disabled() {
		t.Errorf("after a failed sync the progress bar must hide and Sync be enabled again")
	}
	if got := v.rows.len(); got != len(inbox) {
		t.Errorf("rows after a failed sync = %d, want the %d cached messages kept", got, len(inbox))
	}
	buttonIn(t, v.notice.content, "Retry")
	if b := findButton(v.notice.content, "Open settings"); b != nil {
		t.Errorf("a sync that failed for no account reason offers Open settings")
	}
}

// refusingEngine is the real engine whose Sync fails as a refused
// password does, counting the attempts.
type refusingEngine struct {
	*mail.Engine
	attempts int
}

func (r *refusingEngine) Sync(context.Context, string, func(backend.SyncProgress)) error {
	r.attempts++
	return fmt.Errorf("alice@example.org: IMAP login: %w: NO [AUTHENTICATIONFAILED]", backend.ErrLoginRejected)
}

// TestSyncFailureOffersRetryAndSettings: a refused login leaves Retry and
// Open settings in the status bar; Retry syncs again, Open settings opens
// the settings window on its Accounts tab, and each clears the buttons.
func TestSyncFailureOffersRetryAndSettings(t *testing.T) {
	test.NewTempApp(t)
	e := &refusingEngine{Engine: fixtureEngine(t)}
	app := unlocked(t, newApp(e))
	v := app.main
	test.Tap(v.syncButton)
	app.tasks.wait()
	if got := v.status.Text; !strings.Contains(got, "refused the user name or password") {
		t.Errorf("status = %q, want the refused login named", got)
	}
	test.Tap(buttonIn(t, v.notice.content, "Retry"))
	app.tasks.wait()
	if e.attempts != 2 {
		t.Errorf("sync attempts after Retry = %d, want 2", e.attempts)
	}
	test.Tap(buttonIn(t, v.notice.content, "Open settings"))
	app.tasks.wait()
	sw := app.settings.window
	if sw == nil || sw.tabs.Selected() != sw.accountsTab {
		t.Fatalf("Open settings did not open the Accounts tab of the settings window")
	}
	if v.notice.hasActions() {
		t.Errorf("the problem's buttons stay after acting on it")
	}
}

// warningEngine is the real engine with a Sync that reports a warning, as a
// changed contact key does, and then succeeds.
type warningEngine struct{ *mail.Engine }

func (w *warningEngine) Sync(_ context.Context, _ string, progress func(backend.SyncProgress)) error {
	progress(backend.SyncProgress{Warning: "the key of bob@example.net changed: compare fingerprints before trusting it"})
	return nil
}

// TestSyncWarningsAreShown: a warning reported during a sync is shown in a
// dialog after it, not lost in the status line.
func TestSyncWarningsAreShown(t *testing.T) {
	test.NewTempApp(t)
	app := unlocked(t, newApp(&warningEngine{fixtureEngine(t)}))
	v := app.main
	test.Tap(v.syncButton)
	app.tasks.wait()
	if v.syncWarnings == nil {
		t.Fatal("no dialog shows the sync's warning")
	}
	dialogButton(t, app.window.Canvas(), "OK")
	if got := labelsIn(app.window.Canvas().Overlays().Top()); !strings.Contains(got, "key of bob@example.net changed") {
		t.Errorf("the dialog says %q, want the changed key named", got)
	}
}

// labelsIn joins the texts of the labels among what root shows.
func labelsIn(root fyne.CanvasObject) string {
	var texts []string
	walkShown(root, func(o fyne.CanvasObject) {
		if l, ok := o.(*widget.Label); ok {
			texts = append(texts, l.Text)
		}
	})
	return strings.Join(texts, "\n")
}
