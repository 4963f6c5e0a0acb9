package localstore

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

const searchAcct = "alice@example.org"

// scanAll returns copies of the records Scan presents for folder.
func scanAll(t testing.TB, s *Store, account, folder string) []SearchRecord {
	t.Helper()
	var out []SearchRecord
	err := s.SearchIndex().Scan(account, folder, func(rec *SearchRecord) bool {
		c := *rec
		c.Text = bytes.Clone(rec.Text)
		out = append(out, c)
		return true
	})
	if err != nil {
		t.Fatalf("Scan(%q): %v", folder, err)
	}
	return out
}

// indexed returns SearchIndex().Indexed or fails the test.
func indexed(t testing.TB, s *Store, account, folder string) []uint32 {
	t.Helper()
	uids, err := s.SearchIndex().Indexed(account, folder)
	if err != nil {
		t.Fatalf("Indexed(%q): %v", folder, err)
	}
	return uids
}

// searchFixture stores summaries 1..n in INBOX and Sent and indexes them all.
func searchFixture(t testing.TB, n uint32) *Store {
	t.Helper()
	s := newTestStore(t)
	for _, f := range []string{"INBOX", "Sent"} {
		if err := s.Folders().Put(Folder{Account: searchAcct, Name: f}); err != nil {
			t.Fatal(err)
		}
		if err := s.Messages().PutSummaries(searchAcct, f, makeSummaries(1, n, f)); err != nil {
			t.Fatal(err)
		}
		var docs []SearchDoc
		for uid := uint32(1); uid <= n; uid++ {
			docs = append(docs, SearchDoc{UID: uid, Date: ts(int64(uid)), Text: fmt.Appendf(nil, "%s word%d", strings.ToLower(f), uid)})
		}
		if err := s.SearchIndex().PutBatch(searchAcct, f, docs); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func TestSearchIndexRoundTrip(t *testing.T) {
	s := newTestStore(t)
	if err := s.Messages().PutSummaries(searchAcct, "INBOX", makeSummaries(1, 3, "in")); err != nil {
		t.Fatal(err)
	}
	if err := s.Messages().PutSummaries(searchAcct, "Archiv/Ärger", makeSummaries(7, 7, "ar")); err != nil {
		t.Fatal(err)
	}
	date := time.Date(2026, 11, 29, 12, 30, 0, 0, time.UTC)
	if err := s.SearchIndex().PutBatch(searchAcct, "inbox", []SearchDoc{
		{UID: 2, Date: date, HasBody: true, Text: []byte("bob quarterly numbers")},
		{UID: 1, Text: []byte("carol lunch")},
		{UID: 3, Unreadable: true, Text: []byte("dana [...]")},
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.SearchIndex().PutBatch(searchAcct, "Archiv/Ärger", []SearchDoc{{UID: 7, HasBody: true, Text: []byte("größe")}}); err != nil {
		t.Fatal(err)
	}
	s = reopen(t, s)

	if got, want := indexed(t, s, searchAcct, "INBOX"), []uint32{1, 2, 3}; !slices.Equal(got, want) {
		t.Errorf("Indexed(INBOX) = %v, want %v", got, want)
	}
	want := []SearchRecord{
		{Folder: "INBOX", UID: 1, Text: []byte("carol lunch")},
		{Folder: "INBOX", UID: 2, Date: date, HasBody: true, Text: []byte("bob quarterly numbers")},
		{Folder: "INBOX", UID: 3, Unreadable: true, Text: []byte("dana [...]")},
	}
	check := func(name string, got, want []SearchRecord) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s: got %d records, want %d", name, len(got), len(want))
		}
		for i := range want {
			g, w := got[i], want[i]
			if g.Folder != w.Folder || g.UID != w.UID || !g.Date.Equal(w.Date) || g.HasBody != w.HasBody ||
				g.Unreadable != w.Unreadable || !bytes.Equal(g.Text, w.Text) {
				t.Errorf("%s: record %d = %+v (text %q), want %+v (text %q)", name, i, g, g.Text, w, w.Text)
			}
		}
	}
	check("Scan(INBOX)", scanAll(t, s, searchAcct, "INBOX"), want)

	all := scanAll(t, s, "Alice@Example.org", "")
	slices.SortFunc(all, func(a, b SearchRecord) int { return strings.Compare(a.Folder, b.Folder) })
	check("Scan(all folders)", all, append([]SearchRecord{
		{Folder: "Archiv/Ärger", UID: 7, HasBody: true, Text: []byte("größe")}}, want...))

	if got := scanAll(t, s, "bob@example.net", ""); len(got) != 0 {
		t.Errorf("Scan(other account) = %d records, want 0", len(got))
	}
	n := 0
	if err := s.SearchIndex().Scan(searchAcct, "", func(*SearchRecord) bool { n++; return false }); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("Scan stopped by fn: got %d calls, want 1", n)
	}
}

func TestSearchPutBatchSkips(t *testing.T) {
	s := newTestStore(t)
	if err := s.Messages().PutSummaries(searchAcct, "INBOX", makeSummaries(1, 2, "in")); err != nil {
		t.Fatal(err)
	}
	if err := s.Messages().PutRaw(searchAcct, "INBOX", 2, []byte("Subject: x\r\n\r\nbody")); err != nil {
		t.Fatal(err)
	}
	if err := s.SearchIndex().PutBatch(searchAcct, "INBOX", []SearchDoc{
		{UID: 1, Text: []byte("headers only, no raw: kept")},
		{UID: 2, Text: []byte("headers only but the raw arrived: skipped")},
		{UID: 9, HasBody: true, Text: []byte("no summary: skipped")},
	}); err != nil {
		t.Fatal(err)
	}
	if got, want := indexed(t, s, searchAcct, "INBOX"), []uint32{1}; !slices.Equal(got, want) {
		t.Errorf("Indexed = %v, want %v", got, want)
	}
	if err := s.SearchIndex().PutBatch(searchAcct, "INBOX", []SearchDoc{{UID: 0}}); err == nil {
		t.Error("PutBatch(UID 0): got nil error, want one")
	}
}

func TestCapText(t *testing.T) {
	tests := []struct {
		name string
		in   string
		n    int
		want string
	}{
		{"short", "abc", 5, "abc"},
		{"exact", "abcde", 5, "abcde"},
		{"ascii cut", "abcdef", 4, "abcd"},
		{"inside two-byte rune", "aé", 2, "a"},
		{"after two-byte rune", "aéb", 3, "aé"},
		{"inside four-byte rune", "a😀", 3, "a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(capText([]byte(tt.in), tt.n)); got != tt.want {
				t.Errorf("capText(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
			}
		})
	}
}

