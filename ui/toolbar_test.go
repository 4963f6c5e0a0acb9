package ui

import (
	"slices"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
)

// toolbarProblems reports overlapping or clipped objects in tb at its
// current size: every shown item and the "⋯" button must end before the
// search box begins, which must keep its least width.
func toolbarProblems(t *testing.T, tb *toolbar) {
	t.Helper()
	var edge float32
	for _, o := range append(slices.Clone(tb.items), tb.more) {
		if !o.Visible() {
			continue
		}
		if o.Position().X < edge {
			t.Errorf("toolbar object at x %v overlaps the one before, which ends at %v", o.Position().X, edge)
		}
		edge = o.Position().X + o.Size().Width
	}
	if tb.search != nil {
		if s := tb.search.Position().X; s < edge {
			t.Errorf("the search box begins at x %v, before the buttons end at %v", s, edge)
		}
		if w := tb.search.Size().Width; w < tb.search.MinSize().Width {
			t.Errorf("the search box is %v wide, less than its least width %v", w, tb.search.MinSize().Width)
		}
	}
	if edge > tb.Size().Width {
		t.Errorf("the buttons end at x %v, past the toolbar's width %v", edge, tb.Size().Width)
	}
}

// labels are the texts of the buttons among objects.
func labels(objects []fyne.CanvasObject) []string {
	var out []string
	for _, o := range objects {
		if b := buttonOf(o); b != nil {
			out = append(out, b.Text)
		}
	}
	return out
}

func TestToolbarOverflowsWhenNarrow(t *testing.T) {
	test.NewTempApp(t)
	app, _ := openActionFixture(t)
	tb := app.main.toolbar

	app.window.Resize(fyne.NewSize(1200, 720))
	toolbarProblems(t, tb)
	if len(tb.hidden()) != 0 || tb.more.Visible() {
		t.Fatalf("at 1200 wide: hidden %q, ⋯ shown %v; want every button shown", labels(tb.hidden()), tb.more.Visible())
	}

	for _, width := range []float32{1000, 800, 640} {
		app.window.Resize(fyne.NewSize(width, 600))
		hidden := labels(tb.hidden())
		if len(hidden) == 0 || !tb.more.Visible() {
			t.Fatalf("at %v wide: hidden %q, ⋯ shown %v; want buttons in the ⋯ menu", width, hidden, tb.more.Visible())
		}
		toolbarProblems(t, tb)
		if hidden[len(hidden)-1] != "Lock" {
			t.Errorf("at %v wide the hidden buttons are %q; want them taken from the right (Lock last)", width, hidden)
		}
		for _, o := range tb.hidden() {
			if o.Visible() {
				t.Errorf("at %v wide, %q is in the ⋯ menu and still shown", width, labels([]fyne.CanvasObject{o}))
			}
		}

		test.Tap(tb.more)
		pop := app.window.Canvas().Overlays().Top()
		if pop == nil || tb.overflow == nil {
			t.Fatalf("at %v wide, ⋯ showed no menu", width)
		}
		var offered []string
		for _, it := range tb.overflow.Items {
			if !it.IsSeparator {
				offered = append(offered, it.Label)
			}
		}
		if !slices.Equal(offered, hidden) {
			t.Errorf("at %v wide the ⋯ menu offers %q, want the hidden buttons %q", width, offered, hidden)
		}
		pop.Hide()
	}

	// Narrow enough to hide Reply, which is disabled with nothing open:
	// the menu item is disabled too, then follows the button.
	app.window.Resize(fyne.NewSize(480, 600))
	if !slices.Contains(labels(tb.hidden()), "Reply") {
		t.Fatalf("at 480 wide the hidden buttons are %q, want Reply among them", labels(tb.hidden()))
	}
	item := func(label string) *fyne.MenuItem {
		for _, it := range tb.overflowMenu().Items {
			if it.Label == label {
				return it
			}
		}
		t.Fatalf("no %q in the ⋯ menu", label)
		return nil
	}
	if !item("Reply").Disabled {
		t.Error("⋯ → Reply is enabled with no message open")
	}
	openRowOf(t, app, "Parking notice")
	if item("Reply").Disabled {
		t.Error("⋯ → Reply is disabled with a message open")
	}
	item("Settings").Action()
	if app.settingsOf().window == nil {
		t.Error("⋯ → Settings did not open the settings")
	}
}

// TestToolbarAtScale: at FYNE_SCALE=1.5 the main window opens no larger
// than a 1366×768 screen allows, and its toolbar does not overlap there.
func TestToolbarAtScale(t *testing.T) {
	t.Setenv("FYNE_SCALE", "1.5")
	test.NewTempApp(t)
	app, _ := openActionFixture(t)
	room := screenRoom(app.window)
	if want := fyne.NewSize(1366/1.5, 672/1.5); room != want {
		t.Fatalf("room at scale 1.5 got = %v, want %v", room, want)
	}
	app.window.Resize(room)
	if got := app.window.Canvas().Size(); got.Width > room.Width || got.Height > room.Height {
		t.Fatalf("the main window's least size %v is larger than the screen's room %v", got, room)
	}
	toolbarProblems(t, app.main.toolbar)
}

// TestActionBarOverflows: the bar of message actions above the reader
// also moves what does not fit into a ⋯ menu.
func TestActionBarOverflows(t *testing.T) {
	test.NewTempApp(t)
	app, _ := openActionFixture(t)
	openRowOf(t, app, "Parking notice")
	app.window.Resize(fyne.NewSize(800, 600))
	var bar *toolbar
	for _, o := range test.LaidOutObjects(app.window.Content()) {
		if tb, ok := o.(*toolbar); ok && tb != app.main.toolbar {
			bar = tb
		}
	}
	if bar == nil {
		t.Fatal("no action bar above the reader")
	}
	toolbarProblems(t, bar)
	if bar.MinSize().Width > bar.more.MinSize().Width+theme.Padding() {
		t.Errorf("the action bar needs %v wide, want no more than its ⋯ button", bar.MinSize().Width)
	}
}
