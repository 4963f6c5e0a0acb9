//go:build unix

package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeXdgMime writes a stand-in for xdg-mime that logs its arguments and
// keeps the mailto: default in a file, as the real one keeps mimeapps.list.
func fakeXdgMime(t *testing.T) (command, logFile string) {
	t.Helper()
	dir := t.TempDir()
	logFile, state := filepath.Join(dir, "log"), filepath.Join(dir, "default")
	script := `#!/bin/sh
echo "$@" >> ` + logFile + `
case "$1" in
query) [ -f ` + state + ` ] && cat ` + state + `; exit 0 ;;
default) [ "$3" = x-scheme-handler/mailto ] || { echo "unexpected type $3" >&2; exit 4; }; echo "$2" > ` + state + ` ;;
*) echo "xdg-mime: unknown mode" >&2; exit 1 ;;
esac
`
	command = filepath.Join(dir, "xdg-mime")
	if err := os.WriteFile(command, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	return command, logFile
}

// installDesktopFile points the XDG data folders at a fresh folder and,
// unless name is empty, puts a desktop file called name in it.
func installDesktopFile(t *testing.T, name string) {
	t.Helper()
	data := t.TempDir()
	t.Setenv("XDG_DATA_HOME", data)
	t.Setenv("XDG_DATA_DIRS", t.TempDir())
	if name == "" {
		return
	}
	if err := os.MkdirAll(filepath.Join(data, "applications"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(data, "applications", name), []byte("[Desktop Entry]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestXdgMailtoHandler(t *testing.T) {
	command, logFile := fakeXdgMime(t)
	h := xdgMailtoHandler{command: command}
	installDesktopFile(t, "sealpost.desktop")
	if got, err := h.Current(t.Context()); err != nil || got != "" {
		t.Fatalf("Current before got = %q, %v; want none", got, err)
	}
	if err := h.MakeDefault(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got, err := h.Current(t.Context()); err != nil || got != h.Own() {
		t.Errorf("Current after got = %q, %v; want %q", got, err, h.Own())
	}
	log, _ := os.ReadFile(logFile)
	want := "query default x-scheme-handler/mailto\ndefault sealpost.desktop x-scheme-handler/mailto\nquery default x-scheme-handler/mailto\n"
	if string(log) != want {
		t.Errorf("xdg-mime ran with:\n%s\nwant:\n%s", log, want)
	}
}

// TestXdgMailtoHandlerBundle: installed from the `make package` bundle,
// the desktop file is named by the app ID, and that is the one made the
// default.
func TestXdgMailtoHandlerBundle(t *testing.T) {
	command, _ := fakeXdgMime(t)
	h := xdgMailtoHandler{command: command}
	installDesktopFile(t, "io.sealpost.app.desktop")
	if err := h.MakeDefault(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got, err := h.Current(t.Context()); err != nil || got != "io.sealpost.app.desktop" || got != h.Own() {
		t.Errorf("Current got = %q, %v; want the bundle's desktop file, Own %q", got, err, h.Own())
	}
}

func TestXdgMailtoHandlerFailures(t *testing.T) {
	command, logFile := fakeXdgMime(t)
	installDesktopFile(t, "")
	if err := (xdgMailtoHandler{command: command}).MakeDefault(t.Context()); !errors.Is(err, errNotInstalled) {
		t.Errorf("without a desktop file got = %v, want errNotInstalled", err)
	}
	if log, _ := os.ReadFile(logFile); len(log) != 0 {
		t.Errorf("xdg-mime ran without a desktop file: %s", log)
	}
	installDesktopFile(t, "sealpost.desktop")
	if _, err := (xdgMailtoHandler{command: "no-such-xdg-mime"}).Current(t.Context()); !errors.Is(err, errNoXdgMime) {
		t.Errorf("without xdg-mime got = %v, want errNoXdgMime", err)
	}
	failing := filepath.Join(t.TempDir(), "xdg-mime")
	if err := os.WriteFile(failing, []byte("#!/bin/sh\necho 'no desktop file sealpost.desktop' >&2\nexit 2\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	err := xdgMailtoHandler{command: failing}.MakeDefault(t.Context())
	if err == nil || !strings.Contains(err.Error(), "no desktop file sealpost.desktop") {
		t.Errorf("a failing xdg-mime got = %v, want its message", err)
	}
}
