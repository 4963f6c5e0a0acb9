package ui

import (
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sealpost/sealpost/mail/backend"
)

// serverLater ends every action's status: actions change the local copy at
// once and reach the server with the next sync (the engine queues them, so
// they work offline and never wait for the network).
const serverLater = "; the server is updated on the next sync."

// forwardShortcut is Ctrl+Shift+F (Cmd+Shift+F on macOS).
var forwardShortcut = &desktop.CustomShortcut{KeyName: fyne.KeyF, Modifier: fyne.KeyModifierShortcutDefault | fyne.KeyModifierShift}

// messageActions are the toolbar actions on the selected message: delete,
// read/unread, flag, move and forward, plus marking a message read when it
// is opened. They exist only when the backend offers backend.Actions.
type messageActions struct {
	v   *mainView
	api backend.Actions

	deleteButton, readButton, flagButton, moveButton, forwardButton *widget.Button

	// picker is the folder choice of the open Move dialog.
	picker       *widget.Select
	pickerDialog dialog.Dialog
}

// newMessageActions returns the actions of v, or nil when the backend
// cannot act on messages.
func newMessageActions(v *mainView) *messageActions {
	api, ok := v.ui.backend.(backend.Actions)
	if !ok {
		return nil
	}
	a := &messageActions{v: v, api: api}
	a.deleteButton = widget.NewButtonWithIcon("Delete", theme.DeleteIcon(), a.delete)
	a.readButton = widget.NewButtonWithIcon("Mark unread", unreadIcon, a.toggleRead)
	a.flagButton = widget.NewButtonWithIcon("Flag", flagIcon, a.toggleFlag)
	a.moveButton = widget.NewButtonWithIcon("Move…", theme.FolderIcon(), a.showMovePicker)
	a.forwardButton = widget.NewButtonWithIcon("Forward", theme.MailForwardIcon(), a.forward)
	a.update()
	return a
}

// above puts the actions' buttons in a bar above the reader; without
// actions it returns the reader alone.
func (a *messageActions) above(reader fyne.CanvasObject) fyne.CanvasObject {
	if a == nil {
		return reader
	}
	bar := container.NewHBox(a.forwardButton, a.deleteButton, a.readButton, a.flagButton, a.moveButton)
	return container.NewBorder(bar, nil, nil, nil, reader)
}

// bind installs the keyboard shortcuts: Del deletes (when no text field
// has the focus), Ctrl+Shift+F forwards.
func (a *messageActions) bind(c fyne.Canvas) {
	if a == nil {
		return
	}
	c.SetOnTypedKey(func(e *fyne.KeyEvent) {
		if e.Name == fyne.KeyDelete {
			a.delete()
		}
	})
	c.AddShortcut(forwardShortcut, func(fyne.Shortcut) { a.forward() })
}

// unbind removes what bind installed.
func (a *messageActions) unbind(c fyne.Canvas) {
	if a == nil {
		return
	}
	c.SetOnTypedKey(nil)
	c.RemoveShortcut(forwardShortcut)
}

// selected is the list's current state of the open message; false when
// none is open or it is no longer listed.
func (a *messageActions) selected() (backend.MessageSummary, bool) {
	o := a.v.opened
	if o == nil {
		return backend.MessageSummary{}, false
	}
	i := a.v.rows.index(o.Account, o.Folder, o.UID)
	if i < 0 {
		return backend.MessageSummary{}, false
	}
	return a.v.rows.all[i], true
}

// update enables the buttons and names the toggles after the open
// message's state.
func (a *messageActions) update() {
	if a == nil {
		return
	}
	m, ok := a.selected()
	for _, b := range []*widget.Button{a.deleteButton, a.readButton, a.flagButton, a.moveButton, a.forwardButton} {
		if ok {
			b.Enable()
		} else {
			b.Disable()
		}
	}
	if m.Seen || !ok {
		a.readButton.SetText("Mark unread")
		a.readButton.SetIcon(unreadIcon)
	} else {
		a.readButton.SetText("Mark read")
		a.readButton.SetIcon(theme.ConfirmIcon())
	}
	if m.Flagged {
		a.flagButton.SetText("Unflag")
	} else {
		a.flagButton.SetText("Flag")
	}
}

