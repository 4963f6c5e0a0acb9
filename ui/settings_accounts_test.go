package ui

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail/backend"
	"github.com/sealpost/sealpost/mail/testservers"
)

// accountsPaneOf opens the settings window and returns its Accounts tab
// once the accounts are listed.
func accountsPaneOf(t *testing.T, app *App) *accountsPane {
	t.Helper()
	app.showSettings()
	app.tasks.wait()
	return app.settings.window.accounts
}

// rowButtons returns the Edit, Re-authenticate and Remove buttons of email.
func rowButtons(t *testing.T, p *accountsPane, email string) [3]*widget.Button {
	t.Helper()
	b, ok := p.buttons[email]
	if !ok {
		t.Fatalf("no row for %s; status %q", email, p.status.Text)
	}
	return b
}

// serverSettings splits a test server's host:port.
func serverSettings(t *testing.T, addr, security string) backend.ServerSettings {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(port)
	if err != nil {
		t.Fatal(err)
	}
	return backend.ServerSettings{Host: host, Port: n, Security: security}
}

func TestSettingsEditAccountName(t *testing.T) {
	test.NewTempApp(t)
	app, e := openFixture(t)
	p := accountsPaneOf(t, app)
	test.Tap(rowButtons(t, p, alice)[0])
	app.tasks.wait()
	a := app.settings.accountEdit
	if a == nil {
		t.Fatal("the edit window did not open")
	}
	if a.email.Text != alice || !a.email.Disabled() || a.name.Text != "Alice Example" || a.password.Text != "" || !a.advanced.Items[0].Open {
		t.Fatalf("form got = %q (disabled %v), name %q, password %q, advanced open %v; want it prefilled with the servers shown",
			a.email.Text, a.email.Disabled(), a.name.Text, a.password.Text, a.advanced.Items[0].Open)
	}
	a.name.SetText("Alice Liddell")
	test.Tap(a.testButton)
	app.tasks.wait()
	if !strings.Contains(a.status.Text, "Saved") {
		t.Errorf("status got = %q, want it saved", a.status.Text)
	}
	accts, err := e.Accounts(t.Context())
	if err != nil || len(accts) != 1 || accts[0].Name != "Alice Liddell" {
		t.Errorf("accounts got = %+v, %v, want the new name", accts, err)
	}
	if got := app.main.accounts; len(got) != 1 || got[0].Name != "Alice Liddell" {
		t.Errorf("main window accounts got = %+v, want the new name", got)
	}
	if !strings.Contains(p.rows.Objects[0].(*widget.Label).Text, "Alice Liddell") {
		t.Error("the settings list does not show the new name")
	}
}

