package ui

import (
	"fmt"
	"image/color"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sealpost/sealpost/mail/backend"
)

// listPadding is the inner padding of the texts in the message list and
// its header: less than elsewhere, so that more rows fit.
const listPadding = 2

// indentStep is how far each level of a thread is indented.
const indentStep = 14

// listTheme is the app's theme with the list's smaller inner padding.
type listTheme struct{}

func (listTheme) current() fyne.Theme { return fyne.CurrentApp().Settings().Theme() }

// Color is the app theme's.
func (t listTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	return t.current().Color(n, v)
}

// Font is the app theme's.
func (t listTheme) Font(s fyne.TextStyle) fyne.Resource { return t.current().Font(s) }

// Icon is the app theme's.
func (t listTheme) Icon(n fyne.ThemeIconName) fyne.Resource { return t.current().Icon(n) }

// Size is the app theme's, but for the inner padding.
func (t listTheme) Size(n fyne.ThemeSizeName) float32 {
	if n == theme.SizeNameInnerPadding {
		return listPadding
	}
	return t.current().Size(n)
}

// columns are the x positions and widths of the list's columns for a width:
// the markers (unread, flagged), correspondent, subject, date and size,
// then room for the header's view menu.
type columns struct {
	senderX, senderW, subjectX, subjectW, dateX, dateW, sizeX, sizeW float32
}

// markersWidth is the width of the markers column: two icon buttons.
func markersWidth() float32 { return 2 * (theme.IconInlineSize() + 2*listPadding) }

// menuWidth is the width of the header's view menu button.
func menuWidth() float32 { return theme.IconInlineSize() + 2*listPadding + theme.Padding() }

func textWidth(s string) float32 {
	return fyne.MeasureText(s, theme.TextSize(), fyne.TextStyle{}).Width + 2*listPadding + theme.Padding()
}

// narrowColumns is the width for correspondent and subject below which the
// size column is left out.
const narrowColumns = 360

// listColumns divides width: fixed widths for markers, date and size (no
// size when narrow), 35% of the rest for the correspondent and the
// remainder for the subject.
func listColumns(width float32) columns {
	var c columns
	c.dateW, c.sizeW = textWidth("2026-12-31"), textWidth("99.9 MB")
	c.senderX = markersWidth()
	rest := max(width-c.senderX-c.dateW-c.sizeW-menuWidth(), 0)
	if rest < narrowColumns {
		rest += c.sizeW
		c.sizeW = 0
	}
	c.senderW = rest * 0.35
	c.subjectX = c.senderX + c.senderW
	c.subjectW = rest - c.senderW
	c.dateX = c.subjectX + c.subjectW
	c.sizeX = c.dateX + c.dateW
	return c
}

// rowState is what a row shows besides its message.
type rowState struct {
	name, where    string // the correspondent; the folder in search results
	now            time.Time
	selected       bool
	compact        bool // one line in columns, else two lines
	threaded       bool // the list shows threads
	depth, answers int  // thread indentation and answers below
	collapsed      bool // the answers are hidden
}

// messageRow is one row of the message list. It takes the clicks on it
// itself (widget.List's rows do not tell which modifier keys were held).
type messageRow struct {
	widget.BaseWidget
	background                            *canvas.Rectangle // the selection highlight
	unread, flagged, lock, signed, attach *widget.Icon
	sender, subject, date, where, size    *widget.Label
	count                                 *widget.Label // answers of a collapsed thread
	twisty                                *twisty
	compact, threaded                     bool
	depth                                 int

	row     int              // the list row shown
	mod     fyne.KeyModifier // the modifiers held when the mouse went down
	tapped  func(row int, mod fyne.KeyModifier)
	toggled func(row int) // the thread's disclosure was tapped
}

