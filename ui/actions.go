package ui

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

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

// messageActions are the toolbar actions on the selected messages: delete,
// read/unread, flag, move and forward (one message), plus marking a
// message read when it is opened. They exist only when the backend offers
// backend.Actions.
type messageActions struct {
	v   *mainView
	api backend.Actions

	deleteButton, readButton, flagButton, moveButton, forwardButton *widget.Button

	// picker is the folder choice of the open Move dialog, moving the
	// messages it was opened for.
	picker       *widget.Select
	pickerDialog dialog.Dialog
	moving       []backend.MessageSummary

	// pending is the delete that can still be undone (see delete), nil
	// when none; undoWindow replaces the undo window (tests).
	pending    *pendingDelete
	undoWindow time.Duration
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
	bar := newToolbar(nil, a.forwardButton, a.deleteButton, a.readButton, a.flagButton, a.moveButton) // extra buttons go into "⋯" when narrow
	return container.NewBorder(bar, nil, nil, nil, reader)
}

// bind installs Ctrl+Shift+F, which forwards, and Shift with the arrows,
// which extends the selection (Del is the main view's, see listKey); like every key that acts on messages it does nothing while a
// dialog is shown or a text field has the focus.
func (a *messageActions) bind(c fyne.Canvas) {
	if a == nil {
		return
	}
	c.AddShortcut(forwardShortcut, func(fyne.Shortcut) {
		if a.v.keysFree() {
			a.forward()
		}
	})
	for _, k := range extendKeys {
		c.AddShortcut(k, func(fyne.Shortcut) { a.v.extendSelection(k) })
	}
}

// unbind removes what bind installed.
func (a *messageActions) unbind(c fyne.Canvas) {
	if a == nil {
		return
	}
	c.RemoveShortcut(forwardShortcut)
	for _, k := range extendKeys {
		c.RemoveShortcut(k)
	}
}

// targets are the messages the actions apply to: the selected rows, in
// list order.
func (a *messageActions) targets() []backend.MessageSummary { return a.v.rows.selection() }

// update enables the buttons and names the toggles after the targets'
// state: Mark read when any is unread, Flag when any is not flagged.
func (a *messageActions) update() {
	if a == nil {
		return
	}
	ms := a.targets()
	for _, b := range []*widget.Button{a.deleteButton, a.readButton, a.flagButton, a.moveButton} {
		enable(b, len(ms) > 0)
	}
	enable(a.forwardButton, len(ms) == 1)
	anyUnread := slices.ContainsFunc(ms, func(m backend.MessageSummary) bool { return !m.Seen })
	anyUnflagged := slices.ContainsFunc(ms, func(m backend.MessageSummary) bool { return !m.Flagged })
	if anyUnread {
		a.readButton.SetText("Mark read")
		a.readButton.SetIcon(theme.ConfirmIcon())
	} else {
		a.readButton.SetText("Mark unread")
		a.readButton.SetIcon(unreadIcon)
	}
	if anyUnflagged || len(ms) == 0 {
		a.flagButton.SetText("Flag")
	} else {
		a.flagButton.SetText("Unflag")
	}
	a.v.ui.menu.refresh() // the Message menu follows the buttons
}

func enable(b *widget.Button, on bool) {
	if on {
		b.Enable()
	} else {
		b.Disable()
	}
}

// opened is called when a message is opened: it marks it read.
func (a *messageActions) opened(m backend.MessageSummary) {
	if a == nil {
		return
	}
	a.update()
	if !m.Seen {
		a.setRead([]backend.MessageSummary{m}, true, "")
	}
}

// readWord is "read" or "unread".
func readWord(read bool) string {
	if read {
		return "read"
	}
	return "unread"
}

// counted is what an action's status says it did: "Flagged" for one
// message, "Flagged 3 messages" for several.
func counted(verb string, n int, rest string) string {
	if n == 1 {
		return verb + rest
	}
	return fmt.Sprintf("%s %d messages%s", verb, n, rest)
}

// folderGroup is the messages of one folder of one account: the engine
// acts on one folder per call.
type folderGroup struct {
	account, folder string
	msgs            []backend.MessageSummary
}

func (g folderGroup) uids() []uint32 {
	out := make([]uint32, len(g.msgs))
	for i, m := range g.msgs {
		out[i] = m.UID
	}
	return out
}

