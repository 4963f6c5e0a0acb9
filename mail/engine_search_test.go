package mail

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail/backend"
)

func TestEngineSearch(t *testing.T) {
	e := engineWithMail(t)
	ctx := context.Background()
	var calls []backend.IndexProgress
	record := func(pr backend.IndexProgress) { calls = append(calls, pr) }

	got, err := e.Search(ctx, backend.SearchQuery{Text: "REMEMBER"}, record)
	if err != nil {
		t.Fatal(err)
	}
	want := backend.MessageSummary{Account: "alice@example.org", Folder: "INBOX", UID: 7, From: "alice@example.org",
		Subject: "Note to self", Seen: true, Encrypted: true}
	if len(got) == 1 {
		// the fixture's clock and what the store keeps besides
		want.Date, want.MessageID, want.Flags, want.Size, want.Offline = got[0].Date, got[0].MessageID, got[0].Flags, got[0].Size, got[0].Offline
	}
	if len(got) != 1 || !reflect.DeepEqual(got[0], want) {
		t.Fatalf("Search(REMEMBER) = %+v, want [%+v]", got, want)
	}
	if wantCalls := []backend.IndexProgress{{Done: 0, Total: 1}, {Done: 1, Total: 1}}; !slices.Equal(calls, wantCalls) {
		t.Errorf("progress = %v, want %v", calls, wantCalls)
	}
	calls = nil
	if got, err := e.Search(ctx, backend.SearchQuery{Text: "forgotten"}, record); err != nil || len(got) != 0 {
		t.Errorf("Search(forgotten) = %v, %v; want no results", got, err)
	}
	if wantCalls := []backend.IndexProgress{{Done: 0, Total: 0}}; !slices.Equal(calls, wantCalls) {
		t.Errorf("progress of a second search = %v, want %v (nothing to index)", calls, wantCalls)
	}
	if _, err := e.Search(ctx, backend.SearchQuery{Text: "  "}, nil); !errors.Is(err, ErrEmptySearch) {
		t.Errorf("empty query: got error = %v, want ErrEmptySearch", err)
	}
	if err := e.Lock(); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Search(ctx, backend.SearchQuery{Text: "remember"}, nil); !errors.Is(err, ErrProfileLocked) {
		t.Errorf("locked: got error = %v, want ErrProfileLocked", err)
	}
	if err := e.updateSearchIndex(ctx, "", "", nil); !errors.Is(err, ErrProfileLocked) {
		t.Errorf("updateSearchIndex while locked: got error = %v, want ErrProfileLocked", err)
	}
}

// storeNotes stores n headers-only messages in alice's INBOX after UID 7.
func storeNotes(t *testing.T, e *Engine, n int) {
	t.Helper()
	err := e.with(t.Context(), func(p *Profile) error {
		sums := make([]localstore.Summary, n)
		for i := range sums {
			sums[i] = localstore.Summary{UID: uint32(100 + i), Subject: fmt.Sprintf("note %d", i), RawOmitted: true}
		}
		return p.store.Messages().PutSummaries("alice@example.org", "INBOX", sums)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestEngineLockDuringIndexing locks the engine between two indexing
// batches: Lock does not wait for the whole run and the search stops.
func TestEngineLockDuringIndexing(t *testing.T) {
	e := engineWithMail(t)
	storeNotes(t, e, searchBatch+10)
	var lockErr error
	locked := false
	_, err := e.Search(context.Background(), backend.SearchQuery{Text: "note"}, func(pr backend.IndexProgress) {
		if pr.Done > 0 && !locked {
			locked = true
			lockErr = e.Lock()
		}
	})
	if !locked || lockErr != nil {
		t.Fatalf("Lock from the progress callback: called %v, error %v; want called, nil", locked, lockErr)
	}
	if !errors.Is(err, ErrProfileLocked) {
		t.Errorf("Search after Lock: got error = %v, want ErrProfileLocked", err)
	}
}

func TestEngineUpdateSearchIndex(t *testing.T) {
	e := engineWithMail(t)
	storeNotes(t, e, searchBatch+1)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := e.updateSearchIndex(ctx, "", "", nil); !errors.Is(err, context.Canceled) {
		t.Errorf("updateSearchIndex with a cancelled context: got error = %v, want context.Canceled", err)
	}
	if err := e.updateSearchIndex(context.Background(), "", "", nil); err != nil {
		t.Fatal(err)
	}
	err := e.with(t.Context(), func(p *Profile) error {
		have, err := p.store.Messages().UIDs("alice@example.org", "INBOX")
		if err != nil {
			return err
		}
		indexed, err := p.store.SearchIndex().Indexed("alice@example.org", "INBOX")
		if err != nil {
			return err
		}
		if !slices.Equal(indexed, have) || len(have) != searchBatch+2 {
			t.Errorf("indexed UIDs = %d of %d stored, want all %d", len(indexed), len(have), searchBatch+2)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestEngineWithoutAccounts: searching and syncing a profile without any
// account fail with ErrNoAccounts, whose words fit the app and the command
// line alike.
func TestEngineWithoutAccounts(t *testing.T) {
	e := newSetupEngine(t)
	ctx := context.Background()
	if _, err := e.Search(ctx, backend.SearchQuery{Text: "anything"}, nil); !errors.Is(err, ErrNoAccounts) {
		t.Errorf("Search: got error = %v, want ErrNoAccounts", err)
	}
	if err := e.Sync(ctx, "", nil); !errors.Is(err, ErrNoAccounts) {
		t.Errorf("Sync: got error = %v, want ErrNoAccounts", err)
	}
}
