package localstore

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Summary is the list-view data of one message.
type Summary struct {
	UID            uint32
	MessageID      string
	From, To, Cc   string
	Subject        string
	Date           time.Time
	InternalDate   time.Time
	Flags          []string
	Size           uint32
	HasAttachments bool
	Encrypted      bool
	Signed         bool
	Preview        string
	// InReplyTo and References are the Message-IDs (without angle
	// brackets) the message answers, for threading; References oldest
	// first, as the header lists them.
	InReplyTo  string   `json:",omitempty"`
	References []string `json:",omitempty"`
	// RawOmitted means the full message was deliberately not stored
	// (headers-only sync, or larger than the account's size cap): fetch it
	// from the server when the user opens it.
	RawOmitted bool
	// Transport is how the message travelled (its Received hops, DKIM
	// checks, the provider's authentication results, our own fetch's TLS),
	// as the engine recorded it when the message was stored, in the
	// engine's JSON encoding (mail/travel): sealed with the rest of the
	// summary, not read by the store. Empty when nothing was recorded.
	Transport json.RawMessage `json:",omitempty"`
}

// RawMessage is one message's full RFC 5322 bytes for PutRawBatch.
type RawMessage struct {
	UID uint32
	Raw []byte
}

// rawChunkSize bounds the plaintext in one bbolt value of a raw message.
// Larger messages are split into chunks keyed uid || chunk index, so no single
// value needs a huge contiguous run of overflow pages.
const rawChunkSize = 256 << 10

// Messages is the repository of message summaries and raw messages, stored
// per account and folder under messages/<blind account>/<blind folder>/
// {summaries,raw}, keyed by big-endian UID.
type Messages struct{ s *Store }

// Messages returns the message repository.
func (s *Store) Messages() Messages { return Messages{s} }

var errZeroUID = errors.New("message UID 0 is not valid")

func uidKey(uid uint32) []byte { return binary.BigEndian.AppendUint32(make([]byte, 0, 4), uid) }

func (r Messages) path(account, folder string, sub []byte) [][]byte {
	acct, fold := r.s.folderKeys(account, folder)
	return [][]byte{bktMessages, acct, fold, sub}
}

// PutSummaries stores the batch (replacing summaries with the same UIDs) in
// one transaction: after a crash either all of the batch or none of it is
// present. Use sync-sized batches (hundreds to thousands).
func (r Messages) PutSummaries(account, folder string, batch []Summary) error {
	err := r.s.update(func(tx *bolt.Tx) error {
		if err := r.putSummariesIn(tx, account, folder, batch); err != nil {
			return err
		}
		return r.s.markUnindexed(tx, r.s.keys.blind(labelAccount, normEmail(account)))
	})
	if err != nil {
		return fmt.Errorf("store summaries: %w", err)
	}
	return nil
}

// putSummariesIn seals and writes batch inside tx.
func (r Messages) putSummariesIn(tx *bolt.Tx, account, folder string, batch []Summary) error {
	path := r.path(account, folder, subSummaries)
	b, err := bucketAt(tx, true, path)
	if err != nil {
		return err
	}
	b.FillPercent = seqFillPercent
	var buf bytes.Buffer
	enc := newEncoder(&buf)
	ad := make([]byte, 0, 160)
	for i := range batch {
		if batch[i].UID == 0 {
			return errZeroUID
		}
		buf.Reset()
		if err := enc.Encode(&batch[i]); err != nil {
			return fmt.Errorf("encode summary: %w", err)
		}
		key := uidKey(batch[i].UID)
		ad = appendAD(ad[:0], path, key)
		pt := buf.Bytes()
		sealed := r.s.keys.sealTo(make([]byte, 0, len(pt)+sealOverhead), pt, ad)
		clear(pt)
		if err := b.Put(key, sealed); err != nil {
			return fmt.Errorf("write summary: %w", err)
		}
	}
	return nil
}

