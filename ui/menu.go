package ui

import (
	"runtime"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sealpost/sealpost/mail/backend"
)

// The main window's keyboard shortcuts (Cmd instead of Ctrl on macOS).
// They follow Thunderbird where it has one; Lock is Sealpost's own.
var (
	shortcutNew      = mainShortcut(fyne.KeyN)
	shortcutGetMail  = mainShortcut(fyne.KeyT)
	shortcutFind     = mainShortcut(fyne.KeyF)
	shortcutReply    = mainShortcut(fyne.KeyR)
	shortcutReplyAll = withShift(fyne.KeyR)
	shortcutForward  = mainShortcut(fyne.KeyL)
	shortcutLock     = withShift(fyne.KeyL)
	shortcutQuit     = mainShortcut(fyne.KeyQ)
	shortcutSettings = mainShortcut(fyne.KeyComma)
	shortcutKeys     = mainShortcut(fyne.KeyK)
	shortcutSelect   = &fyne.ShortcutSelectAll{}
	// keyGetMail is F5, a key without modifiers: Fyne hands it to the
	// focused widget, so typedKey and the search box pass it on.
	keyGetMail = &desktop.CustomShortcut{KeyName: fyne.KeyF5}
)

// withShift is Ctrl+Shift (Cmd+Shift on macOS) with key.
func withShift(key fyne.KeyName) *desktop.CustomShortcut {
	return &desktop.CustomShortcut{KeyName: key, Modifier: fyne.KeyModifierShortcutDefault | fyne.KeyModifierShift}
}

// command is one entry of the main menu and the keys that run it.
type command struct {
	item *fyne.MenuItem
	// keys run the command from the keyboard while the profile is open;
	// the first is shown in the menu. The run function guards itself:
	// Fyne's desktop driver runs a menu item for its shortcut even when
	// the item is disabled.
	keys []fyne.Shortcut
	run  func()
	// enabled reports whether the command applies now; the menu greys
	// it out otherwise. Only asked while the profile is open.
	enabled func(v *mainView) bool
	// locked marks commands that also work on the unlock screen.
	locked bool
	// mirror, for the message actions, is the action's button, whose
	// state and label the item follows.
	mirror func(a *messageActions) *widget.Button
}

// appMenu is the main window's menu bar: File, Edit, View, Message, Tools
// and Help, and the keyboard shortcuts of their commands.
type appMenu struct {
	ui       *App
	main     *fyne.MainMenu
	commands []*command
	themes   map[string]*fyne.MenuItem // View → Theme's items by choice
	// bound are the shortcuts installed on the canvas while the profile
	// is open.
	bound []fyne.Shortcut
	// pending is set while a refresh waits for the current event to end.
	pending bool
}

