package ui

import (
	"slices"
	"testing"
	"time"

	"github.com/sealpost/sealpost/mail/backend"
)

func TestMessageListFilter(t *testing.T) {
	var l messageList
	l.set([]backend.MessageSummary{
		{UID: 1, From: "Bob Example <bob@example.net>", Subject: "Q3 numbers"},
		{UID: 2, From: "Carol <carol@example.com>", Subject: "Lunch?"},
		{UID: 3, From: "bob@example.net", Subject: "Lunch on Friday"},
	})
	uids := func() []uint32 {
		var out []uint32
		for i := 0; i < l.len(); i++ {
			out = append(out, l.at(i).UID)
		}
		return out
	}
	// Each step types on from the previous query or changes it, as a
	// person at the search box would.
	steps := []struct {
		query string
		want  []uint32
	}{
		{"", []uint32{1, 2, 3}},
		{"lu", []uint32{2, 3}},
		{"lunch", []uint32{2, 3}},
		{"lunch ", []uint32{2, 3}},
		{"lunch b", []uint32{3}},
		{"lunch", []uint32{2, 3}},
		{"LUNCH CAROL", []uint32{2}},
		{"q3", []uint32{1}},
		{"nothing", nil},
		{"", []uint32{1, 2, 3}},
	}
	for _, s := range steps {
		l.filter(s.query)
		if got := uids(); !slices.Equal(got, s.want) {
			t.Errorf("filter(%q): got = %v, want %v", s.query, got, s.want)
		}
	}
	l.filter("bob")
	l.set(append(l.all, backend.MessageSummary{UID: 4, From: "Bob <bob@example.net>"}))
	if got := uids(); !slices.Equal(got, []uint32{1, 3, 4}) {
		t.Errorf("after loading again with query bob: got = %v, want [1 3 4]", got)
	}
}

