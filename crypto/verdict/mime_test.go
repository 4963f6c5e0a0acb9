package verdict

import (
	"encoding/base64"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/sealpost/sealpost/crypto/internal/mimesplit"
)

// base64Std encodes s in standard base64.
func base64Std(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestMultipartParts(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []string
	}{
		{"two parts", "pre\r\n--b\r\nA\r\n--b\r\nB\r\n--b--\r\nepilogue", []string{"A", "B"}},
		{"LF line ends", "--b\nA\n--b\nB\n--b--\n", []string{"A", "B"}},
		{"part keeps inner line breaks", "--b\nA\n\nA2\n--b--", []string{"A\n\nA2"}},
		{"empty part", "--b\n--b--\n", []string{""}},
		{"no close delimiter", "--b\nA\n--b\nB\n", []string{"A", "B\n"}},
		{"boundary prefix is not a delimiter", "--b\nA\n--bc\nB\n--b--", []string{"A\n--bc\nB"}},
		{"trailing white space after delimiter", "--b \t\nA\n--b--", []string{"A"}},
		{"no delimiter at all", "just text", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			s := mimesplit.New(strings.NewReader(tc.body), "b", false)
			for s.Next() {
				p, err := io.ReadAll(s)
				if err != nil {
					t.Fatalf("read part: %v", err)
				}
				got = append(got, string(p))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("parts = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestChildPath(t *testing.T) {
	tests := []struct {
		parent string
		i      int
		want   string
	}{
		{"", 0, "1"},
		{"1", 1, "1.2"},
		{"2/", 0, "2/1"},
		{"2/1", 2, "2/1.3"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			if got := childPath(tc.parent, tc.i); got != tc.want {
				t.Errorf("childPath(%q, %d) = %q, want %q", tc.parent, tc.i, got, tc.want)
			}
		})
	}
}

func TestLenientBase64(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", base64Std("hello world"), "hello world"},
		{"line breaks", "aGVs\r\nbG8g\r\nd29y\r\nbGQ=\r\n", "hello world"},
		{"line breaks and junk", "aGVs\r\nbG8g*d29y\nbGQ=", "hello world"},
		{"data after padding ignored", "aGVsbG8gd29ybGQ=x", "hello world"},
		{"truncated group", "aGVsbG8gd29ybGQx9", "hello world1"},
		{"junk at both ends", "*\x00aGVsbG8g\xffd29ybGQ*", "hello world"},
		{"long lines", strings.Repeat(base64Std(strings.Repeat("x", 57))+"\r\n", 200), strings.Repeat("x", 57*200)},
		{"empty", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, r := range []io.Reader{strings.NewReader(tc.in), iotest.OneByteReader(strings.NewReader(tc.in))} {
				got, err := io.ReadAll(decoder("base64", r))
				if err != nil || string(got) != tc.want {
					t.Errorf("decode(%q) = %q, %v, want %q", tc.in, got, err, tc.want)
				}
			}
		})
	}
}

func TestCRLFReader(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a\nb\n", "a\r\nb\r\n"},
		{"a\r\nb", "a\r\nb"},
		{"a\rb", "a\r\nb"},
		{"a\r\r\nb\r", "a\r\n\r\nb\r\n"},
		{"", ""},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := io.ReadAll(&crlfReader{r: iotest.OneByteReader(strings.NewReader(tc.in))})
			if err != nil || string(got) != tc.want {
				t.Errorf("crlfReader(%q) = %q, %v, want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestHTMLToText(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"entities and blocks", "<p>Hello &amp; welcome</p><p>second</p>", "Hello & welcome\n\nsecond"},
		{"script and style dropped", "<style>p{color:red}</style><script>alert(1)</script>text", "text"},
		{"remote image dropped", "a<img src=\"http://track.example/p.gif\">b", "ab"},
		{"line breaks", "one<br>two<br/>three", "one\ntwo\nthree"},
		{"whitespace collapsed", "  many   spaces\n\n\n\n<div>next</div>", "many spaces\n\nnext"},
		{"unclosed script hides the rest", "visible<script>hidden", "visible"},
		{"link target after its label", `see <a href="https://example.org/report?id=1&amp;x=2">the report</a>.`, "see the report <https://example.org/report?id=1&x=2>."},
		{"label that is the target", `<a href="https://example.org/">https://example.org</a>`, "https://example.org"},
		{"label that says another place", `<a href="https://evil.example/">https://bank.example/</a>`, "https://bank.example/ <https://evil.example/>"},
		{"mailto label is the address", `<a href="mailto:bob@example.net">bob@example.net</a>`, "bob@example.net"},
		{"mailto with a name", `<a href="mailto:bob@example.net">Bob</a>`, "Bob <mailto:bob@example.net>"},
		{"image link without text", `<a href="https://example.org/"><img src="https://track.example/p.gif"></a>`, "<https://example.org/>"},
		{"fragment and relative links", `<a href="#top">top</a> <a href="/local">here</a>`, "top here"},
		{"script and data links", `<a href="javascript:alert(1)">js</a> <a href=" data:text/html,x">d</a>`, "js d"},
		{"unclosed link ends with the text", `<a href="https://example.org/x">open`, "open <https://example.org/x>"},
		{"a new link ends the open one", `<a href="https://a.example/">one<a href="https://b.example/">two</a>`, "one <https://a.example/>two <https://b.example/>"},
		{"controls and spaces removed from the target", "<a href=\"https://exa\u202emple.org/\n a\">x</a>", "x <https://example.org/a>"},
		{"link inside a script is not shown", `<script><a href="https://x.example/">x</a></script>y`, "y"},
		{"long target cut", `<a href="https://x.example/` + strings.Repeat("a", 3000) + `">x</a>`, "x <https://x.example/" + strings.Repeat("a", maxTargetLen-len("https://x.example/")) + "…>"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := htmlToText(tc.in); got != tc.want {
				t.Errorf("htmlToText(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestSanitizeFilename(t *testing.T) {
	tests := []struct{ in, want string }{
		{"report.pdf", "report.pdf"},
		{"../../etc/passwd", "passwd"},
		{`C:\Users\x\evil.exe`, "evil.exe"},
		{"invoice\u202egpj.exe", "invoicegpj.exe"},
		{"a\x00b\nc", "abc"},
		{"..", ""},
		{"", ""},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := sanitizeFilename(tc.in); got != tc.want {
				t.Errorf("sanitizeFilename(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestToUTF8(t *testing.T) {
	tests := []struct{ name, in, charset, want string }{
		{"utf-8", "grüße", "utf-8", "grüße"},
		{"latin1", "gr\xfc\xdfe", "iso-8859-1", "grüße"},
		{"invalid utf-8 replaced", "a\xffb", "", "a\uFFFDb"},
		{"unknown charset", "abc", "x-unknown", "abc"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := toUTF8([]byte(tc.in), tc.charset); got != tc.want {
				t.Errorf("toUTF8(%q, %q) = %q, want %q", tc.in, tc.charset, got, tc.want)
			}
		})
	}
}
