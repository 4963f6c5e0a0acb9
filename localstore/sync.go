package localstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// PutBatch stores one sync batch in a single transaction: the summaries and
// the raw messages of those that have one (replacing records with the same
// UIDs). After a crash either the whole batch is present or none of it, so a
// resumed sync neither loses nor duplicates a message. The messages are left
// for the next indexing run (see SearchIndex.Backlog).
func (r Messages) PutBatch(account, folder string, sums []Summary, raws []RawMessage) error {
	return r.PutIndexedBatch(account, folder, sums, raws, nil)
}

// PutIndexedBatch is PutBatch that also stores the search records docs of
// the batch's messages in the same transaction, so a message is never
// stored unindexed. Every summary should have its doc: a message without
// one is left for the next indexing run. PutIndexedBatch does not retain
// the docs' text: the caller may wipe it after.
func (r Messages) PutIndexedBatch(account, folder string, sums []Summary, raws []RawMessage, docs []SearchDoc) error {
	err := r.s.update(func(tx *bolt.Tx) error {
		if err := r.putSummariesIn(tx, account, folder, sums); err != nil {
			return err
		}
		if len(raws) > 0 {
			if err := r.putRawsIn(tx, account, folder, raws); err != nil {
				return err
			}
		}
		if err := r.s.SearchIndex().putDocsIn(tx, account, folder, docs); err != nil {
			return err
		}
		if everyIndexed(sums, docs) {
			return nil
		}
		return r.s.markUnindexed(tx, r.s.keys.blind(labelAccount, normEmail(account)))
	})
	if err != nil {
		return fmt.Errorf("store message batch: %w", err)
	}
	return nil
}

// everyIndexed reports whether every summary has a doc of the same UID.
func everyIndexed(sums []Summary, docs []SearchDoc) bool {
	if len(docs) < len(sums) {
		return false
	}
	have := make(map[uint32]bool, len(docs))
	for _, d := range docs {
		have[d.UID] = true
	}
	for _, m := range sums {
		if !have[m.UID] {
			return false
		}
	}
	return true
}

// PutFetchedRaw stores the raw bytes of a message whose summary was stored
// without them (RawOmitted), and clears RawOmitted, in one transaction. It
// returns ErrNotFound if the folder holds no summary for uid.
func (r Messages) PutFetchedRaw(account, folder string, uid uint32, raw []byte) error {
	err := r.s.update(func(tx *bolt.Tx) error {
		found := false
		err := r.editSummariesIn(tx, account, folder, []uint32{uid}, func(m *Summary) bool {
			found = true
			changed := m.RawOmitted
			m.RawOmitted = false
			return changed
		})
		if err != nil {
			return err
		}
		if !found {
			return ErrNotFound
		}
		if err := r.putRawsIn(tx, account, folder, []RawMessage{{UID: uid, Raw: raw}}); err != nil {
			return err
		}
		return r.s.markUnindexed(tx, r.s.keys.blind(labelAccount, normEmail(account)))
	})
	if err != nil {
		return fmt.Errorf("store fetched message: %w", err)
	}
	return nil
}

// UIDs returns the UIDs of the folder's summaries in ascending order. It reads
// only the record keys (nothing is decrypted), so it is cheap enough for
// expunge detection on large folders.
func (r Messages) UIDs(account, folder string) ([]uint32, error) {
	out, err := r.s.uidsAt(r.path(account, folder, subSummaries), "summary")
	if err != nil {
		return nil, fmt.Errorf("list message UIDs: %w", err)
	}
	return out, nil
}

// uidsAt lists, in order, the UIDs that key the records of the bucket at
// path (none when it does not exist); what names the records in errors.
func (s *Store) uidsAt(path [][]byte, what string) ([]uint32, error) {
	var out []uint32
	err := s.view(func(tx *bolt.Tx) error {
		b, err := bucketAt(tx, false, path)
		if err != nil || b == nil {
			return err
		}
		out = make([]uint32, 0, b.Stats().KeyN)
		c := b.Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			if len(k) != 4 {
				return fmt.Errorf("%w: %s key of %d bytes", ErrCorrupt, what, len(k))
			}
			out = append(out, binary.BigEndian.Uint32(k))
		}
		return nil
	})
	return out, err
}