// byFolder groups ms by account and folder, in order of first appearance.
func byFolder(ms []backend.MessageSummary) []folderGroup {
	var groups []folderGroup
	for _, m := range ms {
		i := slices.IndexFunc(groups, func(g folderGroup) bool { return g.account == m.Account && g.folder == m.Folder })
		if i < 0 {
			groups = append(groups, folderGroup{account: m.Account, folder: m.Folder})
			i = len(groups) - 1
		}
		groups[i].msgs = append(groups[i].msgs, m)
	}
	return groups
}

// apply runs act on every folder group of ms off the UI goroutine, then
// done with the messages of the groups it succeeded for and the first
// error (later groups are not tried after one fails).
func (a *messageActions) apply(ms []backend.MessageSummary, act func(context.Context, folderGroup) error, done func(changed []backend.MessageSummary, err error)) {
	groups := byFolder(ms)
	var changed []backend.MessageSummary
	a.v.ui.tasks.run(a.v.ui.context(), func(ctx context.Context) error {
		for _, g := range groups {
			if err := act(ctx, g); err != nil {
				return fmt.Errorf("%s: %w", folderTitle(g.folder), err)
			}
			changed = append(changed, g.msgs...)
		}
		return nil
	}, func(err error) { done(changed, err) })
}

func (a *messageActions) toggleRead() {
	ms := a.targets()
	if len(ms) == 0 {
		return
	}
	read := slices.ContainsFunc(ms, func(m backend.MessageSummary) bool { return !m.Seen })
	a.setRead(ms, read, counted("Marked", len(ms), " as "+readWord(read)+serverLater))
}

// setRead marks ms read or unread and, for those the engine changed,
// updates their rows, their folders' unread counts and status (unless
// status is empty).
func (a *messageActions) setRead(ms []backend.MessageSummary, read bool, status string) {
	a.apply(ms, func(ctx context.Context, g folderGroup) error {
		return a.api.MarkRead(ctx, g.account, g.folder, g.uids(), read)
	}, func(changed []backend.MessageSummary, err error) {
		v := a.v
		for _, m := range v.rows.changeAll(changed, func(s *backend.MessageSummary) { s.Seen = read }) {
			node := m.Account + folderSep + m.Folder
			if _, counted := v.unread[node]; !counted {
				continue // a folder not loaded yet counts when it is opened
			}
			if read {
				v.unread[node]--
			} else {
				v.unread[node]++
			}
			v.tree.RefreshItem(node)
		}
		v.ui.updateTray()
		v.list.Refresh()
		a.update()
		switch {
		case err != nil:
			v.status.SetText("Cannot mark the messages " + readWord(read) + ": " + readable(err))
		case status != "":
			v.status.SetText(status)
		}
	})
}

func (a *messageActions) toggleFlag() {
	ms := a.targets()
	if len(ms) == 0 {
		return
	}
	flagged := slices.ContainsFunc(ms, func(m backend.MessageSummary) bool { return !m.Flagged })
	a.apply(ms, func(ctx context.Context, g folderGroup) error {
		return a.api.SetFlagged(ctx, g.account, g.folder, g.uids(), flagged)
	}, func(changed []backend.MessageSummary, err error) {
		a.v.rows.changeAll(changed, func(s *backend.MessageSummary) { s.Flagged = flagged })
		a.v.list.Refresh()
		a.update()
		switch {
		case err != nil:
			a.v.status.SetText("Cannot change the flag: " + readable(err))
		case flagged:
			a.v.status.SetText(counted("Flagged", len(ms), serverLater))
		default:
			a.v.status.SetText(counted("Unflagged", len(ms), serverLater))
		}
	})
}

// moveTargets are the folders ms can move to: the folders every one of
// their accounts has, less the folder when they all are in it.
func (a *messageActions) moveTargets(ms []backend.MessageSummary) []string {
	groups := byFolder(ms)
	var names []string
	for _, f := range a.v.folders[ms[0].Account] {
		if len(groups) == 1 && f.Name == groups[0].folder {
			continue
		}
		inAll := true
		for _, g := range groups {
			inAll = inAll && slices.ContainsFunc(a.v.folders[g.account], func(o backend.Folder) bool { return o.Name == f.Name })
		}
		if inAll {
			names = append(names, f.Name)
		}
	}
	return names
}

