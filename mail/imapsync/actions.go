package imapsync

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/sealpost/sealpost/localstore"
)

// Kinds of queued actions (localstore.PendingAction.Kind).
const (
	actionFlags   = "flags"
	actionMove    = "move"
	actionExpunge = "expunge"
)

// MarkRead marks the messages read (\Seen) or unread, locally at once and
// queued for the server.
func (s *Syncer) MarkRead(folder string, uids []uint32, read bool) error {
	return s.queueFlags(folder, uids, string(imap.FlagSeen), read)
}

// SetFlagged flags (\Flagged) or unflags the messages, locally at once and
// queued for the server.
func (s *Syncer) SetFlagged(folder string, uids []uint32, flagged bool) error {
	return s.queueFlags(folder, uids, string(imap.FlagFlagged), flagged)
}

func (s *Syncer) queueFlags(folder string, uids []uint32, flag string, on bool) error {
	a := localstore.PendingAction{Kind: actionFlags}
	if on {
		a.AddFlags = []string{flag}
	} else {
		a.RemoveFlags = []string{flag}
	}
	return s.queue(folder, uids, a)
}

// Move moves the messages to dest: they leave folder locally at once, and
// appear in dest with its next sync after the move reached the server.
func (s *Syncer) Move(folder string, uids []uint32, dest string) error {
	if sameName(folder, dest) {
		return nil
	}
	if _, err := s.opts.Store.Folders().Get(s.opts.Account, dest); err != nil {
		return fmt.Errorf("destination folder %q: %w", dest, err)
	}
	return s.queue(folder, uids, localstore.PendingAction{Kind: actionMove, Dest: dest, RemoveLocal: true})
}

// Delete moves the messages to the Trash folder, or, for messages already in
// Trash, deletes them for good (\Deleted and expunged). It fails with
// ErrNoTrash if the account has no Trash folder.
func (s *Syncer) Delete(folder string, uids []uint32) error {
	trash, err := s.trashFolder()
	if err != nil {
		return err
	}
	if sameName(folder, trash) {
		return s.queue(folder, uids, localstore.PendingAction{
			Kind: actionExpunge, AddFlags: []string{string(imap.FlagDeleted)}, RemoveLocal: true,
		})
	}
	return s.Move(folder, uids, trash)
}

func (s *Syncer) trashFolder() (string, error) {
	folders, err := s.opts.Store.Folders().List(s.opts.Account)
	if err != nil {
		return "", err
	}
	i := slices.IndexFunc(folders, func(f localstore.Folder) bool { return f.SpecialUse == SpecialTrash })
	if i < 0 {
		return "", ErrNoTrash
	}
	return folders[i].Name, nil
}

// syncedFolder returns the stored record of a folder that has been synced.
func (s *Syncer) syncedFolder(name string) (localstore.Folder, error) {
	rec, err := s.opts.Store.Folders().Get(s.opts.Account, name)
	if errors.Is(err, localstore.ErrNotFound) || (err == nil && rec.UIDValidity == 0) {
		return localstore.Folder{}, fmt.Errorf("folder %q: %w", name, ErrNotSynced)
	}
	return rec, err
}

// queue applies a locally and queues it, in one store transaction.
func (s *Syncer) queue(folder string, uids []uint32, a localstore.PendingAction) error {
	rec, err := s.syncedFolder(folder)
	if err != nil {
		return err
	}
	a.Account, a.Folder, a.UIDValidity = s.opts.Account, rec.Name, rec.UIDValidity
	a.UIDs = slices.Clone(uids)
	_, err = s.opts.Store.Actions().Queue(a)
	return err
}

