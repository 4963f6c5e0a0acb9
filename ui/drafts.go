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

// autosaveDelay is how long after the last change a composer with unsaved
// changes saves its draft.
const autosaveDelay = 30 * time.Second

// draftTimeout bounds one save (sealing here and uploading to the Drafts
// folder) or deletion; the local part never waits for the network.
const draftTimeout = time.Minute

// draftState is a composer's saved-draft state.
type draftState struct {
	// id and account name the saved draft; empty until the first save.
	id, account string
	// ready is set once the composer is built: changes before are the
	// message it was opened with, not edits.
	ready bool
	// dirty means there are changes since the last save; edits counts the
	// changes, so that a save knows whether it saved the latest.
	dirty  bool
	edits  int
	saving bool
	// sent means the message went to the outbox: its draft goes, also
	// when a save of it is still running.
	sent bool
	// after starts the autosave timer and returns its stop function
	// (afterFunc; tests replace it); stop stops the running one.
	after func(time.Duration, func()) func() bool
	stop  func() bool

	saveButton *widget.Button
	// closeDialog asks what to do with unsaved changes on closing; its
	// buttons are kept for tests.
	closeDialog                      dialog.Dialog
	closeSave, closeDiscard, closeNo *widget.Button
	// list is the drafts window that opened this composer, refreshed after
	// a save, a send or a deletion.
	list *draftsWindow
}

// drafts returns the backend's drafts, or nil when it keeps none.
func (c *composer) drafts() backend.Drafts {
	d, _ := c.ui.backend.(backend.Drafts)
	return d
}

// changed records an edit and (re)starts the autosave timer.
func (c *composer) changed() {
	if !c.saved.ready || c.drafts() == nil {
		return
	}
	c.saved.dirty = true
	c.saved.edits++
	c.stopAutosave()
	c.saved.stop = c.saved.after(autosaveDelay, func() {
		c.ui.tasks.do(func() {
			if c.saved.dirty && !c.sending {
				c.saveDraft(nil)
			}
		})
	})
}

func (c *composer) stopAutosave() {
	if c.saved.stop != nil {
		c.saved.stop()
		c.saved.stop = nil
	}
}

// mode is the security mode the composer is set to, as a draft keeps it.
func (c *composer) mode() string {
	switch {
	case c.offer.Visible() && c.passwordRow.Visible():
		return backend.ModePassword
	case c.encrypt.Checked:
		return backend.ModeEncrypt
	case c.sign.Checked:
		return backend.ModeSign
	}
	return backend.ModePlain
}

// draftContent is the message as written, half-typed addresses included:
// unlike a message to send, a draft need not be complete.
func (c *composer) draftContent() backend.Draft {
	d := backend.Draft{Subject: c.subject.Text, Body: c.body.Text, InReplyTo: c.inReplyTo, References: c.references,
		Attachments: append([]backend.Attachment(nil), c.attached...)}
	for _, f := range []struct {
		entry *sendEntry
		dst   *[]string
	}{{c.to, &d.To}, {c.cc, &d.Cc}, {c.bcc, &d.Bcc}} {
		for _, ch := range parseRecipients(f.entry.Text) {
			*f.dst = append(*f.dst, ch.address)
		}
	}
	return d
}

// saveDraftNow is the Save draft action (button and Ctrl+S).
func (c *composer) saveDraftNow() { c.saveDraft(nil) }

