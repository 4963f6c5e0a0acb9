package ui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/sealpost/sealpost/mail/backend"
)

// reader is the right pane, or an attached message's window: the security
// bar, the subject and header block, the text and the attachments of the
// open message.
type reader struct {
	bar         *securityBar
	subject     *widget.Label
	subjectLock *widget.Icon // shown when the subject came from protected headers
	headers     *headerBlock
	travel      *travelPanel
	body        *widget.Label
	attachments *widget.Label
	placeholder *widget.Label
	object      fyne.CanvasObject

	// saves holds a row per attachment (name, Open, Save); saveStatus says
	// where the last one went. save is the dialog and launch the desktop
	// opener, both replaced in tests; work runs the writes off the UI
	// goroutine.
	saves                    *fyne.Container
	saveStatus               *widget.Label
	save                     saveFunc
	launch                   func(path string) error
	work                     tasks
	saveButtons, openButtons []*widget.Button
	// pendingOpen is the warning shown before an attachment is opened,
	// until it is answered; openWarning is its text.
	pendingOpen *dialog.ConfirmDialog
	openWarning string

	// app opens attached messages and inline blocks in windows of their
	// own; nil, they cannot be opened. attachedTo is the subject of the
	// message this reader's message is attached to, blockOf that of the
	// message whose inline block this reader shows ("" in the main
	// window), and closed is set when that window closed. lastAttached and
	// its window are the last attached message or block opened from here.
	app                *App
	attachedTo         string
	blockOf            string
	closed             bool
	lastAttached       *reader
	lastAttachedWindow fyne.Window

	// blocks offers to open the shown message's inline blocks, one button
	// each (blockButtons).
	blocks       *fyne.Container
	blockButtons []*widget.Button

	// onMessage, when set, hears whether the reader shows an opened
	// message (true) or not: loading, failed, cleared or wiped. The main
	// view enables the actions on the open message (Reply, Reply all,
	// Forward…) only while it says true.
	onMessage func(open bool)
}

func newReader() *reader {
	r := &reader{
		bar:         newSecurityBar(),
		subject:     widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		subjectLock: widget.NewIcon(lockIcon),
		headers:     newHeaderBlock(),
		body:        widget.NewLabel(""),
		attachments: widget.NewLabel(""),
		placeholder: widget.NewLabel("Select a message to read it."),
	}
	r.subject.Wrapping = fyne.TextWrapWord
	r.subject.Selectable = true
	r.subjectLock.Hide()
	r.travel = newTravelPanel(r.relayout)
	r.body.Wrapping = fyne.TextWrapWord
	r.body.Selectable = true
	r.attachments.Hide()
	r.saves = container.NewVBox()
	r.blocks = container.NewVBox()
	r.blocks.Hide()
	r.saveStatus = widget.NewLabel("")
	r.saveStatus.Wrapping = fyne.TextWrapWord
	r.save = r.saveWithDialog
	r.launch = openWithDesktop
	// The security bar stays in view; the headers scroll with the text, so
	// that a small window still shows some of it.
	subject := container.NewBorder(nil, nil, nil, r.subjectLock, r.subject)
	text := container.NewVScroll(container.NewVBox(subject, r.headers.object, r.travel.object, widget.NewSeparator(),
		r.placeholder, r.body, r.blocks, r.attachments, r.saves, r.saveStatus))
	r.object = container.NewBorder(r.bar.object, nil, nil, nil, text)
	return r
}

// notify tells onMessage whether a message is open.
func (r *reader) notify(open bool) {
	if r.onMessage != nil {
		r.onMessage(open)
	}
}

// loading shows the list's summary of m while it is decrypted and
// verified. The summary's values are the outer ones: none is marked
// protected. Its date is the reader's local time only (the summary does
// not keep the sender's zone).
func (r *reader) loading(m backend.MessageSummary) {
	r.bar.clear()
	r.travel.clear()
	r.subject.SetText(m.Subject)
	r.subjectLock.Hide()
	r.headers.show(backend.Message{From: m.From, To: m.To, Cc: m.Cc, Date: m.Date.In(r.headers.zone)})
	r.loadingText("Decrypting and verifying…")
}

// loadingText says what the reader waits for, with nothing of a message
// shown as opened.
func (r *reader) loadingText(text string) {
	r.body.SetText("")
	r.showBlocks(nil)
	r.showAttachments(nil)
	r.placeholder.SetText(text)
	r.placeholder.Show()
	r.object.Refresh()
	r.notify(false)
}

func (r *reader) failed(err error) {
	r.bar.clear()
	r.travel.clear()
	r.placeholder.SetText(readable(err))
	r.placeholder.Show()
	r.object.Refresh()
	r.notify(false)
}

// show displays m. The security bar comes only from the engine's verdict;
// a lock marks the header values that came from protected headers.
func (r *reader) show(m backend.Message) {
	r.bar.origin = origin{attachedTo: r.attachedTo, blockOf: r.blockOf}
	r.bar.show(m)
	r.subject.SetText(orNone(m.Subject, "(no subject)"))
	if slices.Contains(m.Protected, "Subject") {
		r.subjectLock.Show()
	} else {
		r.subjectLock.Hide()
	}
	r.headers.show(m)
	// An attached message or a block did not travel by itself: the
	// message it came in did.
	if r.attachedTo == "" && r.blockOf == "" {
		r.travel.zone = r.headers.zone
		r.travel.show(m.Travel)
	} else {
		r.travel.clear()
	}
	r.placeholder.Hide()
	r.body.SetText(m.Body)
	r.showBlocks(m.Blocks)
	r.showAttachments(m.Attachments)
	r.relayout()
	r.notify(true)
}

// relayout lays the pane out again after the bar, the headers or the
// travel panel changed size, once the wrapping lines of the bar and the
// panel know their width (their height follows from it).
func (r *reader) relayout() {
	if w := r.object.Size().Width; w > 0 {
		r.bar.object.Resize(fyne.NewSize(w, r.bar.object.MinSize().Height))
		r.travel.object.Resize(fyne.NewSize(w, r.travel.object.MinSize().Height))
	}
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

// showAttachments lists the attachments with their Open and Save buttons;
// nil removes them (and the references to the attachments' bytes).
func (r *reader) showAttachments(attachments []backend.Attachment) {
	r.saves.RemoveAll()
	r.saveButtons, r.openButtons = nil, nil
	r.saveStatus.SetText("")
	r.attachments.Hide()
	if len(attachments) == 0 {
		return
	}
	r.attachments.SetText(plural(len(attachments), "attachment") + ":")
	r.attachments.Show()
	for _, a := range attachments {
		r.saves.Add(r.attachmentRow(a))
	}
}

// saveAttachment asks where to save a and writes it there: the only way
// an attachment's plaintext reaches the disk, and only on the user's
// explicit request.
func (r *reader) saveAttachment(a backend.Attachment) {
	name := attachmentName(a)
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
// are selected; it then says placeholder. A warning about opening an
// attachment that is still shown goes too.
func (r *reader) clear(placeholder string) {
	r.bar.clear()
	r.subject.SetText("")
	r.subjectLock.Hide()
	r.headers.clear()
	r.travel.clear()
	r.body.SetText("")
	r.showBlocks(nil)
	r.showAttachments(nil)
	if r.pendingOpen != nil {
		r.pendingOpen.Hide()
		r.pendingOpen = nil
	}
	r.placeholder.SetText(placeholder)
	r.placeholder.Show()
	r.object.Refresh()
	r.notify(false)
}
