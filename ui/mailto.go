package ui

import "github.com/sealpost/sealpost/mail/backend"

// OpenMailto opens a composer for d, a mailto: link that a later start of
// Sealpost handed to this running app: at once while the profile is open,
// else as soon as it is unlocked (the latest link wins). Either way the
// main window comes forward. It runs on the UI goroutine.
func (ui *App) OpenMailto(d backend.Draft) {
	ui.Raise()
	if ui.main == nil {
		ui.ComposeWhenOpen(d)
		return
	}
	ui.main.compose(&d)
}

// Raise shows the main window and asks the desktop to focus it (a later
// start of Sealpost asks for this). It runs on the UI goroutine.
func (ui *App) Raise() {
	ui.window.Show()
	ui.window.RequestFocus()
}
