package localstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// bktActions holds the queue of local changes not yet confirmed by a
// server. It is created on the first Queue, so profiles written before it
// existed need no migration.
var bktActions = []byte("actions")

// PendingAction is a change the user made locally (mark read, flag, move,
// delete) that still has to be sent to the IMAP server. Queue applies its
// local effect and stores it in one transaction; the sync engine replays the
// queue in ID order and calls Done once the server confirmed each one.
type PendingAction struct {
	ID      uint64 // assigned by Queue, increasing in queue order
	Account string
	// Kind is the sync engine's verb; the store does not interpret it.
	Kind string
	// Folder and UIDValidity name the messages: the UIDs are only valid
	// while the folder keeps that UIDVALIDITY.
	Folder      string
	UIDValidity uint32
	UIDs        []uint32
	// AddFlags and RemoveFlags are applied to the stored summaries at once.
	AddFlags, RemoveFlags []string
	// Dest is the target folder of a move.
	Dest string
	// RemoveLocal removes the messages' summaries and raw messages from
	// Folder at once (a move or a delete).
	RemoveLocal bool
	CreatedAt   time.Time
}

// Actions is the repository of pending actions, keyed by their ID.
type Actions struct{ s *Store }

// Actions returns the pending-action repository.
func (s *Store) Actions() Actions { return Actions{s} }

var errNoActionTarget = errors.New("pending action has no account, folder or messages")

func actionKey(id uint64) []byte { return binary.BigEndian.AppendUint64(make([]byte, 0, 8), id) }

// Queue applies a's local effect (flag edits and removal of Folder's
// summaries of a.UIDs) and appends a to the queue, in one transaction, and
// returns a with its new ID (and CreatedAt = now if zero).
func (r Actions) Queue(a PendingAction) (PendingAction, error) {
	if normEmail(a.Account) == "" || a.Folder == "" || len(a.UIDs) == 0 {
		return PendingAction{}, errNoActionTarget
	}
	if slices.Contains(a.UIDs, 0) {
		return PendingAction{}, errZeroUID
	}
	if a.CreatedAt.IsZero() {
		a.CreatedAt = time.Now().UTC()
	}
	err := r.s.update(func(tx *bolt.Tx) error {
		msgs := r.s.Messages()
		if len(a.AddFlags) > 0 || len(a.RemoveFlags) > 0 {
			err := msgs.editSummariesIn(tx, a.Account, a.Folder, a.UIDs, func(m *Summary) bool {
				m.Flags = editFlags(m.Flags, a.AddFlags, a.RemoveFlags)
				return true
			})
			if err != nil {
				return err
			}
		}
		if a.RemoveLocal {
			if err := msgs.deleteMessagesIn(tx, a.Account, a.Folder, a.UIDs); err != nil {
				return err
			}
		}
		b, err := bucketAt(tx, true, [][]byte{bktActions})
		if err != nil {
			return err
		}
		b.FillPercent = seqFillPercent
		id, err := b.NextSequence()
		if err != nil {
			return fmt.Errorf("number action: %w", err)
		}
		a.ID = id
		return r.s.putJSON(tx, [][]byte{bktActions}, actionKey(id), &a)
	})
	if err != nil {
		return PendingAction{}, fmt.Errorf("queue action: %w", err)
	}
	return a, nil
}

// List returns the pending actions of account in queue order (empty if none).
func (r Actions) List(account string) ([]PendingAction, error) {
	var out []PendingAction
	want := normEmail(account)
	err := r.s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bktActions)
		if b == nil {
			return nil
		}
		path := [][]byte{bktActions}
		return b.ForEach(func(k, v []byte) error {
			var a PendingAction
			if err := r.s.openJSON(path, k, v, &a); err != nil {
				return err
			}
			if normEmail(a.Account) == want {
				out = append(out, a)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list pending actions: %w", err)
	}
	return out, nil
}

// Done removes the action with id from the queue; ErrNotFound if absent.
func (r Actions) Done(id uint64) error {
	err := r.s.update(func(tx *bolt.Tx) error {
		return deleteKey(tx, [][]byte{bktActions}, actionKey(id))
	})
	if err != nil {
		return fmt.Errorf("remove pending action: %w", err)
	}
	return nil
}
