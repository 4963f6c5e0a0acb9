package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"fyne.io/fyne/v2"

	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail"
	"github.com/sealpost/sealpost/mail/demo"
)

// cmdDemo starts the in-process demo mail servers, makes a fresh demo
// profile for alice with mail from bob, and opens the app on it (or, with
// --no-gui, waits for SIGINT/SIGTERM). The servers stop when it returns.
func cmdDemo(ctx context.Context, env *cliEnv, args []string) error {
	fs := env.flags("demo")
	dir := fs.String("dir", ".demo-profile", "`folder` of the throwaway demo profile; it is removed and made afresh")
	noGUI := fs.Bool("no-gui", false, "set up, print the ports and wait for Ctrl-C instead of opening the app")
	if err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	if !*noGUI {
		if err := checkDisplay(); err != nil {
			return err // before setting up what the app would show
		}
	}
	abs, err := filepath.Abs(*dir)
	if err != nil {
		return fmt.Errorf("demo profile folder: %w", err)
	}
	if err := removeOldDemo(abs); err != nil {
		return err
	}
	passFile := env.passphraseFilePath()
	pass, err := env.newPassphrase(passFile, "demo profile passphrase")
	if err != nil {
		return err
	}
	if err := localstore.CheckPassphrase(pass); err != nil {
		return err
	}
	fmt.Fprintln(env.err, "Setting up the demo: servers, alice's and bob's keys and accounts, bob's messages…")
	d, err := demo.Setup(ctx, demo.Options{Dir: abs, Passphrase: pass})
	if err != nil {
		return fmt.Errorf("set up the demo: %w", err)
	}
	defer d.Close()
	printDemoHelp(env, d, passFile)
	if *noGUI {
		fmt.Fprintf(env.out, "imap %s:%d\nsmtp %s:%d\nprofile %s\n", demo.Host, d.Servers.IMAPPort, demo.Host, d.Servers.SMTPPort, abs)
		fmt.Fprintln(env.err, "The demo servers run until you press Ctrl-C.")
		<-ctx.Done()
		return d.Close()
	}
	// The app opens the profile named by SEALPOST_PROFILE: the same path as
	// a plain `sealpost`. Ctrl-C in the terminal closes the window.
	if err := os.Setenv("SEALPOST_PROFILE", abs); err != nil {
		return fmt.Errorf("point the app at the demo profile: %w", err)
	}
	guiDone := make(chan struct{})
	defer close(guiDone)
	go func() {
		select {
		case <-ctx.Done():
			if a := fyne.CurrentApp(); a != nil {
				fyne.Do(a.Quit)
			}
		case <-guiDone:
		}
	}()
	if code := runGUI(env.err); code != 0 {
		return fmt.Errorf("the app exited with status %d", code)
	}
	return d.Close()
}

// removeOldDemo removes the previous demo profile at dir. It refuses to
// remove a folder that is not a Sealpost profile.
func removeOldDemo(dir string) error {
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		return fmt.Errorf("demo profile folder: %w", err)
	}
	if !mail.ProfileExists(dir) {
		return fmt.Errorf("%s exists and is not a Sealpost profile; nothing was removed: choose another --dir", dir)
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("remove the previous demo profile: %w", err)
	}
	return nil
}

// printDemoHelp tells the user how to unlock the demo profile and what to try.
func printDemoHelp(env *cliEnv, d *demo.Demo, passFile string) {
	hint := "the passphrase you just chose"
	if passFile != "" {
		hint = "the passphrase in " + passFile
	}
	fmt.Fprintf(env.err, `
Sealpost demo is ready.
  Profile   %s (you are %s); unlock it with %s.
  Servers   IMAP %s:%d and SMTP %s:%d on this machine, TLS with a demo certificate
            that only the demo accounts trust (pinned: see the audit trail).
  Try this
    - Read bob's five messages: encrypted and signed with an attachment, signed,
      plain, one whose signature fails, and one whose subject only you can see.
    - Reply to "%s": the reply is encrypted to bob
      and arrives in his mailbox on the demo server.
  Everything lives only while this command runs; the next run starts afresh.

`, d.Dir, demo.Alice, hint, demo.Host, d.Servers.IMAPPort, demo.Host, d.Servers.SMTPPort, demo.Seeds()[0].Subject)
}