// saveDraft saves the draft off the UI goroutine: sealed here, then to the
// Drafts folder. then, when set, runs after a save that at least kept the
// draft on this computer.
func (c *composer) saveDraft(then func()) {
	drafts := c.drafts()
	if drafts == nil || c.saved.saving || c.saved.sent {
		return
	}
	from := c.from.Selected
	if from == "" {
		c.status.SetText("There is no account to keep the draft in: add one with Add account.")
		return
	}
	c.stopAutosave()
	id, prevID, old := c.saved.id, c.saved.id, c.saved.account
	if old != "" && !strings.EqualFold(old, from) {
		id = "" // the draft moves to the other account
	}
	d, mode, edits := c.draftContent(), c.mode(), c.saved.edits
	c.saved.saving = true
	var newID string
	ctx, cancel := c.ui.sessionContext(draftTimeout)
	// Cancel stops the upload; the draft is kept on this computer all the
	// same and goes to the server with the next sync.
	c.notice.working("Saving the draft…", cancel)
	c.ui.tasks.run(ctx, func(ctx context.Context) (err error) {
		defer cancel()
		newID, err = drafts.SaveDraft(ctx, from, id, d, mode)
		if err == nil || errors.Is(err, backend.ErrDraftNotUploaded) {
			if id != prevID {
				// The copy kept under the previous account goes.
				if derr := drafts.DeleteDraft(ctx, old, prevID); derr != nil && !errors.Is(derr, backend.ErrDraftCopyKept) {
					err = errors.Join(err, derr)
				}
			}
		}
		return err
	}, func(err error) {
		c.saved.saving = false
		c.notice.clear()
		if newID == "" {
			c.status.SetText(readable(fmt.Errorf("the draft was not saved: %w", err)))
			return
		}
		c.saved.id, c.saved.account = newID, from
		if c.saved.sent { // sent while this save ran: the draft goes
			c.deleteSentDraft()
			return
		}
		if edits == c.saved.edits {
			c.saved.dirty = false
		}
		switch {
		case errors.Is(err, backend.ErrDraftNotUploaded):
			c.status.SetText("Draft saved on this computer; it goes to the Drafts folder with the next sync.")
		case err != nil:
			c.status.SetText(readable(fmt.Errorf("draft saved, but: %w", err)))
		default:
			c.status.SetText("Draft saved, encrypted, here and in the Drafts folder.")
		}
		c.saved.list.reload()
		if then != nil {
			then()
		}
	})
}

// deleteSentDraft deletes the draft of a message that was sent.
func (c *composer) deleteSentDraft() {
	drafts, id, account, list := c.drafts(), c.saved.id, c.saved.account, c.saved.list
	c.saved.sent = true
	c.stopAutosave()
	c.saved.dirty = false
	if drafts == nil || id == "" || c.saved.saving {
		return // nothing saved yet, or the running save deletes it when done
	}
	c.saved.id = ""
	ctx, cancel := c.ui.sessionContext(draftTimeout)
	c.ui.tasks.run(ctx, func(ctx context.Context) error {
		defer cancel()
		return drafts.DeleteDraft(ctx, account, id)
	}, func(err error) {
		if err != nil && !errors.Is(err, backend.ErrDraftCopyKept) {
			c.status.SetText(readable(fmt.Errorf("sent, but its draft could not be deleted: %w", err)))
		}
		list.reload()
	})
}

// requestClose is the window's close intercept: with unsaved changes it
// asks whether to save them as a draft.
func (c *composer) requestClose() {
	if !c.saved.dirty || c.drafts() == nil || c.sending {
		c.window.Close()
		return
	}
	text := widget.NewLabel("This message has changes that are not saved. Save it as a draft to continue later?")
	text.Wrapping = fyne.TextWrapWord
	c.saved.closeNo = widget.NewButton("Cancel", func() { c.saved.closeDialog.Hide() })
	c.saved.closeDiscard = widget.NewButton("Discard", func() {
		c.saved.closeDialog.Hide()
		c.saved.dirty = false
		c.window.Close()
	})
	c.saved.closeSave = widget.NewButtonWithIcon("Save draft", theme.DocumentSaveIcon(), func() {
		c.saved.closeDialog.Hide()
		c.saveDraft(c.window.Close)
	})
	c.saved.closeSave.Importance = widget.HighImportance
	content := container.NewVBox(text, container.NewHBox(c.saved.closeNo, c.saved.closeDiscard, c.saved.closeSave))
	c.saved.closeDialog = dialog.NewCustomWithoutButtons("Unsaved changes", content, c.window)
	c.saved.closeDialog.Resize(fyne.NewSize(460, content.MinSize().Height+80))
	c.saved.closeDialog.Show()
}

// continueDraft opens a composer on a saved draft: recipients, subject,
// text, attachments and the security mode as they were. A draft meant for
// a password asks for the password again (it is never kept).
func (ui *App) continueDraft(saved backend.SavedDraft, list *draftsWindow) *composer {
	var accounts []backend.Account
	if ui.main != nil {
		accounts = ui.main.accounts
	}
	c := ui.newComposer(accounts, saved.Account, saved.Draft)
	c.saved.id, c.saved.account, c.saved.list = saved.ID, saved.Account, list
	switch saved.Mode {
	case backend.ModeSign, backend.ModePlain, backend.ModePassword:
		c.encryptTouched = true
		c.encrypt.SetChecked(false)
		c.sign.SetChecked(saved.Mode == backend.ModeSign)
	}
	if saved.Mode == backend.ModePassword {
		c.showOffer("This draft is to be encrypted with a password: enter it again (Sealpost never keeps it).")
		c.askPassword()
	}
	c.saved.dirty = false
	return c
}

