package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sealpost/sealpost/mail/backend"
)

// accountSetupTimeout bounds discovery plus both test logins.
const accountSetupTimeout = 2 * time.Minute

// Choices of the security selects; there is no plaintext choice.
const (
	securityAuto     = "Automatic (from the port)"
	securityTLS      = "TLS"
	securityStartTLS = "STARTTLS"
)

// accountSetup is the add-account window: address, name and password, the
// servers behind an "Advanced" expander, and a test that adds the account
// once both logins succeeded over verified (or explicitly trusted) TLS. The
// same form edits an account (editing set) or re-authenticates it (reauth
// set too): the address is fixed, an empty password keeps the stored one,
// and changes of servers or password are tested the same way before they
// are stored.
type accountSetup struct {
	ui     *App
	setup  backend.Setup
	window fyne.Window
	cancel context.CancelFunc
	// trusted are the certificates the user chose to trust in this setup,
	// each for its own server.
	trusted []backend.TrustedCert

	editor  backend.AccountSettings // set when editing
	editing string                  // the address of the account edited; "" when adding
	reauth  bool                    // editing only to give a new password
	saved   func()                  // runs after an edit was stored

	email, name, password *widget.Entry
	// secret is the form's password row. For an account that signs in
	// with a provider it says so instead, with usePassword, which shows
	// the password field again to switch the account to a password
	// (switching set).
	secret      *widget.FormItem
	form        *widget.Form
	usePassword *widget.Button
	switching   bool
	// method chooses a password or a sign-in provider; nil when the
	// backend cannot sign in or when editing. providers are those it
	// offers, suggested the ID of the one that hosts the address typed.
	method     *widget.Select
	signIn     backend.SignIn
	providers  []backend.SignInProvider
	suggested  string
	imap, smtp serverFields
	// providerDomain, when editing, is the domain whose servers' headers
	// count as the provider's; setDomain is what the user had set ("" for
	// the default, shown as the placeholder).
	providerDomain *widget.Entry
	setDomain      string
	advanced       *widget.Accordion
	testButton     *widget.Button
	status         *widget.Label
	result         *widget.Label
	// working shows the test running, with Cancel; problem shows why it
	// failed, with Details and Retry.
	working *activity
	problem *errorView

	// consent is the pin dialog, once shown.
	consent *pinConsent
}

// serverFields are the manual settings of one server.
type serverFields struct {
	host, port *widget.Entry
	security   *widget.Select
}

func newServerFields(hostHint string) serverFields {
	f := serverFields{host: widget.NewEntry(), port: widget.NewEntry(),
		security: widget.NewSelect([]string{securityAuto, securityTLS, securityStartTLS}, nil)}
	f.host.SetPlaceHolder(hostHint)
	f.port.SetPlaceHolder("Port")
	f.security.SetSelected(securityAuto)
	return f
}

// settings reads the fields; an empty host means "find it".
func (f serverFields) settings(what string) (backend.ServerSettings, error) {
	s := backend.ServerSettings{Host: strings.TrimSpace(f.host.Text)}
	if p := strings.TrimSpace(f.port.Text); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return s, fmt.Errorf("the %s port must be a number from 1 to 65535", what)
		}
		s.Port = n
	}
	switch f.security.Selected {
	case securityTLS:
		s.Security = backend.SecurityTLS
	case securityStartTLS:
		s.Security = backend.SecurityStartTLS
	}
	if s.Host == "" && (s.Port != 0 || s.Security != "") {
		return s, fmt.Errorf("give the %s host too, or clear its port and security to find all of it from the address", what)
	}
	return s, nil
}

func (f serverFields) form() *widget.Form {
	return widget.NewForm(widget.NewFormItem("Host", f.host), widget.NewFormItem("Port", f.port),
		widget.NewFormItem("Security", f.security))
}

// showAccountSetup opens the add-account window (or raises it) and returns
// it; it returns nil, after saying why, when the backend cannot set up
// accounts.
func (ui *App) showAccountSetup() *accountSetup {
	setup, ok := ui.backend.(backend.Setup)
	if !ok {
		dialog.ShowInformation("Add account", "This version of Sealpost cannot add accounts in the app.", ui.window)
		return nil
	}
	if ui.accountSetup != nil {
		ui.accountSetup.window.RequestFocus()
		return ui.accountSetup
	}
	a := &accountSetup{ui: ui, setup: setup}
	ui.accountSetup = a
	a.build("Add account", func() { ui.accountSetup = nil })
	a.window.Show()
	a.window.Canvas().Focus(a.email)
	return a
}

