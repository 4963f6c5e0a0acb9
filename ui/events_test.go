package ui

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/sealpost/sealpost/mail"
	"github.com/sealpost/sealpost/mail/backend"
)

// eventEngine is the fixture engine with an event stream the test feeds
// and, once arrived is set, one more inbox message than the fixture.
type eventEngine struct {
	*mail.Engine
	events        chan backend.Event
	arrived       bool
	checkedTravel *backend.Travel
	// openGate, when set, holds every Open until it is closed.
	openGate chan struct{}
}

func (e *eventEngine) Open(ctx context.Context, account, folder string, uid uint32) (backend.Message, error) {
	if e.openGate != nil {
		select {
		case <-e.openGate:
		case <-ctx.Done():
			return backend.Message{}, ctx.Err()
		}
	}
	return e.Engine.Open(ctx, account, folder, uid)
}

func (e *eventEngine) Subscribe(context.Context) <-chan backend.Event { return e.events }

func (e *eventEngine) ConnectionStates() map[string]backend.Event {
	return map[string]backend.Event{alice: {Kind: backend.EventConnection, Account: alice, State: backend.ConnConnecting}}
}

func (e *eventEngine) Live() bool { return true }

// Travel returns checkedTravel once it is set: the record a background
// check made; the fixture's own record before.
func (e *eventEngine) Travel(ctx context.Context, account, folder string, uid uint32) (*backend.Travel, error) {
	if e.checkedTravel != nil {
		return e.checkedTravel, nil
	}
	return e.Engine.Travel(ctx, account, folder, uid)
}

const arrivedUID = 9001

func (e *eventEngine) Messages(ctx context.Context, account, folder string, limit int) ([]backend.MessageSummary, error) {
	msgs, err := e.Engine.Messages(ctx, account, folder, limit)
	if err == nil && e.arrived && folder == "INBOX" {
		msgs = append([]backend.MessageSummary{{Account: account, Folder: folder, UID: arrivedUID,
			From: "Carol <carol@example.com>", Subject: "Arrived by itself", Date: fixtureNow}}, msgs...)
	}
	return msgs, err
}

func eventApp(t *testing.T) (*App, *eventEngine) {
	t.Helper()
	e := &eventEngine{Engine: fixtureEngine(t), events: make(chan backend.Event)}
	app := unlocked(t, newApp(e))
	app.settingsOf().prefs.privateNotifications = false
	return app, e
}

// send hands ev to the app's event reader and runs the updates it causes.
func send(t *testing.T, app *App, e *eventEngine, ev backend.Event) {
	t.Helper()
	app.tasks.wait() // nothing else is queued from here on
	select {
	case <-app.tasks.queuedSignal: // a signal of updates already run
	default:
	}
	select {
	case e.events <- ev:
	case <-time.After(5 * time.Second):
		t.Fatal("the app does not read its events")
	}
	select {
	case <-app.tasks.queuedSignal:
	case <-time.After(5 * time.Second):
		t.Fatalf("the event %s caused no update", ev.Kind)
	}
	app.tasks.wait()
}

func TestNewMailEventRefreshesTheListAndNotifies(t *testing.T) {
	test.NewTempApp(t)
	app, e := eventApp(t)
	v := app.main
	if v.folder != "INBOX" || v.rows.len() != len(inbox) {
		t.Fatalf("before: folder %q with %d rows, want the inbox with %d", v.folder, v.rows.len(), len(inbox))
	}
	v.click(1, 0) // a selection that must survive the refresh
	app.tasks.wait()
	selected := v.rows.at(1).UID

	e.arrived = true
	want := fyne.NewNotification("New mail from Carol", "Arrived by itself")
	test.AssertNotificationSent(t, want, func() {
		send(t, app, e, backend.Event{Kind: backend.EventNewMail, Account: alice, Folder: "INBOX", UIDs: []uint32{arrivedUID}, Count: 1})
	})
	if v.rows.len() != len(inbox)+1 || v.rows.at(0).UID != arrivedUID {
		t.Fatalf("after: %d rows, first UID %d; want the new message on top", v.rows.len(), v.rows.at(0).UID)
	}
	if v.opened == nil || v.opened.UID != selected {
		t.Errorf("the open message changed with the refresh: %+v, want UID %d", v.opened, selected)
	}
	if got := v.unread[alice+folderSep+"INBOX"]; got != 2 {
		t.Errorf("unread = %d, want 2 (the fixture's unread one not opened, and the new one)", got)
	}
}

func TestFirstSyncIsNotNews(t *testing.T) {
	test.NewTempApp(t)
	app, e := eventApp(t)
	e.arrived = true
	test.AssertNotificationSent(t, nil, func() {
		send(t, app, e, backend.Event{Kind: backend.EventNewMail, Account: alice, Folder: "INBOX", Count: 1, FirstSync: true})
	})
	if app.main.rows.len() != len(inbox)+1 {
		t.Errorf("rows = %d, want the list refreshed all the same", app.main.rows.len())
	}
}

