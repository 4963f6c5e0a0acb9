package ui

import (
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sealpost/sealpost/mail/backend"
)

// pinConsent is the dialog that asks whether to trust server certificates
// that do not verify. It lists every server, host:port, whose certificate
// failed, each with its fingerprint, names and its own checkbox, and
// approves exactly the ones the user checked: nothing is pinned that the
// dialog did not name.
type pinConsent struct {
	dialog      dialog.Dialog
	certs       []*backend.CertificateError
	checks      []*widget.Check // nil where the certificate cannot be trusted here
	intro       *widget.Label
	trustButton *widget.Button
	cancel      *widget.Button
}

// showPinConsent opens the dialog over parent for certs. approved are the
// certificates the user trusted earlier in the same setup: a server that
// now presents another certificate than the approved one is not offered
// again. trust gets the certificates checked; cancelled runs when the user
// declines.
func showPinConsent(parent fyne.Window, certs []*backend.CertificateError, approved []backend.TrustedCert,
	trust func([]backend.TrustedCert), cancelled func()) *pinConsent {
	p := &pinConsent{certs: certs, checks: make([]*widget.Check, len(certs))}
	p.intro = widget.NewLabel(pinIntro(certs))
	p.intro.Wrapping = fyne.TextWrapWord
	p.trustButton = widget.NewButtonWithIcon("Trust the checked certificates", theme.ConfirmIcon(), func() {
		p.dialog.Hide()
		trust(p.checked())
	})
	p.trustButton.Importance = widget.DangerImportance
	p.trustButton.Disable()
	p.cancel = widget.NewButton("Cancel", func() {
		p.dialog.Hide()
		cancelled()
	})
	cards := container.NewVBox()
	offered := 0
	for i, c := range certs {
		why := refusal(c, approved)
		if why == "" {
			offered++
			p.checks[i] = widget.NewCheck(fmt.Sprintf("Trust this certificate for %s:%d", c.Host, c.Port), func(bool) { p.update() })
		}
		cards.Add(certificateCard(c, why, p.checks[i]))
	}
	buttons := container.NewHBox(p.cancel)
	if offered > 0 {
		buttons.Add(p.trustButton)
	}
	content := container.NewBorder(p.intro, buttons, nil, nil, container.NewVScroll(cards))
	title := "Untrusted certificate"
	if len(certs) > 1 {
		title = "Untrusted certificates"
	}
	p.dialog = dialog.NewCustomWithoutButtons(title, content, parent)
	p.dialog.Resize(fitDialog(parent, fyne.NewSize(580, min(640, 200+float32(len(certs))*190))))
	p.dialog.Show()
	return p
}

// pinIntro says what the dialog is about, for one server or several.
func pinIntro(certs []*backend.CertificateError) string {
	servers := make([]string, len(certs))
	for i, c := range certs {
		servers[i] = fmt.Sprintf("%s:%d", c.Host, c.Port)
	}
	return fmt.Sprintf("Sealpost cannot verify the certificate of %s, so nothing was sent. Trust a certificate only if "+
		"the server's operator confirmed its fingerprint to you: Sealpost then accepts exactly that certificate, "+
		"for exactly that server, and records it in the audit trail.", strings.Join(servers, " and of "))
}

// refusal says why c cannot be trusted from this dialog, or "" when it can.
func refusal(c *backend.CertificateError, approved []backend.TrustedCert) string {
	if c.Changed {
		return "This certificate differs from the one you trusted before. This may be an attack: ask the server's " +
			"operator whether they changed it. It cannot be trusted here."
	}
	for _, a := range approved {
		if strings.EqualFold(a.Host, c.Host) && a.Port == c.Port && !strings.EqualFold(a.SHA256, c.SHA256) {
			return "The server now presents another certificate than the one you just trusted for it. Ask your " +
				"provider for certificates that verify."
		}
	}
	return ""
}

// certificateCard shows one server's certificate: the server, why it did
// not verify (or why it cannot be trusted), the fingerprint in groups on
// two lines, the names and the validity, and the checkbox when offered.
func certificateCard(c *backend.CertificateError, refused string, check *widget.Check) fyne.CanvasObject {
	server := widget.NewLabelWithStyle(fmt.Sprintf("%s:%d", c.Host, c.Port), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	why := widget.NewLabel("Not verified: " + c.Reason)
	why.Wrapping = fyne.TextWrapWord
	if refused != "" {
		why.SetText(refused)
		why.Importance = widget.DangerImportance
	}
	groups := strings.Fields(backend.GroupFingerprint(strings.ToUpper(c.SHA256)))
	half := (len(groups) + 1) / 2
	style := widget.RichTextStyle{TextStyle: fyne.TextStyle{Monospace: true}}
	fpr := widget.NewRichText(&widget.TextSegment{Text: "SHA-256 " + strings.Join(groups[:half], " "), Style: style},
		&widget.TextSegment{Text: "        " + strings.Join(groups[half:], " "), Style: style})
	names := widget.NewLabel(fmt.Sprintf("Subject: %s\nIssuer: %s\nValid %s to %s", c.Subject, c.Issuer,
		c.NotBefore.UTC().Format(time.DateOnly), c.NotAfter.UTC().Format(time.DateOnly)))
	names.Wrapping = fyne.TextWrapWord
	box := container.NewVBox(server, why, fpr, names)
	if check != nil {
		box.Add(check)
	}
	return widget.NewCard("", "", box)
}

// update lets Trust be pressed once something is checked.
func (p *pinConsent) update() {
	if len(p.checked()) > 0 {
		p.trustButton.Enable()
	} else {
		p.trustButton.Disable()
	}
}

// checked returns the certificates checked, each for its own server.
func (p *pinConsent) checked() []backend.TrustedCert {
	var out []backend.TrustedCert
	for i, ch := range p.checks {
		if ch != nil && ch.Checked {
			c := p.certs[i]
			out = append(out, backend.TrustedCert{Host: c.Host, Port: c.Port, SHA256: c.SHA256})
		}
	}
	return out
}
