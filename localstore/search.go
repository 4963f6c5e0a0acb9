package localstore

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// SearchIndex is the sealed search index: one record per message under
// search/<blind account>/<blind folder>/<big-endian UID>, holding the text a
// search may match (sender, recipients, subject, attachment names and the
// shown body, decrypted for encrypted mail). There is deliberately no index
// by term: every lookup key is a UID and every value is sealed, so the file
// reveals neither the words nor how often they occur. A search opens and
// scans the records.
//
// A record only exists while its message's summary does: removing summaries
// (DeleteSummaries, DropFolderMessages, Folders.Delete, Accounts.Delete, a
// queued move or delete) removes their records in the same transaction, and
// storing a message's raw bytes removes its record so that the message is
// indexed again with its body.
type SearchIndex struct{ s *Store }

// SearchIndex returns the search index repository.
func (s *Store) SearchIndex() SearchIndex { return SearchIndex{s} }

// SearchDoc is the indexed form of one message, for PutBatch.
type SearchDoc struct {
	UID uint32
	// Date orders results (the message's Date header).
	Date time.Time
	// HasBody says Text includes the message body: the raw message was
	// stored when it was indexed.
	HasBody bool
	// Unreadable says the stored body could not be read (an encrypted
	// message none of the own keys decrypts): Text holds the summary only.
	// RetryUnreadable drops such records so they are indexed again.
	Unreadable bool
	// Text is the normalised searchable text; at most MaxSearchText bytes
	// are kept. PutBatch does not retain it: the caller may wipe it after.
	Text []byte
	// Of, when set, is the identity of the message indexed: PutBatch skips
	// the document when the UID's summary now belongs to another message.
	Of MessageIdentity
}

// SearchRecord is one record as Scan presents it.
type SearchRecord struct {
	Folder              string
	UID                 uint32
	Date                time.Time
	HasBody, Unreadable bool
	// Text is only valid during the Scan callback: it is wiped afterwards.
	Text []byte
}

// MaxSearchText caps the text stored per message (256 KiB); longer text is
// cut at a UTF-8 boundary.
const MaxSearchText = 256 << 10

// searchRecordVersion is the first plaintext byte of a search record.
const searchRecordVersion = 1

// Record flag bits.
const (
	searchHasBody    = 1 << 0
	searchUnreadable = 1 << 1
)

// keyKeySet is the record under search/<blind account> holding the tag of
// the own keys the account was last indexed with.
var keyKeySet = []byte("keyset")

// keyBacklog is the record under search/<blind account> that tells whether
// the account may hold messages without a search record (see Backlog):
// two big-endian counters, dirty || clean.
var keyBacklog = []byte("backlog")

// searchDamaged reports that err, found reading a search record, means the
// index is damaged: a search must not answer with fewer messages as if
// nothing were wrong. The result wraps ErrSearchDamaged and err.
func searchDamaged(err error) error {
	return fmt.Errorf("%w (%w)", ErrSearchDamaged, err)
}

// errBadSearchRecord is wrapped with ErrCorrupt for a record that opened but
// does not parse.
var errBadSearchRecord = errors.New("search record is malformed")

func (r SearchIndex) folderPath(account, folder string) [][]byte {
	acct, fold := r.s.folderKeys(account, folder)
	return [][]byte{bktSearch, acct, fold}
}

// PutBatch seals and stores docs (replacing records with the same UIDs) in
// one transaction. A doc whose message no longer has a summary is skipped
// (it was deleted while being indexed), and so is a doc without body whose
// raw message has arrived meanwhile: the next indexing run picks it up.
func (r SearchIndex) PutBatch(account, folder string, docs []SearchDoc) error {
	err := r.s.update(func(tx *bolt.Tx) error {
		return r.putDocsIn(tx, account, folder, docs)
	})
	if err != nil {
		return fmt.Errorf("store search records: %w", err)
	}
	return nil
}

