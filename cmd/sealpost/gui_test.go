package main

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// startXvfb starts a virtual X display and returns its DISPLAY value.
func startXvfb(t *testing.T) string {
	t.Helper()
	for _, tool := range []string{"Xvfb", "xwininfo"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (make deps installs xvfb and x11-utils)", tool)
		}
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	xvfb := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", "1280x800x24", "-nolisten", "tcp")
	xvfb.ExtraFiles = []*os.File{w}
	if err := xvfb.Start(); err != nil {
		t.Fatalf("start Xvfb: %v", err)
	}
	w.Close()
	t.Cleanup(func() { xvfb.Process.Kill(); xvfb.Wait() })
	line, err := bufio.NewReader(r).ReadString('\n')
	r.Close()
	if err != nil {
		t.Fatalf("Xvfb did not report its display: %v", err)
	}
	return ":" + strings.TrimSpace(line)
}

// TestGUIOpensWindow runs the real binary without arguments and waits for
// its window to appear on a virtual display.
func TestGUIOpensWindow(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts the real binary")
	}
	display := startXvfb(t)
	bin := filepath.Join(t.TempDir(), "sealpost")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	app := exec.CommandContext(ctx, bin)
	app.Env = append(os.Environ(), "DISPLAY="+display, "LANG=C", "SEALPOST_PROFILE="+filepath.Join(t.TempDir(), "profile"))
	if err := app.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Process.Kill(); app.Wait() })

	deadline := time.Now().Add(60 * time.Second)
	for {
		out, _ := exec.Command("xwininfo", "-display", display, "-root", "-tree").Output()
		if strings.Contains(string(out), `"Sealpost"`) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no window titled Sealpost appeared; windows:\n%s", out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestDemoWindowScreenshot starts the real binary's demo (its own mail
// servers and a seeded profile) on a virtual display, waits for the window
// and takes a screenshot of it.
func TestDemoWindowScreenshot(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts the real binary")
	}
	if _, err := exec.LookPath("import"); err != nil {
		t.Skip("ImageMagick's import is not installed (make deps installs imagemagick)")
	}
	display := startXvfb(t)
	bin := filepath.Join(t.TempDir(), "sealpost")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pass, err := filepath.Abs("../../testdata/demo-passphrase")
	if err != nil {
		t.Fatal(err)
	}
	demo := exec.CommandContext(ctx, bin, "--passphrase-file", pass, "demo", "--dir", filepath.Join(t.TempDir(), "demo"))
	demo.Env = append(os.Environ(), "DISPLAY="+display)
	if err := demo.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { demo.Process.Signal(os.Interrupt); demo.Wait() })

	deadline := time.Now().Add(90 * time.Second)
	for {
		out, _ := exec.Command("xwininfo", "-display", display, "-root", "-tree").Output()
		if strings.Contains(string(out), `"Sealpost"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the demo window did not appear; windows:\n%s", out)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The window is mapped before it is painted: take screenshots until one
	// shows more than a blank screen (a blank PNG compresses to a few
	// hundred bytes; the unlock screen to tens of kilobytes).
	shot := filepath.Join(t.TempDir(), "demo.png")
	for {
		if out, err := exec.Command("import", "-display", display, "-window", "root", shot).CombinedOutput(); err != nil {
			t.Fatalf("screenshot: %v\n%s", err, out)
		}
		data, err := os.ReadFile(shot)
		if err != nil || len(data) < 8 || string(data[1:4]) != "PNG" {
			t.Fatalf("screenshot %s is not a PNG: %v", shot, err)
		}
		if len(data) > 10_000 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the demo window stayed blank (%d-byte screenshot)", len(data))
		}
		time.Sleep(200 * time.Millisecond)
	}
}
