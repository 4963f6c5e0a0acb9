package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
)

func TestRateStrength(t *testing.T) {
	inputs := []string{"sealpost", "mail", "alice", "Alice", "Example", "alice@example.org"}
	tests := []struct {
		name       string
		pass       string
		acceptable bool
		feedback   string // a phrase the feedback must hold
	}{
		{"empty", "", false, ""},
		{"nine random characters", "aB3$eF6&h", false, ""},
		{"a keyboard row with digits and a symbol", "Qwerty123456!", false, "commonly used password"},
		{"a common password made leet", "P@ssw0rd2024!", false, "Look-alike"},
		{"a sequence", "abcdefghij", false, "Sequences"},
		{"one letter repeated", strings.Repeat("a", 40), false, "Repeated"},
		{"the user's address", "alice@example.org1", false, "your name"},
		{"the app's name and a year", "sealpost2026", false, ""},
		{"a keyboard pattern", "zxcvbnm,./", false, "keyboard"},
		{"four words", "correct horse battery staple", true, ""},
		{"a sentence", "mY cat eats 7 blue lemons", true, ""},
		{"thirteen random characters", "aB3$eF6&hJ9!k", true, ""},
		{"non-ASCII letters", "ÄÖÜäöüßéèêàç", true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rateStrength(tt.pass, inputs)
			if r.acceptable() != tt.acceptable {
				t.Errorf("rateStrength(%q) got = %s (score %d, %.3g guesses), acceptable %v; want acceptable %v",
					tt.pass, r.word(), r.score, r.guesses, r.acceptable(), tt.acceptable)
			}
			if got := strings.Join(r.feedback, " "); !strings.Contains(got, tt.feedback) {
				t.Errorf("rateStrength(%q) feedback got = %q, want it to hold %q", tt.pass, got, tt.feedback)
			}
			if tt.acceptable && r.score == 4 && len(r.feedback) != 0 {
				t.Errorf("rateStrength(%q) feedback got = %q for a strong passphrase, want none", tt.pass, r.feedback)
			}
			for _, f := range r.feedback {
				if tt.pass != "" && len(tt.pass) > 3 && strings.Contains(f, tt.pass) {
					t.Errorf("feedback %q quotes the passphrase", f)
				}
			}
		})
	}
}

func TestCrackTime(t *testing.T) {
	tests := []struct {
		guesses float64
		want    string
	}{
		{1, "less than a minute"},
		{guessesPerSecond * 60, "about a minute"},
		{guessesPerSecond * 60 * 60 * 5, "about 5 hours"},
		{guessesPerSecond * 60 * 60 * 24 * 365 * 3, "about 3 years"},
		{guessesPerSecond * 60 * 60 * 24 * 365 * 100 * 7, "about 7 centuries"},
		{1e30, "more than a thousand centuries"},
	}
	for _, tt := range tests {
		if got := crackTime(tt.guesses); got != tt.want {
			t.Errorf("crackTime(%g) got = %q, want %q", tt.guesses, got, tt.want)
		}
	}
}

func TestFirstRunShowsStrengthWhileTyping(t *testing.T) {
	test.NewTempApp(t)
	ui := newApp(newEngine(t))
	m := ui.strength
	if m == nil {
		t.Fatal("the first-run screen has no strength meter")
	}
	if got := m.label.Text; !strings.Contains(got, "at least 10 characters") || !strings.Contains(got, `"good"`) {
		t.Errorf("before typing: label got = %q, want the rule", got)
	}
	steps := []struct {
		typed    string
		wantWord string
	}{
		{"abc", "too short"},
		{"defghij", "very weak"},
		{"K1", "weak"},
		{" and more words", "strong"},
	}
	last := -1.0
	for _, s := range steps {
		test.Type(ui.passphrase, s.typed)
		if !strings.HasPrefix(m.label.Text, "Strength: "+s.wantWord+" (") || !strings.Contains(m.label.Text, "Guessing it would take") {
			t.Errorf("after %q: label got = %q, want the word %q and the time to guess it", ui.passphrase.Text, m.label.Text, s.wantWord)
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

// TestFirstRunRefusesAGuessablePassphrase: "Qwerty123456!" is long
// enough and mixes every kind of character, but it is a common password:
// no profile is made with it, and the user is told why.
func TestFirstRunRefusesAGuessablePassphrase(t *testing.T) {
	test.NewTempApp(t)
	engine := newEngine(t)
	ui := newApp(engine)
	test.Type(ui.passphrase, "Qwerty123456!")
	test.Type(ui.repeat, "Qwerty123456!")
	if got := ui.strength.label.Text; !strings.Contains(got, "weak") || !strings.Contains(got, "commonly used password") {
		t.Errorf("meter got = %q, want it weak and why", got)
	}
	test.Tap(ui.submit)
	ui.tasks.wait()
	if !strings.Contains(ui.status.Text, "too easy to guess") {
		t.Errorf("status got = %q, want the refusal", ui.status.Text)
	}
	if engine.ProfileExists() {
		t.Fatal("a profile was made with a common password")
	}
}
