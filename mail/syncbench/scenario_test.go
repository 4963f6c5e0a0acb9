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

// Names of the measured cases.
const (
	caseLimitFull    = "limit-full"
	caseOursFull     = "ours-full"
	caseMbsyncFull   = "mbsync-full"
	caseOursResync   = "ours-resync"
	caseMbsyncResync = "mbsync-resync"
	caseLimitHeaders = "limit-headers"
	caseOursHeaders  = "ours-headers"
	caseOursHdrRe    = "ours-headers-resync"
)

// storedSuffix names the part of a case of ours until the last new message
// was stored (see childReport.StoredSeconds).
const storedSuffix = "-stored"

// timings collects the durations of the measured cases.
type timings struct {
	runs    map[string][]time.Duration
	peakRSS map[string]int64 // bytes, largest seen per case
}

func newTimings() *timings {
	return &timings{runs: map[string][]time.Duration{}, peakRSS: map[string]int64{}}
}

func (t *timings) add(name string, d time.Duration) { t.runs[name] = append(t.runs[name], d) }

func (t *timings) addSync(name string, r syncRun) {
	t.add(name, r.elapsed)
	if r.stored > 0 {
		t.add(name+storedSuffix, r.stored)
	}
	t.peakRSS[name] = max(t.peakRSS[name], r.peakRSS)
}

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

// measureFull runs the full-sync cases on user's INBOX of n messages,
// each rounds times: the limit and ours into an empty profile, alternating;
// then mbsync into an empty Maildir once (it takes ten times as long and
// its noise does not change the verdict); then the no-change runs of ours
// and mbsync, alternating. It checks that each fetched or stored all n
// messages.
func measureFull(tb testing.TB, srv *testservers.Servers, user string, n, rounds int, t *timings) {
	tb.Helper()
	dir, err := os.MkdirTemp("", "syncbench-full-")
	if err != nil {
		tb.Fatal(err)
	}
	defer os.RemoveAll(dir)

	var o *ours
	for r := range rounds {
		timeLimit(tb, srv, user, n, true, t)
		if o, err = newOurs(tb.Context(), srv, user, filepath.Join(dir, fmt.Sprintf("profile%d", r))); err != nil {
			tb.Fatal(err)
		}
		timeOurs(tb, o, caseOursFull, false, t)
		if total, offline, err := o.count(); err != nil || total != n || offline != n {
			tb.Fatalf("%s: got = %d messages (%d offline), %v, want %d (all offline)", caseOursFull, total, offline, err, n)
		}
	}

	m, err := newMbsync(srv, user, dir)
	if err != nil {
		tb.Fatal(err)
	}
	timeMbsync(tb, m, caseMbsyncFull, n, t)
	for range rounds {
		timeOurs(tb, o, caseOursResync, false, t)
		if total, _, err := o.count(); err != nil || total != n {
			tb.Fatalf("%s: got = %d messages, %v, want %d", caseOursResync, total, err, n)
		}
		timeMbsync(tb, m, caseMbsyncResync, n, t)
	}
}

// measureHeaders runs the headers-only cases on user's INBOX of n messages,
// each rounds times: the limit without bodies and ours headers-only into an
// empty profile, alternating, then ours' no-change run.
func measureHeaders(tb testing.TB, srv *testservers.Servers, user string, n, rounds int, t *timings) {
	tb.Helper()
	dir, err := os.MkdirTemp("", "syncbench-headers-")
	if err != nil {
		tb.Fatal(err)
	}
	defer os.RemoveAll(dir)

	var o *ours
	for r := range rounds {
		timeLimit(tb, srv, user, n, false, t)
		if o, err = newOurs(tb.Context(), srv, user, filepath.Join(dir, fmt.Sprintf("profile%d", r))); err != nil {
			tb.Fatal(err)
		}
		timeOurs(tb, o, caseOursHeaders, true, t)
		if total, offline, err := o.count(); err != nil || total != n || offline != 0 {
			tb.Fatalf("%s: got = %d messages (%d offline), %v, want %d (none offline)", caseOursHeaders, total, offline, err, n)
		}
	}
	for range rounds {
		timeOurs(tb, o, caseOursHdrRe, true, t)
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

// timeOurs runs one sync of ours and records it as the case name.
func timeOurs(tb testing.TB, o *ours, name string, headersOnly bool, t *timings) {
	tb.Helper()
	var profile string
	if *cpuProfileDir != "" {
		profile = filepath.Join(*cpuProfileDir, fmt.Sprintf("%s-%d.pprof", name, len(t.runs[name])+1))
	}
	run, err := o.sync(headersOnly, profile)
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
	fmt.Fprintf(&b, "\n%-30s %9s %9s %9s %9s %11s %12s %10s  %s\n", "case", "ours s", "stored s", "limit s", "mbsync s", "ours/limit", "ours/mbsync", "ours RSS", "target")
	fmt.Fprintf(&b, "%-30s %9.2f %9.2f %9.2f %9.2f %11.2f %12.2f %7d MB  %s\n", fmt.Sprintf("full sync, %d msgs", n),
		t.seconds(caseOursFull), t.seconds(caseOursFull+storedSuffix), t.seconds(caseLimitFull), t.seconds(caseMbsyncFull),
		t.ratio(caseOursFull, caseLimitFull), t.ratio(caseOursFull, caseMbsyncFull), t.peakRSS[caseOursFull]>>20,
		"<= 1.5 x limit, <= 0.5 x mbsync")
	fmt.Fprintf(&b, "%-30s %9.2f %9s %9s %9.2f %11s %12.2f %7d MB  %s\n", fmt.Sprintf("no-change resync, %d msgs", n),
		t.seconds(caseOursResync), "-", "-", t.seconds(caseMbsyncResync),
		"-", t.ratio(caseOursResync, caseMbsyncResync), t.peakRSS[caseOursResync]>>20, "<= 1.0 x mbsync")
	return b.String()
}

// headersTable renders the headers-only results for a log.
func headersTable(n int, t *timings) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n%-30s %9s %9s %9s %11s %10s  %s\n", "case", "ours s", "stored s", "limit s", "ours/limit", "ours RSS", "target")
	fmt.Fprintf(&b, "%-30s %9.2f %9.2f %9.2f %11.2f %7d MB  %s\n", fmt.Sprintf("headers-only, %d msgs", n),
		t.seconds(caseOursHeaders), t.seconds(caseOursHeaders+storedSuffix), t.seconds(caseLimitHeaders), t.ratio(caseOursHeaders, caseLimitHeaders),
		t.peakRSS[caseOursHeaders]>>20, "<= 1.5 x limit, RSS < 200 MB")
	fmt.Fprintf(&b, "%-30s %9.2f %9s %9s %11s %7d MB  %s\n", fmt.Sprintf("headers no-change, %d msgs", n),
		t.seconds(caseOursHdrRe), "-", "-", "-", t.peakRSS[caseOursHdrRe]>>20, "(mbsync: about 0.5 s at 100k)")
	return b.String()
}
