//go:build linux

package syncbench

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sealpost/sealpost/mail/testservers"
)

// Names of the measured cases. A case of ours is a sync as `sealpost sync`
// runs it, indexing included; the resync is a second sync inside a running
// session (one connection, already logged in).
const (
	caseLimitFull    = "limit-full"
	caseOursFull     = "ours-full"
	caseMbsyncFull   = "mbsync-full"
	caseOursResync   = "ours-resync"
	caseMbsyncResync = "mbsync-resync"
	caseLimitHeaders = "limit-headers"
	caseOursHeaders  = "ours-headers"
)

// storedSuffix names the part of a case of ours until the last new message
// was stored (see childReport.StoredSeconds).
const storedSuffix = "-stored"

// timings collects the durations of the measured cases.
type timings struct {
	runs map[string][]time.Duration
	// peakRSS, peakAnon and peakFile are the largest peaks seen per case
	// of ours, in bytes (see syncRun).
	peakRSS, peakAnon, peakFile map[string]int64
}

func newTimings() *timings {
	return &timings{runs: map[string][]time.Duration{}, peakRSS: map[string]int64{}, peakAnon: map[string]int64{}, peakFile: map[string]int64{}}
}

func (t *timings) add(name string, d time.Duration) { t.runs[name] = append(t.runs[name], d) }

func (t *timings) addSync(name string, r syncRun) {
	t.add(name, r.elapsed)
	if r.stored > 0 {
		t.add(name+storedSuffix, r.stored)
	}
	t.peakRSS[name] = max(t.peakRSS[name], r.peakRSS)
	t.peakAnon[name] = max(t.peakAnon[name], r.peakAnon)
	t.peakFile[name] = max(t.peakFile[name], r.peakFile)
}

// mb is bytes in MB (2^20).
func mb(n int64) float64 { return float64(n) / (1 << 20) }

// seconds is the shortest duration of a case in seconds: on a noisy
// machine the best of several runs is the steadiest estimate of each
// contender's own cost.
func (t *timings) seconds(name string) float64 {
	runs := t.runs[name]
	if len(runs) == 0 {
		return 0
	}
	return slices.Min(runs).Seconds()
}

// ratio is the ratio of two cases' best durations.
func (t *timings) ratio(num, den string) float64 {
	if d := t.seconds(den); d > 0 {
		return t.seconds(num) / d
	}
	return 0
}

// populate links copies times every corpus message into user's INBOX and
// lets Dovecot index it, then runs the limit once (with or without bodies)
// so that Dovecot's cache and the page cache are warm for every contender.
// It returns how long the filling and the indexing took.
func populate(tb testing.TB, srv *testservers.Servers, user string, c *corpus, copies int, owner mailOwner, body bool) time.Duration {
	tb.Helper()
	start := time.Now()
	if err := fillInbox(srv, user, c, copies, owner); err != nil {
		tb.Fatal(err)
	}
	filled := time.Since(start)
	want := len(c.files) * copies
	r, err := limitFetch(srv.IMAPTLS, srv.TLSConfig(), user, srv.Users[user], body)
	if err != nil {
		tb.Fatalf("warm-up fetch: %v\n%s", err, srv.Log())
	}
	if r.messages != want {
		tb.Fatalf("warm-up fetch: got = %d messages, want %d", r.messages, want)
	}
	tb.Logf("populate: %d messages linked in %.2f s; Dovecot's first index and warm-up fetch %.2f s",
		want, filled.Seconds(), time.Since(start).Seconds()-filled.Seconds())
	return filled
}

