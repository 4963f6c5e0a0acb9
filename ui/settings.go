package ui

import (
	"strconv"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sealpost/sealpost/mail/backend"
)

// defaultAutoLockMinutes is the idle time after which the app locks unless
// the user chose another.
const defaultAutoLockMinutes = 15

// autoLockChoices are the idle times the settings window offers, in
// minutes; 0 turns auto-lock off.
var autoLockChoices = []int{1, 5, 10, 15, 30, 60, 0}

// preferences are the user's choices in the settings window, kept sealed
// in the profile when the backend offers backend.Settings.
type preferences struct {
	autoLockMinutes int
	// privateNotifications keeps subjects and senders out of
	// notifications.
	privateNotifications bool
	// offlineBodies keeps whole messages offline, not only the list.
	offlineBodies bool
}

func defaultPreferences() preferences {
	return preferences{autoLockMinutes: defaultAutoLockMinutes, privateNotifications: true, offlineBodies: true}
}

// loadPreferences reads the stored preferences after unlocking and re-arms
// the auto-lock with them.
func (ui *App) loadPreferences() {
	sb, ok := ui.backend.(backend.Settings)
	if !ok {
		return
	}
	var stored backend.Preferences
	ui.tasks.run(func() (err error) { stored, err = sb.Preferences(); return err }, func(err error) {
		if err != nil {
			return // the defaults stay in force; the settings window shows them
		}
		s := ui.settingsOf()
		rearm := s.prefs.autoLockMinutes != stored.AutoLockMinutes
		s.prefs = preferences{autoLockMinutes: stored.AutoLockMinutes,
			privateNotifications: stored.PrivateNotifications, offlineBodies: stored.OfflineBodies}
		if rearm {
			ui.armAutoLock()
		}
	})
}

// savePreferences stores the current preferences in the profile; a failure
// is shown in the settings window.
func (ui *App) savePreferences() {
	sb, ok := ui.backend.(backend.Settings)
	if !ok {
		return
	}
	s := ui.settingsOf()
	p := backend.Preferences{AutoLockMinutes: s.prefs.autoLockMinutes, PrivateNotifications: s.prefs.privateNotifications,
		OfflineBodies: s.prefs.offlineBodies}
	s.saves.Lock()
	s.saves.issued++
	seq := s.saves.issued
	s.saves.Unlock()
	ui.tasks.run(func() error {
		s.saves.Lock()
		defer s.saves.Unlock()
		if seq < s.saves.stored {
			return nil // a newer choice is already stored
		}
		s.saves.stored = seq
		return sb.SavePreferences(p)
	}, func(err error) {
		if err != nil && s.window != nil {
			s.window.footer.SetText("Could not save the settings: " + readable(err))
		}
	})
}

// settingsState is what the settings, audit and auto-lock code keeps
// between screens.
type settingsState struct {
	prefs preferences
	idle  idleLock

	// saves orders the background saves of prefs: the newest wins even when
	// an older save's goroutine runs later.
	saves struct {
		sync.Mutex
		issued, stored int
	}

	window *settingsWindow
	audit  *auditViewer
}

// settingsOf returns the app's settings state, creating it with the
// defaults.
func (ui *App) settingsOf() *settingsState {
	if ui.settings == nil {
		ui.settings = &settingsState{prefs: defaultPreferences()}
	}
	return ui.settings
}

// settingsWindow is the settings window: security, sync, appearance and
// accounts.
type settingsWindow struct {
	ui     *App
	window fyne.Window

	autoLock *widget.Select
	private  *widget.Check
	offline  *widget.Check
	footer   *widget.Label
	accounts *widget.Label
}

