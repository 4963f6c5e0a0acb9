package ui

import (
	"context"
	"maps"
	"strconv"
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
	// maxMessageMB is the size cap for offline messages; 0 is the
	// backend's default.
	maxMessageMB int
	// checkMinutes is how often the folders other than the inbox are
	// checked; 0 is the backend's default.
	checkMinutes int
	// theme is themeSystem, themeLight or themeDark.
	theme string
	// providerLookup lets account setup ask Thunderbird's ISPDB and the
	// provider named by the domain's MX records for server settings.
	providerLookup bool
	// dkimLookups lets syncs and the reader look up the DKIM keys of
	// incoming mail in the DNS.
	dkimLookups bool
	// compactList shows the message list in compact rows.
	compactList bool
	// listViews is the order of each folder whose order the user
	// changed, by backend.ListViewKey.
	listViews map[string]backend.ListView
}

// checkChoices are the check intervals the settings window offers, in
// minutes; 0 is the default.
var checkChoices = []int{1, 2, 0, 10, 15, 30, 60}

// sizeCapChoices are the size caps for offline messages the settings window
// offers, in MB; 0 is the default.
var sizeCapChoices = []int{0, 1, 5, 10, 25, 50, 100}

func defaultPreferences() preferences {
	return preferences{autoLockMinutes: defaultAutoLockMinutes, privateNotifications: true, offlineBodies: true, providerLookup: true, dkimLookups: true}
}

