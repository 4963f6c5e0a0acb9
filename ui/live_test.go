package ui

import (
	"slices"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/sealpost/sealpost/mail"
	"github.com/sealpost/sealpost/mail/backend"
	"github.com/sealpost/sealpost/mail/mailtest"
)

// waitUntil runs the app's updates as they come until cond holds, failing
// the test after within.
func waitUntil(t *testing.T, app *App, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	for {
		app.tasks.wait()
		if cond() {
			return
		}
		select {
		case <-app.tasks.queuedSignal:
		case <-deadline.C:
			t.Fatalf("%s: not within %v", what, within)
		}
	}
}

// TestMailArrivesInTheRunningApp: with the engine's sessions running (as
// the app runs them), mail delivered to the server appears in the open
// inbox within five seconds, with nobody pressing Sync, and the status bar
// says the account is online; against the in-process servers and against
// Dovecot and Postfix.
func TestMailArrivesInTheRunningApp(t *testing.T) {
	for _, kind := range mailtest.Kinds() {
		t.Run(kind, func(t *testing.T) { mailArrivesInTheRunningApp(t, kind) })
	}
}

func mailArrivesInTheRunningApp(t *testing.T, kind string) {
	test.NewTempApp(t)
	srv := mailtest.StartKind(t, kind)
	e := mailtest.NewEngine(t, srv, srv.Alice, &mail.ProfileOptions{Sessions: &mail.SessionOptions{}})
	if err := e.Lock(); err != nil {
		t.Fatal(err)
	}
	app := newApp(e)
	test.Type(app.passphrase, mailtest.Passphrase)
	test.Tap(app.submit)
	waitUntil(t, app, time.Minute, "online with the inbox open", func() bool {
		v := app.main
		return v != nil && v.connection != nil && v.connection.Text == "Online" && v.folder == "INBOX"
	})
	srv.Deliver(t, srv.Bob, srv.Alice, mailtest.Message(srv.Bob, srv.Alice, "Arrives in the app", "Hello.\r\n"))
	waitUntil(t, app, 5*time.Second, "the new message listed", func() bool {
		return slices.ContainsFunc(app.main.rows.all, func(m backend.MessageSummary) bool { return m.Subject == "Arrives in the app" })
	})
	if got := app.main.unread[srv.Alice+folderSep+"INBOX"]; got != 1 {
		t.Errorf("unread in the inbox = %d, want 1", got)
	}
}
