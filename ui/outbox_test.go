package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/sealpost/sealpost/mail"
	"github.com/sealpost/sealpost/mail/backend"
)

// outboxEngine is the real engine with an outbox of its own, held in
// memory: Retry sends (or fails with retryErr), Discard removes, a sync
// sends what waits, and Send queues a message whose copy to Sent failed.
type outboxEngine struct {
	*mail.Engine
	mu                 sync.Mutex
	items              []backend.OutboxItem
	retryErr           error
	retried, discarded []string
}

// outboxItems is one message in each state, oldest first.
func outboxItems() []backend.OutboxItem {
	at := func(minutes int) time.Time { return fixtureNow.Add(time.Duration(minutes) * time.Minute) }
	return []backend.OutboxItem{
		{ID: "w", Account: alice, To: []string{"bob@example.net"}, Subject: "Waiting one", Queued: at(-50), Attempts: 2,
			LastError: "dial tcp 192.0.2.1:465: connect: connection refused", State: backend.OutboxWaiting, NextTry: at(4)},
		{ID: "h", Account: alice, To: []string{"nobody@example.net"}, Subject: "Held one", Queued: at(-40), Attempts: 1,
			LastError: "the submission server refused RCPT TO with 550 5.1.1 no such user", State: backend.OutboxHeld},
		{ID: "u", Account: alice, To: []string{"bob@example.net", "carol@example.com"}, Subject: "[...]", Queued: at(-30), Attempts: 1,
			LastError: "the connection ended while the server was receiving the message", State: backend.OutboxUncertain},
		{ID: "s", Account: alice, To: []string{"bob@example.net"}, Subject: "Sending one", Queued: at(-1), State: backend.OutboxSending},
		{ID: "c", Account: alice, To: []string{"bob@example.net"}, Subject: "Copy pending", Queued: at(-20), Attempts: 1,
			LastError: "the message was sent, but saving it in Sent failed: no Sent folder", State: backend.OutboxSent},
	}
}

func (o *outboxEngine) Outbox(ctx context.Context) ([]backend.OutboxItem, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.items), nil
}

func (o *outboxEngine) RetryOutbox(_ context.Context, id string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.retried = append(o.retried, id)
	i := slices.IndexFunc(o.items, func(it backend.OutboxItem) bool { return it.ID == id })
	switch {
	case i < 0:
		return backend.ErrNotInOutbox
	case o.retryErr != nil:
		o.items[i].Attempts++
		o.items[i].LastError = o.retryErr.Error()
		return o.retryErr
	}
	o.items = slices.Delete(o.items, i, i+1)
	return nil
}

func (o *outboxEngine) DiscardOutbox(ctx context.Context, id string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.discarded = append(o.discarded, id)
	i := slices.IndexFunc(o.items, func(it backend.OutboxItem) bool { return it.ID == id })
	if i < 0 {
		return backend.ErrNotInOutbox
	}
	o.items = slices.Delete(o.items, i, i+1)
	return nil
}

// Sync sends the waiting messages, as the engine's flush after a sync does.
func (o *outboxEngine) Sync(context.Context, string, func(backend.SyncProgress)) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.items = slices.DeleteFunc(o.items, func(it backend.OutboxItem) bool { return it.State == backend.OutboxWaiting })
	return nil
}

func (o *outboxEngine) SyncWith(ctx context.Context, account string, _ backend.SyncOptions, progress func(backend.SyncProgress)) error {
	return o.Sync(ctx, account, progress)
}

// Send is accepted by the server, but its copy to Sent fails: it stays.
func (o *outboxEngine) Send(_ context.Context, account string, d backend.Draft, _ backend.Security) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.items = append(o.items, backend.OutboxItem{ID: "new", Account: account, To: d.To, Subject: d.Subject, Queued: fixtureNow,
		Attempts: 1, LastError: "saving it in Sent failed", State: backend.OutboxSent})
	return nil
}

func (o *outboxEngine) set(items []backend.OutboxItem) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.items = items
}

func (o *outboxEngine) calls() (retried, discarded []string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.retried), slices.Clone(o.discarded)
}

func openOutboxFixture(t *testing.T) (*App, *outboxEngine) {
	t.Helper()
	o := &outboxEngine{Engine: fixtureEngine(t), items: outboxItems()}
	return unlocked(t, newApp(o)), o
}

// openOutboxWindow taps the main window's Outbox button.
func openOutboxWindow(t *testing.T, app *App) *outboxWindow {
	t.Helper()
	if !app.main.outboxButton.Visible() {
		t.Fatal("the Outbox button is hidden")
	}
	test.Tap(app.main.outboxButton)
	app.tasks.wait()
	if app.main.outbox == nil {
		t.Fatal("no outbox window opened")
	}
	return app.main.outbox
}

