package delivery

import (
	"errors"
	"testing"
	"time"
)

func TestParsePolicy(t *testing.T) {
	good := "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmax_age: 604800\r\nextension: ignored\r\n"
	p, err := ParsePolicy(good)
	if err != nil {
		t.Fatal(err)
	}
	if p.Mode != ModeEnforce || len(p.MX) != 2 || p.MaxAge != 7*24*time.Hour {
		t.Errorf("got %+v", p)
	}
	if p, err := ParsePolicy("version: STSv1\nmode: testing\nmx: a.example\nmax_age: 99999999999\n"); err == nil {
		t.Errorf("an 11-digit max_age parsed: %+v", p)
	}
	if p, err := ParsePolicy("version: STSv1\nmode: none\nmax_age: 9999999999\n"); err != nil || p.MaxAge != maxPolicyAge {
		t.Errorf("max_age above a year: %+v, %v; want capped at a year", p, err)
	}
	for name, body := range map[string]string{
		"empty":          "",
		"no version":     "mode: enforce\nmx: a.example\nmax_age: 1\n",
		"wrong version":  "version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 1\n",
		"bad mode":       "version: STSv1\nmode: strict\nmx: a.example\nmax_age: 1\n",
		"no mx":          "version: STSv1\nmode: enforce\nmax_age: 1\n",
		"empty mx":       "version: STSv1\nmode: testing\nmx:\nmax_age: 1\n",
		"no max_age":     "version: STSv1\nmode: enforce\nmx: a.example\n",
		"negative age":   "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: -1\n",
		"not key: value": "version: STSv1\nmode enforce\nmx: a.example\nmax_age: 1\n",
		"html":           "<html><body>not found</body></html>",
	} {
		t.Run(name, func(t *testing.T) {
			if p, err := ParsePolicy(body); !errors.Is(err, ErrInvalidPolicy) {
				t.Errorf("got %+v, %v; want ErrInvalidPolicy", p, err)
			}
		})
	}
}

func TestParseTXT(t *testing.T) {
	for _, tc := range []struct {
		txt, id string
		ok, bad bool
	}{
		{"v=STSv1; id=20160831085700Z", "20160831085700Z", true, false},
		{"v=STSv1;id=abc;ext=1", "abc", true, false},
		{"v=spf1 -all", "", false, false},
		{"v=STSv1", "", true, true},
		{"v=STSv1; id=", "", true, true},
		{"v=STSv1; id=has-dash", "", true, true},
		{"v=STSv1; id=123456789012345678901234567890123", "", true, true},
	} {
		id, ok, err := parseTXT(tc.txt)
		if id != tc.id || ok != tc.ok || (err != nil) != tc.bad {
			t.Errorf("parseTXT(%q) = %q, %v, %v; want %q, %v, error %v", tc.txt, id, ok, err, tc.id, tc.ok, tc.bad)
		}
	}
}

func TestPolicyMatches(t *testing.T) {
	p := Policy{MX: []string{"mail.example.com", "*.example.net"}}
	for mx, want := range map[string]bool{
		"mail.example.com":    true,
		"MAIL.Example.com.":   true,
		"mx1.example.net":     true,
		"a.b.example.net":     false, // the wildcard is one label
		"example.net":         false,
		"other.example.com":   false,
		"mail.example.com.ev": false,
	} {
		if got := p.Matches(mx); got != want {
			t.Errorf("Matches(%q) = %v, want %v", mx, got, want)
		}
	}
}

func TestPolicyFresh(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := Policy{MaxAge: time.Hour, Fetched: at}
	if !p.Fresh(at.Add(59*time.Minute)) || p.Fresh(at.Add(time.Hour)) {
		t.Error("a policy is fresh for exactly max_age after it was fetched")
	}
}