func TestSearchTextCapped(t *testing.T) {
	s := newTestStore(t)
	if err := s.Messages().PutSummaries(searchAcct, "INBOX", makeSummaries(1, 1, "in")); err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("ü", MaxSearchText) // 2 bytes each
	if err := s.SearchIndex().PutBatch(searchAcct, "INBOX", []SearchDoc{{UID: 1, Text: []byte(long)}}); err != nil {
		t.Fatal(err)
	}
	recs := scanAll(t, s, searchAcct, "INBOX")
	if len(recs) != 1 || len(recs[0].Text) != MaxSearchText {
		t.Fatalf("got %d records, text of %d bytes; want 1 record of %d bytes", len(recs), len(recs[0].Text), MaxSearchText)
	}
}

// TestSearchRecordsFollowMessages checks every path that removes or replaces
// a message also removes its search record, in the same transaction.
func TestSearchRecordsFollowMessages(t *testing.T) {
	tests := []struct {
		name      string
		change    func(s *Store) error
		inbox     []uint32
		sent      []uint32
		otherAcct bool
	}{
		{
			name:   "DeleteSummaries",
			change: func(s *Store) error { return s.Messages().DeleteSummaries(searchAcct, "INBOX", 2, 3, 99) },
			inbox:  []uint32{1, 4}, sent: []uint32{1, 2, 3, 4},
		},
		{
			name:   "DropFolderMessages",
			change: func(s *Store) error { return s.Messages().DropFolderMessages(searchAcct, "inbox") },
			sent:   []uint32{1, 2, 3, 4},
		},
		{
			name:   "Folders.Delete",
			change: func(s *Store) error { return s.Folders().Delete(searchAcct, "Sent") },
			inbox:  []uint32{1, 2, 3, 4},
		},
		{
			name: "Actions.Queue with RemoveLocal",
			change: func(s *Store) error {
				_, err := s.Actions().Queue(PendingAction{Account: searchAcct, Kind: "delete", Folder: "Sent", UIDs: []uint32{4}, RemoveLocal: true})
				return err
			},
			inbox: []uint32{1, 2, 3, 4}, sent: []uint32{1, 2, 3},
		},
		{
			name: "Actions.Queue flags only",
			change: func(s *Store) error {
				_, err := s.Actions().Queue(PendingAction{Account: searchAcct, Kind: "flag", Folder: "Sent", UIDs: []uint32{4}, AddFlags: []string{`\Flagged`}})
				return err
			},
			inbox: []uint32{1, 2, 3, 4}, sent: []uint32{1, 2, 3, 4},
		},
		{
			name: "PutRaw (body arrives: index again)",
			change: func(s *Store) error {
				return s.Messages().PutRaw(searchAcct, "INBOX", 3, []byte("Subject: x\r\n\r\nbody"))
			},
			inbox: []uint32{1, 2, 4}, sent: []uint32{1, 2, 3, 4},
		},
		{
			name: "PutFetchedRaw",
			change: func(s *Store) error {
				return s.Messages().PutFetchedRaw(searchAcct, "INBOX", 1, []byte("Subject: x\r\n\r\nbody"))
			},
			inbox: []uint32{2, 3, 4}, sent: []uint32{1, 2, 3, 4},
		},
		{
			name: "SetFlags keeps records",
			change: func(s *Store) error {
				return s.Messages().SetFlags(searchAcct, "INBOX", map[uint32][]string{1: {`\Answered`}})
			},
			inbox: []uint32{1, 2, 3, 4}, sent: []uint32{1, 2, 3, 4},
		},
		{
			name:      "Accounts.Delete",
			change:    func(s *Store) error { return s.Accounts().Delete(searchAcct) },
			otherAcct: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := searchFixture(t, 4)
			if err := s.Accounts().Put(Account{Email: searchAcct}); err != nil {
				t.Fatal(err)
			}
			if err := tt.change(s); err != nil {
				t.Fatalf("change: %v", err)
			}
			if got := indexed(t, s, searchAcct, "INBOX"); !slices.Equal(got, tt.inbox) {
				t.Errorf("Indexed(INBOX) = %v, want %v", got, tt.inbox)
			}
			if got := indexed(t, s, searchAcct, "Sent"); !slices.Equal(got, tt.sent) {
				t.Errorf("Indexed(Sent) = %v, want %v", got, tt.sent)
			}
			if n := len(scanAll(t, s, searchAcct, "")); n != len(tt.inbox)+len(tt.sent) {
				t.Errorf("Scan(all) = %d records, want %d", n, len(tt.inbox)+len(tt.sent))
			}
		})
	}
}

