package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"fyne.io/fyne/v2"

	"github.com/sealpost/sealpost/assets"
	"github.com/sealpost/sealpost/mail"
	"github.com/sealpost/sealpost/ui"
)

// appID is the application's ID, as in FyneApp.toml and the desktop file.
const appID = "io.sealpost.app"

// runGUI opens the desktop app on the profile named by SEALPOST_PROFILE or
// the OS default; when the app already runs on that profile, it brings
// that app's window forward instead.
func runGUI(stderr io.Writer) int { return openGUI(stderr, instanceRequest{kind: requestShow}) }

// runGUIForMailto opens a composer for the mailto: link (the desktop file
// registers Sealpost as the handler for such links): in the app already
// running on the profile, else in a new app, once the profile is unlocked.
func runGUIForMailto(stderr io.Writer, link string) int {
	if _, err := mail.ParseMailto(link); err != nil {
		fmt.Fprintf(stderr, "sealpost: %v\n", err)
		return 2
	}
	return openGUI(stderr, instanceRequest{kind: requestMailto, link: link})
}

func openGUI(stderr io.Writer, req instanceRequest) int {
	if err := checkDisplay(); err != nil {
		fmt.Fprintf(stderr, "sealpost: %v\n", err)
		return 1
	}
	env := &cliEnv{}
	dir, err := env.profile()
	if err != nil {
		fmt.Fprintf(stderr, "sealpost: %v\n", err)
		return 1
	}
	inst, err := claimInstance(dir)
	if errors.Is(err, errInstanceRunning) {
		if err := handOver(context.Background(), inst.path, req); err != nil {
			fmt.Fprintf(stderr, "sealpost: %v\n", err)
			return 1
		}
		return 0
	}
	if err != nil { // the app still works, without hand-over
		fmt.Fprintf(stderr, "sealpost: %v; a second start opens a second window\n", err)
	}
	icon := fyne.NewStaticResource("sealpost.png", assets.IconPNG)
	var (
		desktop fyne.App
		view    *ui.App
	)
	err = openWindow(func() error {
		a, err := newDesktopApp()
		if err != nil {
			return err
		}
		a.SetIcon(icon)
		view = ui.New(a, mail.NewEngine(dir, &mail.ProfileOptions{Sessions: &mail.SessionOptions{}}), icon)
		desktop = a
		// Fyne 2.8 creates the window, and so meets the window system,
		// when it is first shown: that happens here, where a refusal
		// becomes an error.
		view.Window().Show()
		return nil
	})
	if err != nil {
		if inst.ln != nil {
			_ = inst.ln.Close() // nothing listened on it yet
		}
		fmt.Fprintf(stderr, "sealpost: %v\n", err)
		return 1
	}
	view.SetDefaultMailApp(xdgMailtoHandler{})
	if req.kind == requestMailto {
		d, _ := mail.ParseMailto(req.link) // checked by runGUIForMailto
		view.ComposeWhenOpen(d)
	}
	if inst.ln != nil {
		inst.ln.serve(func(r instanceRequest) error { return deliver(view, r) },
			func(format string, args ...any) { fmt.Fprintf(stderr, "sealpost: "+format+"\n", args...) })
		defer inst.ln.Close()
	}
	// SIGINT and SIGTERM quit the app as closing its window does: drafts
	// are kept and the profile locks.
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(signals)
	go func() {
		<-signals
		fyne.Do(view.Quit)
	}()
	desktop.Run()
	return 0
}

// instance is this start's place in the single-instance scheme: the
// socket's path, and the listener when this start is the first.
type instance struct {
	path string
	ln   *instanceListener
}

// claimInstance listens on the profile's single-instance socket, or
// returns errInstanceRunning with the socket's path when another app
// answers there.
func claimInstance(profileDir string) (instance, error) {
	path, err := instanceSocketPath(profileDir)
	if err != nil {
		return instance{}, err
	}
	ln, err := listenInstance(path)
	return instance{path: path, ln: ln}, err
}

// deliver carries out a request from a later start in the running app,
// on the UI goroutine.
func deliver(view *ui.App, r instanceRequest) error {
	switch r.kind {
	case requestMailto:
		d, err := mail.ParseMailto(r.link)
		if err != nil {
			return err
		}
		fyne.Do(func() { view.OpenMailto(d) })
	default:
		fyne.Do(view.Raise)
	}
	return nil
}