// newAppMenu builds the menu for ui and sets it on the main window.
func newAppMenu(ui *App) *appMenu {
	m := &appMenu{ui: ui, themes: map[string]*fyne.MenuItem{}}
	view := func(f func(v *mainView)) func() {
		return func() {
			if v := ui.main; v != nil {
				f(v)
			}
		}
	}
	// opened: a message is open in the reader, or opening.
	opened := func(v *mainView) bool { return v.opened != nil }
	always := func(*mainView) bool { return true }
	// action is the command of a message action's button.
	action := func(item *fyne.MenuItem, button func(a *messageActions) *widget.Button, keys ...fyne.Shortcut) *fyne.MenuItem {
		run := func() {
			if v := ui.main; v != nil && v.actions != nil && !button(v.actions).Disabled() && (len(keys) == 0 || v.keysFree()) {
				button(v.actions).OnTapped()
			}
		}
		return m.add(&command{item: item, keys: keys, run: run, mirror: button,
			enabled: func(v *mainView) bool { return v.actions != nil && !button(v.actions).Disabled() }})
	}

	file := []*fyne.MenuItem{
		m.add(&command{item: fyne.NewMenuItemWithIcon("New message", theme.MailComposeIcon(), nil), keys: []fyne.Shortcut{shortcutNew},
			run: view(func(v *mainView) { v.compose(nil) }), enabled: always}),
	}
	if _, ok := ui.backend.(backend.Drafts); ok {
		file = append(file, m.add(&command{item: fyne.NewMenuItemWithIcon("Drafts…", theme.DocumentIcon(), nil),
			run: view(func(v *mainView) { v.ui.showDrafts() }), enabled: always}))
	}
	file = append(file,
		m.add(&command{item: fyne.NewMenuItemWithIcon("Get new mail", theme.ViewRefreshIcon(), nil), keys: []fyne.Shortcut{shortcutGetMail, keyGetMail},
			run: view(func(v *mainView) { v.sync() }), enabled: always}), // a second one while syncing does nothing
		fyne.NewMenuItemSeparator(),
		m.add(&command{item: fyne.NewMenuItemWithIcon("Add account…", theme.ContentAddIcon(), nil),
			run: view(func(v *mainView) { v.ui.showAccountSetup() }), enabled: always}),
		fyne.NewMenuItemSeparator(),
		m.add(&command{item: fyne.NewMenuItemWithIcon("Lock", lockIcon, nil), keys: []fyne.Shortcut{shortcutLock},
			run: view(func(v *mainView) { v.ui.lockAndWipe() }), enabled: always}),
	)
	quit := m.add(&command{item: fyne.NewMenuItem("Quit", nil), keys: []fyne.Shortcut{shortcutQuit}, run: ui.Quit, locked: true})
	quit.IsQuit = true
	file = append(file, quit)

	edit := []*fyne.MenuItem{
		m.add(&command{item: fyne.NewMenuItem("Select all messages", nil), keys: []fyne.Shortcut{shortcutSelect},
			run: view(func(v *mainView) { v.selectAllOrText() }), enabled: always}),
		m.add(&command{item: fyne.NewMenuItemWithIcon("Find…", theme.SearchIcon(), nil), keys: []fyne.Shortcut{shortcutFind},
			run: view(func(v *mainView) { v.find() }), enabled: always}),
		fyne.NewMenuItemSeparator(),
		m.add(&command{item: fyne.NewMenuItemWithIcon("Settings…", theme.SettingsIcon(), nil), keys: []fyne.Shortcut{shortcutSettings},
			run: view(func(v *mainView) { v.ui.showSettings() }), enabled: always}),
	}

	themeItems := make([]*fyne.MenuItem, len(themeChoices))
	for i, choice := range themeChoices {
		themeItems[i] = m.add(&command{item: fyne.NewMenuItem(themeLabel(choice), nil),
			run: view(func(v *mainView) { v.ui.chooseTheme(choice) }), enabled: always})
		m.themes[choice] = themeItems[i]
	}
	themeMenu := fyne.NewMenuItemWithIcon("Theme", theme.ColorPaletteIcon(), nil)
	themeMenu.ChildMenu = fyne.NewMenu("", themeItems...)

	message := []*fyne.MenuItem{
		m.add(&command{item: fyne.NewMenuItemWithIcon("Reply", theme.MailReplyIcon(), nil), keys: []fyne.Shortcut{shortcutReply},
			run: view(func(v *mainView) { v.keyed(func() { v.reply(false) }) }), enabled: opened}),
		m.add(&command{item: fyne.NewMenuItemWithIcon("Reply all", theme.MailReplyAllIcon(), nil), keys: []fyne.Shortcut{shortcutReplyAll},
			run: view(func(v *mainView) { v.keyed(func() { v.reply(true) }) }), enabled: opened}),
	}
	if _, ok := ui.backend.(backend.Actions); ok {
		message = append(message,
			action(fyne.NewMenuItemWithIcon("Forward", theme.MailForwardIcon(), nil),
				func(a *messageActions) *widget.Button { return a.forwardButton }, shortcutForward),
			fyne.NewMenuItemSeparator(),
			action(fyne.NewMenuItem("Mark read", nil), func(a *messageActions) *widget.Button { return a.readButton }),
			action(fyne.NewMenuItemWithIcon("Flag", flagIcon, nil), func(a *messageActions) *widget.Button { return a.flagButton }),
			action(fyne.NewMenuItemWithIcon("Move…", theme.FolderIcon(), nil), func(a *messageActions) *widget.Button { return a.moveButton }),
			action(fyne.NewMenuItemWithIcon("Delete", theme.DeleteIcon(), nil), func(a *messageActions) *widget.Button { return a.deleteButton }),
		)
	}

	tools := []*fyne.MenuItem{
		m.add(&command{item: fyne.NewMenuItemWithIcon("Keys…", theme.AccountIcon(), nil), keys: []fyne.Shortcut{shortcutKeys},
			run: view(func(v *mainView) { v.ui.showKeyManager() }), enabled: always}),
	}
	if _, ok := ui.backend.(backend.Settings); ok {
		tools = append(tools, m.add(&command{item: fyne.NewMenuItemWithIcon("Audit trail…", theme.ListIcon(), nil),
			run: view(func(v *mainView) { v.ui.showAudit() }), enabled: always}))
	}

	help := []*fyne.MenuItem{
		m.add(&command{item: fyne.NewMenuItem("Keyboard shortcuts", nil), run: ui.showShortcuts, locked: true}),
		m.add(&command{item: fyne.NewMenuItemWithIcon("About Sealpost", theme.InfoIcon(), nil), run: ui.showAbout, locked: true}),
	}

	m.main = fyne.NewMainMenu(
		fyne.NewMenu("File", file...),
		fyne.NewMenu("Edit", edit...),
		fyne.NewMenu("View", themeMenu),
		fyne.NewMenu("Message", message...),
		fyne.NewMenu("Tools", tools...),
		fyne.NewMenu("Help", help...),
	)
	m.refreshNow()
	ui.window.SetMainMenu(m.main)
	ui.window.Canvas().AddShortcut(shortcutQuit, func(fyne.Shortcut) { ui.Quit() })
	return m
}