func TestConnectionEventsShowInTheStatusBar(t *testing.T) {
	test.NewTempApp(t)
	app, e := eventApp(t)
	v := app.main
	if got := v.connection.Text; got != "Connecting: "+alice+"…" {
		t.Fatalf("at start: %q, want the state the backend had", got)
	}
	refused := fmt.Errorf("IMAP 127.0.0.1:993: %w", backend.ErrLoginRejected)
	send(t, app, e, backend.Event{Kind: backend.EventConnection, Account: alice, State: backend.ConnOffline,
		Message: refused.Error(), Err: refused, RetrySeconds: 30})
	if got := v.connection.Text; got != "Offline: "+alice+" (retrying in 30 s)" {
		t.Errorf("offline: %q", got)
	}
	send(t, app, e, backend.Event{Kind: backend.EventError, Account: alice, Message: refused.Error(), Err: refused})
	if !strings.Contains(v.status.Text, "refused the user name or password") || findButton(v.notice.content, "Open settings") == nil {
		t.Errorf("problem: status %q, Open settings %v; want the refusal with a way to fix it",
			v.status.Text, findButton(v.notice.content, "Open settings") != nil)
	}
	send(t, app, e, backend.Event{Kind: backend.EventConnection, Account: alice, State: backend.ConnOnline})
	if got := v.connection.Text; got != "Online" {
		t.Errorf("online: %q", got)
	}
	if findButton(v.notice.content, "Open settings") != nil {
		t.Error("the problem is still offered after the account came online")
	}
}

func TestSessionWarningsAreShownTogether(t *testing.T) {
	test.NewTempApp(t)
	app, e := eventApp(t)
	send(t, app, e, backend.Event{Kind: backend.EventWarning, Account: alice, Message: "the key of bob@example.net changed"})
	send(t, app, e, backend.Event{Kind: backend.EventWarning, Account: alice, Message: "a draft could not be uploaded"})
	text := labelsIn(app.window.Canvas().Overlays().Top())
	if !strings.Contains(text, "key of bob@example.net changed") || !strings.Contains(text, "draft could not be uploaded") {
		t.Errorf("warnings dialog shows %q, want both warnings", text)
	}
}

// TestBackgroundCheckUpdatesTheOpenReader: when a background DKIM check
// changed the record of the open message, its "How it travelled" panel
// shows the new record in place and stays open; a check of another
// message changes nothing.
func TestBackgroundCheckUpdatesTheOpenReader(t *testing.T) {
	test.NewTempApp(t)
	app, e := eventApp(t)
	v := app.main
	v.list.Select(rowOf(t, v, "Q3 numbers"))
	app.tasks.wait()
	p := v.reader.travel
	if len(p.shown) == 0 || p.shown[0] != "How it travelled: not recorded" {
		t.Fatalf("panel = %q, want not recorded", p.shown)
	}
	test.Tap(p.toggle)
	opened := *v.opened

	e.checkedTravel = travelled
	v.handleEvent(backend.Event{Kind: backend.EventMessageChecked, Account: alice, Folder: opened.Folder, UIDs: []uint32{opened.UID + 1000}})
	app.tasks.wait()
	if p.shown[0] != "How it travelled: not recorded" {
		t.Errorf("a check of another message changed the panel to %q", p.shown[0])
	}

	send(t, app, e, backend.Event{Kind: backend.EventMessageChecked, Account: strings.ToUpper(alice), Folder: opened.Folder, UIDs: []uint32{opened.UID}})
	if !strings.Contains(strings.Join(p.shown, "\n"), "Signed by example.com, verified (DKIM).") {
		t.Errorf("after the check: panel = %q, want the new record", p.shown)
	}
	if !p.lines.Visible() {
		t.Error("the open panel closed when its record changed")
	}
	if v.message == nil || v.message.Travel != travelled {
		t.Error("the open message keeps its old record")
	}

	// A check that ends while a message is being opened is shown once
	// the message is.
	e.checkedTravel, e.openGate = nil, make(chan struct{})
	v.list.Select(rowOf(t, v, "Parking notice"))
	loading := *v.opened
	e.checkedTravel = travelled
	v.handleEvent(backend.Event{Kind: backend.EventMessageChecked, Account: alice, Folder: loading.Folder, UIDs: []uint32{loading.UID}})
	close(e.openGate)
	app.tasks.wait()
	app.tasks.wait() // the record read again after the message was shown
	if v.message == nil || v.message.Travel != travelled || !strings.Contains(strings.Join(p.shown, "\n"), "Signed by example.com, verified (DKIM).") {
		t.Errorf("a check during the opening: panel = %q, want the new record", p.shown)
	}
}