// MaxUID returns the highest UID with a summary in the folder, or 0 if the
// folder holds none.
func (r Messages) MaxUID(account, folder string) (uint32, error) {
	var uid uint32
	err := r.s.view(func(tx *bolt.Tx) error {
		b, err := bucketAt(tx, false, r.path(account, folder, subSummaries))
		if err != nil || b == nil {
			return err
		}
		k, _ := b.Cursor().Last()
		if k == nil {
			return nil
		}
		if len(k) != 4 {
			return fmt.Errorf("%w: summary key of %d bytes", ErrCorrupt, len(k))
		}
		uid = binary.BigEndian.Uint32(k)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("read highest message UID: %w", err)
	}
	return uid, nil
}

// SetFlags sets the flags of the summaries listed in flags (UID -> the
// complete new flag list). Only summaries whose flags differ are rewritten,
// in one transaction, and none is written when nothing changed (the usual
// resync). UIDs without a summary are ignored (expunged or moved meanwhile).
func (r Messages) SetFlags(account, folder string, flags map[uint32][]string) error {
	uids := make([]uint32, 0, len(flags))
	for uid := range flags {
		uids = append(uids, uid)
	}
	slices.Sort(uids)
	edit := func(m *Summary) bool {
		want := flags[m.UID]
		if slices.Equal(m.Flags, want) {
			return false
		}
		m.Flags = want
		return true
	}
	changed := false
	err := r.s.view(func(tx *bolt.Tx) error {
		return r.scanSummariesIn(tx, account, folder, uids, func(m *Summary) bool {
			changed = changed || edit(m)
			return !changed
		})
	})
	if err == nil && changed {
		err = r.s.update(func(tx *bolt.Tx) error {
			return r.editSummariesIn(tx, account, folder, uids, edit)
		})
	}
	if err != nil {
		return fmt.Errorf("update message flags: %w", err)
	}
	return nil
}

// scanSummariesIn opens each existing summary of uids in order and calls fn
// until it returns false. Absent UIDs are skipped.
func (r Messages) scanSummariesIn(tx *bolt.Tx, account, folder string, uids []uint32, fn func(*Summary) bool) error {
	path := r.path(account, folder, subSummaries)
	b, err := bucketAt(tx, false, path)
	if err != nil || b == nil {
		return err
	}
	for _, uid := range uids {
		var m Summary
		err := r.s.getJSON(tx, path, uidKey(uid), &m)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if !fn(&m) {
			return nil
		}
	}
	return nil
}

// editSummariesIn applies edit to each existing summary of uids inside tx
// and seals again those for which it returns true.
func (r Messages) editSummariesIn(tx *bolt.Tx, account, folder string, uids []uint32, edit func(*Summary) bool) error {
	var batch []Summary
	err := r.scanSummariesIn(tx, account, folder, uids, func(m *Summary) bool {
		if edit(m) {
			batch = append(batch, *m)
		}
		return true
	})
	if err != nil || len(batch) == 0 {
		return err
	}
	return r.putSummariesIn(tx, account, folder, batch)
}

// deleteMessagesIn removes the summaries, raw messages and search records of
// uids inside tx.
func (r Messages) deleteMessagesIn(tx *bolt.Tx, account, folder string, uids []uint32) error {
	path := r.path(account, folder, subSummaries)
	if err := deleteSearchIn(tx, path[1], path[2], uids); err != nil {
		return err
	}
	sb, err := bucketAt(tx, false, path)
	if err != nil {
		return err
	}
	rb, err := bucketAt(tx, false, r.path(account, folder, subRaw))
	if err != nil {
		return err
	}
	for _, uid := range uids {
		if sb != nil {
			if err := sb.Delete(uidKey(uid)); err != nil {
				return fmt.Errorf("delete summary: %w", err)
			}
		}
		if rb != nil {
			if err := deleteRawChunks(rb, uid); err != nil {
				return err
			}
		}
	}
	return nil
}

// editFlags returns flags with add added and remove removed; IMAP flags
// compare case-insensitively.
func editFlags(flags, add, remove []string) []string {
	out := make([]string, 0, len(flags)+len(add))
	has := func(list []string, f string) bool {
		return slices.ContainsFunc(list, func(g string) bool { return strings.EqualFold(f, g) })
	}
	for _, f := range flags {
		if !has(remove, f) && !has(out, f) {
			out = append(out, f)
		}
	}
	for _, f := range add {
		if !has(remove, f) && !has(out, f) {
			out = append(out, f)
		}
	}
	return out
}