// add registers c and returns its menu item, which shows c's first key.
func (m *appMenu) add(c *command) *fyne.MenuItem {
	c.item.Action = c.run
	if len(c.keys) > 0 {
		c.item.Shortcut = c.keys[0]
	}
	m.commands = append(m.commands, c)
	return c.item
}

// bind installs the commands' keys on the main window's canvas (for the
// driver's own shortcut handling and headless tests), and removes any
// installed before.
func (m *appMenu) bind(c fyne.Canvas) {
	m.unbind(c)
	for _, cmd := range m.commands {
		if cmd.locked {
			continue // Quit's key stays installed from the start
		}
		for _, k := range cmd.keys {
			if k == keyGetMail {
				continue // no modifier: typedKey handles it
			}
			run := cmd.run
			c.AddShortcut(k, func(fyne.Shortcut) { run() })
			m.bound = append(m.bound, k)
		}
	}
}

// unbind removes the keys bind installed.
func (m *appMenu) unbind(c fyne.Canvas) {
	for _, k := range m.bound {
		c.RemoveShortcut(k)
	}
	m.bound = nil
}

// refresh updates which items are enabled and checked once the current
// event is handled (the view changes its state in several steps).
func (m *appMenu) refresh() {
	if m == nil || m.pending {
		return
	}
	m.pending = true
	m.ui.tasks.afterEvent(func() {
		m.pending = false
		m.refreshNow()
	})
}

