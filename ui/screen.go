package ui

import (
	"os"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
)

// smallScreen is the smallest screen Sealpost's windows are made to fit,
// in pixels: a 1366×768 laptop, less room for a desktop panel and a
// window's title bar. Fyne cannot tell the app the real screen's size, so
// every window opens no larger than this at the scale the app runs at.
var smallScreen = fyne.NewSize(1366, 768-96)

// appScale is the scale the app's windows draw at: the window's own once
// it is shown, at least the FYNE_SCALE a user set (Fyne multiplies it by
// the screen's detected scale).
func appScale(w fyne.Window) float32 {
	scale := float32(1)
	if c := w.Canvas(); c != nil && c.Scale() > scale {
		scale = c.Scale()
	}
	if env, err := strconv.ParseFloat(os.Getenv("FYNE_SCALE"), 32); err == nil && float32(env) > scale {
		scale = float32(env)
	}
	return scale
}

// screenRoom is the room a window of the app has on the small screen, in
// Fyne's units at the app's scale.
func screenRoom(w fyne.Window) fyne.Size {
	s := appScale(w)
	return fyne.NewSize(smallScreen.Width/s, smallScreen.Height/s)
}

// fitSize is want, made no larger than the small screen at the app's
// scale.
func fitSize(w fyne.Window, want fyne.Size) fyne.Size {
	return want.Min(screenRoom(w))
}

// fitWindow resizes w to want, or to less where want would not fit on the
// small screen. The window's content should scroll (see scrolled) so that
// its least size fits too.
func fitWindow(w fyne.Window, want fyne.Size) { w.Resize(fitSize(w, want)) }

// fitDialog is the size for a dialog over parent: want, no larger than
// parent's window less a margin, nor than the small screen.
func fitDialog(parent fyne.Window, want fyne.Size) fyne.Size {
	size := fitSize(parent, want)
	if c := parent.Canvas(); c != nil && c.Size().Width > 0 {
		size = size.Min(c.Size().SubtractWidthHeight(40, 40))
	}
	return size
}

// scrolled lays a window's content out with actions always visible below
// it: body scrolls vertically when the window is too short for it.
func scrolled(body, actions fyne.CanvasObject) fyne.CanvasObject {
	return container.NewBorder(nil, actions, nil, nil, container.NewVScroll(body))
}
