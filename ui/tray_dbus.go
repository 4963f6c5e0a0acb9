//go:build (linux || freebsd || openbsd || netbsd) && !android

package ui

import "github.com/godbus/dbus/v5"

// sessionBusReachable reports whether the session bus that the tray icon
// talks through can be reached. Without it Fyne's tray (fyne.io/systray)
// keeps a nil connection and panics when the app quits, so the tray is
// left out instead. The connection is the shared one the tray reuses, so it
// stays open.
func sessionBusReachable() bool {
	conn, err := dbus.SessionBus()
	return err == nil && conn != nil
}
