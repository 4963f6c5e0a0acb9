package mimesplit

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

// split reads every part of body with a Splitter, checking that each part
// is found at its Offset in body.
func split(t testing.TB, body, boundary string, strict bool, oneByte bool) (parts []string, closed bool, err error) {
	t.Helper()
	var r io.Reader = strings.NewReader(body)
	if oneByte {
		r = iotest.OneByteReader(r)
	}
	s := New(r, boundary, strict)
	for s.Next() {
		b, err := io.ReadAll(s)
		if err != nil {
			return parts, s.Closed(), err
		}
		if off := s.Offset(); off+int64(len(b)) > int64(len(body)) || body[off:off+int64(len(b))] != string(b) {
			t.Errorf("part %q is not at offset %d of the body", b, off)
		}
		parts = append(parts, string(b))
	}
	return parts, s.Closed(), s.Err()
}

func TestSplitter(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		strict bool
		parts  []string
		closed bool
		err    error
	}{
		{name: "two parts, CRLF", body: "pre\r\n--b\r\nA: 1\r\n\r\none\r\n--b\r\n\r\ntwo\r\n--b--\r\nepilogue\r\n", parts: []string{"A: 1\r\n\r\none", "\r\ntwo"}, closed: true},
		{name: "LF and padding", body: "--b  \nx\n\n--b--\t\n", parts: []string{"x\n"}, closed: true},
		{name: "only one CR belongs to the delimiter", body: "--b\nx\r\r\n--b--\n", parts: []string{"x\r"}, closed: true},
		{name: "delimiter line with extra CRs", body: "--b\r\r\nx\n--b--\r\r\n", parts: []string{"x"}, closed: true},
		{name: "empty part", body: "--b\n--b\nx\n--b--", parts: []string{"", "x"}, closed: true},
		{name: "no close delimiter", body: "--b\nx\ny\n", parts: []string{"x\ny\n"}},
		{name: "delimiter at the very end opens an empty part", body: "--b\nx\n--b", parts: []string{"x", ""}},
		{name: "no delimiter", body: "just text\n--bb\n", parts: nil},
		{name: "boundary prefix is content when lenient", body: "--b\n--bX\n--b-- x\n--b--\n", parts: []string{"--bX\n--b-- x"}, closed: true},
		{name: "boundary prefix is an error when strict", body: "--b\n--bX\n--b--\n", strict: true, parts: nil, err: ErrBoundaryInContent},
		{name: "boundary prefix in the preamble when strict", body: "--b x\n--b\nx\n--b--\n", strict: true, err: ErrBoundaryInContent},
		{name: "delimiter must start the line", body: "--b\nx --b\n--b--\n", parts: []string{"x --b"}, closed: true},
		{name: "long line", body: "--b\n" + strings.Repeat("a", 3*bufSize) + "\r\n--b--\n", parts: []string{strings.Repeat("a", 3*bufSize)}, closed: true},
		{name: "long line ending in CR at a buffer edge", body: "--b\n" + strings.Repeat("a", bufSize-1) + "\r\n--b--\n", parts: []string{strings.Repeat("a", bufSize-1)}, closed: true},
	}
	for _, tc := range tests {
		for _, oneByte := range []bool{false, true} {
			t.Run(tc.name, func(t *testing.T) {
				parts, closed, err := split(t, tc.body, "b", tc.strict, oneByte)
				if !errors.Is(err, tc.err) {
					t.Fatalf("err = %v, want %v", err, tc.err)
				}
				if tc.err != nil {
					return
				}
				if strings.Join(parts, "|") != strings.Join(tc.parts, "|") || len(parts) != len(tc.parts) || closed != tc.closed {
					t.Errorf("got = %q (closed %v), want %q (closed %v)", parts, closed, tc.parts, tc.closed)
				}
			})
		}
	}
}