func newMessageRow(tapped func(row int, mod fyne.KeyModifier), toggled func(row int)) *messageRow {
	r := &messageRow{
		background: canvas.NewRectangle(theme.Color(theme.ColorNameSelection)),
		unread:     widget.NewIcon(nil), flagged: widget.NewIcon(nil), lock: widget.NewIcon(nil),
		signed: widget.NewIcon(nil), attach: widget.NewIcon(nil),
		sender: widget.NewLabel(""), subject: widget.NewLabel(""), date: widget.NewLabel(""),
		where: widget.NewLabel(""), size: widget.NewLabel(""), count: widget.NewLabel(""),
		tapped: tapped, toggled: toggled,
	}
	r.twisty = newTwisty(func() { r.toggled(r.row) })
	r.background.Hide()
	r.sender.Truncation = fyne.TextTruncateEllipsis
	r.subject.Truncation = fyne.TextTruncateEllipsis
	r.where.Truncation = fyne.TextTruncateEllipsis
	r.date.Alignment = fyne.TextAlignTrailing
	r.size.Alignment = fyne.TextAlignTrailing
	r.where.Hide()
	r.count.Hide()
	r.twisty.Hide()
	r.ExtendBaseWidget(r)
	return r
}

// CreateRenderer lays the row out over its selection highlight, in the
// list's theme.
func (r *messageRow) CreateRenderer() fyne.WidgetRenderer {
	content := container.New(&messageRowLayout{r}, r.unread, r.flagged, r.sender, r.where, r.date, r.size,
		r.twisty, r.subject, r.count, r.lock, r.signed, r.attach)
	return widget.NewSimpleRenderer(container.NewStack(r.background, container.NewThemeOverride(content, listTheme{})))
}

// MouseDown notes the modifier keys of a click.
func (r *messageRow) MouseDown(e *desktop.MouseEvent) { r.mod = e.Modifier }

// MouseUp is part of a click; MouseDown and Tapped handle it.
func (r *messageRow) MouseUp(*desktop.MouseEvent) {}

// Tapped selects the row as the modifiers held say.
func (r *messageRow) Tapped(*fyne.PointEvent) {
	mod := r.mod
	r.mod = 0
	r.tapped(r.row, mod)
}

// show puts m, listed at row, in the row as s says.
func (r *messageRow) show(row int, m backend.MessageSummary, s rowState) {
	r.row = row
	r.compact, r.threaded, r.depth = s.compact, s.threaded, s.depth
	r.background.FillColor = theme.Color(theme.ColorNameSelection)
	r.background.Hidden = !s.selected
	r.where.SetText(s.where)
	r.where.Hidden = s.where == ""
	r.unread.SetResource(pick(!m.Seen, unreadIcon))
	r.flagged.SetResource(pick(m.Flagged, flagIcon))
	r.lock.SetResource(pick(m.Encrypted, lockIcon))
	r.signed.SetResource(pick(m.Signed, signaturePresentIcon))
	r.attach.SetResource(pick(m.HasAttachments, theme.FileIcon()))
	r.sender.TextStyle.Bold = !m.Seen
	r.subject.TextStyle.Bold = !m.Seen
	r.sender.SetText(s.name)
	subject := m.Subject
	if subject == "" {
		subject = "(no subject)"
	}
	r.subject.SetText(subject)
	r.date.SetText(listDate(m.Date, s.now))
	r.size.SetText(sizeText(m.Size))
	r.twisty.Hidden = s.answers == 0
	r.twisty.set(s.collapsed)
	r.count.Hidden = !s.collapsed || s.answers == 0
	r.count.SetText(fmt.Sprintf("(%d)", s.answers+1))
	r.Refresh() // widths changed: lay the row out again
}

// placeAt moves o to x, y and gives it width w (none when negative) and
// height h.
func placeAt(o fyne.CanvasObject, x, y, w, h float32) {
	o.Move(fyne.NewPos(x, y))
	o.Resize(fyne.NewSize(max(w, 0), h))
}

func pick(on bool, r fyne.Resource) fyne.Resource {
	if on {
		return r
	}
	return nil
}

// sizeText is a message size as the list shows it.
func sizeText(n uint32) string {
	switch {
	case n == 0:
		return ""
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d kB", (n+512)>>10)
	}
	return fmt.Sprintf("%d B", n)
}

// messageRowLayout places a row's parts: in one line in the list's columns
// when compact, else in two lines (correspondent, folder and date; subject,
// security icons and size) beside the markers.
type messageRowLayout struct{ r *messageRow }

func (l *messageRowLayout) lineHeight() float32 { return l.r.subject.MinSize().Height }

