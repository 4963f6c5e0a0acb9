package ui

import (
	"context"
	"time"

	"github.com/sealpost/sealpost/mail/backend"
)

// undoWindow is how long a delete can be undone.
const undoWindow = 10 * time.Second

// pendingDelete is a delete the user can still undo: its messages are gone
// from the list but not yet from the store or the server. It is done when
// the undo window ends, when another delete starts, or before the profile
// locks; until then nothing has changed, so Undo only shows them again.
type pendingDelete struct {
	msgs  []backend.MessageSummary
	keys  map[msgKey]bool
	timer *time.Timer
	text  string // the status it shows with Undo
}

// delete hides the selected messages and offers Undo; the messages move to
// the Trash (or, in the Trash, are deleted for good) when the undo window
// ends.
func (a *messageActions) delete() {
	ms := a.targets()
	if len(ms) == 0 {
		return
	}
	a.commitPending()
	p := &pendingDelete{msgs: ms, keys: make(map[msgKey]bool, len(ms))}
	for _, m := range ms {
		p.keys[keyOf(m)] = true
	}
	v := a.v
	v.rows.hide(p.keys)
	a.pending = p
	p.text = counted("Deleted", len(ms), ".")
	a.hidden(ms)
	v.notice.problem(p.text, noticeAction{"Undo", a.undo})
	window := a.undoWindow
	if window == 0 {
		window = undoWindow
	}
	p.timer = time.AfterFunc(window, func() {
		v.ui.tasks.do(func() {
			if a.pending == p {
				a.commitPending()
			}
		})
	})
}

// undo shows the messages of the pending delete again; nothing changed in
// the store, so the folder's counts are read again as they were.
func (a *messageActions) undo() {
	p := a.pending
	if p == nil {
		return
	}
	a.pending = nil
	p.timer.Stop()
	v := a.v
	v.rows.unhide(p.keys)
	v.list.Refresh()
	a.update()
	v.status.SetText(counted("Restored", len(p.msgs), "."))
	if !v.inResults && v.folder != "" {
		v.unread[v.shownNode()] = v.rows.unread()
		v.tree.RefreshItem(v.shownNode())
	}
	v.countsChanged("") // the other folders of search results
	v.ui.updateTray()
}

// commitPending does the pending delete now, if there is one.
func (a *messageActions) commitPending() {
	if a == nil || a.pending == nil {
		return
	}
	p := a.pending
	a.pending = nil
	p.timer.Stop()
	if a.v.status.Text == p.text {
		a.v.notice.clear() // Undo is over
	}
	a.apply(p.msgs, func(ctx context.Context, g folderGroup) error {
		return a.api.Delete(ctx, g.account, g.folder, g.uids())
	}, func(changed []backend.MessageSummary, err error) {
		a.v.rows.unhide(p.keys)
		status := counted("Deleted", len(changed), serverLater)
		if err != nil {
			status = "Cannot delete the messages: " + readable(err)
		}
		a.removed(changed, status)
	})
}

// takePending hands the pending delete over to whoever locks the profile:
// the returned function does it (off the UI goroutine) before the lock.
func (a *messageActions) takePending() func(ctx context.Context) {
	if a == nil || a.pending == nil {
		return func(context.Context) {}
	}
	p := a.pending
	a.pending = nil
	p.timer.Stop()
	return func(ctx context.Context) {
		for _, g := range byFolder(p.msgs) {
			// A failure leaves the messages where they were: nothing is
			// lost, and the user sees them again after unlocking.
			_ = a.api.Delete(ctx, g.account, g.folder, g.uids())
		}
	}
}

// hidden updates the view after ms left the list: the reader, the unread
// counts and the buttons.
func (a *messageActions) hidden(ms []backend.MessageSummary) {
	v := a.v
	for _, m := range ms {
		if node := m.Account + folderSep + m.Folder; !m.Seen {
			if _, counted := v.unread[node]; counted && v.unread[node] > 0 {
				v.unread[node]--
				v.tree.RefreshItem(node)
			}
		}
		if o := v.opened; o != nil && keyOf(*o) == keyOf(m) {
			v.closeMessage("Select a message to read it.")
		}
	}
	v.list.Refresh()
	a.update()
	v.ui.updateTray()
}

// hide takes the messages with keys out of the list until unhide, also
// when the folder is listed again meanwhile.
func (l *messageList) hide(keys map[msgKey]bool) {
	if l.hidden == nil {
		l.hidden = map[msgKey]bool{}
	}
	for k := range keys {
		l.hidden[k] = true
	}
	l.apply(l.query, false)
}

// unhide lists the messages with keys again.
func (l *messageList) unhide(keys map[msgKey]bool) {
	for k := range keys {
		delete(l.hidden, k)
	}
	l.apply(l.query, false)
}
