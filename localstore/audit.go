package localstore

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// AuditEntry is one record of the tamper-evident audit log.
type AuditEntry struct {
	Seq     uint64 // 1, 2, 3, ... without gaps
	Time    time.Time
	Kind    string // what happened, e.g. "sent", "key-changed", "cert-pinned"
	Subject string // whom or what it concerns, e.g. an address or fingerprint
	Detail  string
	// SendRecord is filled for a sent message only: its security mode and
	// the delivery security found for each recipient domain.
	SendRecord
	PrevHash []byte // Hash of entry Seq-1 (32 zero bytes for entry 1)
	Hash     []byte // entryHash of this entry
}

// AuditReport is the result of VerifyAudit.
type AuditReport struct {
	Entries  int      // entries found
	OK       bool     // no problems
	Problems []string // one line per problem, naming the entry by sequence number
}

// auditHead is the sealed meta/audithead record: the last entry's number and hash.
type auditHead struct {
	Seq  uint64
	Hash []byte
}

// SendRecord is what the audit entry of a sent message records beyond its
// recipients: the security mode it was composed in and, per recipient
// domain, how it was to travel from the provider.
type SendRecord struct {
	Mode     string          `json:",omitempty"`
	Delivery []AuditDelivery `json:",omitempty"`
}

// empty reports whether r records nothing.
func (r SendRecord) empty() bool { return r.Mode == "" && len(r.Delivery) == 0 }

// AuditDelivery is the delivery-security finding for one recipient
// domain (see mail/delivery), as the audit trail keeps it.
type AuditDelivery struct {
	Domain, Status, DANE, Reason string
}

// Labels of the two entry hash formats: v2 covers a SendRecord too.
const (
	auditHashLabel   = "sealpost-audit-v1"
	auditHashLabelV2 = "sealpost-audit-v2"
)

// entryHash is SHA-256 over, in order:
//
//	"sealpost-audit-v1", or "sealpost-audit-v2" when the entry has a SendRecord
//	Seq             uint64 big-endian
//	Time            UnixNano as int64 big-endian
//	Kind, Subject, Detail, PrevHash: each uint32 big-endian length || bytes
//	v2 only: Mode as a field, the number of Delivery findings as uint32
//	         big-endian, and for each Domain, Status, DANE, Reason as fields
//
// Entries without a SendRecord (all entries written before it existed)
// keep the v1 hash, so old trails still verify.
func entryHash(e *AuditEntry) []byte {
	h := sha256.New()
	var b [8]byte
	label := auditHashLabel
	if !e.SendRecord.empty() {
		label = auditHashLabelV2
	}
	h.Write([]byte(label))
	binary.BigEndian.PutUint64(b[:], e.Seq)
	h.Write(b[:])
	binary.BigEndian.PutUint64(b[:], uint64(e.Time.UnixNano()))
	h.Write(b[:])
	field := func(f []byte) {
		binary.BigEndian.PutUint32(b[:4], uint32(len(f)))
		h.Write(b[:4])
		h.Write(f)
	}
	for _, f := range [][]byte{[]byte(e.Kind), []byte(e.Subject), []byte(e.Detail), e.PrevHash} {
		field(f)
	}
	if label == auditHashLabelV2 {
		field([]byte(e.Mode))
		binary.BigEndian.PutUint32(b[:4], uint32(len(e.Delivery)))
		h.Write(b[:4])
		for _, d := range e.Delivery {
			for _, f := range []string{d.Domain, d.Status, d.DANE, d.Reason} {
				field([]byte(f))
			}
		}
	}
	return h.Sum(nil)
}

func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(make([]byte, 0, 8), seq) }

// AppendAudit appends an entry to the audit log in its own transaction.
func (s *Store) AppendAudit(kind, subject, detail string) (AuditEntry, error) {
	var e AuditEntry
	err := s.update(func(tx *bolt.Tx) error {
		var err error
		e, err = s.appendAuditTx(tx, AuditNote{Kind: kind, Subject: subject, Detail: detail})
		return err
	})
	if err != nil {
		return AuditEntry{}, fmt.Errorf("append audit entry: %w", err)
	}
	return e, nil
}

func (s *Store) appendNotes(tx *bolt.Tx, notes []AuditNote) error {
	for _, n := range notes {
		if _, err := s.appendAuditTx(tx, n); err != nil {
			return fmt.Errorf("append audit entry: %w", err)
		}
	}
	return nil
}