// selectItem selects the listed message with id.
func selectItem(t *testing.T, ow *outboxWindow, id string) {
	t.Helper()
	for i, it := range ow.items {
		if it.ID == id {
			ow.list.Select(i)
			return
		}
	}
	t.Fatalf("message %q is not listed", id)
}

func listedIDs(ow *outboxWindow) []string {
	var ids []string
	for _, it := range ow.items {
		ids = append(ids, it.ID)
	}
	return ids
}

// TestOutboxButtonFollowsTheOutbox: the toolbar shows "Outbox (N)" while
// messages wait, updated after a sync, a send and a discard, and hides it
// at 0.
func TestOutboxButtonFollowsTheOutbox(t *testing.T) {
	test.NewTempApp(t)
	app, o := openOutboxFixture(t)
	v := app.main
	check := func(step, want string, visible bool) {
		t.Helper()
		if v.outboxButton.Text != want || v.outboxButton.Visible() != visible {
			t.Errorf("%s: button got = %q (visible %v), want %q (visible %v)", step, v.outboxButton.Text, v.outboxButton.Visible(), want, visible)
		}
	}
	check("after unlocking", "Outbox (5)", true)
	if v.outboxButton.Importance != widget.WarningImportance {
		t.Errorf("importance with held messages got = %v, want WarningImportance", v.outboxButton.Importance)
	}

	test.Tap(v.syncButton)
	app.tasks.wait()
	check("after a sync sent the waiting one", "Outbox (4)", true)

	o.set(nil)
	test.Tap(v.syncButton)
	app.tasks.wait()
	check("after the outbox emptied", "Outbox (0)", false)

	test.Tap(v.newButton)
	app.tasks.wait()
	c := v.lastComposer
	test.Type(c.to, "bob@example.net")
	test.Type(c.subject, "Kept for its copy")
	app.tasks.wait()
	test.Tap(c.sendButton)
	app.tasks.wait()
	check("after a send that left a message behind", "Outbox (1)", true)
	if v.outboxButton.Importance != widget.MediumImportance {
		t.Errorf("importance with nothing for the user got = %v, want MediumImportance", v.outboxButton.Importance)
	}

	ow := openOutboxWindow(t, app)
	selectItem(t, ow, "new")
	test.Tap(ow.discardButton)
	test.Tap(dialogButton(t, ow.window.Canvas(), "Discard"))
	app.tasks.wait()
	check("after discarding the last one", "Outbox (0)", false)
}

// TestOutboxWindowLists: every message is listed, oldest queued first as the
// backend gives them, with recipients, subject, state and attempts; the
// details say in words what happens next and why it failed.
func TestOutboxWindowLists(t *testing.T) {
	test.NewTempApp(t)
	app, _ := openOutboxFixture(t)
	ow := openOutboxWindow(t, app)
	if got, want := listedIDs(ow), []string{"w", "h", "u", "s", "c"}; !slices.Equal(got, want) {
		t.Fatalf("listed got = %v, want %v", got, want)
	}
	if !strings.Contains(ow.status.Text, "5 messages waiting") {
		t.Errorf("status got = %q, want the count", ow.status.Text)
	}
	ow.window.Resize(fyne.NewSize(640, 1200)) // room for every row
	rows := labelsIn(ow.list)
	for _, want := range []string{"Waiting one", "Held one", "[...] (subject encrypted)", "To bob@example.net, carol@example.com",
		"held: needs you", "may have been sent: needs you", "sent, copy not saved", "2 attempts"} {
		if !strings.Contains(rows, want) {
			t.Errorf("rows got = %q, want %q", rows, want)
		}
	}
	tests := []struct {
		id   string
		want []string
	}{
		{"w", []string{"2 attempts failed", "after 09:34", "could not be reached", "connection refused"}},
		{"h", []string{"Held", "not retried by itself", "550 5.1.1 no such user"}},
		{"u", []string{"May have been sent", "never sends it again", "twice"}},
		{"s", []string{"Being sent now"}},
		{"c", []string{"the server accepted it", "Sent folder", "Save copy"}},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			selectItem(t, ow, tt.id)
			for _, w := range tt.want {
				if !strings.Contains(ow.detail.Text, w) {
					t.Errorf("detail got = %q, want %q", ow.detail.Text, w)
				}
			}
			if ow.retryButton.Disabled() || ow.discardButton.Disabled() {
				t.Errorf("Retry disabled %v, Discard disabled %v, want both enabled with a selection", ow.retryButton.Disabled(), ow.discardButton.Disabled())
			}
		})
	}
	ow.list.UnselectAll()
	if !ow.retryButton.Disabled() || !ow.discardButton.Disabled() {
		t.Errorf("without a selection: Retry disabled %v, Discard disabled %v, want both disabled", ow.retryButton.Disabled(), ow.discardButton.Disabled())
	}
}

