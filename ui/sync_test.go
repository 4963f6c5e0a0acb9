package ui

import (
	"context"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

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
}