// showAccountEdit opens the form to change the account with address email,
// prefilled from the backend, with the servers shown; with reauth it asks
// only for a new password. saved runs after a change was stored. onClosed
// runs when the window closes.
func (ui *App) showAccountEdit(editor backend.AccountSettings, email string, reauth bool, saved, onClosed func()) *accountSetup {
	a := &accountSetup{ui: ui, editor: editor, editing: email, reauth: reauth, saved: saved}
	title := "Edit account"
	if reauth {
		title = "Re-authenticate"
	}
	a.build(title, onClosed)
	a.email.SetText(email)
	a.email.Disable()
	a.testButton.Disable()
	a.status.SetText("Loading the account's settings…")
	var d backend.AccountDetails
	ui.tasks.run(ui.context(), func(ctx context.Context) (err error) { d, err = editor.AccountDetails(ctx, email); return err }, func(err error) {
		if err != nil {
			a.status.SetText(readable(err))
			return
		}
		a.fill(d)
	})
	a.window.Show()
	return a
}

// build makes the window and the form.
func (a *accountSetup) build(title string, onClosed func()) {
	a.window = a.ui.sideWindow(title, func() {
		if a.cancel != nil {
			a.cancel()
		}
		onClosed()
	})
	a.email = widget.NewEntry()
	a.email.SetPlaceHolder("you@example.org")
	a.name = widget.NewEntry()
	a.name.SetPlaceHolder("Your name, as recipients see it")
	a.password = widget.NewPasswordEntry()
	a.password.OnSubmitted = func(string) { a.test() }
	a.imap = newServerFields("imap.example.org")
	a.smtp = newServerFields("smtp.example.org")
	hint := "Leave empty to find them from the address. Connections always use TLS."
	if a.editing != "" {
		hint = "Leave a host empty to keep that server. Connections always use TLS."
	}
	advanced := container.NewVBox(
		widget.NewLabel(hint),
		widget.NewLabelWithStyle("Incoming (IMAP)", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), a.imap.form(),
		widget.NewLabelWithStyle("Outgoing (SMTP submission)", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), a.smtp.form())
	section := "Advanced: server settings"
	if a.editing != "" {
		section = "Advanced: servers and provider domain"
		a.providerDomain = widget.NewEntry()
		about := widget.NewLabel("The Received and Authentication-Results headers that servers of this domain add to " +
			"incoming mail count as your provider's in “How it travelled”. Leave it empty for the default.")
		about.Wrapping = fyne.TextWrapWord
		advanced.Add(widget.NewLabelWithStyle("Provider", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
		advanced.Add(about)
		advanced.Add(widget.NewForm(widget.NewFormItem("Domain", a.providerDomain)))
	}
	a.advanced = widget.NewAccordion(widget.NewAccordionItem(section, advanced))
	button := "Test connection and add"
	if a.editing != "" {
		button = "Test and save"
		a.advanced.Open(0)
	}
	a.testButton = widget.NewButtonWithIcon(button, theme.ConfirmIcon(), a.test)
	a.testButton.Importance = widget.HighImportance
	a.status = widget.NewLabel("Sealpost logs in to both servers over verified TLS before it stores anything.")
	a.status.Wrapping = fyne.TextWrapWord
	a.result = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	a.result.Wrapping = fyne.TextWrapWord
	a.result.Selectable = true
	relayout := func() {
		if c := a.window.Content(); c != nil {
			c.Refresh()
		}
	}
	a.working = newActivity(relayout)
	a.problem = newErrorView()
	a.problem.relayout = relayout
	a.secret = widget.NewFormItem("Password", a.password)
	form := widget.NewForm(widget.NewFormItem("Address", a.email), widget.NewFormItem("Name", a.name), a.secret)
	a.form = form
	if si, ok := a.ui.backend.(backend.SignIn); ok && a.editing == "" {
		a.signIn = si
		a.method = widget.NewSelect([]string{methodPassword}, func(string) { a.methodChanged() })
		a.method.SetSelected(methodPassword)
		form.Items = slices.Insert(form.Items, 1, widget.NewFormItem("Sign in with", a.method))
		a.email.OnChanged = func(string) { a.suggest() }
		a.loadProviders()
	}
	content := []fyne.CanvasObject{form, a.advanced}
	if a.reauth {
		form = widget.NewForm(widget.NewFormItem("Address", a.email), widget.NewFormItem("New password", a.password))
		content = []fyne.CanvasObject{form}
	}
	// The form scrolls; the button, the progress and the status stay in
	// view below it at any window size.
	a.window.SetContent(scrolled(container.NewPadded(container.NewVBox(append(content, a.problem.content, a.result)...)),
		container.NewPadded(container.NewVBox(container.NewHBox(a.testButton), a.working.box, a.status))))
	fitWindow(a.window, fyne.NewSize(560, 520))
}

// fill shows an account's settings in the form for editing.
func (a *accountSetup) fill(d backend.AccountDetails) {
	a.name.SetText(d.Name)
	if a.providerDomain != nil {
		a.setDomain = ""
		if !d.ProviderDomainDefault {
			a.setDomain = d.ProviderDomain
		}
		a.providerDomain.SetText(a.setDomain)
		switch {
		case d.ProviderDomainDefault && d.ProviderDomain != "":
			a.providerDomain.SetPlaceHolder(d.ProviderDomain + " (the default)")
		default:
			a.providerDomain.SetPlaceHolder("The default, from the IMAP server")
		}
	}
	for _, f := range []struct {
		fields serverFields
		s      backend.ServerSettings
	}{{a.imap, d.IMAP}, {a.smtp, d.SMTP}} {
		f.fields.host.SetText(f.s.Host)
		if f.s.Port > 0 {
			f.fields.port.SetText(strconv.Itoa(f.s.Port))
		}
		switch f.s.Security {
		case backend.SecurityTLS:
			f.fields.security.SetSelected(securityTLS)
		case backend.SecurityStartTLS:
			f.fields.security.SetSelected(securityStartTLS)
		}
	}
	a.testButton.Enable()
	if a.reauth {
		a.password.SetPlaceHolder("The account's new password")
		a.status.SetText("Sealpost logs in to both servers with the new password over verified TLS before it stores it.")
		a.window.Canvas().Focus(a.password)
		return
	}
	a.window.Canvas().Focus(a.name)
	if d.SignIn != "" {
		a.showSignedIn(d.SignIn)
		return
	}
	a.password.SetPlaceHolder("Unchanged")
	a.status.SetText("Leave the password empty to keep it. A new password or server is tested over verified TLS " +
		"before anything is stored; a new name alone is saved at once.")
}

// showSignedIn puts, in place of the password field of an account that
// signs in with provider, a line that says so and the explicit way to
// switch the account to a password.
func (a *accountSetup) showSignedIn(provider string) {
	a.usePassword = widget.NewButton("Use a password instead…", a.askPassword)
	a.setSecretRow("Sign-in", container.NewHBox(widget.NewLabel("Signed in with "+provider), a.usePassword))
	a.status.SetText("A new server is tested over verified TLS before anything is stored; a new name alone is saved at once. " +
		"Re-authenticate signs in with " + provider + " again.")
}

// askPassword shows the password field again to switch a signed-in
// account to a password.
func (a *accountSetup) askPassword() {
	a.switching = true
	a.password.SetText("")
	a.password.SetPlaceHolder("The account's password")
	a.setSecretRow("Password", a.password)
	a.testButton.SetText("Test the password and switch")
	a.status.SetText("Sealpost logs in to both servers with this password over verified TLS; only if both succeed " +
		"does the account use it from then on, and the sign-in's tokens are dropped.")
	a.window.Canvas().Focus(a.password)
}

// setSecretRow shows obj with label in the password row of the form.
func (a *accountSetup) setSecretRow(label string, obj fyne.CanvasObject) {
	a.secret.Text, a.secret.Widget = label, obj
	a.form.Refresh()
}

// loadProviders fills the sign-in choice with the backend's providers.
func (a *accountSetup) loadProviders() {
	var providers []backend.SignInProvider
	a.ui.tasks.run(a.ui.context(), func(ctx context.Context) (err error) {
		providers, _, err = a.signIn.SignInProviders(ctx, "")
		return err
	}, func(err error) {
		if err != nil {
			return // the password stays the only choice
		}
		a.providers = providers
		a.method.SetOptions(append([]string{methodPassword}, providerNames(providers)...))
	})
}

// suggest chooses the provider that hosts the address typed, while the
// user has not chosen otherwise nor typed a password.
func (a *accountSetup) suggest() {
	email := strings.TrimSpace(a.email.Text)
	if !strings.Contains(email, "@") {
		return
	}
	var suggested string
	a.ui.tasks.run(a.ui.context(), func(ctx context.Context) (err error) {
		_, suggested, err = a.signIn.SignInProviders(ctx, email)
		return err
	}, func(err error) {
		if err != nil || suggested == a.suggested || strings.TrimSpace(a.email.Text) != email {
			return
		}
		a.suggested = suggested
		if a.password.Text != "" {
			return
		}
		name := methodPassword
		if p, ok := a.provider(suggested); ok {
			name = p.Name
		}
		a.method.SetSelected(name)
	})
}

// provider returns the offered provider with id.
func (a *accountSetup) provider(id string) (backend.SignInProvider, bool) {
	return findProvider(a.providers, func(p backend.SignInProvider) bool { return p.ID == id })
}

// chosenProvider is the provider chosen to sign in with; ok is false for
// a password.
func (a *accountSetup) chosenProvider() (backend.SignInProvider, bool) {
	if a.method == nil {
		return backend.SignInProvider{}, false
	}
	return findProvider(a.providers, func(p backend.SignInProvider) bool { return p.Name == a.method.Selected })
}

// methodChanged shows the password field for a password, and says what
// signing in with a provider does (or what it still needs).
func (a *accountSetup) methodChanged() {
	p, ok := a.chosenProvider()
	if !ok {
		a.password.Enable()
		a.testButton.SetText("Test connection and add")
		a.status.SetText("Sealpost logs in to both servers over verified TLS before it stores anything.")
		return
	}
	a.password.SetText("")
	a.password.Disable()
	a.testButton.SetText("Sign in and add")
	if !p.Ready {
		a.status.SetText("Signing in with " + p.Name + " needs a client ID from your organisation: set it in Settings, " +
			"Accounts, Sign-in providers. Where to get one: " + p.Help + ".")
		return
	}
	a.status.SetText("Your browser opens " + p.Name + "'s sign-in page; Sealpost keeps only the tokens it grants, sealed, never your password.")
}

// test runs the engine's AddAccount with what the fields say.
func (a *accountSetup) test() {
	acct := backend.NewAccount{Email: strings.TrimSpace(a.email.Text), Name: strings.TrimSpace(a.name.Text),
		Password: []byte(a.password.Text), Trust: a.trusted, SwitchToPassword: a.switching}
	var err error
	if acct.IMAP, err = a.imap.settings("IMAP"); err == nil {
		acct.SMTP, err = a.smtp.settings("SMTP")
	}
	if a.reauth { // only the password changes
		acct.IMAP, acct.SMTP = backend.ServerSettings{}, backend.ServerSettings{}
	} else if a.providerDomain != nil {
		if d := strings.TrimSpace(a.providerDomain.Text); d != a.setDomain {
			acct.ProviderDomain = &d
		}
	}
	switch {
	case err != nil:
	case acct.Email == "":
		err = errors.New("enter the e-mail address of the account")
	case a.editing == "" && a.signingIn():
		if p, _ := a.chosenProvider(); !p.Ready {
			err = errors.New("set a client ID for " + p.Name + " in Settings, Accounts first")
		}
	case len(acct.Password) == 0 && (a.editing == "" || a.reauth || a.switching):
		err = errors.New("enter the account's password")
	}
	if err != nil {
		a.status.SetText(readable(err))
		return
	}
	a.testButton.Disable()
	a.result.SetText("")
	a.problem.clear()
	a.status.SetText("")
	doing := "Finding the servers and logging in over TLS…"
	if a.editing != "" {
		doing = "Saving; a new password or server is tested over TLS first…"
	}
	// Cancel, closing the window or locking stops the test; the engine
	// stores nothing until both logins succeeded.
	timeout := accountSetupTimeout
	provider, signingIn := a.chosenProvider()
	if signingIn {
		timeout = signInTimeout
		doing = "Waiting for the sign-in in your browser…"
	}
	ctx, cancel := context.WithTimeout(a.ui.context(), timeout)
	a.cancel = cancel
	a.working.start(doing, cancel)
	open := a.ui.openInBrowser(func(address string) {
		a.status.SetText("Sign in on " + provider.Name + "'s page in your browser. If none opened, open this address in one:")
		a.result.SetText(address)
	})
	var added backend.AddedAccount
	a.ui.tasks.run(ctx, func(ctx context.Context) (err error) {
		switch {
		case a.editing != "":
			added, err = a.editor.UpdateAccount(ctx, acct)
		case signingIn:
			added, err = a.signIn.AddAccountWithSignIn(ctx, acct, provider.ID, open)
		default:
			added, err = a.setup.AddAccount(ctx, acct)
		}
		return err
	}, func(err error) {
		a.working.finish()
		a.testButton.Enable()
		certs := backend.FindAll[*backend.CertificateError](err)
		switch {
		case len(certs) > 0:
			a.askTrust(certs)
		case errors.Is(err, context.Canceled):
			a.status.SetText("Cancelled. Nothing was saved.")
		case err != nil:
			a.status.SetText("Nothing was saved.")
			a.problem.show(err, errorActions{retry: a.test})
		default:
			a.done(added)
		}
	})
}

// signingIn reports whether a provider, not a password, was chosen.
func (a *accountSetup) signingIn() bool {
	_, ok := a.chosenProvider()
	return ok
}

// done shows how the account's connections were secured and refreshes the
// main window.
func (a *accountSetup) done(added backend.AddedAccount) {
	switch {
	case a.editing == "":
		a.status.SetText(fmt.Sprintf("Added %s (settings: %s). Press Sync in the main window to fetch its mail.", added.Email, added.Discovery))
	case a.switching:
		a.status.SetText(fmt.Sprintf("Saved %s after both logins succeeded: it logs in with the password from now on.", added.Email))
	case len(added.Tested) == 0:
		a.status.SetText(fmt.Sprintf("Saved %s. Nothing needed testing: the servers and the password are unchanged.", added.Email))
	default:
		a.status.SetText(fmt.Sprintf("Saved %s after both logins succeeded.", added.Email))
	}
	a.password.SetText("")
	a.trusted = nil
	lines := []string{"IMAP " + added.IMAP.String(), "SMTP " + added.SMTP.String()}
	if added.DiscoveryDetail != "" {
		lines = append(lines, "Settings from "+added.DiscoveryDetail)
	}
	for i, c := range added.Tested {
		proto := "IMAP"
		if i == 1 {
			proto = "SMTP"
		}
		how := "verified"
		if c.Pinned {
			how = "trusted by you"
		}
		lines = append(lines, fmt.Sprintf("%s: %s, %s\n  certificate %s (%s)", proto, c.Version, c.CipherSuite,
			backend.GroupFingerprint(strings.ToUpper(c.CertSHA256)), how))
	}
	lines = append(lines, added.Notes...)
	a.result.SetText(strings.Join(lines, "\n"))
	a.testButton.SetText("Close")
	a.testButton.SetIcon(theme.CancelIcon())
	a.testButton.OnTapped = a.window.Close
	if a.saved != nil {
		a.saved()
	}
	if v := a.ui.main; v != nil {
		v.loadAccounts()
	}
}

// askTrust shows the pin dialog for the certificates that do not verify,
// naming every server, and tests again trusting exactly those the user
// checked, each for its own server.
func (a *accountSetup) askTrust(certs []*backend.CertificateError) {
	a.status.SetText("Nothing was saved: the certificate of a server could not be verified.")
	a.consent = showPinConsent(a.window, certs, a.trusted, func(approved []backend.TrustedCert) {
		a.trusted = append(a.trusted, approved...)
		a.test()
	}, func() {
		a.status.SetText("Cancelled. Nothing was trusted or saved.")
	})
}