// TestOutboxRetry: Retry sends the selected message with progress, and the
// list and the main window's count follow; a failed retry says why and
// keeps the message.
func TestOutboxRetry(t *testing.T) {
	test.NewTempApp(t)
	app, o := openOutboxFixture(t)
	ow := openOutboxWindow(t, app)

	selectItem(t, ow, "h")
	test.Tap(ow.retryButton)
	if !ow.progress.Visible() || !ow.retryButton.Disabled() || !strings.Contains(ow.status.Text, "Sending “Held one”") {
		t.Errorf("while retrying: progress visible %v, Retry disabled %v, status %q; want progress, Retry disabled and what is sent",
			ow.progress.Visible(), ow.retryButton.Disabled(), ow.status.Text)
	}
	app.tasks.wait()
	if retried, _ := o.calls(); !slices.Equal(retried, []string{"h"}) {
		t.Errorf("RetryOutbox calls got = %v, want [h]", retried)
	}
	if ow.progress.Visible() || !strings.Contains(ow.status.Text, "Sent") {
		t.Errorf("after retrying: progress visible %v, status %q; want no progress and Sent", ow.progress.Visible(), ow.status.Text)
	}
	if got := listedIDs(ow); slices.Contains(got, "h") || len(got) != 4 {
		t.Errorf("listed after the retry got = %v, want the held one gone", got)
	}
	if got := app.main.outboxButton.Text; got != "Outbox (4)" {
		t.Errorf("main button got = %q, want Outbox (4)", got)
	}

	o.mu.Lock()
	o.retryErr = errors.New("the submission server refused MAIL FROM with 451 try later (temporary)")
	o.mu.Unlock()
	selectItem(t, ow, "w")
	test.Tap(ow.retryButton)
	app.tasks.wait()
	if !strings.Contains(ow.status.Text, "Not sent") || !strings.Contains(ow.status.Text, "451 try later") || !strings.Contains(ow.status.Text, "stays in the outbox") {
		t.Errorf("status after a failed retry got = %q, want why and that it stays", ow.status.Text)
	}
	if got := listedIDs(ow); !slices.Contains(got, "w") {
		t.Errorf("listed after the failed retry got = %v, want it kept", got)
	}
	if it, ok := ow.current(); !ok || it.ID != "w" || it.Attempts != 3 {
		t.Errorf("selection after the failed retry got = %+v (%v), want w with 3 attempts", it, ok)
	}
}

// TestOutboxRetryUncertainAsks: a message that may have been sent is sent
// again only after a warning that it may arrive twice.
func TestOutboxRetryUncertainAsks(t *testing.T) {
	for _, id := range []string{"u", "s"} {
		t.Run(id, func(t *testing.T) {
			test.NewTempApp(t)
			app, o := openOutboxFixture(t)
			ow := openOutboxWindow(t, app)
			selectItem(t, ow, id)
			test.Tap(ow.retryButton)
			app.tasks.wait()
			c := ow.window.Canvas()
			if got := labelsIn(c.Overlays().Top()); !strings.Contains(got, "deliver it twice") {
				t.Errorf("dialog got = %q, want the duplicate warning", got)
			}
			test.Tap(dialogButton(t, c, "Cancel"))
			app.tasks.wait()
			if retried, _ := o.calls(); len(retried) != 0 {
				t.Fatalf("RetryOutbox calls after Cancel got = %v, want none", retried)
			}
			test.Tap(ow.retryButton)
			test.Tap(dialogButton(t, c, "Send again"))
			app.tasks.wait()
			if retried, _ := o.calls(); !slices.Equal(retried, []string{id}) {
				t.Errorf("RetryOutbox calls after confirming got = %v, want [%s]", retried, id)
			}
		})
	}
}

