package ui

import (
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sealpost/sealpost/mail/backend"
)

// isAttachedMessage reports whether a is a whole message attached to the
// open one (a forward "as attachment"), which the reader opens in a window
// of its own.
func isAttachedMessage(a backend.Attachment) bool {
	ct := strings.ToLower(a.ContentType)
	return ct == "message/rfc822" || ct == "message/global"
}

// attachmentRow is one attachment of the open message: its name, type and
// size, and Open and Save buttons. An attachment whose data the engine did
// not keep whole (larger than it holds in memory) can be neither opened
// nor saved from the reader, and says so.
func (r *reader) attachmentRow(a backend.Attachment) fyne.CanvasObject {
	label := widget.NewLabel(fmt.Sprintf("%s  (%s, %s)", a.Filename, a.ContentType, byteSize(a.Size)))
	label.Truncation = fyne.TextTruncateEllipsis
	icon := widget.NewIcon(theme.FileIcon())
	var open *widget.Button
	if isAttachedMessage(a) {
		icon.SetResource(theme.MailComposeIcon())
		open = widget.NewButtonWithIcon("Open message", theme.MailComposeIcon(), func() { r.openAttachedMessage(a) })
	} else {
		open = widget.NewButtonWithIcon("Open…", theme.FileApplicationIcon(), func() { r.openAttachment(a) })
	}
	save := widget.NewButtonWithIcon("Save…", theme.DocumentSaveIcon(), func() { r.saveAttachment(a) })
	for _, b := range []*widget.Button{open, save} {
		b.Importance = widget.LowImportance
	}
	if len(a.Data) != a.Size {
		open.Disable()
		save.Disable()
		label.SetText(label.Text + ": too large to open or save from the reader")
	}
	r.openButtons = append(r.openButtons, open)
	r.saveButtons = append(r.saveButtons, save)
	return container.NewBorder(nil, nil, icon, container.NewHBox(open, save), label)
}

// attachmentName is the file name to offer for a: the last element of its
// name, or "attachment".
func attachmentName(a backend.Attachment) string {
	name := filepath.Base(a.Filename)
	if name == "." || name == string(filepath.Separator) || name == "" {
		name = "attachment"
	}
	return name
}

// runnableExtensions are file types that a desktop may run as a program
// rather than show.
var runnableExtensions = map[string]bool{
	".exe": true, ".msi": true, ".bat": true, ".cmd": true, ".com": true, ".scr": true, ".ps1": true,
	".vbs": true, ".js": true, ".jar": true, ".sh": true, ".bash": true, ".desktop": true,
	".appimage": true, ".run": true, ".bin": true, ".deb": true, ".rpm": true, ".apk": true,
	".dmg": true, ".pkg": true, ".app": true, ".command": true, ".lnk": true, ".reg": true,
	".hta": true, ".py": true, ".pl": true, ".rb": true,
}

// openWarning is what the reader says before an attachment leaves
// Sealpost.
func openWarning(name string) string {
	text := fmt.Sprintf("To open “%s”, Sealpost saves it, unencrypted, to a place you choose next, "+
		"then hands it to the program your desktop uses for this kind of file.\n\n"+
		"From then on it is outside Sealpost's protection: other programs, backups and anyone who can use "+
		"this computer account can read it, and it stays there until you delete it.", name)
	if runnableExtensions[strings.ToLower(filepath.Ext(name))] {
		text += "\n\nFiles of this kind can run programs on your computer. Open it only if you expected it from the sender."
	}
	return text
}

// openAttachment warns that a is about to leave Sealpost's protection and,
// once the user agrees, saves it where the user chooses (the save dialog;
// never a hidden temporary file) and hands that file to the desktop's
// opener.
func (r *reader) openAttachment(a backend.Attachment) {
	name := attachmentName(a)
	win := r.window()
	if win == nil {
		r.saveStatus.SetText("The reader is not in a window: open the message again.")
		return
	}
	r.openWarning = openWarning(name)
	text := widget.NewLabel(r.openWarning)
	text.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustomConfirm("Open “"+name+"” outside Sealpost?", "Choose where to save, then open…", "Cancel",
		text, func(ok bool) {
			r.pendingOpen = nil
			if ok {
				r.saveAndOpen(name, a.Data)
			}
		}, win)
	d.SetConfirmImportance(widget.WarningImportance)
	d.Resize(fyne.NewSize(min(520, win.Canvas().Size().Width), 0))
	r.pendingOpen = d
	d.Show()
}

// saveAndOpen saves data with the save dialog and opens what was saved.
func (r *reader) saveAndOpen(name string, data []byte) {
	r.save(name, data, func(where string, err error) {
		switch {
		case err != nil:
			r.saveStatus.SetText(readable(err))
		case where != "":
			if err := r.launch(where); err != nil {
				r.saveStatus.SetText(fmt.Sprintf("Saved %s to %s, but it could not be opened: %s", name, where, readable(err)))
				return
			}
			r.saveStatus.SetText(fmt.Sprintf("Opened %s from %s. It stays there, unencrypted, until you delete it.", name, where))
		}
	})
}

// openWithDesktop hands the file at path to the desktop's opener
// (xdg-open on Linux).
func openWithDesktop(path string) error {
	return fyne.CurrentApp().OpenURL(&url.URL{Scheme: "file", Path: path})
}
