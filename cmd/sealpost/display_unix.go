//go:build linux || freebsd || netbsd || openbsd || dragonfly

package main

import (
	"errors"
	"os"
)

// errNoDisplay means there is no display to open the app on.
var errNoDisplay = errors.New("no display to open the app on: neither DISPLAY nor WAYLAND_DISPLAY is set (the commands `sealpost help` lists run without one)")

// checkDisplay returns errNoDisplay when the environment names no X11 or
// Wayland display, before Fyne would start GLFW and panic.
func checkDisplay() error {
	if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		return errNoDisplay
	}
	return nil
}