// TestOutboxDiscardAsks: Discard says the message will not be sent and is
// deleted from this computer; Cancel keeps it, confirming discards it.
func TestOutboxDiscardAsks(t *testing.T) {
	test.NewTempApp(t)
	app, o := openOutboxFixture(t)
	ow := openOutboxWindow(t, app)
	c := ow.window.Canvas()
	selectItem(t, ow, "w")
	test.Tap(ow.discardButton)
	if got := labelsIn(c.Overlays().Top()); !strings.Contains(got, "will not be sent") || !strings.Contains(got, "deleted from this computer") {
		t.Errorf("dialog got = %q, want it to say the message will not be sent and is deleted", got)
	}
	test.Tap(dialogButton(t, c, "Cancel"))
	app.tasks.wait()
	if _, discarded := o.calls(); len(discarded) != 0 || !slices.Contains(listedIDs(ow), "w") {
		t.Fatalf("after Cancel: discarded %v, listed %v; want nothing discarded", discarded, listedIDs(ow))
	}
	test.Tap(ow.discardButton)
	test.Tap(dialogButton(t, c, "Discard"))
	app.tasks.wait()
	if _, discarded := o.calls(); !slices.Equal(discarded, []string{"w"}) {
		t.Errorf("DiscardOutbox calls got = %v, want [w]", discarded)
	}
	if slices.Contains(listedIDs(ow), "w") || !strings.Contains(ow.status.Text, "was not sent") {
		t.Errorf("after discarding: listed %v, status %q; want it gone and said", listedIDs(ow), ow.status.Text)
	}

	selectItem(t, ow, "u")
	test.Tap(ow.discardButton)
	if got := labelsIn(c.Overlays().Top()); !strings.Contains(got, "may have been sent already") {
		t.Errorf("dialog for an uncertain message got = %q, want it to say it may have gone out", got)
	}
}

// TestOutboxWindowClosesOnLock: the window belongs to the unlocked session.
func TestOutboxWindowClosesOnLock(t *testing.T) {
	test.NewTempApp(t)
	app, _ := openOutboxFixture(t)
	openOutboxWindow(t, app)
	if len(app.extra) != 1 {
		t.Fatalf("side windows got = %d, want the outbox", len(app.extra))
	}
	test.Tap(app.main.lockButton)
	app.tasks.wait()
	if len(app.extra) != 0 || app.main != nil {
		t.Errorf("after locking: %d side windows, main view %v; want none", len(app.extra), app.main != nil)
	}
}

// TestNoOutboxButtonWithoutOutbox: a backend without the optional
// interface gets no button.
func TestNoOutboxButtonWithoutOutbox(t *testing.T) {
	test.NewTempApp(t)
	app := unlocked(t, newApp(struct{ backend.Backend }{fixtureEngine(t)}))
	if app.main.outboxButton != nil || findButton(app.window.Content(), "Outbox") != nil {
		t.Error("an Outbox button is shown for a backend without an outbox")
	}
}

// keptEngine is the fixture engine whose Send fails after sealing the
// message in the outbox, as the engine's does without a server.
type keptEngine struct {
	outboxEngine
}

func (k *keptEngine) Send(_ context.Context, account string, d backend.Draft, _ backend.Security) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.items = append(k.items, backend.OutboxItem{ID: "kept", Account: account, To: d.To, Subject: d.Subject, Queued: fixtureNow,
		Attempts: 1, LastError: "dial tcp 192.0.2.1:465: connect: connection refused", State: backend.OutboxWaiting})
	return fmt.Errorf("%w (id kept): %w", backend.ErrKeptInOutbox, errors.New("dial tcp 192.0.2.1:465: connect: connection refused"))
}

// TestFailedSendKeptInOutbox: a send that fails after the message was
// sealed in the outbox closes the composer (Send again would queue a second
// copy), says so in the main window with Open outbox, and counts it.
func TestFailedSendKeptInOutbox(t *testing.T) {
	test.NewTempApp(t)
	k := &keptEngine{outboxEngine{Engine: fixtureEngine(t)}}
	app := unlocked(t, newApp(k))
	v := app.main
	test.Tap(v.newButton)
	app.tasks.wait()
	c := v.lastComposer
	test.Type(c.to, "bob@example.net")
	test.Type(c.subject, "Budget")
	app.tasks.wait()
	test.Tap(c.sendButton)
	app.tasks.wait()
	if len(app.extra) != 0 {
		t.Errorf("open side windows got = %d, want the composer closed", len(app.extra))
	}
	if got := v.status.Text; !strings.Contains(got, "Not sent yet") || !strings.Contains(got, "kept in the outbox") {
		t.Errorf("status got = %q, want it to say the message waits in the outbox", got)
	}
	if got := v.outboxButton.Text; got != "Outbox (1)" || !v.outboxButton.Visible() {
		t.Errorf("button got = %q (visible %v), want Outbox (1)", got, v.outboxButton.Visible())
	}
	test.Tap(buttonIn(t, v.notice.content, "Open outbox"))
	app.tasks.wait()
	if v.outbox == nil || !slices.Equal(listedIDs(v.outbox), []string{"kept"}) {
		t.Errorf("Open outbox got = %v, want the window listing the kept message", v.outbox)
	}
}
