package ui

import (
	"net"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

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
// Postfix, whose test CA the engine does not trust: the pin dialog shows
// the certificate, the user trusts it, and the account is stored with the
// connections shown.
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

	if a.pending == nil {
		t.Fatalf("no pin dialog; status %q\n%s", a.status.Text, srv.Log())
	}
	fpr := a.pending.SHA256
	if !strings.Contains(a.pinText.Text, a.pending.Host) || a.pending.Subject == "" || !a.trustButton.Visible() {
		t.Errorf("pin dialog = %q (subject %q, trust shown %v), want the server, the certificate and the trust choice",
			a.pinText.Text, a.pending.Subject, a.trustButton.Visible())
	}
	if accts, err := engine.Accounts(t.Context()); err != nil || len(accts) != 0 {
		t.Fatalf("accounts before trusting = %v, %v, want none", accts, err)
	}

	test.Tap(a.trustButton)
	app.tasks.wait()
	accts, err := engine.Accounts(t.Context())
	if err != nil || len(accts) != 1 || accts[0].Email != user {
		t.Fatalf("accounts = %v, %v (status %q), want %s", accts, err, a.status.Text, user)
	}
	wantFpr := backend.GroupFingerprint(strings.ToUpper(fpr))
	for _, want := range []string{"IMAP: TLS 1.", "SMTP: TLS 1.", wantFpr, "trusted by you", "STARTTLS"} {
		if !strings.Contains(strings.ToUpper(a.result.Text), strings.ToUpper(want)) {
			t.Errorf("result = %q, want it to contain %q", a.result.Text, want)
		}
	}
	if got := len(app.main.accounts); got != 1 {
		t.Errorf("main window accounts = %d, want 1", got)
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
