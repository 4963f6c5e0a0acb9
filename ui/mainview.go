package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sealpost/sealpost/mail/backend"
)

// listLimit is how many messages of a folder the list loads.
const listLimit = 100_000

// folderSep joins an account and a folder name into a tree node ID.
const folderSep = "\x00"

// The search scopes offered next to the search box.
const (
	scopeFolder = "This folder"
	scopeAll    = "All folders"
)

// Where rows show their folder: not at all (one folder listed), the folder
// (results from several folders of one account), or account and folder.
const (
	whereNone = iota
	whereFolder
	whereAccount
)

// mainView is the three-pane main window: accounts and folders, the
// message list, the reader; a toolbar above and a status bar below.
type mainView struct {
	ui *App

	accounts []backend.Account
	folders  map[string][]backend.Folder
	unread   map[string]int // tree node ID -> unread messages, for loaded folders
	tree     *widget.Tree

	rows   messageList
	list   *messageListWidget
	search *searchEntry
	where  int // whereNone, whereFolder or whereAccount for the listed rows

	header *listHeader
	// views holds each folder's sort and threading (tree node ID ->
	// view); compact is the row density of every folder.
	views   map[string]listView
	compact bool
	// infos describes the folders (tree node ID -> role, counts) when the
	// backend manages folders; folderBar and folderForm are its buttons
	// under the tree and its open dialog.
	infos map[string]backend.FolderInfo
	// recounting holds the folders (tree node IDs) whose unread count is
	// being counted; true when they changed again meanwhile.
	recounting map[string]bool
	// stopOpening stops opening the message last opened (a download from
	// the server, in headers-only mode or for a large message) once
	// another message is opened or the reader closes.
	stopOpening context.CancelFunc
	// travelStale is set when a background check changed the travel
	// record of the message being opened: the reader reads it again once
	// the message is shown.
	travelStale bool
	folderBar   *folderBar
	folderForm  *folderForm

	// searcher searches the local cache (inside encrypted mail too); nil
	// when the backend cannot, and the search box filters the loaded
	// folder instead.
	searcher       backend.Search
	scope          *widget.Select      // scopeFolder or scopeAll; nil without searcher
	searchProgress *widget.ProgressBar // indexing progress; nil without searcher
	inResults      bool                // the list shows search results
	searchGen      int                 // the current search; older results are dropped
	searchCancel   context.CancelFunc  // stops the running search; nil when none runs

	account, folder string
	opened          *backend.MessageSummary
	message         *backend.Message
	reader          *reader
	actions         *messageActions // nil when the backend cannot act on messages
	lastComposer    *composer

	newButton, replyButton, replyAllButton, syncButton *widget.Button
	keysButton, lockButton                             *widget.Button
	addAccountButton                                   *widget.Button
	toolbar                                            *toolbar

	// outboxButton is "Outbox (N)" in the status bar, shown while
	// messages wait (nil when the backend has no outbox); outbox is its
	// window while open.
	outboxButton *widget.Button
	statusRight  *fyne.Container // the status bar's right side, laid out again when outboxButton shows or hides
	outbox       *outboxWindow

	progress *widget.ProgressBar
	status   *widget.Label
	notice   *notice // the status line with a problem's Retry / Open settings
	syncing  context.CancelFunc
	// syncWarnings is the dialog with the last sync's warnings; nil until
	// a sync warned.
	syncWarnings dialog.Dialog
	// warnings are those the sessions reported since the dialog was last
	// closed.
	warnings []string

	// connection says in the status bar how the accounts are connected;
	// nil when the backend has no sessions. connStates holds the latest
	// connection event of each account.
	connection  *widget.Label
	connStates  map[string]backend.Event
	lastProblem string // the session error shown last, so a retry does not repeat it
}

