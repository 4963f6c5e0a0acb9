package localstore

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"testing"

	bolt "go.etcd.io/bbolt"
)

func TestShowProtectedHeaders(t *testing.T) {
	s := newTestStore(t)
	m := s.Messages()
	const acct, folder = "a@example.org", "Sent"
	before := []Summary{
		{UID: 1, From: "Alice <a@example.org>", Subject: "[...]", Flags: []string{`\Seen`}, Size: 900},
		{UID: 2, From: "Alice <a@example.org>", Subject: "[...]", Encrypted: true},
		{UID: 3, From: "Alice <a@example.org>", Subject: "Plain"},
	}
	if err := m.PutSummaries(acct, folder, before); err != nil {
		t.Fatal(err)
	}
	err := m.ShowProtectedHeaders(acct, folder, []ProtectedHeaders{
		{UID: 1, Subject: "Budget", From: "Alice Example <a@example.org>"},
		{UID: 2, Subject: "Second", From: "Alice <a@example.org>"},
		{UID: 7, Subject: "Gone", From: "x@example.org"}, // expunged meanwhile
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		uid  uint32
		want Summary
	}{
		{"subject, from and encrypted set; flags kept", 1,
			Summary{UID: 1, From: "Alice Example <a@example.org>", Subject: "Budget", Flags: []string{`\Seen`}, Size: 900, Encrypted: true}},
		{"already encrypted", 2, Summary{UID: 2, From: "Alice <a@example.org>", Subject: "Second", Encrypted: true}},
		{"not listed: untouched", 3, before[2]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := m.Summary(acct, folder, tt.uid)
			if err != nil {
				t.Fatal(err)
			}
			if got.Subject != tt.want.Subject || got.From != tt.want.From || got.Encrypted != tt.want.Encrypted ||
				!slices.Equal(got.Flags, tt.want.Flags) || got.Size != tt.want.Size {
				t.Errorf("Summary(%d) = %+v, want %+v", tt.uid, got, tt.want)
			}
		})
	}
	if _, err := m.Summary(acct, folder, 7); !errors.Is(err, ErrNotFound) {
		t.Errorf("Summary(7) after ShowProtectedHeaders: got error = %v, want ErrNotFound (no summary brought back)", err)
	}
	if err := m.ShowProtectedHeaders(acct, "Elsewhere", []ProtectedHeaders{{UID: 1, Subject: "x"}}); err != nil {
		t.Errorf("ShowProtectedHeaders in a folder without summaries: got error = %v, want nil", err)
	}
	if n, err := m.CountSummaries(acct, "Elsewhere"); err != nil || n != 0 {
		t.Errorf("CountSummaries of that folder = %d, %v; want 0, nil", n, err)
	}
}

// TestShowProtectedHeadersWritesOnlyChanges: a second identical call
// leaves the sealed summary as it is (sealing again would change it: each
// seal takes a fresh nonce).
func TestShowProtectedHeadersWritesOnlyChanges(t *testing.T) {
	s := newTestStore(t)
	m := s.Messages()
	const acct, folder = "a@example.org", "Drafts"
	if err := m.PutSummaries(acct, folder, []Summary{{UID: 5, Subject: "[...]"}}); err != nil {
		t.Fatal(err)
	}
	sealed := func() []byte {
		t.Helper()
		var out []byte
		err := s.view(func(tx *bolt.Tx) error {
			b, err := bucketAt(tx, false, m.path(acct, folder, subSummaries))
			if err != nil {
				return fmt.Errorf("summaries bucket: %w", err)
			}
			if b == nil {
				return errors.New("no summaries bucket")
			}
			out = bytes.Clone(b.Get(uidKey(5)))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	hs := []ProtectedHeaders{{UID: 5, Subject: "Plans", From: "a@example.org"}}
	first := sealed()
	if err := m.ShowProtectedHeaders(acct, folder, hs); err != nil {
		t.Fatal(err)
	}
	second := sealed()
	if bytes.Equal(first, second) {
		t.Fatal("the changed summary was not written")
	}
	if err := m.ShowProtectedHeaders(acct, folder, hs); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(sealed(), second) {
		t.Error("an unchanged summary was sealed and written again")
	}
	if got, err := m.Summary(acct, folder, 5); err != nil || got.Subject != "Plans" {
		t.Errorf("Summary(5) = %+v, %v; want subject Plans", got, err)
	}
}

// TestWritesSkipAnotherMessageWithTheSameUID: when a folder was refilled
// (UIDVALIDITY changed) between reading a message and writing what was
// learnt from it, the protected headers and the search record of the old
// message must not land on the new one that now has its UID.
func TestWritesSkipAnotherMessageWithTheSameUID(t *testing.T) {
	s := newTestStore(t)
	m := s.Messages()
	const acct, folder = "a@example.org", "INBOX"
	old := makeSummaries(1, 2, "old")
	if err := m.PutSummaries(acct, folder, old); err != nil {
		t.Fatal(err)
	}
	if err := m.DropFolderMessages(acct, folder); err != nil { // UIDVALIDITY changed
		t.Fatal(err)
	}
	refilled := makeSummaries(1, 2, "new")
	if err := m.PutSummaries(acct, folder, refilled); err != nil {
		t.Fatal(err)
	}
	if err := m.ShowProtectedHeaders(acct, folder, []ProtectedHeaders{
		{UID: 1, Subject: "Old secret", From: "x@example.org", Of: old[0].Identity()},
		{UID: 2, Subject: "Still it", From: "y@example.org", Of: refilled[1].Identity()},
	}); err != nil {
		t.Fatal(err)
	}
	if got, _ := m.Summary(acct, folder, 1); got.Subject != refilled[0].Subject {
		t.Errorf("UID 1 subject = %q, want %q: the old message's headers landed on the new one", got.Subject, refilled[0].Subject)
	}
	if got, _ := m.Summary(acct, folder, 2); got.Subject != "Still it" {
		t.Errorf("UID 2 subject = %q, want the headers of the same message shown", got.Subject)
	}

	if err := s.SearchIndex().PutBatch(acct, folder, []SearchDoc{
		{UID: 1, Text: []byte("old secret words"), Of: old[0].Identity()},
		{UID: 2, Text: []byte("the same message"), Of: refilled[1].Identity()},
	}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.SearchIndex().Indexed(acct, folder); err != nil || !slices.Equal(got, []uint32{2}) {
		t.Errorf("Indexed = %v, %v; want only UID 2 (UID 1 is another message now)", got, err)
	}
}