func TestSenderName(t *testing.T) {
	tests := []struct{ name, from, want string }{
		{"display name", `"Bob Example" <bob@example.net>`, "Bob Example"},
		{"bare address", "bob@example.net", "bob@example.net"},
		{"unparsable", "Bob at home", "Bob at home"},
		{"empty", "", "(no sender)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := senderName(tt.from); got != tt.want {
				t.Errorf("got = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestListDate(t *testing.T) {
	now := time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		date time.Time
		want string
	}{
		{"today", time.Date(2026, 11, 20, 9, 5, 0, 0, time.UTC), "09:05"},
		{"yesterday", time.Date(2026, 11, 19, 23, 59, 0, 0, time.UTC), "2026-11-19"},
		{"unknown", time.Time{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := listDate(tt.date, now); got != tt.want {
				t.Errorf("got = %q, want %q", got, tt.want)
			}
		})
	}
}

func BenchmarkMessageListFilter(b *testing.B) {
	all := make([]backend.MessageSummary, 100_000)
	for i := range all {
		all[i] = backend.MessageSummary{UID: uint32(i), From: "Sender <s@example.net>", Subject: "Message " + time.Duration(i).String()}
	}
	var l messageList
	l.set(all)
	b.ResetTimer()
	for b.Loop() {
		l.filter("message 99")
		l.filter("")
	}
}

func TestMessageListSelection(t *testing.T) {
	msgs := []backend.MessageSummary{
		{Account: "a", Folder: "INBOX", UID: 5, Subject: "five"},
		{Account: "a", Folder: "INBOX", UID: 4, Subject: "four"},
		{Account: "a", Folder: "Archive", UID: 4, Subject: "four archived"},
		{Account: "a", Folder: "INBOX", UID: 2, Subject: "two"},
		{Account: "a", Folder: "INBOX", UID: 1, Subject: "one"},
	}
	type click struct {
		row            int
		toggle, extend bool
	}
	tests := []struct {
		name   string
		clicks []click
		want   []string // selected subjects in list order
		last   string   // the message clicked last, if still selected
	}{
		{"plain click", []click{{row: 1}}, []string{"four"}, "four"},
		{"plain click replaces", []click{{row: 1}, {row: 3}}, []string{"two"}, "two"},
		{"ctrl adds", []click{{row: 0}, {row: 2, toggle: true}}, []string{"five", "four archived"}, "four archived"},
		{"ctrl removes", []click{{row: 0}, {row: 2, toggle: true}, {row: 2, toggle: true}}, []string{"five"}, ""},
		{"shift extends down", []click{{row: 1}, {row: 3, extend: true}}, []string{"four", "four archived", "two"}, "two"},
		{"shift extends up", []click{{row: 3}, {row: 0, extend: true}}, []string{"five", "four", "four archived", "two"}, "five"},
		{"shift moves the range", []click{{row: 2}, {row: 4, extend: true}, {row: 1, extend: true}}, []string{"four", "four archived"}, "four"},
		{"ctrl+shift adds a range", []click{{row: 0}, {row: 3, toggle: true}, {row: 4, toggle: true, extend: true}}, []string{"five", "two", "one"}, "one"},
		{"shift without anchor", []click{{row: 2, extend: true}}, []string{"four archived"}, "four archived"},
		{"out of range", []click{{row: 1}, {row: 9}}, []string{"four"}, "four"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var l messageList
			l.set(msgs)
			for _, c := range tt.clicks {
				l.click(c.row, c.toggle, c.extend)
			}
			var got []string
			for _, m := range l.selection() {
				got = append(got, m.Subject)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("selection got = %q, want %q", got, tt.want)
			}
			last, ok := l.lastClicked()
			if (tt.last != "") != ok || last.Subject != tt.last {
				t.Errorf("last clicked got = %q (%v), want %q", last.Subject, ok, tt.last)
			}
			for row := range l.len() {
				if want := slices.Contains(tt.want, l.at(row).Subject); l.isSelected(row) != want {
					t.Errorf("row %d selected got = %v, want %v", row, l.isSelected(row), want)
				}
			}
		})
	}
}

func TestMessageListSelectionFollowsRows(t *testing.T) {
	var l messageList
	l.set([]backend.MessageSummary{
		{Account: "a", Folder: "INBOX", UID: 3, Subject: "Lunch"},
		{Account: "a", Folder: "INBOX", UID: 2, Subject: "Budget"},
		{Account: "a", Folder: "INBOX", UID: 1, Subject: "Lunch again"},
	})
	subjectsOf := func(ms []backend.MessageSummary) []string {
		var out []string
		for _, m := range ms {
			out = append(out, m.Subject)
		}
		return out
	}
	steps := []struct {
		name string
		do   func()
		want []string
	}{
		{"select all", l.selectAll, []string{"Lunch", "Budget", "Lunch again"}},
		{"filter drops hidden rows", func() { l.filter("lunch") }, []string{"Lunch", "Lunch again"}},
		{"clearing the filter keeps them dropped", func() { l.filter("") }, []string{"Lunch", "Lunch again"}},
		{"remove", func() { l.remove(map[msgKey]bool{{"a", "INBOX", 3}: true}) }, []string{"Lunch again"}},
		{"reload keeps the listed", func() { l.set(append([]backend.MessageSummary(nil), l.all...)) }, []string{"Lunch again"}},
		{"unselect", l.unselect, nil},
	}
	for _, s := range steps {
		s.do()
		if got := subjectsOf(l.selection()); !slices.Equal(got, s.want) {
			t.Errorf("%s: selection got = %q, want %q", s.name, got, s.want)
		}
	}
}

func TestSpansFolders(t *testing.T) {
	tests := []struct {
		name              string
		msgs              []backend.MessageSummary
		folders, accounts bool
	}{
		{"empty", nil, false, false},
		{"one folder", []backend.MessageSummary{{Account: "a", Folder: "INBOX"}, {Account: "a", Folder: "INBOX", UID: 2}}, false, false},
		{"two folders", []backend.MessageSummary{{Account: "a", Folder: "INBOX"}, {Account: "a", Folder: "Archive"}}, true, false},
		{"two accounts", []backend.MessageSummary{{Account: "a", Folder: "INBOX"}, {Account: "b", Folder: "INBOX"}}, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var l messageList
			l.set(tt.msgs)
			if f, a := l.spansFolders(); f != tt.folders || a != tt.accounts {
				t.Errorf("got = %v, %v, want %v, %v", f, a, tt.folders, tt.accounts)
			}
		})
	}
}

// BenchmarkSelectAllAndMarkRead selects all of 100,000 rows, lists the
// selection and applies a change to every selected message, as Ctrl+A
// then Mark read does.
func BenchmarkSelectAllAndMarkRead(b *testing.B) {
	all := make([]backend.MessageSummary, 100_000)
	for i := range all {
		all[i] = backend.MessageSummary{Account: "a", Folder: "INBOX", UID: uint32(i + 1), Subject: "Message"}
	}
	var l messageList
	l.set(all)
	for b.Loop() {
		l.selectAll()
		sel := l.selection()
		l.changeAll(sel, func(m *backend.MessageSummary) { m.Seen = !m.Seen })
	}
}
