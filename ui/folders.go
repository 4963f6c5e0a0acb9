package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sealpost/sealpost/mail/backend"
)

// topLevel is the parent choice of a folder created at the top.
const topLevel = "(top level)"

// folderManager returns the backend's folder management, or nil.
func (v *mainView) folderManager() backend.FolderManager {
	fm, _ := v.ui.backend.(backend.FolderManager)
	return fm
}

// loadInfos reads the folder descriptions of accounts (roles, unread
// counts) off the UI goroutine; nil without folder management.
func (v *mainView) loadInfos(ctx context.Context, accounts []string) (map[string]backend.FolderInfo, error) {
	fm := v.folderManager()
	if fm == nil {
		return nil, nil
	}
	out := map[string]backend.FolderInfo{}
	for _, a := range accounts {
		infos, err := fm.FolderInfos(ctx, a)
		if err != nil {
			return nil, err
		}
		for _, f := range infos {
			out[a+folderSep+f.Name] = f
		}
	}
	return out, nil
}

// showInfos takes loaded folder descriptions of accounts into the tree:
// every folder's unread count.
func (v *mainView) showInfos(accounts []string, infos map[string]backend.FolderInfo) {
	if infos == nil {
		return
	}
	for _, a := range accounts {
		for node := range v.infos {
			if strings.HasPrefix(node, a+folderSep) {
				delete(v.infos, node)
			}
		}
	}
	for node, f := range infos {
		v.takeInfo(node, f)
	}
	v.tree.Refresh()
	v.ui.updateTray()
}

// showInfo takes one loaded folder description into the tree.
func (v *mainView) showInfo(node string, f backend.FolderInfo) {
	v.takeInfo(node, f)
	v.tree.RefreshItem(node)
	v.ui.updateTray()
}

// takeInfo keeps folder node's description and its unread count.
func (v *mainView) takeInfo(node string, f backend.FolderInfo) {
	v.infos[node] = f
	// The open folder's count is its list's, which is as new or newer and
	// leaves out messages whose delete can still be undone.
	if node != v.shownNode() || v.inResults {
		v.unread[node] = f.Unread
	}
}

// newsUnread are the unread counts the tray adds up: every folder's but
// the Trash's and Junk's, where unread mail is not news.
func (v *mainView) newsUnread() map[string]int {
	out := make(map[string]int, len(v.unread))
	for node, n := range v.unread {
		if role := v.infos[node].Role; role != backend.RoleTrash && role != backend.RoleJunk {
			out[node] = n
		}
	}
	return out
}

// countsChanged reloads the unread counts of account's folders (all
// accounts when empty) after folders were added, removed or events lost.
func (v *mainView) countsChanged(account string) {
	if v.folderManager() == nil {
		return
	}
	var accounts []string
	for _, a := range v.accounts {
		if account == "" || strings.EqualFold(a.Email, account) {
			accounts = append(accounts, a.Email)
		}
	}
	var infos map[string]backend.FolderInfo
	v.ui.tasks.run(v.ui.context(), func(ctx context.Context) (err error) {
		infos, err = v.loadInfos(ctx, accounts)
		return err
	}, func(err error) {
		if err == nil && v.ui.main == v {
			v.showInfos(accounts, infos)
		}
	})
}

// folderCountChanged recounts one folder of account after its messages
// changed: counting reads every message of the folder, so it counts that
// folder alone, and events that arrive while it counts lead to one more
// count when it is done rather than one each.
func (v *mainView) folderCountChanged(account, folder string) {
	fm := v.folderManager()
	if fm == nil {
		return
	}
	if folder == "" {
		v.countsChanged(account)
		return
	}
	node := account + folderSep + folder
	if _, busy := v.recounting[node]; busy {
		v.recounting[node] = true
		return
	}
	v.recounting[node] = false
	var info backend.FolderInfo
	v.ui.tasks.run(v.ui.context(), func(ctx context.Context) (err error) {
		info, err = fm.FolderInfo(ctx, account, folder)
		return err
	}, func(err error) {
		again := v.recounting[node]
		delete(v.recounting, node)
		if v.ui.main != v {
			return
		}
		if err == nil {
			v.showInfo(node, info)
		}
		if again {
			v.folderCountChanged(account, folder)
		}
	})
}

// sentLike reports whether folder of account holds mail the user sent or
// wrote (Sent, Drafts, an outbox), whose rows name the recipients.
func (v *mainView) sentLike(account, folder string) bool {
	if f, ok := v.infos[account+folderSep+folder]; ok && f.Role != "" {
		return f.Role == backend.RoleSent || f.Role == backend.RoleDrafts
	}
	leaf := strings.ToLower(folder)
	if i := strings.LastIndexAny(leaf, "/."); i >= 0 {
		leaf = leaf[i+1:]
	}
	switch leaf {
	case "sent", "sent items", "sent messages", "sent mail", "drafts", "draft", "outbox":
		return true
	}
	return false
}

// folderNode is the label of a folder tree node, with a context menu.
type folderNode struct {
	widget.Label
	id   widget.TreeNodeID
	menu func(id widget.TreeNodeID) *fyne.Menu
}