// MinSize is one line (compact) or two, with a little room around.
func (l *messageRowLayout) MinSize([]fyne.CanvasObject) fyne.Size {
	h := max(l.lineHeight(), theme.IconInlineSize())
	if !l.r.compact {
		h = 2 * l.lineHeight()
	}
	return fyne.NewSize(markersWidth()+4*theme.IconInlineSize(), h+2*listPadding)
}

// Layout places the parts for size.
func (l *messageRowLayout) Layout(_ []fyne.CanvasObject, size fyne.Size) {
	r := l.r
	icon, lineH := theme.IconInlineSize(), l.lineHeight()
	iconX := (markersWidth()/2 - icon) / 2
	if r.compact {
		c := listColumns(size.Width)
		y := (size.Height - lineH) / 2
		iy := (size.Height - icon) / 2
		placeAt(r.unread, iconX, iy, icon, icon)
		placeAt(r.flagged, iconX+markersWidth()/2, iy, icon, icon)
		placeAt(r.sender, c.senderX, y, c.senderW, lineH)
		l.subjectLine(c.subjectX, c.subjectX+c.subjectW, y, iy)
		placeAt(r.date, c.dateX, y, c.dateW, lineH)
		placeAt(r.size, c.sizeX, y, c.sizeW, lineH)
		r.size.Hidden = c.sizeW == 0
		return
	}
	y1 := float32(listPadding)
	y2 := y1 + lineH
	placeAt(r.unread, iconX, y1+(lineH-icon)/2, icon, icon)
	placeAt(r.flagged, iconX, y2+(lineH-icon)/2, icon, icon)
	x0 := markersWidth() / 2
	right := size.Width - menuWidth()
	dw := r.date.MinSize().Width
	placeAt(r.date, right-dw, y1, dw, lineH)
	right -= dw
	if r.where.Visible() {
		ww := min(r.where.MinSize().Width, (right-x0)/2)
		placeAt(r.where, right-ww, y1, ww, lineH)
		right -= ww
	}
	placeAt(r.sender, x0, y1, right-x0, lineH)
	right = size.Width - menuWidth()
	r.size.Hidden = false
	sw := r.size.MinSize().Width
	placeAt(r.size, right-sw, y2, sw, lineH)
	l.subjectLine(x0, right-sw, y2, y2+(lineH-icon)/2)
}

// subjectLine places, from left to right between x and right: the thread
// indentation and disclosure, the subject, the collapsed thread's count and
// the security and attachment icons; y for texts, iy for icons. In a
// compact row the folder of a search result goes here too.
func (l *messageRowLayout) subjectLine(x, right, y, iy float32) {
	r := l.r
	icon, lineH := theme.IconInlineSize(), l.lineHeight()
	x += float32(min(r.depth, 8)) * indentStep
	if r.twisty.Visible() {
		placeAt(r.twisty, x, iy, icon, icon)
	}
	if r.threaded {
		x += icon // answers line up under their parent's subject
	}
	for _, ic := range []*widget.Icon{r.attach, r.signed, r.lock} {
		if ic.Resource != nil {
			right -= icon
			placeAt(ic, right, iy, icon, icon)
		} else {
			placeAt(ic, right, iy, 0, 0)
		}
	}
	if r.count.Visible() {
		w := r.count.MinSize().Width
		right -= w
		placeAt(r.count, right, y, w, lineH)
	}
	if r.compact && r.where.Visible() {
		w := min(r.where.MinSize().Width, (right-x)/2)
		right -= w
		placeAt(r.where, right, y, w, lineH)
	}
	placeAt(r.subject, x, y, right-x, lineH)
}

// twisty is the disclosure triangle of a thread: ▾ open, ▸ collapsed.
type twisty struct {
	widget.Icon
	onTapped func()
}

func newTwisty(onTapped func()) *twisty {
	t := &twisty{onTapped: onTapped}
	t.ExtendBaseWidget(t)
	t.set(false)
	return t
}

// set shows whether the thread is collapsed.
func (t *twisty) set(collapsed bool) {
	if collapsed {
		t.SetResource(theme.MenuExpandIcon())
	} else {
		t.SetResource(theme.MenuDropDownIcon())
	}
}

// Tapped collapses or expands the thread.
func (t *twisty) Tapped(*fyne.PointEvent) { t.onTapped() }
