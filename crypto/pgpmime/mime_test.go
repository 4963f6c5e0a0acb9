package pgpmime

import (
	"bytes"
	"errors"
	"slices"
	"testing"
)

func TestCheck7bit(t *testing.T) {
	tests := []struct {
		name string
		data string
		ok   bool
	}{
		{"ascii with CRLF", "a\r\nb\r\n", true},
		{"ascii with LF", "a\nb", true},
		{"empty", "", true},
		{"8-bit byte", "caf\xc3\xa9", false},
		{"NUL", "a\x00b", false},
		{"bare CR", "a\rb", false},
		{"CR at the end", "a\r", false},
		{"998 characters", string(bytes.Repeat([]byte("x"), 998)) + "\r\n", true},
		{"999 characters", string(bytes.Repeat([]byte("x"), 999)), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := check7bit([]byte(tc.data))
			if got := err == nil; got != tc.ok {
				t.Errorf("check7bit = %v, want ok %v", err, tc.ok)
			}
			if err != nil && !errors.Is(err, errNot7bit) {
				t.Errorf("check7bit error = %v, want errNot7bit", err)
			}
		})
	}
}

func TestLineTransforms(t *testing.T) {
	tests := []struct {
		name string
		fn   func([]byte) []byte
		in   string
		want string
	}{
		{"toCRLF mixed", toCRLF, "a\nb\r\nc", "a\r\nb\r\nc"},
		{"toCRLF final LF", toCRLF, "a\n", "a\r\n"},
		{"cleanQP strips trailing white space", cleanQP, "a \t\r\nb", "a\r\nb"},
		{"cleanQP escapes From", cleanQP, "From me\nFromage\n", "=46rom me\r\nFromage\r\n"},
		{"encodeQP 8-bit and trailing space", encodeQP, "caf\xc3\xa9 \nFrom x", "caf=C3=A9=20\r\n=46rom x"},
		{"encodeBase64 folds at 76", encodeBase64, string(bytes.Repeat([]byte{0xff}, 60)), "////////////////////////////////////////////////////////////////////////////\r\n////"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(tc.fn([]byte(tc.in))); got != tc.want {
				t.Errorf("got = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSplitMultipart(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    []string
		wantErr bool
	}{
		{"preamble and epilogue dropped", "pre\r\n--b\r\none\r\n--b\r\ntwo\r\n\r\n--b--\r\nepi\r\n", []string{"one", "two\r\n"}, false},
		{"LF line ends", "--b\nA\n--b--\n", []string{"A"}, false},
		{"line starting with the boundary", "--b\r\n--bx\r\n--b--", nil, true},
		{"transport padding after the delimiter", "--b \r\nx\r\n--b-- \r\n", []string{"x"}, false},
		{"no closing delimiter", "--b\r\nx\r\n", nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			parts, err := splitMultipart([]byte(tc.body), "b")
			if (err != nil) != tc.wantErr {
				t.Fatalf("splitMultipart error = %v, want error %v", err, tc.wantErr)
			}
			var got []string
			for _, p := range parts {
				got = append(got, string(p))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("parts = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestCanonicalizeDepth(t *testing.T) {
	msg := []byte("Content-Type: text/plain\r\n\r\nx")
	for range maxDepth + 1 {
		msg = append([]byte("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"), append(msg, "\r\n--b--\r\n"...)...)
	}
	e, err := parseEntity(msg)
	if err != nil {
		t.Fatalf("parseEntity: %v", err)
	}
	if _, err := canonicalize(e, 0); !errors.Is(err, ErrMalformedMessage) {
		t.Errorf("canonicalize(%d levels) error = %v, want ErrMalformedMessage", maxDepth+1, err)
	}
}

// FuzzCanonicalize checks that canonicalisation never panics and that what
// it accepts comes out with CRLF line ends (and 7-bit safe from 7-bit input).
func FuzzCanonicalize(f *testing.F) {
	f.Add([]byte(simpleMessage))
	f.Add([]byte(mixedMessage))
	f.Add([]byte("Content-Type: multipart/alternative; boundary=x\r\n\r\n--x\r\nContent-Type: message/rfc822\r\n\r\nA: b\r\n\r\nc\r\n--x--\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := parseEntity(data)
		if err != nil {
			return
		}
		var mime entity
		for _, fl := range e.header {
			if isMIMEField(fl.name) {
				mime.header = append(mime.header, fl)
			}
		}
		mime.body = e.body
		out, err := canonicalize(mime, 0)
		if err != nil {
			return
		}
		body := out.body
		// Header fields of nested parts are kept as they are, so 7-bit
		// safety can only be expected from 7-bit input; Protect checks the
		// whole signed part before signing.
		if check7bit(data) == nil {
			if err := check7bit(body); err != nil {
				t.Fatalf("canonical body of 7-bit input is not 7-bit: %v\n%q", err, body)
			}
		}
		if bytes.Count(body, []byte("\n")) != bytes.Count(body, []byte("\r\n")) {
			t.Fatalf("canonical body has bare LF: %q", body)
		}
	})
}