// appendAuditTx appends one entry and moves the head, inside tx. It refuses
// to extend a log whose head is missing or does not match the last entry.
func (s *Store) appendAuditTx(tx *bolt.Tx, n AuditNote) (AuditEntry, error) {
	path := [][]byte{bktAudit}
	b := tx.Bucket(bktAudit)
	var head auditHead
	err := s.getJSON(tx, [][]byte{bktMeta}, keyAuditHead, &head)
	switch {
	case errors.Is(err, ErrNotFound):
		if k, _ := b.Cursor().First(); k != nil {
			return AuditEntry{}, fmt.Errorf("%w: audit head missing", ErrTampered)
		}
		head = auditHead{Hash: make([]byte, sha256.Size)}
	case err != nil:
		return AuditEntry{}, err
	}
	if last, _ := b.Cursor().Last(); last != nil && !bytes.Equal(last, seqKey(head.Seq)) {
		return AuditEntry{}, fmt.Errorf("%w: audit head does not match the last entry", ErrTampered)
	}
	e := AuditEntry{
		Seq:     head.Seq + 1,
		Time:    time.Now().UTC(),
		Kind:    n.Kind,
		Subject: n.Subject,
		Detail:  n.Detail,
		SendRecord: SendRecord{
			Mode:     n.Mode,
			Delivery: n.Delivery,
		},
		PrevHash: head.Hash,
	}
	e.Hash = entryHash(&e)
	b.FillPercent = seqFillPercent
	if err := s.putJSON(tx, path, seqKey(e.Seq), &e); err != nil {
		return AuditEntry{}, err
	}
	if err := s.putJSON(tx, [][]byte{bktMeta}, keyAuditHead, &auditHead{Seq: e.Seq, Hash: e.Hash}); err != nil {
		return AuditEntry{}, err
	}
	return e, nil
}

// AuditEntries returns the whole log in order. It fails with ErrTampered if
// an entry fails authentication; use VerifyAudit for a full check.
func (s *Store) AuditEntries() ([]AuditEntry, error) {
	var out []AuditEntry
	err := s.view(func(tx *bolt.Tx) error {
		path := [][]byte{bktAudit}
		return tx.Bucket(bktAudit).ForEach(func(k, v []byte) error {
			var e AuditEntry
			if err := s.openJSON(path, k, v, &e); err != nil {
				return fmt.Errorf("audit entry %d: %w", keySeq(k), err)
			}
			out = append(out, e)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	return out, nil
}

// entryRange names entries first..last for a problem line.
func entryRange(first, last uint64) string {
	if first == last {
		return fmt.Sprintf("entry %d", first)
	}
	return fmt.Sprintf("entries %d to %d", first, last)
}

// keySeq decodes an audit key for messages; malformed keys read as 0.
func keySeq(k []byte) uint64 {
	if len(k) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(k)
}

// VerifyAudit checks the whole log: every entry authenticates, numbers run
// 1..n without gaps, each entry links to the previous one's hash, each hash
// matches its content, and the head names the last entry. A removed,
// reordered, altered, moved or truncated entry is reported by sequence number.
//
// Limit: a copy of an older head together with removal of the newer entries
// looks like an older, intact log (as does restoring an older copy of the
// whole file).
func (s *Store) VerifyAudit() (AuditReport, error) {
	var rep AuditReport
	problem := func(format string, a ...any) { rep.Problems = append(rep.Problems, fmt.Sprintf(format, a...)) }
	err := s.view(func(tx *bolt.Tx) error {
		path := [][]byte{bktAudit}
		expect := uint64(1)
		prev := make([]byte, sha256.Size) // nil once the previous hash is unknown
		var last uint64
		err := tx.Bucket(bktAudit).ForEach(func(k, v []byte) error {
			rep.Entries++
			if len(k) != 8 {
				problem("audit record with a malformed key %x", k)
				prev = nil
				return nil
			}
			seq := keySeq(k)
			if seq > expect {
				problem("%s: missing", entryRange(expect, seq-1))
			}
			expect, last = seq+1, seq
			var e AuditEntry
			if err := s.openJSON(path, k, v, &e); err != nil {
				if !errors.Is(err, ErrTampered) && !errors.Is(err, ErrCorrupt) {
					return err
				}
				problem("entry %d: fails authentication (altered, or moved from another entry)", seq)
				prev = nil
				return nil
			}
			if e.Seq != seq {
				problem("entry %d: records sequence number %d", seq, e.Seq)
			}
			if prev != nil && !bytes.Equal(e.PrevHash, prev) {
				problem("entry %d: does not link to the entry before it", seq)
			}
			if !bytes.Equal(entryHash(&e), e.Hash) {
				problem("entry %d: content does not match its hash", seq)
			}
			prev = e.Hash
			return nil
		})
		if err != nil {
			return err
		}
		var head auditHead
		err = s.getJSON(tx, [][]byte{bktMeta}, keyAuditHead, &head)
		switch {
		case errors.Is(err, ErrNotFound):
			if rep.Entries > 0 {
				problem("audit head missing: the newest entries may have been removed")
			}
		case errors.Is(err, ErrTampered), errors.Is(err, ErrCorrupt):
			problem("audit head fails authentication")
		case err != nil:
			return err
		case head.Seq > last:
			problem("%s: missing (log truncated)", entryRange(last+1, head.Seq))
		case head.Seq < last:
			problem("%s: not covered by the audit head", entryRange(head.Seq+1, last))
		case prev != nil && !bytes.Equal(head.Hash, prev):
			problem("entry %d: does not match the audit head", last)
		}
		return nil
	})
	if err != nil {
		return AuditReport{}, fmt.Errorf("verify audit log: %w", err)
	}
	rep.OK = len(rep.Problems) == 0
	return rep, nil
}
