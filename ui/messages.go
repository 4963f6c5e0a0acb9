package ui

import (
	"net/mail"
	"strings"
	"time"

	"github.com/sealpost/sealpost/mail/backend"
)

// messageList is the message list's view model: the loaded messages (a
// folder or search results), the rows the local filter lets through and
// which of them are selected. It is plain Go, tested without a window.
type messageList struct {
	all   []backend.MessageSummary
	hay   []string // lower-case sender and subject of all[i], searched
	shown []int    // indexes into all, in the order listed
	query string

	// view orders the rows; recipients names the recipients instead of
	// the sender (folders of sent mail). In threads, depth[row] is a
	// row's indentation and below[row] how many answers its subtree
	// holds; collapsed holds the threads whose answers are hidden.
	view         listView
	recipients   bool
	depth, below []int
	collapsed    map[msgKey]bool
	// hidden are messages a delete that can still be undone took out.
	hidden map[msgKey]bool

	// selected holds the selected messages; only shown rows stay selected.
	selected map[msgKey]bool
	// anchor is where Shift+click extends from; last is the message
	// clicked last.
	anchor, last msgKey
}

// msgKey identifies a message across folders and accounts.
type msgKey struct {
	account, folder string
	uid             uint32
}

func keyOf(m backend.MessageSummary) msgKey { return msgKey{m.Account, m.Folder, m.UID} }

// set replaces the loaded messages, applies the current filter and keeps
// the selection of the messages still listed.
func (l *messageList) set(all []backend.MessageSummary) {
	l.all = all
	l.hay = make([]string, len(all))
	for i, m := range all {
		l.hay[i] = strings.ToLower(l.correspondentField(m) + "\x00" + m.Subject)
	}
	l.shown = nil
	l.apply(l.query, false)
}

// remove takes the messages with keys out of the list.
func (l *messageList) remove(keys map[msgKey]bool) {
	kept := make([]backend.MessageSummary, 0, len(l.all))
	for _, m := range l.all {
		if !keys[keyOf(m)] {
			kept = append(kept, m)
		}
	}
	l.set(kept)
}

// click changes the selection as a click on row does: alone it selects
// only that row; toggle (Ctrl) adds or removes it; extend (Shift) selects
// the rows from the anchor to it, added to the selection with toggle.
func (l *messageList) click(row int, toggle, extend bool) {
	if row < 0 || row >= l.len() {
		return
	}
	k := keyOf(l.at(row))
	if l.selected == nil {
		l.selected = map[msgKey]bool{}
	}
	anchor := l.row(l.anchor)
	switch {
	case extend && anchor >= 0:
		if !toggle {
			clear(l.selected)
		}
		for i := min(anchor, row); i <= max(anchor, row); i++ {
			l.selected[keyOf(l.at(i))] = true
		}
	case toggle:
		if l.selected[k] {
			delete(l.selected, k)
		} else {
			l.selected[k] = true
		}
		l.anchor = k
	default:
		clear(l.selected)
		l.selected[k] = true
		l.anchor = k
	}
	l.last = k
}

// selectAll selects every shown row.
func (l *messageList) selectAll() {
	l.selected = make(map[msgKey]bool, len(l.shown))
	for _, i := range l.shown {
		l.selected[keyOf(l.all[i])] = true
	}
}

// unselect empties the selection.
func (l *messageList) unselect() {
	clear(l.selected)
	l.anchor, l.last = msgKey{}, msgKey{}
}

// isSelected reports whether row is selected.
func (l *messageList) isSelected(row int) bool { return l.selected[keyOf(l.at(row))] }

// selection returns the selected messages in list order.
func (l *messageList) selection() []backend.MessageSummary {
	if len(l.selected) == 0 {
		return nil
	}
	out := make([]backend.MessageSummary, 0, len(l.selected))
	for _, i := range l.shown {
		if l.selected[keyOf(l.all[i])] {
			out = append(out, l.all[i])
		}
	}
	return out
}

