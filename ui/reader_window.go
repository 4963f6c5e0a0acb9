package ui

import (
	"context"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

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
	inspector, ok := sideBackend[backend.MessageInspector](r, "Attached messages cannot be opened here.",
		"This version cannot open attached messages: save the attachment to read it elsewhere.")
	if !ok {
		return
	}
	data := a.Data
	r.openSide(func(sub *reader) { sub.attachedTo = r.subject.Text }, "Attached message",
		"Decrypting and verifying the attached message…",
		func(ctx context.Context) (backend.Message, error) { return inspector.Inspect(ctx, data) },
		func(m backend.Message) string { return orNone(m.Subject, "(no subject)") + " (attached)" })
}

// openBlock decrypts or verifies an inline OpenPGP block of the open
// message on its own, in a window of its own: it shows only what the block
// holds, with the block's own verdict, never the text around it (which
// the message shows as received, unprotected).
func (r *reader) openBlock(b backend.InlineBlock) {
	inspector, ok := sideBackend[backend.BlockInspector](r, "Blocks cannot be opened here.",
		"This version cannot open a block on its own.")
	if !ok {
		return
	}
	subject := orNone(r.subject.Text, "(no subject)")
	r.openSide(func(sub *reader) { sub.blockOf = subject }, "Block", "Decrypting and verifying the block…",
		func(ctx context.Context) (backend.Message, error) { return inspector.InspectBlock(ctx, b) },
		func(backend.Message) string { return fmt.Sprintf("Block from “%s”", subject) })
}

// sideBackend returns the app's backend as T, what opens content in a
// window of its own; when there is no app or the backend cannot, the
// reader says so (noApp, unsupported) and ok is false.
func sideBackend[T any](r *reader, noApp, unsupported string) (b T, ok bool) {
	if r.app == nil {
		r.saveStatus.SetText(noApp)
		return b, false
	}
	if b, ok = r.app.backend.(T); !ok {
		r.saveStatus.SetText(unsupported)
	}
	return b, ok
}

// openSide opens a reader in a window of its own (see openAttachedMessage
// and openBlock): setup says where its content comes from, inspect judges
// it off the UI goroutine and title names the window once it is shown.
func (r *reader) openSide(setup func(sub *reader), title, waiting string,
	inspect func(context.Context) (backend.Message, error), titleOf func(backend.Message) string) {
	sub := newReader()
	sub.app = r.app
	sub.headers.zone = r.headers.zone
	setup(sub)
	w := r.app.sideWindow(title, func() { sub.closed = true; sub.wipe() })
	w.SetContent(sub.object)
	fitWindow(w, fyne.NewSize(720, 620))
	r.lastAttached, r.lastAttachedWindow = sub, w
	sub.loadingText(waiting)
	w.Show()
	var m backend.Message
	r.app.tasks.run(r.app.context(), func(ctx context.Context) (err error) {
		m, err = inspect(ctx)
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
		w.SetTitle(titleOf(m) + " – Sealpost")
	})
}

// showBlocks offers to open each inline block of the shown message on its
// own; nil removes the offer.
func (r *reader) showBlocks(blocks []backend.InlineBlock) {
	r.blocks.RemoveAll()
	r.blockButtons = nil
	if len(blocks) == 0 {
		r.blocks.Hide()
		return
	}
	note := widget.NewLabel("This text holds an OpenPGP block between unprotected text, or in HTML. It was not " +
		"decrypted or verified with the message, so that nothing unprotected is mixed with it: open it on its own, " +
		"only if you trust where it came from.")
	note.Wrapping = fyne.TextWrapWord
	r.blocks.Add(note)
	for i, b := range blocks {
		label := "Decrypt this block"
		if b.Kind == backend.BlockSigned {
			label = "Verify this block"
		}
		if len(blocks) > 1 {
			label = fmt.Sprintf("%s (%d of %d)", label, i+1, len(blocks))
		}
		btn := widget.NewButtonWithIcon(label, lockIcon, func() { r.openBlock(b) })
		r.blockButtons = append(r.blockButtons, btn)
		r.blocks.Add(container.NewHBox(btn))
	}
	r.blocks.Show()
}
