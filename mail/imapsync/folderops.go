package imapsync

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/sealpost/sealpost/localstore"
)

// Folder management runs on the server first and then mirrors the server's
// folder list into the store (syncFolders), so the store never holds a
// folder the server refused. Queued actions are not replayed here: the
// caller sends them first (ReplayActions), since an action queued for a
// folder that is renamed or deleted could not be sent afterwards.

// CreateFolder creates name on the server and stores it; its messages come
// with the next sync.
func (s *Syncer) CreateFolder(ctx context.Context, name string) error {
	return s.withConn(ctx, func(c *imapclient.Client) error {
		if err := c.Create(name, nil).Wait(); err != nil {
			return fmt.Errorf("create folder %q: %w", name, err)
		}
		_, err := s.syncFolders(c)
		return err
	})
}

// RenameFolder renames from (and, on servers that follow RFC 9051, the
// folders below it) to to on the server. The local copies of the old
// folders go; the next sync downloads the renamed ones.
func (s *Syncer) RenameFolder(ctx context.Context, from, to string) error {
	return s.withConn(ctx, func(c *imapclient.Client) error {
		if err := leaveFolder(c, from); err != nil {
			return err
		}
		if err := c.Rename(from, to, nil).Wait(); err != nil {
			return fmt.Errorf("rename folder %q to %q: %w", from, to, err)
		}
		_, err := s.syncFolders(c)
		return err
	})
}

// DeleteFolder deletes name on the server, then its local copy and
// messages.
func (s *Syncer) DeleteFolder(ctx context.Context, name string) error {
	return s.withConn(ctx, func(c *imapclient.Client) error {
		if err := leaveFolder(c, name); err != nil {
			return err
		}
		if err := c.Delete(name).Wait(); err != nil {
			return fmt.Errorf("delete folder %q: %w", name, err)
		}
		err := s.opts.Store.Folders().Delete(s.opts.Account, name)
		if err != nil && !errors.Is(err, localstore.ErrNotFound) {
			return err
		}
		_, err = s.syncFolders(c)
		return err
	})
}

// leaveFolder leaves the selected folder when it is name or below it,
// without expunging anything: some servers refuse to rename or delete the
// selected folder.
func leaveFolder(c *imapclient.Client, name string) error {
	// go-imap sets Client.Mailbox only after a SELECT's Wait returned; the
	// completion of any later command makes it current.
	if err := c.Noop().Wait(); err != nil {
		return fmt.Errorf("check the connection: %w", err)
	}
	mbox := c.Mailbox()
	if mbox == nil || !strings.HasPrefix(mbox.Name, name) {
		return nil
	}
	caps := c.Caps()
	if caps.Has(imap.CapUnselect) || caps.Has(imap.CapIMAP4rev2) {
		if err := c.Unselect().Wait(); err != nil {
			return fmt.Errorf("leave folder: %w", err)
		}
		return nil
	}
	// CLOSE expunges only a folder opened read-write: open it read-only
	// first.
	if _, err := c.Select(mbox.Name, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		return fmt.Errorf("leave folder: %w", err)
	}
	if err := c.UnselectAndExpunge().Wait(); err != nil {
		return fmt.Errorf("leave folder: %w", err)
	}
	return nil
}
