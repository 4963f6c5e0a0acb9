//go:build linux

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
	removeSharedCorpora()
	os.Exit(code)
}

// TestSmoke runs every piece of the benchmarks once on folders of
// smokeMessages messages: population, the limit, ours (full and no-change
// on realistic mail, then headers-only and full on small mail) and mbsync,
// each checked to have fetched or stored (and ours indexed) every message.
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

	t.Run("realistic", func(t *testing.T) {
		keys, err := newCorpusKeys()
		if err != nil {
			t.Fatal(err)
		}
		c, err := newCorpusOf(t.TempDir(), smokeMessages, owner, keys.generator())
		if err != nil {
			t.Fatal(err)
		}
		ownKey, err := keys.ownerSecret()
		if err != nil {
			t.Fatal(err)
		}
		user := "alice@" + srv.Domain
		populate(t, srv, user, c, 1, owner, true)
		tm := newTimings()
		measureFull(t, srv, user, smokeMessages, 1, ownKey, tm)
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
	t.Run("large", func(t *testing.T) {
		c, err := newCorpus(t.TempDir(), smokeMessages/2, owner)
		if err != nil {
			t.Fatal(err)
		}
		user := "bob@" + srv.Domain
		populate(t, srv, user, c, 2, owner, true)
		tm := newTimings()
		measureLarge(t, srv, user, smokeMessages, 1, tm)
		for _, name := range []string{caseLimitHeaders, caseOursHeaders, caseOursHeaders + storedSuffix, caseLimitFull, caseOursFull} {
			if got := tm.seconds(name); got <= 0 {
				t.Errorf("%s: got = %v s, want > 0", name, got)
			}
		}
		t.Log(largeTable(smokeMessages, tm))
	})
}

// TestGenerateRealistic checks the realistic corpus: its average size, its
// mix of kinds, and that the Autocrypt headers and encrypted messages are
// what Sealpost reads.
func TestGenerateRealistic(t *testing.T) {
	keys, err := newCorpusKeys()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	const n = 5 * realisticBlock
	c, err := newCorpusOf(dir, n, mailOwner{uid: os.Getuid(), gid: os.Getgid()}, keys.generator())
	if err != nil {
		t.Fatal(err)
	}
	if avg := c.bytes() / n; avg < realisticAverage*8/10 || avg > realisticAverage*12/10 {
		t.Errorf("average size: got = %d bytes, want %d ± 20%%", avg, realisticAverage)
	}
	kinds := map[string]int{}
	autocrypt := 0
	for i, f := range c.files {
		raw, err := os.ReadFile(filepath.Join(dir, f.name))
		if err != nil {
			t.Fatal(err)
		}
		head := raw[:bytes.Index(raw, []byte("\r\n\r\n"))]
		for _, kind := range []string{"text/plain", "multipart/alternative", "multipart/mixed", "multipart/encrypted"} {
			if bytes.Contains(head, []byte("Content-Type: "+kind)) {
				kinds[kind]++
			}
		}
		if bytes.Contains(head, []byte("\r\nAutocrypt: ")) {
			autocrypt++
		}
		if enc := bytes.Contains(head, []byte("multipart/encrypted")); enc != (i%realisticBlock >= realisticBlock-2) {
			t.Errorf("message %d: encrypted = %v, want every block's last two", i, enc)
		}
		if got := bytes.Count(raw, []byte("\n")) - bytes.Count(raw, []byte("\r\n")); got != 0 {
			t.Errorf("message %d: bare LFs: got = %d, want 0", i, got)
		}
	}
	want := map[string]int{"text/plain": 5 * realisticPlain, "multipart/alternative": 5 * realisticAlternative,
		"multipart/mixed": 5 * realisticAttachment, "multipart/encrypted": 5 * 2}
	for kind, w := range want {
		if kinds[kind] != w {
			t.Errorf("%s: got = %d messages, want %d", kind, kinds[kind], w)
		}
	}
	if autocrypt < n/4 {
		t.Errorf("messages with an Autocrypt header: got = %d, want at least %d", autocrypt, n/4)
	}
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
