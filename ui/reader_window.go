package ui

import (
	"context"

	"fyne.io/fyne/v2"

	"github.com/sealpost/sealpost/mail/backend"
)

// openAttachedMessage opens a message attached to the open one in a
// window of its own, with its own verdict: the engine decrypts and
// verifies it as if it had arrived by itself. The security of the message
// it came in says nothing about it (an attached signed message is
// "signed" only by its own signature), and its security says nothing
// about that message. The window belongs to the unlocked session: locking
// closes it.
func (r *reader) openAttachedMessage(a backend.Attachment) {
	if r.app == nil {
		r.saveStatus.SetText("Attached messages cannot be opened here.")
		return
	}
	inspector, ok := r.app.backend.(backend.MessageInspector)
	if !ok {
		r.saveStatus.SetText("This version cannot open attached messages: save the attachment to read it elsewhere.")
		return
	}
	sub := newReader()
	sub.app = r.app
	sub.headers.zone = r.headers.zone
	sub.attachedTo = r.subject.Text
	w := r.app.sideWindow("Attached message", func() { sub.closed = true; sub.wipe() })
	w.SetContent(sub.object)
	fitWindow(w, fyne.NewSize(720, 620))
	r.lastAttached, r.lastAttachedWindow = sub, w
	sub.loadingText("Decrypting and verifying the attached message…")
	w.Show()
	data := a.Data
	var m backend.Message
	r.app.tasks.run(r.app.context(), func(ctx context.Context) (err error) {
		m, err = inspector.Inspect(ctx, data)
		return err
	}, func(err error) {
		if sub.closed {
			return // the window was closed, or the app locked, meanwhile
		}
		if err != nil {
			sub.failed(err)
			return
		}
		sub.show(m)
		w.SetTitle(orNone(m.Subject, "(no subject)") + " (attached) – Sealpost")
	})
}
