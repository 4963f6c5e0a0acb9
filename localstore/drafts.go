package localstore

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Draft is a message being written, saved sealed on this computer. Each
// draft lives in its own bucket drafts/<blind account>/<ID>: the sealed
// record under "record" and the attachments' bytes, concatenated, in sealed
// chunks of at most 256 KiB keyed by big-endian chunk index (like raw
// messages), so that a large attachment needs no huge single value and a
// chunk cannot be moved to another draft.
type Draft struct {
	// ID is 32 random hex digits assigned by the first Put; never derived
	// from the content.
	ID      string
	Account string
	To      []string
	Cc      []string
	Bcc     []string
	Subject string
	Body    string
	// Attachments carry Data on Get; List and Records leave Data nil.
	Attachments []DraftAttachment
	InReplyTo   string
	References  []string
	// Mode is the security mode chosen in the composer (never a password).
	Mode string
	// Saved is when the content was last saved.
	Saved time.Time
	// Revision counts the saves of the content; Put increments it.
	Revision uint64
	// UploadPending means the latest revision is not in the Drafts folder yet.
	UploadPending bool
	// Deleted marks a tombstone: the user deleted the draft, its content is
	// gone, and only Copies that are still on the server remain to be
	// removed.
	Deleted bool
	// Copies are this draft's messages on the server; all but the current
	// one (see Current) are stale and are to be removed.
	Copies []ServerCopy
}

// DraftAttachment is a file attached to a draft.
type DraftAttachment struct {
	Name, ContentType string
	Size              int
	Data              []byte `json:"-"`
}

// ServerCopy is one message in an account's Drafts folder that holds a
// revision of a draft.
type ServerCopy struct {
	Folder      string
	UIDValidity uint32
	UID         uint32 // 0 when the server did not say (no UIDPLUS)
	MessageID   string // without angle brackets
	Revision    uint64
}

// Current returns the index in Copies of the copy that holds the latest
// revision, or -1 when there is none (never uploaded, pending, or deleted).
func (d Draft) Current() int {
	if d.Deleted || d.UploadPending {
		return -1
	}
	for i := len(d.Copies) - 1; i >= 0; i-- {
		if d.Copies[i].Revision == d.Revision {
			return i
		}
	}
	return -1
}

// Stale returns the copies to remove from the server: all but Current.
func (d Draft) Stale() []ServerCopy {
	cur := d.Current()
	var out []ServerCopy
	for i, c := range d.Copies {
		if i != cur {
			out = append(out, c)
		}
	}
	return out
}

// Drafts is the repository of saved drafts.
type Drafts struct{ s *Store }

// Drafts returns the drafts repository.
func (s *Store) Drafts() Drafts { return Drafts{s} }

var (
	keyDraftRecord = []byte("record")

	errNoDraftAccount = errors.New("draft has no account")
	errBadDraftID     = errors.New("draft id must be 32 hex digits")
)

func validDraftID(id string) bool {
	b, err := hex.DecodeString(id)
	return err == nil && len(b) == 16
}

func (r Drafts) path(account, id string) [][]byte {
	return [][]byte{bktDrafts, r.s.keys.blind(labelAccount, normEmail(account)), []byte(id)}
}

// Put saves d's content (To, Cc, Bcc, Subject, Body, Attachments with Data,
// InReplyTo, References, Mode, Saved) as a new revision marked
// UploadPending, assigning an ID when d.ID is empty. The server state of an
// existing draft (Copies) is kept; a tombstone with d.ID is brought back.
// It returns the stored record without attachment data.
func (r Drafts) Put(d Draft) (Draft, error) {
	if normEmail(d.Account) == "" {
		return Draft{}, errNoDraftAccount
	}
	if d.ID == "" {
		id := make([]byte, 16)
		rand.Read(id)
		d.ID = hex.EncodeToString(id)
	} else if !validDraftID(d.ID) {
		return Draft{}, errBadDraftID
	}
	if d.Saved.IsZero() {
		d.Saved = time.Now().UTC()
	}
	var blob []byte
	d.Attachments = append([]DraftAttachment(nil), d.Attachments...)
	for i, a := range d.Attachments {
		d.Attachments[i].Size = len(a.Data)
		blob = append(blob, a.Data...)
	}
	defer clear(blob)
	err := r.s.update(func(tx *bolt.Tx) error {
		path := r.path(d.Account, d.ID)
		var old Draft
		err := r.s.getJSON(tx, path, keyDraftRecord, &old)
		switch {
		case err == nil:
			d.Copies, d.Revision = old.Copies, old.Revision
		case !errors.Is(err, ErrNotFound):
			return err
		}
		d.Revision++
		d.UploadPending, d.Deleted = true, false
		if err := deleteBucketAt(tx, path); err != nil {
			return err
		}
		b, err := bucketAt(tx, true, path)
		if err != nil {
			return err
		}
		if err := r.s.putChunks(b, path, blob); err != nil {
			return err
		}
		return r.putRecord(tx, path, d)
	})
	if err != nil {
		return Draft{}, fmt.Errorf("save draft: %w", err)
	}
	return withoutData(d), nil
}

