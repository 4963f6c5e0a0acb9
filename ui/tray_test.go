package ui

import (
	"fmt"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
)

// trayApp is the fyne test app with a recording system tray: the test app
// itself does not implement desktop.App.
type trayApp struct {
	fyne.App
	menu *fyne.Menu
	icon fyne.Resource
}

func (a *trayApp) SetSystemTrayMenu(m *fyne.Menu)       { a.menu = m }
func (a *trayApp) SetSystemTrayIcon(icon fyne.Resource) { a.icon = icon }
func (a *trayApp) SetSystemTrayWindow(fyne.Window)      {}

func TestTrayMenu(t *testing.T) {
	test.NewTempApp(t)
	ui := &App{}
	tests := []struct {
		name      string
		unread    int
		unlocked  bool
		wantOpen  string
		wantLock  bool // enabled
		wantItems []string
	}{
		{"locked", 0, false, "Open Sealpost", false, []string{"Open Sealpost", "", "Lock", "Quit"}},
		{"nothing unread", 0, true, "Open Sealpost", true, []string{"Open Sealpost", "", "Lock", "Quit"}},
		{"three unread", 3, true, "Open Sealpost (3 unread)", true, []string{"Open Sealpost (3 unread)", "", "Lock", "Quit"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := ui.trayMenu(tt.unread, tt.unlocked)
			var got []string
			for _, it := range m.Items {
				got = append(got, it.Label)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.wantItems) {
				t.Errorf("items got = %q, want %q", got, tt.wantItems)
			}
			if got := !m.Items[2].Disabled; got != tt.wantLock {
				t.Errorf("Lock enabled got = %v, want %v", got, tt.wantLock)
			}
			if !m.Items[3].IsQuit {
				t.Errorf("Quit item IsQuit got = false, want true")
			}
		})
	}
}

// withTrayHost makes the tray host look reachable or not for one test.
func withTrayHost(t *testing.T, reachable bool) {
	t.Helper()
	saved := trayHostReachable
	trayHostReachable = func() bool { return reachable }
	t.Cleanup(func() { trayHostReachable = saved })
}

func TestNoTrayWithoutHost(t *testing.T) {
	withTrayHost(t, false)
	desk := &trayApp{App: test.NewTempApp(t)}
	app := New(desk, newEngine(t), theme.MailComposeIcon())
	if app.tray != nil || desk.menu != nil || desk.icon != nil {
		t.Errorf("tray set up = %v, menu set = %v, icon set = %v, want none without a tray host", app.tray != nil, desk.menu != nil, desk.icon != nil)
	}
}

func TestTrayFollowsUnreadAndLock(t *testing.T) {
	withTrayHost(t, true)
	desk := &trayApp{App: test.NewTempApp(t)}
	e := fixtureEngine(t)
	app := New(desk, e, theme.MailComposeIcon())
	app.tasks.queueUpdates()
	if desk.icon == nil || desk.menu == nil {
		t.Fatalf("tray icon set = %v, menu set = %v, want both", desk.icon != nil, desk.menu != nil)
	}
	if got, want := desk.menu.Items[0].Label, "Open Sealpost"; got != want {
		t.Errorf("locked: first item got = %q, want %q", got, want)
	}
	if !desk.menu.Items[2].Disabled {
		t.Errorf("locked: Lock item enabled, want disabled")
	}

	unlocked(t, app)
	msgs, err := e.Messages(t.Context(), alice, "INBOX", listLimit)
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, m := range msgs {
		if !m.Seen {
			want++
		}
	}
	if want == 0 {
		t.Fatal("the fixture inbox has no unread message; the test cannot tell the count")
	}
	if app.main.account != alice || app.main.folder != "INBOX" {
		t.Fatalf("open folder got = %s/%s, want %s/INBOX", app.main.account, app.main.folder, alice)
	}
	if got, want := desk.menu.Items[0].Label, fmt.Sprintf("Open Sealpost (%d unread)", want); got != want {
		t.Errorf("unlocked: first item got = %q, want %q", got, want)
	}
	if desk.menu.Items[2].Disabled {
		t.Errorf("unlocked: Lock item disabled, want enabled")
	}

	desk.menu.Items[2].Action()
	app.tasks.wait()
	if app.main != nil {
		t.Fatal("the tray's Lock left the main view open")
	}
	if got, want := desk.menu.Items[0].Label, "Open Sealpost"; got != want {
		t.Errorf("after lock: first item got = %q, want %q", got, want)
	}
	if !desk.menu.Items[2].Disabled {
		t.Errorf("after lock: Lock item enabled, want disabled")
	}
}