func (ui *App) showMain() {
	v := &mainView{ui: ui, folders: map[string][]backend.Folder{}, unread: map[string]int{},
		views: map[string]listView{}, infos: map[string]backend.FolderInfo{}, recounting: map[string]bool{}, stopOpening: func() {}}
	ui.main = v
	ui.session, ui.endSession = context.WithCancel(context.Background())
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
	v.search = newSearchEntry(v.escape)
	v.search.onGetMail = v.sync
	var searchBox fyne.CanvasObject = v.search
	v.searcher, _ = ui.backend.(backend.Search)
	if v.searcher != nil {
		v.search.SetPlaceHolder("Search mail, encrypted too (Ctrl+F)")
		v.search.OnChanged = v.searchChanged
		v.search.OnSubmitted = func(string) { v.runSearch() }
		v.scope = widget.NewSelect([]string{scopeFolder, scopeAll}, nil)
		v.scope.SetSelected(scopeFolder)
		v.scope.OnChanged = func(string) {
			if v.inResults {
				v.runSearch()
			}
		}
		v.searchProgress = widget.NewProgressBar()
		v.searchProgress.Hide()
		searchBox = container.NewBorder(nil, v.searchProgress, nil, v.scope, v.search)
	} else {
		v.search.SetPlaceHolder("Search loaded mail (Ctrl+F)")
		v.search.OnChanged = func(q string) {
			ui.sawInput()
			v.filter(q)
		}
	}
	buttons := container.NewHBox(v.newButton)
	if _, ok := ui.backend.(backend.Drafts); ok {
		buttons.Add(widget.NewButtonWithIcon("Drafts", theme.DocumentIcon(), func() { ui.showDrafts() }))
	}
	for _, b := range []fyne.CanvasObject{v.replyButton, v.replyAllButton, v.syncButton, widget.NewSeparator(), v.keysButton,
		v.addAccountButton, widget.NewButtonWithIcon("Settings", theme.SettingsIcon(), ui.showSettings), v.lockButton} {
		buttons.Add(b)
	}
	v.toolbar = newToolbar(searchBox, buttons.Objects...)

	v.tree = widget.NewTree(v.treeChildren, v.treeIsBranch,
		func(bool) fyne.CanvasObject { return newFolderNode(v.folderMenu) },
		func(id widget.TreeNodeID, _ bool, o fyne.CanvasObject) {
			label := o.(*folderNode)
			label.id = id
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
			v.leaveSearch(false)
			v.rows.unselect()
			v.openFolder(acct, folder)
		}
	}

	v.list = newMessageListWidget(v.rows.len, func() fyne.CanvasObject {
		r := newMessageRow(v.rowTapped, v.toggleThread)
		r.compact = v.compact // the list's row height follows this template
		return r
	},
		func(id widget.ListItemID, o fyne.CanvasObject) {
			if id < v.rows.len() {
				o.(*messageRow).show(id, v.rows.at(id), v.rowState(id))
			}
		}, v.typedKey)
	v.header = newListHeader(v.sortBy, v.toggleThreads, v.toggleCompact)
	v.header.show(defaultView, false, false)
	v.folderBar = v.newFolderBar()
	// The list's own selection (keyboard Space, Select in tests) is a
	// plain click; the selection itself lives in the view model.
	v.list.OnSelected = func(id widget.ListItemID) {
		v.list.Unselect(id)
		v.click(id, 0)
	}

	v.reader = newReader()
	v.reader.app, v.reader.onMessage = v.ui, func(open bool) { enable(v.replyButton, open); enable(v.replyAllButton, open) }
	v.progress = widget.NewProgressBar()
	v.progress.Hide()
	v.status = widget.NewLabel("")
	v.status.Truncation = fyne.TextTruncateEllipsis
	v.notice = newNotice(v.status, nil)
	v.notice.window = ui.window
	v.statusRight = container.NewHBox(container.NewGridWrap(fyne.NewSize(220, v.progress.MinSize().Height), v.progress))
	if v.outboxButton = v.newOutboxButton(); v.outboxButton != nil {
		v.statusRight.Objects = append([]fyne.CanvasObject{v.outboxButton}, v.statusRight.Objects...)
	}
	v.followEvents()
	statusBar := container.NewBorder(nil, nil, nil, v.statusRight, v.notice.content)

	right := container.NewHSplit(container.NewBorder(v.header, nil, nil, nil, v.list), v.actions.above(v.reader.object))
	right.Offset = 0.4
	panes := container.NewHSplit(container.NewBorder(nil, v.folderBar.object(), nil, nil, v.tree), right)
	panes.Offset = 0.18
	ui.window.SetContent(container.NewBorder(v.toolbar, statusBar, nil, nil, panes))

	c := ui.window.Canvas()
	ui.menu.bind(c)
	// Keys typed while nothing has the focus: F5, Del, and Esc to leave
	// search results.
	c.SetOnTypedKey(func(e *fyne.KeyEvent) { v.typedKey(e) })
	v.actions.bind(c)
	ui.menu.refresh()

	v.loadAccounts()
	ui.startAutoLock()
	ui.updateTray()
}

