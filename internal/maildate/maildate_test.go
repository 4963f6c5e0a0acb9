package maildate

import (
	"bufio"
	"bytes"
	netmail "net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sameAsNetMail fails t unless Parse and net/mail.ParseDate agree on date:
// the same instant, zone name and offset, or the same error.
func sameAsNetMail(t *testing.T, date string) {
	t.Helper()
	got, gotErr := Parse(date)
	want, wantErr := netmail.ParseDate(date)
	if (gotErr == nil) != (wantErr == nil) || (gotErr != nil && gotErr.Error() != wantErr.Error()) {
		t.Fatalf("Parse(%q) error %v, net/mail %v", date, gotErr, wantErr)
	}
	gotName, gotOff := got.Zone()
	wantName, wantOff := want.Zone()
	if !got.Equal(want) || gotName != wantName || gotOff != wantOff || got.String() != want.String() {
		t.Fatalf("Parse(%q) = %v, net/mail %v", date, got, want)
	}
}

// edgeDates are dates near the common form that must not take its path
// differently from net/mail.
var edgeDates = []string{
	"Sun, 6 Dec 2026 03:53:47 +0000",
	"Sun, 06 Dec 2026 03:53:47 -0830",
	"sun, 06 dec 2026 03:53:47 +0100",
	"Sun,  6 Dec 2026  3:53:47   +0000",
	" Sun, 6 Dec 2026 03:53:47 +0000",
	"\tSun, 6 Dec 2026 03:53:47 +0000",
	"Sun, 6 Dec 2026 03:53:47 +0000 ",
	"Sun, 6 Dec 2026 03:53:47 +0000 (UTC)",
	"Sun, 6 Dec 2026 03:53:47 +0000 (UTC",
	"Sun, 6 Dec 2026 03:53:47 +00000",
	"Sun, 6 Dec 2026 03:53:47 +000",
	"Sun, 6 Dec 2026 03:53:47.123 +0000",
	"Sun, 6 Dec 2026 03:53:47,5 +0000",
	"Sun, 6 Dec 2026 03:53 +0000",
	"Sun, 6 Dec 26 03:53:47 +0000",
	"Sun, 6 Dec 2026 03:53:47 GMT",
	"Sun, 6 Dec 2026 03:53:47 UT",
	"Sun, 6 Dec 2026 03:53:47 MDT (MDT)",
	"Sun, 6 Dec 2026\r\n 03:53:47 +0000",
	"Sun, 6 Dec 2026\r 03:53:47 +0000",
	"Sun, 32 Dec 2026 03:53:47 +0000",
	"Sun, 6 Dec 2026 25:53:47 +0000",
	"Sun, 6 Dec 2026 03:53:47 +2500",
	"Sun, 6 Dec 2026 03:53:47 +0060",
	"Sunday, 6 Dec 2026 03:53:47 +0000",
	"Sun 6 Dec 2026 03:53:47 +0000",
	"Xyz, 6 Dec 2026 03:53:47 +0000",
	"Sun, 6 December 2026 03:53:47 +0000",
	"6 Dec 2026 03:53:47 +0000",
	"06 Dec 2026 03:53:47 -0000",
	"Sun, 6 Dec 2026 03:53:47 -0000",
	"Sun, 6 Dec 2026 03:53:47 +0000\x00",
	"Mon, 2 Jan 0000 00:00:00 +0000",
	"Mon, 2 Jan 9999 23:59:60 +0000",
	"Sun, 6 Dec 2026 03:53:47 +0000\r\n",
	"",
	"garbage",
}

func TestParseAsNetMail(t *testing.T) {
	for _, d := range edgeDates {
		sameAsNetMail(t, d)
	}
}

// TestParseCorpusAsNetMail compares Parse with net/mail on every Date and
// Received date of the messages in the repository's test data and, when
// it sits next to the checkout, the shared interop corpus (300 messages).
func TestParseCorpusAsNetMail(t *testing.T) {
	n := 0
	for _, root := range []string{"../../mail/travel/testdata", "../../ui/testdata", "../../../shared/testdata"} {
		if _, err := os.Stat(root); err != nil {
			continue
		}
		err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			raw, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, date := range headerDates(raw) {
				sameAsNetMail(t, date)
				n++
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if n == 0 {
		t.Fatal("no dates found in the test data")
	}
	t.Logf("%d dates compared", n)
}

// headerDates returns the values of the Date fields of raw and the parts
// after the last semicolon of its Received fields, unfolded and trimmed
// as the callers of Parse pass them.
func headerDates(raw []byte) []string {
	var out []string
	var cur string
	take := func() {
		name, value, ok := strings.Cut(cur, ":")
		switch {
		case !ok:
		case strings.EqualFold(name, "Date"):
			out = append(out, strings.TrimSpace(value))
		case strings.EqualFold(name, "Received"):
			if i := strings.LastIndexByte(value, ';'); i >= 0 {
				out = append(out, strings.TrimSpace(value[i+1:]))
			}
		}
		cur = ""
	}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := strings.TrimSuffix(sc.Text(), "\r")
		if strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t") {
			cur += line
			continue
		}
		take()
		cur = line
	}
	take()
	return out
}

func FuzzParse(f *testing.F) {
	for _, d := range edgeDates {
		f.Add(d)
	}
	f.Fuzz(func(t *testing.T, date string) {
		sameAsNetMail(t, date)
	})
}

func BenchmarkParse(b *testing.B) {
	const date = "Sun, 06 Dec 2026 03:53:47 +0000"
	b.Run("maildate", func(b *testing.B) {
		for b.Loop() {
			if _, err := Parse(date); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("net/mail", func(b *testing.B) {
		for b.Loop() {
			if _, err := netmail.ParseDate(date); err != nil {
				b.Fatal(err)
			}
		}
	})
}
