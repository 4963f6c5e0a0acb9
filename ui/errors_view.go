package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
)

// errorActions are the ways out that the place showing an error can
// offer; explain decides which of them fit the error.
type errorActions struct {
	// retry runs the failed work again; nil where that makes no sense.
	// It is offered when the error says trying again may help, or
	// always with retryAlways (a sync, which the user may want again
	// after fixing something elsewhere).
	retry       func()
	retryAlways bool
	// settings opens the account's settings; nil where they cannot be
	// opened from here.
	settings func()
	// signIn signs the account in again with its provider; nil where the
	// account is not known here.
	signIn func()
	// extra are offered whatever the error (Open outbox, say).
	extra []noticeAction
}

// fitting returns the buttons for u, in the order Retry, Sign in again,
// Open settings, then the extra ones.
func (ea errorActions) fitting(u userError) []noticeAction {
	var out []noticeAction
	if (u.retry || ea.retryAlways) && ea.retry != nil {
		out = append(out, noticeAction{"Retry", ea.retry})
	}
	if u.signIn && ea.signIn != nil {
		out = append(out, noticeAction{"Sign in again", ea.signIn})
	}
	if u.settings && ea.settings != nil {
		out = append(out, noticeAction{"Open settings", ea.settings})
	}
	return append(out, ea.extra...)
}

// errorView shows an error inside a window: the sentence, wrapped and
// never cut; a Details expander with the technical chain; and the
// fitting actions. Hidden while there is no error.
type errorView struct {
	sentence *widget.Label
	details  *widget.Label
	expander *widget.Accordion
	actions  *fyne.Container
	content  *fyne.Container
	// relayout, when set, lays out again what holds the view once it
	// appeared, changed or went.
	relayout func()
}

func newErrorView() *errorView {
	e := &errorView{sentence: widget.NewLabel(""), details: widget.NewLabel(""), actions: container.NewHBox()}
	e.sentence.Wrapping = fyne.TextWrapWord
	e.sentence.Importance = widget.DangerImportance
	e.details.Wrapping = fyne.TextWrapBreak
	e.details.TextStyle = fyne.TextStyle{Monospace: true}
	e.details.Selectable = true
	e.expander = widget.NewAccordion(widget.NewAccordionItem("Details", e.details))
	e.content = container.NewVBox(e.sentence, e.expander, e.actions)
	e.content.Hide()
	return e
}

// show shows err with the actions of ea that fit it; a cancellation shows
// only "Cancelled.", not as a problem.
func (e *errorView) show(err error, ea errorActions) userError {
	u := explain(err)
	e.sentence.SetText(u.sentence)
	e.sentence.Importance = widget.DangerImportance
	if u.cancelled {
		e.sentence.Importance = widget.MediumImportance
	}
	e.details.SetText(u.details)
	e.expander.CloseAll()
	if u.details == "" {
		e.expander.Hide()
	} else {
		e.expander.Show()
	}
	e.actions.RemoveAll()
	for _, a := range ea.fitting(u) {
		e.actions.Add(widget.NewButton(a.label, func() {
			e.clear()
			a.run()
		}))
	}
	e.content.Show()
	e.changed()
	return u
}

// clear hides the error.
func (e *errorView) clear() {
	e.actions.RemoveAll()
	e.content.Hide()
	e.changed()
}

// changed lays the view, and what holds it, out again.
func (e *errorView) changed() {
	e.content.Refresh()
	if e.relayout != nil {
		e.relayout()
	}
}

// showErrorDialog shows err in a dialog over parent: the sentence, the
// Details expander and, beside Close, the actions of ea that fit it.
func showErrorDialog(parent fyne.Window, title string, err error, ea errorActions) dialog.Dialog {
	view := newErrorView()
	var d dialog.Dialog
	u := view.show(err, errorActions{})
	buttons := []fyne.CanvasObject{}
	for _, a := range ea.fitting(u) {
		buttons = append(buttons, widget.NewButton(a.label, func() {
			d.Hide()
			a.run()
		}))
	}
	buttons = append(buttons, widget.NewButton("Close", func() { d.Hide() }))
	view.actions.Objects = buttons
	d = dialog.NewCustomWithoutButtons(title, view.content, parent)
	d.Resize(fyne.NewSize(520, view.content.MinSize().Height+80))
	d.Show()
	return d
}