// draftsWindow lists the saved drafts of every account.
type draftsWindow struct {
	ui       *App
	window   fyne.Window
	list     *widget.List
	drafts   []backend.SavedDraft
	selected int // -1 when none
	status   *widget.Label

	openButton, deleteButton *widget.Button
	// confirm asks before deleting; kept for tests.
	confirm       dialog.Dialog
	confirmDelete *widget.Button
	// opened is the composer Open opened last, for tests.
	opened *composer
}

// showDrafts opens the drafts window and returns it; nil when the backend
// keeps no drafts.
func (ui *App) showDrafts() *draftsWindow {
	if _, ok := ui.backend.(backend.Drafts); !ok {
		return nil
	}
	dw := &draftsWindow{ui: ui, selected: -1}
	dw.window = ui.sideWindow("Drafts", func() {})
	dw.status = widget.NewLabel("")
	dw.status.Wrapping = fyne.TextWrapWord
	dw.list = widget.NewList(func() int { return len(dw.drafts) },
		func() fyne.CanvasObject {
			title := widget.NewLabel("")
			title.TextStyle.Bold = true
			title.Truncation = fyne.TextTruncateEllipsis
			detail := widget.NewLabel("")
			detail.Truncation = fyne.TextTruncateEllipsis
			return container.NewVBox(title, detail)
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			labels := o.(*fyne.Container).Objects
			title, detail := draftRow(dw.drafts[i], dw.ui.now())
			labels[0].(*widget.Label).SetText(title)
			labels[1].(*widget.Label).SetText(detail)
		})
	dw.list.OnSelected = func(i widget.ListItemID) { dw.selected = i; dw.openButton.Enable(); dw.deleteButton.Enable() }
	dw.list.OnUnselected = func(widget.ListItemID) { dw.selected = -1; dw.openButton.Disable(); dw.deleteButton.Disable() }
	dw.openButton = widget.NewButtonWithIcon("Open", theme.DocumentCreateIcon(), dw.open)
	dw.openButton.Importance = widget.HighImportance
	dw.deleteButton = widget.NewButtonWithIcon("Delete…", theme.DeleteIcon(), dw.askDelete)
	dw.openButton.Disable()
	dw.deleteButton.Disable()
	bar := container.NewHBox(dw.openButton, dw.deleteButton, widget.NewButtonWithIcon("Refresh", theme.ViewRefreshIcon(), dw.reload))
	dw.window.SetContent(container.NewBorder(bar, dw.status, nil, nil, dw.list))
	fitWindow(dw.window, fyne.NewSize(560, 420))
	dw.window.Show()
	dw.reload()
	return dw
}

// draftRow is a draft's two lines in the list: its subject, then whom it
// is for, from which account, when it was saved and whether it is only on
// this computer.
func draftRow(d backend.SavedDraft, now time.Time) (title, detail string) {
	title = d.Draft.Subject
	if strings.TrimSpace(title) == "" {
		title = "(no subject)"
	}
	to := strings.Join(append(append(append([]string{}, d.Draft.To...), d.Draft.Cc...), d.Draft.Bcc...), ", ")
	if to == "" {
		to = "no recipients yet"
	}
	detail = fmt.Sprintf("To %s · %s · saved %s", to, d.Account, shortTime(d.Saved.Local(), now))
	if !d.Uploaded {
		detail += " · not uploaded yet"
	}
	return title, detail
}

// shortTime writes t as the clock time today, else the date.
func shortTime(t, now time.Time) string {
	y1, m1, d1 := t.Date()
	y2, m2, d2 := now.Date()
	if y1 == y2 && m1 == m2 && d1 == d2 {
		return t.Format("15:04")
	}
	return t.Format("2 Jan 2006 15:04")
}

// reload lists the drafts again, off the UI goroutine. A nil window (the
// composer was not opened from one) does nothing.
func (dw *draftsWindow) reload() { dw.load("") }

