package main

import (
	"fmt"
	"io"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"github.com/sealpost/sealpost/assets"
	"github.com/sealpost/sealpost/mail"
	"github.com/sealpost/sealpost/ui"
)

// runGUI opens the desktop app on the profile named by SEALPOST_PROFILE or
// the OS default.
func runGUI(stderr io.Writer) int {
	env := &cliEnv{}
	dir, err := env.profile()
	if err != nil {
		fmt.Fprintf(stderr, "sealpost: %v\n", err)
		return 1
	}
	a := app.NewWithID("io.sealpost.app")
	icon := fyne.NewStaticResource("sealpost.png", assets.IconPNG)
	a.SetIcon(icon)
	ui.New(a, mail.NewEngine(dir, nil), icon).Window().ShowAndRun()
	return 0
}
