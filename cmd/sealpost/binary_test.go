package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// binaryResult is what one run of the built binary produced.
type binaryResult struct {
	code     int
	out, err string
}

// buildBinary builds cmd/sealpost into dir with the version the Makefile
// would stamp, and CGO_ENABLED=cgo.
func buildBinary(t *testing.T, dir, cgo string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the real binary")
	}
	bin := filepath.Join(dir, "sealpost")
	build := exec.Command("go", "build", "-ldflags", "-X main.version=9.8.7 -X main.build=42", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED="+cgo)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// runBinary runs bin with args in an environment stripped of the locale,
// the display and Sealpost's variables, plus env.
func runBinary(t *testing.T, bin string, env []string, args ...string) binaryResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case name == "LANG", name == "LANGUAGE", strings.HasPrefix(name, "LC_"),
			name == "DISPLAY", name == "WAYLAND_DISPLAY", strings.HasPrefix(name, "SEALPOST_"):
		default:
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if exit := (*exec.ExitError)(nil); errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatalf("run %s %q: %v", bin, args, err)
	}
	return binaryResult{code, out.String(), errOut.String()}
}

// failsInOneLine asserts that r failed with code and printed exactly one line on
// stderr, containing want.
func failsInOneLine(t *testing.T, r binaryResult, code int, want string) {
	t.Helper()
	if r.code != code {
		t.Errorf("exit code %d, want %d; stderr %q", r.code, code, r.err)
	}
	if strings.Count(r.err, "\n") != 1 || !strings.HasSuffix(r.err, "\n") || !strings.Contains(r.err, want) {
		t.Errorf("stderr %q, want one line containing %q", r.err, want)
	}
}

// TestBinary runs the built binary: headless commands print nothing on
// stderr when they succeed and one line when they fail, under every locale
// a container has (Fyne, linked in for the app, must not log about C.UTF-8);
// --version reports what the Makefile stamps; without a display, the app
// says so in one line instead of GLFW's panic.
func TestBinary(t *testing.T) {
	bin := buildBinary(t, t.TempDir(), "1")
	dir, passFile := newProfile(t)
	wrong := writeFile(t, "wrong", "not the passphrase at all")

	locales := [][]string{{"LANG=C"}, {"LANG=C.UTF-8"}, {"LANG=POSIX.UTF-8"}, {"LC_ALL=C.utf8"}, {"LANG=en_US.UTF-8"}, nil}
	for _, locale := range locales {
		name := strings.Join(locale, " ")
		if name == "" {
			name = "no locale set"
		}
		t.Run("headless "+name, func(t *testing.T) {
			for _, args := range [][]string{{"--version"}, {"version"}, {"help"}, {"--profile", dir, "--passphrase-file", passFile, "keys", "list"}} {
				r := runBinary(t, bin, locale, args...)
				if r.code != 0 || r.err != "" {
					t.Errorf("sealpost %q: exit code %d, stderr %q; want 0 and nothing", args, r.code, r.err)
				}
			}
			failsInOneLine(t, runBinary(t, bin, locale, "--profile", dir, "--passphrase-file", wrong, "keys", "list"), 1, "wrong passphrase")
			failsInOneLine(t, runBinary(t, bin, locale, "--profile", filepath.Join(t.TempDir(), "none"), "--passphrase-file", passFile, "list"), 1, "sealpost init")
			failsInOneLine(t, runBinary(t, bin, locale, "no-such-command"), 2, "unknown command")
		})
	}

	t.Run("version", func(t *testing.T) {
		for _, args := range [][]string{{"--version"}, {"version"}} {
			if r := runBinary(t, bin, nil, args...); r.out != "sealpost 9.8.7 (build 42)\n" {
				t.Errorf("sealpost %q printed %q, want the stamped version", args, r.out)
			}
		}
	})

	profile := "SEALPOST_PROFILE=" + filepath.Join(t.TempDir(), "profile")
	t.Run("no display", func(t *testing.T) {
		for _, args := range [][]string{nil, {"mailto:bob@example.net"}, {"--passphrase-file", passFile, "demo", "--dir", filepath.Join(t.TempDir(), "demo")}} {
			r := runBinary(t, bin, []string{"LANG=C.UTF-8", profile}, args...)
			failsInOneLine(t, r, 1, "no display to open the app on")
		}
	})
	t.Run("unreachable display", func(t *testing.T) {
		display := ":4711"
		if _, err := os.Stat("/tmp/.X11-unix/X4711"); err == nil {
			t.Skip("X display :4711 exists here")
		}
		r := runBinary(t, bin, []string{"LANG=C.UTF-8", profile, "DISPLAY=" + display}, nil...)
		failsInOneLine(t, r, 1, "cannot open the app's window")
		if !strings.Contains(r.err, display) {
			t.Errorf("stderr %q does not name the display %s", r.err, display)
		}
	})
}

// TestBinaryWithoutCgo: a build without cgo has no desktop driver; it runs
// the commands and says so, in one line, when asked for the app.
func TestBinaryWithoutCgo(t *testing.T) {
	bin := buildBinary(t, t.TempDir(), "0")
	if r := runBinary(t, bin, []string{"LANG=C.UTF-8"}, "--version"); r.code != 0 || r.err != "" || r.out != "sealpost 9.8.7 (build 42)\n" {
		t.Errorf("--version: %+v", r)
	}
	r := runBinary(t, bin, []string{"LANG=C.UTF-8", "DISPLAY=:0", "SEALPOST_PROFILE=" + filepath.Join(t.TempDir(), "profile")})
	failsInOneLine(t, r, 1, "built without the desktop app")
}

// TestVersionDevelopmentBuild: a plain go build (the test binary is one)
// carries no stamped version and says it is a development build.
func TestVersionDevelopmentBuild(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"version"}} {
		var out, errOut bytes.Buffer
		code := run(context.Background(), args, stdio{in: strings.NewReader(""), out: &out, err: &errOut})
		if code != 0 || errOut.Len() != 0 || !strings.HasPrefix(out.String(), "sealpost development build") || strings.Count(out.String(), "\n") != 1 {
			t.Errorf("sealpost %q: code %d, stdout %q, stderr %q", args, code, out.String(), errOut.String())
		}
	}
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"version", "extra"}, stdio{in: strings.NewReader(""), out: &out, err: &errOut}); code != 2 {
		t.Errorf("version with an argument: code %d, want 2 (stderr %q)", code, errOut.String())
	}
}
