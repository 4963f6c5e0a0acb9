package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sealpost/sealpost/mail/backend"
)

// listLimit is how many messages of a folder the list loads.
const listLimit = 100_000

// folderSep joins an account and a folder name into a tree node ID.
const folderSep = "\x00"

// mainView is the three-pane main window: accounts and folders, the
// message list, the reader; a toolbar above and a status bar below.
type mainView struct {
	ui *App

	accounts []backend.Account
	folders  map[string][]backend.Folder
	unread   map[string]int // tree node ID -> unread messages, for loaded folders
	tree     *widget.Tree

	rows   messageList
	list   *widget.List
	search *widget.Entry

	account, folder string
	opened          *backend.MessageSummary
	message         *backend.Message
	reader          *reader
	actions         *messageActions // nil when the backend cannot act on messages
	lastComposer    *composer

	newButton, replyButton, replyAllButton, syncButton *widget.Button
	keysButton, lockButton                             *widget.Button
	addAccountButton                                   *widget.Button

	progress *widget.ProgressBar
	status   *widget.Label
	syncing  context.CancelFunc
}

func (ui *App) showMain() {
	v := &mainView{ui: ui, folders: map[string][]backend.Folder{}, unread: map[string]int{}}
	ui.main = v
	ui.window.SetTitle("Sealpost")

	v.newButton = widget.NewButtonWithIcon("New", theme.MailComposeIcon(), func() { v.compose(nil) })
	v.replyButton = widget.NewButtonWithIcon("Reply", theme.MailReplyIcon(), func() { v.reply(false) })
	v.replyButton.Disable()
	v.replyAllButton = widget.NewButtonWithIcon("Reply all", theme.MailReplyAllIcon(), func() { v.reply(true) })
	v.replyAllButton.Disable()
	v.actions = newMessageActions(v)
	v.syncButton = widget.NewButtonWithIcon("Sync", theme.ViewRefreshIcon(), v.sync)
	v.keysButton = widget.NewButtonWithIcon("Keys", theme.AccountIcon(), ui.showKeyManager)
	v.lockButton = widget.NewButtonWithIcon("Lock", lockIcon, ui.lockAndWipe)
	v.addAccountButton = widget.NewButtonWithIcon("Add account", theme.ContentAddIcon(), func() { ui.showAccountSetup() })
	v.search = widget.NewEntry()
	v.search.SetPlaceHolder("Search loaded mail (Ctrl+F)")
	v.search.OnChanged = v.filter
	toolbar := container.NewBorder(nil, nil,
		container.NewHBox(v.newButton, v.replyButton, v.replyAllButton, v.syncButton, widget.NewSeparator(), v.keysButton, v.addAccountButton,
			widget.NewButtonWithIcon("Settings", theme.SettingsIcon(), ui.showSettings), v.lockButton), nil,
		v.search)

	v.tree = widget.NewTree(v.treeChildren, v.treeIsBranch,
		func(bool) fyne.CanvasObject { return widget.NewLabel("") },
		func(id widget.TreeNodeID, _ bool, o fyne.CanvasObject) {
			label := o.(*widget.Label)
			acct, folder, isFolder := strings.Cut(id, folderSep)
			label.TextStyle.Bold = !isFolder
			if isFolder {
				title := folderTitle(folder)
				if n := v.unread[id]; n > 0 {
					title += fmt.Sprintf(" (%d)", n)
				}
				label.SetText(title)
			} else {
				label.SetText(acct)
			}
		})
	v.tree.OnSelected = func(id widget.TreeNodeID) {
		if acct, folder, ok := strings.Cut(id, folderSep); ok {
			v.openFolder(acct, folder)
		}
	}

	v.list = widget.NewList(v.rows.len, newMessageRow, func(id widget.ListItemID, o fyne.CanvasObject) {
		if id < v.rows.len() {
			o.(*messageRow).show(v.rows.at(id), ui.now())
		}
	})
	v.list.OnSelected = v.openRow

	v.reader = newReader()
	v.progress = widget.NewProgressBar()
	v.progress.Hide()
	v.status = widget.NewLabel("")
	v.status.Truncation = fyne.TextTruncateEllipsis
	statusBar := container.NewBorder(nil, nil, nil, container.NewGridWrap(fyne.NewSize(220, v.progress.MinSize().Height), v.progress), v.status)

	right := container.NewHSplit(v.list, v.actions.above(v.reader.object))
	right.Offset = 0.4
	panes := container.NewHSplit(v.tree, right)
	panes.Offset = 0.18
	ui.window.SetContent(container.NewBorder(toolbar, statusBar, nil, nil, panes))

	c := ui.window.Canvas()
	for key, action := range map[fyne.KeyName]func(){
		fyne.KeyN: func() { v.compose(nil) },
		fyne.KeyR: func() { v.reply(false) },
		fyne.KeyF: func() { c.Focus(v.search) },
	} {
		c.AddShortcut(mainShortcut(key), func(fyne.Shortcut) { action() })
	}
	v.actions.bind(c)

	v.loadAccounts()
	ui.startAutoLock()
	ui.updateTray()
}