func TestSearchDropFolder(t *testing.T) {
	s := searchFixture(t, 3)
	if err := s.SearchIndex().DropFolder(searchAcct, "Sent"); err != nil {
		t.Fatal(err)
	}
	if got, want := indexed(t, s, searchAcct, "INBOX"), []uint32{1, 2, 3}; !slices.Equal(got, want) {
		t.Errorf("Indexed(INBOX) = %v, want %v (another folder's records stay)", got, want)
	}
	if got := indexed(t, s, searchAcct, "Sent"); len(got) != 0 {
		t.Errorf("Indexed(Sent) = %v, want none", got)
	}
	if n, err := s.Messages().CountSummaries(searchAcct, "Sent"); err != nil || n != 3 {
		t.Errorf("CountSummaries(Sent) = %d, %v; want 3 (the index is not the messages)", n, err)
	}
}

func TestSearchRetryUnreadable(t *testing.T) {
	s := newTestStore(t)
	if err := s.Messages().PutSummaries(searchAcct, "INBOX", makeSummaries(1, 4, "in")); err != nil {
		t.Fatal(err)
	}
	if err := s.SearchIndex().PutBatch(searchAcct, "INBOX", []SearchDoc{
		{UID: 1, HasBody: true}, {UID: 2, Unreadable: true, HasBody: true}, {UID: 3}, {UID: 4, Unreadable: true, HasBody: true},
	}); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name        string
		tag         string
		wantDropped int
		wantIndexed []uint32
	}{
		{"first tag drops the unreadable", "keys-a", 2, []uint32{1, 3}},
		{"same tag does nothing", "keys-a", 0, []uint32{1, 3}},
		{"new tag, nothing unreadable left", "keys-b", 0, []uint32{1, 3}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			n, err := s.SearchIndex().RetryUnreadable(searchAcct, []byte(st.tag))
			if err != nil {
				t.Fatal(err)
			}
			if n != st.wantDropped {
				t.Errorf("dropped = %d, want %d", n, st.wantDropped)
			}
			if got := indexed(t, s, searchAcct, "INBOX"); !slices.Equal(got, st.wantIndexed) {
				t.Errorf("Indexed = %v, want %v", got, st.wantIndexed)
			}
		})
	}
	if err := s.SearchIndex().PutBatch(searchAcct, "INBOX", []SearchDoc{{UID: 2, Unreadable: true, HasBody: true}}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.SearchIndex().RetryUnreadable(searchAcct, []byte("keys-b")); err != nil || n != 0 {
		t.Errorf("same tag after new unreadable record: dropped %d, %v; want 0, nil", n, err)
	}
}

