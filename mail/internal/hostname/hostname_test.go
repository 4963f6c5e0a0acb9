package hostname

import (
	"strings"
	"testing"
)

// TestNormalize: host names come back in ASCII, lower case and without a
// trailing dot; what is not a DNS host name is refused.
func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"imap.example.com":                   "imap.example.com",
		" IMAP.Example.COM. ":                "imap.example.com",
		"localhost":                          "localhost",
		"bücher.example":                     "xn--bcher-kva.example",
		"BÜCHER.Example.":                    "xn--bcher-kva.example",
		"xn--bcher-kva.example":              "xn--bcher-kva.example",
		strings.Repeat("a", 63) + ".example": strings.Repeat("a", 63) + ".example",
	} {
		if got, err := Normalize(in); err != nil || got != want {
			t.Errorf("Normalize(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", " . ", "a..b", ".example.com", "exa mple.com", "ex_ample.com", "ex@mple.com",
		"example.com/x", "-edge.example.net", "edge-.example.net", "\xff.example", strings.Repeat("a", 64) + ".example", strings.Repeat("abcdefghi.", 26) + "example"} {
		if got, err := Normalize(bad); err == nil {
			t.Errorf("Normalize(%q) = %q, want an error", bad, got)
		}
	}
}
