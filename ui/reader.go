package ui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/sealpost/sealpost/mail/backend"
)

// reader is the right pane: the security bar, the headers, the text and
// the attachments of the open message.
type reader struct {
	bar           *securityBar
	from, subject *widget.Label
	body          *widget.Label
	attachments   *widget.Label
	placeholder   *widget.Label
	object        fyne.CanvasObject
}

func newReader() *reader {
	r := &reader{
		bar:         newSecurityBar(),
		from:        widget.NewLabel(""),
		subject:     widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		body:        widget.NewLabel(""),
		attachments: widget.NewLabel(""),
		placeholder: widget.NewLabel("Select a message to read it."),
	}
	r.from.Wrapping = fyne.TextWrapWord
	r.subject.Wrapping = fyne.TextWrapWord
	r.body.Wrapping = fyne.TextWrapWord
	r.attachments.Wrapping = fyne.TextWrapWord
	r.attachments.Hide()
	header := container.NewVBox(r.bar.object, r.subject, r.from, widget.NewSeparator())
	text := container.NewVScroll(container.NewVBox(r.placeholder, r.body, r.attachments))
	r.object = container.NewBorder(header, nil, nil, nil, text)
	return r
}

func (r *reader) loading(m backend.MessageSummary) {
	r.bar.clear()
	r.subject.SetText(m.Subject)
	r.from.SetText("From: " + m.From)
	r.body.SetText("")
	r.attachments.Hide()
	r.placeholder.SetText("Decrypting and verifying…")
	r.placeholder.Show()
	r.object.Refresh()
}

func (r *reader) failed(err error) {
	r.bar.clear()
	r.placeholder.SetText(readable(err))
	r.placeholder.Show()
	r.object.Refresh()
}

// show displays m. The security bar comes only from the engine's verdict.
func (r *reader) show(m backend.Message) {
	r.bar.show(m)
	subject := m.Subject
	if subject == "" {
		subject = "(no subject)"
	}
	r.subject.SetText(subject)
	r.from.SetText("From: " + m.From)
	r.placeholder.Hide()
	r.body.SetText(m.Body)
	r.attachments.Hide()
	if len(m.Attachments) > 0 {
		text := plural(len(m.Attachments), "attachment") + ":"
		for _, a := range m.Attachments {
			text += fmt.Sprintf("\n  %s  (%s, %s)", a.Filename, a.ContentType, byteSize(a.Size))
		}
		r.attachments.SetText(text)
		r.attachments.Show()
	}
	// The bar and the headers changed size: lay the pane out again.
	r.object.Refresh()
}

func byteSize(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f kB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
