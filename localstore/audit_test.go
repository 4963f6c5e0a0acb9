package localstore

import (
	"bytes"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

func TestAuditChain(t *testing.T) {
	s := newTestStore(t)
	for i, kind := range []string{"sent", "key-changed", "cert-pinned"} {
		e, err := s.AppendAudit(kind, "bob@example.net", "detail")
		if err != nil {
			t.Fatalf("AppendAudit: %v", err)
		}
		if e.Seq != uint64(i+1) {
			t.Errorf("Seq = %d, want %d", e.Seq, i+1)
		}
	}
	s = reopen(t, s)
	entries, err := s.AuditEntries()
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 3 {
		t.Fatalf("entries = %d, want 3", len(entries))
	}
	if !bytes.Equal(entries[0].PrevHash, make([]byte, 32)) {
		t.Errorf("first PrevHash = %x, want 32 zero bytes", entries[0].PrevHash)
	}
	for i := 1; i < len(entries); i++ {
		if !bytes.Equal(entries[i].PrevHash, entries[i-1].Hash) {
			t.Errorf("entry %d PrevHash = %x, want %x", entries[i].Seq, entries[i].PrevHash, entries[i-1].Hash)
		}
	}
	if !bytes.Equal(entryHash(&entries[2]), entries[2].Hash) {
		t.Errorf("entry 3 hash does not match its content")
	}
	rep, err := s.VerifyAudit()
	if err != nil || !rep.OK || rep.Entries != 3 || len(rep.Problems) != 0 {
		t.Errorf("VerifyAudit = %+v, %v, want OK with 3 entries", rep, err)
	}
	if _, err := s.AppendAudit("sent", "x", "y"); err != nil {
		t.Fatalf("AppendAudit after reopen: %v", err)
	}
}

func TestAuditTamperDetected(t *testing.T) {
	move := func(b *bolt.Bucket, from, to uint64) error {
		return b.Put(seqKey(to), append([]byte(nil), b.Get(seqKey(from))...))
	}
	tests := []struct {
		name string
		// alter edits the audit bucket and meta bucket of a 5-entry log.
		alter func(audit, meta *bolt.Bucket) error
		want  []string // substrings that must appear in the problems, naming entries
	}{
		{"removed entry", func(a, _ *bolt.Bucket) error { return a.Delete(seqKey(3)) },
			[]string{"entry 3: missing", "entry 4: does not link"}},
		{"reordered entries", func(a, _ *bolt.Bucket) error {
			v2 := append([]byte(nil), a.Get(seqKey(2))...)
			if err := move(a, 3, 2); err != nil {
				return err
			}
			return a.Put(seqKey(3), v2)
		}, []string{"entry 2: fails authentication", "entry 3: fails authentication"}},
		{"altered byte", func(a, _ *bolt.Bucket) error {
			v := append([]byte(nil), a.Get(seqKey(4))...)
			v[40] ^= 0x20
			return a.Put(seqKey(4), v)
		}, []string{"entry 4: fails authentication"}},
		{"truncated last entry", func(a, _ *bolt.Bucket) error { return a.Delete(seqKey(5)) },
			[]string{"entry 5: missing (log truncated)"}},
		{"truncated last two entries", func(a, _ *bolt.Bucket) error {
			if err := a.Delete(seqKey(5)); err != nil {
				return err
			}
			return a.Delete(seqKey(4))
		}, []string{"entries 4 to 5: missing (log truncated)"}},
		{"value swapped in from another bucket", func(a, m *bolt.Bucket) error {
			return a.Put(seqKey(1), append([]byte(nil), m.Get(keyAuditHead)...))
		}, []string{"entry 1: fails authentication"}},
		{"entry duplicated over the next", func(a, _ *bolt.Bucket) error { return move(a, 1, 2) },
			[]string{"entry 2: fails authentication"}},
		{"head removed", func(_, m *bolt.Bucket) error { return m.Delete(keyAuditHead) },
			[]string{"audit head missing"}},
		{"entry appended beyond head", func(a, _ *bolt.Bucket) error { return move(a, 5, 6) },
			[]string{"entry 6: fails authentication", "entry 6: not covered by the audit head"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestStore(t)
			for range 5 {
				if _, err := s.AppendAudit("sent", "bob@example.net", "encrypted to 1 key"); err != nil {
					t.Fatal(err)
				}
			}
			dir := s.Dir()
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			rawUpdate(t, dir, func(tx *bolt.Tx) error { return tt.alter(tx.Bucket(bktAudit), tx.Bucket(bktMeta)) })
			s2, err := Open(dir, testPass, testOpts())
			if err != nil {
				t.Fatal(err)
			}
			defer s2.Close()
			rep, err := s2.VerifyAudit()
			if err != nil {
				t.Fatalf("VerifyAudit: %v", err)
			}
			if rep.OK {
				t.Fatalf("VerifyAudit OK = true, want false (problems %q)", rep.Problems)
			}
			all := strings.Join(rep.Problems, "\n")
			for _, w := range tt.want {
				if !strings.Contains(all, w) {
					t.Errorf("problems = %q, want one containing %q", rep.Problems, w)
				}
			}
			// Appending to a damaged log must not paper over the damage.
			if _, err := s2.AppendAudit("sent", "x", "y"); err == nil {
				if rep2, _ := s2.VerifyAudit(); rep2.OK {
					t.Errorf("after AppendAudit, VerifyAudit OK = true, want false")
				}
			}
		})
	}
}