// TestSettingsReauthenticate gives a wrong password (refused, nothing
// stored), then the right one, which is stored after both logins; the
// connections are shown.
func TestSettingsReauthenticate(t *testing.T) {
	srv := testservers.Start(t)
	test.NewTempApp(t)
	engine := newEngine(t)
	if err := engine.CreateProfile(t.Context(), []byte(fixturePassphrase)); err != nil {
		t.Fatal(err)
	}
	user := "alice@" + srv.Domain
	acct := backend.NewAccount{Email: user, Name: "Alice", Password: []byte(srv.Users[user]),
		IMAP: serverSettings(t, srv.IMAPTLS, backend.SecurityTLS), SMTP: serverSettings(t, srv.SMTPTLS, backend.SecurityTLS)}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := engine.AddAccount(ctx, acct)
	for _, c := range backend.FindAll[*backend.CertificateError](err) {
		acct.Trust = append(acct.Trust, backend.TrustedCert{Host: c.Host, Port: c.Port, SHA256: c.SHA256})
	}
	if len(acct.Trust) == 0 {
		t.Fatalf("AddAccount got = %v, want the test CA's certificate refused", err)
	}
	if _, err := engine.AddAccount(ctx, acct); err != nil {
		t.Fatal(err)
	}
	if err := engine.Lock(); err != nil {
		t.Fatal(err)
	}
	app := unlocked(t, newApp(engine))
	p := accountsPaneOf(t, app)
	test.Tap(rowButtons(t, p, user)[1])
	app.tasks.wait()
	a := app.settings.accountEdit
	if a == nil || !a.reauth {
		t.Fatal("the re-authenticate window did not open")
	}
	auditLen := func() int {
		trail, err := engine.AuditTrail(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return len(trail.Entries)
	}
	before := auditLen()

	test.Type(a.password, "wrong password")
	test.Tap(a.testButton)
	app.tasks.wait()
	if !strings.Contains(a.problem.sentence.Text, "refused the user name or password") {
		t.Errorf("problem after a wrong password got = %q, want the login refused", a.problem.sentence.Text)
	}
	if got := auditLen(); got != before {
		t.Errorf("audit entries got = %d, want %d: nothing may change", got, before)
	}

	a.password.SetText(srv.Users[user])
	test.Tap(a.testButton)
	app.tasks.wait()
	if !strings.Contains(a.status.Text, "Saved") {
		t.Fatalf("status got = %q, want saved\n%s", a.status.Text, srv.Log())
	}
	for _, want := range []string{"IMAP: TLS 1.", "SMTP: TLS 1.", "trusted by you"} {
		if !strings.Contains(a.result.Text, want) {
			t.Errorf("result got = %q, want %q in it", a.result.Text, want)
		}
	}
	if got := auditLen(); got != before+1 {
		t.Errorf("audit entries got = %d, want %d (the change recorded)", got, before+1)
	}
}

// TestSettingsRemoveAccount refuses while the outbox holds the account's
// mail, then cancels and confirms the removal.
func TestSettingsRemoveAccount(t *testing.T) {
	test.NewTempApp(t)
	e := fixtureEngine(t)
	st, err := localstore.Open(e.ProfileDir(), []byte(fixturePassphrase), profileOptions().Store)
	if err != nil {
		t.Fatal(err)
	}
	queued, err := st.Outbox().Add(localstore.OutboxItem{Account: alice, Raw: []byte("x")})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	app := unlocked(t, newApp(e))
	p := accountsPaneOf(t, app)

	test.Tap(rowButtons(t, p, alice)[2])
	for _, want := range []string{"this computer", "Nothing is deleted on the server", "drafts"} {
		if !strings.Contains(p.removeText.Text, want) {
			t.Errorf("confirmation got = %q, want %q in it", p.removeText.Text, want)
		}
	}
	test.Tap(p.removeButton)
	app.tasks.wait()
	if !strings.Contains(p.status.Text, "outbox") || !strings.Contains(p.status.Text, "1 unsent message") {
		t.Errorf("status with a queued message got = %q, want the outbox named", p.status.Text)
	}
	if accts, err := e.Accounts(t.Context()); err != nil || len(accts) != 1 {
		t.Fatalf("accounts after the refusal got = %v, %v, want alice kept", accts, err)
	}
	if err := e.Lock(); err != nil { // the outbox is only reachable from the command line for now
		t.Fatal(err)
	}
	st, err = localstore.Open(e.ProfileDir(), []byte(fixturePassphrase), profileOptions().Store)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Outbox().Delete(queued.ID); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if err := e.Unlock(t.Context(), []byte(fixturePassphrase)); err != nil {
		t.Fatal(err)
	}

	test.Tap(rowButtons(t, p, alice)[2])
	test.Tap(p.cancelRemoval)
	app.tasks.wait()
	if accts, err := e.Accounts(t.Context()); err != nil || len(accts) != 1 {
		t.Fatalf("accounts after Cancel got = %v, %v, want alice kept", accts, err)
	}

	test.Tap(rowButtons(t, p, alice)[2])
	test.Tap(p.removeButton)
	app.tasks.wait()
	if accts, err := e.Accounts(t.Context()); err != nil || len(accts) != 0 {
		t.Errorf("accounts got = %v, %v, want none", accts, err)
	}
	if !strings.Contains(p.status.Text, "Removed "+alice) || len(p.rows.Objects) != 0 {
		t.Errorf("settings got = %q with %d rows, want the removal said and no rows", p.status.Text, len(p.rows.Objects))
	}
	if got := len(app.main.accounts); got != 0 {
		t.Errorf("main window accounts got = %d, want 0", got)
	}
	if _, err := e.Open(t.Context(), alice, "INBOX", 1); err == nil {
		t.Error("a removed account's message still opens")
	}
}

// TestSettingsEditProviderDomain sets the account's provider domain in
// the edit form (no network needed), refuses one that is not a domain
// name without changing anything, and goes back to the default when the
// field is emptied; the form shows the domain set.
func TestSettingsEditProviderDomain(t *testing.T) {
	test.NewTempApp(t)
	app, e := openFixture(t)
	details := func() backend.AccountDetails {
		t.Helper()
		d, err := e.AccountDetails(t.Context(), alice)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	if d := details(); !d.ProviderDomainDefault {
		t.Fatalf("a new account's provider domain = %q, want the default", d.ProviderDomain)
	}
	edit := func(domain string) *accountSetup {
		t.Helper()
		if a := app.settingsOf().accountEdit; a != nil {
			a.window.Close()
		}
		test.Tap(rowButtons(t, accountsPaneOf(t, app), alice)[0])
		app.tasks.wait()
		a := app.settings.accountEdit
		if a == nil || a.providerDomain == nil {
			t.Fatal("the edit form has no provider domain field")
		}
		a.providerDomain.SetText(domain)
		test.Tap(a.testButton)
		app.tasks.wait()
		return a
	}

	a := edit("Mail.Example.NET.")
	if d := details(); !strings.Contains(a.status.Text, "Saved") || d.ProviderDomain != "mail.example.net" || d.ProviderDomainDefault {
		t.Errorf("after setting it: status %q, domain %q (default %t); want mail.example.net saved", a.status.Text, d.ProviderDomain, d.ProviderDomainDefault)
	}

	a = edit("not a domain!")
	if d := details(); !strings.Contains(a.problem.sentence.Text+a.status.Text, "must be a domain name") || d.ProviderDomain != "mail.example.net" {
		t.Errorf("a bad domain: problem %q, status %q, stored %q; want it refused and nothing changed", a.problem.sentence.Text, a.status.Text, d.ProviderDomain)
	}
	a.window.Close()
	test.Tap(rowButtons(t, accountsPaneOf(t, app), alice)[0])
	app.tasks.wait()
	if a = app.settings.accountEdit; a.providerDomain.Text != "mail.example.net" {
		t.Errorf("the form shows the domain set as %q", a.providerDomain.Text)
	}

	edit("")
	if d := details(); !d.ProviderDomainDefault {
		t.Errorf("after emptying it: %q, want the default again", d.ProviderDomain)
	}
}