// lock closes the profile and returns to the unlock screen, dropping every
// decrypted view.
func (ui *App) lock() {
	keepDrafts := ui.unsavedDrafts()
	if ui.endSession != nil {
		ui.endSession()
		ui.session, ui.endSession = nil, nil
	}
	if v := ui.main; v != nil {
		if v.syncing != nil {
			v.syncing()
		}
		v.stopSearch()
	}
	for _, w := range append([]fyne.Window(nil), ui.extra...) {
		w.Close()
	}
	ui.extra = nil
	flushDelete := func(context.Context) {}
	if ui.main != nil {
		ui.main.actions.unbind(ui.window.Canvas())
		flushDelete = ui.main.actions.takePending()
	}
	ui.main = nil
	ui.updateTray()
	ui.menu.unbind(ui.window.Canvas())
	ui.menu.refresh()
	ui.window.Canvas().SetOnTypedKey(nil)
	var kept int
	var keepErr error
	ui.tasks.run(ui.context(), func(ctx context.Context) error {
		flushDelete(ctx) // a delete that could still be undone is done now
		kept, keepErr = keepDrafts()
		return ui.backend.Lock()
	}, func(err error) {
		ui.showUnlock()
		switch {
		case err != nil:
			ui.status.SetText(readable(err))
		case keepErr != nil:
			ui.status.SetText(readable(fmt.Errorf("a message you were writing could not be kept as a draft: %w", keepErr)))
		case kept > 0:
			ui.status.SetText(fmt.Sprintf("Locked. What you were writing is kept in Drafts (%s).", plural(kept, "message")))
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
	v.loadOutbox("")
	var accounts []backend.Account
	var emails []string
	folders := map[string][]backend.Folder{}
	var infos map[string]backend.FolderInfo
	v.ui.tasks.run(v.ui.context(), func(ctx context.Context) error {
		var err error
		if accounts, err = v.ui.backend.Accounts(ctx); err != nil {
			return err
		}
		for _, a := range accounts {
			if folders[a.Email], err = v.ui.backend.Folders(ctx, a.Email); err != nil {
				return err
			}
			emails = append(emails, a.Email)
		}
		infos, err = v.loadInfos(ctx, emails)
		return err
	}, func(err error) {
		if err != nil {
			v.status.SetText(readable(err))
			return
		}
		v.accounts, v.folders = accounts, folders
		v.showInfos(emails, infos)
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
			if !v.inResults { // search results stay until the user leaves them
				v.openFolder(v.account, v.folder)
			}
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
	if account != v.account || folder != v.folder {
		// Nothing of the folder left stays open or listed.
		v.closeMessage("Select a message to read it.")
		v.setRows(nil)
	}
	v.showFolderView(account, folder) // also after search results
	v.account, v.folder = account, folder
	v.folderBar.update(account, folder)
	v.status.SetText("Loading " + folderTitle(folder) + "…")
	v.loadFolder(account, folder, func([]backend.MessageSummary) {
		v.list.ScrollToTop()
		v.showCount()
	})
}

// loadFolder reads the messages of the folder shown and lists them,
// keeping the selection, then calls shown, unless the view moved on
// meanwhile (locked, another folder, a search).
func (v *mainView) loadFolder(account, folder string, shown func([]backend.MessageSummary)) {
	var msgs []backend.MessageSummary
	v.ui.tasks.run(v.ui.context(), func(ctx context.Context) (err error) {
		msgs, err = v.ui.backend.Messages(ctx, account, folder, listLimit)
		return err
	}, func(err error) {
		if v.ui.main != v || v.account != account || v.folder != folder || v.inResults {
			return // locked, or another folder or a search was chosen meanwhile
		}
		if err != nil {
			v.status.SetText(readable(err))
			return
		}
		v.setRows(msgs)
		v.actions.update()
		v.unread[account+folderSep+folder] = v.rows.unread()
		v.ui.updateTray()
		v.tree.RefreshItem(account + folderSep + folder)
		v.list.Refresh()
		shown(msgs)
	})
}

func (v *mainView) showCount() {
	if v.inResults {
		return // the search's own count stays
	}
	text := fmt.Sprintf("%s: %s", folderTitle(v.folder), plural(len(v.rows.all), "message"))
	if v.rows.query != "" {
		text = fmt.Sprintf("%s: %d of %d messages match", folderTitle(v.folder), v.rows.len(), len(v.rows.all))
	}
	v.status.SetText(text)
}

func (v *mainView) filter(query string) {
	v.rows.filter(query)
	v.list.Refresh()
	v.list.ScrollToTop()
	v.actions.update()
	v.showCount()
}

// setRows lists msgs, keeping the selection of those still listed, and
// decides whether rows name their folder.
func (v *mainView) setRows(msgs []backend.MessageSummary) {
	v.rows.set(msgs)
	switch folders, accounts := v.rows.spansFolders(); {
	case accounts:
		v.where = whereAccount
	case folders:
		v.where = whereFolder
	default:
		v.where = whereNone
	}
	v.list.Refresh()
}

// whereOf is the folder a row names, when the list spans folders.
func (v *mainView) whereOf(m backend.MessageSummary) string {
	switch v.where {
	case whereFolder:
		return folderTitle(m.Folder)
	case whereAccount:
		return m.Account + " · " + folderTitle(m.Folder)
	}
	return ""
}

// rowTapped is a click on a list row, with the modifier keys held.
func (v *mainView) rowTapped(row int, mod fyne.KeyModifier) {
	v.ui.window.Canvas().Focus(v.list)
	v.click(row, mod)
}

// click selects as a click on row with mod held does: Ctrl (Cmd on
// macOS) toggles the row, Shift extends the selection to it.
func (v *mainView) click(row int, mod fyne.KeyModifier) {
	if row < 0 || row >= v.rows.len() {
		return
	}
	v.rows.click(row, mod&fyne.KeyModifierShortcutDefault != 0, mod&fyne.KeyModifierShift != 0)
	v.list.Refresh()
	v.showSelection()
}

// selectAll selects every listed message.
func (v *mainView) selectAll() {
	if v.rows.len() == 0 {
		return
	}
	v.rows.selectAll()
	v.list.Refresh()
	v.showSelection()
}

// showSelection shows the message clicked last in the reader when it is
// selected, else the only selected one; with several selected otherwise,
// the reader says how many.
func (v *mainView) showSelection() {
	sel := v.rows.selection()
	m, ok := v.rows.lastClicked()
	if !ok && len(sel) == 1 {
		m, ok = sel[0], true
	}
	switch {
	case ok && (v.opened == nil || keyOf(*v.opened) != keyOf(m)):
		v.openMessage(m)
	case ok:
		v.actions.update()
	case len(sel) == 0:
		v.closeMessage("Select a message to read it.")
	default:
		v.closeMessage(fmt.Sprintf("%d messages selected.", len(sel)))
	}
	if len(sel) > 1 {
		v.status.SetText(fmt.Sprintf("%d messages selected", len(sel)))
	}
}

// closeMessage empties the reader, which then says placeholder.
func (v *mainView) closeMessage(placeholder string) {
	v.stopOpening()
	v.opened, v.message = nil, nil
	v.replyButton.Disable()
	v.replyAllButton.Disable()
	v.reader.clear(placeholder)
	v.actions.update()
}

// keysFree reports whether keys may act on messages: no dialog is shown
// and no text field has the focus (only the message list, or nothing).
func (v *mainView) keysFree() bool {
	c := v.ui.window.Canvas()
	if c.Overlays().Top() != nil {
		return false
	}
	f := c.Focused()
	return f == nil || f == fyne.Focusable(v.list)
}

// listKey handles the keys typed on the message list (or with nothing
// focused): Del deletes the selection, Esc leaves search results. It
// reports whether it used the key.
func (v *mainView) listKey(e *fyne.KeyEvent) bool {
	if !v.keysFree() {
		return false
	}
	switch e.Name {
	case fyne.KeyDelete:
		if v.actions != nil {
			v.actions.delete()
			return true
		}
	case fyne.KeyEscape:
		return v.escape()
	}
	return v.navigationKey(e.Name)
}

// escape leaves the search (results or filter); it reports whether there
// was one to leave.
func (v *mainView) escape() bool {
	if !v.inResults && v.searchCancel == nil && v.search.Text == "" {
		return false
	}
	v.leaveSearch(true)
	return true
}

// searchChanged follows the search box: clearing it returns to the
// folder. Typing counts as input for auto-lock.
func (v *mainView) searchChanged(q string) {
	v.ui.sawInput()
	if strings.TrimSpace(q) == "" && (v.inResults || v.searchCancel != nil) {
		v.leaveSearch(true)
	}
}

// stopSearch drops the running search, if any, and its progress.
func (v *mainView) stopSearch() {
	v.searchGen++
	if v.searchCancel != nil {
		v.searchCancel()
		v.searchCancel = nil
	}
	if v.searchProgress != nil {
		v.searchProgress.Hide()
	}
}

// leaveSearch stops searching and empties the search box; when results
// were shown and reload is set, the folder is listed again.
func (v *mainView) leaveSearch(reload bool) {
	wasResults := v.inResults
	v.stopSearch()
	v.inResults = false
	if v.search.Text != "" {
		v.search.SetText("") // without a searcher this also clears the filter
	}
	if wasResults && reload {
		v.rows.unselect()
		v.openFolder(v.account, v.folder)
	}
}

// runSearch searches the local cache for the search box's words, in the
// open folder or in all folders, off the UI goroutine; the index may
// first need to catch up, which the progress bar shows.
func (v *mainView) runSearch() {
	text := strings.TrimSpace(v.search.Text)
	if text == "" {
		v.leaveSearch(true)
		return
	}
	q := backend.SearchQuery{Text: text}
	where := "all folders"
	if v.scope.Selected != scopeAll {
		if v.folder == "" {
			v.status.SetText("Choose a folder to search in, or search All folders.")
			return
		}
		q.Account, q.Folder = v.account, v.folder
		where = folderTitle(v.folder)
	}
	v.stopSearch()
	ctx, cancel := context.WithCancel(context.Background())
	v.searchCancel = cancel
	gen := v.searchGen
	v.searchProgress.SetValue(0)
	v.status.SetText("Searching " + where + "…")
	var found []backend.MessageSummary
	v.ui.tasks.run(ctx, func(ctx context.Context) (err error) {
		found, err = v.searcher.Search(ctx, q, func(p backend.IndexProgress) {
			v.ui.tasks.do(func() { v.indexProgress(gen, p) })
		})
		return err
	}, func(err error) {
		if gen != v.searchGen {
			return // left, or another search started
		}
		cancel()
		v.searchCancel = nil
		v.searchProgress.Hide()
		if err != nil {
			v.status.SetText("Search failed: " + readable(err))
			return
		}
		v.inResults = true
		v.rows.unselect()
		v.showResultsView(q.Account, q.Folder)
		v.setRows(found)
		v.list.ScrollToTop()
		// The open message stays open, and selected, when it is a result;
		// otherwise the reader closes with it.
		if v.opened != nil {
			if row := v.rows.row(keyOf(*v.opened)); row >= 0 {
				v.rows.click(row, false, false)
				v.list.Refresh()
			}
		}
		v.showSelection()
		v.status.SetText(fmt.Sprintf("%s in %s match “%s”. Esc returns to the folder.", plural(len(found), "message"), where, text))
	})
}

// indexProgress shows how far the search index has caught up.
func (v *mainView) indexProgress(gen int, p backend.IndexProgress) {
	if gen != v.searchGen {
		return
	}
	if p.Total == 0 || p.Done >= p.Total {
		v.searchProgress.Hide()
		return
	}
	v.searchProgress.SetValue(float64(p.Done) / float64(p.Total))
	v.searchProgress.Show()
	v.status.SetText(fmt.Sprintf("Indexing mail for search: %d of %d messages", p.Done, p.Total))
}

// openMessage opens m in the reader.
func (v *mainView) openMessage(m backend.MessageSummary) {
	v.opened = &m
	v.message = nil
	v.travelStale = false
	v.replyButton.Disable()
	v.replyAllButton.Disable()
	v.reader.loading(m)
	v.actions.opened(m)
	v.stopOpening()
	ctx, cancel := context.WithCancel(v.ui.context())
	v.stopOpening = cancel
	var msg backend.Message
	v.ui.tasks.run(ctx, func(ctx context.Context) (err error) {
		msg, err = v.ui.backend.Open(ctx, m.Account, m.Folder, m.UID)
		return err
	}, func(err error) {
		cancel()
		if v.opened == nil || keyOf(*v.opened) != keyOf(m) {
			return // another message was selected meanwhile
		}
		if err != nil {
			v.reader.failed(err)
			return
		}
		v.showMessage(msg)
		if v.travelStale {
			v.travelStale = false
			v.travelChecked(m.Account, m.Folder, []uint32{m.UID})
		}
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
	v.ui.tasks.run(v.ui.context(), func(ctx context.Context) (err error) {
		r, err = v.ui.backend.Reply(ctx, m.Account, m.Folder, m.UID, all)
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
	v.lastComposer = v.ui.newComposer(v.accounts, v.account, *d)
}

// showSyncWarnings shows what a sync found that the user should check,
// such as a contact whose key changed, in a dialog: it is too important for
// the status line, which the next folder load overwrites.
func (v *mainView) showSyncWarnings(warnings []string) {
	text := widget.NewLabel("• " + strings.Join(warnings, "\n• "))
	text.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustom("Check after syncing", "OK", container.NewVScroll(text), v.ui.window)
	d.Resize(fyne.NewSize(520, 260))
	d.SetOnClosed(func() {
		if v.syncWarnings == d {
			v.warnings = nil
		}
	})
	if v.syncWarnings != nil {
		v.syncWarnings.Hide() // the new dialog lists its warnings too
	}
	d.Show()
	v.syncWarnings = d
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
	v.notice.working("Syncing…", cancel)
	syncMail := v.ui.newMailSync()
	var warnings []string
	v.ui.tasks.run(ctx, func(ctx context.Context) error {
		return syncMail(ctx, "", func(p backend.SyncProgress) {
			v.ui.tasks.do(func() {
				if p.Warning != "" {
					warnings = append(warnings, p.Warning)
					return
				}
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
		v.loadOutbox("") // the sync sent what was due
		if len(warnings) > 0 {
			v.showSyncWarnings(warnings)
		}
		v.notice.clear() // its Cancel
		switch {
		case errors.Is(err, context.Canceled):
			v.status.SetText("Sync cancelled. What was fetched so far is kept.")
			return
		case err != nil:
			actions := errorActions{retry: v.sync, retryAlways: true, settings: v.ui.showAccountSettings}
			if account := v.account; account != "" {
				actions.signIn = func() { v.ui.signInAgain(v.ui.window, account) }
			}
			v.notice.showError("Sync failed: ", err, actions)
			return
		}
		v.loadAccounts()
	})
}

// messageListWidget is the message list: a widget.List that hands the
// keys typed on it to onKey first (Del, Esc), since Fyne gives a focused
// widget's keys to that widget only.
type messageListWidget struct {
	widget.List
	onKey func(*fyne.KeyEvent) bool // reports whether it used the key
}

func newMessageListWidget(length func() int, create func() fyne.CanvasObject, update func(widget.ListItemID, fyne.CanvasObject),
	onKey func(*fyne.KeyEvent) bool) *messageListWidget {
	l := &messageListWidget{onKey: onKey}
	l.Length, l.CreateItem, l.UpdateItem = length, create, update
	l.ExtendBaseWidget(l)
	return l
}

// TypedKey gives the key to onKey, else to the list (arrows, Space).
func (l *messageListWidget) TypedKey(e *fyne.KeyEvent) {
	if !l.onKey(e) {
		l.List.TypedKey(e)
	}
}

// searchEntry is the search box: an entry that hands Esc to onEscape and
// F5 to onGetMail.
type searchEntry struct {
	widget.Entry
	onEscape  func() bool // reports whether it used the key
	onGetMail func()
}

func newSearchEntry(onEscape func() bool) *searchEntry {
	e := &searchEntry{onEscape: onEscape}
	e.ExtendBaseWidget(e)
	return e
}

// TypedKey leaves the search on Esc, gets mail on F5 and types every
// other key.
func (e *searchEntry) TypedKey(k *fyne.KeyEvent) {
	switch {
	case k.Name == fyne.KeyEscape && e.onEscape():
	case k.Name == keyGetMail.KeyName && e.onGetMail != nil:
		e.onGetMail()
	default:
		e.Entry.TypedKey(k)
	}
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
