//go:build linux

package syncbench

import (
	"flag"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/sealpost/sealpost/mail/testservers"
)

// Folder sizes of the benchmarks: the realistic INBOX holds corpusMessages
// realistic messages; the large one holds the small corpus largeCopies
// times over, as hard links.
const (
	corpusMessages = 10_000
	largeCopies    = 10
)

// benchRounds is how often each case runs per benchmark iteration; the
// best run counts.
var benchRounds = flag.Int("syncbench.rounds", 3, "run each case `n` times; the best run counts")

// sharedCorpus is a corpus generated at most once per run and removed by
// TestMain.
type sharedCorpus struct {
	once sync.Once
	c    *corpus
	keys *corpusKeys // of the realistic corpus
	took time.Duration
	err  error
}

var (
	smallCorpus     sharedCorpus
	realisticCorpus sharedCorpus
)

// get returns the corpus, generating it on first use with make.
func (s *sharedCorpus) get(b *testing.B, make func(dir string) (*corpus, *corpusKeys, error)) (*corpus, *corpusKeys) {
	b.Helper()
	s.once.Do(func() {
		start := time.Now()
		dir, err := os.MkdirTemp("", "syncbench-corpus-")
		if err != nil {
			s.err = fmt.Errorf("create the corpus directory: %w", err)
			return
		}
		s.c, s.keys, s.err = make(dir)
		if s.err != nil {
			os.RemoveAll(dir)
		}
		s.took = time.Since(start)
	})
	if s.err != nil {
		b.Fatal(s.err)
	}
	b.Logf("corpus: %d messages, %.0f MB, generated in %.2f s (once per run)", len(s.c.files), mb(s.c.bytes()), s.took.Seconds())
	return s.c, s.keys
}

// removeSharedCorpora deletes the shared corpora that were generated.
func removeSharedCorpora() {
	for _, s := range []*sharedCorpus{&smallCorpus, &realisticCorpus} {
		if s.c != nil {
			os.RemoveAll(s.c.dir)
		}
	}
}

// benchServers starts Dovecot and Postfix (AddAccount logs in to both) and
// returns them with the owner of their mail storage.
func benchServers(b *testing.B) (*testservers.Servers, mailOwner) {
	b.Helper()
	srv := testservers.Start(b)
	owner, err := ownerOf(srv)
	if err != nil {
		b.Fatal(err)
	}
	return srv, owner
}

// BenchmarkRealistic compares a cold full sync of 10,000 realistic
// messages (about 36 KB each, some encrypted to the profile's key) into an
// empty profile, indexing included, with the limit and with mbsync; and a
// no-change resync inside a running session with mbsync's. Each case runs
// benchRounds times and the best run counts; the ns/op covers all of them.
func BenchmarkRealistic(b *testing.B) {
	srv, owner := benchServers(b)
	c, keys := realisticCorpus.get(b, func(dir string) (*corpus, *corpusKeys, error) {
		keys, err := newCorpusKeys()
		if err != nil {
			return nil, nil, err
		}
		c, err := newCorpusOf(dir, corpusMessages, owner, keys.generator())
		return c, keys, err
	})
	ownKey, err := keys.ownerSecret()
	if err != nil {
		b.Fatal(err)
	}
	user := "alice@" + srv.Domain
	filled := populate(b, srv, user, c, 1, owner, true)
	t := newTimings()
	b.ResetTimer()
	for range b.N {
		measureFull(b, srv, user, len(c.files), *benchRounds, ownKey, t)
	}
	b.StopTimer()
	b.ReportMetric(filled.Seconds(), "populate-s")
	for _, name := range []string{caseLimitFull, caseOursFull, caseMbsyncFull, caseOursResync, caseMbsyncResync} {
		b.ReportMetric(t.seconds(name), name+"-s")
	}
	b.ReportMetric(t.seconds(caseOursFull+storedSuffix), caseOursFull+storedSuffix+"-s")
	b.ReportMetric(t.ratio(caseOursFull, caseLimitFull), "ours/limit")
	b.ReportMetric(t.ratio(caseOursFull, caseMbsyncFull), "ours/mbsync")
	b.ReportMetric(t.ratio(caseOursResync, caseMbsyncResync), "resync-ours/mbsync")
	b.ReportMetric(mb(t.peakRSS[caseOursFull]), "ours-peak-MB")
	b.Log(fullTable(len(c.files), t))
}

// BenchmarkLarge compares a headers-only sync and a full sync (indexing
// included) of a 100,000-message INBOX into an empty profile with the
// limit, and reports the peak RSS of the process that ran ours. Each case
// runs benchRounds times and the best run counts.
func BenchmarkLarge(b *testing.B) {
	srv, owner := benchServers(b)
	c, _ := smallCorpus.get(b, func(dir string) (*corpus, *corpusKeys, error) {
		c, err := newCorpus(dir, corpusMessages, owner)
		return c, nil, err
	})
	user := "bob@" + srv.Domain
	n := len(c.files) * largeCopies
	filled := populate(b, srv, user, c, largeCopies, owner, true)
	t := newTimings()
	b.ResetTimer()
	for range b.N {
		measureLarge(b, srv, user, n, *benchRounds, t)
	}
	b.StopTimer()
	b.ReportMetric(filled.Seconds(), "populate-s")
	for _, name := range []string{caseLimitHeaders, caseOursHeaders, caseLimitFull, caseOursFull} {
		b.ReportMetric(t.seconds(name), name+"-s")
	}
	b.ReportMetric(t.ratio(caseOursHeaders, caseLimitHeaders), "headers-ours/limit")
	b.ReportMetric(t.ratio(caseOursFull, caseLimitFull), "full-ours/limit")
	b.ReportMetric(mb(t.peakRSS[caseOursHeaders]), "headers-peak-MB")
	b.ReportMetric(mb(t.peakRSS[caseOursFull]), "full-peak-MB")
	b.Log(largeTable(n, t))
}
