package ui

import (
	"cmp"
	"slices"
	"strings"

	"github.com/sealpost/sealpost/mail/backend"
)

// sortColumn is a column the message list can be sorted by.
type sortColumn int

// The sortable columns. sortDate is the default.
const (
	sortDate sortColumn = iota
	sortCorrespondent
	sortSubject
	sortSize
	sortUnread
	sortFlagged
)

// listView is how the message list orders a folder: the sort column and
// direction, and whether conversations are threaded. The main view
// remembers it per folder.
type listView struct {
	column    sortColumn
	ascending bool
	threaded  bool
}

// columnNames are the sort columns as the profile stores them.
var columnNames = map[sortColumn]string{
	sortDate: backend.ListByDate, sortCorrespondent: backend.ListByCorrespondent, sortSubject: backend.ListBySubject,
	sortSize: backend.ListBySize, sortUnread: backend.ListByUnread, sortFlagged: backend.ListByFlagged,
}

// stored is w as the profile keeps it.
func (w listView) stored() backend.ListView {
	return backend.ListView{Column: columnNames[w.column], Ascending: w.ascending, Threaded: w.threaded}
}

// listViewOf is the list view a profile stored; false for a column this
// version does not know.
func listViewOf(s backend.ListView) (listView, bool) {
	for c, name := range columnNames {
		if name == s.Column {
			return listView{column: c, ascending: s.Ascending, threaded: s.Threaded}, true
		}
	}
	return listView{}, false
}

// defaultView lists the newest message first, unthreaded.
var defaultView = listView{column: sortDate}

// sortBy sorts by column: a click on the sorted column reverses the
// direction; another column starts descending for dates, sizes and flags
// (newest, largest, unread or flagged first) and ascending for text.
func (w listView) sortBy(column sortColumn) listView {
	if w.column == column {
		w.ascending = !w.ascending
		return w
	}
	w.column = column
	w.ascending = column == sortCorrespondent || column == sortSubject
	return w
}

// correspondent is whom a row names: the recipients in folders of sent mail
// (recipients set), else the sender.
func (l *messageList) correspondent(m backend.MessageSummary) string {
	if l.recipients {
		if m.To == "" {
			return "(no recipient)"
		}
		return senderName(firstAddress(m.To))
	}
	return senderName(m.From)
}

// firstAddress is the first of a comma-separated address list, with a
// count of the others ("Bob <b@x> +2" shows as "Bob +2" through senderName).
func firstAddress(list string) string {
	parts := splitAddresses(list)
	if len(parts) <= 1 {
		return list
	}
	return parts[0]
}

// splitAddresses splits an address list at the commas outside quotes.
func splitAddresses(list string) []string {
	var out []string
	quoted, start := false, 0
	for i, r := range list {
		switch {
		case r == '"':
			quoted = !quoted
		case r == ',' && !quoted:
			out = append(out, strings.TrimSpace(list[start:i]))
			start = i + 1
		}
	}
	return append(out, strings.TrimSpace(list[start:]))
}

// subjectKey is a subject as it sorts: without reply and forward prefixes,
// ignoring case.
func subjectKey(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	for {
		cut := false
		for _, p := range []string{"re:", "fwd:", "fw:", "aw:", "wg:", "sv:", "vs:"} {
			if strings.HasPrefix(s, p) {
				s, cut = strings.TrimSpace(s[len(p):]), true
			}
		}
		if !cut {
			return s
		}
	}
}

