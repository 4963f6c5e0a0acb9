package backend

import "testing"

// TestNormDomain: names are kept in lower case without surrounding space
// or a final dot, whatever they are.
func TestNormDomain(t *testing.T) {
	for in, want := range map[string]string{"": "", "Example.NET": "example.net", " mx.example.net. ": "mx.example.net",
		".": "", "a..b.": "a..b", "Bücher.Example": "bücher.example"} {
		if got := NormDomain(in); got != want {
			t.Errorf("NormDomain(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestAddressDomain: the domain after an address's last "@", as
// NormDomain gives it, and nothing for an address without one.
func TestAddressDomain(t *testing.T) {
	for in, want := range map[string]string{"bob@example.net": "example.net", "Bob@Example.NET.": "example.net",
		`"a@b"@c.example `: "c.example", "no-domain": "", "f@": "", "": ""} {
		if got := AddressDomain(in); got != want {
			t.Errorf("AddressDomain(%q) = %q, want %q", in, got, want)
		}
	}
}
