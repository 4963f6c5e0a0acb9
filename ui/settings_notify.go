package ui

import (
	"context"
	"fmt"

	"fyne.io/fyne/v2"

	"github.com/sealpost/sealpost/mail/backend"
)

// notifyScan is how many of an inbox's newest messages are compared before
// and after a sync to find new mail.
const notifyScan = 500

// mailSync synchronises account (every account when empty), reporting
// progress, like backend.Backend.Sync.
type mailSync func(ctx context.Context, account string, progress func(backend.SyncProgress)) error

// newMailSync returns the sync the Sync button runs, with the user's
// current sync choices: it fetches mail and then sends a desktop
// notification about new unread mail in the inboxes. It is called on the
// UI goroutine; the function it returns runs off it.
func (ui *App) newMailSync() mailSync {
	prefs := ui.settingsOf().prefs
	src, _ := ui.backend.(backend.Events)
	live := src != nil && src.Live()
	return func(ctx context.Context, account string, progress func(backend.SyncProgress)) error {
		var before map[string]uint32
		if !live {
			before = ui.inboxMarks(ctx)
		}
		var err error
		if sb, ok := ui.backend.(backend.Settings); ok && !prefs.offlineBodies {
			err = sb.SyncWith(ctx, account, backend.SyncOptions{HeadersOnly: true}, progress)
		} else {
			err = ui.backend.Sync(ctx, account, progress)
		}
		if err != nil || live {
			return err // with sessions, new mail is notified from their events
		}
		if n := newMailNotification(ui.newMail(ctx, before), prefs.privateNotifications); n != nil {
			ui.tasks.do(func() { ui.app.SendNotification(n) })
		}
		return nil
	}
}

// inboxMarks returns, per account, the highest UID in its inbox. Accounts
// whose inbox was never synchronised are left out: their first sync is not
// news.
func (ui *App) inboxMarks(ctx context.Context) map[string]uint32 {
	marks := map[string]uint32{}
	accounts, err := ui.backend.Accounts(ctx)
	if err != nil {
		return marks
	}
	for _, a := range accounts {
		msgs, err := ui.backend.Messages(ctx, a.Email, "INBOX", notifyScan)
		if err != nil || len(msgs) == 0 {
			continue
		}
		for _, m := range msgs {
			marks[a.Email] = max(marks[a.Email], m.UID)
		}
	}
	return marks
}

// newMail lists the unread inbox messages above the marks, newest first.
func (ui *App) newMail(ctx context.Context, marks map[string]uint32) []backend.MessageSummary {
	var fresh []backend.MessageSummary
	for account, mark := range marks {
		msgs, err := ui.backend.Messages(ctx, account, "INBOX", notifyScan)
		if err != nil {
			continue
		}
		for _, m := range msgs {
			if m.UID > mark && !m.Seen {
				fresh = append(fresh, m)
			}
		}
	}
	return fresh
}

// newMailNotification is the notification for fresh mail, nil for none.
// A private notification says only that mail came, never from whom or
// about what.
func newMailNotification(fresh []backend.MessageSummary, private bool) *fyne.Notification {
	switch {
	case len(fresh) == 0:
		return nil
	case private && len(fresh) == 1:
		return fyne.NewNotification("Sealpost", "New mail")
	case private:
		return fyne.NewNotification("Sealpost", fmt.Sprintf("New mail: %d messages", len(fresh)))
	}
	newest := fresh[0]
	for _, m := range fresh[1:] {
		if m.Date.After(newest.Date) {
			newest = m
		}
	}
	subject := newest.Subject
	if subject == "" {
		subject = "(no subject)"
	}
	title := "New mail from " + senderName(newest.From)
	if len(fresh) > 1 {
		title = fmt.Sprintf("%d new messages, the newest from %s", len(fresh), senderName(newest.From))
	}
	return fyne.NewNotification(title, subject)
}