// lastClicked returns the message clicked last when it is still selected.
func (l *messageList) lastClicked() (backend.MessageSummary, bool) {
	if !l.selected[l.last] {
		return backend.MessageSummary{}, false
	}
	i := l.index(l.last.account, l.last.folder, l.last.uid)
	if i < 0 {
		return backend.MessageSummary{}, false
	}
	return l.all[i], true
}

// row returns the shown row of the message with key k, or -1.
func (l *messageList) row(k msgKey) int {
	for r, i := range l.shown {
		if keyOf(l.all[i]) == k {
			return r
		}
	}
	return -1
}

// spansFolders reports whether the loaded messages come from more than one
// folder (search results), and whether from more than one account.
func (l *messageList) spansFolders() (folders, accounts bool) {
	if len(l.all) == 0 {
		return false, false
	}
	first := l.all[0]
	for _, m := range l.all[1:] {
		accounts = accounts || m.Account != first.Account
		folders = folders || accounts || m.Folder != first.Folder
	}
	return folders, accounts
}

// filter shows the messages whose correspondent (sender, or recipients in
// sent mail) or subject contains every word of query, ignoring case.
func (l *messageList) filter(query string) {
	// Typing on narrows the rows already shown.
	// Threads are built anew: a narrowed list would keep the answers
	// hidden in collapsed threads hidden.
	narrows := !l.view.threaded && l.shown != nil && strings.HasPrefix(query, l.query) && !strings.HasSuffix(l.query, " ") &&
		len(strings.Fields(query)) == len(strings.Fields(l.query))
	l.apply(query, narrows)
}

func (l *messageList) apply(query string, narrow bool) {
	defer l.keepShownSelected()
	l.query = query
	words := strings.Fields(strings.ToLower(query))
	if narrow {
		kept := l.shown[:0]
		for _, i := range l.shown {
			if matches(l.hay[i], words) && !l.hidden[keyOf(l.all[i])] {
				kept = append(kept, i)
			}
		}
		l.shown = kept
		return
	}
	l.shown = make([]int, 0, len(l.all))
	for i := range l.all {
		if matches(l.hay[i], words) && !l.hidden[keyOf(l.all[i])] {
			l.shown = append(l.shown, i)
		}
	}
	l.arrange()
}

// keepShownSelected drops the selection of rows that are not shown, so
// that an action never reaches a message the user cannot see.
func (l *messageList) keepShownSelected() {
	if len(l.selected) == 0 {
		return
	}
	kept := make(map[msgKey]bool, len(l.selected))
	for _, i := range l.shown {
		if k := keyOf(l.all[i]); l.selected[k] {
			kept[k] = true
		}
	}
	l.selected = kept
}

func matches(hay string, words []string) bool {
	for _, w := range words {
		if !strings.Contains(hay, w) {
			return false
		}
	}
	return true
}

// unread counts the loaded messages not read, but for those hidden.
func (l *messageList) unread() int {
	n := 0
	for _, m := range l.all {
		if !m.Seen && !l.hidden[keyOf(m)] {
			n++
		}
	}
	return n
}

// correspondentField is the header a row names and the filter searches.
func (l *messageList) correspondentField(m backend.MessageSummary) string {
	if l.recipients {
		return m.To
	}
	return m.From
}

func (l *messageList) len() int { return len(l.shown) }

func (l *messageList) at(row int) backend.MessageSummary { return l.all[l.shown[row]] }

// senderName is how a list row names the sender: the display name, else
// the address.
func senderName(from string) string {
	if a, err := mail.ParseAddress(from); err == nil {
		if a.Name != "" {
			return a.Name
		}
		return a.Address
	}
	if from == "" {
		return "(no sender)"
	}
	return from
}

// listDate is a row's date: the time today, else the date.
func listDate(d, now time.Time) string {
	if d.IsZero() {
		return ""
	}
	d = d.In(now.Location())
	if y, m, day := d.Date(); y == now.Year() && m == now.Month() && day == now.Day() {
		return d.Format("15:04")
	}
	return d.Format("2006-01-02")
}
