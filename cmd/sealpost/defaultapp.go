package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
)

// desktopFile is the name Sealpost's desktop file is installed under
// (assets/sealpost.desktop, `make install`).
const desktopFile = "sealpost.desktop"

// mailtoMIME is the MIME type desktops file the mailto: handler under.
const mailtoMIME = "x-scheme-handler/mailto"

// errNoXdgMime means the desktop's tool for default apps is missing.
var errNoXdgMime = errors.New("xdg-mime is not installed (it comes with the xdg-utils package)")

// xdgMailtoHandler reads and sets the mailto: handler with xdg-mime, as
// the desktop's "default applications" settings do. command is the
// xdg-mime to run ("xdg-mime" from PATH when empty).
type xdgMailtoHandler struct{ command string }

// Own is Sealpost's desktop file.
func (xdgMailtoHandler) Own() string { return desktopFile }

// Current asks xdg-mime which desktop file opens mailto: links.
func (h xdgMailtoHandler) Current(ctx context.Context) (string, error) {
	out, err := h.run(ctx, "query", "default", mailtoMIME)
	return strings.TrimSpace(out), err
}

// MakeDefault makes Sealpost's desktop file open mailto: links.
func (h xdgMailtoHandler) MakeDefault(ctx context.Context) error {
	_, err := h.run(ctx, "default", desktopFile, mailtoMIME)
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
