package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// searchMinWidth is the narrowest the toolbar lets the search box (with
// its scope choice) become before it moves buttons into the "⋯" menu.
const searchMinWidth = 300

// toolbar is a row of buttons from the left, with (in the main window)
// the search box filling the rest. Buttons that do not fit beside the
// search box move, the rightmost first, into the menu of a "⋯" button, so
// that at any width nothing overlaps and every action stays reachable.
type toolbar struct {
	widget.BaseWidget
	items  []fyne.CanvasObject // buttons and separators, left to right
	search fyne.CanvasObject   // nil for a row of buttons only
	more   *widget.Button      // opens the hidden items' menu; shown while items are hidden
	shown  int                 // how many items the last layout showed

	// overflow is the menu the "⋯" button opened last, kept for tests.
	overflow *fyne.Menu
}

// newToolbar returns a toolbar with items (buttons and separators) and
// search, which may be nil.
func newToolbar(search fyne.CanvasObject, items ...fyne.CanvasObject) *toolbar {
	t := &toolbar{items: items, search: search, shown: len(items)}
	t.more = widget.NewButtonWithIcon("", theme.MoreHorizontalIcon(), t.showOverflow)
	t.ExtendBaseWidget(t)
	return t
}

// CreateRenderer lays the items, the "⋯" button and the search box out
// with toolbarLayout.
func (t *toolbar) CreateRenderer() fyne.WidgetRenderer {
	objects := append(append([]fyne.CanvasObject{}, t.items...), t.more)
	if t.search != nil {
		objects = append(objects, t.search)
	}
	return &toolbarRenderer{t: t, objects: objects}
}

// hidden are the items the "⋯" menu offers: those past the shown ones.
func (t *toolbar) hidden() []fyne.CanvasObject { return t.items[t.shown:] }

// overflowMenu builds the "⋯" menu from the hidden items as they are now
// (labels, icons, enabled or not); separators stay between groups.
func (t *toolbar) overflowMenu() *fyne.Menu {
	var items []*fyne.MenuItem
	for _, o := range t.hidden() {
		b := buttonOf(o)
		if b == nil {
			if len(items) > 0 && !items[len(items)-1].IsSeparator {
				items = append(items, fyne.NewMenuItemSeparator())
			}
			continue
		}
		item := fyne.NewMenuItemWithIcon(b.Text, b.Icon, b.OnTapped)
		item.Disabled = b.Disabled()
		items = append(items, item)
	}
	if n := len(items); n > 0 && items[n-1].IsSeparator {
		items = items[:n-1]
	}
	return fyne.NewMenu("", items...)
}

// showOverflow opens the "⋯" menu below its button.
func (t *toolbar) showOverflow() {
	c := fyne.CurrentApp().Driver().CanvasForObject(t.more)
	if c == nil {
		return
	}
	t.overflow = t.overflowMenu()
	pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(t.more).AddXY(0, t.more.Size().Height)
	widget.ShowPopUpMenuAtPosition(t.overflow, c, pos)
}

// buttonOf is the button o is, or nil for a separator.
func buttonOf(o fyne.CanvasObject) *widget.Button {
	b, _ := o.(*widget.Button)
	return b
}

// toolbarRenderer places the toolbar's objects; see toolbar.
type toolbarRenderer struct {
	t       *toolbar
	objects []fyne.CanvasObject
}

func (r *toolbarRenderer) Destroy() {}

func (r *toolbarRenderer) Objects() []fyne.CanvasObject { return r.objects }

func (r *toolbarRenderer) Refresh() {
	r.Layout(r.t.Size())
	for _, o := range r.objects {
		o.Refresh()
	}
}

// searchWidth is the least width the search box gets.
func (r *toolbarRenderer) searchWidth() float32 {
	if r.t.search == nil {
		return 0
	}
	return max(searchMinWidth, r.t.search.MinSize().Width+theme.Padding())
}

// MinSize is the "⋯" button beside the search box at its least width: any
// wider, and buttons come out of the menu.
func (r *toolbarRenderer) MinSize() fyne.Size {
	h := r.t.more.MinSize().Height
	for _, o := range r.objects {
		h = max(h, o.MinSize().Height)
	}
	return fyne.NewSize(r.t.more.MinSize().Width+r.searchWidth(), h)
}

// Layout shows as many items as fit beside the search box at its least
// width, the "⋯" button when some do not, and gives the search box the
// rest of the width.
func (r *toolbarRenderer) Layout(size fyne.Size) {
	t, pad := r.t, theme.Padding()
	widths := make([]float32, len(t.items))
	var all float32
	for i, o := range t.items {
		widths[i] = o.MinSize().Width
		all += widths[i] + pad
	}
	room := size.Width - r.searchWidth()
	shown := len(t.items)
	if all > room {
		// Not all fit: the "⋯" button takes its place, then items from
		// the left while they fit.
		room -= t.more.MinSize().Width + pad
		shown = 0
		var used float32
		for shown < len(t.items) && used+widths[shown]+pad <= room {
			used += widths[shown] + pad
			shown++
		}
		for shown > 0 && buttonOf(t.items[shown-1]) == nil {
			shown-- // no separator at the end of the shown ones
		}
	}
	t.shown = shown

	var x float32
	for i, o := range t.items {
		if i >= shown {
			o.Hide()
			continue
		}
		o.Show()
		o.Move(fyne.NewPos(x, 0))
		o.Resize(fyne.NewSize(widths[i], size.Height))
		x += widths[i] + pad
	}
	if shown < len(t.items) {
		t.more.Show()
		t.more.Move(fyne.NewPos(x, 0))
		w := t.more.MinSize().Width
		t.more.Resize(fyne.NewSize(w, size.Height))
		x += w + pad
	} else {
		t.more.Hide()
	}
	if t.search != nil {
		t.search.Move(fyne.NewPos(x, 0))
		t.search.Resize(fyne.NewSize(max(size.Width-x, 0), size.Height))
	}
}