func newFolderNode(menu func(widget.TreeNodeID) *fyne.Menu) *folderNode {
	n := &folderNode{menu: menu}
	n.ExtendBaseWidget(n)
	return n
}

// TappedSecondary shows the node's menu (right click).
func (n *folderNode) TappedSecondary(e *fyne.PointEvent) {
	m := n.menu(n.id)
	if m == nil {
		return
	}
	widget.ShowPopUpMenuAtPosition(m, fyne.CurrentApp().Driver().CanvasForObject(n), e.AbsolutePosition)
}

// folderMenu is the context menu of a tree node: New folder for an
// account; New subfolder, Rename and Delete for a folder (not for INBOX).
func (v *mainView) folderMenu(id widget.TreeNodeID) *fyne.Menu {
	if v.folderManager() == nil {
		return nil
	}
	account, folder, isFolder := strings.Cut(id, folderSep)
	if !isFolder {
		return fyne.NewMenu("", fyne.NewMenuItem("New folder…", func() { v.showNewFolder(account, "") }))
	}
	items := []*fyne.MenuItem{fyne.NewMenuItem("New subfolder…", func() { v.showNewFolder(account, folder) })}
	if folder != "INBOX" {
		items = append(items,
			fyne.NewMenuItem("Rename…", func() { v.showRenameFolder(account, folder) }),
			fyne.NewMenuItem("Delete…", func() { v.showDeleteFolder(account, folder) }))
	}
	return fyne.NewMenu("", items...)
}

// folderBar is the row of folder buttons under the tree: New folder,
// Rename and Delete, acting on the open folder; nil without folder
// management.
type folderBar struct {
	newButton, renameButton, deleteButton *widget.Button
}

func (v *mainView) newFolderBar() *folderBar {
	if v.folderManager() == nil {
		return nil
	}
	b := &folderBar{
		newButton: widget.NewButtonWithIcon("", theme.FolderNewIcon(), func() {
			if v.account != "" {
				v.showNewFolder(v.account, "")
			}
		}),
		renameButton: widget.NewButtonWithIcon("", theme.DocumentCreateIcon(), func() { v.showRenameFolder(v.account, v.folder) }),
		deleteButton: widget.NewButtonWithIcon("", theme.DeleteIcon(), func() { v.showDeleteFolder(v.account, v.folder) }),
	}
	for _, btn := range []*widget.Button{b.newButton, b.renameButton, b.deleteButton} {
		btn.Importance = widget.LowImportance
	}
	b.update("", "")
	return b
}

// object is the bar as shown under the tree.
func (b *folderBar) object() fyne.CanvasObject {
	if b == nil {
		return nil
	}
	return container.NewHBox(b.newButton, b.renameButton, b.deleteButton)
}

// update enables the buttons for the open folder.
func (b *folderBar) update(account, folder string) {
	if b == nil {
		return
	}
	enable(b.newButton, account != "")
	enable(b.renameButton, folder != "" && folder != "INBOX")
	enable(b.deleteButton, folder != "" && folder != "INBOX")
}

// delimiterOf is the hierarchy delimiter of account's folders ("/" when
// unknown).
func (v *mainView) delimiterOf(account string) string {
	for node, f := range v.infos {
		if strings.HasPrefix(node, account+folderSep) && f.Delimiter != "" {
			return f.Delimiter
		}
	}
	return "/"
}

// folderNameEntry is an entry that checks a folder name as it is typed.
func folderNameEntry(delimiter string) *widget.Entry {
	e := widget.NewEntry()
	e.Validator = func(s string) error { return backend.CheckFolderName(strings.TrimSpace(s), delimiter) }
	return e
}

// showNewFolder asks for the name (and the parent, parent preselected) of
// a folder to create in account.
func (v *mainView) showNewFolder(account, parent string) {
	delim := v.delimiterOf(account)
	name := folderNameEntry(delim)
	parents := []string{topLevel}
	for _, f := range v.folders[account] {
		parents = append(parents, f.Name)
	}
	in := widget.NewSelect(parents, nil)
	in.SetSelected(topLevel)
	if parent != "" {
		in.SetSelected(parent)
	}
	items := []*widget.FormItem{widget.NewFormItem("Name", name), widget.NewFormItem("Create in", in)}
	f := &folderForm{name: name, parent: in}
	f.submit = func(ok bool) {
		if !ok {
			return
		}
		full := strings.TrimSpace(name.Text)
		if in.Selected != topLevel && in.Selected != "" {
			full = in.Selected + delim + full
		}
		v.runFolderOp(account, "Creating "+full+"…", func(ctx context.Context, fm backend.FolderManager) error {
			return fm.CreateFolder(ctx, account, full)
		}, func() {
			v.status.SetText("Created the folder " + folderTitle(full) + ".")
		})
	}
	v.showFolderForm(f, dialog.NewForm("New folder in "+account, "Create", "Cancel", items, f.submit, v.ui.window))
}

