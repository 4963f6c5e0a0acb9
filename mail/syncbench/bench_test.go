package syncbench

import (
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/sealpost/sealpost/mail/testservers"
)

// Folder sizes of the benchmarks. The headers-only folder holds the corpus
// headersCopies times over, as hard links.
const (
	fullMessages  = 10_000
	headersCopies = 10
)

// benchRounds is how often each case runs per benchmark iteration; the
// best run counts.
const benchRounds = 3

// sharedCorpus is the 10,000-message corpus both benchmarks fill their
// folders from: generated once per run, removed by TestMain.
var sharedCorpus struct {
	once sync.Once
	c    *corpus
	took time.Duration
	err  error
}

// benchCorpus returns the shared corpus, generating it on first use.
func benchCorpus(b *testing.B, owner mailOwner) *corpus {
	b.Helper()
	sharedCorpus.once.Do(func() {
		start := time.Now()
		dir, err := os.MkdirTemp("", "syncbench-corpus-")
		if err != nil {
			sharedCorpus.err = fmt.Errorf("create the corpus directory: %w", err)
			return
		}
		sharedCorpus.c, sharedCorpus.err = newCorpus(dir, fullMessages, owner)
		if sharedCorpus.err != nil {
			os.RemoveAll(dir)
		}
		sharedCorpus.took = time.Since(start)
	})
	if sharedCorpus.err != nil {
		b.Fatal(sharedCorpus.err)
	}
	b.Logf("corpus: %d messages generated in %.2f s (once per run)", len(sharedCorpus.c.files), sharedCorpus.took.Seconds())
	return sharedCorpus.c
}

// removeSharedCorpus deletes the shared corpus, if one was generated.
func removeSharedCorpus() {
	if sharedCorpus.c != nil {
		os.RemoveAll(sharedCorpus.c.dir)
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

// BenchmarkFullSync compares a full offline sync of a 10,000-message INBOX
// into an empty profile, and a no-change resync, with the limit and with
// mbsync. Each case runs benchRounds times and the best run counts; the
// ns/op covers all of them.
func BenchmarkFullSync(b *testing.B) {
	srv, owner := benchServers(b)
	c := benchCorpus(b, owner)
	user := "alice@" + srv.Domain
	filled := populate(b, srv, user, c, 1, owner, true)
	t := newTimings()
	b.ResetTimer()
	for range b.N {
		measureFull(b, srv, user, fullMessages, benchRounds, t)
	}
	b.StopTimer()
	b.ReportMetric(filled.Seconds(), "populate-s")
	for _, name := range []string{caseLimitFull, caseOursFull, caseMbsyncFull, caseOursResync, caseMbsyncResync} {
		b.ReportMetric(t.seconds(name), name+"-s")
	}
	b.ReportMetric(t.seconds(caseOursFull+storedSuffix), caseOursFull+storedSuffix+"-s")
	b.ReportMetric(t.ratio(caseOursFull, caseLimitFull), "ours/limit")
	b.ReportMetric(t.ratio(caseOursFull+storedSuffix, caseLimitFull), "stored/limit")
	b.ReportMetric(t.ratio(caseOursFull, caseMbsyncFull), "ours/mbsync")
	b.ReportMetric(t.ratio(caseOursResync, caseMbsyncResync), "resync-ours/mbsync")
	b.ReportMetric(float64(t.peakRSS[caseOursFull])/(1<<20), "ours-peak-MB")
	b.Log(fullTable(fullMessages, t))
}

// BenchmarkHeadersOnly compares a headers-only sync of a 100,000-message
// INBOX into an empty profile with the limit, and reports the peak RSS of
// the process that ran ours; it also times ours' no-change resync. Each
// case runs benchRounds times and the best run counts.
func BenchmarkHeadersOnly(b *testing.B) {
	srv, owner := benchServers(b)
	c := benchCorpus(b, owner)
	user := "bob@" + srv.Domain
	n := len(c.files) * headersCopies
	filled := populate(b, srv, user, c, headersCopies, owner, false)
	t := newTimings()
	b.ResetTimer()
	for range b.N {
		measureHeaders(b, srv, user, n, benchRounds, t)
	}
	b.StopTimer()
	b.ReportMetric(filled.Seconds(), "populate-s")
	for _, name := range []string{caseLimitHeaders, caseOursHeaders, caseOursHdrRe} {
		b.ReportMetric(t.seconds(name), name+"-s")
	}
	b.ReportMetric(t.seconds(caseOursHeaders+storedSuffix), caseOursHeaders+storedSuffix+"-s")
	b.ReportMetric(t.ratio(caseOursHeaders, caseLimitHeaders), "ours/limit")
	b.ReportMetric(t.ratio(caseOursHeaders+storedSuffix, caseLimitHeaders), "stored/limit")
	b.ReportMetric(float64(t.peakRSS[caseOursHeaders])/(1<<20), "ours-peak-MB")
	b.Log(headersTable(n, t))
}
