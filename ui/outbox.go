package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sealpost/sealpost/mail/backend"
)

// outboxTimeout bounds one Retry from the outbox window.
const outboxTimeout = 2 * time.Minute

// newOutboxButton returns the status bar's "Outbox (N)" button, hidden
// until loadOutbox finds waiting messages; nil when the backend has no
// outbox.
func (v *mainView) newOutboxButton() *widget.Button {
	if _, ok := v.ui.backend.(backend.Outbox); !ok {
		return nil
	}
	b := widget.NewButtonWithIcon("Outbox", theme.MailSendIcon(), v.showOutbox)
	b.Hide()
	return b
}

// loadOutbox reads the outbox off the UI goroutine and shows its size on
// the status bar's button (hidden when empty, marked when a message waits
// for the user) and in the outbox window when it is open; note, when not
// empty, goes to that window's status line.
func (v *mainView) loadOutbox(note string) {
	ob, ok := v.ui.backend.(backend.Outbox)
	if !ok {
		return
	}
	var items []backend.OutboxItem
	v.ui.tasks.run(v.ui.context(), func(ctx context.Context) (err error) { items, err = ob.Outbox(ctx); return err }, func(err error) {
		if v.ui.main != v {
			return // locked meanwhile
		}
		if err != nil {
			if v.outbox != nil {
				v.outbox.status.SetText(readable(fmt.Errorf("cannot list the outbox: %w", err)))
			}
			return
		}
		v.outboxButton.SetText(fmt.Sprintf("Outbox (%d)", len(items)))
		v.outboxButton.Importance = widget.MediumImportance
		for _, it := range items {
			if needsUser(it) {
				v.outboxButton.Importance = widget.WarningImportance
			}
		}
		if len(items) == 0 {
			v.outboxButton.Hide()
		} else {
			v.outboxButton.Show()
		}
		v.statusRight.Refresh() // lays the status bar out again around it
		if v.outbox != nil {
			v.outbox.show(items, note)
		}
	})
}

// keptInOutbox says in the status line that a message from the composer
// was not sent but waits in the outbox, with Open outbox (and Open
// settings when the account needs fixing).
func (v *mainView) keptInOutbox(err error) {
	v.notice.showError("Not sent yet: ", err, errorActions{settings: v.ui.showAccountSettings,
		extra: []noticeAction{{"Open outbox", v.showOutbox}}})
	v.loadOutbox("")
}

// needsUser reports whether it waits for the user's decision rather than
// for the next sync.
func needsUser(it backend.OutboxItem) bool {
	return it.State == backend.OutboxHeld || it.State == backend.OutboxUncertain
}

// outboxWindow lists the messages waiting in the outbox, with Retry and
// Discard for the selected one.
type outboxWindow struct {
	v      *mainView
	ob     backend.Outbox
	window fyne.Window
	// ctx ends when the window closes (locking closes it), stopping a
	// running Retry.
	ctx    context.Context
	cancel context.CancelFunc

	list     *widget.List
	items    []backend.OutboxItem
	selected int // -1 when none
	detail   *widget.Label
	status   *widget.Label
	progress *widget.ProgressBarInfinite
	busy     bool // a Retry or Discard runs

	retryButton, discardButton *widget.Button
	bar                        *fyne.Container // the buttons, laid out again when Retry's label changes
	// confirm is the open confirmation dialog, kept for tests.
	confirm dialog.Dialog
}

