package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/sealpost/sealpost/mail"
	"github.com/sealpost/sealpost/mail/backend"
)

// cmdWatch runs the sessions the app runs, headless: it fetches mail as it
// arrives, sends what waits in the outbox, and prints each event until it
// is interrupted (Ctrl+C or SIGTERM), which is a normal end (exit 0).
func cmdWatch(ctx context.Context, env *cliEnv, args []string) error {
	fs := env.flags("watch")
	account := fs.String("account", "", "print only the events of this account (every account is kept up to date)")
	asJSON := fs.Bool("json", false, "print each event as one JSON object per line (see docs/cli.md)")
	check := fs.Duration("check-interval", 0, "how often to check the folders other than INBOX (default: the profile's setting, 5m)")
	if err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	if *check < 0 {
		return fmt.Errorf("%w: --check-interval must not be negative", errUsage)
	}
	e, err := env.openEngine(ctx, &mail.SessionOptions{CheckInterval: *check}, func(e *mail.Engine) <-chan backend.Event {
		return e.Subscribe(ctx)
	})
	if err != nil {
		return err
	}
	defer e.engine.Lock()
	accounts, err := e.engine.Accounts(ctx)
	if err != nil {
		return err
	}
	if len(accounts) == 0 {
		return mail.ErrNoAccounts
	}
	want := strings.ToLower(strings.TrimSpace(*account))
	if want != "" && !hasAccount(accounts, want) {
		return fmt.Errorf("%s: %w", *account, mail.ErrNoAccount)
	}
	for ev := range e.events {
		if want != "" && ev.Account != "" && ev.Account != want {
			continue
		}
		if err := printEvent(env.out, ev, *asJSON); err != nil {
			return err
		}
	}
	return nil // ctx ended: interrupted
}

func hasAccount(accounts []backend.Account, email string) bool {
	for _, a := range accounts {
		if strings.EqualFold(a.Email, email) {
			return true
		}
	}
	return false
}

// liveEngine is an unlocked engine that runs sessions, with the events
// subscribed to before it was unlocked.
type liveEngine struct {
	engine *mail.Engine
	events <-chan backend.Event
}

// openEngine unlocks the profile in an engine that runs sessions with
// opts; subscribe is called before the unlock so no event is missed.
func (env *cliEnv) openEngine(ctx context.Context, opts *mail.SessionOptions, subscribe func(*mail.Engine) <-chan backend.Event) (liveEngine, error) {
	dir, pass, err := env.unlockInput()
	if err != nil {
		return liveEngine{}, err
	}
	popts := env.profileOptions()
	popts.Sessions = opts
	e := mail.NewEngine(dir, popts)
	events := subscribe(e)
	if err := e.Unlock(ctx, pass); err != nil {
		return liveEngine{}, err
	}
	return liveEngine{engine: e, events: events}, nil
}

// printEvent writes ev as one JSON line, or as one line of text.
func printEvent(w io.Writer, ev backend.Event, asJSON bool) error {
	if asJSON {
		data, err := json.Marshal(ev)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", data)
		return err
	}
	_, err := fmt.Fprintf(w, "%s %s\n", ev.Time.Local().Format(time.TimeOnly), eventText(ev))
	return err
}

// eventText says what ev reports, in words.
func eventText(ev backend.Event) string {
	who := ev.Account
	if who == "" {
		who = "sealpost"
	}
	var s string
	switch ev.Kind {
	case backend.EventNewMail:
		s = fmt.Sprintf("%s: %s in %s", who, plural(ev.Count, "new message"), ev.Folder)
		if ev.FirstSync {
			s += " (first sync)"
		}
	case backend.EventFolderChanged:
		s = fmt.Sprintf("%s: %s changed", who, ev.Folder)
	case backend.EventFoldersChanged:
		s = fmt.Sprintf("%s: the folder list changed", who)
	case backend.EventProgress:
		s = fmt.Sprintf("%s: %s %d/%d", who, ev.Folder, ev.Done, ev.Total)
	case backend.EventConnection:
		s = fmt.Sprintf("%s: %s", who, ev.State)
		if ev.Message != "" {
			s += ": " + ev.Message
		}
		if ev.RetrySeconds > 0 {
			s += fmt.Sprintf(" (retrying in %d s)", ev.RetrySeconds)
		}
	case backend.EventMessageChecked:
		s = who + ": DKIM checked again for message"
		for _, uid := range ev.UIDs {
			s += fmt.Sprintf(" %d", uid)
		}
		s += " in " + ev.Folder
	case backend.EventOutbox:
		s = fmt.Sprintf("outbox: %s waiting", plural(ev.Count, "message"))
		if ev.Message != "" {
			s += ": " + ev.Message
		}
	default: // error, warning
		s = fmt.Sprintf("%s: %s: %s", who, ev.Kind, ev.Message)
	}
	if ev.Missed > 0 {
		s += fmt.Sprintf(" (%d earlier events were dropped)", ev.Missed)
	}
	return strings.ReplaceAll(s, "\n", "; ")
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
