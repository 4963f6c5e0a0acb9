package ui

import (
	"fmt"
	"math"
	"os/user"
	"strings"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
	"github.com/trustelem/zxcvbn"
	"github.com/trustelem/zxcvbn/match"
)

// MinPassphraseScore is the lowest zxcvbn score (0 to 4) the first-run
// screen accepts for the profile's passphrase. Score 3 means zxcvbn
// estimates at least 10^8 guesses: with the profile's Argon2id, months of
// work for one attacker's machine; score 4 (10^10 guesses) is called
// strong.
const MinPassphraseScore = 3

// guessesPerSecond is the attacker the crack time assumes: a copy of the
// profile and hardware that tries this many passphrases a second against
// its Argon2id (a generous figure, so the time shown errs short).
const guessesPerSecond = 1e4

// scoreWords are the words for zxcvbn's scores 0 to 4.
var scoreWords = [...]string{"very weak", "weak", "fair", "good", "strong"}

// rating is what the meter shows about a passphrase.
type rating struct {
	score    int     // zxcvbn's, 0 to 4
	guesses  float64 // zxcvbn's estimate
	tooShort bool    // fewer than MinPassphraseRunes characters
	// feedback says, in words, what makes the passphrase easy to guess
	// (never quoting it) and what would help.
	feedback []string
}

// word is the rating in one word or two.
func (r rating) word() string {
	if r.tooShort {
		return "too short"
	}
	return scoreWords[r.score]
}

// acceptable reports whether a profile may be made with the passphrase.
func (r rating) acceptable() bool { return !r.tooShort && r.score >= MinPassphraseScore }

// rateStrength rates pass with zxcvbn, which also looks for the words of
// inputs (the user's name, login, addresses) in it.
func rateStrength(pass string, inputs []string) rating {
	res := zxcvbn.PasswordStrength(pass, inputs)
	r := rating{score: min(max(res.Score, 0), 4), guesses: res.Guesses, tooShort: utf8.RuneCountInString(pass) < MinPassphraseRunes}
	r.feedback = feedback(res.Sequence, r.score)
	return r
}

// feedback explains, from the patterns zxcvbn found, why a passphrase
// rated score is guessable, and suggests what helps. A strong one gets
// none.
func feedback(seq []*match.Match, score int) []string {
	if score >= 4 {
		return nil
	}
	var out []string
	add := func(s string) {
		for _, x := range out {
			if x == s {
				return
			}
		}
		out = append(out, s)
	}
	for _, m := range seq {
		switch m.Pattern {
		case "dictionary":
			switch m.DictionaryName {
			case "passwords":
				add("It is built on a commonly used password.")
			case "user_inputs":
				add("It contains your name, login or address.")
			case "surnames", "male_names", "female_names":
				add("Names are easy to guess.")
			default:
				if len(seq) == 1 {
					add("A single common word is easy to guess.")
				}
			}
			if m.L33t {
				add("Look-alike swaps such as @ for a or 0 for o hardly help.")
			}
			if m.Reversed {
				add("A word spelled backwards is still easy to guess.")
			}
			if m.UppercaseVariations > 1 && m.I == 0 {
				add("A capital at the start hardly helps.")
			}
		case "spatial":
			add("Rows and patterns of the keyboard are easy to guess.")
		case "repeat":
			add("Repeated characters or groups add little.")
		case "sequence":
			add("Sequences such as abc or 4321 are easy to guess.")
		case "regex", "date":
			add("Years and dates are easy to guess.")
		}
	}
	add("Add another word or two: several uncommon words that do not belong together make a strong passphrase.")
	return out
}

// crackTime is how long the attacker of guessesPerSecond needs to try
// guesses passphrases, in words.
func crackTime(guesses float64) string {
	s := guesses / guessesPerSecond
	units := []struct {
		seconds float64
		name    string
	}{{60 * 60 * 24 * 365 * 100, "century"}, {60 * 60 * 24 * 365, "year"}, {60 * 60 * 24 * 30, "month"},
		{60 * 60 * 24, "day"}, {60 * 60, "hour"}, {60, "minute"}}
	if s >= 1000*units[0].seconds {
		return "more than a thousand centuries"
	}
	for _, u := range units {
		if s >= u.seconds {
			n := math.Floor(s / u.seconds)
			if n == 1 {
				return "about a " + u.name
			}
			name := u.name + "s"
			if u.name == "century" {
				name = "centuries"
			}
			return fmt.Sprintf("about %.0f %s", n, name)
		}
	}
	return "less than a minute"
}

// userInputs are words zxcvbn should treat as easy to guess for this
// user: the login and full name of the system account, and the app's
// name. Addresses are added when they are known.
func userInputs(addresses ...string) []string {
	inputs := []string{"sealpost", "mail"}
	if u, err := user.Current(); err == nil {
		inputs = append(inputs, u.Username)
		inputs = append(inputs, strings.Fields(u.Name)...)
	}
	for _, a := range addresses {
		inputs = append(inputs, a)
		if local, _, ok := strings.Cut(a, "@"); ok {
			inputs = append(inputs, local)
		}
	}
	return inputs
}

// strengthMeter is the label and bar under the first-run passphrase entry.
// It keeps no copy of the passphrase and never shows any part of it.
type strengthMeter struct {
	label  *widget.Label
	bar    *widget.ProgressBar
	word   string
	inputs []string // userInputs
	last   rating   // the rating shown
}

func newStrengthMeter(inputs []string) *strengthMeter {
	m := &strengthMeter{label: widget.NewLabel(""), bar: widget.NewProgressBar(), inputs: inputs}
	m.label.Wrapping = fyne.TextWrapWord
	m.bar.TextFormatter = func() string { return m.word }
	m.update("")
	return m
}

// object is the meter as laid out on the screen.
func (m *strengthMeter) object() fyne.CanvasObject {
	return container.NewVBox(m.bar, m.label)
}

// rule is the requirement in words.
func strengthRule() string {
	return fmt.Sprintf("Use at least %d characters, rated %q or better.", MinPassphraseRunes, scoreWords[MinPassphraseScore])
}

// update shows the rating of pass.
func (m *strengthMeter) update(pass string) {
	if pass == "" {
		m.word, m.last = "", rating{tooShort: true}
		m.label.SetText(strengthRule())
		m.bar.SetValue(0)
		return
	}
	r := rateStrength(pass, m.inputs)
	m.word, m.last = r.word(), r
	lines := []string{fmt.Sprintf("Strength: %s (%d of 4). Guessing it would take %s.", r.word(), r.score, crackTime(r.guesses))}
	if !r.acceptable() {
		lines = append(lines, strengthRule())
	}
	lines = append(lines, r.feedback...)
	m.label.SetText(strings.Join(lines, "\n"))
	// The bar follows the guesses on a log scale, full at 10^14, so that
	// it moves with every character typed and not only when the score
	// steps up.
	m.bar.SetValue(min(max(math.Log10(max(r.guesses, 1))/14, 0.02), 1))
}
