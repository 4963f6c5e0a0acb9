package localstore

import (
	"testing"

	bolt "go.etcd.io/bbolt"
)

// TestMovedValueIsTampered copies sealed values between records, within a
// bucket and across buckets, and expects ErrTampered on read.
func TestMovedValueIsTampered(t *testing.T) {
	const acct = "a@example.org"
	setup := func(t *testing.T) *Store {
		s := newTestStore(t)
		for _, e := range []string{acct, "b@example.org"} {
			if err := s.Accounts().Put(Account{Email: e}); err != nil {
				t.Fatal(err)
			}
		}
		for _, f := range []string{"INBOX", "Sent"} {
			if err := s.Folders().Put(Folder{Account: acct, Name: f}); err != nil {
				t.Fatal(err)
			}
			if err := s.Messages().PutSummaries(acct, f, makeSummaries(1, 3, f)); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.OwnKeys().Put(OwnKey{Fingerprint: "AAAA"}); err != nil {
			t.Fatal(err)
		}
		if err := s.ContactKeys().Put(ContactKey{Fingerprint: "AAAA"}); err != nil {
			t.Fatal(err)
		}
		return s
	}
	tests := []struct {
		name string
		// move copies one sealed value over another record (both keys computed by s).
		move func(s *Store) (srcPath [][]byte, srcKey []byte, dstPath [][]byte, dstKey []byte)
		read func(s *Store) error
	}{
		{
			name: "account to other account, same bucket",
			move: func(s *Store) ([][]byte, []byte, [][]byte, []byte) {
				p := [][]byte{bktAccounts}
				return p, s.Accounts().key("b@example.org"), p, s.Accounts().key(acct)
			},
			read: func(s *Store) error { _, err := s.Accounts().Get(acct); return err },
		},
		{
			name: "summary to other UID, same folder",
			move: func(s *Store) ([][]byte, []byte, [][]byte, []byte) {
				p := s.Messages().path(acct, "INBOX", subSummaries)
				return p, uidKey(1), p, uidKey(2)
			},
			read: func(s *Store) error { _, err := s.Messages().Summary(acct, "INBOX", 2); return err },
		},
		{
			name: "summary to same UID in other folder",
			move: func(s *Store) ([][]byte, []byte, [][]byte, []byte) {
				return s.Messages().path(acct, "Sent", subSummaries), uidKey(1),
					s.Messages().path(acct, "INBOX", subSummaries), uidKey(1)
			},
			read: func(s *Store) error { _, err := s.Messages().Summary(acct, "INBOX", 1); return err },
		},
		{
			name: "folder record to account record, across buckets",
			move: func(s *Store) ([][]byte, []byte, [][]byte, []byte) {
				a, f := s.folderKeys(acct, "INBOX")
				return [][]byte{bktFolders, a}, f, [][]byte{bktAccounts}, s.Accounts().key(acct)
			},
			read: func(s *Store) error { _, err := s.Accounts().Get(acct); return err },
		},
		{
			name: "own key to contact key with the same fingerprint",
			move: func(s *Store) ([][]byte, []byte, [][]byte, []byte) {
				return [][]byte{bktOwnKeys}, s.OwnKeys().key("AAAA"), [][]byte{bktContacts}, s.ContactKeys().key("AAAA")
			},
			read: func(s *Store) error { _, err := s.ContactKeys().Get("AAAA"); return err },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := setup(t)
			srcPath, srcKey, dstPath, dstKey := tt.move(s)
			dir := s.Dir()
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			rawUpdate(t, dir, func(tx *bolt.Tx) error {
				src, err := bucketAt(tx, false, srcPath)
				if err != nil || src == nil {
					t.Fatalf("source bucket: %v (nil = %v)", err, src == nil)
				}
				dst, err := bucketAt(tx, false, dstPath)
				if err != nil || dst == nil {
					t.Fatalf("destination bucket: %v (nil = %v)", err, dst == nil)
				}
				v := src.Get(srcKey)
				if v == nil || dst.Get(dstKey) == nil {
					t.Fatalf("source or destination record missing")
				}
				return dst.Put(dstKey, append([]byte(nil), v...))
			})
			s2, err := Open(dir, testPass, testOpts())
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer s2.Close()
			wantErr(t, "read of moved value", tt.read(s2), ErrTampered)
		})
	}
}

func TestRawChunkTamper(t *testing.T) {
	const acct, folder = "a@example.org", "INBOX"
	raw := make([]byte, 2*rawChunkSize+10)
	tests := []struct {
		name  string
		alter func(b *bolt.Bucket) error
	}{
		{"missing middle chunk", func(b *bolt.Bucket) error { return b.Delete(rawChunkKey(1, 1)) }},
		{"chunk of another message", func(b *bolt.Bucket) error {
			return b.Put(rawChunkKey(1, 1), append([]byte(nil), b.Get(rawChunkKey(2, 1))...))
		}},
		{"flipped byte", func(b *bolt.Bucket) error {
			v := append([]byte(nil), b.Get(rawChunkKey(1, 2))...)
			v[len(v)/2] ^= 1
			return b.Put(rawChunkKey(1, 2), v)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestStore(t)
			if err := s.Messages().PutRawBatch(acct, folder, []RawMessage{{UID: 1, Raw: raw}, {UID: 2, Raw: raw}}); err != nil {
				t.Fatal(err)
			}
			path := s.Messages().path(acct, folder, subRaw)
			dir := s.Dir()
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			rawUpdate(t, dir, func(tx *bolt.Tx) error {
				b, err := bucketAt(tx, false, path)
				if err != nil || b == nil {
					t.Fatalf("raw bucket missing: %v", err)
				}
				return tt.alter(b)
			})
			s2, err := Open(dir, testPass, testOpts())
			if err != nil {
				t.Fatal(err)
			}
			defer s2.Close()
			_, err = s2.Messages().Raw(acct, folder, 1)
			wantErr(t, "Raw of altered message", err, ErrTampered)
		})
	}
}
