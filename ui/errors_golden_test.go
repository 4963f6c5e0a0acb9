package ui

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/sealpost/sealpost/mail/backend"
)

// TestGoldenPinConsentAndError renders the account window with the pin
// consent dialog for two servers, and with a refused login shown as a
// sentence with its Details open.
func TestGoldenPinConsentAndError(t *testing.T) {
	if testing.Short() {
		t.Skip("renders two windows")
	}
	test.NewTempApp(t)
	test.ApplyTheme(t, variantTheme{theme.DefaultTheme(), theme.VariantLight})
	app, _ := openFixture(t)
	a := app.showAccountSetup()
	a.window.Resize(fyne.NewSize(620, 720))
	test.Type(a.email, "alice@example.org")
	valid := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	cert := func(host string, port int) *backend.CertificateError {
		return &backend.CertificateError{Host: host, Port: port, SHA256: strings.Repeat("3f9a", 16),
			Subject: "CN=mail.example.org", Issuer: "CN=mail.example.org", NotBefore: valid, NotAfter: valid.AddDate(1, 0, 0),
			Reason: "x509: certificate signed by unknown authority"}
	}
	a.askTrust([]*backend.CertificateError{cert("mail.example.org", 993), cert("mail.example.org", 465)})
	a.consent.checks[0].SetChecked(true)
	test.AssertImageMatches(t, "pin_consent_light.png", a.window.Canvas().Capture())
	a.consent.dialog.Hide()

	a.status.SetText("Nothing was saved.")
	a.problem.show(fmt.Errorf("IMAP login to mail.example.org as alice@example.org: %w",
		fmt.Errorf("%w: %w", backend.ErrLoginRejected, errors.New("imap: NO [AUTHENTICATIONFAILED] Authentication failed."))),
		errorActions{retry: func() {}})
	a.problem.expander.Open(0)
	test.AssertImageMatches(t, "setup_error_light.png", a.window.Canvas().Capture())
}
