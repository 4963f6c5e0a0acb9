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

func TestSetThreadHeaders(t *testing.T) {
	s := newTestStore(t)
	const acct, folder = "a@example.org", "INBOX"
	if err := s.Messages().PutSummaries(acct, folder, []Summary{{UID: 1, Subject: "a"}, {UID: 2, Subject: "b", Flags: []string{`\Seen`}}}); err != nil {
		t.Fatal(err)
	}
	err := s.Messages().SetThreadHeaders(acct, folder, map[uint32]ThreadHeaders{
		2: {InReplyTo: "a@x", References: []string{"a@x"}},
		9: {InReplyTo: "gone@x"}, // not stored: skipped
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Messages().Summary(acct, folder, 2)
	if err != nil || got.InReplyTo != "a@x" || !slices.Equal(got.References, []string{"a@x"}) || got.Subject != "b" || len(got.Flags) != 1 {
		t.Errorf("summary 2 = %+v, %v; want the headers added and the rest kept", got, err)
	}
	if _, err := s.Messages().Summary(acct, folder, 9); err == nil {
		t.Error("SetThreadHeaders stored a summary for an absent UID")
	}
	if err := s.Messages().SetThreadHeaders(acct, folder, nil); err != nil {
		t.Errorf("no headers: %v", err)
	}
}
