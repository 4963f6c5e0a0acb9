package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// notice is a status line that can carry a problem together with what the
// user can do about it: a failed sync offers Retry, and a refused password
// or certificate also Open settings. Plain status text leaves the buttons
// of the last problem in place until the user acts on them or dismisses
// them, so a later "Loading…" cannot hide them.
type notice struct {
	label   *widget.Label
	actions *fyne.Container
	content *fyne.Container
	// relayout, when set, lays out again what holds the notice once its
	// buttons came or went.
	relayout func()
	// window, when set, is where Details opens the whole of an error.
	window fyne.Window
}

// noticeAction is one button of a problem.
type noticeAction struct {
	label string
	run   func()
}

// newNotice wraps label, the status line's text; relayout (may be nil)
// lays out what holds it again when its buttons change.
func newNotice(label *widget.Label, relayout func()) *notice {
	n := &notice{label: label, actions: container.NewHBox(), relayout: relayout}
	n.content = container.NewBorder(nil, nil, nil, n.actions, label)
	return n
}

// problem shows text with one button per action and one that dismisses
// the problem. Each action clears the buttons before it runs.
func (n *notice) problem(text string, actions ...noticeAction) {
	n.label.SetText(text)
	n.actions.RemoveAll()
	for _, a := range actions {
		n.actions.Add(widget.NewButton(a.label, func() {
			n.clear()
			a.run()
		}))
	}
	dismiss := widget.NewButtonWithIcon("", theme.CancelIcon(), n.clear)
	dismiss.Importance = widget.LowImportance
	n.actions.Add(dismiss)
	n.changed()
}

// clear removes the buttons of the last problem.
func (n *notice) clear() {
	n.actions.RemoveAll()
	n.changed()
}

// changed lays the notice, and what holds it, out again.
func (n *notice) changed() {
	n.content.Refresh()
	if n.relayout != nil {
		n.relayout()
	}
}

// showError shows err in the status line as prefix and one plain
// sentence, with the actions of ea that fit it and, when the error has
// more to say, Details, which opens all of it in a dialog. A cancellation
// only says so.
func (n *notice) showError(prefix string, err error, ea errorActions) {
	u := explain(err)
	if u.cancelled {
		n.clear()
		n.label.SetText(prefix + u.sentence)
		return
	}
	actions := ea.fitting(u)
	if u.details != "" && n.window != nil {
		actions = append(actions, noticeAction{"Details", func() { showErrorDialog(n.window, "What went wrong", err, ea) }})
	}
	n.problem(prefix+u.sentence, actions...)
}

// working shows text and a Cancel button, the only one, while work runs
// that the user may stop; the work's end replaces them.
func (n *notice) working(text string, cancel func()) {
	n.label.SetText(text)
	n.actions.RemoveAll()
	n.actions.Add(widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), func() {
		n.clear()
		cancel()
	}))
	n.changed()
}