// ProtectedHeaders are the real Subject and From of one encrypted message
// whose outer header carries placeholders (header protection).
type ProtectedHeaders struct {
	UID           uint32
	Subject, From string
	// Of, when set, is the identity of the message the headers came from:
	// a summary that no longer matches it (the folder was refilled and
	// the UID now names another message) is left alone.
	Of MessageIdentity
}

// MessageIdentity tells a message from another that later got the same
// UID (the folder's UIDVALIDITY changed and it was fetched again): the
// Message-ID, size and arrival time its summary holds.
type MessageIdentity struct {
	MessageID    string
	Size         uint32
	InternalDate time.Time
}

// Identity returns the identity of the summary's message.
func (m Summary) Identity() MessageIdentity {
	return MessageIdentity{MessageID: m.MessageID, Size: m.Size, InternalDate: m.InternalDate}
}

// matches reports whether the summary m belongs to the message with
// identity id; the zero identity matches every summary.
func (id MessageIdentity) matches(m Summary) bool {
	return id == (MessageIdentity{}) ||
		(id.MessageID == m.MessageID && id.Size == m.Size && id.InternalDate.Equal(m.InternalDate))
}

// ShowProtectedHeaders puts the Subject and From of each entry into the
// message's summary and marks it encrypted, in one transaction, leaving the
// rest of the summary (flags, for one) as it is. Only summaries that change
// are written; UIDs without a summary are skipped (expunged or moved away
// meanwhile), so no removed message comes back.
func (r Messages) ShowProtectedHeaders(account, folder string, headers []ProtectedHeaders) error {
	if len(headers) == 0 {
		return nil
	}
	byUID := make(map[uint32]ProtectedHeaders, len(headers))
	uids := make([]uint32, 0, len(headers))
	for _, h := range headers {
		if _, dup := byUID[h.UID]; !dup {
			uids = append(uids, h.UID)
		}
		byUID[h.UID] = h
	}
	err := r.s.update(func(tx *bolt.Tx) error {
		return r.editSummariesIn(tx, account, folder, uids, func(m *Summary) bool {
			h, ok := byUID[m.UID]
			if !ok || !h.Of.matches(*m) || (m.Subject == h.Subject && m.From == h.From && m.Encrypted) {
				return false
			}
			m.Subject, m.From, m.Encrypted = h.Subject, h.From, true
			return true
		})
	})
	if err != nil {
		return fmt.Errorf("show protected headers: %w", err)
	}
	return nil
}

// TransportUpdate replaces the record of how one message travelled (see
// Summary.Transport) with New, if the record is still Old: a record
// written meanwhile by someone else is kept.
type TransportUpdate struct {
	UID      uint32
	Old, New json.RawMessage
}

// UpdateTransports applies ups to the summaries of folder in one
// transaction, leaving the rest of each summary as it is, and returns how
// many it changed. An update whose message is gone or whose record is no
// longer Old is skipped.
func (r Messages) UpdateTransports(account, folder string, ups []TransportUpdate) (int, error) {
	byUID := make(map[uint32]TransportUpdate, len(ups))
	uids := make([]uint32, 0, len(ups))
	for _, u := range ups {
		byUID[u.UID] = u
		uids = append(uids, u.UID)
	}
	changed := 0
	err := r.s.update(func(tx *bolt.Tx) error {
		changed = 0
		return r.editSummariesIn(tx, account, folder, uids, func(m *Summary) bool {
			u, ok := byUID[m.UID]
			if !ok || !bytes.Equal(m.Transport, u.Old) {
				return false
			}
			m.Transport = u.New
			changed++
			return true
		})
	})
	if err != nil {
		return 0, fmt.Errorf("record how messages travelled: %w", err)
	}
	return changed, nil
}

