package ui

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/sealpost/sealpost/mail"
	"github.com/sealpost/sealpost/mail/backend"
)

// menuItem finds the item labelled label in the main menu's menu named
// menu (looking into submenus too).
func menuItem(t *testing.T, app *App, menu, label string) *fyne.MenuItem {
	t.Helper()
	main := app.window.MainMenu()
	if main == nil {
		t.Fatal("the main window has no menu")
	}
	var find func(items []*fyne.MenuItem) *fyne.MenuItem
	find = func(items []*fyne.MenuItem) *fyne.MenuItem {
		for _, it := range items {
			if it.Label == label {
				return it
			}
			if it.ChildMenu != nil {
				if found := find(it.ChildMenu.Items); found != nil {
					return found
				}
			}
		}
		return nil
	}
	for _, m := range main.Items {
		if m.Label == menu {
			if it := find(m.Items); it != nil {
				return it
			}
		}
	}
	t.Fatalf("no item %q in menu %q", label, menu)
	return nil
}

// press types shortcut s on the main window's canvas and waits for what
// it started.
func press(app *App, s fyne.Shortcut) {
	typeShortcut(app.window.Canvas(), s)
	app.tasks.wait()
}

// typeShortcut delivers shortcut s to canvas c as the desktop driver does
// for a key combination no focused widget took. Since Fyne 2.8 the test
// canvas wraps the software canvas in an interface field that hides its
// TypedShortcut, so the wrapped canvas is reached by its field name.
func typeShortcut(c fyne.Canvas, s fyne.Shortcut) {
	wrapped := reflect.ValueOf(c).Elem().FieldByName("WindowlessCanvas")
	if !wrapped.IsValid() {
		panic(fmt.Sprintf("typeShortcut: canvas %T takes no shortcuts", c))
	}
	wrapped.Interface().(fyne.Shortcutable).TypedShortcut(s)
}

func TestMainMenuItems(t *testing.T) {
	test.NewTempApp(t)
	app := newApp(fixtureEngine(t))
	var menus []string
	for _, m := range app.window.MainMenu().Items {
		menus = append(menus, m.Label)
	}
	if want := []string{"File", "Edit", "View", "Message", "Tools", "Help"}; !slices.Equal(menus, want) {
		t.Fatalf("menus got = %q, want %q", menus, want)
	}

	// Locked: only Quit and Help work.
	for _, tt := range []struct {
		menu, item string
		enabled    bool
	}{
		{"File", "New message", false}, {"File", "Quit", true}, {"Edit", "Settings…", false},
		{"View", "Dark", false}, {"Help", "Keyboard shortcuts", true}, {"Help", "About Sealpost", true},
	} {
		if got := !menuItem(t, app, tt.menu, tt.item).Disabled; got != tt.enabled {
			t.Errorf("locked: %s → %s enabled got = %v, want %v", tt.menu, tt.item, got, tt.enabled)
		}
	}

	unlocked(t, app)
	v := app.main
	for _, tt := range []struct {
		menu, item string
		enabled    bool
	}{
		{"File", "New message", true}, {"File", "Get new mail", true}, {"Message", "Reply", false},
		{"Message", "Forward", false}, {"Message", "Delete", false}, {"Tools", "Keys…", true},
	} {
		if got := !menuItem(t, app, tt.menu, tt.item).Disabled; got != tt.enabled {
			t.Errorf("unlocked, nothing selected: %s → %s enabled got = %v, want %v", tt.menu, tt.item, got, tt.enabled)
		}
	}
	if !menuItem(t, app, "View", "System").Checked || menuItem(t, app, "View", "Dark").Checked {
		t.Error("View → Theme: System must be checked at first")
	}

	v.list.Select(rowOf(t, v, "Q3 numbers"))
	app.tasks.wait()
	for _, item := range []string{"Reply", "Reply all", "Forward", "Mark unread", "Flag", "Move…", "Delete"} {
		if menuItem(t, app, "Message", item).Disabled {
			t.Errorf("with a message open, Message → %s is disabled", item)
		}
	}

	menuItem(t, app, "Message", "Reply all").Action()
	app.tasks.wait()
	if c := v.lastComposer; c == nil || c.subject.Text != "Re: Q3 numbers" {
		t.Fatalf("Message → Reply all opened %v, want a reply to Q3 numbers", c)
	}
	menuItem(t, app, "Tools", "Keys…").Action()
	app.tasks.wait()
	if app.keyManager == nil {
		t.Error("Tools → Keys… did not open the key manager")
	}
	menuItem(t, app, "Edit", "Settings…").Action()
	if app.settingsOf().window == nil {
		t.Error("Edit → Settings… did not open the settings")
	}
	menuItem(t, app, "Help", "Keyboard shortcuts").Action()
	if app.window.Canvas().Overlays().Top() == nil {
		t.Error("Help → Keyboard shortcuts showed no dialog")
	}
	app.window.Canvas().Overlays().Top().Hide()

	menuItem(t, app, "File", "Lock").Action()
	app.tasks.wait()
	if app.main != nil || app.submit.Text != "Unlock" {
		t.Fatal("File → Lock did not lock")
	}
	if !menuItem(t, app, "File", "New message").Disabled || !menuItem(t, app, "Message", "Reply").Disabled {
		t.Error("after locking, File → New message and Message → Reply must be disabled")
	}
}

