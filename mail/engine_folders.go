package mail

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail/backend"
	"github.com/sealpost/sealpost/mail/imapsync"
)

// Folder management (backend.FolderManager) runs on the server first, on a
// connection of its own: the local copy follows what the server did, and
// an unreachable server changes nothing. Actions queued offline are sent
// first, since one queued for a folder that is renamed or deleted could not
// be sent afterwards. Folder names stay blinded and sealed in the store.

// roles maps the special-use attributes to the roles the UI knows.
var roles = map[string]string{
	imapsync.SpecialSent: backend.RoleSent, imapsync.SpecialDrafts: backend.RoleDrafts,
	imapsync.SpecialTrash: backend.RoleTrash, imapsync.SpecialJunk: backend.RoleJunk,
	imapsync.SpecialArchive: backend.RoleArchive,
}

// FolderInfos describes the stored folders of account, INBOX first, with
// their roles and how many of their messages are unread.
func (e *Engine) FolderInfos(ctx context.Context, account string) (out []backend.FolderInfo, err error) {
	err = e.with(ctx, func(p *Profile) error {
		acct, err := p.accounts.get(account)
		if err != nil {
			return err
		}
		folders, err := p.store.Folders().List(acct.Email)
		if err != nil {
			return err
		}
		for _, f := range folders {
			if err := ctx.Err(); err != nil {
				return err
			}
			info, err := describeFolder(p, acct.Email, f)
			if err != nil {
				return err
			}
			out = append(out, info)
		}
		return nil
	})
	slices.SortStableFunc(out, func(a, b backend.FolderInfo) int {
		if (a.Name == inbox) != (b.Name == inbox) {
			if a.Name == inbox {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out, err
}

// FolderInfo describes the stored folder of account, counting only its
// messages: the app asks for it when one folder changed.
func (e *Engine) FolderInfo(ctx context.Context, account, folder string) (info backend.FolderInfo, err error) {
	err = e.with(ctx, func(p *Profile) error {
		acct, err := p.accounts.get(account)
		if err != nil {
			return err
		}
		f, err := p.store.Folders().Get(acct.Email, folder)
		if err != nil {
			return err
		}
		info, err = describeFolder(p, acct.Email, f)
		return err
	})
	return info, err
}

// describeFolder is the FolderInfo of stored folder f of account.
func describeFolder(p *Profile, account string, f localstore.Folder) (backend.FolderInfo, error) {
	unread, total, err := p.store.Messages().CountUnread(account, f.Name)
	if err != nil {
		return backend.FolderInfo{}, fmt.Errorf("%s: %w", f.Name, err)
	}
	return backend.FolderInfo{Name: f.Name, Role: roles[f.SpecialUse], Delimiter: f.Delimiter,
		Unread: unread, Total: total}, nil
}

// CreateFolder creates name on the server and stores it.
func (e *Engine) CreateFolder(ctx context.Context, account, name string) error {
	return e.folderOp(ctx, account, "create folder "+name, func(p *Profile, acct string, s *imapsync.Syncer) error {
		if err := checkNewFolder(p, acct, name); err != nil {
			return err
		}
		return s.CreateFolder(ctx, name)
	})
}

// RenameFolder renames from to to on the server and locally; the renamed
// folder's messages come again with its next sync, which a running session
// starts at once.
func (e *Engine) RenameFolder(ctx context.Context, account, from, to string) error {
	err := e.folderOp(ctx, account, "rename folder "+from, func(p *Profile, acct string, s *imapsync.Syncer) error {
		if err := checkFixed(from); err != nil {
			return err
		}
		if err := checkNewFolder(p, acct, to); err != nil {
			return err
		}
		if err := replayFirst(ctx, s); err != nil {
			return err
		}
		return s.RenameFolder(ctx, from, to)
	})
	if err == nil {
		e.syncLater(account, to)
	}
	return err
}

// DeleteFolder deletes name on the server and locally, with its messages.
func (e *Engine) DeleteFolder(ctx context.Context, account, name string) error {
	return e.folderOp(ctx, account, "delete folder "+name, func(p *Profile, acct string, s *imapsync.Syncer) error {
		if err := checkFixed(name); err != nil {
			return err
		}
		if _, err := p.store.Folders().Get(acct, name); errors.Is(err, localstore.ErrNotFound) {
			return fmt.Errorf("folder %q: %w", name, ErrFolderNotSynced)
		}
		if err := replayFirst(ctx, s); err != nil {
			return err
		}
		return s.DeleteFolder(ctx, name)
	})
}

// folderOp runs op with a Syncer for account, then tells subscribers that
// the account's folder list changed. Errors name the account and what was
// being done.
func (e *Engine) folderOp(ctx context.Context, account, what string, op func(p *Profile, acct string, s *imapsync.Syncer) error) error {
	var email string
	err := e.with(ctx, func(p *Profile) error {
		acct, err := p.accounts.get(account)
		if err != nil {
			return err
		}
		email = acct.Email
		s, err := p.syncer.open(acct, false, nil)
		if err != nil {
			return err
		}
		defer s.Close()
		return op(p, acct.Email, s)
	})
	if err != nil {
		if email != "" {
			return fmt.Errorf("%s: %s: %w", email, what, err)
		}
		return err
	}
	e.events.publish(backend.Event{Kind: backend.EventFoldersChanged, Account: email})
	return nil
}

// checkFixed refuses to rename or delete INBOX.
func checkFixed(name string) error {
	if strings.EqualFold(name, inbox) {
		return backend.ErrInboxFixed
	}
	return nil
}

// checkNewFolder checks that name, a full path, can be created: each level
// a valid name, not stored already.
func checkNewFolder(p *Profile, acct, name string) error {
	folders, err := p.store.Folders().List(acct)
	if err != nil {
		return err
	}
	delim := ""
	for _, f := range folders {
		if f.Delimiter != "" {
			delim = f.Delimiter
			break
		}
	}
	levels := []string{name}
	if delim != "" {
		levels = strings.Split(name, delim)
	}
	for i, level := range levels {
		if i == 0 && len(levels) > 1 && strings.EqualFold(level, inbox) {
			continue // a folder below INBOX, as some servers keep them all
		}
		if err := backend.CheckFolderName(level, delim); err != nil {
			return err
		}
	}
	if slices.ContainsFunc(folders, func(f localstore.Folder) bool { return f.Name == name }) {
		return fmt.Errorf("%q: %w", name, backend.ErrFolderExists)
	}
	return nil
}

// replayFirst sends the actions queued offline before a folder changes.
func replayFirst(ctx context.Context, s *imapsync.Syncer) error {
	if _, err := s.ReplayActions(ctx); err != nil {
		return fmt.Errorf("changes made offline must reach the server first, and could not: %w", err)
	}
	return nil
}

// syncLater has the running session of account sync folder, off the
// caller's goroutine; without sessions the next sync fetches it.
func (e *Engine) syncLater(account, folder string) {
	live := e.sessions()
	if live == nil {
		return
	}
	live.goSafe(account, "sync of a renamed folder", func() {
		// A failure shows as the session's error event; the folder is
		// synced again with the next check anyway.
		_, _ = e.syncInSessions(live.ctx, account, folder, nil)
	})
}

// The engine manages folders.
var _ backend.FolderManager = (*Engine)(nil)
