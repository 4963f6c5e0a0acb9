package ui

import (
	"context"
	"errors"
	"path/filepath"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sealpost/sealpost/mail/backend"
)

// errBackupNotLocal means the save dialog returned a place that is not a
// file on this computer.
var errBackupNotLocal = errors.New("choose a file on this computer for the backup")

// backupPane is the Security tab's "Back up profile…" button and what the
// latest backup did.
type backupPane struct {
	ui      *App
	window  fyne.Window
	backend backend.ProfileBackup
	button  *widget.Button
	status  *widget.Label
	// choose asks where to write the backup and calls done with the path
	// ("" when the user cancelled); tests replace it.
	choose func(done func(path string, err error))
}

// newBackupPane makes the pane, or returns nil when the backend cannot
// back the profile up.
func newBackupPane(ui *App, w fyne.Window) *backupPane {
	b, ok := ui.backend.(backend.ProfileBackup)
	if !ok {
		return nil
	}
	bp := &backupPane{ui: ui, window: w, backend: b,
		status: wrapped("A backup is a sealed copy of the profile: it opens only with the passphrase you use now.")}
	bp.choose = bp.chooseWithDialog
	bp.button = widget.NewButtonWithIcon("Back up profile…", theme.DocumentSaveIcon(), bp.backUp)
	return bp
}

// content is what the Security tab shows.
func (bp *backupPane) content() fyne.CanvasObject {
	return container.NewVBox(container.NewHBox(bp.button), bp.status)
}

// chooseWithDialog asks for the folder the backup goes into; the file is
// named by the date and time. A save dialog would not do: Fyne empties an
// existing file the user agrees to overwrite before Sealpost hears of it,
// which would destroy an earlier backup even if this one then failed. A
// file of the same name is refused, never replaced.
func (bp *backupPane) chooseWithDialog(done func(string, error)) {
	d := dialog.NewFolderOpen(func(dir fyne.ListableURI, err error) {
		if err != nil || dir == nil {
			done("", err)
			return
		}
		if dir.Scheme() != "file" {
			done("", errBackupNotLocal)
			return
		}
		done(filepath.Join(dir.Path(), "sealpost-profile-"+bp.ui.now().Format("2006-01-02-150405")+".backup"), nil)
	}, bp.window)
	d.Show()
}

// backUp asks where, then writes the backup off the UI goroutine.
func (bp *backupPane) backUp() {
	bp.choose(func(path string, err error) {
		if err != nil {
			bp.status.SetText(readable(err))
			return
		}
		if path == "" {
			return
		}
		bp.button.Disable()
		bp.status.SetText("Backing up…")
		bp.ui.tasks.run(bp.ui.context(), func(ctx context.Context) error {
			return bp.backend.BackupProfile(ctx, path)
		}, func(err error) {
			bp.button.Enable()
			if err != nil && !errors.Is(err, backend.ErrBackupNotAudited) {
				bp.status.SetText(readable(err))
				return
			}
			done := "Backed up to " + path + ". The backup opens with the passphrase you use now."
			if err != nil {
				// The backup stands; only its audit entry is missing.
				done += "\nWarning: " + readable(err)
			}
			bp.status.SetText(done)
		})
	})
}