// TestSearchRecordMovedIsTampered copies sealed search records to other
// places and expects ErrTampered, reported as ErrSearchDamaged, from Scan.
func TestSearchRecordMovedIsTampered(t *testing.T) {
	tests := []struct {
		name string
		move func(s *Store) (src, dst [][]byte, srcKey, dstKey []byte)
		scan string
	}{
		{
			name: "to other UID, same folder",
			move: func(s *Store) ([][]byte, [][]byte, []byte, []byte) {
				p := s.SearchIndex().folderPath(searchAcct, "INBOX")
				return p, p, uidKey(1), uidKey(2)
			},
			scan: "INBOX",
		},
		{
			name: "to same UID, other folder",
			move: func(s *Store) ([][]byte, [][]byte, []byte, []byte) {
				return s.SearchIndex().folderPath(searchAcct, "Sent"), s.SearchIndex().folderPath(searchAcct, "INBOX"), uidKey(1), uidKey(1)
			},
			scan: "",
		},
		{
			name: "summary over a search record",
			move: func(s *Store) ([][]byte, [][]byte, []byte, []byte) {
				return s.Messages().path(searchAcct, "INBOX", subSummaries), s.SearchIndex().folderPath(searchAcct, "INBOX"), uidKey(1), uidKey(1)
			},
			scan: "INBOX",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := searchFixture(t, 2)
			var src, dst [][]byte
			var sk, dk []byte
			if err := s.view(func(*bolt.Tx) error { src, dst, sk, dk = tt.move(s); return nil }); err != nil {
				t.Fatal(err)
			}
			s2 := copyAndReopen(t, s, src, sk, dst, dk)
			err := s2.SearchIndex().Scan(searchAcct, tt.scan, func(*SearchRecord) bool { return true })
			wantErr(t, "Scan", err, ErrTampered)
			wantErr(t, "Scan", err, ErrSearchDamaged)
		})
	}
}

// TestSearchNoPlaintextOnDisk indexes text made of canaries and scans the
// closed profile file for them (see TestNoPlaintextOnDisk).
func TestSearchNoPlaintextOnDisk(t *testing.T) {
	var c canaries
	s := newTestStore(t)
	folder := c.next("folder")
	if err := s.Messages().PutSummaries(searchAcct, folder, makeSummaries(1, 30, "x")); err != nil {
		t.Fatal(err)
	}
	var docs []SearchDoc
	for uid := uint32(1); uid <= 30; uid++ {
		docs = append(docs, SearchDoc{UID: uid, HasBody: true, Text: []byte(c.next("from") + " " + c.next("subject") + " " + c.next("body"))})
	}
	if err := s.SearchIndex().PutBatch(searchAcct, folder, docs); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SearchIndex().RetryUnreadable(searchAcct, []byte(c.next("keytag"))); err != nil {
		t.Fatal(err)
	}
	// Deleted records leave their sealed bytes in free pages.
	if err := s.Messages().DeleteSummaries(searchAcct, folder, 1, 2, 3); err != nil {
		t.Fatal(err)
	}
	dir := s.Dir()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if n, hits := scanCanaries(t, dir, c.all); n != 1 || len(hits) != 0 {
		t.Errorf("scan: %d files, hits %q; want 1 file, no hits", n, hits)
	}
	// The scan must be able to fail: a planted plaintext word is found.
	rawUpdate(t, dir, func(tx *bolt.Tx) error {
		return tx.Bucket(bktSearch).Put([]byte("leak"), []byte(c.all[5]))
	})
	if _, hits := scanCanaries(t, dir, c.all); len(hits) != 1 {
		t.Errorf("scan after planting a canary: hits %q, want exactly 1", hits)
	}
}

