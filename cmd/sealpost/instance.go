package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/sealpost/sealpost/mail"
)

// Single instance: the first app started on a profile listens on a Unix
// domain socket; a later `sealpost` or `sealpost mailto:…` on the same
// profile hands its request to it over the socket and exits, so that a
// link opens a composer in the running app instead of a second app that
// cannot open the profile. The socket file holds nothing: the link travels
// over the connection only.
//
// The protocol is one request per connection: the client writes
// instanceMagic, a request line ("show" or "mailto <link>") and closes its
// side; the server answers "ok" or "error <text>" on one line.

// instanceMagic starts every request, so that a stray connection is told
// apart from a Sealpost.
const instanceMagic = "SEALPOST/1\n"

// instanceTimeout bounds one request, from either side.
const instanceTimeout = 10 * time.Second

// maxInstanceRequest is the longest request accepted.
const maxInstanceRequest = len(instanceMagic) + len("mailto ") + mail.MaxMailtoLen + 1

// Request kinds.
const (
	requestShow   = "show"
	requestMailto = "mailto"
)

// errInstanceRunning means another app already listens on the profile's
// socket: hand the request over to it.
var errInstanceRunning = errors.New("another Sealpost already runs on this profile")

// errNoInstanceSocket means this system offers no private place for the
// socket (or none short enough): the app runs without single-instance
// hand-over.
var errNoInstanceSocket = errors.New("no private folder for the single-instance socket")

// errEmptyRequest is a connection closed without a request: a later start
// checking whether an app listens.
var errEmptyRequest = errors.New("no request")

// instanceRequest is what a later start asks of the running app.
type instanceRequest struct {
	kind string // requestShow or requestMailto
	link string // the mailto: link, for requestMailto
}

// encode is the request as it travels.
func (r instanceRequest) encode() string {
	if r.kind == requestMailto {
		return instanceMagic + requestMailto + " " + r.link + "\n"
	}
	return instanceMagic + requestShow + "\n"
}

// decodeInstanceRequest reads one request from r.
func decodeInstanceRequest(r io.Reader) (instanceRequest, error) {
	data, err := io.ReadAll(io.LimitReader(r, int64(maxInstanceRequest)+1))
	if err != nil {
		return instanceRequest{}, fmt.Errorf("read the request: %w", err)
	}
	if len(data) == 0 {
		return instanceRequest{}, errEmptyRequest
	}
	if len(data) > maxInstanceRequest {
		return instanceRequest{}, errors.New("the request is too long")
	}
	text, ok := strings.CutPrefix(string(data), instanceMagic)
	if !ok {
		return instanceRequest{}, errors.New("not a Sealpost request")
	}
	text, ok = strings.CutSuffix(text, "\n")
	if !ok || strings.ContainsAny(text, "\n") {
		return instanceRequest{}, errors.New("a request is one line")
	}
	if text == requestShow {
		return instanceRequest{kind: requestShow}, nil
	}
	if link, ok := strings.CutPrefix(text, requestMailto+" "); ok {
		return instanceRequest{kind: requestMailto, link: link}, nil
	}
	return instanceRequest{}, fmt.Errorf("unknown request %.20q", text)
}

// instanceSocketPath is where the app on profileDir listens: in the user's
// runtime folder ($XDG_RUNTIME_DIR) when it is private, named by a hash of
// the profile's path, else in the profile folder itself.
func instanceSocketPath(profileDir string) (string, error) {
	abs, err := filepath.Abs(profileDir)
	if err != nil {
		return "", fmt.Errorf("%w: %w", errNoInstanceSocket, err)
	}
	var path string
	if rt := os.Getenv("XDG_RUNTIME_DIR"); rt != "" && privateDir(rt) {
		sum := sha256.Sum256([]byte(abs))
		path = filepath.Join(rt, "sealpost-"+hex.EncodeToString(sum[:8])+".sock")
	} else {
		path = filepath.Join(abs, "instance.sock")
	}
	// sun_path holds 104 bytes on macOS and the BSDs, 108 on Linux.
	if len(path) >= 104 {
		return "", fmt.Errorf("%w: %s is too long for a socket", errNoInstanceSocket, path)
	}
	return path, nil
}