// opened is called when a message is opened: it marks it read.
func (a *messageActions) opened(m backend.MessageSummary) {
	if a == nil {
		return
	}
	a.update()
	if !m.Seen {
		a.setRead(m, true, "")
	}
}

// readWord is "read" or "unread".
func readWord(read bool) string {
	if read {
		return "read"
	}
	return "unread"
}

func (a *messageActions) toggleRead() {
	if m, ok := a.selected(); ok {
		a.setRead(m, !m.Seen, "Marked as "+readWord(!m.Seen)+serverLater)
	}
}

// setRead marks m read or unread and, when the engine agreed, updates its
// row, the folder's unread count and status (unless status is empty).
func (a *messageActions) setRead(m backend.MessageSummary, read bool, status string) {
	a.v.ui.tasks.run(func() error {
		return a.api.MarkRead(m.Account, m.Folder, []uint32{m.UID}, read)
	}, func(err error) {
		if err != nil {
			a.v.status.SetText("Cannot mark the message " + readWord(read) + ": " + readable(err))
			return
		}
		if a.v.rows.change(m.Account, m.Folder, m.UID, func(s *backend.MessageSummary) { s.Seen = read }) {
			node := m.Account + folderSep + m.Folder
			if read {
				a.v.unread[node]--
			} else {
				a.v.unread[node]++
			}
			a.v.tree.RefreshItem(node)
			a.v.ui.updateTray()
		}
		a.v.list.Refresh()
		a.update()
		if status != "" {
			a.v.status.SetText(status)
		}
	})
}

func (a *messageActions) toggleFlag() {
	m, ok := a.selected()
	if !ok {
		return
	}
	flagged := !m.Flagged
	a.v.ui.tasks.run(func() error {
		return a.api.SetFlagged(m.Account, m.Folder, []uint32{m.UID}, flagged)
	}, func(err error) {
		if err != nil {
			a.v.status.SetText("Cannot change the flag: " + readable(err))
			return
		}
		a.v.rows.change(m.Account, m.Folder, m.UID, func(s *backend.MessageSummary) { s.Flagged = flagged })
		a.v.list.Refresh()
		a.update()
		if flagged {
			a.v.status.SetText("Flagged" + serverLater)
		} else {
			a.v.status.SetText("Unflagged" + serverLater)
		}
	})
}

// delete moves the open message to the Trash (or deletes it from the
// Trash for good).
func (a *messageActions) delete() {
	m, ok := a.selected()
	if !ok {
		return
	}
	a.v.ui.tasks.run(func() error {
		return a.api.Delete(m.Account, m.Folder, []uint32{m.UID})
	}, func(err error) {
		if err != nil {
			a.v.status.SetText("Cannot delete the message: " + readable(err))
			return
		}
		a.removed(m, "Deleted"+serverLater)
	})
}

// moveTargets are the folders the open message can move to.
func (a *messageActions) moveTargets(m backend.MessageSummary) []string {
	var names []string
	for _, f := range a.v.folders[m.Account] {
		if f.Name != m.Folder {
			names = append(names, f.Name)
		}
	}
	return names
}

// showMovePicker asks which folder to move the open message to.
func (a *messageActions) showMovePicker() {
	m, ok := a.selected()
	if !ok {
		return
	}
	targets := a.moveTargets(m)
	if len(targets) == 0 {
		a.v.status.SetText("There is no other folder to move to: sync to load the account's folders.")
		return
	}
	a.picker = widget.NewSelect(targets, nil)
	a.picker.PlaceHolder = "Choose a folder"
	a.pickerDialog = dialog.NewCustomConfirm("Move to folder", "Move", "Cancel",
		container.NewVBox(widget.NewLabel("Move “"+m.Subject+"” to:"), a.picker), a.confirmMove, a.v.ui.window)
	a.pickerDialog.Show()
}