// BenchmarkSearchScan opens and scans every record of a folder of 10,000 and
// of 100,000 indexed messages with about 2 KB of text each, looking for a
// word that occurs nowhere (the worst case: every record is read).
func BenchmarkSearchScan(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("%dk", n/1000), func(b *testing.B) {
			s := newTestStore(b)
			words := strings.Fields("the quarterly numbers lunch meeting report draft invoice travel budget " +
				"schedule review contract update project deadline holiday office")
			const batch = 1000
			for start := 1; start <= n; start += batch {
				end := uint32(min(n, start+batch-1))
				if err := s.Messages().PutSummaries(searchAcct, "INBOX", makeSummaries(uint32(start), end, "bench")); err != nil {
					b.Fatal(err)
				}
				docs := make([]SearchDoc, 0, batch)
				for uid := uint32(start); uid <= end; uid++ {
					var sb strings.Builder
					for i := 0; sb.Len() < 2000; i++ {
						sb.WriteString(words[(int(uid)*7+i*13)%len(words)])
						sb.WriteByte(' ')
					}
					docs = append(docs, SearchDoc{UID: uid, Date: ts(int64(uid)), HasBody: true, Text: []byte(sb.String())})
				}
				if err := s.SearchIndex().PutBatch(searchAcct, "INBOX", docs); err != nil {
					b.Fatal(err)
				}
			}
			needle := []byte("zebra")
			b.ResetTimer()
			for b.Loop() {
				seen, hits := 0, 0
				err := s.SearchIndex().Scan(searchAcct, "", func(rec *SearchRecord) bool {
					seen++
					if bytes.Contains(rec.Text, needle) {
						hits++
					}
					return true
				})
				if err != nil || seen != n || hits != 0 {
					b.Fatalf("Scan: %d records, %d hits, %v; want %d, 0, nil", seen, hits, err, n)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/record")
		})
	}
}

// TestSearchKeySetMovedIsTampered copies one account's key-set tag over
// another's: RetryUnreadable must fail rather than skip the retry.
func TestSearchKeySetMovedIsTampered(t *testing.T) {
	s := newTestStore(t)
	const other = "bob@example.net"
	for _, a := range []string{searchAcct, other} {
		if _, err := s.SearchIndex().RetryUnreadable(a, []byte("tag of "+a)); err != nil {
			t.Fatal(err)
		}
	}
	var src, dst [][]byte
	if err := s.view(func(*bolt.Tx) error {
		src = [][]byte{bktSearch, s.keys.blind(labelAccount, searchAcct)}
		dst = [][]byte{bktSearch, s.keys.blind(labelAccount, other)}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	s2 := copyAndReopen(t, s, src, keyKeySet, dst, keyKeySet)
	_, err := s2.SearchIndex().RetryUnreadable(other, []byte("tag of "+searchAcct))
	wantErr(t, "RetryUnreadable", err, ErrTampered)
}

// copyAndReopen closes s, copies the sealed value at srcPath/srcKey to
// dstPath/dstKey behind the store's back, and opens the profile again.
func copyAndReopen(t *testing.T, s *Store, srcPath [][]byte, srcKey []byte, dstPath [][]byte, dstKey []byte) *Store {
	t.Helper()
	dir := s.Dir()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	rawUpdate(t, dir, func(tx *bolt.Tx) error {
		from, _ := bucketAt(tx, false, srcPath)
		to, _ := bucketAt(tx, false, dstPath)
		return to.Put(dstKey, bytes.Clone(from.Get(srcKey)))
	})
	s2, err := Open(dir, testPass, testOpts())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s2.Close() })
	return s2
}

