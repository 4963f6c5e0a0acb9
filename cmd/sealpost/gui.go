package main

import (
	"fmt"
	"io"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"github.com/sealpost/sealpost/assets"
	"github.com/sealpost/sealpost/mail"
	"github.com/sealpost/sealpost/mail/backend"
	"github.com/sealpost/sealpost/ui"
)

// runGUI opens the desktop app on the profile named by SEALPOST_PROFILE or
// the OS default.
func runGUI(stderr io.Writer) int { return openGUI(stderr, nil) }

// runGUIForMailto opens the desktop app and, once the profile is unlocked,
// a composer for the mailto: link (the desktop file registers Sealpost as
// the handler for such links).
func runGUIForMailto(stderr io.Writer, link string) int {
	d, err := mail.ParseMailto(link)
	if err != nil {
		fmt.Fprintf(stderr, "sealpost: %v\n", err)
		return 2
	}
	if len(d.Bcc) > 0 {
		d.Cc = append(d.Cc, d.Bcc...) // the composer has no Bcc field yet: show them rather than drop them
	}
	return openGUI(stderr, &backend.Draft{To: d.To, Cc: d.Cc, Subject: d.Subject, Body: d.Body})
}

func openGUI(stderr io.Writer, draft *backend.Draft) int {
	env := &cliEnv{}
	dir, err := env.profile()
	if err != nil {
		fmt.Fprintf(stderr, "sealpost: %v\n", err)
		return 1
	}
	a := app.NewWithID("io.sealpost.app")
	icon := fyne.NewStaticResource("sealpost.png", assets.IconPNG)
	a.SetIcon(icon)
	view := ui.New(a, mail.NewEngine(dir, &mail.ProfileOptions{Sessions: &mail.SessionOptions{}}), icon)
	if draft != nil {
		view.ComposeWhenOpen(*draft)
	}
	view.Window().ShowAndRun()
	return 0
}