// showOutbox opens the outbox window, or brings the open one forward.
func (v *mainView) showOutbox() {
	if v.outbox != nil {
		v.outbox.window.RequestFocus()
		return
	}
	ob, ok := v.ui.backend.(backend.Outbox)
	if !ok {
		return
	}
	ow := &outboxWindow{v: v, ob: ob, selected: -1}
	ow.ctx, ow.cancel = context.WithCancel(context.Background())
	ow.window = v.ui.sideWindow("Outbox", func() {
		ow.cancel()
		if v.outbox == ow {
			v.outbox = nil
		}
	})
	ow.list = widget.NewList(func() int { return len(ow.items) },
		func() fyne.CanvasObject {
			title := widget.NewLabel("")
			title.TextStyle.Bold = true
			title.Truncation = fyne.TextTruncateEllipsis
			line := widget.NewLabel("")
			line.Truncation = fyne.TextTruncateEllipsis
			return container.NewVBox(title, line)
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			if i >= len(ow.items) {
				return
			}
			labels := o.(*fyne.Container).Objects
			title, line := outboxRow(ow.items[i], v.ui.now())
			labels[0].(*widget.Label).SetText(title)
			labels[1].(*widget.Label).SetText(line)
		})
	ow.list.OnSelected = func(i widget.ListItemID) { ow.selected = i; ow.update() }
	ow.list.OnUnselected = func(widget.ListItemID) { ow.selected = -1; ow.update() }
	ow.detail = widget.NewLabel("")
	ow.detail.Wrapping = fyne.TextWrapWord
	ow.status = widget.NewLabel("Reading the outbox…")
	ow.status.Wrapping = fyne.TextWrapWord
	ow.progress = widget.NewProgressBarInfinite()
	ow.progress.Stop()
	ow.progress.Hide()
	ow.retryButton = widget.NewButtonWithIcon("Retry", theme.MailSendIcon(), ow.askRetry)
	ow.retryButton.Importance = widget.HighImportance
	ow.discardButton = widget.NewButtonWithIcon("Discard…", theme.DeleteIcon(), ow.askDiscard)
	ow.bar = container.NewHBox(ow.retryButton, ow.discardButton, widget.NewButtonWithIcon("Refresh", theme.ViewRefreshIcon(), func() { v.loadOutbox("") }))
	split := container.NewVSplit(ow.list, container.NewVScroll(ow.detail))
	split.Offset = 0.6
	ow.window.SetContent(container.NewBorder(ow.bar, container.NewVBox(ow.progress, ow.status), nil, nil, split))
	fitWindow(ow.window, fyne.NewSize(640, 480))
	v.outbox = ow
	ow.update()
	ow.window.Show()
	v.loadOutbox("")
}

// show lists items, keeping the selected message selected while it is
// still queued, and shows note (or a summary when note is empty).
func (ow *outboxWindow) show(items []backend.OutboxItem, note string) {
	var keep string
	if ow.selected >= 0 && ow.selected < len(ow.items) {
		keep = ow.items[ow.selected].ID
	}
	ow.items = items
	ow.selected = -1
	ow.list.UnselectAll()
	for i, it := range items {
		if it.ID == keep {
			ow.list.Select(i) // sets selected through OnSelected
		}
	}
	ow.list.Refresh()
	ow.update()
	switch {
	case note != "":
		ow.status.SetText(note)
	case len(items) == 0:
		ow.status.SetText("The outbox is empty: everything you sent has gone out.")
	default:
		ow.status.SetText(plural(len(items), "message") + " waiting, sealed on this computer until the server accepts them. Select one to see why it waits.")
	}
}

// update shows the selected message's details and enables what can be
// done with it.
func (ow *outboxWindow) update() {
	it, ok := ow.current()
	if !ok || ow.busy {
		ow.retryButton.Disable()
		ow.discardButton.Disable()
	} else {
		ow.retryButton.Enable()
		ow.discardButton.Enable()
	}
	if !ok {
		ow.detail.SetText("")
		return
	}
	switch it.State {
	case backend.OutboxSent:
		ow.retryButton.SetText("Save copy")
	case backend.OutboxUncertain, backend.OutboxSending:
		ow.retryButton.SetText("Send again…")
	default:
		ow.retryButton.SetText("Retry")
	}
	ow.bar.Refresh()
	ow.detail.SetText(outboxDetail(it, ow.v.ui.now()))
}

// current is the selected message.
func (ow *outboxWindow) current() (backend.OutboxItem, bool) {
	if ow.selected < 0 || ow.selected >= len(ow.items) {
		return backend.OutboxItem{}, false
	}
	return ow.items[ow.selected], true
}

