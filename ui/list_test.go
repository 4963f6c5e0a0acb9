package ui

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail"
	"github.com/sealpost/sealpost/mail/backend"
)

// openListFixture opens the fixture profile with Archive and Trash as
// openActionFixture does, a Sent folder holding one message to Bob, and a
// conversation of three messages (one unread) in Archive.
func openListFixture(t *testing.T) (*App, *mail.Engine) {
	t.Helper()
	e := listFixtureEngine(t)
	return unlocked(t, newApp(e)), e
}

// listFixtureEngine is the engine of openListFixture, locked.
func listFixtureEngine(t *testing.T) *mail.Engine {
	t.Helper()
	e, st := fixtureWithFolders(t, 10)
	if err := st.Folders().Put(localstore.Folder{Account: alice, Name: "Sent", Delimiter: "/", SpecialUse: `\Sent`, UIDValidity: 7, UIDNext: 2}); err != nil {
		t.Fatal(err)
	}
	put := func(folder string, sums ...localstore.Summary) {
		if err := st.Messages().PutSummaries(alice, folder, sums); err != nil {
			t.Fatal(err)
		}
	}
	put("Sent", localstore.Summary{UID: 1, From: "Alice Example <alice@example.org>", To: `"Bob Example" <bob@example.net>`,
		Subject: "Minutes", Date: fixtureNow.Add(-time.Hour), Flags: []string{`\Seen`}})
	put("Archive",
		localstore.Summary{UID: 1, MessageID: "plan@x", From: "Bob <bob@example.net>", Subject: "Plan", Date: fixtureNow.Add(-5 * time.Hour), Flags: []string{`\Seen`}},
		localstore.Summary{UID: 2, MessageID: "re1@x", InReplyTo: "plan@x", References: []string{"plan@x"}, From: "Carol <carol@example.com>",
			Subject: "Re: Plan", Date: fixtureNow.Add(-4 * time.Hour), Flags: []string{`\Seen`}},
		localstore.Summary{UID: 3, MessageID: "re2@x", InReplyTo: "re1@x", References: []string{"plan@x", "re1@x"}, From: "Bob <bob@example.net>",
			Subject: "Re: Re: Plan", Date: fixtureNow.Add(-3 * time.Hour)},
		localstore.Summary{UID: 4, MessageID: "other@x", From: "Dana <dana@example.com>", Subject: "Other", Date: fixtureNow.Add(-4*time.Hour - time.Minute),
			Flags: []string{`\Seen`}},
	)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	return e
}

// openFolderNode selects folder in the tree and waits for its messages.
func openFolderNode(t *testing.T, app *App, folder string) {
	t.Helper()
	app.main.tree.Select(alice + folderSep + folder)
	app.tasks.wait()
	if app.main.folder != folder {
		t.Fatalf("folder shown = %q, want %q", app.main.folder, folder)
	}
}

func TestHeaderSortsAndRemembersPerFolder(t *testing.T) {
	test.NewTempApp(t)
	app, _ := openListFixture(t)
	v, h := app.main, app.main.header
	byDate := []string{"Q3 numbers", "Urgent: new bank details", "Lunch on Friday?", "Parking notice"}
	if got := subjects(v); !slices.Equal(got, byDate) || h.date.Text != "Date ▼" {
		t.Fatalf("INBOX: rows %q, date header %q; want newest first and Date ▼", got, h.date.Text)
	}
	test.Tap(h.subject)
	bySubject := []string{"Lunch on Friday?", "Parking notice", "Q3 numbers", "Urgent: new bank details"}
	if got := subjects(v); !slices.Equal(got, bySubject) || h.subject.Text != "Subject ▲" || h.date.Text != "Date" {
		t.Errorf("by subject: rows %q, headers %q / %q", got, h.subject.Text, h.date.Text)
	}
	test.Tap(h.subject)
	slices.Reverse(bySubject)
	if got := subjects(v); !slices.Equal(got, bySubject) || h.subject.Text != "Subject ▼" {
		t.Errorf("by subject again: rows %q, header %q; want Z to A", got, h.subject.Text)
	}

	// Sent names the recipient, sorted by date as every new folder.
	openFolderNode(t, app, "Sent")
	if h.sender.Text != "To" || h.date.Text != "Date ▼" {
		t.Errorf("Sent headers: %q, %q; want To and Date ▼", h.sender.Text, h.date.Text)
	}
	if r := renderedRows(v)[0]; r == nil || r.sender.Text != "Bob Example" {
		t.Errorf("Sent row names %v, want the recipient Bob Example", r)
	}
	test.Tap(h.sender)
	if h.sender.Text != "To ▲" {
		t.Errorf("sorted by recipient: header %q, want To ▲", h.sender.Text)
	}

	// Results from all folders name the sender again; back in Sent, the
	// recipient.
	v.scope.SetSelected(scopeAll)
	test.Type(v.search, "minutes")
	v.search.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	app.tasks.wait()
	if !v.inResults || h.sender.Text != "From ▲" {
		t.Errorf("all-folder results: in results %v, header %q; want From ▲", v.inResults, h.sender.Text)
	}
	v.escape()
	app.tasks.wait()
	if h.sender.Text != "To ▲" {
		t.Errorf("back in Sent: header %q, want To ▲", h.sender.Text)
	}

	// Back in INBOX its own order returns.
	openFolderNode(t, app, "INBOX")
	if got := subjects(v); !slices.Equal(got, bySubject) || h.sender.Text != "From" {
		t.Errorf("INBOX again: rows %q, sender header %q; want Z to A by subject, From", got, h.sender.Text)
	}
}

