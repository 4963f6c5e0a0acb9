package ui

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/sealpost/sealpost/mail"
	"github.com/sealpost/sealpost/mail/backend"
	"github.com/sealpost/sealpost/mail/mailtest"
)

// TestFolderManagementInTheApp creates, renames and deletes a folder from
// the folder tree, with the real engine, against each kind of test server.
func TestFolderManagementInTheApp(t *testing.T) {
	for _, kind := range mailtest.Kinds() {
		t.Run(kind, func(t *testing.T) { folderManagementInTheApp(t, kind) })
	}
}

func folderManagementInTheApp(t *testing.T, kind string) {
	test.NewTempApp(t)
	srv := mailtest.StartKind(t, kind)
	// With the sessions running, as in the app: folder changes meet a
	// worker connection that may have the folder selected.
	e := mailtest.NewEngine(t, srv, srv.Alice, &mail.ProfileOptions{Sessions: &mail.SessionOptions{}})
	srv.Deliver(t, srv.Bob, srv.Alice, mailtest.Message(srv.Bob, srv.Alice, "Keep", "Hi.\r\n"))
	if err := e.Lock(); err != nil {
		t.Fatal(err)
	}
	app := newApp(e)
	test.Type(app.passphrase, mailtest.Passphrase)
	test.Tap(app.submit)
	waitUntil(t, app, time.Minute, "online with the inbox open", func() bool {
		v := app.main
		return v != nil && v.connection != nil && v.connection.Text == "Online" && v.folder == "INBOX"
	})
	v := app.main
	names := func() []string {
		var out []string
		for _, f := range v.folders[srv.Alice] {
			out = append(out, f.Name)
		}
		return out
	}
	submit := func(button string, done func() bool) {
		t.Helper()
		test.Tap(dialogButton(t, app.window.Canvas(), button))
		waitUntil(t, app, time.Minute, button, func() bool { return v.folderForm == nil && done() })
	}

	// New folder, from the button under the tree.
	test.Tap(v.folderBar.newButton)
	f := v.folderForm
	if f == nil {
		t.Fatal("New folder opened no dialog")
	}
	test.Type(f.name, "Receipts")
	submit("Create", func() bool { return slices.Contains(names(), "Receipts") })
	if !slices.Contains(names(), "Receipts") || v.status.Text != "Created the folder Receipts." {
		t.Fatalf("after Create: folders %q, status %q", names(), v.status.Text)
	}

	// Rename, from the folder's context menu, while it is open.
	v.tree.Select(srv.Alice + folderSep + "Receipts")
	app.tasks.wait()
	menu := v.folderMenu(srv.Alice + folderSep + "Receipts")
	menu.Items[1].Action() // Rename…
	f = v.folderForm
	if f == nil || f.name.Text != "Receipts" {
		t.Fatalf("Rename opened %+v, want the name filled in", f)
	}
	f.name.SetText("Bills")
	submit("Rename", func() bool { return v.folder == "Bills" })
	if got := names(); !slices.Contains(got, "Bills") || slices.Contains(got, "Receipts") || v.folder != "Bills" {
		t.Fatalf("after Rename: folders %q, open %q; want Bills open and no Receipts", got, v.folder)
	}

	// Delete asks first, then goes back to the inbox.
	test.Tap(v.folderBar.deleteButton)
	if v.folderForm == nil || !strings.Contains(dialogText(t, app), "Bills") {
		t.Fatal("Delete asked nothing")
	}
	submit("Delete", func() bool { return v.folder == "INBOX" })
	if got := names(); slices.Contains(got, "Bills") || v.folder != "INBOX" {
		t.Errorf("after Delete: folders %q, open %q; want no Bills, INBOX open", got, v.folder)
	}
	waitUntil(t, app, time.Minute, "the inbox listed", func() bool { return slices.Contains(subjects(v), "Keep") })
	if v.lastProblem != "" {
		t.Errorf("the session reported a problem: %q", v.lastProblem)
	}
	infos, err := e.FolderInfos(t.Context(), srv.Alice)
	if err != nil || slices.ContainsFunc(infos, func(f backend.FolderInfo) bool { return f.Name == "Bills" || f.Name == "Receipts" }) {
		t.Errorf("engine's folders %+v, %v; want neither Bills nor Receipts", infos, err)
	}
}

// dialogText is the text of the labels in the top overlay.
func dialogText(t *testing.T, app *App) string {
	t.Helper()
	top := app.window.Canvas().Overlays().Top()
	if top == nil {
		t.Fatal("no dialog is open")
	}
	var b strings.Builder
	walkShown(top, func(o fyne.CanvasObject) {
		if l, ok := o.(*widget.Label); ok {
			b.WriteString(l.Text + "\n")
		}
	})
	return b.String()
}