// lock closes the profile and returns to the unlock screen, dropping every
// decrypted view.
func (ui *App) lock() {
	if v := ui.main; v != nil && v.syncing != nil {
		v.syncing()
	}
	for _, w := range append([]fyne.Window(nil), ui.extra...) {
		w.Close()
	}
	ui.extra = nil
	if ui.main != nil {
		ui.main.actions.unbind(ui.window.Canvas())
	}
	ui.main = nil
	ui.updateTray()
	for _, key := range []fyne.KeyName{fyne.KeyN, fyne.KeyR, fyne.KeyF} {
		ui.window.Canvas().RemoveShortcut(mainShortcut(key))
	}
	ui.tasks.run(ui.backend.Lock, func(err error) {
		ui.showUnlock()
		if err != nil {
			ui.status.SetText(readable(err))
		}
	})
}

// mainShortcut is Ctrl (Cmd on macOS) with key.
func mainShortcut(key fyne.KeyName) *desktop.CustomShortcut {
	return &desktop.CustomShortcut{KeyName: key, Modifier: fyne.KeyModifierShortcutDefault}
}

func folderTitle(name string) string {
	if name == "INBOX" {
		return "Inbox"
	}
	return name
}

func (v *mainView) treeChildren(id widget.TreeNodeID) []widget.TreeNodeID {
	if id == "" {
		ids := make([]string, len(v.accounts))
		for i, a := range v.accounts {
			ids[i] = a.Email
		}
		return ids
	}
	var ids []string
	for _, f := range v.folders[id] {
		ids = append(ids, id+folderSep+f.Name)
	}
	return ids
}

func (v *mainView) treeIsBranch(id widget.TreeNodeID) bool {
	return !strings.Contains(id, folderSep)
}

// loadAccounts reads the accounts and their folders and opens the first
// account's inbox.
func (v *mainView) loadAccounts() {
	v.status.SetText("Loading accounts…")
	var accounts []backend.Account
	folders := map[string][]backend.Folder{}
	v.ui.tasks.run(func() error {
		var err error
		if accounts, err = v.ui.backend.Accounts(); err != nil {
			return err
		}
		for _, a := range accounts {
			if folders[a.Email], err = v.ui.backend.Folders(a.Email); err != nil {
				return err
			}
		}
		return nil
	}, func(err error) {
		if err != nil {
			v.status.SetText(readable(err))
			return
		}
		v.accounts, v.folders = accounts, folders
		v.tree.Refresh()
		if d := v.ui.pending; d != nil {
			v.ui.pending = nil
			v.compose(d)
		}
		if len(accounts) == 0 {
			v.status.SetText("No accounts yet: press Add account, then Sync.")
			return
		}
		v.status.SetText(plural(len(accounts), "account"))
		v.tree.OpenAllBranches()
		if v.folder != "" { // reloading after a sync: stay where the user is
			v.openFolder(v.account, v.folder)
			return
		}
		first := accounts[0].Email
		if fs := folders[first]; len(fs) > 0 {
			v.tree.Select(first + folderSep + fs[0].Name)
		} else {
			v.status.SetText("No mail synchronised yet: press Sync.")
		}
	})
}

