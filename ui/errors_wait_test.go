package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/sealpost/sealpost/mail/backend"
)

// syncHeld is a heldBackend whose Sync waits for the test too.
type syncHeld struct{ *heldBackend }

func (b *syncHeld) Sync(ctx context.Context, _ string, _ func(backend.SyncProgress)) error {
	return b.hold(ctx, "Sync").err
}

// TestSyncCancel: while a sync runs the status bar offers Cancel; Cancel
// ends the sync's context, and the view says so, with Sync usable again
// and no problem shown.
func TestSyncCancel(t *testing.T) {
	test.NewTempApp(t)
	b := &syncHeld{&heldBackend{Engine: fixtureEngine(t), calls: make(chan heldCall)}}
	app := unlocked(t, newApp(b))
	v := app.main
	test.Tap(v.syncButton)
	call := b.next(t, "Sync")
	cancel := findButton(v.notice.content, "Cancel")
	if cancel == nil || !v.syncButton.Disabled() || !v.progress.Visible() {
		t.Fatalf("while syncing: Cancel %v, Sync disabled %v, progress %v; want the wait shown with Cancel",
			cancel != nil, v.syncButton.Disabled(), v.progress.Visible())
	}
	test.Tap(cancel)
	app.tasks.wait()
	if !errors.Is(call.ctx.Err(), context.Canceled) {
		t.Errorf("the sync's context after Cancel: %v, want it cancelled", call.ctx.Err())
	}
	if !strings.HasPrefix(v.status.Text, "Sync cancelled.") || v.syncButton.Disabled() || v.progress.Visible() || v.notice.hasActions() {
		t.Errorf("after Cancel: status %q, Sync disabled %v, progress %v, buttons %v",
			v.status.Text, v.syncButton.Disabled(), v.progress.Visible(), v.notice.hasActions())
	}
}

// TestSyncErrorSentenceAndDetails: a sync that the server refuses as
// temporarily unavailable shows that sentence with Retry and Details, not
// Open settings; Details opens the whole chain.
func TestSyncErrorSentenceAndDetails(t *testing.T) {
	test.NewTempApp(t)
	b := &syncHeld{&heldBackend{Engine: fixtureEngine(t), calls: make(chan heldCall)}}
	app := unlocked(t, newApp(b))
	v := app.main
	test.Tap(v.syncButton)
	b.next(t, "Sync").reply <- heldReply{err: fmt.Errorf("alice@example.org: IMAP login to imap.example.org as alice: %w",
		fmt.Errorf("%w: imap: NO [UNAVAILABLE] maintenance", backend.ErrServerUnavailable))}
	app.tasks.wait()
	if v.status.Text != "Sync failed: The mail server is temporarily unavailable: try again later." {
		t.Errorf("status = %q", v.status.Text)
	}
	if findButton(v.notice.content, "Retry") == nil || findButton(v.notice.content, "Open settings") != nil {
		t.Errorf("buttons: Retry %v, Open settings %v; want Retry only",
			findButton(v.notice.content, "Retry") != nil, findButton(v.notice.content, "Open settings") != nil)
	}
	test.Tap(buttonIn(t, v.notice.content, "Details"))
	top := app.window.Canvas().Overlays().Top()
	if top == nil {
		t.Fatal("Details opened nothing")
	}
	if shown := labelsIn(top); !strings.Contains(shown, "temporarily unavailable") {
		t.Errorf("details dialog shows %q, want the sentence", shown)
	}
	test.Tap(buttonIn(t, top, "Details"))
	if shown := labelsIn(top); !strings.Contains(shown, "[UNAVAILABLE] maintenance") {
		t.Errorf("details dialog after opening Details shows %q, want the chain", shown)
	}
}