// showMovePicker asks which folder to move the selected messages to.
func (a *messageActions) showMovePicker() {
	ms := a.targets()
	if len(ms) == 0 {
		return
	}
	targets := a.moveTargets(ms)
	if len(targets) == 0 {
		a.v.status.SetText("There is no other folder to move to: sync to load the accounts' folders.")
		return
	}
	a.moving = ms
	a.picker = widget.NewSelect(targets, nil)
	a.picker.PlaceHolder = "Choose a folder"
	what := "“" + ms[0].Subject + "”"
	if len(ms) > 1 {
		what = plural(len(ms), "message")
	}
	a.pickerDialog = dialog.NewCustomConfirm("Move to folder", "Move", "Cancel",
		container.NewVBox(widget.NewLabel("Move "+what+" to:"), a.picker), a.confirmMove, a.v.ui.window)
	a.pickerDialog.Show()
}

// confirmMove closes the picker; on ok it moves the messages to the chosen
// folder (those already in it stay).
func (a *messageActions) confirmMove(ok bool) {
	dest, ms := a.picker.Selected, a.moving
	a.picker, a.pickerDialog, a.moving = nil, nil, nil
	if !ok || len(ms) == 0 {
		return
	}
	if dest == "" {
		a.v.status.SetText("Nothing was moved: choose a folder first.")
		return
	}
	ms = slices.DeleteFunc(ms, func(m backend.MessageSummary) bool { return m.Folder == dest })
	a.apply(ms, func(ctx context.Context, g folderGroup) error {
		return a.api.Move(ctx, g.account, g.folder, g.uids(), dest)
	}, func(changed []backend.MessageSummary, err error) {
		status := counted("Moved", len(changed), " to "+folderTitle(dest)+serverLater)
		if err != nil {
			status = "Cannot move the messages: " + readable(err)
		}
		a.removed(changed, status)
	})
}

// removed takes ms out of the list after a delete or move, closes the
// reader when it showed one of them and reloads the open folder from the
// store.
func (a *messageActions) removed(ms []backend.MessageSummary, status string) {
	v := a.v
	gone := make(map[msgKey]bool, len(ms))
	for _, m := range ms {
		gone[keyOf(m)] = true
		if node := m.Account + folderSep + m.Folder; !m.Seen {
			if _, counted := v.unread[node]; counted {
				v.unread[node]--
				v.tree.RefreshItem(node)
			}
		}
	}
	if o := v.opened; o != nil && gone[keyOf(*o)] {
		v.closeMessage("Select a message to read it.")
	}
	v.rows.remove(gone)
	v.list.Refresh()
	a.update()
	v.ui.updateTray()
	v.status.SetText(status)
	if v.inResults || len(ms) == 0 {
		return
	}
	account, folder := v.account, v.folder
	var msgs []backend.MessageSummary
	v.ui.tasks.run(v.ui.context(), func(ctx context.Context) (err error) {
		msgs, err = v.ui.backend.Messages(ctx, account, folder, listLimit)
		return err
	}, func(err error) {
		if err != nil || v.ui.main != v || v.account != account || v.folder != folder || v.inResults {
			return // the status above stays; the list reloads with the next folder change
		}
		v.setRows(msgs)
		unread := 0
		for _, s := range msgs {
			if !s.Seen {
				unread++
			}
		}
		v.unread[account+folderSep+folder] = unread
		v.tree.RefreshItem(account + folderSep + folder)
		v.ui.updateTray()
		a.update()
	})
}

// forward opens a composer with the text of the selected message (one
// only), prepared by the engine. A forward of an encrypted message starts with Encrypt on and
// touched, so it cannot go out in the clear without the composer's
// explicit password-or-plain choice.
func (a *messageActions) forward() {
	ms := a.targets()
	if len(ms) != 1 {
		return
	}
	m := ms[0]
	var f backend.Reply
	a.v.ui.tasks.run(a.v.ui.context(), func(ctx context.Context) (err error) {
		f, err = a.api.Forward(ctx, m.Account, m.Folder, m.UID)
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
			c.requireEncryption()
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

// changeAll applies f to the loaded messages among ms, in one pass, and
// returns those whose read state it changed.
func (l *messageList) changeAll(ms []backend.MessageSummary, f func(*backend.MessageSummary)) []backend.MessageSummary {
	keys := make(map[msgKey]bool, len(ms))
	for _, m := range ms {
		keys[keyOf(m)] = true
	}
	var seenChanged []backend.MessageSummary
	for i := range l.all {
		if !keys[keyOf(l.all[i])] {
			continue
		}
		seen := l.all[i].Seen
		f(&l.all[i])
		if l.all[i].Seen != seen {
			seenChanged = append(seenChanged, l.all[i])
		}
	}
	return seenChanged
}
