package ui

import (
	"slices"
	"testing"
	"time"

	"github.com/sealpost/sealpost/mail/backend"
)

// listed returns the UIDs of the shown rows in order.
func listed(l *messageList) []uint32 {
	var out []uint32
	for i := 0; i < l.len(); i++ {
		out = append(out, l.at(i).UID)
	}
	return out
}

var day = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

func TestMessageListSort(t *testing.T) {
	var l messageList
	// Loaded newest UID first, as the engine lists them; UID 2 is dated
	// earliest.
	l.set([]backend.MessageSummary{
		{UID: 4, From: "Dana <d@x>", To: "zed@x", Subject: "Re: beta", Date: day.Add(3 * time.Hour), Size: 300, Seen: true},
		{UID: 3, From: "carol@x", To: "Amy <a@x>, Bob <b@x>", Subject: "alpha", Date: day.Add(2 * time.Hour), Size: 100000, Flagged: true, Seen: true},
		{UID: 2, From: "Bob <b@x>", To: "mia@x", Subject: "Gamma", Date: day, Size: 300},
		{UID: 1, From: "Amy <a@x>", Subject: "beta", Date: day.Add(time.Hour), Size: 20, Seen: true},
	})
	if got := listed(&l); !slices.Equal(got, []uint32{4, 3, 1, 2}) {
		t.Errorf("default: got %v, want newest date first", got)
	}
	steps := []struct {
		name   string
		column sortColumn
		want   []uint32
	}{
		{"date again: oldest first", sortDate, []uint32{2, 1, 3, 4}},
		{"sender A to Z", sortCorrespondent, []uint32{1, 2, 3, 4}},
		{"sender Z to A", sortCorrespondent, []uint32{4, 3, 2, 1}},
		{"subject without Re:, A to Z; ties in loaded order", sortSubject, []uint32{3, 4, 1, 2}},
		{"size, largest first; ties in loaded order", sortSize, []uint32{3, 4, 2, 1}},
		{"size, smallest first", sortSize, []uint32{1, 4, 2, 3}},
		{"unread first", sortUnread, []uint32{2, 4, 3, 1}},
		{"flagged first", sortFlagged, []uint32{3, 4, 2, 1}},
	}
	for _, s := range steps {
		l.setView(l.view.sortBy(s.column))
		if got := listed(&l); !slices.Equal(got, s.want) {
			t.Errorf("%s: got %v, want %v", s.name, got, s.want)
		}
	}
	// In sent mail the correspondent is the first recipient.
	l.recipients = true
	l.setView(listView{column: sortCorrespondent, ascending: true})
	if got := listed(&l); !slices.Equal(got, []uint32{1, 3, 2, 4}) {
		t.Errorf("by recipient: got %v, want [1 3 2 4] (no recipient, Amy, mia, zed)", got)
	}
	if got := l.correspondent(l.all[1]); got != "Amy" {
		t.Errorf("correspondent of a message to two: got %q, want Amy", got)
	}
	// The filter searches the recipients there.
	l.set(l.all)
	l.filter("mia")
	if got := listed(&l); !slices.Equal(got, []uint32{2}) {
		t.Errorf("filter by recipient: got %v, want [2]", got)
	}
}

