package pgpmime

import (
	"bytes"
	"errors"
	"io"
	"strings"
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

// canonical streams msg (an entity) through canonicalize.
func canonical(msg []byte) ([]byte, error) {
	e, body, err := readEntity(bytes.NewReader(msg))
	if err != nil {
		return nil, err
	}
	p, err := canonicalize(e, body, 0)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := p.writeTo(&out); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

func TestCanonicalMultipart(t *testing.T) {
	const head = "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
	tests := []struct {
		name    string
		body    string
		want    string
		wantErr string
	}{
		{"preamble and epilogue dropped", "pre\r\n--b\r\n\r\none\r\n--b\r\n\r\ntwo\r\n\r\n--b--\r\nepi\r\n",
			"--b\r\nContent-Transfer-Encoding: 7bit\r\n\r\none\r\n--b\r\nContent-Transfer-Encoding: 7bit\r\n\r\ntwo\r\n\r\n--b--\r\n", ""},
		{"LF line ends", "--b\nContent-Type: text/plain\n\nA\n--b--\n", "--b\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: 7bit\r\n\r\nA\r\n--b--\r\n", ""},
		{"line starting with the boundary", "--b\r\n--bx\r\n--b--", "", "starts with its boundary"},
		{"transport padding after the delimiter", "--b \r\n\r\nx\r\n--b-- \r\n", "--b\r\nContent-Transfer-Encoding: 7bit\r\n\r\nx\r\n--b--\r\n", ""},
		{"no closing delimiter", "--b\r\n\r\nx\r\n", "", "closing boundary"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := canonical([]byte(head + tc.body))
			if tc.wantErr != "" {
				if !errors.Is(err, ErrMalformedMessage) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want ErrMalformedMessage mentioning %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("canonicalize: %v", err)
			}
			if _, body, _ := strings.Cut(string(out), "\r\n\r\n"); body != tc.want {
				t.Errorf("body = %q, want %q", body, tc.want)
			}
		})
	}
}

// TestLargeLeaf checks that a body without transfer encoding larger than
// leafLimit is re-encoded as it streams, and decodes to the original.
func TestLargeLeaf(t *testing.T) {
	text := bytes.Repeat([]byte("caf\xc3\xa9 line \nFrom here\n"), leafLimit/16)
	binary := make([]byte, leafLimit+100)
	for i := range binary {
		binary[i] = byte(i * 7)
	}
	ascii := bytes.Repeat([]byte("Subject: x\r\n"), leafLimit/8)
	tests := []struct {
		name, ct string
		body     []byte
		cte      string
		wantErr  bool
	}{
		{"8-bit text", "text/plain; charset=utf-8", text, "quoted-printable", false},
		{"binary", "application/octet-stream", binary, "base64", false},
		{"7-bit attached message", "message/rfc822", ascii, "", false},
		{"8-bit attached message", "message/rfc822", append(ascii, 0xe9), "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := canonical(append([]byte("Content-Type: "+tc.ct+"\r\n\r\n"), tc.body...))
			if tc.wantErr {
				if !errors.Is(err, ErrMalformedMessage) {
					t.Fatalf("error = %v, want ErrMalformedMessage", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("canonicalize: %v", err)
			}
			if err := check7bit(out); err != nil {
				t.Errorf("output is not 7-bit: %v", err)
			}
			p := parseTree(t, out)
			if got := p.header.Get("Content-Transfer-Encoding"); got != tc.cte {
				t.Errorf("Content-Transfer-Encoding = %q, want %q", got, tc.cte)
			}
			if want := toCRLF(tc.body); tc.cte == "" && !bytes.Equal(p.body, want) {
				t.Errorf("body differs from the CRLF original")
			} else if tc.cte == "base64" && !bytes.Equal(p.body, tc.body) {
				t.Errorf("body does not decode to the original")
			} else if tc.cte == "quoted-printable" && !bytes.Equal(p.body, toCRLF(tc.body)) {
				t.Errorf("text does not decode to the original")
			}
		})
	}
}

// TestTransformsInPieces feeds the streaming transforms one byte at a time:
// the result must be the same as in one piece.
func TestTransformsInPieces(t *testing.T) {
	in := []byte("a \r\nFrom x\nb\r\n\r\nc\t")
	tests := []struct {
		name string
		w    func(io.Writer) io.WriteCloser
	}{
		{"crlf", func(w io.Writer) io.WriteCloser { return &crlfWriter{w: w} }},
		{"qp cleaner", func(w io.Writer) io.WriteCloser { return &qpCleaner{w: w} }},
		{"qp encoder", func(w io.Writer) io.WriteCloser { return newQPEncoder(w) }},
		{"base64", func(w io.Writer) io.WriteCloser { return newBase64Encoder(w) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var whole, pieces bytes.Buffer
			w := tc.w(&whole)
			if _, err := w.Write(bytes.Repeat(in, 40)); err != nil || w.Close() != nil {
				t.Fatalf("write whole: %v", err)
			}
			w = tc.w(&pieces)
			for _, b := range bytes.Repeat(in, 40) {
				if _, err := w.Write([]byte{b}); err != nil {
					t.Fatalf("write: %v", err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatalf("close: %v", err)
			}
			if whole.String() != pieces.String() {
				t.Errorf("in pieces = %q, whole = %q", pieces.String(), whole.String())
			}
		})
	}
	var s sevenBit
	for _, b := range []byte("ab\r") {
		if _, err := s.Write([]byte{b}); err != nil {
			t.Fatalf("sevenBit: %v", err)
		}
	}
	if _, err := s.Write([]byte("x")); !errors.Is(err, errNot7bit) {
		t.Errorf("bare CR across writes: error = %v, want errNot7bit", err)
	}
}

func TestCanonicalizeDepth(t *testing.T) {
	msg := []byte("Content-Type: text/plain\r\n\r\nx")
	for range maxDepth + 1 {
		msg = append([]byte("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"), append(msg, "\r\n--b--\r\n"...)...)
	}
	if _, err := canonical(msg); !errors.Is(err, ErrMalformedMessage) {
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
		e, body, err := readEntity(bytes.NewReader(data))
		if err != nil {
			return
		}
		var mime entity
		for _, fl := range e.header {
			if isMIMEField(fl.name) {
				mime.header = append(mime.header, fl)
			}
		}
		p, err := canonicalize(mime, body, 0)
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := p.writeBody(&out); err != nil {
			return
		}
		// Header fields of nested parts are kept as they are, so 7-bit
		// safety can only be expected from 7-bit input; Protect checks the
		// whole signed part before signing.
		if check7bit(data) == nil {
			if err := check7bit(out.Bytes()); err != nil {
				t.Fatalf("canonical body of 7-bit input is not 7-bit: %v\n%q", err, out.Bytes())
			}
		}
		if bytes.Count(out.Bytes(), []byte("\n")) != bytes.Count(out.Bytes(), []byte("\r\n")) {
			t.Fatalf("canonical body has bare LF: %q", out.Bytes())
		}
	})
}

// cleanQP returns quoted-printable text cleaned as qpCleaner does, for
// tests of the cleaner.
func cleanQP(data []byte) []byte {
	var b bytes.Buffer
	b.Grow(len(data) + 16)
	q := &qpCleaner{w: &b}
	// Writes to a bytes.Buffer cannot fail.
	_, _ = q.Write(data)
	_ = q.Close()
	return b.Bytes()
}