// ReplayActions sends the queued actions to the server in queue order,
// removing each from the queue once the server confirmed it, and returns how
// many it sent. It stops at the first failure; that action and the ones
// after it stay queued, in order, for the next call. An action whose folder
// changed UIDVALIDITY meanwhile is dropped: its UIDs name other messages now.
func (s *Syncer) ReplayActions(ctx context.Context) (int, error) {
	actions, err := s.opts.Store.Actions().List(s.opts.Account)
	if err != nil || len(actions) == 0 {
		return 0, err
	}
	sent := 0
	err = s.withConn(ctx, func(c *imapclient.Client) error {
		var open *imap.SelectData // the folder selected by the previous action
		openName := ""
		for _, a := range actions {
			if err := ctx.Err(); err != nil {
				return err
			}
			if open == nil || !sameName(openName, a.Folder) {
				sel, err := c.Select(a.Folder, nil).Wait()
				if err != nil {
					return fmt.Errorf("send queued %s action (%d of %d): open folder: %w", a.Kind, sent+1, len(actions), err)
				}
				open, openName = sel, a.Folder
			}
			if err := replay(c, open, a); err != nil {
				return fmt.Errorf("send queued %s action (%d of %d): %w", a.Kind, sent+1, len(actions), err)
			}
			if err := s.opts.Store.Actions().Done(a.ID); err != nil {
				return err
			}
			sent++
		}
		return nil
	})
	return sent, err
}

// replay performs one action on the server, in its folder, which is
// selected read-write (sel). A stale action counts as done.
func replay(c *imapclient.Client, sel *imap.SelectData, a localstore.PendingAction) error {
	if sel.UIDValidity != a.UIDValidity {
		return nil
	}
	uids := make([]imap.UID, len(a.UIDs))
	for i, u := range a.UIDs {
		uids[i] = imap.UID(u)
	}
	slices.Sort(uids)
	set := uidSet(slices.Compact(uids))
	switch a.Kind {
	case actionFlags:
		return storeFlags(c, set, a.AddFlags, a.RemoveFlags)
	case actionMove:
		return move(c, set, a.Dest)
	case actionExpunge:
		if err := storeFlags(c, set, []string{string(imap.FlagDeleted)}, nil); err != nil {
			return err
		}
		return expunge(c, set)
	default:
		return fmt.Errorf("unknown queued action kind %q (written by a newer Sealpost?)", a.Kind)
	}
}

func storeFlags(c *imapclient.Client, set imap.UIDSet, add, remove []string) error {
	for _, op := range []struct {
		op    imap.StoreFlagsOp
		flags []string
	}{{imap.StoreFlagsAdd, add}, {imap.StoreFlagsDel, remove}} {
		if len(op.flags) == 0 {
			continue
		}
		flags := make([]imap.Flag, len(op.flags))
		for i, f := range op.flags {
			flags[i] = imap.Flag(f)
		}
		if err := c.Store(set, &imap.StoreFlags{Op: op.op, Silent: true, Flags: flags}, nil).Close(); err != nil {
			return fmt.Errorf("change flags: %w", err)
		}
	}
	return nil
}

// move uses MOVE when offered, else COPY, \Deleted and UID EXPUNGE (UIDPLUS,
// which removes exactly these messages). Without UIDPLUS the originals stay
// marked \Deleted: a plain EXPUNGE would also remove messages the user marked
// \Deleted elsewhere.
func move(c *imapclient.Client, set imap.UIDSet, dest string) error {
	caps := c.Caps()
	if caps.Has(imap.CapMove) || caps.Has(imap.CapIMAP4rev2) {
		if _, err := c.Move(set, dest).Wait(); err != nil {
			return fmt.Errorf("move messages: %w", err)
		}
		return nil
	}
	if _, err := c.Copy(set, dest).Wait(); err != nil {
		return fmt.Errorf("copy messages: %w", err)
	}
	if err := storeFlags(c, set, []string{string(imap.FlagDeleted)}, nil); err != nil {
		return err
	}
	return expunge(c, set)
}

func expunge(c *imapclient.Client, set imap.UIDSet) error {
	caps := c.Caps()
	if !caps.Has(imap.CapUIDPlus) && !caps.Has(imap.CapIMAP4rev2) {
		return nil
	}
	if err := c.UIDExpunge(set).Close(); err != nil {
		return fmt.Errorf("expunge messages: %w", err)
	}
	return nil
}
