package imapsync

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"

	"github.com/sealpost/sealpost/localstore"
)

func TestFullSyncAndResync(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *testServer) {
		ctx := context.Background()
		admin := srv.admin(t)
		want := fill(t, admin, "INBOX", 1, 30, 1500)
		st := newStore(t)
		tap := &wireTap{}
		var events []Progress
		s := newSyncer(t, st, srv.connector("", tap), func(o *Options) {
			o.Progress = func(p Progress) { events = append(events, p) }
		})
		if _, err := s.SyncFolders(ctx); err != nil {
			t.Fatalf("SyncFolders: %v", err)
		}
		if err := s.SyncFolder(ctx, "INBOX"); err != nil {
			t.Fatalf("SyncFolder: %v", err)
		}
		checkStored(t, st, "INBOX", want)
		if got := len(tap.commands(false, "UID FETCH", "BODY.PEEK[]")); got != 5 {
			t.Errorf("FETCH commands with bodies = %d, want 5 (30 messages in batches of 7)", got)
		}
		if last := events[len(events)-1]; last != (Progress{Account: testUser, Folder: "INBOX", Done: 30, Total: 30}) {
			t.Errorf("last progress = %+v, want 30 of 30 for INBOX", last)
		}
		sum, _ := summaryByID(t, st, "INBOX", msgID(3))
		if sum.Subject != "message 3" || sum.From != "Bob Example <bob@example.test>" || sum.RawOmitted {
			t.Errorf("summary of message 3 = %+v, want subject, sender and raw", sum)
		}

		t.Run("no change", func(t *testing.T) {
			tap.commands(true)
			if err := s.SyncFolder(ctx, "INBOX"); err != nil {
				t.Fatalf("SyncFolder: %v", err)
			}
			if got := tap.commands(false, "ENVELOPE"); len(got) != 0 {
				t.Errorf("resync fetched messages again: %q", got)
			}
			if got := tap.commands(false, "RFC822.SIZE"); len(got) != 0 {
				t.Errorf("resync listed new messages although UIDNEXT did not change: %q", got)
			}
			if got := tap.commands(false, "UID FETCH"); srv.condStore && len(got) != 0 {
				// CONDSTORE: an unchanged HIGHESTMODSEQ and message count
				// mean nothing to ask.
				t.Errorf("no-change resync with CONDSTORE sent FETCH commands: %q", got)
			}
			if got := tap.commands(false, "SEARCH"); len(got) != 0 {
				t.Errorf("no-change resync searched for expunges: %q", got)
			}
			checkStored(t, st, "INBOX", want)
		})

		t.Run("new, flagged and expunged", func(t *testing.T) {
			tap.commands(true)
			for id, raw := range fill(t, admin, "INBOX", 31, 2, 800) {
				want[id] = raw
			}
			flagged := serverUID(t, admin, "INBOX", msgID(2))
			if err := admin.Store(imap.UIDSetNum(flagged), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagFlagged}}, nil).Close(); err != nil {
				t.Fatal(err)
			}
			gone := serverUID(t, admin, "INBOX", msgID(5))
			if err := admin.Store(imap.UIDSetNum(gone), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
				t.Fatal(err)
			}
			if err := admin.UIDExpunge(imap.UIDSetNum(gone)).Close(); err != nil {
				t.Fatal(err)
			}
			delete(want, msgID(5))
			if err := s.SyncFolder(ctx, "INBOX"); err != nil {
				t.Fatalf("SyncFolder: %v", err)
			}
			checkStored(t, st, "INBOX", want)
			sum, _ := summaryByID(t, st, "INBOX", msgID(2))
			if !slices.Contains(sum.Flags, string(imap.FlagFlagged)) {
				t.Errorf("flags of message 2 = %q, want \\Flagged", sum.Flags)
			}
			rec, err := st.Folders().Get(testUser, "INBOX")
			if err != nil {
				t.Fatal(err)
			}
			if srv.condStore {
				if rec.HighestModSeq == 0 {
					t.Errorf("HighestModSeq = 0 on a CONDSTORE server, want the folder's value")
				}
				if got := tap.commands(false, "CHANGEDSINCE"); len(got) != 1 {
					t.Errorf("FETCH CHANGEDSINCE commands = %q, want 1", got)
				}
				if got := tap.commands(false, "UID SEARCH"); len(got) != 1 {
					t.Errorf("UID SEARCH commands = %q, want 1 (the message count changed)", got)
				}
			}
		})
	})
}

