package ui

import (
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/sealpost/sealpost/mail/backend"
	"github.com/sealpost/sealpost/mail/testservers"
)

// emptyProfile opens the app on a new profile without keys or accounts.
func emptyProfile(t *testing.T) (*App, backend.Backend) {
	t.Helper()
	engine := newEngine(t)
	if err := engine.CreateProfile(t.Context(), []byte(fixturePassphrase)); err != nil {
		t.Fatal(err)
	}
	if err := engine.Lock(); err != nil {
		t.Fatal(err)
	}
	return unlocked(t, newApp(engine)), engine
}

// fillServer types a test server's address into the advanced fields.
func fillServer(t *testing.T, f serverFields, addr, security string) {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	test.Type(f.host, host)
	test.Type(f.port, port)
	f.security.SetSelected(security)
}

// TestAddAccountPinsUntrustedCertificate adds an account on Dovecot and
// Postfix, whose test CA the engine does not trust and which present the
// same certificate: the consent dialog lists both servers with the
// fingerprint, nothing is checked at first, trusting the IMAP server alone
// stores nothing and asks again about the SMTP server only, and trusting
// that too stores the account with both connections shown as trusted by
// the user.
func TestAddAccountPinsUntrustedCertificate(t *testing.T) {
	srv := testservers.Start(t)
	test.NewTempApp(t)
	app, engine := emptyProfile(t)
	if !strings.Contains(app.main.status.Text, "Add account") {
		t.Errorf("main status = %q, want it to point at Add account", app.main.status.Text)
	}
	test.Tap(app.main.addAccountButton)
	a := accountSetupOf(t, app)

	user := "alice@" + srv.Domain
	test.Type(a.email, user)
	test.Type(a.name, "Alice Test")
	test.Tap(a.testButton)
	if !strings.Contains(a.status.Text, "password") {
		t.Fatalf("status without a password = %q, want it to ask for the password", a.status.Text)
	}
	test.Type(a.password, srv.Users[user])
	fillServer(t, a.imap, srv.IMAPTLS, securityTLS)
	fillServer(t, a.smtp, srv.SMTPStartTLS, securityStartTLS)
	test.Tap(a.testButton)
	app.tasks.wait()

	p := a.consent
	if p == nil {
		t.Fatalf("no pin dialog; status %q\n%s", a.status.Text, srv.Log())
	}
	imapAt, smtpAt := srv.IMAPTLS, srv.SMTPStartTLS
	if len(p.certs) != 2 || !strings.Contains(p.intro.Text, imapAt) || !strings.Contains(p.intro.Text, smtpAt) {
		t.Fatalf("pin dialog = %q with %d certificates, want %s and %s named", p.intro.Text, len(p.certs), imapAt, smtpAt)
	}
	shown := labelsIn(a.window.Canvas().Overlays().Top())
	walkShown(a.window.Canvas().Overlays().Top(), func(o fyne.CanvasObject) {
		if rt, ok := o.(*widget.RichText); ok {
			shown += "\n" + rt.String()
		}
	})
	fpr := backend.GroupFingerprint(strings.ToUpper(p.certs[0].SHA256))
	half := strings.Join(strings.Fields(fpr)[:8], " ")
	for _, want := range []string{imapAt, smtpAt, "Subject: ", half} {
		if !strings.Contains(shown, want) {
			t.Errorf("pin dialog shows %q, want %q in it", shown, want)
		}
	}
	if !p.trustButton.Disabled() {
		t.Error("Trust can be pressed with nothing checked")
	}
	if accts, err := engine.Accounts(t.Context()); err != nil || len(accts) != 0 {
		t.Fatalf("accounts before trusting = %v, %v, want none", accts, err)
	}

	p.checks[0].SetChecked(true) // the IMAP server only
	test.Tap(p.trustButton)
	app.tasks.wait()
	if a.consent == p || len(a.consent.certs) != 1 || a.consent.certs[0].Port != p.certs[1].Port {
		t.Fatalf("after trusting IMAP only: dialog for %v, want one for %s only", a.consent.certs, smtpAt)
	}
	if accts, err := engine.Accounts(t.Context()); err != nil || len(accts) != 0 {
		t.Fatalf("accounts with SMTP not trusted = %v, %v, want none", accts, err)
	}

	a.consent.checks[0].SetChecked(true)
	test.Tap(a.consent.trustButton)
	app.tasks.wait()
	accts, err := engine.Accounts(t.Context())
	if err != nil || len(accts) != 1 || accts[0].Email != user {
		t.Fatalf("accounts = %v, %v (status %q), want %s", accts, err, a.status.Text, user)
	}
	d, err := engine.(backend.AccountSettings).AccountDetails(t.Context(), user)
	if err != nil || len(d.Pins) != 2 {
		t.Fatalf("pins = %+v, %v, want IMAP and SMTP, each approved", d.Pins, err)
	}
	for _, want := range []string{"IMAP: TLS 1.", "SMTP: TLS 1.", fpr, "trusted by you", "STARTTLS"} {
		if !strings.Contains(strings.ToUpper(a.result.Text), strings.ToUpper(want)) {
			t.Errorf("result = %q, want it to contain %q", a.result.Text, want)
		}
	}
	if got := len(app.main.accounts); got != 1 {
		t.Errorf("main window accounts = %d, want 1", got)
	}
}

