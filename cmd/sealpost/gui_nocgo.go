//go:build !cgo

package main

import (
	"errors"

	"fyne.io/fyne/v2"
)

// errNoDesktopApp means this binary was built without cgo, which Fyne's
// desktop driver needs: it runs the commands but cannot open the app.
var errNoDesktopApp = errors.New("this sealpost was built without the desktop app (CGO_ENABLED=0); its commands work, `sealpost help` lists them")

// newDesktopApp returns errNoDesktopApp: a build without cgo has no
// desktop driver (`GOOS=windows CGO_ENABLED=0 go vet ./...` checks
// everything else of this package that way).
func newDesktopApp() (fyne.App, error) { return nil, errNoDesktopApp }