func TestCompactRows(t *testing.T) {
	test.NewTempApp(t)
	app, _ := openListFixture(t)
	v := app.main
	comfortable := renderedRows(v)[0].Size().Height
	v.header.compact.Action()
	app.tasks.wait()
	r := renderedRows(v)[0]
	compact := r.Size().Height
	if compact < 20 || compact > 28 || compact >= comfortable {
		t.Errorf("row heights: compact %v, comfortable %v; want compact 20 to 28 px and less", compact, comfortable)
	}
	if !v.header.compact.Checked {
		t.Error("the menu item Compact rows is not ticked")
	}
	t.Logf("row height: comfortable %.0f px, compact %.0f px; %d compact rows fit in the list's %.0f px",
		comfortable, compact, int(v.list.Size().Height/(compact+1)), v.list.Size().Height)
	// Compact rows keep their columns in line with the header.
	if got, want := r.date.Position().X, v.header.date.Position().X; got != want {
		t.Errorf("date column at x %v, header at %v", got, want)
	}
	if r.subject.Text != "Q3 numbers" || r.size.Text == "" || r.attach.Resource == nil {
		t.Errorf("compact row: subject %q, size %q, attachment icon %v", r.subject.Text, r.size.Text, r.attach.Resource)
	}
	test.Tap(v.header.menu)
	if app.window.Canvas().Overlays().Top() == nil {
		t.Error("the header's menu did not open")
	}
}

func TestThreadsCollapseInTheList(t *testing.T) {
	test.NewTempApp(t)
	app, _ := openListFixture(t)
	v := app.main
	openFolderNode(t, app, "Archive")
	v.header.threads.Action()
	app.tasks.wait()
	if got := subjects(v); !slices.Equal(got, []string{"Plan", "Re: Plan", "Re: Re: Plan", "Other"}) {
		t.Fatalf("threaded rows %q, want the conversation first, in order, then Other", got)
	}
	if !v.header.threads.Checked || v.rows.rowDepth(2) != 2 {
		t.Errorf("threads ticked %v, depth of the second answer %d; want ticked, 2", v.header.threads.Checked, v.rows.rowDepth(2))
	}
	root := renderedRows(v)[0]
	if root == nil || !root.twisty.Visible() || root.count.Visible() {
		t.Fatal("the thread's first row has no open disclosure")
	}
	test.Tap(root.twisty)
	app.tasks.wait()
	if got := subjects(v); !slices.Equal(got, []string{"Plan", "Other"}) {
		t.Errorf("collapsed: rows %q, want Plan and Other", got)
	}
	if r := renderedRows(v)[0]; r == nil || r.count.Text != "(3)" || !r.count.Visible() {
		t.Errorf("the collapsed thread does not say it holds 3 messages")
	}
	// Right expands the thread of the selected message, Left collapses it
	// and selects its first message.
	test.Tap(renderedRows(v)[0])
	app.tasks.wait()
	v.typedKey(&fyne.KeyEvent{Name: fyne.KeyRight})
	if v.rows.len() != 4 {
		t.Errorf("after Right: %d rows, want 4", v.rows.len())
	}
	v.click(rowOf(t, v, "Re: Re: Plan"), 0)
	app.tasks.wait()
	v.typedKey(&fyne.KeyEvent{Name: fyne.KeyLeft})
	app.tasks.wait()
	if v.rows.len() != 2 || v.opened == nil || v.opened.Subject != "Plan" {
		t.Errorf("after Left on an answer: %d rows, open %v; want 2 and Plan open", v.rows.len(), v.opened)
	}
	// Threads are remembered for the folder, not for others.
	openFolderNode(t, app, "INBOX")
	if v.header.threads.Checked {
		t.Error("INBOX is threaded too")
	}
	openFolderNode(t, app, "Archive")
	if !v.header.threads.Checked {
		t.Error("Archive forgot its threads")
	}
}

