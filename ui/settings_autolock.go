package ui

import (
	"hash/maphash"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"

	"github.com/sealpost/sealpost/mail/backend"
)

// idleLock locks the app after a time without input. Input seen by Fyne
// hooks moves lastInput; when the timer fires early input re-arms it for
// the rest of the idle time.
type idleLock struct {
	// after runs f once d has passed and returns a function that stops
	// it; tests replace it to fire the timer themselves.
	after func(d time.Duration, f func()) (stop func() bool)

	stop      func() bool
	gen       int       // the armed timer's generation; older ones are ignored
	lastInput time.Time // the latest input seen through the hooks
	mark      idleMark  // the state of the windows when the timer was armed
}

// idleMark is what input changes without passing through a hook Fyne
// offers (typing in a focused entry, clicking a button that opens a
// window, selecting or scrolling messages): if it differs when the timer
// fires, there was input.
type idleMark struct {
	windows int
	focused []fyne.Focusable
	texts   []uint64 // hashes of the focused entries' text, not the text
	opened  any
	scroll  float32 // the message list's scroll offset
}

// markSeed seeds the hashes of entry texts in idle marks.
var markSeed = maphash.MakeSeed()

func afterFunc(d time.Duration, f func()) func() bool { return time.AfterFunc(d, f).Stop }

// startAutoLock arms auto-lock for the main view and watches its window for
// input.
func (ui *App) startAutoLock() {
	c := ui.window.Canvas()
	ui.window.SetContent(newActivityWatcher(c.Content(), ui.sawInput))
	if dc, ok := c.(desktop.Canvas); ok {
		dc.SetOnKeyDown(func(*fyne.KeyEvent) { ui.sawInput() })
	}
	c.SetOnTypedRune(func(rune) { ui.sawInput() })
	ui.armAutoLock()
	ui.loadPreferences()
}

// armAutoLock (re)starts the idle timer with the chosen idle time.
func (ui *App) armAutoLock() {
	s := ui.settingsOf()
	il := &s.idle
	if il.stop != nil {
		il.stop()
		il.stop = nil
	}
	il.gen++
	minutes := s.prefs.autoLockMinutes
	if minutes <= 0 || ui.main == nil {
		return
	}
	il.lastInput = ui.now()
	ui.armIdle(autoLockDuration(minutes))
}

// armIdle starts the timer for d from now.
func (ui *App) armIdle(d time.Duration) {
	il := &ui.settingsOf().idle
	if il.after == nil {
		il.after = afterFunc
	}
	il.mark = ui.idleMark()
	gen := il.gen
	il.stop = il.after(d, func() { ui.tasks.do(func() { ui.idleExpired(gen) }) })
}

// sawInput records input in one of the app's windows.
func (ui *App) sawInput() { ui.settingsOf().idle.lastInput = ui.now() }

// idleExpired runs on the UI goroutine when timer gen fires: it locks the
// app, or re-arms the timer when there was input since.
func (ui *App) idleExpired(gen int) {
	s := ui.settingsOf()
	il := &s.idle
	if gen != il.gen || ui.main == nil {
		return // re-armed, turned off, or already locked
	}
	il.stop = nil
	idle := autoLockDuration(s.prefs.autoLockMinutes)
	if !sameMark(il.mark, ui.idleMark()) {
		il.lastInput = ui.now()
		ui.armIdle(idle)
		return
	}
	if since := ui.now().Sub(il.lastInput); since < idle {
		ui.armIdle(idle - since)
		return
	}
	ui.lockAndWipe()
}

// idleMark records the windows' focus and the focused entries' text.
func (ui *App) idleMark() idleMark {
	m := idleMark{windows: len(ui.extra)}
	if ui.main != nil {
		m.opened, m.scroll = ui.main.opened, ui.main.list.GetScrollOffset()
	}
	for _, w := range append([]fyne.Window{ui.window}, ui.extra...) {
		f := w.Canvas().Focused()
		m.focused = append(m.focused, f)
		text := ""
		switch e := f.(type) {
		case *widget.Entry:
			text = e.Text
		case *sendEntry:
			text = e.Text
		}
		m.texts = append(m.texts, maphash.String(markSeed, text))
	}
	return m
}

func sameMark(a, b idleMark) bool {
	if a.windows != b.windows || a.opened != b.opened || a.scroll != b.scroll || len(a.focused) != len(b.focused) {
		return false
	}
	for i := range a.focused {
		if a.focused[i] != b.focused[i] || a.texts[i] != b.texts[i] {
			return false
		}
	}
	return true
}

// lockAndWipe drops the decrypted mail the main view shows and holds, then
// locks: the profile closes, every other window closes and the unlock
// screen shows.
func (ui *App) lockAndWipe() {
	s := ui.settingsOf()
	if s.idle.stop != nil {
		s.idle.stop()
		s.idle.stop = nil
	}
	s.idle.gen++
	s.idle.mark = idleMark{}
	if v := ui.main; v != nil {
		v.opened, v.message = nil, nil
		v.reader.wipe()
		v.rows.set(nil)
		v.list.UnselectAll()
		v.list.Refresh()
		v.search.SetText("")
		v.accounts, v.folders, v.unread = nil, map[string][]backend.Folder{}, map[string]int{}
		v.lastComposer = nil
	}
	ui.lock()
}

// wipe empties the reader: headers, text and attachments' data go.
func (r *reader) wipe() { r.clear("") }

// activityWatcher wraps a window's content and notes mouse movement
// anywhere over it. Fyne has no window-wide input hook: mouse events go to
// the deepest widget that takes them. But on every mouse movement Fyne's
// desktop driver asks each object under the pointer, ancestors included,
// for its cursor; the watcher, the ancestor of everything in the window,
// notes each such question as input. Where nothing else takes the mouse,
// the watcher receives the movement itself. (Should a later Fyne stop
// asking for cursors, auto-lock would only lock sooner: it never stays
// unlocked for lack of this hook.)
type activityWatcher struct {
	widget.BaseWidget
	content fyne.CanvasObject
	input   func()
}

func newActivityWatcher(content fyne.CanvasObject, input func()) *activityWatcher {
	w := &activityWatcher{content: content, input: input}
	w.ExtendBaseWidget(w)
	return w
}

// CreateRenderer shows the content, filling the watcher from its top left
// corner (a stack places it there; the content may come from a window
// that had moved it).
func (w *activityWatcher) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(container.NewStack(w.content))
}

// Cursor notes input and leaves the cursor to the objects under the
// pointer.
func (w *activityWatcher) Cursor() desktop.Cursor {
	w.input()
	return desktop.DefaultCursor
}

// MouseIn notes input.
func (w *activityWatcher) MouseIn(*desktop.MouseEvent) { w.input() }

// MouseMoved notes input.
func (w *activityWatcher) MouseMoved(*desktop.MouseEvent) { w.input() }

// MouseOut is not input.
func (w *activityWatcher) MouseOut() {}