// putRecord seals d (without attachment data) as path's record.
func (r Drafts) putRecord(tx *bolt.Tx, path [][]byte, d Draft) error {
	return r.s.putJSON(tx, path, keyDraftRecord, &d)
}

func withoutData(d Draft) Draft {
	atts := make([]DraftAttachment, len(d.Attachments))
	for i, a := range d.Attachments {
		atts[i] = DraftAttachment{Name: a.Name, ContentType: a.ContentType, Size: a.Size}
	}
	if len(atts) == 0 {
		atts = nil
	}
	d.Attachments = atts
	return d
}

// Get returns the draft with its attachments' data: ErrNotFound when there
// is none or it was deleted, ErrTampered when a record or chunk fails
// authentication, is missing or does not belong.
func (r Drafts) Get(account, id string) (Draft, error) {
	var d Draft
	err := r.s.view(func(tx *bolt.Tx) error {
		path := r.path(account, id)
		b, err := bucketAt(tx, false, path)
		if err != nil {
			return err
		}
		if b == nil {
			return ErrNotFound
		}
		if err := r.s.getJSON(tx, path, keyDraftRecord, &d); err != nil {
			return err
		}
		if d.Deleted {
			return ErrNotFound
		}
		if d.ID != id || normEmail(d.Account) != normEmail(account) {
			return fmt.Errorf("%w: draft record does not belong to its place", ErrTampered)
		}
		blob, err := r.s.getChunks(b, path)
		if err != nil {
			return err
		}
		total := 0
		for _, a := range d.Attachments {
			total += a.Size
		}
		if total != len(blob) {
			return fmt.Errorf("%w: draft attachments have %d bytes, want %d", ErrTampered, len(blob), total)
		}
		for i, a := range d.Attachments {
			d.Attachments[i].Data, blob = blob[:a.Size:a.Size], blob[a.Size:]
		}
		return nil
	})
	if err != nil {
		return Draft{}, fmt.Errorf("read draft: %w", err)
	}
	return d, nil
}

// List returns the drafts of account (every account when account is
// empty), newest first, without attachment data and without tombstones.
func (r Drafts) List(account string) ([]Draft, error) {
	all, err := r.Records(account)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, d := range all {
		if !d.Deleted {
			out = append(out, d)
		}
	}
	return out, nil
}