// TestFolderFormsRefuseBadNames: the name field says what is wrong and the
// dialog's button stays disabled.
func TestFolderFormsRefuseBadNames(t *testing.T) {
	test.NewTempApp(t)
	app, _ := openListFixture(t)
	v := app.main
	v.showNewFolder(alice, "")
	f := v.folderForm
	create := dialogButton(t, app.window.Canvas(), "Create")
	for _, bad := range []string{"", "a/b", "INBOX", "x*", "tab\there"} {
		f.name.SetText(bad)
		if err := f.name.Validate(); !errors.Is(err, backend.ErrFolderName) || !create.Disabled() {
			t.Errorf("name %q: validation %v, Create disabled %v; want ErrFolderName and disabled", bad, err, create.Disabled())
		}
	}
	f.name.SetText("Receipts")
	if err := f.name.Validate(); err != nil || create.Disabled() {
		t.Errorf("a good name: validation %v, Create disabled %v", err, create.Disabled())
	}
	// The parent offered first is the one the menu was opened on.
	v.folderForm.dialog.Hide()
	v.folderMenu(alice + folderSep + "Archive").Items[0].Action()
	if got := v.folderForm.parent.Selected; got != "Archive" {
		t.Errorf("New subfolder of Archive offers %q as the parent", got)
	}
	v.folderForm.dialog.Hide()
	// INBOX can be neither renamed nor deleted.
	if items := v.folderMenu(alice + folderSep + "INBOX").Items; len(items) != 1 {
		t.Errorf("INBOX's menu has %d items, want only New subfolder", len(items))
	}
	openFolderNode(t, app, "INBOX")
	if !v.folderBar.renameButton.Disabled() || !v.folderBar.deleteButton.Disabled() {
		t.Error("Rename or Delete is enabled for INBOX")
	}
}

// TestFolderProblemsInWords: a refused change says why in a sentence.
func TestFolderProblemsInWords(t *testing.T) {
	for err, want := range map[error]string{
		backend.ErrFolderExists:                     "A folder of that name exists already: choose another name.",
		backend.ErrInboxFixed:                       "The Inbox cannot be renamed or deleted.",
		errors.New("NO [CANNOT] permission denied"): "The folder was not changed: NO [CANNOT] permission denied.",
	} {
		if got := folderProblem(err); got != want {
			t.Errorf("folderProblem(%v) = %q, want %q", err, got, want)
		}
	}
}

// TestTrayCountsNoTrashOrJunk: unread mail in the Trash or Junk is not news.
func TestTrayCountsNoTrashOrJunk(t *testing.T) {
	test.NewTempApp(t)
	app, _ := openListFixture(t)
	v := app.main
	v.unread[alice+folderSep+"Trash"] = 5
	v.infos[alice+folderSep+"Spam"] = backend.FolderInfo{Name: "Spam", Role: backend.RoleJunk}
	v.unread[alice+folderSep+"Spam"] = 7
	if got := totalUnread(v.newsUnread()); got != 3 {
		t.Errorf("tray count = %d, want 3 (Inbox 2, Archive 1)", got)
	}
}

// stalledFolders is the fixture engine whose server never answers a
// folder change: CreateFolder waits until its context ends.
type stalledFolders struct {
	*mail.Engine
	started chan struct{}
}

func (s *stalledFolders) CreateFolder(ctx context.Context, account, name string) error {
	s.started <- struct{}{}
	<-ctx.Done()
	return ctx.Err()
}

// TestFolderChangeCanBeCancelled: a folder change waiting for the server
// shows Cancel; Cancel stops it and says what that means.
func TestFolderChangeCanBeCancelled(t *testing.T) {
	test.NewTempApp(t)
	s := &stalledFolders{Engine: fixtureEngine(t), started: make(chan struct{}, 1)}
	app := unlocked(t, newApp(s))
	v := app.main
	test.Tap(v.folderBar.newButton)
	if v.folderForm == nil {
		t.Fatal("New folder opened no dialog")
	}
	test.Type(v.folderForm.name, "Receipts")
	test.Tap(dialogButton(t, app.window.Canvas(), "Create"))
	select {
	case <-s.started:
	case <-time.After(10 * time.Second):
		t.Fatal("Create asked the server nothing")
	}
	cancel := findButton(v.notice.actions, "Cancel")
	if cancel == nil {
		t.Fatalf("no Cancel while the server is asked; status %q", v.status.Text)
	}
	test.Tap(cancel)
	app.tasks.wait()
	if !strings.HasPrefix(v.status.Text, "Stopped.") || findButton(v.notice.actions, "Cancel") != nil {
		t.Errorf("after Cancel: status %q, Cancel still shown %v", v.status.Text, findButton(v.notice.actions, "Cancel") != nil)
	}
}
