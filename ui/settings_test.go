package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/sealpost/sealpost/mail"
	"github.com/sealpost/sealpost/mail/backend"
)

// fakeTimers replaces the auto-lock timer: tests fire it themselves.
type fakeTimers struct {
	armed   []time.Duration
	fire    func()
	stopped int
}

func (f *fakeTimers) after(d time.Duration, fire func()) func() bool {
	f.armed = append(f.armed, d)
	f.fire = fire
	return func() bool { f.stopped++; return true }
}

// withFakeTimers opens the fixture with fake auto-lock timers and a clock
// the test moves.
func withFakeTimers(t *testing.T) (*App, *mail.Engine, *fakeTimers, *time.Time) {
	t.Helper()
	timers := &fakeTimers{}
	e := fixtureEngine(t)
	app := newApp(e)
	app.settingsOf().idle.after = timers.after
	unlocked(t, app)
	clock := fixtureNow
	app.now = func() time.Time { return clock }
	return app, e, timers, &clock
}

func TestAuditViewerShowsEntriesAndIntact(t *testing.T) {
	test.NewTempApp(t)
	app, _ := openFixture(t)
	app.showSettings()
	app.tasks.wait()
	test.Tap(buttonIn(t, app.settings.window.window.Content(), "Show the audit trail…"))
	app.tasks.wait()
	av := app.settings.audit
	if av == nil {
		t.Fatal("no audit trail window")
	}
	if got := av.result.Text; !strings.HasPrefix(got, "Intact: ") {
		t.Errorf("result got = %q, want it to say intact", got)
	}
	// The fixture: profile created, Alice's and Bob's keys imported, Bob's
	// key verified.
	entries := av.trail.Entries
	if av.list.Length() != len(entries) || len(entries) < 4 {
		t.Fatalf("rows got = %d for %d entries, want at least 4", av.list.Length(), len(entries))
	}
	if got, want := entries[0].Kind, mail.AuditKeyVerified; got != want {
		t.Errorf("newest entry got = %s, want %s", got, want)
	}
	if got, want := entries[len(entries)-1].Kind, mail.AuditProfileCreated; got != want {
		t.Errorf("oldest entry got = %s, want %s", got, want)
	}
	row := newAuditRow().(*auditRow)
	row.show(entries[0])
	if !strings.HasPrefix(row.when.Text, "#") || row.kind.Text != mail.AuditKeyVerified || strings.Count(row.subject.Text, " ") != 9 {
		t.Errorf("row got = %q %q %q, want number and time, kind, fingerprint in groups of four", row.when.Text, row.kind.Text, row.subject.Text)
	}

	test.Tap(app.main.lockButton)
	app.tasks.wait()
	if app.settings.audit != nil || app.settings.window != nil || len(app.extra) != 0 {
		t.Errorf("after Lock the settings and audit windows must be closed; %d windows open", len(app.extra))
	}
}

// TestAuditViewerFilterByContact narrows the trail to the entries that
// mention one contact, by address or by key fingerprint, and back.
func TestAuditViewerFilterByContact(t *testing.T) {
	test.NewTempApp(t)
	app, _ := openFixture(t)
	app.showAudit()
	app.tasks.wait()
	av := app.settings.audit
	all := len(av.trail.Entries)
	if av.list.Length() != all || av.count.Visible() {
		t.Fatalf("unfiltered: %d rows of %d, count shown %v", av.list.Length(), all, av.count.Visible())
	}
	test.Type(av.filter, "bob@example.net")
	n := av.list.Length()
	if n == 0 || n >= all {
		t.Fatalf("filtered by Bob: %d rows of %d, want some, not all", n, all)
	}
	for _, e := range av.shown {
		if !strings.Contains(strings.ToLower(e.Subject+e.Detail), "bob@example.net") {
			t.Errorf("entry %d %s (%q) does not mention Bob", e.Seq, e.Kind, e.Detail)
		}
	}
	if want := fmt.Sprintf("%d of %d entries mention bob@example.net", n, all); av.count.Text != want || !av.count.Visible() {
		t.Errorf("count = %q (shown %v), want %q", av.count.Text, av.count.Visible(), want)
	}
	var fpr string
	for _, e := range av.shown {
		if e.Kind == mail.AuditKeyVerified {
			fpr = e.Subject
		}
	}
	av.filter.SetText(backend.GroupFingerprint(fpr))
	if fpr == "" || av.list.Length() == 0 || av.list.Length() >= all {
		t.Errorf("filtered by Bob's fingerprint %q: %d rows of %d", fpr, av.list.Length(), all)
	}
	av.filter.SetText("nobody@example.com")
	if av.list.Length() != 0 || !strings.HasPrefix(av.count.Text, "0 of ") {
		t.Errorf("filtered by a stranger: %d rows, count %q", av.list.Length(), av.count.Text)
	}
	av.filter.SetText("")
	if av.list.Length() != all || av.count.Visible() {
		t.Errorf("filter cleared: %d rows of %d, count shown %v", av.list.Length(), all, av.count.Visible())
	}
}

