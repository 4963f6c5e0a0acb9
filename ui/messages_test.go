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