// TestMenuShortcuts presses each shortcut of the menu and checks what it
// did.
func TestMenuShortcuts(t *testing.T) {
	tests := []struct {
		name string
		keys fyne.Shortcut
		open string // the message opened first; empty for none
		// check reports what is wrong after the key, or "".
		check func(app *App) string
	}{
		{"Ctrl+N new message", shortcutNew, "", func(app *App) string {
			return want(len(app.extra) == 1 && app.main.lastComposer != nil && app.main.lastComposer.to.Text == "", "an empty composer")
		}},
		{"Ctrl+R reply", shortcutReply, "Q3 numbers", func(app *App) string {
			c := app.main.lastComposer
			return want(c != nil && c.subject.Text == "Re: Q3 numbers", "a reply to Q3 numbers")
		}},
		{"Ctrl+R without a message", shortcutReply, "", func(app *App) string {
			return want(len(app.extra) == 0, "no window")
		}},
		{"Ctrl+Shift+R reply all", shortcutReplyAll, "Q3 numbers", func(app *App) string {
			c := app.main.lastComposer
			return want(c != nil && c.subject.Text == "Re: Q3 numbers", "a reply to all of Q3 numbers")
		}},
		{"Ctrl+L forward", shortcutForward, "Parking notice", func(app *App) string {
			c := app.main.lastComposer
			return want(c != nil && c.subject.Text == "Fwd: Parking notice", "a forward of Parking notice")
		}},
		{"Ctrl+F find", shortcutFind, "", func(app *App) string {
			return want(app.window.Canvas().Focused() == app.main.search, "the focus in the search box")
		}},
		{"Ctrl+A select all", shortcutSelect, "", func(app *App) string {
			return want(len(app.main.rows.selection()) == app.main.rows.len(), "every message selected")
		}},
		{"Ctrl+comma settings", shortcutSettings, "", func(app *App) string {
			return want(app.settingsOf().window != nil, "the settings window")
		}},
		{"Ctrl+K keys", shortcutKeys, "", func(app *App) string {
			return want(app.keyManager != nil, "the key manager")
		}},
		{"Ctrl+Shift+L lock", shortcutLock, "", func(app *App) string {
			return want(app.main == nil && app.submit.Text == "Unlock", "the unlock screen")
		}},
		{"Ctrl+Q quit", shortcutQuit, "", func(app *App) string {
			_, err := app.backend.Accounts(context.Background())
			return want(errors.Is(err, mail.ErrProfileLocked) && app.quitting, "the profile locked and the app stopped")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			test.NewTempApp(t)
			app, _ := openActionFixture(t)
			if tt.open != "" {
				openRowOf(t, app, tt.open)
			}
			press(app, tt.keys)
			if problem := tt.check(app); problem != "" {
				t.Error(problem)
			}
		})
	}
}