// TestAuditRowShowsSentMail: a sent message's entry says who sent what to
// whom and how, each fact once: its send record repeats what the detail
// says and is not shown again.
func TestAuditRowShowsSentMail(t *testing.T) {
	test.NewTempApp(t)
	row := newAuditRow().(*auditRow)
	detail := `from alice@example.org to bob@example.net; subject "Q3"; security: encrypted and signed (PGP/MIME); ` +
		`delivery: example.net delivered over enforced TLS (MTA-STS)`
	row.show(backend.AuditEntry{Seq: 7, Time: fixtureNow, Kind: "mail.sent", Subject: "<1@example.org>", Detail: detail,
		Mode: backend.ModeEncrypt, Delivery: []backend.DeliveryFinding{{Domain: "example.net", Status: backend.DeliveryEnforced}}})
	if row.kind.Text != "mail.sent" || row.detail.Text != detail {
		t.Errorf("row = %q %q %q\nwant the detail %q", row.kind.Text, row.subject.Text, row.detail.Text, detail)
	}
	if n := strings.Count(row.detail.Text, "example.net"); n != 2 {
		t.Errorf("detail names example.net %d times, want twice (recipient, delivery): %q", n, row.detail.Text)
	}
}

func TestAuditSummary(t *testing.T) {
	tests := []struct {
		name  string
		trail backend.AuditTrail
		want  string
	}{
		{"intact", backend.AuditTrail{Intact: true, Entries: make([]backend.AuditEntry, 3)},
			"Intact: 3 entries, every link of the hash chain verified."},
		{"one entry", backend.AuditTrail{Intact: true, Entries: make([]backend.AuditEntry, 1)},
			"Intact: 1 entry, every link of the hash chain verified."},
		{"broken", backend.AuditTrail{Entries: make([]backend.AuditEntry, 3), Problems: []string{"entry 2: content does not match its hash"}},
			"Broken:\nentry 2: content does not match its hash"},
		{"unreadable", backend.AuditTrail{Problems: []string{"entry 2: fails authentication", "entry 3: missing"}},
			"Broken, the entries cannot be shown:\nentry 2: fails authentication\nentry 3: missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := auditSummary(tt.trail); got != tt.want {
				t.Errorf("got = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestAutoLockAfterIdle(t *testing.T) {
	test.NewTempApp(t)
	app, e, timers, clock := withFakeTimers(t)
	if len(timers.armed) != 1 || timers.armed[0] != 15*time.Minute {
		t.Fatalf("armed got = %v, want one 15 minute timer", timers.armed)
	}
	v := app.main
	r := v.reader
	v.list.Select(rowOf(t, v, "Q3 numbers"))
	app.tasks.wait()
	if !strings.Contains(r.body.Text, "Q3 numbers") {
		t.Fatalf("reader got = %q, want the opened message", r.body.Text)
	}

	// Opening the message was input: the timer starts again.
	*clock = clock.Add(15 * time.Minute)
	timers.fire()
	app.tasks.wait()
	if app.main == nil || len(timers.armed) != 2 || timers.armed[1] != 15*time.Minute {
		t.Fatalf("after input: locked %v, armed %v; want unlocked and a new 15 minute timer", app.main == nil, timers.armed)
	}

	// Mouse movement ten minutes in starts the idle time again from there:
	// the timer fires five minutes later and waits ten more.
	*clock = clock.Add(10 * time.Minute)
	app.sawInput()
	*clock = clock.Add(5 * time.Minute)
	timers.fire()
	app.tasks.wait()
	if app.main == nil || len(timers.armed) != 3 || timers.armed[2] != 10*time.Minute {
		t.Fatalf("after mouse input: locked %v, armed %v; want unlocked and a 10 minute timer", app.main == nil, timers.armed)
	}

	*clock = clock.Add(10 * time.Minute)
	timers.fire()
	app.tasks.wait()
	if app.main != nil || app.submit == nil || app.submit.Text != "Unlock" {
		t.Fatal("after the idle time the unlock screen must show")
	}
	if r.body.Text != "" || r.subject.Text != "" || len(r.headers.shown) != 0 || v.rows.len() != 0 || v.message != nil {
		t.Errorf("after locking the reader holds %q / %q and the list %d rows; want nothing", r.subject.Text, r.body.Text, v.rows.len())
	}
	if _, err := e.ListKeys(t.Context()); !errors.Is(err, mail.ErrProfileLocked) {
		t.Errorf("engine after auto-lock got = %v, want ErrProfileLocked", err)
	}

	// A timer that fires late after locking does nothing.
	timers.fire()
	app.tasks.wait()
	if app.submit.Text != "Unlock" {
		t.Errorf("a stale timer changed the unlock screen")
	}
}

func TestAutoLockKeepsTypingComposer(t *testing.T) {
	test.NewTempApp(t)
	app, _, timers, clock := withFakeTimers(t)
	test.Tap(app.main.newButton)
	c := app.main.lastComposer
	c.window.Canvas().Focus(c.body)
	*clock = clock.Add(15 * time.Minute)
	timers.fire()
	app.tasks.wait()
	if app.main == nil {
		t.Fatal("opening a composer was input, yet the app locked")
	}
	test.Type(c.body, "a long letter")
	*clock = clock.Add(15 * time.Minute)
	timers.fire()
	app.tasks.wait()
	if app.main == nil {
		t.Fatal("typing in the composer was input, yet the app locked")
	}
	*clock = clock.Add(15 * time.Minute)
	timers.fire()
	app.tasks.wait()
	if app.main != nil || len(app.extra) != 0 {
		t.Errorf("after 15 idle minutes: main view kept %v, %d windows open; want locked with every window closed", app.main != nil, len(app.extra))
	}
}

func TestSettingsAutoLockChoice(t *testing.T) {
	test.NewTempApp(t)
	app, _, timers, _ := withFakeTimers(t)
	app.showSettings()
	app.tasks.wait()
	sw := app.settings.window
	if _, ok := sw.accounts.buttons[alice]; !ok || len(sw.accounts.buttons) != 1 {
		t.Errorf("account rows got = %d, want %s alone with its buttons", len(sw.accounts.buttons), alice)
	}
	tests := []struct {
		name      string
		choice    string
		wantArmed []time.Duration
	}{
		{"five minutes", "5 minutes", []time.Duration{15 * time.Minute, 5 * time.Minute}},
		{"never", "Never", []time.Duration{15 * time.Minute, 5 * time.Minute}},
		{"one hour", "1 hour", []time.Duration{15 * time.Minute, 5 * time.Minute, time.Hour}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sw.autoLock.SetSelected(tt.choice)
			if got, want := fmtDurations(timers.armed), fmtDurations(tt.wantArmed); got != want {
				t.Errorf("armed got = %s, want %s", got, want)
			}
		})
	}
	if timers.stopped != 2 {
		t.Errorf("stopped got = %d, want 2 (the 15 and the 5 minute timers)", timers.stopped)
	}
}

func fmtDurations(ds []time.Duration) string {
	var s []string
	for _, d := range ds {
		s = append(s, d.String())
	}
	return strings.Join(s, ",")
}

// newMailEngine is the real engine whose inbox shows its two newest
// messages only after a sync, as if the sync had fetched them.
type newMailEngine struct {
	*mail.Engine
	synced      atomic.Bool
	headersOnly atomic.Bool
}

func (e *newMailEngine) Sync(context.Context, string, func(backend.SyncProgress)) error {
	e.synced.Store(true)
	return nil
}

func (e *newMailEngine) SyncWith(_ context.Context, _ string, opts backend.SyncOptions, _ func(backend.SyncProgress)) error {
	e.headersOnly.Store(opts.HeadersOnly)
	e.synced.Store(true)
	return nil
}

func (e *newMailEngine) Messages(ctx context.Context, account, folder string, limit int) ([]backend.MessageSummary, error) {
	msgs, err := e.Engine.Messages(ctx, account, folder, limit)
	if e.synced.Load() {
		return msgs, err
	}
	var older []backend.MessageSummary
	for _, m := range msgs {
		if m.UID <= 2 {
			older = append(older, m)
		}
	}
	return older, err
}

func TestNewMailNotification(t *testing.T) {
	tests := []struct {
		name        string
		private     bool
		offline     bool
		want        *fyne.Notification
		headersOnly bool
	}{
		{"private by default", true, true, fyne.NewNotification("Sealpost", "New mail: 2 messages"), false},
		{"not private", false, true, fyne.NewNotification("2 new messages, the newest from Bob Example", "Q3 numbers"), false},
		{"headers only", true, false, fyne.NewNotification("Sealpost", "New mail: 2 messages"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			test.NewTempApp(t)
			e := &newMailEngine{Engine: fixtureEngine(t)}
			app := unlocked(t, newApp(e))
			app.showSettings()
			app.tasks.wait()
			sw := app.settings.window
			if !sw.private.Checked || !sw.offline.Checked {
				t.Fatalf("defaults got = private %v, offline %v; want both on", sw.private.Checked, sw.offline.Checked)
			}
			sw.private.SetChecked(tt.private)
			sw.offline.SetChecked(tt.offline)
			test.AssertNotificationSent(t, tt.want, func() {
				test.Tap(app.main.syncButton)
				app.tasks.wait()
			})
			if got := e.headersOnly.Load(); got != tt.headersOnly {
				t.Errorf("headers only got = %v, want %v", got, tt.headersOnly)
			}
			// Nothing new since: no notification.
			test.AssertNotificationSent(t, nil, func() {
				test.Tap(app.main.syncButton)
				app.tasks.wait()
			})
		})
	}
}

func TestNewMailNotificationText(t *testing.T) {
	bob := `"Bob Example" <bob@example.net>`
	one := []backend.MessageSummary{{From: bob, Subject: "Hello", Date: fixtureNow}}
	two := []backend.MessageSummary{{From: "carol@example.com", Subject: "Older", Date: fixtureNow.Add(-time.Hour)}, {From: bob, Date: fixtureNow}}
	tests := []struct {
		name        string
		fresh       []backend.MessageSummary
		private     bool
		wantNil     bool
		title, text string
		mustNotShow string
	}{
		{name: "none", wantNil: true},
		{name: "private one", fresh: one, private: true, title: "Sealpost", text: "New mail", mustNotShow: "Hello"},
		{name: "private two", fresh: two, private: true, title: "Sealpost", text: "New mail: 2 messages", mustNotShow: "Bob"},
		{name: "public one", fresh: one, title: "New mail from Bob Example", text: "Hello"},
		{name: "public newest without subject", fresh: two, title: "2 new messages, the newest from Bob Example", text: "(no subject)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := newMailNotification(tt.fresh, tt.private)
			if tt.wantNil {
				if n != nil {
					t.Errorf("got = %+v, want none", n)
				}
				return
			}
			if n == nil || n.Title != tt.title || n.Content != tt.text {
				t.Fatalf("got = %+v, want %q / %q", n, tt.title, tt.text)
			}
			if tt.mustNotShow != "" && strings.Contains(n.Title+n.Content, tt.mustNotShow) {
				t.Errorf("got = %+v, must not show %q", n, tt.mustNotShow)
			}
		})
	}
}

// buttonIn finds the button labelled text among what root shows.
func buttonIn(t *testing.T, root fyne.CanvasObject, text string) *widget.Button {
	t.Helper()
	found := findButton(root, text)
	if found == nil {
		t.Fatalf("no button %q", text)
	}
	return found
}

// findButton returns the first button labelled text among what root shows,
// or nil.
func findButton(root fyne.CanvasObject, text string) *widget.Button {
	var found *widget.Button
	walkShown(root, func(o fyne.CanvasObject) {
		if b, ok := o.(*widget.Button); ok && b.Text == text && found == nil {
			found = b
		}
	})
	return found
}

// walkShown calls visit for root and everything it shows, depth first.
func walkShown(root fyne.CanvasObject, visit func(fyne.CanvasObject)) {
	visit(root)
	switch x := root.(type) {
	case *fyne.Container:
		for _, c := range x.Objects {
			walkShown(c, visit)
		}
	case fyne.Widget:
		for _, c := range test.WidgetRenderer(x).Objects() {
			walkShown(c, visit)
		}
	}
}

// TestPreferencesKeptInProfile: a choice made in the settings window is
// stored in the profile and in force again after locking and unlocking.
func TestPreferencesKeptInProfile(t *testing.T) {
	test.NewTempApp(t)
	app, _ := openFixture(t)
	app.showSettings()
	app.tasks.wait()
	app.settings.window.autoLock.SetSelected("5 minutes")
	app.settings.window.private.SetChecked(false)
	app.settings.window.sizeCap.SetSelected("5 MB")
	app.settings.window.check.SetSelected("every 15 minutes")
	if !app.settings.window.lookup.Checked {
		t.Error("provider lookups are off by default, want on")
	}
	app.settings.window.lookup.SetChecked(false)
	if !app.settings.window.dkim.Checked {
		t.Error("DKIM lookups are off by default, want on")
	}
	app.settings.window.dkim.SetChecked(false)
	app.tasks.wait()

	app.lock()
	app.tasks.wait()                          // the unlock screen is shown once the profile is closed
	app.settings.prefs = defaultPreferences() // what a fresh start would have
	unlocked(t, app)
	app.tasks.wait()
	if got := app.settings.prefs; got.autoLockMinutes != 5 || got.privateNotifications || !got.offlineBodies || got.maxMessageMB != 5 ||
		got.checkMinutes != 15 || got.providerLookup || got.dkimLookups {
		t.Errorf("preferences after unlocking = %+v, want 5 minutes, details in notifications, offline bodies up to 5 MB, checks every 15 minutes, no provider or DKIM lookups", got)
	}
}

// TestActivityWatcherSeesMouseOverEverything: the unlocked window's
// content sits inside the activity watcher, and both ways the desktop
// driver reports mouse movement to it (asking for its cursor on every move
// over anything in the window, and moves where nothing else takes the
// mouse) count as input.
func TestActivityWatcherSeesMouseOverEverything(t *testing.T) {
	test.NewTempApp(t)
	app, _, _, clock := withFakeTimers(t)
	w, ok := app.window.Canvas().Content().(*activityWatcher)
	if !ok {
		t.Fatalf("window content is %T, want the activity watcher around it", app.window.Canvas().Content())
	}
	inside := false
	walkShown(w, func(o fyne.CanvasObject) { inside = inside || o == app.main.list })
	if !inside {
		t.Fatal("the message list is not inside the activity watcher")
	}
	for _, tt := range []struct {
		name string
		move func()
	}{
		{"cursor asked", func() { w.Cursor() }},
		{"moved over", func() { w.MouseMoved(&desktop.MouseEvent{}) }},
	} {
		*clock = clock.Add(time.Minute)
		before := app.settings.idle.lastInput
		tt.move()
		if got := app.settings.idle.lastInput; !got.After(before) {
			t.Errorf("%s: last input stayed at %v, want now (%v)", tt.name, got, *clock)
		}
	}
}