// measureFull runs the full-sync cases on user's INBOX of n messages, each
// rounds times: the limit, ours into an empty profile (holding the secret
// key ownKey, if any) and mbsync into an empty Maildir, in turn; then the
// no-change runs of ours (inside a session) and mbsync, in turn. It checks
// that each fetched or stored all n messages, and that ours indexed them
// all and shows no protected subject's placeholder.
func measureFull(tb testing.TB, srv *testservers.Servers, user string, n, rounds int, ownKey []byte, t *timings) {
	tb.Helper()
	dir, err := os.MkdirTemp("", "syncbench-full-")
	if err != nil {
		tb.Fatal(err)
	}
	defer os.RemoveAll(dir)

	var o *ours
	var m *mbsync
	for r := range rounds {
		timeLimit(tb, srv, user, n, true, t)
		if o != nil {
			os.RemoveAll(o.dir)
		}
		if o, err = newOurs(tb.Context(), srv, user, filepath.Join(dir, fmt.Sprintf("profile%d", r)), ownKey); err != nil {
			tb.Fatal(err)
		}
		timeOurs(tb, o, caseOursFull, modeSync, false, t)
		checkStored(tb, o, caseOursFull, stored{total: n, offline: n, indexed: n})
		if m != nil {
			os.RemoveAll(m.dir)
		}
		mdir := filepath.Join(dir, fmt.Sprintf("mbsync%d", r))
		if err := os.Mkdir(mdir, 0o700); err != nil {
			tb.Fatal(err)
		}
		if m, err = newMbsync(srv, user, mdir); err != nil {
			tb.Fatal(err)
		}
		timeMbsync(tb, m, caseMbsyncFull, n, t)
	}
	for range rounds {
		timeOurs(tb, o, caseOursResync, modeSessionResync, false, t)
		checkStored(tb, o, caseOursResync, stored{total: n, offline: n, indexed: n})
		timeMbsync(tb, m, caseMbsyncResync, n, t)
	}
}

// measureLarge runs the cases of a large INBOX of n messages, each rounds
// times: the limit without bodies and ours headers-only, then the limit
// with bodies and ours' full sync, each of ours into an empty profile.
func measureLarge(tb testing.TB, srv *testservers.Servers, user string, n, rounds int, t *timings) {
	tb.Helper()
	dir, err := os.MkdirTemp("", "syncbench-large-")
	if err != nil {
		tb.Fatal(err)
	}
	defer os.RemoveAll(dir)
	for r := range rounds {
		for _, headersOnly := range []bool{true, false} {
			timeLimit(tb, srv, user, n, !headersOnly, t)
			o, err := newOurs(tb.Context(), srv, user, filepath.Join(dir, fmt.Sprintf("profile%d-%v", r, headersOnly)), nil)
			if err != nil {
				tb.Fatal(err)
			}
			name, want := caseOursFull, stored{total: n, offline: n, indexed: n}
			if headersOnly {
				name, want.offline = caseOursHeaders, 0
			}
			timeOurs(tb, o, name, modeSync, headersOnly, t)
			checkStored(tb, o, name, want)
			os.RemoveAll(o.dir)
		}
	}
}

// checkStored fails tb unless the profile of o holds want.
func checkStored(tb testing.TB, o *ours, name string, want stored) {
	tb.Helper()
	if got, err := o.count(); err != nil || got != want {
		tb.Fatalf("%s: got = %+v, %v, want %+v", name, got, err, want)
	}
}

// timeLimit runs the limit once and checks it fetched n messages, with
// their bodies or without.
func timeLimit(tb testing.TB, srv *testservers.Servers, user string, n int, body bool, t *timings) {
	tb.Helper()
	name := caseLimitHeaders
	if body {
		name = caseLimitFull
	}
	start := time.Now()
	r, err := limitFetch(srv.IMAPTLS, srv.TLSConfig(), user, srv.Users[user], body)
	if err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	t.add(name, time.Since(start))
	if r.messages != n || (r.bytes > 0) != body {
		tb.Fatalf("%s: got = %d messages with %d body bytes, want %d (bodies: %v)", name, r.messages, r.bytes, n, body)
	}
}

// cpuProfileDir makes each sync of ours write a CPU profile into that
// directory, named after its case and run; -cpuprofile profiles only the
// benchmark process, not the children that run ours.
var cpuProfileDir = flag.String("syncbench.cpuprofiles", "", "write a CPU profile of each sync of ours into this `directory`")