func TestUIDValidityChange(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *testServer) {
		ctx := context.Background()
		admin := srv.admin(t)
		if err := admin.Create("Work", nil).Wait(); err != nil {
			t.Fatal(err)
		}
		fill(t, admin, "Work", 1, 5, 500)
		st := newStore(t)
		s := newSyncer(t, st, srv.connector("", nil), nil)
		if err := s.SyncFolder(ctx, "Work"); err != nil {
			t.Fatalf("SyncFolder: %v", err)
		}
		before, err := st.Folders().Get(testUser, "Work")
		if err != nil {
			t.Fatal(err)
		}
		// Re-creating a folder gives it a new UIDVALIDITY; its new messages
		// get UIDs that the old ones had.
		if err := admin.Delete("Work").Wait(); err != nil {
			t.Fatal(err)
		}
		if err := admin.Create("Work", nil).Wait(); err != nil {
			t.Fatal(err)
		}
		want := fill(t, admin, "Work", 100, 3, 500)
		if err := s.SyncFolder(ctx, "Work"); err != nil {
			t.Fatalf("SyncFolder after UIDVALIDITY change: %v", err)
		}
		checkStored(t, st, "Work", want)
		after, err := st.Folders().Get(testUser, "Work")
		if err != nil {
			t.Fatal(err)
		}
		if after.UIDValidity == before.UIDValidity {
			t.Errorf("UIDValidity = %d after the change, want a new value", after.UIDValidity)
		}
	})
}

func TestRawPolicy(t *testing.T) {
	srv := startMemServer(t, memCaps)
	admin := srv.admin(t)
	small := testMessage(1, 1000)
	big := testMessage(2, 20000)
	appendMsg(t, admin, "INBOX", small)
	appendMsg(t, admin, "INBOX", big)
	tests := []struct {
		name        string
		headersOnly bool
		maxRaw      int64
		wantRaw     map[string]bool // by Message-ID
	}{
		{"default", false, 0, map[string]bool{msgID(1): true, msgID(2): true}},
		{"size cap", false, 10000, map[string]bool{msgID(1): true, msgID(2): false}},
		{"no cap", false, -1, map[string]bool{msgID(1): true, msgID(2): true}},
		{"headers only", true, 0, map[string]bool{msgID(1): false, msgID(2): false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newStore(t)
			s := newSyncer(t, st, srv.connector("", nil), func(o *Options) {
				o.HeadersOnly, o.MaxRawSize = tt.headersOnly, tt.maxRaw
			})
			if err := s.SyncFolder(context.Background(), "INBOX"); err != nil {
				t.Fatalf("SyncFolder: %v", err)
			}
			for id, wantRaw := range tt.wantRaw {
				sum, ok := summaryByID(t, st, "INBOX", id)
				if !ok {
					t.Fatalf("message %s not stored", id)
				}
				_, err := st.Messages().Raw(testUser, "INBOX", sum.UID)
				if gotRaw := err == nil; gotRaw != wantRaw || sum.RawOmitted == wantRaw {
					t.Errorf("%s: raw stored = %v (err %v), RawOmitted = %v; want raw stored = %v", id, gotRaw, err, sum.RawOmitted, wantRaw)
				}
				if !wantRaw && !errors.Is(err, localstore.ErrNotFound) {
					t.Errorf("%s: Raw error = %v, want ErrNotFound", id, err)
				}
			}
			// Omitted bodies are fetched on demand, and then stored.
			for id := range tt.wantRaw {
				checkFetchRaw(t, s, st, id)
			}
		})
	}
}