// putDocsIn is PutBatch's work inside tx.
func (r SearchIndex) putDocsIn(tx *bolt.Tx, account, folder string, docs []SearchDoc) error {
	msgs := r.s.Messages()
	sums, err := bucketAt(tx, false, msgs.path(account, folder, subSummaries))
	if err != nil || sums == nil {
		return err
	}
	raws, err := bucketAt(tx, false, msgs.path(account, folder, subRaw))
	if err != nil {
		return err
	}
	path := r.folderPath(account, folder)
	b, err := bucketAt(tx, true, path)
	if err != nil {
		return err
	}
	b.FillPercent = seqFillPercent
	name := normFolder(folder)
	var pt, ad []byte
	defer func() { clear(pt) }()
	for _, d := range docs {
		if d.UID == 0 {
			return errZeroUID
		}
		key := uidKey(d.UID)
		sealedSum := sums.Get(key)
		if sealedSum == nil || (!d.HasBody && raws != nil && raws.Get(rawChunkKey(d.UID, 0)) != nil) {
			continue
		}
		if d.Of != (MessageIdentity{}) {
			var m Summary
			if err := r.s.openJSON(msgs.path(account, folder, subSummaries), key, sealedSum, &m); err != nil {
				return err
			}
			if !d.Of.matches(m) {
				continue // the UID names another message now
			}
		}
		pt = appendSearchRecord(pt[:0], name, d)
		ad = appendAD(ad[:0], path, key)
		sealed := r.s.keys.sealTo(make([]byte, 0, len(pt)+sealOverhead), pt, ad)
		if err := b.Put(key, sealed); err != nil {
			return fmt.Errorf("write search record: %w", err)
		}
	}
	return nil
}

// Backlog reports whether account may hold stored messages without a
// search record: pending is false only when every message stored since the
// last complete indexing run was indexed as it was stored (PutIndexedBatch)
// and no record was dropped since (a raw message stored later, a change of
// the own keys in RetryUnreadable). An account without that knowledge, from
// a profile made before it was kept, is pending. A caller that then indexes
// every message without a record passes gen to MarkIndexed. Backlog reads
// one record, so a sync can ask it every time instead of listing the
// records of every folder.
func (r SearchIndex) Backlog(account string) (gen uint64, pending bool, err error) {
	err = r.s.view(func(tx *bolt.Tx) error {
		dirty, clean, found, err := r.s.backlogIn(tx, r.s.keys.blind(labelAccount, normEmail(account)))
		gen, pending = dirty, !found || dirty != clean
		return err
	})
	if err != nil {
		return 0, false, fmt.Errorf("read the search index backlog: %w", err)
	}
	return gen, pending, nil
}

// MarkIndexed records that every message of account that lacked a search
// record at generation gen (from Backlog) has one now. Anything that left a
// message without a record since then keeps the backlog pending.
func (r SearchIndex) MarkIndexed(account string, gen uint64) error {
	err := r.s.update(func(tx *bolt.Tx) error {
		acct := r.s.keys.blind(labelAccount, normEmail(account))
		dirty, _, found, err := r.s.backlogIn(tx, acct)
		if err != nil {
			return err
		}
		if !found {
			dirty = gen
		}
		return r.s.putBacklog(tx, acct, dirty, gen)
	})
	if err != nil {
		return fmt.Errorf("record the search index backlog: %w", err)
	}
	return nil
}

// backlogIn reads the backlog counters of the blinded account acct.
func (s *Store) backlogIn(tx *bolt.Tx, acct []byte) (dirty, clean uint64, found bool, err error) {
	pt, err := s.getValue(tx, [][]byte{bktSearch, acct}, keyBacklog)
	if errors.Is(err, ErrNotFound) {
		return 0, 0, false, nil
	}
	if err != nil {
		return 0, 0, false, searchDamaged(err)
	}
	if len(pt) != 16 {
		return 0, 0, false, searchDamaged(fmt.Errorf("%w: search backlog record of %d bytes", ErrCorrupt, len(pt)))
	}
	return binary.BigEndian.Uint64(pt), binary.BigEndian.Uint64(pt[8:]), true, nil
}

// putBacklog writes the backlog counters of the blinded account acct.
func (s *Store) putBacklog(tx *bolt.Tx, acct []byte, dirty, clean uint64) error {
	pt := binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(make([]byte, 0, 16), dirty), clean)
	return s.putValue(tx, [][]byte{bktSearch, acct}, keyBacklog, pt)
}

// markUnindexed records in tx that the blinded account acct may now hold
// messages without a search record.
func (s *Store) markUnindexed(tx *bolt.Tx, acct []byte) error {
	dirty, clean, _, err := s.backlogIn(tx, acct)
	if err != nil {
		return err
	}
	return s.putBacklog(tx, acct, dirty+1, clean)
}

// markNoBacklog records in tx that the blinded account acct, which holds no
// messages yet, has nothing to index, unless a backlog record exists.
func (s *Store) markNoBacklog(tx *bolt.Tx, acct []byte) error {
	if _, _, found, err := s.backlogIn(tx, acct); err != nil || found {
		return err
	}
	if b, err := bucketAt(tx, false, [][]byte{bktMessages, acct}); err != nil || b != nil {
		return err
	}
	return s.putBacklog(tx, acct, 0, 0)
}