// TestAddAccountPinDialogDeclined: Cancel in the pin dialog trusts and
// stores nothing and says so.
func TestAddAccountPinDialogDeclined(t *testing.T) {
	srv := testservers.Start(t)
	test.NewTempApp(t)
	app, engine := emptyProfile(t)
	a := app.showAccountSetup()
	user := "alice@" + srv.Domain
	test.Type(a.email, user)
	test.Type(a.password, srv.Users[user])
	fillServer(t, a.imap, srv.IMAPTLS, securityTLS)
	fillServer(t, a.smtp, srv.SMTPTLS, securityTLS)
	test.Tap(a.testButton)
	app.tasks.wait()
	if a.consent == nil {
		t.Fatalf("no pin dialog; status %q", a.status.Text)
	}
	a.consent.checks[0].SetChecked(true)
	test.Tap(a.consent.cancel)
	app.tasks.wait()
	if !strings.Contains(a.status.Text, "Nothing was trusted or saved") || len(a.trusted) != 0 {
		t.Errorf("status = %q, trusted %v; want nothing trusted", a.status.Text, a.trusted)
	}
	if accts, err := engine.Accounts(t.Context()); err != nil || len(accts) != 0 {
		t.Errorf("accounts = %v, %v, want none", accts, err)
	}
}

// TestAddAccountCancel: a server that accepts the connection and then
// says nothing keeps the test waiting; Cancel stops it at once (the
// connection is closed), says so, and stores nothing.
func TestAddAccountCancel(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		if c, err := ln.Accept(); err == nil {
			accepted <- c
		}
	}()
	test.NewTempApp(t)
	app, engine := emptyProfile(t)
	a := app.showAccountSetup()
	test.Type(a.email, "alice@example.org")
	test.Type(a.password, "secret")
	fillServer(t, a.imap, ln.Addr().String(), securityTLS)
	fillServer(t, a.smtp, ln.Addr().String(), securityTLS)
	test.Tap(a.testButton)
	var conn net.Conn
	select {
	case conn = <-accepted:
		defer conn.Close()
	case <-time.After(30 * time.Second):
		t.Fatal("the test never connected")
	}
	if !a.working.running() || a.working.cancelButton.Hidden || !a.testButton.Disabled() {
		t.Fatalf("while testing: activity %v, Cancel hidden %v, button disabled %v; want the wait shown with Cancel",
			a.working.running(), a.working.cancelButton.Hidden, a.testButton.Disabled())
	}
	test.Tap(a.working.cancelButton)
	app.tasks.wait()
	if a.status.Text != "Cancelled. Nothing was saved." || a.working.running() || a.testButton.Disabled() || a.problem.content.Visible() {
		t.Errorf("after Cancel: status %q, activity %v, button disabled %v, problem shown %v",
			a.status.Text, a.working.running(), a.testButton.Disabled(), a.problem.content.Visible())
	}
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadAll(conn); err != nil {
		t.Errorf("the server's side after Cancel: %v, want the connection closed by Sealpost", err)
	}
	if accts, err := engine.Accounts(t.Context()); err != nil || len(accts) != 0 {
		t.Errorf("accounts = %v, %v, want none", accts, err)
	}
}