// Records returns every draft record of account (every account when
// empty), tombstones included, newest first, without attachment data: what
// an upload run works through.
func (r Drafts) Records(account string) ([]Draft, error) {
	var out []Draft
	err := r.s.view(func(tx *bolt.Tx) error {
		if account != "" {
			acct := r.s.keys.blind(labelAccount, normEmail(account))
			b := tx.Bucket(bktDrafts).Bucket(acct)
			if b == nil {
				return nil
			}
			return r.collect(b, [][]byte{bktDrafts, acct}, &out)
		}
		return tx.Bucket(bktDrafts).ForEachBucket(func(acct []byte) error {
			return r.collect(tx.Bucket(bktDrafts).Bucket(acct), [][]byte{bktDrafts, acct}, &out)
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list drafts: %w", err)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Saved.Equal(out[j].Saved) {
			return out[i].Saved.After(out[j].Saved)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// collect appends the record of each draft bucket in acctBucket.
func (r Drafts) collect(acctBucket *bolt.Bucket, acctPath [][]byte, out *[]Draft) error {
	return acctBucket.ForEachBucket(func(id []byte) error {
		path := append(append([][]byte(nil), acctPath...), id)
		sealed := acctBucket.Bucket(id).Get(keyDraftRecord)
		if sealed == nil {
			return fmt.Errorf("%w: draft without a record", ErrTampered)
		}
		var d Draft
		if err := r.s.openJSON(path, keyDraftRecord, sealed, &d); err != nil {
			return err
		}
		if d.ID != string(id) {
			return fmt.Errorf("%w: draft record does not belong to its place", ErrTampered)
		}
		*out = append(*out, d)
		return nil
	})
}

// Uploaded records that c, a copy of revision c.Revision, is now on the
// server. When that is still the latest revision, the draft is no longer
// UploadPending and every other copy becomes stale; when the draft was
// saved again or deleted meanwhile, c is stale itself. A draft whose record
// is gone gets a tombstone, so that c is removed later. It returns the
// updated record.
func (r Drafts) Uploaded(account, id string, c ServerCopy) (Draft, error) {
	var d Draft
	err := r.s.update(func(tx *bolt.Tx) error {
		path := r.path(account, id)
		err := r.s.getJSON(tx, path, keyDraftRecord, &d)
		if errors.Is(err, ErrNotFound) {
			d = Draft{ID: id, Account: account, Deleted: true, Saved: time.Now().UTC()}
		} else if err != nil {
			return err
		}
		d.Copies = append(d.Copies, c)
		if !d.Deleted && d.Revision == c.Revision {
			d.UploadPending = false
		}
		return r.putRecord(tx, path, d)
	})
	if err != nil {
		return Draft{}, fmt.Errorf("record the uploaded draft: %w", err)
	}
	return d, nil
}

// Removed forgets copies that were removed from the server (matched by
// folder, UIDVALIDITY, UID and Message-ID). A tombstone without copies
// left is deleted. A draft that is gone already is not an error.
func (r Drafts) Removed(account, id string, gone []ServerCopy) error {
	err := r.s.update(func(tx *bolt.Tx) error {
		path := r.path(account, id)
		var d Draft
		err := r.s.getJSON(tx, path, keyDraftRecord, &d)
		if errors.Is(err, ErrNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		keep := d.Copies[:0]
		for _, c := range d.Copies {
			found := false
			for _, g := range gone {
				found = found || (g.Folder == c.Folder && g.UIDValidity == c.UIDValidity && g.UID == c.UID && g.MessageID == c.MessageID)
			}
			if !found {
				keep = append(keep, c)
			}
		}
		d.Copies = keep
		if d.Deleted && len(d.Copies) == 0 {
			return deleteBucketAt(tx, path)
		}
		return r.putRecord(tx, path, d)
	})
	if err != nil {
		return fmt.Errorf("record the removed draft copies: %w", err)
	}
	return nil
}

// Delete removes the draft's content at once. When copies of it are on the
// server, a tombstone listing them stays until Removed forgets the last
// one. It returns ErrNotFound when there is no such draft.
func (r Drafts) Delete(account, id string) error {
	err := r.s.update(func(tx *bolt.Tx) error {
		path := r.path(account, id)
		var d Draft
		if err := r.s.getJSON(tx, path, keyDraftRecord, &d); err != nil {
			return err
		}
		if d.Deleted {
			return ErrNotFound
		}
		if err := deleteBucketAt(tx, path); err != nil {
			return err
		}
		if len(d.Copies) == 0 {
			return nil
		}
		tomb := Draft{ID: d.ID, Account: d.Account, Saved: d.Saved, Revision: d.Revision, Deleted: true, Copies: d.Copies}
		if _, err := bucketAt(tx, true, path); err != nil {
			return err
		}
		return r.putRecord(tx, path, tomb)
	})
	if err != nil {
		return fmt.Errorf("delete draft: %w", err)
	}
	return nil
}

// draftChunkSize bounds the plaintext in one sealed attachment chunk.
const draftChunkSize = rawChunkSize

func chunkKey(i uint32) []byte { return binary.BigEndian.AppendUint32(nil, i) }

// putChunks seals data into b as chunks whose plaintext is chunk count
// (u32) || bytes. Empty data writes no chunk.
func (s *Store) putChunks(b *bolt.Bucket, path [][]byte, data []byte) error {
	n := (len(data) + draftChunkSize - 1) / draftChunkSize
	pt := make([]byte, 0, 4+min(len(data), draftChunkSize))
	defer clear(pt)
	for i := range n {
		pt = binary.BigEndian.AppendUint32(pt[:0], uint32(n))
		pt = append(pt, data[i*draftChunkSize:min(len(data), (i+1)*draftChunkSize)]...)
		if err := s.putIn(b, path, chunkKey(uint32(i)), pt); err != nil {
			return err
		}
	}
	return nil
}

// getChunks reads what putChunks wrote; a missing, extra or foreign chunk
// is ErrTampered.
func (s *Store) getChunks(b *bolt.Bucket, path [][]byte) ([]byte, error) {
	var out []byte
	n := uint32(0)
	for i := uint32(0); ; i++ {
		if i > 0 && i == n {
			break
		}
		pt, err := s.getIn(b, path, chunkKey(i))
		if errors.Is(err, ErrNotFound) {
			if i == 0 {
				return nil, checkNoChunks(b)
			}
			return nil, fmt.Errorf("%w: draft attachment chunk %d of %d missing", ErrTampered, i, n)
		}
		if err != nil {
			return nil, err
		}
		if len(pt) < 4 || (i > 0 && binary.BigEndian.Uint32(pt) != n) {
			return nil, fmt.Errorf("%w: draft attachment chunk %d does not belong", ErrTampered, i)
		}
		if i == 0 {
			n = binary.BigEndian.Uint32(pt)
		}
		out = append(out, pt[4:]...)
		clear(pt)
	}
	if b.Get(chunkKey(n)) != nil {
		return nil, fmt.Errorf("%w: draft attachment has extra chunks", ErrTampered)
	}
	return out, nil
}

// checkNoChunks fails with ErrTampered when b holds chunks but not chunk 0.
func checkNoChunks(b *bolt.Bucket) error {
	c := b.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		if !bytes.Equal(k, keyDraftRecord) {
			return fmt.Errorf("%w: draft attachment chunk 0 missing", ErrTampered)
		}
	}
	return nil
}