// memProfileDir makes each sync of ours write heap profiles into that
// directory, the last one taken near its peak RSS.
var memProfileDir = flag.String("syncbench.memprofiles", "", "write a heap profile of each sync of ours, near its peak, into this `directory`")

// timeOurs runs one sync of ours in mode and records it as the case name.
func timeOurs(tb testing.TB, o *ours, name, mode string, headersOnly bool, t *timings) {
	tb.Helper()
	var cpu, mem string
	if *cpuProfileDir != "" {
		cpu = filepath.Join(*cpuProfileDir, fmt.Sprintf("%s-%d.pprof", name, len(t.runs[name])+1))
	}
	if *memProfileDir != "" {
		mem = filepath.Join(*memProfileDir, fmt.Sprintf("%s-%d.heap", name, len(t.runs[name])+1))
	}
	run, err := o.sync(mode, headersOnly, cpu, mem)
	if err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	t.addSync(name, run)
}

// timeMbsync runs mbsync once, records it as the case name and checks it
// holds n messages.
func timeMbsync(tb testing.TB, m *mbsync, name string, n int, t *timings) {
	tb.Helper()
	d, err := m.run()
	if err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	t.add(name, d)
	if got, err := m.count(); err != nil || got != n {
		tb.Fatalf("%s: got = %d messages, %v, want %d", name, got, err, n)
	}
}

// fullTable renders the full-sync results for a log.
func fullTable(n int, t *timings) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n%-28s %8s %8s %8s %8s %11s %12s %22s  %s\n", "case", "ours s", "stored s", "limit s", "mbsync s",
		"ours/limit", "ours/mbsync", "ours RSS (anon+file)", "target")
	fmt.Fprintf(&b, "%-28s %8.2f %8.2f %8.2f %8.2f %11.2f %12.2f %22s  %s\n", fmt.Sprintf("cold full sync, %d", n),
		t.seconds(caseOursFull), t.seconds(caseOursFull+storedSuffix), t.seconds(caseLimitFull), t.seconds(caseMbsyncFull),
		t.ratio(caseOursFull, caseLimitFull), t.ratio(caseOursFull, caseMbsyncFull), rssText(t, caseOursFull),
		"<= 1.5 x limit, <= 0.5 x mbsync, RSS <= 200 MB")
	fmt.Fprintf(&b, "%-28s %8.3f %8s %8s %8.3f %11s %12.2f %22s  %s\n", fmt.Sprintf("no-change resync, %d", n),
		t.seconds(caseOursResync), "-", "-", t.seconds(caseMbsyncResync),
		"-", t.ratio(caseOursResync, caseMbsyncResync), rssText(t, caseOursResync), "<= 1.0 x mbsync")
	return b.String()
}

// largeTable renders the large-folder results for a log.
func largeTable(n int, t *timings) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n%-28s %8s %8s %8s %11s %22s  %s\n", "case", "ours s", "stored s", "limit s", "ours/limit", "ours RSS (anon+file)", "target")
	fmt.Fprintf(&b, "%-28s %8.2f %8.2f %8.2f %11.2f %22s  %s\n", fmt.Sprintf("headers-only, %d", n),
		t.seconds(caseOursHeaders), t.seconds(caseOursHeaders+storedSuffix), t.seconds(caseLimitHeaders),
		t.ratio(caseOursHeaders, caseLimitHeaders), rssText(t, caseOursHeaders), "<= 1.5 x limit")
	fmt.Fprintf(&b, "%-28s %8.2f %8.2f %8.2f %11.2f %22s  %s\n", fmt.Sprintf("full sync, %d", n),
		t.seconds(caseOursFull), t.seconds(caseOursFull+storedSuffix), t.seconds(caseLimitFull),
		t.ratio(caseOursFull, caseLimitFull), rssText(t, caseOursFull), "RSS <= 300 MB")
	return b.String()
}

// rssText renders the peak RSS of a case and what it was made of.
func rssText(t *timings, name string) string {
	return fmt.Sprintf("%.0f MB (%.0f+%.0f)", mb(t.peakRSS[name]), mb(t.peakAnon[name]), mb(t.peakFile[name]))
}