// want returns "" when ok, else what was wanted.
func want(ok bool, what string) string {
	if ok {
		return ""
	}
	return "got something else, want " + what
}

// TestGetMailKeys: Ctrl+T, and F5 wherever the focus is in the main
// window, start a sync.
func TestGetMailKeys(t *testing.T) {
	for _, tt := range []struct {
		name string
		key  func(app *App)
	}{
		{"Ctrl+T", func(app *App) { typeShortcut(app.window.Canvas(), shortcutGetMail) }},
		{"F5 with nothing focused", func(app *App) { app.window.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyF5}) }},
		{"F5 on the list", func(app *App) { app.main.list.TypedKey(&fyne.KeyEvent{Name: fyne.KeyF5}) }},
		{"F5 in the search box", func(app *App) {
			app.window.Canvas().Focus(app.main.search)
			app.main.search.TypedKey(&fyne.KeyEvent{Name: fyne.KeyF5})
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			test.NewTempApp(t)
			app := unlocked(t, newApp(&progressEngine{Engine: fixtureEngine(t),
				steps: []backend.SyncProgress{{Account: alice, Folder: "INBOX", Done: 1, Total: 1}}}))
			v := app.main
			tt.key(app)
			if v.syncing == nil || !v.syncButton.Disabled() {
				t.Fatal("the key did not start a sync")
			}
			app.tasks.wait()
			if v.syncing != nil || v.search.Text != "" {
				t.Errorf("after the sync: still syncing %v, search box %q; want done and the box empty", v.syncing != nil, v.search.Text)
			}
		})
	}
}

// TestShortcutsLeaveTypingAlone: letters typed into the search box are
// text, and Ctrl+A there selects the text, not the messages.
func TestShortcutsLeaveTypingAlone(t *testing.T) {
	test.NewTempApp(t)
	app, _ := openActionFixture(t)
	v := app.main
	openRowOf(t, app, "Parking notice")
	c := app.window.Canvas()
	c.Focus(v.search)
	test.Type(v.search, "nrlqfk")
	app.tasks.wait()
	if v.search.Text != "nrlqfk" || len(app.extra) != 0 || app.main == nil {
		t.Fatalf("typing: search box %q, %d windows, locked %v; want the text only", v.search.Text, len(app.extra), app.main == nil)
	}
	menuItem(t, app, "Edit", "Select all messages").Action() // as the desktop driver runs it for Ctrl+A
	if got := v.search.SelectedText(); got != "nrlqfk" {
		t.Errorf("Ctrl+A in the search box selected %q, want its text", got)
	}
	if n := len(v.rows.selection()); n > 1 {
		t.Errorf("Ctrl+A in the search box selected %d messages", n)
	}
	for _, s := range []fyne.Shortcut{shortcutReply, shortcutReplyAll, shortcutForward} {
		press(app, s)
	}
	if len(app.extra) != 0 {
		t.Errorf("Ctrl+R, Ctrl+Shift+R or Ctrl+L in the search box opened %d windows, want none", len(app.extra))
	}
}

// TestShortcutsDialog: Help → Keyboard shortcuts lists every key.
func TestShortcutsDialog(t *testing.T) {
	test.NewTempApp(t)
	app, _ := openActionFixture(t)
	menuItem(t, app, "Help", "Keyboard shortcuts").Action()
	var texts []string
	for _, o := range test.LaidOutObjects(app.window.Canvas().Overlays().Top()) {
		if l, ok := o.(*widget.Label); ok {
			texts = append(texts, l.Text)
		}
	}
	all := strings.Join(texts, "\n")
	for _, want := range []string{"Ctrl+N", "Ctrl+R", "Ctrl+Shift+R", "Ctrl+L", "Ctrl+T or F5", "Ctrl+F", "Ctrl+Q", "Ctrl+,",
		"Ctrl+K", "Ctrl+Shift+L", "Ctrl+A"} {
		if !slices.Contains(texts, want) {
			t.Errorf("the dialog's labels %q lack %q", all, want)
		}
	}
}
