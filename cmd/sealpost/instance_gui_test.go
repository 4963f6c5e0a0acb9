//go:build linux

package main

import (
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSecondStartHandsOverToTheRunningApp runs the real binary on a
// virtual display with a fresh home folder. A second `sealpost mailto:…`
// and a plain `sealpost` hand their requests to it and exit at once,
// without a second window. When the app quits (SIGTERM), it has written
// nothing outside the profile: no Fyne preferences.json, nothing under
// ~/.config, ~/.cache or ~/.local, and its socket is gone.
func TestSecondStartHandsOverToTheRunningApp(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts the real binary")
	}
	display := startXvfb(t)
	bin := filepath.Join(t.TempDir(), "sealpost")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	home, runtimeDir := t.TempDir(), privateTempDir(t)
	env := append(os.Environ(), "DISPLAY="+display, "LANG=C", "HOME="+home,
		"XDG_CONFIG_HOME="+filepath.Join(home, ".config"), "XDG_CACHE_HOME="+filepath.Join(home, ".cache"),
		"XDG_DATA_HOME="+filepath.Join(home, ".local", "share"), "XDG_STATE_HOME="+filepath.Join(home, ".local", "state"),
		"XDG_RUNTIME_DIR="+runtimeDir, "SEALPOST_PROFILE="+filepath.Join(t.TempDir(), "profile"),
		"MESA_SHADER_CACHE_DISABLE=true") // Mesa's cache, not Sealpost's, would land in ~/.cache
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	app := exec.CommandContext(ctx, bin)
	app.Env = env
	var appErr strings.Builder
	app.Stderr = &appErr
	if err := app.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- app.Wait() }()
	t.Cleanup(func() {
		app.Process.Kill()
		<-exited
	})

	windows := func() string {
		out, _ := exec.Command("xwininfo", "-display", display, "-root", "-tree").Output()
		return string(out)
	}
	deadline := time.Now().Add(90 * time.Second)
	for !strings.Contains(windows(), `"Sealpost"`) || !hasSocket(runtimeDir) {
		if time.Now().After(deadline) {
			t.Fatalf("no window titled Sealpost with its socket; windows:\n%s\nstderr: %s", windows(), appErr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}

	before := strings.Count(windows(), `"Sealpost"`) // a toplevel window is listed with its frame
	for _, args := range [][]string{{"mailto:bob+lists@example.net?bcc=erin@example.org&subject=a+b"}, {}} {
		second := exec.CommandContext(ctx, bin, args...)
		second.Env = env
		if out, err := second.CombinedOutput(); err != nil || len(out) != 0 {
			t.Errorf("sealpost %q while the app runs: %v, output %q; want a silent hand-over", args, err, out)
		}
	}
	if n := strings.Count(windows(), `"Sealpost"`); n != before {
		t.Errorf("%d windows titled Sealpost after the hand-over, want the first app's %d only", n, before)
	}
	bad := exec.CommandContext(ctx, bin, "mailto:%zz")
	bad.Env = env
	if out, err := bad.CombinedOutput(); err == nil || !strings.Contains(string(out), "damaged") {
		t.Errorf("sealpost with a damaged link: %v, %q; want it refused", err, out)
	}

	if err := app.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		exited <- err
		if err != nil {
			t.Errorf("the app ended with %v on SIGTERM; stderr: %s", err, appErr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the app did not quit on SIGTERM")
	}
	// The only files allowed are caches of public things that the
	// libraries under Fyne keep in the user's cache folder: go-text's index
	// of the system's fonts, and the app's icon for notifications.
	allowed := map[string]bool{filepath.Join(home, ".cache", "font_index_v6.cache"): true,
		filepath.Join(home, ".cache", "fyne", appID, "icon.png"): true}
	var written []string
	filepath.WalkDir(home, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !allowed[path] {
			written = append(written, path)
		}
		return nil
	})
	if len(written) != 0 {
		t.Errorf("files written outside the profile: %q", written)
	}
	if _, err := os.Stat(filepath.Join(home, ".config", "fyne", appID)); err == nil {
		t.Errorf("Fyne's preferences folder for %s was made", appID)
	}
	if hasSocket(runtimeDir) {
		t.Error("the socket is left after the app quit")
	}
}

// hasSocket reports whether dir holds a socket.
func hasSocket(dir string) bool {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Type()&fs.ModeSocket != 0 {
			return true
		}
	}
	return false
}