// Summary returns the summary of uid, or ErrNotFound.
func (r Messages) Summary(account, folder string, uid uint32) (Summary, error) {
	var m Summary
	err := r.s.view(func(tx *bolt.Tx) error {
		path := r.path(account, folder, subSummaries)
		return r.s.getJSON(tx, path, uidKey(uid), &m)
	})
	if err != nil {
		return Summary{}, fmt.Errorf("read summary: %w", err)
	}
	return m, nil
}

// Newest returns up to n summaries with the highest UIDs, newest first.
func (r Messages) Newest(account, folder string, n int) ([]Summary, error) {
	var out []Summary
	err := r.s.view(func(tx *bolt.Tx) error {
		path := r.path(account, folder, subSummaries)
		b, err := bucketAt(tx, false, path)
		if err != nil || b == nil || n <= 0 {
			return err
		}
		out = make([]Summary, 0, min(n, 1024))
		ad := make([]byte, 0, 160)
		var pt []byte
		c := b.Cursor()
		for k, v := c.Last(); k != nil && len(out) < n; k, v = c.Prev() {
			ad = appendAD(ad[:0], path, k)
			pt, err = r.s.keys.openTo(pt[:0], v, ad)
			if err != nil {
				return err
			}
			out = append(out, Summary{})
			if err := json.Unmarshal(pt, &out[len(out)-1]); err != nil {
				return fmt.Errorf("%w: decode summary: %w", ErrCorrupt, err)
			}
		}
		clear(pt)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list newest summaries: %w", err)
	}
	return out, nil
}

// CountSummaries returns how many summaries the folder holds.
func (r Messages) CountSummaries(account, folder string) (int, error) {
	n := 0
	err := r.s.view(func(tx *bolt.Tx) error {
		path := r.path(account, folder, subSummaries)
		b, err := bucketAt(tx, false, path)
		if err != nil || b == nil {
			return err
		}
		n = b.Stats().KeyN
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("count summaries: %w", err)
	}
	return n, nil
}

// DeleteSummaries removes the summaries, raw messages and search records of
// uids (expunged messages) in one transaction. Absent UIDs are ignored.
func (r Messages) DeleteSummaries(account, folder string, uids ...uint32) error {
	err := r.s.update(func(tx *bolt.Tx) error {
		return r.deleteMessagesIn(tx, account, folder, uids)
	})
	if err != nil {
		return fmt.Errorf("delete summaries: %w", err)
	}
	return nil
}

// DropFolderMessages removes every summary, raw message and search record of
// the folder (for a UIDVALIDITY change); the folder record itself stays.
func (r Messages) DropFolderMessages(account, folder string) error {
	err := r.s.update(func(tx *bolt.Tx) error {
		acct, fold := r.s.folderKeys(account, folder)
		if err := deleteBucketAt(tx, [][]byte{bktSearch, acct, fold}); err != nil {
			return err
		}
		return deleteBucketAt(tx, [][]byte{bktMessages, acct, fold})
	})
	if err != nil {
		return fmt.Errorf("drop folder messages: %w", err)
	}
	return nil
}

// PutRaw stores the full message bytes of uid, replacing earlier bytes.
func (r Messages) PutRaw(account, folder string, uid uint32, raw []byte) error {
	return r.PutRawBatch(account, folder, []RawMessage{{UID: uid, Raw: raw}})
}

// PutRawBatch stores several raw messages in one transaction; their search
// records are dropped, to be made again with the body by the next indexing
// run.
func (r Messages) PutRawBatch(account, folder string, batch []RawMessage) error {
	err := r.s.update(func(tx *bolt.Tx) error {
		if err := r.putRawsIn(tx, account, folder, batch); err != nil {
			return err
		}
		return r.s.markUnindexed(tx, r.s.keys.blind(labelAccount, normEmail(account)))
	})
	if err != nil {
		return fmt.Errorf("store raw messages: %w", err)
	}
	return nil
}

// putRawsIn seals and writes batch inside tx, replacing earlier bytes, and
// drops the messages' search records so they are indexed again with the body.
func (r Messages) putRawsIn(tx *bolt.Tx, account, folder string, batch []RawMessage) error {
	path := r.path(account, folder, subRaw)
	b, err := bucketAt(tx, true, path)
	if err != nil {
		return err
	}
	search, err := bucketAt(tx, false, [][]byte{bktSearch, path[1], path[2]})
	if err != nil {
		return err
	}
	var pt []byte // one plaintext buffer for the batch's chunks
	defer func() { clear(pt[:cap(pt)]) }()
	for _, m := range batch {
		if m.UID == 0 {
			return errZeroUID
		}
		if err := deleteRawChunks(b, m.UID); err != nil {
			return err
		}
		if search != nil {
			if err := search.Delete(uidKey(m.UID)); err != nil {
				return fmt.Errorf("delete search record: %w", err)
			}
		}
		if pt, err = r.putRawChunks(b, path, m, pt); err != nil {
			return err
		}
	}
	return nil
}

// rawChunkKey is uid (4 bytes) || chunk index (4 bytes), big-endian.
func rawChunkKey(uid, idx uint32) []byte {
	k := binary.BigEndian.AppendUint32(make([]byte, 0, 8), uid)
	return binary.BigEndian.AppendUint32(k, idx)
}

// putRawChunks writes m as chunks whose plaintext is chunk count (u32) ||
// data, building each in pt (grown as needed; returned for reuse, not
// wiped: the caller wipes it).
func (r Messages) putRawChunks(b *bolt.Bucket, path [][]byte, m RawMessage, pt []byte) ([]byte, error) {
	n := max(1, (len(m.Raw)+rawChunkSize-1)/rawChunkSize)
	for i := range n {
		data := m.Raw[i*rawChunkSize : min(len(m.Raw), (i+1)*rawChunkSize)]
		pt = binary.BigEndian.AppendUint32(pt[:0], uint32(n))
		pt = append(pt, data...)
		if err := r.s.putIn(b, path, rawChunkKey(m.UID, uint32(i)), pt); err != nil {
			return pt, err
		}
	}
	return pt, nil
}

// deleteRawChunks removes every chunk of uid.
func deleteRawChunks(b *bolt.Bucket, uid uint32) error {
	prefix := uidKey(uid)
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Seek(prefix) {
		if err := c.Delete(); err != nil {
			return fmt.Errorf("delete raw message: %w", err)
		}
	}
	return nil
}

// Raw returns the full message bytes of uid, or ErrNotFound. A missing or
// foreign chunk is ErrTampered.
func (r Messages) Raw(account, folder string, uid uint32) ([]byte, error) {
	var out []byte
	err := r.s.view(func(tx *bolt.Tx) error {
		path := r.path(account, folder, subRaw)
		b, err := bucketAt(tx, false, path)
		if err != nil {
			return err
		}
		if b == nil {
			return ErrNotFound
		}
		first, err := r.s.getIn(b, path, rawChunkKey(uid, 0))
		if err != nil {
			return err
		}
		if len(first) < 4 {
			return ErrTampered
		}
		n := binary.BigEndian.Uint32(first)
		out = append(make([]byte, 0, len(first)-4+int(n-1)*rawChunkSize), first[4:]...)
		clear(first)
		for i := uint32(1); i < n; i++ {
			chunk, err := r.s.getIn(b, path, rawChunkKey(uid, i))
			if errors.Is(err, ErrNotFound) {
				return fmt.Errorf("%w: raw message chunk %d of %d missing", ErrTampered, i, n)
			}
			if err != nil {
				return err
			}
			if len(chunk) < 4 || binary.BigEndian.Uint32(chunk) != n {
				return fmt.Errorf("%w: raw message chunk %d does not belong", ErrTampered, i)
			}
			out = append(out, chunk[4:]...)
			clear(chunk)
		}
		if b.Get(rawChunkKey(uid, n)) != nil {
			return fmt.Errorf("%w: raw message has extra chunks", ErrTampered)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read raw message: %w", err)
	}
	return out, nil
}
