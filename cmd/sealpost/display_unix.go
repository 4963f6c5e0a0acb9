//go:build linux || freebsd || netbsd || openbsd || dragonfly

package main

import (
	"errors"
	"os"
)

// errNoDisplay means there is no display to open the app on.
var errNoDisplay = errors.New("no display to open the app on: neither DISPLAY nor WAYLAND_DISPLAY is set (the commands `sealpost help` lists run without one)")

// checkDisplay returns errNoDisplay when the environment names no X11 or
// Wayland display, before Fyne would start GLFW and panic. When it names
// only an X11 display, the app uses X11 (Fyne's FYNE_PLATFORM, unless the
// user set it): GLFW would otherwise also try Wayland's default socket, and
// when that fails, libwayland writes to stderr on its own, past the one
// line the app prints when it cannot open its window.
func checkDisplay() error {
	x11, wayland := os.Getenv("DISPLAY"), os.Getenv("WAYLAND_DISPLAY")
	if x11 == "" && wayland == "" {
		return errNoDisplay
	}
	if wayland == "" && os.Getenv("FYNE_PLATFORM") == "" {
		return os.Setenv("FYNE_PLATFORM", "x11")
	}
	return nil
}