// TestSearchBacklog follows the backlog record through everything that
// leaves a message without a search record, and through MarkIndexed.
func TestSearchBacklog(t *testing.T) {
	s := newTestStore(t)
	idx := s.SearchIndex()
	pending := func(when string, want bool) uint64 {
		t.Helper()
		gen, got, err := idx.Backlog(searchAcct)
		if err != nil || got != want {
			t.Fatalf("%s: Backlog pending = %v, %v; want %v", when, got, err, want)
		}
		return gen
	}
	pending("an account the store does not know", true)
	if err := s.Accounts().Put(Account{Email: searchAcct}); err != nil {
		t.Fatal(err)
	}
	pending("a new account", false)

	sums := []Summary{{UID: 1, Subject: "one"}, {UID: 2, Subject: "two"}}
	raws := []RawMessage{{UID: 1, Raw: []byte("Subject: one\r\n\r\nbody one\r\n")}}
	docs := []SearchDoc{{UID: 1, HasBody: true, Text: []byte("one body one")}, {UID: 2, Text: []byte("two")}}
	if err := s.Messages().PutIndexedBatch(searchAcct, "INBOX", sums, raws, docs); err != nil {
		t.Fatal(err)
	}
	pending("a batch stored with its records", false)
	if got := indexed(t, s, searchAcct, "INBOX"); !slices.Equal(got, []uint32{1, 2}) {
		t.Errorf("records of the batch: got = %v, want [1 2]", got)
	}
	if recs := scanAll(t, s, searchAcct, "INBOX"); len(recs) != 2 || string(recs[0].Text) != "one body one" || !recs[0].HasBody {
		t.Errorf("records: got = %+v, want the docs", recs)
	}

	if err := s.Messages().PutIndexedBatch(searchAcct, "INBOX", []Summary{{UID: 3}, {UID: 4}}, nil, []SearchDoc{{UID: 3, Text: []byte("three")}}); err != nil {
		t.Fatal(err)
	}
	gen := pending("a batch with a message without its record", true)
	if err := idx.PutBatch(searchAcct, "INBOX", []SearchDoc{{UID: 4, Text: []byte("four")}}); err != nil {
		t.Fatal(err)
	}
	if err := idx.MarkIndexed(searchAcct, gen); err != nil {
		t.Fatal(err)
	}
	pending("after MarkIndexed", false)

	steps := []struct {
		name string
		do   func() error
	}{
		{"PutBatch", func() error { return s.Messages().PutBatch(searchAcct, "INBOX", []Summary{{UID: 5}}, nil) }},
		{"PutSummaries", func() error { return s.Messages().PutSummaries(searchAcct, "INBOX", []Summary{{UID: 6}}) }},
		{"PutRawBatch", func() error {
			return s.Messages().PutRawBatch(searchAcct, "INBOX", []RawMessage{{UID: 2, Raw: []byte("x")}})
		}},
		{"PutFetchedRaw", func() error {
			if err := s.Messages().PutSummaries(searchAcct, "INBOX", []Summary{{UID: 7, RawOmitted: true}}); err != nil {
				return err
			}
			if err := idx.MarkIndexed(searchAcct, pending("before PutFetchedRaw", true)); err != nil {
				return err
			}
			return s.Messages().PutFetchedRaw(searchAcct, "INBOX", 7, []byte("y"))
		}},
		{"RetryUnreadable with other keys", func() error {
			if _, err := idx.RetryUnreadable(searchAcct, []byte("keys A")); err != nil {
				return err
			}
			if err := idx.PutBatch(searchAcct, "INBOX", []SearchDoc{{UID: 1, HasBody: true, Unreadable: true}}); err != nil {
				return err
			}
			pending("before RetryUnreadable", false)
			if n, err := idx.RetryUnreadable(searchAcct, []byte("keys B")); err != nil || n != 1 {
				return fmt.Errorf("RetryUnreadable dropped %d records, %w; want 1", n, err)
			}
			return nil
		}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if err := st.do(); err != nil {
				t.Fatal(err)
			}
			gen := pending("after "+st.name, true)
			// A record left out meanwhile keeps the backlog pending.
			if err := s.Messages().PutSummaries(searchAcct, "INBOX", []Summary{{UID: 9}}); err != nil {
				t.Fatal(err)
			}
			if err := idx.MarkIndexed(searchAcct, gen); err != nil {
				t.Fatal(err)
			}
			gen = pending("after a change behind MarkIndexed", true)
			if err := idx.MarkIndexed(searchAcct, gen); err != nil {
				t.Fatal(err)
			}
			pending("after MarkIndexed", false)
		})
	}

	t.Run("corrupt", func(t *testing.T) {
		acct := s.keys.blind(labelAccount, normEmail(searchAcct))
		if err := s.update(func(tx *bolt.Tx) error {
			return s.putValue(tx, [][]byte{bktSearch, acct}, keyBacklog, []byte("short"))
		}); err != nil {
			t.Fatal(err)
		}
		_, _, err := idx.Backlog(searchAcct)
		wantErr(t, "Backlog of a malformed record", err, ErrCorrupt)
		wantErr(t, "MarkIndexed over a malformed record", idx.MarkIndexed(searchAcct, 1), ErrCorrupt)
	})
}