// refreshNow updates which items are enabled and checked, and redraws the
// menu bar when something changed.
func (m *appMenu) refreshNow() {
	v := m.ui.main
	changed := false
	for _, c := range m.commands {
		on := c.locked || (v != nil && c.enabled != nil && c.enabled(v))
		if c.item.Disabled == on {
			c.item.Disabled = !on
			changed = true
		}
		if v != nil && v.actions != nil && c.mirror != nil {
			if label := c.mirror(v.actions).Text; c.item.Label != label {
				c.item.Label = label // Mark read or unread, Flag or Unflag
				changed = true
			}
		}
	}
	for choice, item := range m.themes {
		if checked := choice == m.ui.theme.choice; item.Checked != checked {
			item.Checked = checked
			changed = true
		}
	}
	if changed && m.ui.window.MainMenu() == m.main {
		m.main.Refresh()
	}
}

// keyed runs f when keys may act on messages (see keysFree).
func (v *mainView) keyed(f func()) {
	if v.keysFree() {
		f()
	}
}

// find puts the focus in the search box, unless a dialog is shown.
func (v *mainView) find() {
	if c := v.ui.window.Canvas(); c.Overlays().Top() == nil {
		c.Focus(v.search)
	}
}

// selectAllOrText selects every listed message; with a text field
// focused it selects the field's text instead, as Ctrl+A does there.
func (v *mainView) selectAllOrText() {
	if v.keysFree() {
		v.selectAll()
		return
	}
	if s, ok := v.ui.window.Canvas().Focused().(fyne.Shortcutable); ok {
		s.TypedShortcut(shortcutSelect)
	}
}

// typedKey handles the keys typed on the message list or with nothing
// focused: F5 gets mail, the rest go to listKey. It reports whether it
// used the key.
func (v *mainView) typedKey(e *fyne.KeyEvent) bool {
	if e.Name == keyGetMail.KeyName {
		v.sync()
		return true
	}
	return v.listKey(e)
}

// shortcutText names a shortcut's keys as the menus show them: "Ctrl+R",
// "Ctrl+Shift+R", "F5" (Cmd for Ctrl on macOS).
func shortcutText(s fyne.Shortcut) string {
	ks, ok := s.(fyne.KeyboardShortcut)
	if !ok {
		return ""
	}
	var parts []string
	mod := ks.Mod()
	if mod&fyne.KeyModifierControl != 0 {
		parts = append(parts, "Ctrl")
	}
	if mod&fyne.KeyModifierSuper != 0 {
		parts = append(parts, "Cmd")
	}
	if mod&fyne.KeyModifierAlt != 0 {
		parts = append(parts, "Alt")
	}
	if mod&fyne.KeyModifierShift != 0 {
		parts = append(parts, "Shift")
	}
	return strings.Join(append(parts, string(ks.Key())), "+")
}

// showShortcuts lists the keyboard shortcuts in a dialog.
func (ui *App) showShortcuts() {
	form := widget.NewForm()
	for _, c := range ui.menu.commands {
		if len(c.keys) == 0 {
			continue
		}
		keys := make([]string, len(c.keys))
		for i, k := range c.keys {
			keys[i] = shortcutText(k)
		}
		form.Append(strings.TrimSuffix(c.item.Label, "…"), widget.NewLabel(strings.Join(keys, " or ")))
	}
	form.Append("Delete", widget.NewLabel("Del (in the message list)"))
	form.Append("Leave search results", widget.NewLabel("Esc"))
	note := "Keys that act on messages (Reply, Forward, Delete, Select all) work while the message list has the focus, " +
		"not while you type in a text field."
	if runtime.GOOS == "darwin" {
		note = "Cmd takes the place of Ctrl. " + note
	}
	d := dialog.NewCustom("Keyboard shortcuts", "Close", container.NewVScroll(container.NewVBox(form, wrapped(note))), ui.window)
	d.Resize(fitDialog(ui.window, fyne.NewSize(520, 520)))
	d.Show()
}

// showAbout says which Sealpost this is.
func (ui *App) showAbout() {
	meta := ui.app.Metadata()
	version := meta.Version
	if version == "" {
		version = "development build"
	}
	text := wrapped("Sealpost " + version + "\n\nEncrypted, signed mail over any provider, with nothing in plaintext on disk.")
	dialog.ShowCustom("About Sealpost", "Close", text, ui.window)
}
