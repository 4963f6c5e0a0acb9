package localstore

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/crypto/chacha20poly1305"
)

const (
	benchValues = 100_000
	benchBatch  = 1_000
)

// BenchmarkBareLoop is the reference for BenchmarkInsertSummaries100k: a bare
// bbolt loop sealing 100,000 values of 2 KB with XChaCha20-Poly1305 in
// transactions of 1,000, fsync on, with 4 KiB pages and with 16 KiB pages
// and FillPercent 0.9.
func BenchmarkBareLoop(b *testing.B) {
	cases := []struct {
		name     string
		pageSize int
		fill     float64
	}{
		{"page4k", 4 << 10, bolt.DefaultFillPercent},
		{"page16k_fill90", 16 << 10, 0.9},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			key := make([]byte, 32)
			rand.Read(key)
			aead, err := chacha20poly1305.NewX(key)
			if err != nil {
				b.Fatal(err)
			}
			plain := make([]byte, 2048)
			rand.Read(plain)
			bucket := []byte("values")
			b.SetBytes(benchValues * int64(len(plain)))
			for b.Loop() {
				b.StopTimer()
				db, err := bolt.Open(filepath.Join(b.TempDir(), "bare.db"), 0o600,
					&bolt.Options{PageSize: c.pageSize, FreelistType: bolt.FreelistMapType})
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				for start := 0; start < benchValues; start += benchBatch {
					err := db.Update(func(tx *bolt.Tx) error {
						bk, err := tx.CreateBucketIfNotExists(bucket)
						if err != nil {
							return err
						}
						bk.FillPercent = c.fill
						for i := start; i < start+benchBatch; i++ {
							k := binary.BigEndian.AppendUint32(make([]byte, 0, 4), uint32(i+1))
							out := make([]byte, 1+24, 1+24+len(plain)+16)
							out[0] = 1
							rand.Read(out[1:25])
							out = aead.Seal(out, out[1:25], plain, k)
							if err := bk.Put(k, out); err != nil {
								return err
							}
						}
						return nil
					})
					if err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				if err := db.Close(); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchValues), "ns/value")
		})
	}
}

// benchSummaries returns n realistic summaries (about 1 KB sealed each).
func benchSummaries(n int) []Summary {
	r := mrand.New(mrand.NewPCG(1, 2))
	words := strings.Fields("the quarterly numbers are attached please review before friday meeting " +
		"budget draft project schedule notes lunch invoice contract update question thanks regards")
	phrase := func(n int) string {
		var sb strings.Builder
		for i := range n {
			if i > 0 {
				sb.WriteByte(' ')
			}
			sb.WriteString(words[r.IntN(len(words))])
		}
		return sb.String()
	}
	base := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	out := make([]Summary, n)
	for i := range out {
		uid := uint32(i + 1)
		d := base.Add(time.Duration(i) * 17 * time.Minute)
		out[i] = Summary{
			UID:          uid,
			MessageID:    fmt.Sprintf("<%d.%08x@mail.example.org>", d.Unix(), r.Uint32()),
			From:         fmt.Sprintf("Sender Number%d <sender%d@example.com>", i%500, i%500),
			To:           "Alice Example <alice@example.org>, Team List <team@lists.example.org>",
			Cc:           fmt.Sprintf("colleague%d@example.org", i%50),
			Subject:      "Re: " + phrase(8),
			Date:         d,
			InternalDate: d.Add(3 * time.Second),
			Flags:        []string{`\Seen`},
			Size:         uint32(2000 + r.IntN(50000)),
			Encrypted:    i%4 == 0,
			Signed:       i%3 == 0,
			Preview:      phrase(60),
		}
	}
	return out
}

func insertAll(b *testing.B, s *Store, sums []Summary) {
	for start := 0; start < len(sums); start += benchBatch {
		if err := s.Messages().PutSummaries("alice@example.org", "INBOX", sums[start:min(start+benchBatch, len(sums))]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkInsertSummaries100k inserts 100,000 summaries through the API in
// batches of 1,000 (one fsynced transaction each). Target: within 2x of
// BenchmarkBareLoop.
func BenchmarkInsertSummaries100k(b *testing.B) {
	sums := benchSummaries(benchValues)
	var sealed, fileSize int64
	for b.Loop() {
		b.StopTimer()
		s, err := Create(filepath.Join(b.TempDir(), "p"), testPass, testOpts())
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		insertAll(b, s, sums)
		b.StopTimer()
		if sealed == 0 {
			sealed = sealedSummaryBytes(b, s)
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
		fi, err := os.Stat(dbPath(s.Dir()))
		if err != nil {
			b.Fatal(err)
		}
		fileSize = fi.Size()
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchValues), "ns/value")
	b.ReportMetric(float64(sealed)/benchValues, "sealedB/value")
	b.ReportMetric(float64(fileSize)/(1<<20), "fileMiB")
}

// sealedSummaryBytes sums the sizes of the stored summary values.
func sealedSummaryBytes(b *testing.B, s *Store) int64 {
	var total int64
	path := s.Messages().path("alice@example.org", "INBOX", subSummaries)
	err := s.db.View(func(tx *bolt.Tx) error {
		bk, err := bucketAt(tx, false, path)
		if err != nil {
			return err
		}
		return bk.ForEach(func(_, v []byte) error { total += int64(len(v)); return nil })
	})
	if err != nil {
		b.Fatal(err)
	}
	return total
}

// benchFolder creates a profile with a 100,000-message folder, closes and
// reopens it (cold caches aside) and returns it.
func benchFolder(b *testing.B) *Store {
	s, err := Create(filepath.Join(b.TempDir(), "p"), testPass, testOpts())
	if err != nil {
		b.Fatal(err)
	}
	insertAll(b, s, benchSummaries(benchValues))
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	s, err = Open(s.Dir(), testPass, testOpts())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	return s
}

// BenchmarkOpenUnlock opens and closes a profile created with the default
// KDF parameters and holding a 100,000-message folder. Target: under 1 s.
func BenchmarkOpenUnlock(b *testing.B) {
	dir := filepath.Join(b.TempDir(), "p")
	s, err := Create(dir, testPass, nil)
	if err != nil {
		b.Fatal(err)
	}
	insertAll(b, s, benchSummaries(benchValues))
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		s, err := Open(dir, testPass, nil)
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNewest200 lists the newest 200 summaries of a 100,000-message
// folder. Target: under 20 ms.
func BenchmarkNewest200(b *testing.B) {
	s := benchFolder(b)
	for b.Loop() {
		got, err := s.Messages().Newest("alice@example.org", "INBOX", 200)
		if err != nil || len(got) != 200 {
			b.Fatalf("Newest = %d, %v", len(got), err)
		}
	}
}

// BenchmarkRandomReads reads random summaries of a 100,000-message folder.
func BenchmarkRandomReads(b *testing.B) {
	s := benchFolder(b)
	r := mrand.New(mrand.NewPCG(3, 4))
	for b.Loop() {
		if _, err := s.Messages().Summary("alice@example.org", "INBOX", uint32(1+r.IntN(benchValues))); err != nil {
			b.Fatal(err)
		}
	}
}