func TestSubjectKey(t *testing.T) {
	for in, want := range map[string]string{
		"Re: Re: Plans":     "plans",
		"FWD: re:plans":     "plans",
		"  AW: Sv: Plans  ": "plans",
		"Plans: Re: later":  "plans: re: later",
		"":                  "",
		"Re:":               "",
	} {
		if got := subjectKey(in); got != want {
			t.Errorf("subjectKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSplitAddresses(t *testing.T) {
	got := splitAddresses(`"Doe, Jane" <j@x>, bob@x,  Carl <c@x>`)
	if want := []string{`"Doe, Jane" <j@x>`, "bob@x", "Carl <c@x>"}; !slices.Equal(got, want) {
		t.Errorf("splitAddresses = %q, want %q", got, want)
	}
	if got := firstAddress(`"Doe, Jane" <j@x>, bob@x`); senderName(got) != "Doe, Jane" {
		t.Errorf("firstAddress = %q, want Jane's", got)
	}
}

func TestSizeText(t *testing.T) {
	for n, want := range map[uint32]string{0: "", 512: "512 B", 1536: "2 kB", 3 << 20: "3.0 MB"} {
		if got := sizeText(n); got != want {
			t.Errorf("sizeText(%d) = %q, want %q", n, got, want)
		}
	}
}

// threadFixture is a conversation, a side branch, an answer whose parent is
// missing but whose References name the root, a loop, and a lone message.
func threadFixture() []backend.MessageSummary {
	return []backend.MessageSummary{
		{UID: 9, MessageID: "lone", Subject: "Lone", Date: day.Add(9 * time.Hour)},
		{UID: 8, MessageID: "e", InReplyTo: "missing", References: []string{"a", "missing"}, Subject: "Re: Plan (late)", Date: day.Add(8 * time.Hour)},
		{UID: 7, MessageID: "loop1", InReplyTo: "loop2", Subject: "Loop one", Date: day.Add(7 * time.Hour)},
		{UID: 6, MessageID: "loop2", InReplyTo: "loop1", Subject: "Loop two", Date: day.Add(-time.Hour)},
		{UID: 4, MessageID: "c", InReplyTo: "b", References: []string{"a", "b"}, Subject: "Re: Re: Plan", Date: day.Add(3 * time.Hour)},
		{UID: 3, MessageID: "d", InReplyTo: "a", Subject: "Re: Plan (side)", Date: day.Add(2 * time.Hour)},
		{UID: 2, MessageID: "b", InReplyTo: "a", Subject: "Re: Plan", Date: day.Add(time.Hour)},
		{UID: 1, MessageID: "a", Subject: "Plan", Date: day},
	}
}

func TestMessageListThreads(t *testing.T) {
	var l messageList
	l.set(threadFixture())
	l.setView(listView{column: sortDate, threaded: true})
	// Threads sort by their newest message: Lone (9h), Plan (its late
	// answer, 8h), the loop (7h). Answers follow in date order, indented.
	wantUIDs := []uint32{9, 1, 2, 4, 3, 8, 7, 6}
	wantDepth := []int{0, 0, 1, 2, 1, 1, 0, 1}
	if got := listed(&l); !slices.Equal(got, wantUIDs) {
		t.Fatalf("threaded rows: got %v, want %v", got, wantUIDs)
	}
	for row, want := range wantDepth {
		if got := l.rowDepth(row); got != want {
			t.Errorf("row %d (UID %d): depth %d, want %d", row, l.at(row).UID, got, want)
		}
	}
	if n, collapsed := l.answers(1); n != 4 || collapsed {
		t.Errorf("Plan's answers: %d, collapsed %v; want 4, open", n, collapsed)
	}
	if got := l.threadOf(3); got != 1 {
		t.Errorf("threadOf(row 3) = %d, want 1 (Plan)", got)
	}

	// Collapsing hides the answers and keeps only shown rows selected.
	l.click(3, false, false)
	if !l.setCollapsed(1, true) {
		t.Fatal("collapsing Plan changed nothing")
	}
	if got := listed(&l); !slices.Equal(got, []uint32{9, 1, 7, 6}) {
		t.Errorf("collapsed: got %v, want [9 1 7 6]", got)
	}
	if len(l.selection()) != 0 {
		t.Errorf("a hidden answer stays selected: %v", l.selection())
	}
	if n, collapsed := l.answers(1); n != 4 || !collapsed {
		t.Errorf("collapsed Plan: %d answers, collapsed %v; want 4, collapsed", n, collapsed)
	}
	if l.setCollapsed(1, true) || l.setCollapsed(0, true) {
		t.Error("collapsing again, or a thread without answers, reported a change")
	}
	// A collapsed thread stays collapsed when the folder loads again.
	l.set(threadFixture())
	if got := listed(&l); !slices.Equal(got, []uint32{9, 1, 7, 6}) {
		t.Errorf("reloaded: got %v, want Plan still collapsed", got)
	}
	l.setCollapsed(1, false)

	// The filter threads what matches: the side answer alone is a root.
	l.filter("side")
	if got := listed(&l); !slices.Equal(got, []uint32{3}) || l.rowDepth(0) != 0 {
		t.Errorf("filtered: got %v at depth %d, want [3] at 0", got, l.rowDepth(0))
	}
	l.filter("")

	// Sorted by subject, threads go by their root's subject.
	l.setView(listView{column: sortSubject, ascending: true, threaded: true})
	if got := listed(&l); !slices.Equal(got, []uint32{9, 7, 6, 1, 2, 4, 3, 8}) {
		t.Errorf("threads by subject: got %v", got)
	}
	// Unthreaded again: no depths.
	l.setView(defaultView)
	if l.rowDepth(1) != 0 || l.threadOf(3) != 3 {
		t.Error("unthreaded rows still have depths")
	}
}

func TestMessageListHide(t *testing.T) {
	var l messageList
	l.set(threadFixture())
	keys := map[msgKey]bool{keyOf(l.all[0]): true, keyOf(l.all[1]): true}
	l.click(0, false, false)
	l.hide(keys)
	if got := listed(&l); slices.Contains(got, 9) || slices.Contains(got, 8) || len(got) != 6 {
		t.Errorf("hidden: got %v, want 9 and 8 gone", got)
	}
	if len(l.selection()) != 0 {
		t.Error("a hidden message stays selected")
	}
	if got := l.unread(); got != 6 {
		t.Errorf("unread while hidden = %d, want 6 of 8", got)
	}
	l.set(threadFixture()) // the folder loads again meanwhile
	if got := listed(&l); len(got) != 6 {
		t.Errorf("reloaded while hidden: %v, want 6 rows", got)
	}
	l.unhide(keys)
	if got := listed(&l); len(got) != 8 {
		t.Errorf("unhidden: %v, want all 8", got)
	}
}
