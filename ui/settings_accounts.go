package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sealpost/sealpost/mail/backend"
)

// accountsPane is the Accounts tab of the settings window: one row per
// account with Edit, Re-authenticate and Remove when the backend offers
// backend.AccountSettings.
type accountsPane struct {
	sw      *settingsWindow
	editor  backend.AccountSettings // nil when the backend cannot change accounts
	content *fyne.Container
	rows    *fyne.Container
	status  *widget.Label

	// clients sets the client IDs of the sign-in providers; nil when the
	// backend cannot sign accounts in.
	clients *signInClients

	// buttons holds each row's Edit, Re-authenticate and Remove buttons,
	// by address.
	buttons map[string][3]*widget.Button

	// The removal confirmation while it is open.
	removing                    string
	removeDialog                dialog.Dialog
	removeText                  *widget.Label
	removeButton, cancelRemoval *widget.Button
}

func newAccountsPane(sw *settingsWindow) *accountsPane {
	p := &accountsPane{sw: sw, rows: container.NewVBox(), status: wrapped("Loading accounts…")}
	p.editor, _ = sw.ui.backend.(backend.AccountSettings)
	note := "Add accounts with Add account in the main window."
	if p.editor == nil {
		note += " This backend cannot change or remove them."
	}
	bottom := container.NewVBox(p.status, wrapped(note))
	if si, ok := sw.ui.backend.(backend.SignIn); ok {
		p.clients = newSignInClients(sw, si)
		bottom.Add(widget.NewSeparator())
		bottom.Add(p.clients.content)
	}
	// One scroll for the accounts and what follows them: the sign-in
	// providers' settings must not make the window taller than a small
	// screen.
	p.content = container.NewStack(container.NewVScroll(container.NewVBox(p.rows, bottom)))
	return p
}

// load lists the accounts again and then shows note below them.
func (p *accountsPane) load(note string) {
	var accounts []backend.Account
	p.sw.ui.tasks.run(p.sw.ui.context(), func(ctx context.Context) (err error) { accounts, err = p.sw.ui.backend.Accounts(ctx); return err }, func(err error) {
		if err != nil {
			p.status.SetText(readable(err))
			return
		}
		p.show(accounts, note)
	})
}

// show lays out one row per account, and note below them.
func (p *accountsPane) show(accounts []backend.Account, note string) {
	p.buttons = map[string][3]*widget.Button{}
	p.rows.RemoveAll()
	p.status.SetText(note)
	if len(accounts) == 0 {
		p.status.SetText(strings.TrimSpace("No accounts yet. " + note))
		return
	}
	for _, a := range accounts {
		label := a.Email
		if a.Name != "" {
			label = a.Name + " <" + a.Email + ">"
		}
		name := widget.NewLabelWithStyle(label, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		name.Truncation = fyne.TextTruncateEllipsis
		p.rows.Add(name)
		if p.editor != nil {
			email := a.Email
			edit := widget.NewButtonWithIcon("Edit", theme.DocumentCreateIcon(), func() { p.edit(email, false) })
			reauth := widget.NewButtonWithIcon("Re-authenticate", lockIcon, func() { p.edit(email, true) })
			remove := widget.NewButtonWithIcon("Remove", theme.DeleteIcon(), func() { p.confirmRemove(email) })
			p.buttons[email] = [3]*widget.Button{edit, reauth, remove}
			p.rows.Add(container.NewHBox(edit, reauth, remove))
		}
		p.rows.Add(widget.NewSeparator())
	}
}

// edit opens the edit (or re-authenticate) window for email, closing one
// that is open for another account. An account that signs in with a
// provider is re-authenticated by signing in again in the browser.
func (p *accountsPane) edit(email string, reauth bool) {
	if _, ok := p.sw.ui.backend.(backend.SignIn); ok && reauth {
		var d backend.AccountDetails
		p.sw.ui.tasks.run(p.sw.ui.context(), func(ctx context.Context) (err error) { d, err = p.editor.AccountDetails(ctx, email); return err }, func(err error) {
			switch {
			case err != nil:
				p.status.SetText(readable(err))
			case d.SignIn != "":
				p.sw.ui.signInAgain(p.sw.window, email)
			default:
				p.openEdit(email, reauth)
			}
		})
		return
	}
	p.openEdit(email, reauth)
}

// openEdit opens the edit (or password) form for email.
func (p *accountsPane) openEdit(email string, reauth bool) {
	s := p.sw.ui.settingsOf()
	if old := s.accountEdit; old != nil {
		old.window.Close()
	}
	var a *accountSetup
	a = p.sw.ui.showAccountEdit(p.editor, email, reauth, func() { p.load("") }, func() {
		if s.accountEdit == a {
			s.accountEdit = nil
		}
	})
	s.accountEdit = a
}

// confirmRemove asks whether to remove email, saying what goes and what
// stays.
func (p *accountsPane) confirmRemove(email string) {
	p.removing = email
	p.removeText = wrapped(fmt.Sprintf("Remove %s from this computer? Sealpost deletes the account's settings and "+
		"password, its pinned certificates, and its local copy of mail: messages, search index and drafts. Nothing is "+
		"deleted on the server: add the account again to get its mail back. Your keys stay.", email))
	p.cancelRemoval = widget.NewButton("Cancel", p.closeRemove)
	p.removeButton = widget.NewButtonWithIcon("Remove from this computer", theme.DeleteIcon(), p.remove)
	p.removeButton.Importance = widget.DangerImportance
	p.removeDialog = dialog.NewCustomWithoutButtons("Remove account",
		scrolled(p.removeText, container.NewHBox(p.cancelRemoval, p.removeButton)), p.sw.window)
	p.removeDialog.Resize(fitDialog(p.sw.window, fyne.NewSize(480, 240)))
	p.removeDialog.Show()
}

func (p *accountsPane) closeRemove() {
	p.removeDialog.Hide()
	p.removing = ""
}

// remove removes the account being confirmed and refreshes the settings
// and main windows.
func (p *accountsPane) remove() {
	email := p.removing
	p.closeRemove()
	p.status.SetText("Removing " + email + "…")
	p.sw.ui.tasks.run(p.sw.ui.context(), func(ctx context.Context) error { return p.editor.RemoveAccount(ctx, email) }, func(err error) {
		switch {
		case errors.Is(err, backend.ErrAccountHasOutbox):
			p.status.SetText(readable(err))
			dialog.ShowInformation("Unsent mail in the outbox", readable(err), p.sw.window)
			return
		case err != nil:
			p.status.SetText(readable(err))
			return
		}
		p.load("Removed " + email + " from this computer. Its mail stays on the server.")
		if v := p.sw.ui.main; v != nil {
			if v.account == email {
				v.account, v.folder = "", ""
			}
			v.loadAccounts()
		}
	})
}
