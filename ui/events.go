package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/sealpost/sealpost/mail/backend"
)

// followEvents shows what the backend's sessions report while the main
// view is open: new mail (list refresh and notification), changed folders,
// progress, connection states, problems and the outbox. The events are
// read on their own goroutine and handled on the UI goroutine.
func (v *mainView) followEvents() {
	src, ok := v.ui.backend.(backend.Events)
	if !ok || !src.Live() {
		return
	}
	v.connection = widget.NewLabel("")
	v.connection.Importance = widget.LowImportance
	v.statusRight.Objects = append([]fyne.CanvasObject{v.connection}, v.statusRight.Objects...)
	v.connStates = src.ConnectionStates()
	v.showConnection()
	events := src.Subscribe(v.ui.session)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				v.ui.tasks.do(func() { v.status.SetText(readable(fmt.Errorf("%w: %v", errInternal, r))) })
			}
		}()
		for ev := range events {
			v.ui.tasks.do(func() { v.handleEvent(ev) })
		}
	}()
}

// handleEvent updates the view for one event (on the UI goroutine).
func (v *mainView) handleEvent(ev backend.Event) {
	if v.ui.main != v {
		return // locked meanwhile
	}
	if ev.Missed > 0 {
		// Events were lost: what is shown may be stale.
		v.reloadFolders(ev.Account)
		v.refreshFolder()
		if m := v.opened; m != nil {
			v.travelChecked(m.Account, m.Folder, []uint32{m.UID})
		}
	}
	switch ev.Kind {
	case backend.EventNewMail:
		if ev.Folder == "INBOX" && !ev.FirstSync {
			v.notifyNewMail(ev)
		}
		v.folderChanged(ev.Account, ev.Folder)
		v.folderCountChanged(ev.Account, ev.Folder)
	case backend.EventFolderChanged:
		v.folderChanged(ev.Account, ev.Folder)
		v.folderCountChanged(ev.Account, ev.Folder)
	case backend.EventFoldersChanged:
		v.reloadFolders(ev.Account)
		v.countsChanged(ev.Account)
	case backend.EventProgress:
		if v.syncing == nil { // a sync the user started shows its own progress
			v.showProgress(ev.Account, ev.Folder, ev.Done, ev.Total)
		}
	case backend.EventConnection:
		v.connStates[ev.Account] = ev
		switch ev.State {
		case backend.ConnStopped:
			delete(v.connStates, ev.Account)
		case backend.ConnOnline:
			if v.lastProblem != "" { // the problem is over
				v.lastProblem = ""
				v.notice.clear()
			}
		}
		v.showConnection()
	case backend.EventError:
		v.sessionProblem(ev)
	case backend.EventWarning:
		v.warnings = append(v.warnings, ev.Message)
		v.showSyncWarnings(slices.Clone(v.warnings))
	case backend.EventOutbox:
		v.loadOutbox("")
	case backend.EventMessageChecked:
		v.travelChecked(ev.Account, ev.Folder, ev.UIDs)
	}
}

// travelChecked shows the new travel record of the open message when a
// background check changed it (one of uids of folder in account); the
// panel stays open if it was. A message still being opened reads it again
// once it is shown.
func (v *mainView) travelChecked(account, folder string, uids []uint32) {
	src, ok := v.ui.backend.(backend.TravelReader)
	if !ok || v.opened == nil {
		return
	}
	m := *v.opened
	if !strings.EqualFold(m.Account, account) || m.Folder != folder || !slices.Contains(uids, m.UID) {
		return
	}
	if v.message == nil {
		v.travelStale = true
		return
	}
	var t *backend.Travel
	v.ui.tasks.run(v.ui.context(), func(ctx context.Context) (err error) {
		t, err = src.Travel(ctx, m.Account, m.Folder, m.UID)
		return err
	}, func(err error) {
		if err != nil || v.message == nil || v.opened == nil || keyOf(*v.opened) != keyOf(m) {
			return // the old record stays shown; another message was opened
		}
		v.message.Travel = t
		v.reader.travel.update(t)
	})
}

// showProgress shows how far the sync of a folder is in the status bar.
func (v *mainView) showProgress(account, folder string, done, total int) {
	if total > 0 {
		v.progress.SetValue(float64(done) / float64(total))
	}
	if done >= total {
		v.progress.Hide()
		v.showCount()
		return
	}
	v.progress.Show()
	v.status.SetText(fmt.Sprintf("Syncing %s of %s: %d / %d", folderTitle(folder), account, done, total))
}

// folderChanged reloads the folder when it is the one shown; a change in
// another folder is seen when it is opened.
func (v *mainView) folderChanged(account, folder string) {
	if !strings.EqualFold(account, v.account) || folder != v.folder {
		return
	}
	if _, known := v.folders[account]; known && !slices.ContainsFunc(v.folders[account], func(f backend.Folder) bool { return f.Name == folder }) {
		v.reloadFolders(account)
	}
	v.refreshFolder()
}