// openFolder loads a folder's messages into the list.
func (v *mainView) openFolder(account, folder string) {
	v.account, v.folder = account, folder
	v.status.SetText("Loading " + folderTitle(folder) + "…")
	var msgs []backend.MessageSummary
	v.ui.tasks.run(func() (err error) {
		msgs, err = v.ui.backend.Messages(account, folder, listLimit)
		return err
	}, func(err error) {
		if v.account != account || v.folder != folder {
			return // another folder was chosen meanwhile
		}
		if err != nil {
			v.status.SetText(readable(err))
			return
		}
		v.list.UnselectAll()
		v.rows.set(msgs)
		v.actions.update()
		unread := 0
		for _, m := range msgs {
			if !m.Seen {
				unread++
			}
		}
		v.unread[account+folderSep+folder] = unread
		v.ui.updateTray()
		v.tree.RefreshItem(account + folderSep + folder)
		v.list.Refresh()
		v.list.ScrollToTop()
		v.showCount()
	})
}

func (v *mainView) showCount() {
	text := fmt.Sprintf("%s: %d messages", folderTitle(v.folder), len(v.rows.all))
	if v.rows.query != "" {
		text = fmt.Sprintf("%s: %d of %d messages match", folderTitle(v.folder), v.rows.len(), len(v.rows.all))
	}
	v.status.SetText(text)
}

func (v *mainView) filter(query string) {
	v.list.UnselectAll()
	v.rows.filter(query)
	v.list.Refresh()
	v.list.ScrollToTop()
	v.showCount()
}

// openRow opens the message of a list row in the reader.
func (v *mainView) openRow(id widget.ListItemID) {
	if id >= v.rows.len() {
		return
	}
	m := v.rows.at(id)
	v.opened = &m
	v.message = nil
	v.replyButton.Disable()
	v.replyAllButton.Disable()
	v.reader.loading(m)
	v.actions.opened(m)
	var msg backend.Message
	v.ui.tasks.run(func() (err error) {
		msg, err = v.ui.backend.Open(m.Account, m.Folder, m.UID)
		return err
	}, func(err error) {
		if v.opened == nil || *v.opened != m {
			return // another message was selected meanwhile
		}
		if err != nil {
			v.reader.failed(err)
			return
		}
		v.showMessage(msg)
	})
}

// showMessage puts an opened message in the reader.
func (v *mainView) showMessage(m backend.Message) {
	v.message = &m
	v.reader.show(m)
	v.replyButton.Enable()
	v.replyAllButton.Enable()
}

// reply opens a composer answering the open message, prepared by the
// engine (recipients, Reply-To, threading, a safe quote).
func (v *mainView) reply(all bool) {
	if v.message == nil || v.opened == nil {
		return
	}
	m := *v.opened
	var r backend.Reply
	v.ui.tasks.run(func() (err error) {
		r, err = v.ui.backend.Reply(m.Account, m.Folder, m.UID, all)
		return err
	}, func(err error) {
		if err != nil {
			v.status.SetText("Cannot reply: " + readable(err))
			return
		}
		v.compose(&r.Draft)
		if len(r.Warnings) > 0 {
			v.lastComposer.status.SetText("Check before sending: " + strings.Join(r.Warnings, "; ") + ".")
		}
	})
}

func (v *mainView) compose(d *backend.Draft) {
	if d == nil {
		d = &backend.Draft{}
	}
	c := v.ui.newComposer(v.accounts, v.account, *d)
	c.onSent = func() { v.status.SetText("Sent.") }
	v.lastComposer = c
}

