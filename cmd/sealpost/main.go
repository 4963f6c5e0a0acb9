// Command sealpost is the Sealpost mail client. Without arguments it opens
// the desktop app; with a subcommand it runs the same engine headless.
package main

import (
	"context"
	"os"
	"os/signal"
	"strings"
	"syscall"

	// First of all: keeps Fyne, initialised before main, from logging
	// about the C.UTF-8 locale (see the package).
	_ "github.com/sealpost/sealpost/cmd/sealpost/internal/plainlocale"
)

func main() {
	if len(os.Args) < 2 {
		os.Exit(runGUI(os.Stderr))
	}
	// The desktop file registers Sealpost for mailto: links.
	if len(os.Args) == 2 && strings.HasPrefix(strings.ToLower(os.Args[1]), "mailto:") {
		os.Exit(runGUIForMailto(os.Stderr, os.Args[1]))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], stdio{in: os.Stdin, out: os.Stdout, err: os.Stderr})
	stop()
	os.Exit(code)
}