// showSettings opens the settings window (or raises it).
func (ui *App) showSettings() {
	s := ui.settingsOf()
	if s.window != nil {
		s.window.window.RequestFocus()
		return
	}
	sw := &settingsWindow{ui: ui, window: ui.sideWindow("Settings", func() { s.window = nil })}
	s.window = sw

	options := make([]string, len(autoLockChoices))
	for i, m := range autoLockChoices {
		options[i] = autoLockLabel(m)
	}
	sw.autoLock = widget.NewSelect(options, func(choice string) {
		for _, m := range autoLockChoices {
			if autoLockLabel(m) == choice && m != s.prefs.autoLockMinutes {
				s.prefs.autoLockMinutes = m
				ui.armAutoLock()
				ui.savePreferences()
			}
		}
	})
	sw.autoLock.SetSelected(autoLockLabel(s.prefs.autoLockMinutes))
	sw.private = widget.NewCheck("Private notifications: say only \"New mail\", never the subject or sender", func(on bool) {
		if on != s.prefs.privateNotifications {
			s.prefs.privateNotifications = on
			ui.savePreferences()
		}
	})
	sw.private.SetChecked(s.prefs.privateNotifications)
	security := container.NewVBox(
		widget.NewForm(widget.NewFormItem("Lock when idle for", sw.autoLock)),
		wrapped("Locking closes the profile, drops decrypted mail from every window and asks for the passphrase again."),
		sw.private,
		widget.NewSeparator(),
		container.NewHBox(widget.NewButtonWithIcon("Show the audit trail…", theme.ListIcon(), ui.showAudit)),
	)

	sw.offline = widget.NewCheck("Keep whole messages offline (read and search without a connection)", func(on bool) {
		if on != s.prefs.offlineBodies {
			s.prefs.offlineBodies = on
			ui.savePreferences()
		}
	})
	sw.offline.SetChecked(s.prefs.offlineBodies)
	syncNote := "Without offline messages, Sync stores only the message list. A size cap for offline messages is not available yet."
	if _, ok := ui.backend.(backend.Settings); !ok {
		sw.offline.Disable()
		syncNote = "This backend always keeps whole messages offline. A size cap for offline messages is not available yet."
	}
	syncTab := container.NewVBox(sw.offline, wrapped(syncNote))

	variant := "light"
	if ui.app.Settings().ThemeVariant() == theme.VariantDark {
		variant = "dark"
	}
	appearance := container.NewVBox(wrapped("Sealpost follows your system's light or dark theme; it is " + variant +
		" now. Change it in your desktop's settings."))

	sw.accounts = wrapped("Loading accounts…")
	accountsTab := container.NewVBox(sw.accounts,
		wrapped("Add accounts with Add account in the main window; editing and removing them here comes next."))

	tabs := container.NewAppTabs(
		container.NewTabItemWithIcon("Security", lockIcon, security),
		container.NewTabItemWithIcon("Sync", theme.ViewRefreshIcon(), syncTab),
		container.NewTabItemWithIcon("Appearance", theme.ColorPaletteIcon(), appearance),
		container.NewTabItemWithIcon("Accounts", theme.AccountIcon(), accountsTab),
	)
	sw.footer = wrapped("These settings are kept in your encrypted profile.")
	if _, ok := ui.backend.(backend.Settings); !ok {
		sw.footer.SetText("These settings last until Sealpost quits: this backend cannot store them.")
	}
	sw.window.SetContent(container.NewBorder(nil, sw.footer, nil, nil, tabs))
	sw.window.Resize(fyne.NewSize(560, 380))
	sw.window.Show()
	sw.loadAccounts()
}

func (sw *settingsWindow) loadAccounts() {
	var accounts []backend.Account
	sw.ui.tasks.run(func() (err error) { accounts, err = sw.ui.backend.Accounts(); return err }, func(err error) {
		if err != nil {
			sw.accounts.SetText(readable(err))
			return
		}
		if len(accounts) == 0 {
			sw.accounts.SetText("No accounts yet.")
			return
		}
		lines := make([]string, len(accounts))
		for i, a := range accounts {
			lines[i] = a.Email
			if a.Name != "" {
				lines[i] = a.Name + " <" + a.Email + ">"
			}
		}
		sw.accounts.SetText(strings.Join(lines, "\n"))
	})
}

// autoLockLabel names an auto-lock choice.
func autoLockLabel(minutes int) string {
	switch minutes {
	case 0:
		return "Never"
	case 1:
		return "1 minute"
	case 60:
		return "1 hour"
	}
	return strconv.Itoa(minutes) + " minutes"
}

// autoLockDuration is the idle time of a choice; 0 means never.
func autoLockDuration(minutes int) time.Duration { return time.Duration(minutes) * time.Minute }

func wrapped(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	return l
}