// refreshFolder loads the shown folder again in place: the selection, the
// scroll position and the open message stay, unless the message is gone.
func (v *mainView) refreshFolder() {
	account, folder := v.account, v.folder
	if folder == "" || v.inResults {
		return // search results stay until the user leaves them
	}
	v.loadFolder(account, folder, func(msgs []backend.MessageSummary) {
		if v.opened != nil && !slices.ContainsFunc(msgs, func(m backend.MessageSummary) bool { return m.UID == v.opened.UID }) {
			v.closeMessage("The message was moved or deleted.")
		}
		if v.syncing == nil && !v.progress.Visible() {
			v.showCount()
		}
	})
}

// reloadFolders reads the folder list of account (every account when
// empty) again.
func (v *mainView) reloadFolders(account string) {
	accounts := []string{account}
	if account == "" {
		accounts = accounts[:0]
		for _, a := range v.accounts {
			accounts = append(accounts, a.Email)
		}
	}
	lists := make(map[string][]backend.Folder, len(accounts))
	v.ui.tasks.run(v.ui.context(), func(ctx context.Context) error {
		for _, a := range accounts {
			fs, err := v.ui.backend.Folders(ctx, a)
			if err != nil {
				return err
			}
			lists[a] = fs
		}
		return nil
	}, func(err error) {
		if v.ui.main != v || err != nil {
			return
		}
		for a, fs := range lists {
			v.folders[a] = fs
		}
		v.tree.Refresh()
		v.tree.OpenAllBranches()
		if v.folder == "" && len(v.accounts) > 0 { // the first sync brought the first folders
			if fs := v.folders[v.accounts[0].Email]; len(fs) > 0 {
				v.tree.Select(v.accounts[0].Email + folderSep + fs[0].Name)
			}
		}
	})
}

// notifyNewMail sends the desktop notification for new inbox mail, naming
// sender and subject only when the user allowed it.
func (v *mainView) notifyNewMail(ev backend.Event) {
	private := v.ui.settingsOf().prefs.privateNotifications
	var fresh []backend.MessageSummary
	v.ui.tasks.run(v.ui.context(), func(ctx context.Context) error {
		msgs, err := v.ui.backend.Messages(ctx, ev.Account, "INBOX", max(notifyScan, len(ev.UIDs)))
		if err != nil {
			return err
		}
		for _, m := range msgs {
			if !m.Seen && (len(ev.UIDs) == 0 || slices.Contains(ev.UIDs, m.UID)) {
				fresh = append(fresh, m)
			}
		}
		return nil
	}, func(err error) {
		if err != nil || v.ui.main != v {
			return
		}
		if n := newMailNotification(fresh, private); n != nil {
			v.ui.app.SendNotification(n)
		}
	})
}

// showConnection says in the status bar how the accounts are connected:
// the first account with a problem, else whether all are online.
func (v *mainView) showConnection() {
	if v.connection == nil {
		return
	}
	accounts := make([]string, 0, len(v.connStates))
	for a := range v.connStates {
		accounts = append(accounts, a)
	}
	sort.Strings(accounts)
	text, importance := "", widget.LowImportance
	for _, a := range accounts {
		ev := v.connStates[a]
		switch ev.State {
		case backend.ConnOffline:
			text, importance = "Offline: "+a, widget.WarningImportance
			if ev.RetrySeconds > 0 {
				text += fmt.Sprintf(" (retrying in %s)", retryText(ev.RetrySeconds))
			}
		case backend.ConnConnecting:
			if importance != widget.WarningImportance {
				text = "Connecting: " + a + "…"
			}
		}
		if importance == widget.WarningImportance {
			break
		}
	}
	if text == "" && len(accounts) > 0 {
		text = "Online"
		if len(accounts) > 1 {
			text = fmt.Sprintf("Online (%d accounts)", len(accounts))
		}
	}
	v.connection.SetText(text)
	v.connection.Importance = importance
	v.connection.Refresh()
	v.statusRight.Refresh()
}

func retryText(seconds int) string {
	if seconds < 120 {
		return fmt.Sprintf("%d s", seconds)
	}
	return fmt.Sprintf("%d min", (seconds+59)/60)
}

// sessionProblem shows an error a session reported, once per distinct
// message, with Retry and, for a refused login or certificate, Settings.
func (v *mainView) sessionProblem(ev backend.Event) {
	if ev.Message == v.lastProblem || errors.Is(ev.Err, context.Canceled) {
		return
	}
	v.lastProblem = ev.Message
	prefix := ""
	if ev.Account != "" {
		prefix = ev.Account + ": "
	}
	err := ev.Err
	if err == nil {
		err = errors.New(ev.Message)
	}
	actions := errorActions{retry: v.sync, retryAlways: true, settings: v.ui.showAccountSettings}
	if account := ev.Account; account != "" {
		actions.signIn = func() { v.ui.signInAgain(v.ui.window, account) }
	}
	v.notice.showError(prefix, err, actions)
}