// treeLabel returns the text the folder tree shows for folder.
func treeLabel(t *testing.T, v *mainView, folder string) string {
	t.Helper()
	for _, o := range test.LaidOutObjects(v.tree) {
		if n, ok := o.(*folderNode); ok && n.Visible() && n.id == alice+folderSep+folder {
			return n.Text
		}
	}
	t.Fatalf("no tree node for %s", folder)
	return ""
}

func TestUnreadCountsInTheTree(t *testing.T) {
	test.NewTempApp(t)
	app, _ := openListFixture(t)
	v := app.main
	// Archive was never opened: its count comes from the engine.
	for folder, want := range map[string]string{"INBOX": "Inbox (2)", "Archive": "Archive (1)", "Sent": "Sent", "Trash": "Trash"} {
		if got := treeLabel(t, v, folder); got != want {
			t.Errorf("tree shows %q, want %q", got, want)
		}
	}
	openRowOf(t, app, "Q3 numbers")
	if got := treeLabel(t, v, "INBOX"); got != "Inbox (1)" {
		t.Errorf("after reading one: %q, want Inbox (1)", got)
	}
	openFolderNode(t, app, "Archive")
	openRowOf(t, app, "Re: Re: Plan")
	if got := treeLabel(t, v, "Archive"); got != "Archive" {
		t.Errorf("after reading Archive's unread message: %q, want Archive", got)
	}
}

// countingFolders is the list fixture's engine that records which folders
// it counts. FolderInfo reports unreadAnswer unread messages, and waits for
// release when it is not nil.
type countingFolders struct {
	*mail.Engine
	started      chan string
	release      chan struct{}
	unreadAnswer int

	mu       sync.Mutex
	wholeRun int      // FolderInfos calls
	counted  []string // FolderInfo calls, by folder
}

func (c *countingFolders) FolderInfos(ctx context.Context, account string) ([]backend.FolderInfo, error) {
	c.mu.Lock()
	c.wholeRun++
	c.mu.Unlock()
	return c.Engine.FolderInfos(ctx, account)
}

func (c *countingFolders) FolderInfo(ctx context.Context, account, folder string) (backend.FolderInfo, error) {
	c.mu.Lock()
	c.counted = append(c.counted, folder)
	c.mu.Unlock()
	if c.release != nil {
		c.started <- folder
		<-c.release
	}
	info, err := c.Engine.FolderInfo(ctx, account, folder)
	info.Unread = c.unreadAnswer
	return info, err
}

func (c *countingFolders) calls() (whole int, counted []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.wholeRun, slices.Clone(c.counted)
}

// TestNewMailRecountsOnlyItsFolder: mail arriving in one folder recounts
// that folder alone, and the changes that arrive while it counts lead to
// one more count, not one each.
func TestNewMailRecountsOnlyItsFolder(t *testing.T) {
	test.NewTempApp(t)
	c := &countingFolders{Engine: listFixtureEngine(t), unreadAnswer: 7}
	app := unlocked(t, newApp(c))
	v := app.main
	app.tasks.wait()
	wholeBefore, _ := c.calls()
	arrived := backend.Event{Kind: backend.EventNewMail, Account: alice, Folder: "Archive", Count: 1, FirstSync: true}

	v.handleEvent(arrived)
	app.tasks.wait()
	if whole, counted := c.calls(); whole != wholeBefore || !slices.Equal(counted, []string{"Archive"}) {
		t.Fatalf("after mail arrived in Archive: %d more whole recounts, folders counted %q; want Archive alone", whole-wholeBefore, counted)
	}
	if got := treeLabel(t, v, "Archive"); got != "Archive (7)" {
		t.Errorf("tree shows %q, want the new count, Archive (7)", got)
	}

	c.unreadAnswer = 9
	c.started, c.release = make(chan string, 1), make(chan struct{})
	v.handleEvent(arrived)
	select {
	case <-c.started:
	case <-time.After(10 * time.Second):
		t.Fatal("the second arrival started no count")
	}
	for range 3 { // more mail while it counts
		v.handleEvent(backend.Event{Kind: backend.EventFolderChanged, Account: alice, Folder: "Archive"})
	}
	c.release <- struct{}{} // the first count ends; its update starts one more
	further := make(chan bool, 1)
	go func() {
		select {
		case <-c.started:
			further <- true
		case <-time.After(10 * time.Second):
			further <- false
		}
		close(c.release)
	}()
	app.tasks.wait()
	if !<-further {
		t.Fatal("the changes during the count led to no further count")
	}
	if whole, counted := c.calls(); whole != wholeBefore || len(counted) != 3 {
		t.Errorf("after four changes, three during a count: %d whole recounts, folders counted %q; want Archive three times in all", whole-wholeBefore, counted)
	}
	if got := treeLabel(t, v, "Archive"); got != "Archive (9)" {
		t.Errorf("tree shows %q, want Archive (9)", got)
	}
}

