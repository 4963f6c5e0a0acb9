package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// listHeader is the row of column headers above the message list: a tap
// sorts by the column (again: the other way round). Its menu switches
// conversation threads and compact rows.
type listHeader struct {
	widget.BaseWidget
	unread, flagged, sender, subject, date, size *widget.Button
	menu                                         *widget.Button
	threads, compact                             *fyne.MenuItem

	sortBy func(sortColumn)
}

func newListHeader(sortBy func(sortColumn), threads, compact func()) *listHeader {
	h := &listHeader{sortBy: sortBy}
	button := func(text string, icon fyne.Resource, column sortColumn) *widget.Button {
		b := widget.NewButtonWithIcon(text, icon, func() { h.sortBy(column) })
		b.Importance = widget.LowImportance
		b.Alignment = widget.ButtonAlignLeading
		return b
	}
	h.unread = button("", unreadIcon, sortUnread)
	h.flagged = button("", flagIcon, sortFlagged)
	h.sender = button("From", nil, sortCorrespondent)
	h.subject = button("Subject", nil, sortSubject)
	h.date = button("Date", nil, sortDate)
	h.size = button("Size", nil, sortSize)
	h.threads = fyne.NewMenuItem("Conversation threads", threads)
	h.compact = fyne.NewMenuItem("Compact rows", compact)
	h.menu = widget.NewButtonWithIcon("", theme.MoreVerticalIcon(), h.showMenu)
	h.menu.Importance = widget.LowImportance
	h.ExtendBaseWidget(h)
	return h
}

// showMenu pops the view menu up under its button.
func (h *listHeader) showMenu() {
	c := fyne.CurrentApp().Driver().CanvasForObject(h.menu)
	if c == nil {
		return
	}
	pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(h.menu).AddXY(0, h.menu.Size().Height)
	widget.ShowPopUpMenuAtPosition(fyne.NewMenu("", h.threads, h.compact), c, pos)
}

// show marks the sorted column with an arrow, names the correspondent
// column (From, or To in sent mail) and ticks the menu's items.
func (h *listHeader) show(w listView, recipients, compact bool) {
	names := map[*widget.Button]string{h.sender: "From", h.subject: "Subject", h.date: "Date", h.size: "Size"}
	if recipients {
		names[h.sender] = "To"
	}
	sorted := map[sortColumn]*widget.Button{sortUnread: h.unread, sortFlagged: h.flagged, sortCorrespondent: h.sender,
		sortSubject: h.subject, sortDate: h.date, sortSize: h.size}[w.column]
	for _, b := range []*widget.Button{h.unread, h.flagged, h.sender, h.subject, h.date, h.size} {
		text := names[b]
		if b == sorted {
			if w.ascending {
				text += " ▲"
			} else {
				text += " ▼"
			}
		}
		b.SetText(text)
	}
	h.threads.Checked = w.threaded
	h.compact.Checked = compact
}

// CreateRenderer lays the headers out in the list's columns.
func (h *listHeader) CreateRenderer() fyne.WidgetRenderer {
	content := container.New(&headerLayout{h}, h.unread, h.flagged, h.sender, h.subject, h.date, h.size, h.menu)
	return widget.NewSimpleRenderer(container.NewThemeOverride(content, listTheme{}))
}

// headerLayout puts the headers over the columns of compact rows.
type headerLayout struct{ h *listHeader }

// MinSize is one button high.
func (l *headerLayout) MinSize([]fyne.CanvasObject) fyne.Size {
	return fyne.NewSize(markersWidth()+menuWidth()+4*theme.IconInlineSize(), l.h.date.MinSize().Height)
}

// Layout places the buttons for size.
func (l *headerLayout) Layout(_ []fyne.CanvasObject, size fyne.Size) {
	h := l.h
	c := listColumns(size.Width)
	place := func(o fyne.CanvasObject, x, w float32) { placeAt(o, x, 0, w, size.Height) }
	half := markersWidth() / 2
	place(h.unread, 0, half)
	place(h.flagged, half, half)
	place(h.sender, c.senderX, c.senderW)
	place(h.subject, c.subjectX, c.subjectW)
	place(h.date, c.dateX, c.dateW)
	place(h.size, c.sizeX, c.sizeW)
	h.size.Hidden = c.sizeW == 0
	place(h.menu, size.Width-menuWidth(), menuWidth())
}
