package ui

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/sealpost/sealpost/mail/backend"
)

// signInTimeout is how long a sign-in waits for the user in the browser.
const signInTimeout = 10 * time.Minute

// methodPassword is the sign-in choice of an account with a password.
const methodPassword = "Password"

// openInBrowser returns the function a sign-in calls to show the
// provider's page: the desktop's browser opens it, and show is told the
// address too, so the user can open it by hand when no browser came up.
func (ui *App) openInBrowser(show func(address string)) func(string) error {
	return func(address string) error {
		u, err := url.Parse(address)
		if err != nil {
			return err
		}
		fyne.Do(func() {
			show(address)
			open := ui.openURL
			if open == nil {
				open = ui.app.OpenURL
			}
			_ = open(u) // the address is shown: a missing browser is no dead end
		})
		return nil
	}
}

// signInAgain signs the account email in again with its provider, in the
// browser, with a dialog that says what is happening and can cancel it.
func (ui *App) signInAgain(parent fyne.Window, email string) {
	si, ok := ui.backend.(backend.SignIn)
	if !ok {
		dialog.ShowInformation("Sign in again", "This version of Sealpost cannot sign accounts in.", parent)
		return
	}
	text := wrapped("Sign in to " + email + " in your browser. Sealpost waits for the browser to come back.")
	address := widget.NewEntry()
	address.Hide()
	ctx, cancel := context.WithTimeout(ui.context(), signInTimeout)
	cancelButton := widget.NewButton("Cancel", cancel)
	d := dialog.NewCustomWithoutButtons("Sign in again", container.NewVBox(text, address, container.NewHBox(cancelButton)), parent)
	d.Resize(fitDialog(parent, fyne.NewSize(520, 220)))
	d.Show()
	open := ui.openInBrowser(func(u string) {
		address.SetText(u)
		address.Show()
		text.SetText("Sign in to " + email + " in your browser. If none opened, open this address in one:")
	})
	ui.tasks.run(ctx, func(ctx context.Context) error { return si.SignInAgain(ctx, email, open) }, func(err error) {
		cancel()
		d.Hide()
		switch {
		case errors.Is(err, context.Canceled):
		case err != nil:
			dialog.ShowInformation("Not signed in", readable(err), parent)
		default:
			dialog.ShowInformation("Signed in", "Signed in to "+email+" again.", parent)
		}
	})
}

// signInClients is the part of the Accounts settings that sets, for each
// sign-in provider, the client ID the user's organisation registered
// Sealpost with (sealed in the profile).
type signInClients struct {
	sw        *settingsWindow
	signIn    backend.SignIn
	providers []backend.SignInProvider
	provider  *widget.Select
	clientID  *widget.Entry
	secret    *widget.Entry
	save      *widget.Button
	help      *widget.Label
	content   *fyne.Container
}

func newSignInClients(sw *settingsWindow, si backend.SignIn) *signInClients {
	c := &signInClients{sw: sw, signIn: si, clientID: widget.NewEntry(), secret: widget.NewPasswordEntry(), help: wrapped("")}
	c.clientID.SetPlaceHolder("Client ID from your organisation or the provider")
	c.secret.SetPlaceHolder("Client secret, only if the provider issued one")
	c.provider = widget.NewSelect(nil, func(string) { c.describe() })
	c.save = widget.NewButton("Save client ID", c.store)
	c.content = container.NewVBox(
		widget.NewLabelWithStyle("Sign-in providers", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		wrapped("Accounts at Google, Microsoft, Yahoo or AOL sign in through the provider's page in your browser. "+
			"Each provider needs a client ID that registers Sealpost with it."),
		widget.NewForm(widget.NewFormItem("Provider", c.provider), widget.NewFormItem("Client ID", c.clientID),
			widget.NewFormItem("Client secret", c.secret)),
		c.help, container.NewHBox(c.save))
	c.load("")
	return c
}

// load lists the providers again and selects the one with name (the first
// when empty).
func (c *signInClients) load(name string) {
	var providers []backend.SignInProvider
	c.sw.ui.tasks.run(c.sw.ui.context(), func(ctx context.Context) (err error) {
		providers, _, err = c.signIn.SignInProviders(ctx, "")
		return err
	}, func(err error) {
		if err != nil {
			c.help.SetText(readable(err))
			return
		}
		c.providers = providers
		names := providerNames(providers)
		c.provider.SetOptions(names)
		if name == "" && len(names) > 0 {
			name = names[0]
		}
		c.provider.SetSelected(name)
		c.describe()
	})
}

// selected is the provider chosen.
func (c *signInClients) selected() (backend.SignInProvider, bool) {
	return findProvider(c.providers, func(p backend.SignInProvider) bool { return p.Name == c.provider.Selected })
}

// findProvider returns the first of providers that match accepts.
func findProvider(providers []backend.SignInProvider, match func(backend.SignInProvider) bool) (backend.SignInProvider, bool) {
	if i := slices.IndexFunc(providers, match); i >= 0 {
		return providers[i], true
	}
	return backend.SignInProvider{}, false
}

// providerNames are the names of providers, in their order, as a choice
// offers them.
func providerNames(providers []backend.SignInProvider) []string {
	names := make([]string, len(providers))
	for i, p := range providers {
		names[i] = p.Name
	}
	return names
}

// describe says whether the chosen provider's client ID is set and where
// to get one.
func (c *signInClients) describe() {
	p, ok := c.selected()
	if !ok {
		return
	}
	text := "No client ID is set for " + p.Name + "."
	if p.Ready {
		text = "A client ID is set for " + p.Name + "; saving an empty one removes it."
	}
	if p.Help != "" {
		text += " Where to get one: " + p.Help + "."
	}
	c.help.SetText(text)
}

// store saves the client ID of the chosen provider.
func (c *signInClients) store() {
	p, ok := c.selected()
	if !ok {
		return
	}
	id, secret := c.clientID.Text, c.secret.Text
	c.sw.ui.tasks.run(c.sw.ui.context(), func(ctx context.Context) error {
		return c.signIn.SetSignInClient(ctx, p.ID, id, secret)
	}, func(err error) {
		if err != nil {
			c.help.SetText(readable(err))
			return
		}
		c.clientID.SetText("")
		c.secret.SetText("")
		c.load(p.Name)
	})
}