func TestArrowKeysOpenMessages(t *testing.T) {
	test.NewTempApp(t)
	app, _ := openListFixture(t)
	v := app.main
	c := app.window.Canvas()
	steps := []struct {
		key  fyne.KeyName
		want string
	}{
		{fyne.KeyDown, "Q3 numbers"}, // nothing selected: the first
		{fyne.KeyDown, "Urgent: new bank details"},
		{fyne.KeyDown, "Lunch on Friday?"},
		{fyne.KeyUp, "Urgent: new bank details"},
		{fyne.KeyUp, "Q3 numbers"},
		{fyne.KeyUp, "Q3 numbers"}, // the top stays
	}
	for i, s := range steps {
		c.OnTypedKey()(&fyne.KeyEvent{Name: s.key})
		app.tasks.wait()
		if v.opened == nil || v.opened.Subject != s.want || v.reader.subject.Text != s.want {
			t.Fatalf("step %d (%s): open %v, reader %q; want %q", i, s.key, v.opened, v.reader.subject.Text, s.want)
		}
		if got := selectedSubjects(v); !slices.Equal(got, []string{s.want}) {
			t.Errorf("step %d: selection %q, want only %q", i, got, s.want)
		}
	}
	// End and Home go to the last and the first message, Page Down and
	// Page Up by a screenful (here: to the ends of the short list).
	for _, s := range []struct {
		key  fyne.KeyName
		want string
	}{{fyne.KeyEnd, "Parking notice"}, {fyne.KeyHome, "Q3 numbers"}, {fyne.KeyPageDown, "Parking notice"}, {fyne.KeyPageUp, "Q3 numbers"}} {
		c.OnTypedKey()(&fyne.KeyEvent{Name: s.key})
		app.tasks.wait()
		if v.opened == nil || v.opened.Subject != s.want {
			t.Errorf("%s opened %v, want %q", s.key, v.opened, s.want)
		}
	}
	// The list takes them too when it has the focus.
	c.Focus(v.list)
	v.list.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
	app.tasks.wait()
	if v.opened == nil || v.opened.Subject != "Urgent: new bank details" {
		t.Errorf("Down on the focused list opened %v", v.opened)
	}
	// In the search box the arrows are the box's.
	c.Focus(v.search)
	c.OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyDown})
	app.tasks.wait()
	if v.opened.Subject != "Urgent: new bank details" {
		t.Errorf("Down in the search box moved the selection to %q", v.opened.Subject)
	}
}

func TestDeleteCanBeUndone(t *testing.T) {
	test.NewTempApp(t)
	app, e := openListFixture(t)
	v, a := app.main, app.main.actions
	openRowOf(t, app, "Parking notice")
	app.window.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyDelete})
	app.tasks.wait()
	if slices.Contains(subjects(v), "Parking notice") || v.opened != nil {
		t.Errorf("after Del: rows %q, open %v; want the message gone from the list and the reader", subjects(v), v.opened)
	}
	if _, ok := stored(t, e, "INBOX", "Parking notice"); !ok {
		t.Error("the message left the store before the undo window ended")
	}
	undo := findButton(v.notice.content, "Undo")
	if undo == nil || v.status.Text != "Deleted." {
		t.Fatalf("status %q, Undo button %v; want Deleted. with Undo", v.status.Text, undo)
	}
	test.Tap(undo)
	app.tasks.wait()
	if !slices.Contains(subjects(v), "Parking notice") || v.status.Text != "Restored." {
		t.Errorf("after Undo: rows %q, status %q; want the message back", subjects(v), v.status.Text)
	}

	// Without Undo the message goes to the Trash when the window ends.
	a.undoWindow = 50 * time.Millisecond
	openRowOf(t, app, "Urgent: new bank details")
	a.setRead(v.rows.selection(), false, "") // opening read it: unread again
	app.tasks.wait()
	unread := v.unread[alice+folderSep+"INBOX"]
	test.Tap(a.deleteButton)
	app.tasks.wait()
	if got := v.unread[alice+folderSep+"INBOX"]; got != unread-1 {
		t.Errorf("unread while deleted: %d, want %d", got, unread-1)
	}
	waitUntil(t, app, 10*time.Second, "the delete done", func() bool {
		_, ok := stored(t, e, "INBOX", "Urgent: new bank details")
		return !ok && a.pending == nil
	})
	if slices.Contains(subjects(v), "Urgent: new bank details") || findButton(v.notice.content, "Undo") != nil {
		t.Errorf("after the window: rows %q, Undo still offered %v", subjects(v), findButton(v.notice.content, "Undo") != nil)
	}
}

