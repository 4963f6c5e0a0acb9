//go:build unix

package main

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// privateTempDir is a fresh folder of mode 0700 with a short path (a
// socket path must stay under 104 bytes).
func privateTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "sp")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	return dir
}

// receiver serves l and returns the requests it gets.
func receiver(t *testing.T, l *instanceListener, refuse error) <-chan instanceRequest {
	t.Helper()
	got := make(chan instanceRequest, 4)
	l.serve(func(r instanceRequest) error {
		if refuse != nil {
			return refuse
		}
		got <- r
		return nil
	}, t.Logf)
	t.Cleanup(func() { l.Close() })
	return got
}

func wantRequest(t *testing.T, got <-chan instanceRequest, want instanceRequest) {
	t.Helper()
	select {
	case r := <-got:
		if r != want {
			t.Errorf("the running app got %+v, want %+v", r, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("the running app got nothing, want %+v", want)
	}
}

// TestInstanceHandsOverToTheRunningApp: the first start listens; a second
// start on the same socket learns that an app runs and hands it a link
// and a request to show its window. The socket is private and holds
// nothing; closing removes it and frees the place for the next app.
func TestInstanceHandsOverToTheRunningApp(t *testing.T) {
	path := filepath.Join(privateTempDir(t), "s.sock")
	first, err := listenInstance(path)
	if err != nil {
		t.Fatal(err)
	}
	got := receiver(t, first, nil)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o600 || fi.Size() != 0 {
		t.Errorf("socket file: mode %v, size %d; want an empty socket of mode 0600", fi.Mode(), fi.Size())
	}

	if _, err := listenInstance(path); !errors.Is(err, errInstanceRunning) {
		t.Fatalf("second listen got = %v, want errInstanceRunning", err)
	}
	link := "mailto:bob+lists@example.net?bcc=erin@example.org&subject=a+b&body=%C3%BC"
	if err := handOver(t.Context(), path, instanceRequest{kind: requestMailto, link: link}); err != nil {
		t.Fatal(err)
	}
	wantRequest(t, got, instanceRequest{kind: requestMailto, link: link})
	if err := handOver(t.Context(), path, instanceRequest{kind: requestShow}); err != nil {
		t.Fatal(err)
	}
	wantRequest(t, got, instanceRequest{kind: requestShow})

	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("after Close the socket file: %v, want it gone", err)
	}
	if err := handOver(t.Context(), path, instanceRequest{kind: requestShow}); err == nil {
		t.Error("handed over to an app that quit")
	}
	next, err := listenInstance(path)
	if err != nil {
		t.Fatalf("listen after the first app quit: %v", err)
	}
	next.Close()
}

// TestInstanceReplacesAStaleSocket: an app that crashed leaves its socket
// behind; the next start takes its place. Anything else at the path is
// left alone.
func TestInstanceReplacesAStaleSocket(t *testing.T) {
	dir := privateTempDir(t)
	path := filepath.Join(dir, "s.sock")
	crashed, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	crashed.SetUnlinkOnClose(false)
	crashed.Close()
	l, err := listenInstance(path)
	if err != nil {
		t.Fatalf("listen over a stale socket: %v", err)
	}
	got := receiver(t, l, nil)
	if err := handOver(t.Context(), path, instanceRequest{kind: requestShow}); err != nil {
		t.Fatal(err)
	}
	wantRequest(t, got, instanceRequest{kind: requestShow})

	file := filepath.Join(dir, "file.sock")
	if err := os.WriteFile(file, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := listenInstance(file); err == nil || errors.Is(err, errInstanceRunning) {
		t.Errorf("listen on a regular file got = %v, want an error", err)
	}
	if data, err := os.ReadFile(file); err != nil || string(data) != "keep me" {
		t.Errorf("the regular file was touched: %q, %v", data, err)
	}
}

// TestInstanceRefusals: the running app answers a request it cannot carry
// out with its reason, and a listener refuses a folder other users can
// enter.
func TestInstanceRefusals(t *testing.T) {
	path := filepath.Join(privateTempDir(t), "s.sock")
	l, err := listenInstance(path)
	if err != nil {
		t.Fatal(err)
	}
	receiver(t, l, errors.New("the mailto: link is damaged"))
	err = handOver(t.Context(), path, instanceRequest{kind: requestMailto, link: "mailto:%zz"})
	if err == nil || !strings.Contains(err.Error(), "refused: the mailto: link is damaged") {
		t.Errorf("hand-over of a bad link got = %v, want the running app's refusal", err)
	}

	open := privateTempDir(t)
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	if _, err := listenInstance(filepath.Join(open, "s.sock")); !errors.Is(err, errNoInstanceSocket) {
		t.Errorf("listen in a world-writable folder got = %v, want errNoInstanceSocket", err)
	}
}

func TestDecodeInstanceRequest(t *testing.T) {
	tests := []struct {
		name, data string
		want       instanceRequest
		ok         bool
	}{
		{"show", instanceMagic + "show\n", instanceRequest{kind: requestShow}, true},
		{"mailto", instanceMagic + "mailto mailto:bob@example.net\n", instanceRequest{kind: requestMailto, link: "mailto:bob@example.net"}, true},
		{"no magic", "mailto mailto:bob@example.net\n", instanceRequest{}, false},
		{"another version", "SEALPOST/2\nshow\n", instanceRequest{}, false},
		{"no newline", instanceMagic + "show", instanceRequest{}, false},
		{"two lines", instanceMagic + "show\nshow\n", instanceRequest{}, false},
		{"unknown request", instanceMagic + "quit\n", instanceRequest{}, false},
		{"empty: a probe", "", instanceRequest{}, false},
		{"too long", instanceMagic + "mailto mailto:?body=" + strings.Repeat("a", maxInstanceRequest) + "\n", instanceRequest{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeInstanceRequest(strings.NewReader(tt.data))
			if (err == nil) != tt.ok || got != tt.want {
				t.Errorf("decode got = %+v, %v; want %+v, ok %v", got, err, tt.want, tt.ok)
			}
		})
	}
	for _, r := range []instanceRequest{{kind: requestShow}, {kind: requestMailto, link: "mailto:a@b?subject=x"}} {
		if got, err := decodeInstanceRequest(strings.NewReader(r.encode())); err != nil || got != r {
			t.Errorf("round trip of %+v got = %+v, %v", r, got, err)
		}
	}
}

func TestInstanceSocketPath(t *testing.T) {
	rt := privateTempDir(t)
	t.Setenv("XDG_RUNTIME_DIR", rt)
	a, err := instanceSocketPath("/home/alice/.config/sealpost")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := instanceSocketPath("/home/alice/other-profile")
	if filepath.Dir(a) != rt || a == b || strings.Contains(a, "alice") {
		t.Errorf("socket paths %q and %q: want two in %s, named by a hash of the profile", a, b, rt)
	}

	if err := os.Chmod(rt, 0o755); err != nil {
		t.Fatal(err)
	}
	profile := privateTempDir(t)
	if got, err := instanceSocketPath(profile); err != nil || got != filepath.Join(profile, "instance.sock") {
		t.Errorf("with a runtime folder others can read got = %q, %v; want the profile folder", got, err)
	}
	t.Setenv("XDG_RUNTIME_DIR", "")
	long := "/" + strings.Repeat("x", 120)
	if _, err := instanceSocketPath(long); !errors.Is(err, errNoInstanceSocket) {
		t.Errorf("too long a path got = %v, want errNoInstanceSocket", err)
	}
}

// TestInstanceRefusesAnotherUser: a process of another user that reaches
// the socket gets no answer, and the app does nothing (Linux, as root: the
// test binary runs again as nobody, as the client).
func TestInstanceRefusesAnotherUser(t *testing.T) {
	if runtime.GOOS != "linux" || os.Getuid() != 0 {
		t.Skip("the peer check is Linux's; the test needs root to run a client as another user")
	}
	dir := privateTempDir(t)
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	client := filepath.Join(dir, "client")
	if err := os.WriteFile(client, data, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "s.sock")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o777); err != nil { // only the peer check stands in the way
		t.Fatal(err)
	}
	got := receiver(t, &instanceListener{ln: ln, path: path}, nil)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, client, "-test.run=^TestInstanceClientAsAnotherUser$", "-test.v")
	cmd.Env = append(os.Environ(), "SEALPOST_TEST_PEER_SOCKET="+path)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the other user's client: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "no answer") {
		t.Errorf("the other user's client said:\n%s\nwant no answer", out)
	}
	select {
	case r := <-got:
		t.Errorf("the app carried out %+v from another user", r)
	default:
	}
}

// TestInstanceClientAsAnotherUser is TestInstanceRefusesAnotherUser's
// client; it runs only as that test's child.
func TestInstanceClientAsAnotherUser(t *testing.T) {
	path := os.Getenv("SEALPOST_TEST_PEER_SOCKET")
	if path == "" {
		t.Skip("the client of TestInstanceRefusesAnotherUser")
	}
	err := handOver(t.Context(), path, instanceRequest{kind: requestShow})
	if err == nil {
		t.Fatal("the running app answered another user")
	}
	t.Logf("no answer: %v", err)
}