// TestAddAccountErrorHasDetails: a failed test shows one sentence, Retry
// where it may help, and the whole chain under Details.
func TestAddAccountErrorHasDetails(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close() // nothing listens there now: the connection is refused
	test.NewTempApp(t)
	app, _ := emptyProfile(t)
	a := app.showAccountSetup()
	test.Type(a.email, "alice@example.org")
	test.Type(a.password, "secret")
	fillServer(t, a.imap, closed, securityTLS)
	fillServer(t, a.smtp, closed, securityTLS)
	test.Tap(a.testButton)
	app.tasks.wait()
	if got := a.problem.sentence.Text; got != "The server refused the connection: check its name and port in the account's settings." {
		t.Errorf("sentence = %q", got)
	}
	if !strings.Contains(a.problem.details.Text, closed) || !a.problem.expander.Visible() {
		t.Errorf("details = %q (shown %v), want the chain with the server", a.problem.details.Text, a.problem.expander.Visible())
	}
	test.Tap(buttonIn(t, a.problem.actions, "Retry"))
	app.tasks.wait()
	if !a.problem.content.Visible() {
		t.Error("Retry did not test again")
	}
}

func TestAddAccountRejectsBadSettings(t *testing.T) {
	test.NewTempApp(t)
	app, engine := emptyProfile(t)
	for _, tt := range []struct {
		name       string
		fill       func(a *accountSetup)
		wantStatus string
	}{
		{"no address", func(a *accountSetup) { test.Type(a.password, "secret") }, "address"},
		{"bad port", func(a *accountSetup) {
			test.Type(a.email, "a@example.test")
			test.Type(a.password, "secret")
			test.Type(a.imap.host, "imap.example.test")
			test.Type(a.imap.port, "99999")
		}, "port must be a number"},
		{"port without host", func(a *accountSetup) {
			test.Type(a.email, "a@example.test")
			test.Type(a.password, "secret")
			test.Type(a.smtp.port, "465")
		}, "SMTP host"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := app.showAccountSetup()
			defer a.window.Close()
			tt.fill(a)
			test.Tap(a.testButton)
			app.tasks.wait()
			if !strings.Contains(a.status.Text, tt.wantStatus) {
				t.Errorf("status = %q, want it to contain %q", a.status.Text, tt.wantStatus)
			}
		})
	}
	if accts, err := engine.Accounts(t.Context()); err != nil || len(accts) != 0 {
		t.Errorf("accounts = %v, %v, want none", accts, err)
	}
}

// accountSetupOf returns the add-account window that is open.
func accountSetupOf(t *testing.T, app *App) *accountSetup {
	t.Helper()
	if app.accountSetup == nil {
		t.Fatal("the add-account window did not open")
	}
	return app.accountSetup
}

// TestAddAccountShowsSettingsSource: once an account is added from found
// settings, the window says where they came from, in words.
func TestAddAccountShowsSettingsSource(t *testing.T) {
	test.NewTempApp(t)
	app, _ := emptyProfile(t)
	a := app.showAccountSetup()
	const detail = "Thunderbird's ISPDB entry for mailhost.test, the provider of example.test's MX host mx1.mailhost.test"
	a.done(backend.AddedAccount{
		Email:     "alice@example.test",
		IMAP:      backend.ServerSettings{Host: "imap.mailhost.test", Port: 993, Security: backend.SecurityTLS},
		SMTP:      backend.ServerSettings{Host: "smtp.mailhost.test", Port: 465, Security: backend.SecurityTLS},
		Discovery: "mx-ispdb", DiscoveryDetail: detail,
	})
	if !strings.Contains(a.status.Text, "settings: mx-ispdb") {
		t.Errorf("status = %q, want the source named", a.status.Text)
	}
	if !strings.Contains(a.result.Text, "Settings from "+detail) {
		t.Errorf("result = %q, want %q in it", a.result.Text, "Settings from "+detail)
	}
}