// askRetry sends the selected message again; when it may have been sent
// already, only after the user confirmed the risk of a duplicate.
func (ow *outboxWindow) askRetry() {
	it, ok := ow.current()
	if !ok || ow.busy {
		return
	}
	if it.State != backend.OutboxUncertain && it.State != backend.OutboxSending {
		ow.retry(it)
		return
	}
	ow.ask("Send again?",
		fmt.Sprintf("Sealpost cannot tell whether the server received “%s”: the connection ended while it was being sent. "+
			"The recipients may already have it, and sending it again may deliver it twice. "+
			"Check with a recipient or in your Sent folder first.", subjectOf(it)),
		"Send again", func() { ow.retry(it) })
}

// retry submits it now, showing progress and then the result.
func (ow *outboxWindow) retry(it backend.OutboxItem) {
	ow.start("Sending “" + subjectOf(it) + "”…")
	if it.State == backend.OutboxSent {
		ow.status.SetText("Saving the copy of “" + subjectOf(it) + "” in Sent…")
	}
	ow.v.ui.tasks.run(ow.v.ui.context(), func(context.Context) error {
		// The window's context, not the session's: see outboxWindow.ctx.
		ctx, cancel := context.WithTimeout(ow.ctx, outboxTimeout)
		defer cancel()
		return ow.ob.RetryOutbox(ctx, it.ID)
	}, func(err error) {
		var note string
		switch {
		case err == nil && it.State == backend.OutboxSent:
			note = "The copy of “" + subjectOf(it) + "” is saved in Sent."
		case err == nil:
			note = "Sent: “" + subjectOf(it) + "” is on its way."
		case errors.Is(err, backend.ErrNotInOutbox):
			note = readable(err)
		default:
			note = "Not sent: " + readable(err) + " It stays in the outbox."
		}
		ow.finish(note)
	})
}

// askDiscard asks before discarding the selected message.
func (ow *outboxWindow) askDiscard() {
	it, ok := ow.current()
	if !ok || ow.busy {
		return
	}
	text := fmt.Sprintf("Discard “%s” to %s? It will not be sent, and it is deleted from this computer. The audit trail records that you discarded it.",
		subjectOf(it), strings.Join(it.To, ", "))
	switch it.State {
	case backend.OutboxUncertain, backend.OutboxSending:
		text += " It may have been sent already: discarding cannot call it back."
	case backend.OutboxSent:
		text = fmt.Sprintf("“%s” was already sent; discarding only skips saving its copy in your Sent folder, and deletes it from this computer.", subjectOf(it))
	}
	ow.ask("Discard message", text, "Discard", func() { ow.discard(it) })
}

// discard deletes it from the outbox without sending it.
func (ow *outboxWindow) discard(it backend.OutboxItem) {
	ow.start("Discarding “" + subjectOf(it) + "”…")
	ow.v.ui.tasks.run(ow.v.ui.context(), func(ctx context.Context) error { return ow.ob.DiscardOutbox(ctx, it.ID) }, func(err error) {
		note := "Discarded: “" + subjectOf(it) + "” was not sent and is deleted from this computer."
		if it.State == backend.OutboxSent {
			note = "Discarded: “" + subjectOf(it) + "” was sent; its copy is not saved in Sent."
		}
		if err != nil {
			note = "Not discarded: " + readable(err)
		}
		ow.finish(note)
	})
}

// ask shows a confirmation with Cancel and a dangerous action button.
func (ow *outboxWindow) ask(title, text, action string, confirmed func()) {
	label := widget.NewLabel(text)
	label.Wrapping = fyne.TextWrapWord
	cancel := widget.NewButton("Cancel", func() { ow.confirm.Hide() })
	do := widget.NewButton(action, func() {
		ow.confirm.Hide()
		confirmed()
	})
	do.Importance = widget.DangerImportance
	content := container.NewVBox(label, container.NewHBox(cancel, do))
	ow.confirm = dialog.NewCustomWithoutButtons(title, content, ow.window)
	ow.confirm.Resize(fyne.NewSize(480, content.MinSize().Height+100))
	ow.confirm.Show()
}