// A delete that can still be undone is done before the profile locks.
func TestLockDoesThePendingDelete(t *testing.T) {
	test.NewTempApp(t)
	app, e := openListFixture(t)
	openRowOf(t, app, "Parking notice")
	test.Tap(app.main.actions.deleteButton)
	app.tasks.wait()
	app.lock()
	app.tasks.wait()
	unlocked(t, app)
	if _, ok := stored(t, e, "INBOX", "Parking notice"); ok {
		t.Error("the message deleted before locking is still in INBOX")
	}
}

func TestSwitchingFoldersClearsTheReader(t *testing.T) {
	test.NewTempApp(t)
	app, _ := openListFixture(t)
	v := app.main
	openRowOf(t, app, "Q3 numbers")
	if v.opened == nil || v.replyButton.Disabled() {
		t.Fatal("the message did not open")
	}
	openFolderNode(t, app, "Archive")
	a := v.actions
	if v.opened != nil || v.message != nil || v.reader.subject.Text != "" {
		t.Errorf("after switching: open %v, reader %q; want nothing", v.opened, v.reader.subject.Text)
	}
	for name, b := range map[string]bool{"Reply": v.replyButton.Disabled(), "Reply all": v.replyAllButton.Disabled(),
		"Forward": a.forwardButton.Disabled(), "Delete": a.deleteButton.Disabled()} {
		if !b {
			t.Errorf("%s is enabled with nothing open", name)
		}
	}
	if strings.Contains(strings.Join(subjects(v), ","), "Q3") {
		t.Error("the old folder's rows are listed")
	}
}

// TestGoldenCompactList renders the main window with compact rows, then
// with the conversation of Archive threaded, in the light theme, with no
// message open (the reader has goldens of its own).
func TestGoldenCompactList(t *testing.T) {
	if testing.Short() {
		t.Skip("renders a window")
	}
	test.NewTempApp(t)
	test.ApplyTheme(t, variantTheme{theme.DefaultTheme(), theme.VariantLight})
	app, _ := openListFixture(t)
	v := app.main
	v.toggleCompact()
	app.tasks.wait()
	test.AssertImageMatches(t, "main_compact_light.png", app.window.Canvas().Capture())
	openFolderNode(t, app, "Archive")
	v.toggleThreads()
	app.tasks.wait()
	test.AssertImageMatches(t, "list_threads_light.png", app.window.Canvas().Capture())
}

// TestListChoicesOutliveTheSession: a folder's sort order and threads, and
// compact rows, are kept (sealed, in the profile's settings) and in force
// again after locking and unlocking; the other folders keep the default.
func TestListChoicesOutliveTheSession(t *testing.T) {
	test.NewTempApp(t)
	app, e := openListFixture(t)
	openFolderNode(t, app, "Archive")
	v := app.main
	v.sortBy(sortSubject)
	v.toggleThreads()
	v.toggleCompact()
	app.tasks.wait()
	want := listView{column: sortSubject, ascending: true, threaded: true}
	if v.rows.view != want || !v.compact {
		t.Fatalf("before locking: view %+v, compact %v; want %+v, compact", v.rows.view, v.compact, want)
	}
	prefs, err := e.Preferences(t.Context())
	if err != nil || !prefs.CompactList || prefs.ListViews[backend.ListViewKey(alice, "Archive")] != (backend.ListView{Column: backend.ListBySubject, Ascending: true, Threaded: true}) {
		t.Fatalf("stored preferences %+v, %v; want compact rows and Archive by subject, threaded", prefs, err)
	}

	app.lockAndWipe()
	app.tasks.wait()
	unlocked(t, app)
	v = app.main
	if !v.compact {
		t.Error("compact rows were not kept")
	}
	if v.rows.view != defaultView {
		t.Errorf("INBOX opens in %+v, want the default order", v.rows.view)
	}
	openFolderNode(t, app, "Archive")
	if v.rows.view != want {
		t.Errorf("Archive opens in %+v after unlocking, want %+v", v.rows.view, want)
	}
	v.sortBy(sortDate) // newest first, and no threads: the default again
	v.toggleThreads()
	app.tasks.wait()
	if prefs, err := e.Preferences(t.Context()); err != nil || v.rows.view != defaultView || len(prefs.ListViews) != 0 {
		t.Errorf("back to the default order %+v: stored orders %+v, %v; want none", v.rows.view, prefs.ListViews, err)
	}
}