// loadPreferences reads the stored preferences after unlocking and re-arms
// the auto-lock with them.
func (ui *App) loadPreferences() {
	sb, ok := ui.backend.(backend.Settings)
	if !ok {
		return
	}
	var stored backend.Preferences
	ui.tasks.run(ui.context(), func(ctx context.Context) (err error) { stored, err = sb.Preferences(ctx); return err }, func(err error) {
		if err != nil {
			return // the defaults stay in force; the settings window shows them
		}
		s := ui.settingsOf()
		rearm := s.prefs.autoLockMinutes != stored.AutoLockMinutes
		s.prefs = preferences{autoLockMinutes: stored.AutoLockMinutes,
			privateNotifications: stored.PrivateNotifications, offlineBodies: stored.OfflineBodies, maxMessageMB: stored.MaxMessageMB,
			checkMinutes: stored.CheckMinutes, theme: stored.Theme, providerLookup: !stored.NoProviderLookup,
			dkimLookups: !stored.NoDKIMLookups, compactList: stored.CompactList, listViews: stored.ListViews}
		if rearm {
			ui.armAutoLock()
		}
		ui.applyTheme(s.prefs.theme)
		if ui.main != nil {
			ui.main.takeStoredViews()
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
		OfflineBodies: s.prefs.offlineBodies, MaxMessageMB: s.prefs.maxMessageMB, CheckMinutes: s.prefs.checkMinutes,
		Theme: s.prefs.theme, NoProviderLookup: !s.prefs.providerLookup, NoDKIMLookups: !s.prefs.dkimLookups,
		CompactList: s.prefs.compactList, ListViews: maps.Clone(s.prefs.listViews)}
	s.saves.Lock()
	s.saves.issued++
	seq := s.saves.issued
	s.saves.Unlock()
	ui.tasks.run(ui.context(), func(ctx context.Context) error {
		s.saves.Lock()
		defer s.saves.Unlock()
		if seq < s.saves.stored {
			return nil // a newer choice is already stored
		}
		s.saves.stored = seq
		return sb.SavePreferences(ctx, p)
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
	// accountEdit is the edit or re-authenticate window while it is open.
	accountEdit *accountSetup
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
	lookup   *widget.Check // the ISPDB and MX lookups of account setup
	dkim     *widget.Check // the DNS lookups of DKIM keys
	offline  *widget.Check
	sizeCap  *widget.Select
	check    *widget.Select // how often the folders other than the inbox are checked
	footer   *widget.Label
	accounts *accountsPane
	theme    *widget.RadioGroup // System, Light or Dark
	backup   *backupPane        // nil when the backend cannot back up

	tabs        *container.AppTabs
	accountsTab *container.TabItem
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
	sw.lookup = widget.NewCheck("Look up new accounts' servers in Thunderbird's provider database", func(on bool) {
		if on != s.prefs.providerLookup {
			s.prefs.providerLookup = on
			ui.savePreferences()
		}
	})
	sw.lookup.SetChecked(s.prefs.providerLookup)
	sw.dkim = widget.NewCheck("Check the DKIM signatures of incoming mail (looks up the signers' keys in the DNS)", func(on bool) {
		if on != s.prefs.dkimLookups {
			s.prefs.dkimLookups = on
			ui.savePreferences()
		}
	})
	sw.dkim.SetChecked(s.prefs.dkimLookups)
	if _, ok := ui.backend.(backend.Settings); !ok {
		sw.lookup.Disable()
		sw.dkim.Disable()
	}
	security := container.NewVBox(
		widget.NewForm(widget.NewFormItem("Lock when idle for", sw.autoLock)),
		wrapped("Locking closes the profile, drops decrypted mail from every window and asks for the passphrase again."),
		sw.private,
		sw.lookup,
		wrapped("When adding an account, Sealpost then also asks Thunderbird's database of mail providers, and the provider that receives the domain's mail, for its settings. They learn the domain of the address, never the address itself. Without them, only the domain's own DNS records and servers are asked."),
		sw.dkim,
		wrapped("To check a DKIM signature, Sealpost asks your DNS resolver for the signing domain's key, so the resolver sees which domains sent you mail. Turned off, nothing is looked up and signatures show as \"not checked (lookups off)\" under How it travelled."),
		widget.NewSeparator(),
		container.NewHBox(widget.NewButtonWithIcon("Show the audit trail…", theme.ListIcon(), ui.showAudit)),
	)
	if sw.backup = newBackupPane(ui, sw.window); sw.backup != nil {
		security.Add(widget.NewSeparator())
		security.Add(sw.backup.content())
	}

	sw.offline = widget.NewCheck("Keep whole messages offline (read and search without a connection)", func(on bool) {
		if on != s.prefs.offlineBodies {
			s.prefs.offlineBodies = on
			ui.savePreferences()
		}
	})
	sw.offline.SetChecked(s.prefs.offlineBodies)
	capOptions := make([]string, len(sizeCapChoices))
	for i, mb := range sizeCapChoices {
		capOptions[i] = sizeCapLabel(mb)
	}
	sw.sizeCap = widget.NewSelect(capOptions, func(choice string) {
		for _, mb := range sizeCapChoices {
			if sizeCapLabel(mb) == choice && mb != s.prefs.maxMessageMB {
				s.prefs.maxMessageMB = mb
				ui.savePreferences()
			}
		}
	})
	sw.sizeCap.SetSelected(sizeCapLabel(s.prefs.maxMessageMB))
	checkOptions := make([]string, len(checkChoices))
	for i, m := range checkChoices {
		checkOptions[i] = checkLabel(m)
	}
	sw.check = widget.NewSelect(checkOptions, func(choice string) {
		for _, m := range checkChoices {
			if checkLabel(m) == choice && m != s.prefs.checkMinutes {
				s.prefs.checkMinutes = m
				ui.savePreferences()
			}
		}
	})
	sw.check.SetSelected(checkLabel(s.prefs.checkMinutes))
	syncNote := "Without offline messages, Sync stores only the message list. Larger messages than the cap are listed " +
		"only; opening one fetches it from the server. A new cap applies to mail that arrives from then on."
	if _, ok := ui.backend.(backend.Settings); !ok {
		sw.offline.Disable()
		sw.sizeCap.Disable()
		sw.check.Disable()
		syncNote = "This backend keeps whole messages offline up to its own size cap."
	}
	syncTab := container.NewVBox(sw.offline, widget.NewForm(widget.NewFormItem("Keep offline messages up to", sw.sizeCap),
		widget.NewFormItem("Check other folders", sw.check)),
		wrapped(syncNote), wrapped("New mail in the inbox shows up as it arrives; the other folders are checked as often as set here."))

	sw.accounts = newAccountsPane(sw)

	sw.accountsTab = container.NewTabItemWithIcon("Accounts", theme.AccountIcon(), sw.accounts.content)
	sw.tabs = container.NewAppTabs(
		container.NewTabItemWithIcon("Security", lockIcon, container.NewVScroll(security)),
		container.NewTabItemWithIcon("Sync", theme.ViewRefreshIcon(), container.NewVScroll(syncTab)),
		container.NewTabItemWithIcon("Appearance", theme.ColorPaletteIcon(), container.NewVScroll(sw.appearancePane())),
		sw.accountsTab,
		container.NewTabItemWithIcon("Mail links", theme.MailComposeIcon(), container.NewVScroll(ui.newDefaultAppPane(sw.window).content)),
	)
	sw.footer = wrapped("These settings are kept in your encrypted profile.")
	if _, ok := ui.backend.(backend.Settings); !ok {
		sw.footer.SetText("These settings last until Sealpost quits: this backend cannot store them.")
	}
	sw.window.SetContent(container.NewBorder(nil, sw.footer, nil, nil, sw.tabs))
	fitWindow(sw.window, fyne.NewSize(620, 440))
	sw.window.Show()
	sw.accounts.load("")
}

// showAccountSettings opens the settings window on its Accounts tab, where
// a refused password or certificate is fixed.
func (ui *App) showAccountSettings() {
	ui.showSettings()
	if sw := ui.settingsOf().window; sw != nil {
		sw.tabs.Select(sw.accountsTab)
	}
}

// sizeCapLabel names a size cap choice.
func sizeCapLabel(mb int) string {
	if mb == 0 {
		return strconv.Itoa(backend.DefaultMaxMessageMB) + " MB (default)"
	}
	return strconv.Itoa(mb) + " MB"
}

// checkLabel names a check interval choice.
func checkLabel(minutes int) string {
	switch minutes {
	case 0:
		return "every " + strconv.Itoa(backend.DefaultCheckMinutes) + " minutes (default)"
	case 1:
		return "every minute"
	}
	return "every " + strconv.Itoa(minutes) + " minutes"
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
