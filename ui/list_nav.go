package ui

import (
	"maps"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"

	"github.com/sealpost/sealpost/mail/backend"
)

// rowState is what row shows besides its message.
func (v *mainView) rowState(row int) rowState {
	m := v.rows.at(row)
	answers, collapsed := v.rows.answers(row)
	return rowState{
		name: v.rows.correspondent(m), where: v.whereOf(m), now: v.ui.now(),
		selected: v.rows.isSelected(row), compact: v.compact,
		threaded: v.rows.view.threaded, depth: v.rows.rowDepth(row), answers: answers, collapsed: collapsed,
	}
}

// shownNode is the tree node ID of the folder shown.
func (v *mainView) shownNode() string { return v.account + folderSep + v.folder }

// useView orders the list as w says, remembers w for the folder shown and
// marks the header.
func (v *mainView) useView(w listView) {
	if v.folder != "" && v.views[v.shownNode()] != w {
		v.views[v.shownNode()] = w
		v.storeView(v.account, v.folder, w)
	}
	v.rows.setView(w)
	v.header.show(w, v.rows.recipients, v.compact)
	v.list.Refresh()
	v.actions.update()
	v.keepOpenedInView()
}

// sortBy sorts the list by column (again: the other way round).
func (v *mainView) sortBy(column sortColumn) { v.useView(v.rows.view.sortBy(column)) }

// toggleThreads switches conversation threads on or off.
func (v *mainView) toggleThreads() {
	w := v.rows.view
	w.threaded = !w.threaded
	v.useView(w)
}

// toggleCompact switches between compact rows (one line in columns) and
// two-line rows, for every folder.
func (v *mainView) toggleCompact() {
	v.compact = !v.compact
	v.ui.settingsOf().prefs.compactList = v.compact
	v.ui.savePreferences()
	v.header.show(v.rows.view, v.rows.recipients, v.compact)
	v.list.Refresh()
	v.keepOpenedInView()
}

// viewOf is the order of folder of account: the one chosen in this
// session, else the one stored in the profile, else the default.
func (v *mainView) viewOf(account, folder string) listView {
	if w, ok := v.views[account+folderSep+folder]; ok {
		return w
	}
	if stored, ok := v.ui.settingsOf().prefs.listViews[backend.ListViewKey(account, folder)]; ok {
		if w, ok := listViewOf(stored); ok {
			return w
		}
	}
	return defaultView
}

// storeView keeps w as the order of folder of account in the profile, so
// that the folder opens in it next time.
func (v *mainView) storeView(account, folder string, w listView) {
	prefs := &v.ui.settingsOf().prefs
	key := backend.ListViewKey(account, folder)
	views := maps.Clone(prefs.listViews) // the last save may still read the old map
	if views == nil {
		views = map[string]backend.ListView{}
	}
	if w == defaultView {
		delete(views, key)
	} else {
		views[key] = w.stored()
	}
	for k := range views { // the oldest choices are not known: drop any
		if len(views) <= backend.MaxListViews {
			break
		}
		if k != key {
			delete(views, k)
		}
	}
	prefs.listViews = views
	v.ui.savePreferences()
}

// takeStoredViews puts the stored compact choice and the shown folder's
// stored order in force once the preferences are loaded.
func (v *mainView) takeStoredViews() {
	prefs := v.ui.settingsOf().prefs
	if v.compact != prefs.compactList {
		v.compact = prefs.compactList
		v.header.show(v.rows.view, v.rows.recipients, v.compact)
		v.list.Refresh()
	}
	if v.folder != "" && !v.inResults {
		if w := v.viewOf(v.account, v.folder); w != v.rows.view {
			v.useView(w)
		}
	}
}

// keepOpenedInView scrolls to the open message after the rows moved.
func (v *mainView) keepOpenedInView() {
	if v.opened != nil {
		if row := v.rows.row(keyOf(*v.opened)); row >= 0 {
			v.list.ScrollTo(row)
		}
	}
}

// showFolderView prepares the list for folder of account before its
// messages load: its remembered order, and recipients in sent mail.
func (v *mainView) showFolderView(account, folder string) {
	w := v.viewOf(account, folder)
	v.rows.view = w
	v.rows.recipients = v.sentLike(account, folder)
	v.header.show(w, v.rows.recipients, v.compact)
}

// showResultsView prepares the list for search results of folder (all
// folders when empty): recipients are named only for results from one
// folder of sent mail.
func (v *mainView) showResultsView(account, folder string) {
	v.rows.recipients = folder != "" && v.sentLike(account, folder)
	v.header.show(v.rows.view, v.rows.recipients, v.compact)
}

