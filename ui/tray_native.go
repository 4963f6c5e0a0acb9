//go:build !((linux || freebsd || openbsd || netbsd) && !android)

package ui

// sessionBusReachable is always true here: on these systems the tray icon
// does not go through a session bus.
func sessionBusReachable() bool { return true }