// load lists the drafts again and then shows note, or how many there are
// when note is empty.
func (dw *draftsWindow) load(note string) {
	if dw == nil {
		return
	}
	drafts := dw.ui.backend.(backend.Drafts)
	var list []backend.SavedDraft
	dw.ui.tasks.run(dw.ui.context(), func(ctx context.Context) (err error) { list, err = drafts.Drafts(ctx, ""); return err }, func(err error) {
		if err != nil {
			dw.status.SetText(readable(fmt.Errorf("cannot list the drafts: %w", err)))
			return
		}
		dw.drafts = list
		dw.list.UnselectAll()
		dw.list.Refresh()
		switch {
		case note != "":
			dw.status.SetText(note)
		case len(list) == 0:
			dw.status.SetText("No drafts. Save draft in a message you are writing keeps it here.")
		default:
			dw.status.SetText(plural(len(list), "draft") + ", sealed on this computer and kept encrypted in each account's Drafts folder.")
		}
	})
}

// open continues the selected draft in a composer.
func (dw *draftsWindow) open() {
	if dw.selected < 0 || dw.selected >= len(dw.drafts) {
		return
	}
	sel := dw.drafts[dw.selected]
	drafts := dw.ui.backend.(backend.Drafts)
	var saved backend.SavedDraft
	dw.ui.tasks.run(dw.ui.context(), func(ctx context.Context) (err error) {
		saved, err = drafts.OpenDraft(ctx, sel.Account, sel.ID)
		return err
	}, func(err error) {
		if err != nil {
			dw.status.SetText(readable(fmt.Errorf("cannot open the draft: %w", err)))
			return
		}
		dw.opened = dw.ui.continueDraft(saved, dw)
	})
}

// askDelete asks for confirmation, then deletes the selected draft here
// and in the Drafts folder.
func (dw *draftsWindow) askDelete() {
	if dw.selected < 0 || dw.selected >= len(dw.drafts) {
		return
	}
	sel := dw.drafts[dw.selected]
	title, _ := draftRow(sel, dw.ui.now())
	text := widget.NewLabel(fmt.Sprintf("Delete the draft %q? It is deleted on this computer and in the Drafts folder of %s.", title, sel.Account))
	text.Wrapping = fyne.TextWrapWord
	cancel := widget.NewButton("Cancel", func() { dw.confirm.Hide() })
	dw.confirmDelete = widget.NewButtonWithIcon("Delete", theme.DeleteIcon(), func() {
		dw.confirm.Hide()
		dw.delete(sel)
	})
	dw.confirmDelete.Importance = widget.DangerImportance
	content := container.NewVBox(text, container.NewHBox(cancel, dw.confirmDelete))
	dw.confirm = dialog.NewCustomWithoutButtons("Delete draft", content, dw.window)
	dw.confirm.Resize(fyne.NewSize(440, content.MinSize().Height+80))
	dw.confirm.Show()
}

func (dw *draftsWindow) delete(d backend.SavedDraft) {
	drafts := dw.ui.backend.(backend.Drafts)
	dw.status.SetText("Deleting the draft…")
	ctx, cancel := dw.ui.sessionContext(draftTimeout)
	dw.ui.tasks.run(ctx, func(ctx context.Context) error {
		defer cancel()
		return drafts.DeleteDraft(ctx, d.Account, d.ID)
	}, func(err error) {
		note := ""
		if err != nil {
			note = readable(err)
		}
		dw.load(note)
	})
}

// unsavedDrafts collects, on the UI goroutine, what the open composers hold
// that is not saved yet, and returns the function that keeps it as drafts
// (sealed in the profile) off it, before the profile locks or the app
// quits. Locking does not wait for the network: the next sync uploads them.
func (ui *App) unsavedDrafts() func() (kept int, err error) {
	drafts, ok := ui.backend.(backend.Drafts)
	if !ok {
		return func() (int, error) { return 0, nil }
	}
	type unsaved struct {
		account, id, mode string
		draft             backend.Draft
	}
	var pending []unsaved
	for c := range ui.composers {
		account := c.from.Selected
		if !c.saved.dirty || c.sending || c.saved.sent || account == "" || (c.saved.saving && c.saved.id == "") {
			continue // nothing new, gone to the outbox, or its first save is running
		}
		id := c.saved.id
		if !strings.EqualFold(c.saved.account, account) {
			id = ""
		}
		pending = append(pending, unsaved{account: account, id: id, mode: c.mode(), draft: c.draftContent()})
		c.saved.dirty = false
	}
	return func() (kept int, err error) {
		offline, cancel := context.WithCancel(context.Background())
		cancel()
		for _, u := range pending {
			if _, serr := drafts.SaveDraft(offline, u.account, u.id, u.draft, u.mode); serr != nil && !errors.Is(serr, backend.ErrDraftNotUploaded) {
				err = errors.Join(err, serr)
				continue
			}
			kept++
		}
		return kept, err
	}
}
