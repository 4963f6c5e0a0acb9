// Package ui is Sealpost's desktop interface, built with Fyne. It renders
// state and sends intents to the engine through backend.Backend; it never
// touches the network or the store itself.
package ui

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/sealpost/sealpost/mail/backend"
)

// MinPassphraseRunes is the shortest passphrase the first-run screen accepts.
const MinPassphraseRunes = 10

// App is the Sealpost main window and the screens shown in it.
type App struct {
	backend backend.Backend
	app     fyne.App
	window  fyne.Window
	tasks   tasks
	now     func() time.Time
	// stopDriver ends the app's event loop (the driver's Quit); tests
	// replace it, as the test driver's does nothing.
	stopDriver func()
	quitting   bool
	// quitDialog asks whether to quit although a draft could not be kept.
	quitDialog *dialog.ConfirmDialog
	// openURL shows an address in the desktop's browser (the app's
	// OpenURL); tests replace it, as the test driver's does nothing.
	openURL func(*url.URL) error

	main         *mainView
	keyManager   *keyManager
	accountSetup *accountSetup // the add-account window while it is open
	firstSteps   *firstSteps   // the steps offered after the profile was created
	// pending is a message to compose once the profile is open (from a
	// mailto: link the app was started with).
	pending *backend.Draft
	extra   []fyne.Window // composer and key windows, closed on lock
	// composers are the open composers, whose unsaved changes are kept as
	// drafts when the profile locks or the app quits.
	composers map[*composer]struct{}
	// session ends when the profile locks: network work that only makes
	// sense while it is open (uploading drafts) stops then instead of
	// keeping the profile open longer.
	session    context.Context
	endSession context.CancelFunc

	// settings holds the preferences, auto-lock and the settings and
	// audit windows.
	settings *settingsState
	tray     *tray // nil where the desktop has no system tray
	menu     *appMenu
	theme    themeState
	// defaultMailApp reads and sets the desktop's mailto: handler (nil
	// where Sealpost cannot).
	defaultMailApp DefaultMailApp

	// Widgets of the current screen, kept for tests and focus handling.
	passphrase *widget.Entry
	repeat     *widget.Entry
	strength   *strengthMeter // first-run screen only
	submit     *widget.Button
	status     *widget.Label
}

// New builds the main window for b in app a. It shows the unlock screen, or
// the first-run screen when there is no profile yet.
func New(a fyne.App, b backend.Backend, icon fyne.Resource) *App {
	w := a.NewWindow("Sealpost")
	// Closing the main window quits the app (and so locks the profile),
	// even while a composer or key window is open.
	w.SetMaster()
	if icon != nil {
		w.SetIcon(icon)
	}
	ui := &App{backend: b, app: a, window: w, now: time.Now, stopDriver: a.Driver().Quit}
	fitWindow(w, fyne.NewSize(1200, 760))
	ui.menu = newAppMenu(ui)
	w.SetCloseIntercept(ui.Quit)
	w.SetOnClosed(func() { // when something else closes it
		_, _ = ui.unsavedDrafts()()
		_ = b.Lock()
	})
	ui.setupTray(icon)
	if b.ProfileExists() {
		ui.showUnlock()
	} else {
		ui.showCreate()
	}
	return ui
}

// context is the context of work the UI starts: the unlocked session's,
// so that locking cancels it, and before unlock (creating or opening the
// profile) one that nothing cancels.
func (ui *App) context() context.Context {
	if ui.session != nil {
		return ui.session
	}
	return context.Background()
}

// sessionContext is the context of the unlocked session (see App.session),
// bounded by timeout.
func (ui *App) sessionContext(timeout time.Duration) (context.Context, context.CancelFunc) {
	parent := ui.session
	if parent == nil {
		parent = context.Background()
	}
	return context.WithTimeout(parent, timeout)
}

// sideWindow opens a window titled "title – Sealpost" that belongs to the
// unlocked session: locking closes it. onClosed runs when it closes.
func (ui *App) sideWindow(title string, onClosed func()) fyne.Window {
	w := ui.app.NewWindow(title + " – Sealpost")
	ui.extra = append(ui.extra, w)
	w.SetOnClosed(func() {
		onClosed()
		ui.forget(w)
	})
	return w
}

// forget drops a closed window from the windows closed on lock.
func (ui *App) forget(w fyne.Window) {
	for i, x := range ui.extra {
		if x == w {
			ui.extra = append(ui.extra[:i], ui.extra[i+1:]...)
			return
		}
	}
}

// ComposeWhenOpen opens a composer with d as soon as the profile is
// unlocked and its accounts are loaded (the app was started for a mailto:
// link).
func (ui *App) ComposeWhenOpen(d backend.Draft) { ui.pending = &d }

// Quit keeps what open composers hold as drafts, locks the profile and
// ends the app: for the main window's close button, the Quit items of the
// menus and the tray, and the signals that ask the app to end. The drafts
// are saved off the UI goroutine; when one cannot be saved, the app asks
// before it quits and loses it. It stops the driver without closing each
// window first: the windows go with the driver, and closing them one by one
// is what crashed Fyne before 2.7.3 when a pointer event reached a closing
// window (fyne-io/fyne#5981).
func (ui *App) Quit() {
	if ui.quitting {
		return
	}
	ui.quitting = true
	keep := ui.unsavedDrafts()
	ui.tasks.run(context.Background(), func(context.Context) error {
		_, err := keep()
		return err
	}, func(err error) {
		if err != nil {
			ui.askQuitLosing(err)
			return
		}
		ui.stopNow()
	})
}

