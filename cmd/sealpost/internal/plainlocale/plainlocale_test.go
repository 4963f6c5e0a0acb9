package plainlocale

import "testing"

func TestIsPlain(t *testing.T) {
	for locale, want := range map[string]bool{
		"C.UTF-8":     true,
		"C.utf8":      true,
		"POSIX.UTF-8": true,
		"C@euro":      true,
		"C":           false, // Fyne understands these two
		"POSIX":       false,
		"":            false,
		"en_US.UTF-8": false,
		"de_DE@euro":  false,
		"Ca.UTF-8":    false,
	} {
		if got := isPlain(locale); got != want {
			t.Errorf("isPlain(%q) = %v, want %v", locale, got, want)
		}
	}
}