// sync fetches new mail for every account, showing progress.
func (v *mainView) sync() {
	if v.syncing != nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	v.syncing = cancel
	v.syncButton.Disable()
	v.progress.SetValue(0)
	v.progress.Show()
	v.status.SetText("Syncing…")
	syncMail := v.ui.newMailSync()
	v.ui.tasks.run(func() error {
		return syncMail(ctx, "", func(p backend.SyncProgress) {
			v.ui.tasks.do(func() {
				if p.Total > 0 {
					v.progress.SetValue(float64(p.Done) / float64(p.Total))
				}
				v.status.SetText(fmt.Sprintf("Syncing %s of %s: %d / %d", folderTitle(p.Folder), p.Account, p.Done, p.Total))
			})
		})
	}, func(err error) {
		cancel()
		v.syncing = nil
		v.syncButton.Enable()
		v.progress.Hide()
		if err != nil && !errors.Is(err, context.Canceled) {
			v.status.SetText("Sync failed: " + readable(err))
			return
		}
		v.loadAccounts()
	})
}

// messageRow is one row of the message list.
type messageRow struct {
	widget.BaseWidget
	unread, flagged, lock, signed *widget.Icon
	sender, subject, date         *widget.Label
}

func newMessageRow() fyne.CanvasObject {
	r := &messageRow{
		unread: widget.NewIcon(nil), flagged: widget.NewIcon(nil), lock: widget.NewIcon(nil), signed: widget.NewIcon(nil),
		sender: widget.NewLabel(""), subject: widget.NewLabel(""), date: widget.NewLabel(""),
	}
	r.sender.Truncation = fyne.TextTruncateEllipsis
	r.subject.Truncation = fyne.TextTruncateEllipsis
	r.ExtendBaseWidget(r)
	return r
}

// CreateRenderer lays the row out: unread and flag markers in a column,
// then two lines: sender and date; subject and security icons.
func (r *messageRow) CreateRenderer() fyne.WidgetRenderer {
	markers := container.New(&rowLayout{}, container.NewCenter(r.unread), container.NewCenter(r.flagged))
	top := container.NewBorder(nil, nil, nil, r.date, r.sender)
	bottom := container.NewBorder(nil, nil, nil, container.NewHBox(r.lock, r.signed), r.subject)
	return widget.NewSimpleRenderer(container.NewBorder(nil, nil, markers, nil, container.New(&rowLayout{}, top, bottom)))
}

// rowLayout stacks a row's two lines without the extra padding of a VBox.
type rowLayout struct{}

// MinSize is the lines' height together, less one line's padding.
func (*rowLayout) MinSize(objects []fyne.CanvasObject) fyne.Size {
	var s fyne.Size
	for _, o := range objects {
		m := o.MinSize()
		s.Width = max(s.Width, m.Width)
		s.Height += m.Height
	}
	return s.SubtractWidthHeight(0, theme.Padding()*2)
}

// Layout gives every line an equal share of the height.
func (*rowLayout) Layout(objects []fyne.CanvasObject, size fyne.Size) {
	h := size.Height / float32(len(objects))
	for i, o := range objects {
		o.Move(fyne.NewPos(0, float32(i)*h))
		o.Resize(fyne.NewSize(size.Width, h))
	}
}

func (r *messageRow) show(m backend.MessageSummary, now time.Time) {
	r.unread.SetResource(pick(!m.Seen, unreadIcon))
	r.flagged.SetResource(pick(m.Flagged, flagIcon))
	r.lock.SetResource(pick(m.Encrypted, lockIcon))
	r.signed.SetResource(pick(m.Signed, signaturePresentIcon))
	r.sender.TextStyle.Bold = !m.Seen
	r.subject.TextStyle.Bold = !m.Seen
	r.sender.SetText(senderName(m.From))
	subject := m.Subject
	if subject == "" {
		subject = "(no subject)"
	}
	r.subject.SetText(subject)
	r.date.SetText(listDate(m.Date, now))
	r.Refresh() // the date's width changed: lay the row out again
}

func pick(on bool, r fyne.Resource) fyne.Resource {
	if on {
		return r
	}
	return nil
}
