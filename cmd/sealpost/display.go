package main

import (
	"bytes"
	"errors"
	"fmt"
	"log"
	"strings"
)

// errNoWindow means the app could not open its window: the window system
// named by the environment did not answer or refused.
var errNoWindow = errors.New("cannot open the app's window")

// openWindow runs open, which makes the app and its first window. The
// first window connects to the window system; when that fails, GLFW logs
// why and then panics ("The GLFW library is not initialized"). openWindow
// returns the logged reason as an error instead of a stack trace. What
// open logs otherwise goes on to the log, and its error is returned.
func openWindow(open func() error) (err error) {
	var logged bytes.Buffer
	out, flags := log.Writer(), log.Flags()
	log.SetOutput(&logged)
	log.SetFlags(0)
	defer func() {
		log.SetOutput(out)
		log.SetFlags(flags)
		lines := strings.Split(strings.TrimSpace(logged.String()), "\n")
		if r := recover(); r != nil {
			if !strings.Contains(fmt.Sprint(r), "GLFW library is not initialized") {
				panic(r)
			}
			err = fmt.Errorf("%w: %s", errNoWindow, windowSystemReason(lines))
			return
		}
		for _, line := range lines {
			if line != "" {
				log.Print(line)
			}
		}
	}()
	return open()
}

// windowSystemReason picks the reason from what GLFW and Fyne logged when
// the window system failed: the last line other than Fyne's "At: file:line".
// GLFW logs "PlatformError: X11: Failed to open display :1"; Fyne logs
// "Cause: " and GLFW's error when GLFW cannot start at all.
func windowSystemReason(logged []string) string {
	for i := len(logged) - 1; i >= 0; i-- {
		line := strings.TrimSpace(logged[i])
		if line == "" || strings.HasPrefix(line, "At:") {
			continue
		}
		return strings.TrimSpace(strings.TrimPrefix(line, "Cause:"))
	}
	return "the window system did not say why"
}