func TestInterruptedSync(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *testServer) {
		ctx := context.Background()
		admin := srv.admin(t)
		want := fill(t, admin, "INBOX", 1, 40, 4000)
		proxy := startProxy(t, srv.addr)
		st := newStore(t)
		tap := &wireTap{}
		s := newSyncer(t, st, srv.connector(proxy.addr(), tap), nil)
		// Login, SELECT and the size listing take a few KB; the 40 messages
		// about 200 KB: cut in the middle of the message FETCH responses.
		proxy.arm(100_000)
		err := s.SyncFolder(ctx, "INBOX")
		if err == nil {
			t.Fatal("SyncFolder over a cut connection: got nil error, want one")
		}
		<-proxy.cut
		proxy.disarm()
		stored, err := st.Messages().CountSummaries(testUser, "INBOX")
		if err != nil {
			t.Fatal(err)
		}
		if stored == 0 || stored == len(want) {
			t.Fatalf("after the cut %d of %d messages are stored, want some but not all", stored, len(want))
		}
		rec, err := st.Folders().Get(testUser, "INBOX")
		if err != nil {
			t.Fatal(err)
		}
		if rec.UIDNext != 0 {
			t.Errorf("UIDNext = %d after an interrupted first sync, want 0 (not complete)", rec.UIDNext)
		}
		tap.commands(true)
		if err := s.SyncFolder(ctx, "INBOX"); err != nil {
			t.Fatalf("resumed SyncFolder: %v", err)
		}
		checkStored(t, st, "INBOX", want)
		fetched := 0
		for _, line := range tap.commands(false, "UID FETCH", "BODY.PEEK[]") {
			fetched += countUIDs(t, line)
		}
		if fetched != len(want)-stored {
			t.Errorf("resumed sync fetched %d bodies, want %d (only those not stored)", fetched, len(want)-stored)
		}
	})
}

// countUIDs counts the UIDs in the set of a "TAG UID FETCH set (...)" line.
func countUIDs(t testing.TB, line string) int {
	t.Helper()
	fields := strings.Fields(line)
	if len(fields) < 4 {
		t.Fatalf("unexpected FETCH line %q", line)
	}
	n := 0
	for _, r := range strings.Split(fields[3], ",") {
		lo, hi, isRange := strings.Cut(r, ":")
		a, err := strconv.Atoi(lo)
		if err != nil {
			t.Fatalf("parse UID set in %q: %v", line, err)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil {
				t.Fatalf("parse UID set in %q: %v", line, err)
			}
		}
		n += b - a + 1
	}
	return n
}

func TestSyncFolderCancel(t *testing.T) {
	srv := startMemServer(t, memCaps)
	want := fill(t, srv.admin(t), "INBOX", 1, 30, 500)
	st := newStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := newSyncer(t, st, srv.connector("", nil), func(o *Options) {
		o.InFlight = 1
		o.Progress = func(p Progress) {
			if p.Done > 0 {
				cancel() // after the first stored batch
			}
		}
	})
	if err := s.SyncFolder(ctx, "INBOX"); !errors.Is(err, context.Canceled) {
		t.Fatalf("SyncFolder with a cancelled context: got error %v, want context.Canceled", err)
	}
	// Batches fetched before the cancellation took effect may be stored
	// (how many depends on timing); the next sync completes the folder.
	if err := s.SyncFolder(context.Background(), "INBOX"); err != nil {
		t.Fatalf("SyncFolder after cancel: %v", err)
	}
	checkStored(t, st, "INBOX", want)
}

// checkFetchRaw fetches message id on demand and checks it is then stored.
func checkFetchRaw(t *testing.T, s *Syncer, st *localstore.Store, id string) {
	t.Helper()
	sum, ok := summaryByID(t, st, "INBOX", id)
	if !ok {
		return
	}
	raw, _, err := s.FetchRaw(context.Background(), "INBOX", sum.UID)
	if err != nil {
		t.Fatalf("FetchRaw(%s): %v", id, err)
	}
	stored, err := st.Messages().Raw(testUser, "INBOX", sum.UID)
	if err != nil || !bytes.Equal(stored, raw) || !bytes.Contains(raw, []byte("Message-ID: <"+id+">")) {
		t.Errorf("after FetchRaw(%s): stored %d bytes (%v), fetched %d; want the same message", id, len(stored), err, len(raw))
	}
	if sum, _ := summaryByID(t, st, "INBOX", id); sum.RawOmitted {
		t.Errorf("after FetchRaw(%s): RawOmitted still set", id)
	}
}