// askQuitLosing says that what a composer held could not be kept, and
// quits only when the user says so; Stay leaves every composer as changed,
// so that it is tried again.
func (ui *App) askQuitLosing(err error) {
	text := widget.NewLabel(readable(fmt.Errorf("a message you were writing could not be kept as a draft: %w", err)))
	text.Wrapping = fyne.TextWrapWord
	ui.quitDialog = dialog.NewCustomConfirm("Quit and lose it?", "Quit anyway", "Stay", text, func(quit bool) {
		ui.quitDialog = nil
		if quit {
			ui.stopNow()
			return
		}
		ui.quitting = false
		for c := range ui.composers {
			c.saved.dirty = true
		}
	}, ui.window)
	ui.quitDialog.Show()
}

// stopNow locks the profile and stops the driver.
func (ui *App) stopNow() {
	_ = ui.backend.Lock()
	ui.stopDriver()
}

// Window is the main window.
func (ui *App) Window() fyne.Window { return ui.window }

func (ui *App) showCreate() {
	ui.passphrase = widget.NewPasswordEntry()
	ui.passphrase.SetPlaceHolder("Passphrase (at least 10 characters)")
	ui.strength = newStrengthMeter(userInputs())
	ui.passphrase.OnChanged = ui.strength.update
	ui.repeat = widget.NewPasswordEntry()
	ui.repeat.SetPlaceHolder("Repeat the passphrase")
	ui.status = widget.NewLabel("")
	ui.status.Wrapping = fyne.TextWrapWord
	ui.submit = widget.NewButton("Create encrypted profile", ui.create)
	ui.submit.Importance = widget.HighImportance
	ui.repeat.OnSubmitted = func(string) { ui.create() }
	intro := widget.NewLabel("Sealpost keeps your mail, keys and contacts in an encrypted profile on this computer. " +
		"Choose a passphrase to protect it. Nobody can recover it for you: if you lose it, the local copy of your mail " +
		"and your secret keys cannot be opened. Back up your secret keys separately.")
	intro.Wrapping = fyne.TextWrapWord
	ui.window.SetContent(centered("Welcome to Sealpost", intro, ui.passphrase, ui.strength.object(), ui.repeat, ui.submit, ui.status,
		widget.NewLabel("Profile folder: "+ui.backend.ProfileDir())))
	ui.window.Canvas().Focus(ui.passphrase)
}

func (ui *App) create() {
	pass, again := ui.passphrase.Text, ui.repeat.Text
	switch {
	case utf8.RuneCountInString(pass) < MinPassphraseRunes:
		ui.status.SetText(fmt.Sprintf("The passphrase needs at least %d characters.", MinPassphraseRunes))
		return
	case !rateStrength(pass, ui.strength.inputs).acceptable():
		ui.status.SetText(fmt.Sprintf("This passphrase is too easy to guess: choose one rated %q or better.", scoreWords[MinPassphraseScore]))
		return
	case pass != again:
		ui.status.SetText("The two passphrases differ.")
		return
	}
	ui.busy("Creating the profile…")
	ui.tasks.run(ui.context(), func(ctx context.Context) error { return ui.backend.CreateProfile(ctx, []byte(pass)) }, func(err error) {
		if err != nil {
			ui.failed(err)
			return
		}
		ui.showMain()
		ui.showFirstSteps()
	})
}

func (ui *App) showUnlock() {
	ui.passphrase = widget.NewPasswordEntry()
	ui.passphrase.SetPlaceHolder("Passphrase")
	ui.passphrase.OnSubmitted = func(string) { ui.unlock() }
	ui.status = widget.NewLabel("")
	ui.status.Wrapping = fyne.TextWrapWord
	ui.submit = widget.NewButton("Unlock", ui.unlock)
	ui.submit.Importance = widget.HighImportance
	ui.window.SetContent(centered("Unlock Sealpost", widget.NewLabel("Your profile is encrypted. Enter its passphrase."),
		ui.passphrase, ui.submit, ui.status))
	ui.window.Canvas().Focus(ui.passphrase)
}

func (ui *App) unlock() {
	pass := ui.passphrase.Text
	if pass == "" {
		ui.status.SetText("Enter your passphrase.")
		return
	}
	ui.busy("Unlocking…")
	ui.tasks.run(ui.context(), func(ctx context.Context) error { return ui.backend.Unlock(ctx, []byte(pass)) }, func(err error) {
		if err != nil {
			ui.passphrase.SetText("")
			ui.failed(err)
			return
		}
		ui.showMain()
	})
}

func (ui *App) busy(message string) {
	ui.status.SetText(message)
	ui.submit.Disable()
}

func (ui *App) failed(err error) {
	ui.submit.Enable()
	ui.status.SetText(readable(err))
}

// readable is the one plain sentence explain makes of err, for the places
// that show no Details.
func readable(err error) string {
	return explain(err).sentence
}

var errInternal = errors.New("internal error")

func centered(title string, objects ...fyne.CanvasObject) fyne.CanvasObject {
	heading := widget.NewLabelWithStyle(title, fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	box := container.NewVBox(append([]fyne.CanvasObject{heading}, objects...)...)
	return container.NewCenter(container.NewGridWrap(fyne.NewSize(460, box.MinSize().Height), box))
}
