package syncbench

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/sealpost/sealpost/mail/testservers"
)

// smokeMessages is the folder size of TestSmoke.
const smokeMessages = 50

// TestMain runs the child sync when childEnv is set (see ours.sync), and
// otherwise the tests and benchmarks, removing the shared corpus after them.
func TestMain(m *testing.M) {
	if req, ok := os.LookupEnv(childEnv); ok {
		if err := runChild(req); err != nil {
			fmt.Fprintln(os.Stderr, "syncbench child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	code := m.Run()
	removeSharedCorpus()
	os.Exit(code)
}

// TestSmoke runs every piece of the benchmarks once on a folder of
// smokeMessages messages: population, the limit, ours (full, no-change,
// headers-only) and mbsync, each checked to have fetched or stored every
// message.
func TestSmoke(t *testing.T) {
	if _, err := os.Stat(mbsyncBin); err != nil {
		if os.Getenv("SEALPOST_REQUIRE_SERVERS") == "1" {
			t.Fatal(errMbsyncMissing)
		}
		t.Skip(errMbsyncMissing)
	}
	srv := testservers.Start(t)
	owner, err := ownerOf(srv)
	if err != nil {
		t.Fatal(err)
	}
	c, err := newCorpus(t.TempDir(), smokeMessages/2, owner)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("full", func(t *testing.T) {
		user := "alice@" + srv.Domain
		populate(t, srv, user, c, 2, owner, true)
		tm := newTimings()
		measureFull(t, srv, user, smokeMessages, 1, tm)
		for _, name := range []string{caseLimitFull, caseOursFull, caseOursFull + storedSuffix, caseMbsyncFull, caseOursResync, caseMbsyncResync} {
			if got := tm.seconds(name); got <= 0 {
				t.Errorf("%s: got = %v s, want > 0", name, got)
			}
		}
		if got := tm.peakRSS[caseOursFull]; got <= 0 {
			t.Errorf("peak RSS of ours: got = %d, want > 0", got)
		}
		t.Log(fullTable(smokeMessages, tm))
	})
	t.Run("headers", func(t *testing.T) {
		user := "bob@" + srv.Domain
		populate(t, srv, user, c, 2, owner, false)
		tm := newTimings()
		measureHeaders(t, srv, user, smokeMessages, 1, tm)
		for _, name := range []string{caseLimitHeaders, caseOursHeaders, caseOursHeaders + storedSuffix, caseOursHdrRe} {
			if got := tm.seconds(name); got <= 0 {
				t.Errorf("%s: got = %v s, want > 0", name, got)
			}
		}
		t.Log(headersTable(smokeMessages, tm))
	})
}

// TestGenerateMessage checks the generated messages' sizes and structure.
func TestGenerateMessage(t *testing.T) {
	dir := t.TempDir()
	owner := mailOwner{uid: os.Getuid(), gid: os.Getgid()}
	c, err := newCorpus(dir, 2*attachmentEvery, owner)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range c.files {
		t.Run(f.name, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(dir, f.name))
			if err != nil {
				t.Fatal(err)
			}
			if len(raw) != f.size {
				t.Errorf("size: got = %d, want %d (recorded)", len(raw), f.size)
			}
			if f.size < minMessageSize || f.size > maxMessageSize+2048 {
				t.Errorf("size: got = %d, want %d..%d", f.size, minMessageSize, maxMessageSize)
			}
			multipart := bytes.Contains(raw, []byte("multipart/mixed"))
			if want := i%attachmentEvery == 0; multipart != want {
				t.Errorf("multipart: got = %v, want %v", multipart, want)
			}
			if got := bytes.Count(raw, []byte("\n")) - bytes.Count(raw, []byte("\r\n")); got != 0 {
				t.Errorf("bare LFs: got = %d, want 0", got)
			}
		})
	}
	if _, err := newCorpus(filepath.Join(dir, "missing"), 1, owner); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("corpus in a missing directory: got = %v, want an error wrapping os.ErrNotExist", err)
	}
}