// compare orders messages a and b (indexes into all) by the view's column,
// ascending; equal keys keep the loaded order (newest UID first).
func (l *messageList) compare(a, b int) int {
	x, y := l.all[a], l.all[b]
	var c int
	switch l.view.column {
	case sortCorrespondent:
		c = strings.Compare(strings.ToLower(l.correspondent(x)), strings.ToLower(l.correspondent(y)))
	case sortSubject:
		c = strings.Compare(subjectKey(x.Subject), subjectKey(y.Subject))
	case sortSize:
		c = cmp.Compare(x.Size, y.Size)
	case sortUnread:
		c = cmp.Compare(b2i(!x.Seen), b2i(!y.Seen))
	case sortFlagged:
		c = cmp.Compare(b2i(x.Flagged), b2i(y.Flagged))
	default:
		c = x.Date.Compare(y.Date)
	}
	if !l.view.ascending {
		c = -c
	}
	if c == 0 {
		c = cmp.Compare(a, b)
	}
	return c
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// arrange orders the shown rows as the view says: sorted, or as threads
// (each thread where its root sorts, answers below in date order,
// indented). It fills depth and below for threads.
func (l *messageList) arrange() {
	l.depth, l.below = nil, nil
	if !l.view.threaded {
		slices.SortFunc(l.shown, l.compare)
		return
	}
	parent := l.parents()
	children := map[int][]int{}
	var roots []int
	for _, i := range l.shown {
		if p, ok := parent[i]; ok {
			children[p] = append(children[p], i)
		} else {
			roots = append(roots, i)
		}
	}
	// A thread sorts by its root, but by its newest message for dates:
	// the conversation with the latest answer comes first.
	newest := map[int]int{} // root -> its thread's newest message
	var latest func(i int) int
	latest = func(i int) int {
		best := i
		for _, c := range children[i] {
			if n := latest(c); l.all[n].Date.After(l.all[best].Date) {
				best = n
			}
		}
		return best
	}
	for _, r := range roots {
		newest[r] = latest(r)
	}
	slices.SortFunc(roots, func(a, b int) int {
		if l.view.column == sortDate {
			if c := l.compare(newest[a], newest[b]); newest[a] != newest[b] {
				return c
			}
		}
		return l.compare(a, b)
	})
	byDate := func(a, b int) int {
		if c := l.all[a].Date.Compare(l.all[b].Date); c != 0 {
			return c
		}
		return cmp.Compare(l.all[a].UID, l.all[b].UID)
	}
	shown := make([]int, 0, len(l.shown))
	l.depth = make([]int, 0, len(l.shown))
	l.below = make([]int, 0, len(l.shown))
	var walk func(i, depth int, hidden bool) int
	walk = func(i, depth int, hidden bool) int {
		row := -1
		if !hidden {
			row = len(shown)
			shown = append(shown, i)
			l.depth = append(l.depth, depth)
			l.below = append(l.below, 0)
		}
		kids := children[i]
		slices.SortFunc(kids, byDate)
		n := 0
		for _, c := range kids {
			n += 1 + walk(c, depth+1, hidden || l.collapsed[keyOf(l.all[i])])
		}
		if row >= 0 {
			l.below[row] = n
		}
		return n
	}
	for _, r := range roots {
		walk(r, 0, false)
	}
	l.shown = shown
}

// parents finds the parent of each shown message among the shown ones: its
// In-Reply-To, else the latest of its References that is listed. Links that
// would make a cycle are dropped.
func (l *messageList) parents() map[int]int {
	byID := make(map[string]int, len(l.shown))
	for _, i := range l.shown {
		if id := l.all[i].MessageID; id != "" {
			if _, dup := byID[id]; !dup {
				byID[id] = i
			}
		}
	}
	parent := map[int]int{}
	for _, i := range l.shown {
		m := l.all[i]
		ids := append([]string{m.InReplyTo}, reversed(m.References)...)
		for _, id := range ids {
			if p, ok := byID[id]; ok && id != "" && p != i {
				parent[i] = p
				break
			}
		}
	}
	for _, i := range l.shown {
		steps := 0
		for p, ok := parent[i]; ok; p, ok = parent[p] {
			if steps++; p == i || steps > len(l.shown) {
				delete(parent, i)
				break
			}
		}
	}
	return parent
}

func reversed(s []string) []string {
	out := slices.Clone(s)
	slices.Reverse(out)
	return out
}

// threadOf returns the row of the root of row's thread (row itself when it
// is a root or the list is not threaded).
func (l *messageList) threadOf(row int) int {
	if row < 0 || row >= len(l.depth) {
		return row
	}
	for row > 0 && l.depth[row] > 0 {
		row--
	}
	return row
}

// rowDepth is how far row is indented in its thread (0 unthreaded).
func (l *messageList) rowDepth(row int) int {
	if row < 0 || row >= len(l.depth) {
		return 0
	}
	return l.depth[row]
}

// answers is how many messages are below row in its thread (0 unthreaded),
// and whether they are collapsed (hidden).
func (l *messageList) answers(row int) (n int, collapsed bool) {
	if row < 0 || row >= len(l.below) {
		return 0, false
	}
	return l.below[row], l.collapsed[keyOf(l.at(row))]
}

// setCollapsed collapses or expands the thread whose top message is at row
// and reports whether anything changed.
func (l *messageList) setCollapsed(row int, collapsed bool) bool {
	if n, was := l.answers(row); n == 0 && !was || was == collapsed || l.rowDepth(row) > 0 {
		return false
	}
	if l.collapsed == nil {
		l.collapsed = map[msgKey]bool{}
	}
	if collapsed {
		l.collapsed[keyOf(l.at(row))] = true
	} else {
		delete(l.collapsed, keyOf(l.at(row)))
	}
	l.apply(l.query, false)
	return true
}

// setView orders the list anew as w says.
func (l *messageList) setView(w listView) {
	l.view = w
	l.apply(l.query, false)
}