// appendSearchRecord encodes d: version(1) || flags(1) || date (Unix
// seconds, int64 big-endian) || uvarint(len(folder)) || folder || text.
func appendSearchRecord(dst []byte, folder string, d SearchDoc) []byte {
	var flags byte
	if d.HasBody {
		flags |= searchHasBody
	}
	if d.Unreadable {
		flags |= searchUnreadable
	}
	var unix int64
	if !d.Date.IsZero() {
		unix = d.Date.Unix()
	}
	dst = append(dst, searchRecordVersion, flags)
	dst = binary.BigEndian.AppendUint64(dst, uint64(unix))
	dst = binary.AppendUvarint(dst, uint64(len(folder)))
	dst = append(dst, folder...)
	return append(dst, capText(d.Text, MaxSearchText)...)
}

// capText returns the longest prefix of s of at most n bytes that does not
// split a UTF-8 sequence.
func capText(s []byte, n int) []byte {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// parseSearchRecord decodes pt into rec; rec.Text aliases pt. lastFolder is
// reused as rec.Folder when the name is the same, to spare an allocation
// per record.
func parseSearchRecord(pt []byte, uid uint32, lastFolder string, rec *SearchRecord) error {
	if len(pt) < 10 || pt[0] != searchRecordVersion {
		return fmt.Errorf("%w: %w", ErrCorrupt, errBadSearchRecord)
	}
	flags := pt[1]
	unix := int64(binary.BigEndian.Uint64(pt[2:10]))
	n, w := binary.Uvarint(pt[10:])
	if w <= 0 || n > uint64(len(pt)-10-w) {
		return fmt.Errorf("%w: %w", ErrCorrupt, errBadSearchRecord)
	}
	name := pt[10+w : 10+w+int(n)]
	rec.Folder = lastFolder
	if string(name) != lastFolder {
		rec.Folder = string(name)
	}
	rec.UID = uid
	rec.Date = time.Time{}
	if unix != 0 {
		rec.Date = time.Unix(unix, 0).UTC()
	}
	rec.HasBody = flags&searchHasBody != 0
	rec.Unreadable = flags&searchUnreadable != 0
	rec.Text = pt[10+w+int(n):]
	return nil
}

// Indexed returns the UIDs of the folder that have a search record, in
// ascending order. It reads only record keys (nothing is decrypted).
func (r SearchIndex) Indexed(account, folder string) ([]uint32, error) {
	out, err := r.s.uidsAt(r.folderPath(account, folder), "search record")
	if errors.Is(err, ErrCorrupt) {
		err = searchDamaged(err)
	}
	if err != nil {
		return nil, fmt.Errorf("list indexed messages: %w", err)
	}
	return out, nil
}

// Scan opens the records of folder (every folder of the account when folder
// is "") and calls fn for each until it returns false. Each folder is read
// in its own transaction. rec and rec.Text are reused and wiped after fn
// returns: copy what must outlive the call. A record that fails
// authentication or does not parse stops the scan with ErrSearchDamaged
// (wrapping ErrTampered or ErrCorrupt).
func (r SearchIndex) Scan(account, folder string, fn func(rec *SearchRecord) bool) error {
	var folds [][]byte
	err := r.s.view(func(tx *bolt.Tx) error {
		acct, fold := r.s.folderKeys(account, folder)
		if folder != "" {
			folds = [][]byte{fold}
			return nil
		}
		b, err := bucketAt(tx, false, [][]byte{bktSearch, acct})
		if err != nil || b == nil {
			return err
		}
		return b.ForEachBucket(func(k []byte) error {
			folds = append(folds, bytes.Clone(k))
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("scan search index: %w", err)
	}
	var rec SearchRecord
	var pt []byte
	defer func() { clear(pt) }()
	for _, fold := range folds {
		more := true
		err := r.s.view(func(tx *bolt.Tx) error {
			path := [][]byte{bktSearch, r.s.keys.blind(labelAccount, normEmail(account)), fold}
			b, err := bucketAt(tx, false, path)
			if err != nil || b == nil {
				return err
			}
			ad := make([]byte, 0, 128)
			c := b.Cursor()
			for k, v := c.First(); k != nil && more; k, v = c.Next() {
				if len(k) != 4 {
					return searchDamaged(fmt.Errorf("%w: search record key of %d bytes", ErrCorrupt, len(k)))
				}
				ad = appendAD(ad[:0], path, k)
				pt, err = r.s.keys.openTo(pt[:0], v, ad)
				if err != nil {
					return searchDamaged(err)
				}
				if err := parseSearchRecord(pt, binary.BigEndian.Uint32(k), rec.Folder, &rec); err != nil {
					return searchDamaged(err)
				}
				more = fn(&rec)
				clear(pt)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("scan search index: %w", err)
		}
		if !more {
			break
		}
	}
	return nil
}

// DropFolder removes every record of the folder.
func (r SearchIndex) DropFolder(account, folder string) error {
	err := r.s.update(func(tx *bolt.Tx) error {
		acct, fold := r.s.folderKeys(account, folder)
		return deleteBucketAt(tx, [][]byte{bktSearch, acct, fold})
	})
	if err != nil {
		return fmt.Errorf("drop folder search records: %w", err)
	}
	return nil
}

// RetryUnreadable drops every record of account marked Unreadable, so the
// next indexing run tries those messages again, and remembers tag, in one
// transaction, unless tag equals the one remembered: then it does nothing.
// Callers pass a tag of the own keys (which decrypt mail), so the
// undecryptable messages are tried again exactly when the keys change. It
// returns how many records were dropped.
func (r SearchIndex) RetryUnreadable(account string, tag []byte) (int, error) {
	// The usual case, an unchanged tag, needs no write transaction (and no fsync).
	same := false
	err := r.s.view(func(tx *bolt.Tx) (err error) {
		same, err = r.sameKeySet(tx, account, tag)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("read the search index key-set tag: %w", err)
	}
	if same {
		return 0, nil
	}
	dropped := 0
	err = r.s.update(func(tx *bolt.Tx) error {
		if same, err := r.sameKeySet(tx, account, tag); err != nil || same {
			return err
		}
		acctPath := [][]byte{bktSearch, r.s.keys.blind(labelAccount, normEmail(account))}
		ab, err := bucketAt(tx, true, acctPath)
		if err != nil {
			return err
		}
		var folds [][]byte
		err = ab.ForEachBucket(func(k []byte) error {
			folds = append(folds, bytes.Clone(k))
			return nil
		})
		if err != nil {
			return err
		}
		var pt, ad []byte
		var rec SearchRecord
		for _, fold := range folds {
			path := append(acctPath[:2:2], fold)
			b := ab.Bucket(fold)
			var gone [][]byte
			c := b.Cursor()
			for k, v := c.First(); k != nil; k, v = c.Next() {
				ad = appendAD(ad[:0], path, k)
				if pt, err = r.s.keys.openTo(pt[:0], v, ad); err != nil {
					return searchDamaged(err)
				}
				if err := parseSearchRecord(pt, 0, rec.Folder, &rec); err != nil {
					return searchDamaged(err)
				}
				if rec.Unreadable {
					gone = append(gone, bytes.Clone(k))
				}
			}
			clear(pt)
			for _, k := range gone {
				if err := b.Delete(k); err != nil {
					return fmt.Errorf("delete search record: %w", err)
				}
			}
			dropped += len(gone)
		}
		if dropped > 0 {
			if err := r.s.markUnindexed(tx, acctPath[1]); err != nil {
				return err
			}
		}
		return r.s.putIn(ab, acctPath, keyKeySet, tag)
	})
	if err != nil {
		return 0, fmt.Errorf("retry undecryptable messages: %w", err)
	}
	return dropped, nil
}

// sameKeySet reports whether tag is the key-set tag remembered for account.
func (r SearchIndex) sameKeySet(tx *bolt.Tx, account string, tag []byte) (bool, error) {
	acctPath := [][]byte{bktSearch, r.s.keys.blind(labelAccount, normEmail(account))}
	old, err := r.s.getValue(tx, acctPath, keyKeySet)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, searchDamaged(err)
	}
	defer clear(old)
	return bytes.Equal(old, tag), nil
}

// deleteSearchIn removes the search records of uids of the folder inside tx.
func deleteSearchIn(tx *bolt.Tx, acct, fold []byte, uids []uint32) error {
	b, err := bucketAt(tx, false, [][]byte{bktSearch, acct, fold})
	if err != nil || b == nil {
		return err
	}
	for _, uid := range uids {
		if err := b.Delete(uidKey(uid)); err != nil {
			return fmt.Errorf("delete search record: %w", err)
		}
	}
	return nil
}
