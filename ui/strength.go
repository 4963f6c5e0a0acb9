package ui

import (
	"fmt"
	"math"
	"unicode"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// strength is a rough rating of a passphrase, from its length and the kinds
// of characters in it.
type strength int

const (
	strengthTooShort strength = iota
	strengthWeak
	strengthFair
	strengthStrong
)

// Bits of estimated guessing work at which a passphrase counts as fair and
// as strong.
const (
	fairBits   = 60
	strongBits = 80
)

// String is the word shown to the user.
func (s strength) String() string {
	switch s {
	case strengthWeak:
		return "weak"
	case strengthFair:
		return "fair"
	case strengthStrong:
		return "strong"
	}
	return "too short"
}

// estimateBits is a deliberately simple estimate of the bits of guessing
// work in pass: its length times log2 of the alphabet its character kinds
// span (lower case 26, upper case 26, digits 10, anything else 33). Each
// distinct character counts for at most three, so repeats ("aaaa…",
// "abab…") do not look strong.
func estimateBits(pass string) float64 {
	var lower, upper, digit, other bool
	distinct := map[rune]bool{}
	for _, r := range pass {
		distinct[r] = true
		switch {
		case unicode.IsLower(r):
			lower = true
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsDigit(r):
			digit = true
		default:
			other = true
		}
	}
	pool := 0
	for _, k := range []struct {
		has  bool
		size int
	}{{lower, 26}, {upper, 26}, {digit, 10}, {other, 33}} {
		if k.has {
			pool += k.size
		}
	}
	if pool == 0 {
		return 0
	}
	n := min(utf8.RuneCountInString(pass), 3*len(distinct))
	return float64(n) * math.Log2(float64(pool))
}

// rateStrength rates pass; anything shorter than MinPassphraseRunes is too
// short whatever it contains.
func rateStrength(pass string) (strength, float64) {
	bits := estimateBits(pass)
	switch {
	case utf8.RuneCountInString(pass) < MinPassphraseRunes:
		return strengthTooShort, bits
	case bits >= strongBits:
		return strengthStrong, bits
	case bits >= fairBits:
		return strengthFair, bits
	}
	return strengthWeak, bits
}

// strengthMeter is the label and bar under the first-run passphrase entry.
// It keeps no copy of the passphrase.
type strengthMeter struct {
	label *widget.Label
	bar   *widget.ProgressBar
	word  string
}

func newStrengthMeter() *strengthMeter {
	m := &strengthMeter{label: widget.NewLabel(""), bar: widget.NewProgressBar()}
	m.label.Wrapping = fyne.TextWrapWord
	m.bar.TextFormatter = func() string { return m.word }
	m.update("")
	return m
}

// object is the meter as laid out on the screen.
func (m *strengthMeter) object() fyne.CanvasObject {
	return container.NewVBox(m.bar, m.label)
}

// update shows the rating of pass.
func (m *strengthMeter) update(pass string) {
	rule := fmt.Sprintf("Use at least %d characters.", MinPassphraseRunes)
	if pass == "" {
		m.word = ""
		m.label.SetText(rule)
		m.bar.SetValue(0)
		return
	}
	s, bits := rateStrength(pass)
	m.word = s.String()
	var advice string
	switch s {
	case strengthTooShort:
		advice = rule
	case strengthStrong:
		advice = "A good choice. " + rule
	default:
		advice = rule + " A longer passphrase, or one mixing upper and lower case, digits and symbols, is harder to guess."
	}
	m.label.SetText(fmt.Sprintf("Strength: %s. %s", s, advice))
	m.bar.SetValue(min(bits/100, 1))
}
