package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// desktopFiles are the names Sealpost's desktop file is installed under:
// assets/sealpost.desktop by `make install`, and the file the `make
// package` bundle installs, named by the app ID.
var desktopFiles = []string{"sealpost.desktop", appID + ".desktop"}

// mailtoMIME is the MIME type desktops file the mailto: handler under.
const mailtoMIME = "x-scheme-handler/mailto"

// errNotInstalled means no desktop file of Sealpost's is installed, so
// the desktop could not start it for a link.
var errNotInstalled = errors.New("no desktop file of Sealpost is installed: run make install first")

// errNoXdgMime means the desktop's tool for default apps is missing.
var errNoXdgMime = errors.New("xdg-mime is not installed (it comes with the xdg-utils package)")

// xdgMailtoHandler reads and sets the mailto: handler with xdg-mime, as
// the desktop's "default applications" settings do. command is the
// xdg-mime to run ("xdg-mime" from PATH when empty).
type xdgMailtoHandler struct{ command string }

// Own is the name of Sealpost's installed desktop file (the first of
// desktopFiles found in the XDG data folders), or sealpost.desktop when
// none is installed.
func (xdgMailtoHandler) Own() string {
	if name, ok := installedDesktopFile(); ok {
		return name
	}
	return desktopFiles[0]
}

// installedDesktopFile finds Sealpost's desktop file in the folders the
// desktop reads applications from ($XDG_DATA_HOME, $XDG_DATA_DIRS).
func installedDesktopFile() (string, bool) {
	home := os.Getenv("XDG_DATA_HOME")
	if home == "" {
		if h, err := os.UserHomeDir(); err == nil {
			home = filepath.Join(h, ".local", "share")
		}
	}
	dirs := os.Getenv("XDG_DATA_DIRS")
	if dirs == "" {
		dirs = "/usr/local/share:/usr/share"
	}
	for _, name := range desktopFiles {
		for _, dir := range append([]string{home}, filepath.SplitList(dirs)...) {
			if dir == "" {
				continue
			}
			if _, err := os.Stat(filepath.Join(dir, "applications", name)); err == nil {
				return name, true
			}
		}
	}
	return "", false
}

// Current asks xdg-mime which desktop file opens mailto: links.
func (h xdgMailtoHandler) Current(ctx context.Context) (string, error) {
	out, err := h.run(ctx, "query", "default", mailtoMIME)
	return strings.TrimSpace(out), err
}

// MakeDefault makes Sealpost's desktop file open mailto: links. It
// refuses when that file is not installed.
func (h xdgMailtoHandler) MakeDefault(ctx context.Context) error {
	name, ok := installedDesktopFile()
	if !ok {
		return errNotInstalled
	}
	_, err := h.run(ctx, "default", name, mailtoMIME)
	return err
}

func (h xdgMailtoHandler) run(ctx context.Context, args ...string) (string, error) {
	name := h.command
	if name == "" {
		name = "xdg-mime"
	}
	path, err := exec.LookPath(name)
	if err != nil {
		return "", errNoXdgMime
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return "", fmt.Errorf("xdg-mime %s: %s: %w", args[0], msg, err)
		}
		return "", fmt.Errorf("xdg-mime %s: %w", args[0], err)
	}
	return stdout.String(), nil
}
