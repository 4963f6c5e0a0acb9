//go:build cgo

package main

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
)

// newDesktopApp makes the Fyne app without Fyne's preferences file. Fyne's
// desktop driver needs cgo; gui_nocgo.go stands in without it.
//
// An app made with an ID keeps fyne.Preferences in a plaintext
// preferences.json under the user's config folder (~/.config/fyne/<ID>/
// on Linux), creates that folder and a Documents folder at once, and
// writes the file when the app quits. Fyne's own dialogs put the last
// folder a file was attached from there. Sealpost keeps its preferences
// sealed in the profile instead, so the app is made without an ID (its
// preferences then live in memory only) and the ID is set afterwards,
// for what needs a name: notifications and the screen-saver inhibitor.
func newDesktopApp() (fyne.App, error) {
	meta := fyne.AppMetadata{Name: "Sealpost", Migrations: map[string]bool{"fyneDo": true}}
	app.SetMetadata(meta) // no ID yet: overrides what `fyne package` or FyneApp.toml set
	a := app.NewWithID("")
	meta.ID = appID
	app.SetMetadata(meta)
	return a, nil
}
