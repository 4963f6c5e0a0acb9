package ui

import (
	"errors"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sealpost/sealpost/mail/backend"
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

// fixInSettings reports whether err is fixed in an account's settings
// rather than by trying again.
func fixInSettings(err error) bool {
	return errors.Is(err, backend.ErrLoginRejected) || errors.Is(err, backend.ErrCertificateRejected)
}
