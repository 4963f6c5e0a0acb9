package ui

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// fakeMailApp stands in for xdg-mime.
type fakeMailApp struct {
	mu      sync.Mutex
	current string
	err     error // returned by MakeDefault
	made    int
}

func (f *fakeMailApp) Current(context.Context) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.current, nil
}

func (f *fakeMailApp) MakeDefault(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	f.made++
	f.current = f.Own()
	return nil
}

func (f *fakeMailApp) Own() string { return "sealpost.desktop" }

// confirmButton is the button labelled text in the window's top dialog.
func confirmButton(t *testing.T, w fyne.Window, text string) *widget.Button {
	t.Helper()
	top := w.Canvas().Overlays().Top()
	if top == nil {
		t.Fatal("no dialog is shown")
	}
	for _, o := range test.LaidOutObjects(top) {
		if b, ok := o.(*widget.Button); ok && b.Text == text {
			return b
		}
	}
	t.Fatalf("the dialog has no %q button", text)
	return nil
}

// TestSettingsMakesSealpostTheDefaultMailApp: the Mail links tab shows
// the current default, asks before changing it, and then says Sealpost is
// the default; declining changes nothing, and a failure is told.
func TestSettingsMakesSealpostTheDefaultMailApp(t *testing.T) {
	test.NewTempApp(t)
	app, _ := openFixture(t)
	fake := &fakeMailApp{current: "thunderbird.desktop"}
	app.SetDefaultMailApp(fake)
	p := app.newDefaultAppPane(app.window)
	app.tasks.wait()
	if !strings.Contains(p.current.Text, "thunderbird.desktop") || p.make.Disabled() {
		t.Fatalf("pane got = %q, button disabled %v; want Thunderbird named and the button offered", p.current.Text, p.make.Disabled())
	}

	test.Tap(p.make)
	test.Tap(confirmButton(t, app.window, "No"))
	app.tasks.wait()
	if fake.made != 0 {
		t.Fatal("the default changed without the user's yes")
	}

	fake.err = errors.New("xdg-mime default: no such desktop file")
	test.Tap(p.make)
	test.Tap(confirmButton(t, app.window, "Yes"))
	app.tasks.wait()
	if !strings.Contains(p.current.Text, "Could not make Sealpost the default") || p.make.Disabled() {
		t.Errorf("after a failure got = %q, disabled %v; want the failure and the button again", p.current.Text, p.make.Disabled())
	}

	fake.err = nil
	test.Tap(p.make)
	test.Tap(confirmButton(t, app.window, "Yes"))
	app.tasks.wait()
	if fake.made != 1 || p.current.Text != "Sealpost is the default mail app." || !p.make.Disabled() {
		t.Errorf("after yes: made %d, pane %q, disabled %v; want Sealpost the default", fake.made, p.current.Text, p.make.Disabled())
	}
}

// TestSettingsDefaultMailAppUnavailable: without a way to change it, the
// tab says where to change it and offers no button that does nothing.
func TestSettingsDefaultMailAppUnavailable(t *testing.T) {
	test.NewTempApp(t)
	app, _ := openFixture(t)
	p := app.newDefaultAppPane(app.window)
	if !p.make.Disabled() || !strings.Contains(p.current.Text, "desktop's settings") {
		t.Errorf("pane got = %q, disabled %v; want the pointer to the desktop's settings", p.current.Text, p.make.Disabled())
	}
}

// TestAppFlowsWriteNothingToHome runs the app's flows (first run, a
// mailto: link, a composer, the settings, lock) with the home, config and
// cache folders pointed at a fresh folder: nothing may be written there.
func TestAppFlowsWriteNothingToHome(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	t.Setenv("XDG_CACHE_HOME", filepath.Join(home, ".cache"))
	t.Setenv("XDG_DATA_HOME", filepath.Join(home, ".local", "share"))
	test.NewTempApp(t)
	app := newApp(newEngine(t))
	app.OpenMailto(mustMailto(t, "mailto:bob@example.net?bcc=erin@example.org"))
	test.Type(app.passphrase, "mY cat eats 7 blue lemons")
	test.Type(app.repeat, "mY cat eats 7 blue lemons")
	test.Tap(app.submit)
	app.tasks.wait()
	if app.main == nil || app.main.lastComposer == nil {
		t.Fatalf("after the first run: main %v, composer missing; status %q", app.main != nil, app.status.Text)
	}
	app.showSettings()
	app.tasks.wait()
	app.lock()
	app.tasks.wait()
	var written []string
	filepath.WalkDir(home, func(path string, d fs.DirEntry, err error) error {
		if path != home {
			written = append(written, path)
		}
		return nil
	})
	if len(written) != 0 {
		t.Errorf("written under the home folder: %q", written)
	}
	if _, err := os.Stat(filepath.Join(home, ".config", "fyne")); err == nil {
		t.Error("a Fyne settings folder was made")
	}
}