// showRenameFolder asks for the new last level of folder's name.
func (v *mainView) showRenameFolder(account, folder string) {
	if account == "" || folder == "" || folder == "INBOX" {
		return
	}
	delim := v.delimiterOf(account)
	prefix, leaf := "", folder
	if i := strings.LastIndex(folder, delim); i >= 0 {
		prefix, leaf = folder[:i+len(delim)], folder[i+len(delim):]
	}
	name := folderNameEntry(delim)
	name.SetText(leaf)
	f := &folderForm{name: name}
	f.submit = func(ok bool) {
		to := prefix + strings.TrimSpace(name.Text)
		if !ok || to == folder {
			return
		}
		v.runFolderOp(account, "Renaming "+folder+"…", func(ctx context.Context, fm backend.FolderManager) error {
			return fm.RenameFolder(ctx, account, folder, to)
		}, func() {
			v.status.SetText("Renamed " + folder + " to " + to + "; its messages are downloaded again.")
			if w := v.viewOf(account, folder); w != defaultView {
				v.views[account+folderSep+to] = w
				v.storeView(account, to, w)
			}
			if v.account == account && v.folder == folder {
				v.selectFolder(account, to)
			}
		})
	}
	v.showFolderForm(f, dialog.NewForm("Rename "+folderTitle(folder), "Rename", "Cancel",
		[]*widget.FormItem{widget.NewFormItem("New name", name)}, f.submit, v.ui.window))
}

// folderForm is the open New folder or Rename dialog.
type folderForm struct {
	name   *widget.Entry
	parent *widget.Select // nil when renaming
	submit func(ok bool)  // what its buttons do
	dialog dialog.Dialog
}

// showFolderForm shows d, the dialog of f, with the name focused.
func (v *mainView) showFolderForm(f *folderForm, d dialog.Dialog) {
	f.dialog = d
	v.folderForm = f
	d.Resize(fyne.NewSize(420, d.MinSize().Height))
	d.Show()
	v.ui.window.Canvas().Focus(f.name)
}

// showDeleteFolder asks before deleting folder and its messages.
func (v *mainView) showDeleteFolder(account, folder string) {
	if account == "" || folder == "" || folder == "INBOX" {
		return
	}
	what := "its messages"
	if f, ok := v.infos[account+folderSep+folder]; ok {
		what = plural(f.Total, "message")
	}
	msg := fmt.Sprintf("Delete the folder “%s” of %s and %s in it, on the server too?\nThis cannot be undone.",
		folderTitle(folder), account, what)
	confirm := func(ok bool) {
		if !ok {
			return
		}
		v.runFolderOp(account, "Deleting "+folder+"…", func(ctx context.Context, fm backend.FolderManager) error {
			return fm.DeleteFolder(ctx, account, folder)
		}, func() {
			v.status.SetText("Deleted the folder " + folder + ".")
			if v.account == account && v.folder == folder {
				v.selectFolder(account, "INBOX")
			}
		})
	}
	d := dialog.NewConfirm("Delete folder", msg, confirm, v.ui.window)
	d.SetConfirmText("Delete")
	v.folderForm = &folderForm{submit: confirm, dialog: d}
	d.Show()
}

// runFolderOp runs op on the server, saying what in the status line, then
// reloads the folder tree and calls done; a failure is told in words.
func (v *mainView) runFolderOp(account, what string, op func(context.Context, backend.FolderManager) error, done func()) {
	fm := v.folderManager()
	if fm == nil {
		return
	}
	v.folderForm = nil
	ctx, cancel := context.WithCancel(v.ui.context())
	v.notice.working(what, cancel)
	v.ui.tasks.run(ctx, func(ctx context.Context) error { return op(ctx, fm) }, func(err error) {
		stopped := ctx.Err() != nil
		cancel()
		if v.ui.main != v {
			return
		}
		v.notice.clear()
		switch {
		case err != nil && stopped:
			v.status.SetText("Stopped. If the server made the change before that, the next sync shows it.")
			return
		case err != nil:
			v.notice.problem(folderProblem(err))
			return
		}
		v.reloadTree(account, done)
	})
}

// reloadTree reads account's folders again into the tree, then calls done.
func (v *mainView) reloadTree(account string, done func()) {
	var folders []backend.Folder
	var infos map[string]backend.FolderInfo
	v.ui.tasks.run(v.ui.context(), func(ctx context.Context) (err error) {
		if folders, err = v.ui.backend.Folders(ctx, account); err != nil {
			return err
		}
		infos, err = v.loadInfos(ctx, []string{account})
		return err
	}, func(err error) {
		if v.ui.main != v {
			return
		}
		if err != nil {
			v.status.SetText(readable(err))
			return
		}
		v.folders[account] = folders
		v.showInfos([]string{account}, infos)
		v.tree.Refresh()
		done()
	})
}

// folderProblem says in words why a folder could not be changed.
func folderProblem(err error) string {
	switch {
	case errors.Is(err, backend.ErrFolderExists):
		return "A folder of that name exists already: choose another name."
	case errors.Is(err, backend.ErrInboxFixed):
		return "The Inbox cannot be renamed or deleted."
	}
	return "The folder was not changed: " + readable(err)
}

// selectFolder opens folder of account from the tree.
func (v *mainView) selectFolder(account, folder string) {
	v.tree.Select(account + folderSep + folder)
}
