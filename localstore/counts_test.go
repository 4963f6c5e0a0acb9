package localstore

import (
	"slices"
	"testing"
)

func TestCountUnread(t *testing.T) {
	s := newTestStore(t)
	const acct, folder = "a@example.org", "INBOX"
	if unread, total, err := s.Messages().CountUnread(acct, folder); err != nil || unread != 0 || total != 0 {
		t.Fatalf("empty folder: got %d unread of %d, %v; want 0 of 0", unread, total, err)
	}
	batch := []Summary{
		{UID: 1, Flags: []string{`\Seen`}},
		{UID: 2},
		{UID: 3, Flags: []string{`\Flagged`}},
		{UID: 4, Flags: []string{`\seen`, `\Answered`}}, // flags compare without case
	}
	if err := s.Messages().PutSummaries(acct, folder, batch); err != nil {
		t.Fatal(err)
	}
	unread, total, err := s.Messages().CountUnread(acct, folder)
	if err != nil || unread != 2 || total != 4 {
		t.Fatalf("got %d unread of %d, %v; want 2 of 4", unread, total, err)
	}
}

func TestSummaryKeepsThreadHeaders(t *testing.T) {
	s := newTestStore(t)
	sum := Summary{UID: 7, MessageID: "c@x", InReplyTo: "b@x", References: []string{"a@x", "b@x"}}
	if err := s.Messages().PutSummaries("a@example.org", "INBOX", []Summary{sum}); err != nil {
		t.Fatal(err)
	}
	s = reopen(t, s)
	got, err := s.Messages().Summary("a@example.org", "INBOX", 7)
	if err != nil {
		t.Fatal(err)
	}
	if got.InReplyTo != "b@x" || !slices.Equal(got.References, sum.References) {
		t.Errorf("got In-Reply-To %q, References %q; want %q, %q", got.InReplyTo, got.References, sum.InReplyTo, sum.References)
	}
}