// TestShiftArrowsExtendTheSelection: Shift with Down, Up, End and Home
// extends the selection from the message opened last, as Shift+click does;
// in the search box they stay the box's.
func TestShiftArrowsExtendTheSelection(t *testing.T) {
	test.NewTempApp(t)
	app, _ := openListFixture(t)
	v := app.main
	c := app.window.Canvas()
	c.OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyDown})
	app.tasks.wait()
	shift := func(key fyne.KeyName) {
		press(app, &desktop.CustomShortcut{KeyName: key, Modifier: fyne.KeyModifierShift})
	}
	steps := []struct {
		key  fyne.KeyName
		want []string
	}{
		{fyne.KeyDown, []string{"Q3 numbers", "Urgent: new bank details"}},
		{fyne.KeyDown, []string{"Q3 numbers", "Urgent: new bank details", "Lunch on Friday?"}},
		{fyne.KeyUp, []string{"Q3 numbers", "Urgent: new bank details"}},
		{fyne.KeyEnd, nil}, // every message: checked by count below
		{fyne.KeyHome, []string{"Q3 numbers"}},
	}
	for i, s := range steps {
		shift(s.key)
		got := selectedSubjects(v)
		if s.want == nil {
			if len(got) != v.rows.len() {
				t.Errorf("step %d (Shift+%s): %d selected, want all %d", i, s.key, len(got), v.rows.len())
			}
			continue
		}
		if !slices.Equal(got, s.want) {
			t.Errorf("step %d (Shift+%s): selected %q, want %q", i, s.key, got, s.want)
		}
	}
	shift(fyne.KeyDown)
	c.Focus(v.search)
	shift(fyne.KeyDown)
	if got := selectedSubjects(v); len(got) != 2 {
		t.Errorf("Shift+Down in the search box changed the selection to %q", got)
	}
}

// slowOpen is the list fixture's engine whose first Open waits for its
// context to end, as a download of a large message from a slow server.
type slowOpen struct {
	*mail.Engine
	first   sync.Once
	started chan struct{}
	ended   chan error
}

func (s *slowOpen) Open(ctx context.Context, account, folder string, uid uint32) (backend.Message, error) {
	slow := false
	s.first.Do(func() { slow = true })
	if slow {
		s.started <- struct{}{}
		<-ctx.Done()
		s.ended <- ctx.Err()
		return backend.Message{}, ctx.Err()
	}
	return s.Engine.Open(ctx, account, folder, uid)
}

// TestOpeningAnotherMessageStopsTheSlowOne: a message still loading stops
// loading when another one is opened; the other one shows.
func TestOpeningAnotherMessageStopsTheSlowOne(t *testing.T) {
	test.NewTempApp(t)
	s := &slowOpen{Engine: listFixtureEngine(t), started: make(chan struct{}, 1), ended: make(chan error, 1)}
	app := unlocked(t, newApp(s))
	v := app.main
	v.list.Select(rowOf(t, v, "Q3 numbers"))
	select {
	case <-s.started:
	case <-time.After(10 * time.Second):
		t.Fatal("selecting a message opened nothing")
	}
	v.list.Select(rowOf(t, v, "Lunch on Friday?"))
	select {
	case err := <-s.ended:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("the first message's loading ended with %v, want it stopped", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("opening another message did not stop loading the first")
	}
	app.tasks.wait()
	if v.message == nil || v.message.Subject != "Lunch on Friday?" {
		t.Errorf("the reader shows %+v, want Lunch on Friday?", v.message)
	}
}
