package ui

import (
	"slices"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"github.com/sealpost/sealpost/mail/backend"
)

// headerField is one line of the reader's header block.
type headerField struct {
	// name is the field as the message names it ("Reply-To"), which
	// backend.Message.Protected lists; label is what the reader calls it.
	name, label string
	value       func(h *headerBlock, m backend.Message) string
}

// headerFields are the lines of the header block, in Thunderbird's order.
// Empty fields are left out, except From and To: in Sent, To is who the
// message went to, and a message without one says so.
var headerFields = []headerField{
	{"From", "From", func(_ *headerBlock, m backend.Message) string { return orNone(m.From, "(no sender)") }},
	{"To", "To", func(_ *headerBlock, m backend.Message) string { return orNone(m.To, "(no recipients shown)") }},
	{"Cc", "Cc", func(_ *headerBlock, m backend.Message) string { return m.Cc }},
	{"Bcc", "Bcc", func(_ *headerBlock, m backend.Message) string { return m.Bcc }},
	{"Reply-To", "Reply to", func(_ *headerBlock, m backend.Message) string { return m.ReplyTo }},
	{"Date", "Date", func(h *headerBlock, m backend.Message) string { return h.date(m.Date) }},
}

func orNone(s, none string) string {
	if s == "" {
		return none
	}
	return s
}

// headerBlock shows From, To, Cc, Bcc, Reply-To and Date of the open message.
// A value that came from the message's protected headers carries a lock
// beside it, an icon of the app's own that the message cannot draw; an
// outer value never does.
type headerBlock struct {
	form   *fyne.Container
	object fyne.CanvasObject
	// zone is where the reader is: dates show in its time, and in the
	// sender's too when that differs.
	zone *time.Location
	// shown is what each line says, by field name, and protected which
	// of them carry the lock (for tests).
	shown     map[string]string
	protected map[string]bool
}

func newHeaderBlock() *headerBlock {
	h := &headerBlock{form: container.New(layout.NewFormLayout()), zone: time.Local}
	h.object = h.form
	h.clear()
	return h
}

// show fills the block from m.
func (h *headerBlock) show(m backend.Message) {
	h.clear()
	for _, f := range headerFields {
		text := f.value(h, m)
		if text == "" {
			continue
		}
		protected := slices.Contains(m.Protected, f.name)
		h.shown[f.name], h.protected[f.name] = text, protected
		name := widget.NewLabelWithStyle(f.label, fyne.TextAlignTrailing, fyne.TextStyle{Bold: true})
		value := widget.NewLabel(text)
		value.Wrapping = fyne.TextWrapWord
		value.Selectable = true
		var line fyne.CanvasObject = value
		if protected {
			line = container.NewBorder(nil, nil, nil, widget.NewIcon(lockIcon), value)
		}
		h.form.Add(name)
		h.form.Add(line)
	}
	h.form.Refresh()
}

// clear empties the block.
func (h *headerBlock) clear() {
	h.form.RemoveAll()
	h.shown, h.protected = map[string]string{}, map[string]bool{}
}

// date writes d in the reader's time, and adds the sender's own time when
// the sender's zone is another offset at that moment: "Fri 20 Nov 2026
// 10:30 (sender's time 09:30 +0000)". A zero date is "".
func (h *headerBlock) date(d time.Time) string {
	if d.IsZero() {
		return ""
	}
	local := d.In(h.zone)
	text := local.Format("Mon 2 Jan 2006 15:04")
	_, senderOffset := d.Zone()
	if _, localOffset := local.Zone(); senderOffset == localOffset {
		return text
	}
	layout := "15:04 -0700"
	if d.YearDay() != local.YearDay() || d.Year() != local.Year() {
		layout = "Mon 2 Jan 15:04 -0700"
	}
	return text + " (sender's time " + d.Format(layout) + ")"
}
