package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sealpost/sealpost/mail/backend"
)

// firstSteps is the window offered once, right after the profile was
// created: create or import my key, add an account. Every step can be
// skipped and done later from the toolbar.
type firstSteps struct {
	window                                          fyne.Window
	createKeyButton, importKeyButton, accountButton *widget.Button
	doneButton                                      *widget.Button
}

// showFirstSteps opens the first-steps window over the main window. It does
// nothing when the backend cannot set up keys and accounts.
func (ui *App) showFirstSteps() {
	if _, ok := ui.backend.(backend.Setup); !ok {
		return
	}
	fs := &firstSteps{}
	ui.firstSteps = fs
	fs.window = ui.sideWindow("Get started", func() { ui.firstSteps = nil })

	fs.createKeyButton = widget.NewButtonWithIcon("Create my key", theme.ContentAddIcon(), func() {
		if ka := ui.openKeyActions(); ka != nil {
			ka.askGenerate()
		}
	})
	fs.importKeyButton = widget.NewButtonWithIcon("Import my key", theme.LoginIcon(), func() {
		if ka := ui.openKeyActions(); ka != nil {
			ka.importOwn()
		}
	})
	fs.accountButton = widget.NewButtonWithIcon("Add account", theme.MailComposeIcon(), func() { ui.showAccountSetup() })
	fs.doneButton = widget.NewButton("Skip – I'll do this later", fs.window.Close)

	step := func(button *widget.Button, text string) fyne.CanvasObject {
		return container.NewVBox(container.NewHBox(button), widget.NewLabel(text))
	}
	// Short lines without wrapping: wrapped labels in a box size badly
	// before the window has its width.
	intro := widget.NewLabel("Your encrypted profile is ready. Three optional steps make Sealpost useful;\n" +
		"each can also be done later from the toolbar (Keys, Add account).")
	fs.window.SetContent(scrolled(container.NewPadded(container.NewVBox(intro,
		step(fs.createKeyButton, "A new OpenPGP key, so that contacts can encrypt to you and check your signatures."),
		step(fs.importKeyButton, "Or bring the secret key you already use, from a backup file."),
		step(fs.accountButton, "Your mail account: found from the address, tested over TLS before it is stored."))),
		container.NewPadded(container.NewHBox(fs.doneButton))))
	fitWindow(fs.window, fyne.NewSize(620, 400))
	fs.window.Show()
}

// openKeyActions opens the key manager and returns its own-key actions.
func (ui *App) openKeyActions() *keyActions {
	ui.showKeyManager()
	if ui.keyManager == nil {
		return nil
	}
	return ui.keyManager.actions
}
