package ui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
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

	// saves holds a Save button per attachment; saveStatus says where the
	// last one went. save is the dialog, replaced in tests; work runs the
	// writes off the UI goroutine.
	saves      *fyne.Container
	saveStatus *widget.Label
	save       saveFunc
	work       tasks
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
	r.saves = container.NewVBox()
	r.saveStatus = widget.NewLabel("")
	r.saveStatus.Wrapping = fyne.TextWrapWord
	r.save = r.saveWithDialog
	header := container.NewVBox(r.bar.object, r.subject, r.from, widget.NewSeparator())
	text := container.NewVScroll(container.NewVBox(r.placeholder, r.body, r.attachments, r.saves, r.saveStatus))
	r.object = container.NewBorder(header, nil, nil, nil, text)
	return r
}

func (r *reader) loading(m backend.MessageSummary) {
	r.bar.clear()
	r.subject.SetText(m.Subject)
	r.from.SetText("From: " + m.From)
	r.body.SetText("")
	r.attachments.Hide()
	r.showSaves(nil)
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
	r.showSaves(m.Attachments)
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

// showSaves puts a Save button for each attachment under the list; nil
// removes them (and the references to the attachments' bytes).
func (r *reader) showSaves(attachments []backend.Attachment) {
	r.saves.RemoveAll()
	r.saveStatus.SetText("")
	for _, a := range attachments {
		b := widget.NewButtonWithIcon("Save "+a.Filename+"…", theme.DocumentSaveIcon(), func() { r.saveAttachment(a) })
		b.Alignment = widget.ButtonAlignLeading
		b.Importance = widget.LowImportance
		r.saves.Add(b)
	}
}

// saveAttachment asks where to save a and writes it there: the only way
// an attachment's plaintext reaches the disk, and only on the user's
// explicit request.
func (r *reader) saveAttachment(a backend.Attachment) {
	name := filepath.Base(a.Filename)
	if name == "." || name == string(filepath.Separator) || name == "" {
		name = "attachment"
	}
	r.save(name, a.Data, func(where string, err error) {
		switch {
		case err != nil:
			r.saveStatus.SetText(readable(err))
		case where != "":
			r.saveStatus.SetText(fmt.Sprintf("Saved %s to %s, readable only by you.", name, where))
		}
	})
}

// errNotLocalFile is returned when the chosen place cannot be restricted
// to the user.
var errNotLocalFile = errors.New("attachments can only be saved to a file on this computer")

// privateFile is a file writer whose permissions can be restricted: what
// Fyne's save dialog returns for local files (it embeds *os.File).
type privateFile interface {
	io.WriteCloser
	Chmod(mode os.FileMode) error
}

// writePrivate makes w's file readable and writable by the user only
// (0600), then writes data and closes it. It writes nothing unless the
// permissions could be set.
func writePrivate(w io.WriteCloser, data []byte) error {
	f, ok := w.(privateFile)
	if !ok {
		w.Close()
		return errNotLocalFile
	}
	err := f.Chmod(0o600)
	if err == nil {
		_, err = f.Write(data)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// saveWithDialog asks for a file with Fyne's save dialog and writes data
// there, 0600, off the UI goroutine.
func (r *reader) saveWithDialog(name string, data []byte, done func(string, error)) {
	win := r.window()
	if win == nil {
		done("", errors.New("the reader is not in a window: open the message again"))
		return
	}
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil || w == nil {
			done("", err)
			return
		}
		if !r.attachments.Visible() { // locked (wiped) while the dialog was open
			w.Close()
			done("", errors.New("the app was locked while the dialog was open: nothing was saved"))
			return
		}
		r.work.run(context.Background(), func(context.Context) error {
			if err := writePrivate(w, data); err != nil {
				return fmt.Errorf("saving %s: %w", w.URI().Name(), err)
			}
			return nil
		}, func(err error) {
			if err != nil {
				done("", err)
				return
			}
			done(w.URI().Path(), nil)
		})
	}, win)
	d.SetFileName(name)
	d.Show()
}

// window is the window that shows the reader, or nil.
func (r *reader) window() fyne.Window {
	drv := fyne.CurrentApp().Driver()
	c := drv.CanvasForObject(r.object)
	for _, w := range drv.AllWindows() {
		if w.Canvas() == c {
			return w
		}
	}
	return nil
}

// clear empties the reader after its message went away or while several
// are selected; it then says placeholder.
func (r *reader) clear(placeholder string) {
	r.bar.clear()
	r.subject.SetText("")
	r.from.SetText("")
	r.body.SetText("")
	r.attachments.Hide()
	r.showSaves(nil)
	r.placeholder.SetText(placeholder)
	r.placeholder.Show()
	r.object.Refresh()
}
