package ui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
)

// tray is the system tray icon and its menu, on desktops that have one.
type tray struct {
	desk desktop.App
	// shown is the label of the menu's first item as last set, so the
	// menu is only rebuilt when something changed.
	shown    string
	unlocked bool
}

// trayHostReachable reports whether a tray icon can be shown; tests
// replace it.
var trayHostReachable = sessionBusReachable

// setupTray adds the tray icon and menu when the app runs on a desktop
// with a system tray; elsewhere it does nothing. It deliberately does not
// call SetSystemTrayWindow: that turns closing the window into hiding it,
// which would leave the profile unlocked behind a closed-looking window.
func (ui *App) setupTray(icon fyne.Resource) {
	desk, ok := ui.app.(desktop.App)
	if !ok || !trayHostReachable() {
		return
	}
	ui.tray = &tray{desk: desk}
	if icon != nil {
		desk.SetSystemTrayIcon(icon)
	}
	ui.updateTray()
}

// updateTray shows the current unread count in the tray menu. The main view
// calls it whenever it recounts unread messages, and on lock.
func (ui *App) updateTray() {
	t := ui.tray
	if t == nil {
		return
	}
	unlocked := ui.main != nil
	unread := 0
	if unlocked {
		unread = totalUnread(ui.main.newsUnread())
	}
	label := trayOpenLabel(unread)
	if label == t.shown && unlocked == t.unlocked && t.shown != "" {
		return
	}
	t.shown, t.unlocked = label, unlocked
	t.desk.SetSystemTrayMenu(ui.trayMenu(unread, unlocked))
}

// totalUnread adds up the unread counts of the loaded folders.
func totalUnread(counts map[string]int) int {
	total := 0
	for _, n := range counts {
		total += n
	}
	return total
}

// trayOpenLabel is the first item of the tray menu: it opens the window and
// says how many messages are unread in the folders loaded so far.
func trayOpenLabel(unread int) string {
	if unread == 0 {
		return "Open Sealpost"
	}
	return fmt.Sprintf("Open Sealpost (%d unread)", unread)
}

// trayMenu builds the tray menu: open the window, lock (while the profile
// is open) and quit. The driver adds no Quit item of its own as the menu
// has one.
func (ui *App) trayMenu(unread int, unlocked bool) *fyne.Menu {
	open := fyne.NewMenuItem(trayOpenLabel(unread), func() {
		ui.window.Show()
		ui.window.RequestFocus()
	})
	lock := fyne.NewMenuItem("Lock", func() {
		if ui.main != nil {
			ui.lockAndWipe()
		}
	})
	lock.Disabled = !unlocked
	quit := fyne.NewMenuItem("Quit", ui.Quit)
	quit.IsQuit = true
	return fyne.NewMenu("Sealpost", open, fyne.NewMenuItemSeparator(), lock, quit)
}
