package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
)

func TestRateStrength(t *testing.T) {
	tests := []struct {
		name string
		pass string
		want strength
	}{
		{"empty", "", strengthTooShort},
		{"nine mixed characters", "aB3$eF6&h", strengthTooShort},
		{"ten lower-case letters", "abcdefghij", strengthWeak},
		{"one letter repeated", strings.Repeat("a", 40), strengthWeak},
		{"two letters alternating", strings.Repeat("ab", 12), strengthWeak},
		{"ten of every kind", "aB3$eF6&hJ", strengthFair},
		{"thirteen of every kind", "aB3$eF6&hJ9!k", strengthStrong},
		{"four words", "correct horse battery staple", strengthStrong},
		{"non-ASCII letters of both cases", "ÄÖÜäöüßéèêàç", strengthFair},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, bits := rateStrength(tt.pass); got != tt.want {
				t.Errorf("rateStrength(%q) got = %s (%.0f bits), want %s", tt.pass, got, bits, tt.want)
			}
		})
	}
}

func TestFirstRunShowsStrengthWhileTyping(t *testing.T) {
	test.NewTempApp(t)
	ui := newApp(newEngine(t))
	m := ui.strength
	if m == nil {
		t.Fatal("the first-run screen has no strength meter")
	}
	if got, want := m.label.Text, "Use at least 10 characters."; got != want {
		t.Errorf("before typing: label got = %q, want %q", got, want)
	}
	steps := []struct {
		typed    string
		wantWord string
	}{
		{"abc", "too short"},
		{"defghij", "weak"},
		{"K1", "fair"},
		{" and more words", "strong"},
	}
	last := -1.0
	for _, s := range steps {
		test.Type(ui.passphrase, s.typed)
		if !strings.HasPrefix(m.label.Text, "Strength: "+s.wantWord+".") || !strings.Contains(m.label.Text, "at least 10 characters") {
			t.Errorf("after %q: label got = %q, want the word %q and the rule", ui.passphrase.Text, m.label.Text, s.wantWord)
		}
		if got := m.bar.TextFormatter(); got != s.wantWord {
			t.Errorf("after %q: bar text got = %q, want %q", ui.passphrase.Text, got, s.wantWord)
		}
		if m.bar.Value <= last {
			t.Errorf("after %q: bar got = %.2f, want more than %.2f", ui.passphrase.Text, m.bar.Value, last)
		}
		last = m.bar.Value
	}
	ui.passphrase.SetText("")
	if got := m.bar.Value; got != 0 {
		t.Errorf("after clearing: bar got = %.2f, want 0", got)
	}
}