// splitInMemory is the reference: the same rules on a whole body.
func splitInMemory(body []byte, boundary string) [][]byte {
	dash := []byte("--" + boundary)
	var parts [][]byte
	start := -1
	for i := 0; i < len(body); {
		next := len(body)
		end := len(body)
		if j := bytes.IndexByte(body[i:], '\n'); j >= 0 {
			end, next = i+j, i+j+1
		}
		line := bytes.TrimRight(body[i:end], "\r")
		if rest, ok := bytes.CutPrefix(line, dash); ok {
			rest, closing := bytes.CutPrefix(rest, []byte("--"))
			if len(bytes.Trim(rest, " \t")) == 0 {
				if start >= 0 {
					p := body[start:i]
					if q, ok := bytes.CutSuffix(p, []byte("\n")); ok {
						p, _ = bytes.CutSuffix(q, []byte("\r"))
					}
					parts = append(parts, p)
				}
				if closing {
					return parts
				}
				start = next
			}
		}
		i = next
	}
	if start >= 0 {
		parts = append(parts, body[start:])
	}
	return parts
}

// FuzzSplitter checks the streaming splitter against the in-memory rules.
func FuzzSplitter(f *testing.F) {
	f.Add([]byte("pre\r\n--b\r\nA: 1\r\n\r\none\r\n--b\r\n\r\ntwo\r\n--b--\r\nepilogue\r\n"))
	f.Add([]byte("--b\nx\r\r\n--b \n\n--b--x\n--b"))
	f.Fuzz(func(t *testing.T, body []byte) {
		want := splitInMemory(body, "b")
		got, _, err := split(t, string(body), "b", false, len(body)%2 == 0)
		if err != nil {
			t.Fatalf("split: %v", err)
		}
		if len(got) != len(want) {
			t.Fatalf("got = %q, want %q", got, want)
		}
		for i := range got {
			if got[i] != string(want[i]) {
				t.Fatalf("part %d: got = %q, want %q", i, got[i], want[i])
			}
		}
	})
}

// BenchmarkSplitAttachment splits a body with a text part and a base64
// attachment of 100 KB, reading each part to its end.
func BenchmarkSplitAttachment(b *testing.B) {
	line := strings.Repeat("QUJD", 19) + "\r\n"
	body := "--b\r\nContent-Type: text/plain\r\n\r\n" + strings.Repeat("Some text of the message.\r\n", 100) +
		"--b\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n" + strings.Repeat(line, 100<<10/57) + "--b--\r\n"
	b.SetBytes(int64(len(body)))
	buf := make([]byte, 32<<10)
	for b.Loop() {
		s := New(strings.NewReader(body), "b", false)
		for s.Next() {
			if _, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{s}, buf); err != nil {
				b.Fatal(err)
			}
		}
		if s.Err() != nil || !s.Closed() {
			b.Fatalf("split: %v, closed %v", s.Err(), s.Closed())
		}
	}
}

// TestSplitterReadsAlike: bodies made of lines that are, nearly are or
// are not delimiters split the same whether the reader hands over all the
// bytes at once (lines found many at a time in the read buffer) or one at
// a time (line by line).
func TestSplitterReadsAlike(t *testing.T) {
	lines := []string{"--b", "--b--", "--bX", "--b  ", "-", "--", "x", "", "Q2FmZQ==", "a --b", "\r", "--b\r"}
	ends := []string{"\n", "\r\n", "\r\r\n", ""}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 3000 {
		var body strings.Builder
		for range rng.IntN(40) {
			body.WriteString(lines[rng.IntN(len(lines))] + ends[rng.IntN(len(ends))])
		}
		for _, strict := range []bool{false, true} {
			whole, wholeClosed, wholeErr := split(t, body.String(), "b", strict, false)
			bytewise, byteClosed, byteErr := split(t, body.String(), "b", strict, true)
			if !slices.Equal(whole, bytewise) || wholeClosed != byteClosed || !errors.Is(wholeErr, byteErr) && (wholeErr == nil || byteErr == nil || wholeErr.Error() != byteErr.Error()) {
				t.Fatalf("body %d %q, strict %v:\nat once    %q closed %v, %v\nbyte-wise  %q closed %v, %v",
					i, body.String(), strict, whole, wholeClosed, wholeErr, bytewise, byteClosed, byteErr)
			}
		}
	}
}