// toggleThread collapses or expands the thread at row (its disclosure was
// tapped).
func (v *mainView) toggleThread(row int) {
	if row < 0 || row >= v.rows.len() {
		return
	}
	_, collapsed := v.rows.answers(row)
	v.setThreadCollapsed(row, !collapsed)
}

// setThreadCollapsed collapses or expands the thread at row; a selected
// answer that is hidden stops being selected, and the thread's first
// message is selected instead.
func (v *mainView) setThreadCollapsed(row int, collapsed bool) {
	root := v.rows.threadOf(row)
	key := keyOf(v.rows.at(root))
	if !v.rows.setCollapsed(root, collapsed) {
		return
	}
	v.list.Refresh()
	if collapsed && len(v.rows.selected) == 0 && v.opened != nil && v.rows.row(keyOf(*v.opened)) < 0 {
		v.click(v.rows.row(key), 0)
		return
	}
	v.actions.update()
}

// moveSelection selects and opens the message delta rows from the one
// clicked last (or open): the Up and Down keys. With nothing selected it
// starts at the top. With Shift in mod it extends the selection to that
// row instead, as Shift+click does.
func (v *mainView) moveSelection(delta int, mod fyne.KeyModifier) {
	n := v.rows.len()
	if n == 0 {
		return
	}
	row := -1
	if m, ok := v.rows.lastClicked(); ok {
		row = v.rows.row(keyOf(m))
	} else if v.opened != nil {
		row = v.rows.row(keyOf(*v.opened))
	}
	next := 0
	if row >= 0 || delta >= n {
		next = min(max(row+delta, 0), n-1)
	}
	if next == row {
		return
	}
	v.click(next, mod)
	v.list.ScrollTo(next)
}

// pageRows is how many rows the list shows at once (at least one).
func (v *mainView) pageRows() int {
	r := newMessageRow(nil, nil)
	r.compact = v.compact
	h := r.MinSize().Height + theme.SeparatorThicknessSize()
	return max(int(v.list.Size().Height/h)-1, 1)
}

// navigationKey handles the list's navigation keys: Up and Down (Page Up
// and Page Down, Home and End) move and open, Left and Right collapse and
// expand the thread of the message clicked last. It reports whether it
// used the key.
func (v *mainView) navigationKey(name fyne.KeyName) bool {
	if delta, ok := v.movement(name); ok {
		v.moveSelection(delta, 0)
		return true
	}
	switch name {
	case fyne.KeyLeft, fyne.KeyRight:
		m, ok := v.rows.lastClicked()
		if !ok || !v.rows.view.threaded {
			return false
		}
		v.setThreadCollapsed(v.rows.row(keyOf(m)), name == fyne.KeyLeft)
		return true
	}
	return false
}

// movement is how many rows key moves the selection by: Up and Down one,
// Page Up and Page Down a screenful, Home and End to the ends.
func (v *mainView) movement(key fyne.KeyName) (delta int, ok bool) {
	switch key {
	case fyne.KeyUp:
		return -1, true
	case fyne.KeyDown:
		return 1, true
	case fyne.KeyPageUp:
		return -v.pageRows(), true
	case fyne.KeyPageDown:
		return v.pageRows(), true
	case fyne.KeyHome:
		return -v.rows.len(), true
	case fyne.KeyEnd:
		return v.rows.len(), true
	}
	return 0, false
}

// extendKeys are Shift with the movement keys: they extend the selection
// from where it started, as Shift+click does.
var extendKeys = []*desktop.CustomShortcut{
	{KeyName: fyne.KeyUp, Modifier: fyne.KeyModifierShift}, {KeyName: fyne.KeyDown, Modifier: fyne.KeyModifierShift},
	{KeyName: fyne.KeyPageUp, Modifier: fyne.KeyModifierShift}, {KeyName: fyne.KeyPageDown, Modifier: fyne.KeyModifierShift},
	{KeyName: fyne.KeyHome, Modifier: fyne.KeyModifierShift}, {KeyName: fyne.KeyEnd, Modifier: fyne.KeyModifierShift},
}

// extendSelection handles one of extendKeys (see keysFree).
func (v *mainView) extendSelection(s *desktop.CustomShortcut) {
	if delta, ok := v.movement(s.KeyName); ok && v.keysFree() {
		v.moveSelection(delta, fyne.KeyModifierShift)
	}
}