// confirmMove closes the picker; on ok it moves the open message to the
// chosen folder.
func (a *messageActions) confirmMove(ok bool) {
	dest := a.picker.Selected
	a.picker, a.pickerDialog = nil, nil
	m, open := a.selected()
	if !ok || !open {
		return
	}
	if dest == "" {
		a.v.status.SetText("Nothing was moved: choose a folder first.")
		return
	}
	a.v.ui.tasks.run(func() error {
		return a.api.Move(m.Account, m.Folder, []uint32{m.UID}, dest)
	}, func(err error) {
		if err != nil {
			a.v.status.SetText("Cannot move the message: " + readable(err))
			return
		}
		a.removed(m, "Moved to "+folderTitle(dest)+serverLater)
	})
}

// removed takes m out of the list after a delete or move, closes it in the
// reader and reloads the folder from the store.
func (a *messageActions) removed(m backend.MessageSummary, status string) {
	v := a.v
	if o := v.opened; o != nil && o.Account == m.Account && o.Folder == m.Folder && o.UID == m.UID {
		v.opened, v.message = nil, nil
		v.replyButton.Disable()
		v.replyAllButton.Disable()
		clearReader(v.reader)
	}
	a.update()
	if v.account == m.Account && v.folder == m.Folder {
		var msgs []backend.MessageSummary
		v.ui.tasks.run(func() (err error) {
			msgs, err = v.ui.backend.Messages(m.Account, m.Folder, listLimit)
			return err
		}, func(err error) {
			if err != nil || v.account != m.Account || v.folder != m.Folder {
				return // the status below stays; the list reloads with the next folder change
			}
			v.list.UnselectAll()
			v.rows.set(msgs)
			unread := 0
			for _, s := range msgs {
				if !s.Seen {
					unread++
				}
			}
			v.unread[m.Account+folderSep+m.Folder] = unread
			v.tree.RefreshItem(m.Account + folderSep + m.Folder)
			v.ui.updateTray()
			v.list.Refresh()
		})
	}
	v.status.SetText(status)
}

// clearReader empties the reader after its message went away.
func clearReader(r *reader) {
	r.bar.clear()
	r.subject.SetText("")
	r.from.SetText("")
	r.body.SetText("")
	r.attachments.Hide()
	r.placeholder.SetText("Select a message to read it.")
	r.placeholder.Show()
	r.object.Refresh()
}

// forward opens a composer with the open message's text, prepared by the
// engine. A forward of an encrypted message starts with Encrypt on and
// touched, so it cannot go out in the clear without the composer's
// explicit password-or-plain choice.
func (a *messageActions) forward() {
	m, ok := a.selected()
	if !ok {
		return
	}
	var f backend.Forward
	a.v.ui.tasks.run(func() (err error) {
		f, err = a.api.Forward(m.Account, m.Folder, m.UID)
		return err
	}, func(err error) {
		if err != nil {
			a.v.status.SetText("Cannot forward: " + readable(err))
			return
		}
		a.v.compose(&f.Draft)
		c := a.v.lastComposer
		var notes []string
		if f.Security == backend.ModeEncrypt {
			c.encrypt.SetChecked(true)
			notes = append(notes, "The original was encrypted, so this forward is encrypted too.")
		}
		if len(f.Warnings) > 0 {
			notes = append(notes, "Check before sending: "+strings.Join(f.Warnings, "; ")+".")
		}
		if len(notes) > 0 {
			c.status.SetText(strings.Join(notes, " "))
		}
	})
}

// index returns the position in all of a message, or -1.
func (l *messageList) index(account, folder string, uid uint32) int {
	return slices.IndexFunc(l.all, func(s backend.MessageSummary) bool {
		return s.UID == uid && s.Folder == folder && s.Account == account
	})
}

// change applies f to a loaded message and reports whether it changed its
// read state.
func (l *messageList) change(account, folder string, uid uint32, f func(*backend.MessageSummary)) bool {
	i := l.index(account, folder, uid)
	if i < 0 {
		return false
	}
	seen := l.all[i].Seen
	f(&l.all[i])
	return l.all[i].Seen != seen
}