// instanceListener is the running app's end of the socket.
type instanceListener struct {
	ln   *net.UnixListener
	path string
	wg   sync.WaitGroup
}

// listenInstance claims the single-instance socket at path. It returns
// errInstanceRunning when another app answers there. A socket left behind
// by an app that ended without cleaning up is replaced.
func listenInstance(path string) (*instanceListener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("single-instance socket: %w", err)
	}
	if !privateDir(filepath.Dir(path)) {
		return nil, fmt.Errorf("%w: %s is open to other users", errNoInstanceSocket, filepath.Dir(path))
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		if c, dialErr := net.DialTimeout("unix", path, instanceTimeout); dialErr == nil {
			_ = c.Close()
			return nil, errInstanceRunning
		}
		// Nobody answers: a stale socket. Remove it only if it is one.
		if fi, statErr := os.Lstat(path); statErr != nil || fi.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("single-instance socket: %w", err)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("single-instance socket: remove the stale socket: %w", err)
		}
		if ln, err = net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"}); err != nil {
			return nil, fmt.Errorf("single-instance socket: %w", err)
		}
	}
	if err := os.Chmod(path, 0o600); err != nil {
		_ = ln.Close()
		return nil, fmt.Errorf("single-instance socket: %w", err)
	}
	return &instanceListener{ln: ln, path: path}, nil
}

// serve answers requests until Close, calling handle for each one from a
// peer that runs as the same user. handle must not block: it hands the
// request to the UI goroutine. A request handle rejects is answered with
// its error.
func (l *instanceListener) serve(handle func(instanceRequest) error, logf func(format string, args ...any)) {
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		for {
			c, err := l.ln.AcceptUnix()
			if err != nil {
				if !errors.Is(err, net.ErrClosed) {
					logf("single instance: %v", err)
				}
				return
			}
			l.wg.Add(1)
			go func() {
				defer l.wg.Done()
				defer func() {
					if r := recover(); r != nil {
						logf("single instance: a request failed: %v", r)
					}
				}()
				if err := answer(c, handle); err != nil {
					logf("single instance: %v", err)
				}
			}()
		}
	}()
}

// answer reads one request from c, checks who sent it and answers it.
func answer(c *net.UnixConn, handle func(instanceRequest) error) error {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(instanceTimeout))
	if err := checkPeer(c); err != nil {
		return err // no answer: a stranger learns nothing
	}
	req, err := decodeInstanceRequest(c)
	if errors.Is(err, errEmptyRequest) {
		return nil
	}
	if err == nil {
		err = handle(req)
	}
	reply := "ok\n"
	if err != nil {
		reply = "error " + strings.ReplaceAll(err.Error(), "\n", " ") + "\n"
	}
	if _, werr := io.WriteString(c, reply); werr != nil {
		return fmt.Errorf("answer a request: %w", werr)
	}
	return err
}

// Close stops listening, removes the socket and waits for the requests
// being answered.
func (l *instanceListener) Close() error {
	err := l.ln.Close() // removes the socket file too
	l.wg.Wait()
	return err
}

// handOver sends req to the app listening at path and returns its answer
// as an error when it refused.
func handOver(ctx context.Context, path string, req instanceRequest) error {
	d := net.Dialer{Timeout: instanceTimeout}
	c, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return fmt.Errorf("reach the running Sealpost: %w", err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(instanceTimeout))
	if _, err := io.WriteString(c, req.encode()); err != nil {
		return fmt.Errorf("hand over to the running Sealpost: %w", err)
	}
	if err := c.(*net.UnixConn).CloseWrite(); err != nil {
		return fmt.Errorf("hand over to the running Sealpost: %w", err)
	}
	line, err := bufio.NewReader(io.LimitReader(c, 4096)).ReadString('\n')
	if err != nil {
		return fmt.Errorf("the running Sealpost did not answer: %w", err)
	}
	line = strings.TrimSuffix(line, "\n")
	if line == "ok" {
		return nil
	}
	return fmt.Errorf("the running Sealpost refused: %s", strings.TrimPrefix(line, "error "))
}
