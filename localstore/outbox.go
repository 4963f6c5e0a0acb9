package localstore

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"
)

// OutboxItem is a message waiting to be submitted.
//
// Until AcceptedAt is set, Attempts, LastError and NextAttempt describe the
// submission; once it is set, they describe saving the copy in Sent.
type OutboxItem struct {
	ID         string // assigned by Add: 32 random hex digits
	Account    string
	From       string
	Recipients []string
	Raw        []byte // the message as it will be submitted (already encrypted/signed)
	// Subject is the message's real subject (the outer one may be a
	// placeholder under header protection), for the audit entry of the
	// sent message; empty when the outer one is it.
	Subject     string
	CreatedAt   time.Time
	NextAttempt time.Time
	Attempts    int
	LastError   string
	// Held means the item is not retried automatically: it waits for the
	// user to retry or discard it (a permanent error, or an unknown outcome).
	Held bool
	// SubmittingSince is set just before the message data is sent and
	// cleared once the server's answer is recorded. Set on an item that is
	// not being submitted, it means the outcome is unknown: the server may
	// have accepted the message.
	SubmittingSince time.Time
	// AcceptedAt is when the submission server accepted the message. Once
	// set, the message is never submitted again; only the copy to Sent may
	// still be pending.
	AcceptedAt time.Time
	// SendRecord goes into the audit entry written when the server
	// accepts the message.
	SendRecord
}

// Outbox is the repository of queued messages, keyed by their random ID.
type Outbox struct{ s *Store }

// Outbox returns the outbox repository.
func (s *Store) Outbox() Outbox { return Outbox{s} }

// Add queues item under a new random ID (and CreatedAt = now if zero) and
// returns the stored item.
func (r Outbox) Add(item OutboxItem) (OutboxItem, error) {
	id := make([]byte, 16)
	rand.Read(id)
	item.ID = hex.EncodeToString(id)
	if item.CreatedAt.IsZero() {
		item.CreatedAt = time.Now().UTC()
	}
	err := r.s.update(func(tx *bolt.Tx) error {
		return r.s.putJSON(tx, [][]byte{bktOutbox}, []byte(item.ID), &item)
	})
	if err != nil {
		return OutboxItem{}, fmt.Errorf("queue message: %w", err)
	}
	return item, nil
}

// Get returns the item with id, or ErrNotFound.
func (r Outbox) Get(id string) (OutboxItem, error) {
	var it OutboxItem
	err := r.s.view(func(tx *bolt.Tx) error {
		return r.s.getJSON(tx, [][]byte{bktOutbox}, []byte(id), &it)
	})
	if err != nil {
		return OutboxItem{}, fmt.Errorf("read outbox item: %w", err)
	}
	return it, nil
}

// List returns the queued items, oldest first.
func (r Outbox) List() ([]OutboxItem, error) {
	var out []OutboxItem
	err := r.s.view(func(tx *bolt.Tx) error {
		path := [][]byte{bktOutbox}
		return tx.Bucket(bktOutbox).ForEach(func(k, v []byte) error {
			var it OutboxItem
			if err := r.s.openJSON(path, k, v, &it); err != nil {
				return err
			}
			out = append(out, it)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list outbox: %w", err)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// Update replaces an existing item (matched by item.ID) and appends notes to
// the audit log (for example "sent" when the server accepted it), in one
// transaction; ErrNotFound if it is no longer queued.
func (r Outbox) Update(item OutboxItem, notes ...AuditNote) error {
	path := [][]byte{bktOutbox}
	err := r.s.update(func(tx *bolt.Tx) error {
		if tx.Bucket(bktOutbox).Get([]byte(item.ID)) == nil {
			return ErrNotFound
		}
		if err := r.s.putJSON(tx, path, []byte(item.ID), &item); err != nil {
			return err
		}
		return r.s.appendNotes(tx, notes)
	})
	if err != nil {
		return fmt.Errorf("update outbox item: %w", err)
	}
	return nil
}

// Delete removes the item and appends notes to the audit log (for example
// "sent"), in one transaction; ErrNotFound if absent.
func (r Outbox) Delete(id string, notes ...AuditNote) error {
	err := r.s.update(func(tx *bolt.Tx) error {
		if err := deleteKey(tx, [][]byte{bktOutbox}, []byte(id)); err != nil {
			return err
		}
		return r.s.appendNotes(tx, notes)
	})
	if err != nil {
		return fmt.Errorf("delete outbox item: %w", err)
	}
	return nil
}
