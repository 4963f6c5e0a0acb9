//go:build !(linux || freebsd || netbsd || openbsd || dragonfly)

package main

// checkDisplay has nothing to check on macOS and Windows, whose window
// system needs no environment variable; openWindow still reports a window
// system that refuses.
func checkDisplay() error { return nil }