// start shows that a Retry or Discard runs.
func (ow *outboxWindow) start(text string) {
	ow.busy = true
	ow.update()
	ow.status.SetText(text)
	ow.progress.Show()
	ow.progress.Start()
}

// finish ends a Retry or Discard: the outbox is read again, for this
// window and the main window's button, and note is shown.
func (ow *outboxWindow) finish(note string) {
	ow.busy = false
	ow.progress.Stop()
	ow.progress.Hide()
	ow.status.SetText(note)
	ow.update()
	ow.v.loadOutbox(note)
}

// subjectOf is the message's subject as the outbox knows it.
func subjectOf(it backend.OutboxItem) string {
	switch strings.TrimSpace(it.Subject) {
	case "":
		return "(no subject)"
	case "[...]":
		return "[...] (subject encrypted)"
	}
	return it.Subject
}

// outboxRow is a message's two lines in the list: its subject, then to
// whom, from which account, when it was queued and its state in a word.
func outboxRow(it backend.OutboxItem, now time.Time) (title, line string) {
	state := map[string]string{
		backend.OutboxWaiting:   "waiting",
		backend.OutboxHeld:      "held: needs you",
		backend.OutboxUncertain: "may have been sent: needs you",
		backend.OutboxSending:   "sending",
		backend.OutboxSent:      "sent, copy not saved",
	}[it.State]
	if state == "" {
		state = it.State
	}
	line = fmt.Sprintf("To %s · from %s · queued %s · %s", recipients(it.To), it.Account, shortTime(it.Queued.Local(), now), state)
	if it.Attempts > 0 {
		line += " · " + plural(it.Attempts, "attempt")
	}
	return subjectOf(it), line
}

func recipients(to []string) string {
	if len(to) == 0 {
		return "nobody"
	}
	return strings.Join(to, ", ")
}

// outboxDetail says in words where the message stands, what happens next
// and why the last attempt failed.
func outboxDetail(it backend.OutboxItem, now time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "“%s” to %s, from %s, queued %s.\n\n", subjectOf(it), recipients(it.To), it.Account, shortTime(it.Queued.Local(), now))
	next := "the next Sync tries again"
	if it.NextTry.After(now) {
		next = "the next Sync after " + shortTime(it.NextTry.Local(), now) + " tries again"
	}
	switch it.State {
	case backend.OutboxWaiting:
		if it.Attempts == 0 {
			b.WriteString("Not sent yet: " + next + ", or press Retry to send it now.")
		} else {
			fmt.Fprintf(&b, "Not sent yet (%s failed): %s, or press Retry to send it now.", plural(it.Attempts, "attempt"), next)
		}
	case backend.OutboxHeld:
		b.WriteString("Held: the error below needs fixing first (an address, the account's password or settings), " +
			"so it is not retried by itself. Then press Retry, or Discard it.")
	case backend.OutboxUncertain:
		b.WriteString("May have been sent: the connection ended while the server was receiving it. Sealpost never sends it again " +
			"by itself. Check with a recipient or in your Sent folder: if it arrived, Discard it; if not, Retry, " +
			"knowing that the recipients may get it twice.")
	case backend.OutboxSending:
		b.WriteString("Being sent now. If Sealpost stopped while sending it, it may have gone out: the next Sync marks it " +
			"as uncertain, and it is never sent again without you.")
	case backend.OutboxSent:
		b.WriteString("Sent: the server accepted it. Only saving its copy in your Sent folder failed; " + next +
			", or press Save copy.")
	}
	if it.LastError != "" {
		b.WriteString("\n\nLast error: " + plainError(it.LastError))
	}
	return b.String()
}

// plainError says what a recorded submission error means for the common
// network failures, keeping the original text for the provider.
func plainError(text string) string {
	switch lower := strings.ToLower(text); {
	case strings.Contains(lower, "connection refused"), strings.Contains(lower, "no such host"),
		strings.Contains(lower, "network is unreachable"), strings.Contains(lower, "i/o timeout"):
		return "The mail server could not be reached: check your connection and the account's server settings (" +
			strings.TrimSuffix(text, ".") + ")."
	}
	return readable(errors.New(text))
}
