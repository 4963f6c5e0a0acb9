package ui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/sealpost/sealpost/mail/backend"
)

// backupPaneOf opens the settings of an app on an engine and returns the
// app and the backup pane of its Security tab.
func backupPaneOf(t *testing.T) (*App, *backupPane) {
	t.Helper()
	test.NewTempApp(t)
	app, _ := openFixture(t)
	app.showSettings()
	app.tasks.wait()
	bp := app.settings.window.backup
	if bp == nil {
		t.Fatal("no backup pane in the settings of an engine")
	}
	return app, bp
}

// TestBackupFromSettings backs the profile up from the Security tab:
// cancelled, written, refused over the same file, and a failed choice.
func TestBackupFromSettings(t *testing.T) {
	app, bp := backupPaneOf(t)
	path := filepath.Join(t.TempDir(), "profile.backup")
	chosen, chooseErr := "", error(nil)
	bp.choose = func(done func(string, error)) { done(chosen, chooseErr) }
	button := buttonIn(t, app.settings.window.window.Content(), "Back up profile…")
	before := bp.status.Text

	test.Tap(button) // cancelled
	app.tasks.wait()
	if bp.status.Text != before {
		t.Errorf("status after a cancelled choice = %q, want it unchanged", bp.status.Text)
	}

	chosen = path
	test.Tap(button)
	app.tasks.wait()
	if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
		t.Fatalf("backup file: %v, %v", fi, err)
	}
	if !strings.HasPrefix(bp.status.Text, "Backed up to "+path) || button.Disabled() {
		t.Errorf("status = %q (button disabled: %v), want it backed up", bp.status.Text, button.Disabled())
	}

	test.Tap(button) // the same file again
	app.tasks.wait()
	if !strings.Contains(bp.status.Text, "exists already") {
		t.Errorf("status after a backup over an existing file = %q, want it refused", bp.status.Text)
	}

	chosen, chooseErr = "", errors.New("the folder cannot be read")
	test.Tap(button)
	app.tasks.wait()
	if !strings.Contains(bp.status.Text, "cannot be read") {
		t.Errorf("status after a failed choice = %q, want the error", bp.status.Text)
	}
}

// TestNoBackupWithoutABackendThatBacksUp leaves the button out when the
// backend cannot back up.
func TestNoBackupWithoutABackendThatBacksUp(t *testing.T) {
	test.NewTempApp(t)
	e := fixtureEngine(t)
	app := unlocked(t, newApp(struct{ backend.Backend }{e}))
	app.showSettings()
	app.tasks.wait()
	if app.settings.window.backup != nil || findButton(app.settings.window.window.Content(), "Back up profile…") != nil {
		t.Error("a backup button for a backend that cannot back up")
	}
}

// notAudited backs up through its backend, then reports that recording
// the backup in the audit trail failed.
type notAudited struct{ backend.ProfileBackup }

func (n notAudited) BackupProfile(ctx context.Context, path string) error {
	if err := n.ProfileBackup.BackupProfile(ctx, path); err != nil {
		return err
	}
	return fmt.Errorf("%w: the audit trail is full", backend.ErrBackupNotAudited)
}

// TestBackupWhoseAuditFailsIsDone expects a backup whose audit entry
// failed shown as done, with the failure as a warning.
func TestBackupWhoseAuditFailsIsDone(t *testing.T) {
	app, bp := backupPaneOf(t)
	bp.backend = notAudited{bp.backend}
	path := filepath.Join(t.TempDir(), "profile.backup")
	bp.choose = func(done func(string, error)) { done(path, nil) }
	test.Tap(buttonIn(t, app.settings.window.window.Content(), "Back up profile…"))
	app.tasks.wait()
	if !strings.HasPrefix(bp.status.Text, "Backed up to "+path) || !strings.Contains(bp.status.Text, "Warning: ") ||
		!strings.Contains(bp.status.Text, "audit trail is full") {
		t.Errorf("status = %q, want it backed up, with the audit failure as a warning", bp.status.Text)
	}
}
