package pgpmime

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	nettextproto "net/textproto"
	"strings"

	"github.com/emersion/go-message/textproto"
)

// maxDepth bounds the nesting of multipart bodies that canonicalisation
// descends into.
const maxDepth = 32

// maxLine is the longest line (without CRLF) RFC 5322 allows.
const maxLine = 998

// field is one header field: its canonical name (as textproto spells it,
// e.g. "Message-Id"), its unfolded value and its raw bytes ending in CRLF.
type field struct {
	name, value string
	raw         []byte
}

// entity is a MIME entity: header fields in order and the body.
type entity struct {
	header []field
	body   []byte
}

// parseEntity splits data into header fields and body.
func parseEntity(data []byte) (entity, error) {
	src := bytes.NewReader(data)
	br := bufio.NewReader(src)
	h, err := textproto.ReadHeader(br)
	if err != nil {
		return entity{}, fmt.Errorf("%w: header: %w", ErrMalformedMessage, err)
	}
	var e entity
	fs := h.Fields()
	for fs.Next() {
		raw, err := fs.Raw()
		if err != nil {
			return entity{}, fmt.Errorf("%w: header field %q: %w", ErrMalformedMessage, fs.Key(), err)
		}
		e.header = append(e.header, field{name: fs.Key(), value: fs.Value(), raw: raw})
	}
	// The body is what neither the header reader nor its buffer consumed.
	e.body = data[len(data)-src.Len()-br.Buffered():]
	return e, nil
}

// get returns the value of the first field called name ("" if none).
func (e *entity) get(name string) string {
	for _, f := range e.header {
		if f.name == name {
			return f.value
		}
	}
	return ""
}

// set replaces every field called name by one new field, placed where the
// first one was (or at the end).
func (e *entity) set(name, value string) error {
	raw, err := formatField(name, value)
	if err != nil {
		return err
	}
	nf := field{name: nettextproto.CanonicalMIMEHeaderKey(name), value: value, raw: raw}
	out := make([]field, 0, len(e.header)+1)
	placed := false
	for _, f := range e.header {
		if f.name != nf.name {
			out = append(out, f)
		} else if !placed {
			out = append(out, nf)
			placed = true
		}
	}
	if !placed {
		out = append(out, nf)
	}
	e.header = out
	return nil
}

// bytes serializes the entity.
func (e *entity) bytes() []byte {
	n := len(e.body) + 2
	for _, f := range e.header {
		n += len(f.raw)
	}
	b := make([]byte, 0, n)
	for _, f := range e.header {
		b = append(b, f.raw...)
	}
	b = append(b, "\r\n"...)
	return append(b, e.body...)
}

// mediaType returns the entity's media type (lower case) and parameters,
// text/plain; charset=us-ascii when there is no Content-Type.
func (e *entity) mediaType() (string, map[string]string, error) {
	ct := e.get("Content-Type")
	if ct == "" {
		return "text/plain", map[string]string{"charset": "us-ascii"}, nil
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return "", nil, fmt.Errorf("%w: Content-Type %q: %w", ErrMalformedMessage, ct, err)
	}
	return mt, params, nil
}

// formatField returns "Name: value" folded at white space to 78 characters
// where possible, ending in CRLF.
func formatField(name, value string) ([]byte, error) {
	var h textproto.Header
	h.Add(name, value)
	var b bytes.Buffer
	if err := textproto.WriteHeader(&b, h); err != nil {
		return nil, fmt.Errorf("%w: header field %s: %w", ErrMalformedMessage, name, err)
	}
	// WriteHeader ends the header with an empty line: drop it, and keep the
	// name's spelling ("HP-Outer", not "Hp-Outer").
	raw := b.Bytes()[:b.Len()-2]
	copy(raw, name)
	return raw, nil
}

// newBoundary returns a random multipart boundary. "=_" cannot occur in
// quoted-printable or base64 text.
func newBoundary() (string, error) {
	var r [18]byte
	if _, err := rand.Read(r[:]); err != nil {
		return "", fmt.Errorf("multipart boundary: %w", err)
	}
	return "=_sealpost_" + hex.EncodeToString(r[:]), nil
}

// multipartBody joins parts (each a serialized entity) with boundary, after
// an optional preamble.
func multipartBody(boundary, preamble string, parts ...[]byte) []byte {
	var b bytes.Buffer
	n := len(preamble) + 2 + (len(boundary)+6)*(len(parts)+1)
	for _, p := range parts {
		n += len(p)
	}
	b.Grow(n)
	if preamble != "" {
		b.WriteString(preamble + "\r\n")
	}
	for _, p := range parts {
		b.WriteString("--" + boundary + "\r\n")
		b.Write(p)
		b.WriteString("\r\n")
	}
	b.WriteString("--" + boundary + "--\r\n")
	return b.Bytes()
}

// splitMultipart returns the body parts of a multipart body (sub-slices of
// body); preamble and epilogue are dropped.
func splitMultipart(body []byte, boundary string) ([][]byte, error) {
	delim := []byte("--" + boundary)
	var parts [][]byte
	start := -1 // offset of the current part's first byte, -1 before the first delimiter
	for pos := 0; pos < len(body); {
		end := len(body)
		if i := bytes.IndexByte(body[pos:], '\n'); i >= 0 {
			end = pos + i + 1
		}
		line := bytes.TrimRight(body[pos:end], " \t\r\n")
		if bytes.HasPrefix(line, delim) {
			rest := line[len(delim):]
			if len(rest) != 0 && !bytes.Equal(rest, []byte("--")) {
				// Readers disagree on such lines: refuse them.
				return nil, fmt.Errorf("%w: a line in the multipart body starts with its boundary %q", ErrMalformedMessage, boundary)
			}
			if start >= 0 {
				// The line break before the delimiter belongs to it.
				part := bytes.TrimSuffix(body[start:pos], []byte("\n"))
				parts = append(parts, bytes.TrimSuffix(part, []byte("\r")))
			}
			if len(rest) != 0 {
				return parts, nil
			}
			start = end
		}
		pos = end
	}
	return nil, fmt.Errorf("%w: multipart body without closing boundary %q", ErrMalformedMessage, boundary)
}

// errNot7bit reports data that must be re-encoded to travel as 7-bit text.
var errNot7bit = errors.New("not 7-bit safe")

// check7bit reports whether data is 7-bit safe line-oriented text: bytes 1 to
// 127, no CR outside CRLF, lines of at most 998 characters.
func check7bit(data []byte) error {
	lineLen := 0
	for i, c := range data {
		switch {
		case c == 0 || c >= 0x80:
			return fmt.Errorf("%w: byte 0x%02x at offset %d", errNot7bit, c, i)
		case c == '\r' && (i+1 == len(data) || data[i+1] != '\n'):
			return fmt.Errorf("%w: bare CR at offset %d", errNot7bit, i)
		case c == '\n':
			lineLen = 0
		case c != '\r':
			lineLen++
			if lineLen > maxLine {
				return fmt.Errorf("%w: line longer than %d characters at offset %d", errNot7bit, maxLine, i)
			}
		}
	}
	return nil
}

// toCRLF converts LF and CRLF line ends to CRLF; data must have no bare CR.
func toCRLF(data []byte) []byte {
	var b bytes.Buffer
	b.Grow(len(data) + len(data)/32)
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			b.Write(data)
			break
		}
		b.Write(bytes.TrimSuffix(data[:i], []byte("\r")))
		b.WriteString("\r\n")
		data = data[i+1:]
	}
	return b.Bytes()
}

// cleanQP returns quoted-printable text with trailing white space removed
// from each line (decoders ignore it; some relays strip it and would break
// the signature) and with lines that begin with "From " escaped (mbox
// relays rewrite them as ">From ").
func cleanQP(data []byte) []byte {
	lines := bytes.SplitAfter(toCRLF(data), []byte("\r\n"))
	var b bytes.Buffer
	b.Grow(len(data) + 16)
	for _, l := range lines {
		content := bytes.TrimSuffix(l, []byte("\r\n"))
		end := l[len(content):]
		content = bytes.TrimRight(content, " \t")
		if bytes.HasPrefix(content, []byte("From ")) {
			b.WriteString("=46")
			content = content[1:]
		}
		b.Write(content)
		b.Write(end)
	}
	return b.Bytes()
}

// needsQP reports whether 7-bit text would not survive transport unchanged:
// trailing white space or a line that begins with "From ".
func needsQP(text []byte) bool {
	for _, l := range bytes.Split(text, []byte("\n")) {
		l = bytes.TrimSuffix(l, []byte("\r"))
		if bytes.HasPrefix(l, []byte("From ")) || bytes.HasSuffix(l, []byte(" ")) || bytes.HasSuffix(l, []byte("\t")) {
			return true
		}
	}
	return false
}

// encodeQP encodes text as quoted-printable with CRLF line ends.
func encodeQP(text []byte) []byte {
	var b bytes.Buffer
	w := quotedprintable.NewWriter(&b)
	// Writes to a bytes.Buffer cannot fail.
	_, _ = w.Write(text)
	_ = w.Close()
	return cleanQP(b.Bytes())
}

// encodeBase64 encodes data as base64 in lines of 76 characters; the last
// line has no line break (the one before the next boundary belongs to it).
func encodeBase64(data []byte) []byte {
	enc := base64.StdEncoding.EncodeToString(data)
	var b bytes.Buffer
	b.Grow(len(enc) + len(enc)/38 + 2)
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc)
	return b.Bytes()
}

// canonicalize returns e with CRLF line ends throughout and every body part
// 7-bit safe: 8-bit or binary text is re-encoded as quoted-printable, other
// 8-bit or binary data as base64. Multipart preambles and epilogues are
// dropped. This is what RFC 3156 requires of signed data, and it makes the
// payload of encrypted mail survive any transport after decryption too.
func canonicalize(e entity, depth int) (entity, error) {
	if depth > maxDepth {
		return entity{}, fmt.Errorf("%w: MIME parts nested deeper than %d", ErrMalformedMessage, maxDepth)
	}
	mt, params, err := e.mediaType()
	if err != nil {
		return entity{}, err
	}
	if strings.HasPrefix(mt, "multipart/") {
		return canonicalMultipart(e, params["boundary"], depth)
	}
	cte := strings.ToLower(strings.TrimSpace(e.get("Content-Transfer-Encoding")))
	switch {
	case cte == "quoted-printable" || cte == "base64":
		if err := checkEncoded(cte, e.body); err != nil {
			return entity{}, fmt.Errorf("%w: %s part: %w", ErrMalformedMessage, cte, err)
		}
		if cte == "base64" {
			e.body = toCRLF(e.body)
		} else {
			e.body = cleanQP(e.body)
		}
		return e, nil
	case cte != "" && cte != "7bit" && cte != "8bit" && cte != "binary":
		return entity{}, fmt.Errorf("%w: unknown Content-Transfer-Encoding %q", ErrMalformedMessage, cte)
	}
	safe := check7bit(e.body) == nil
	switch {
	case strings.HasPrefix(mt, "message/"):
		// RFC 2046 forbids encoding message/* bodies.
		if !safe {
			return entity{}, fmt.Errorf("%w: attached message %s contains 8-bit data; attach it as a file instead", ErrMalformedMessage, mt)
		}
		e.body = toCRLF(e.body)
		return e, nil
	case strings.HasPrefix(mt, "text/"):
		if safe && !needsQP(e.body) {
			e.body = toCRLF(e.body)
			return e, e.set("Content-Transfer-Encoding", "7bit")
		}
		e.body = encodeQP(e.body)
		return e, e.set("Content-Transfer-Encoding", "quoted-printable")
	case safe && !bytes.Contains(bytes.ReplaceAll(e.body, []byte("\r\n"), nil), []byte("\n")):
		// 7-bit data that already has CRLF line ends: nothing changes.
		return e, e.set("Content-Transfer-Encoding", "7bit")
	default:
		e.body = encodeBase64(e.body)
		return e, e.set("Content-Transfer-Encoding", "base64")
	}
}

// canonicalMultipart canonicalises each part of a multipart entity.
func canonicalMultipart(e entity, boundary string, depth int) (entity, error) {
	if boundary == "" {
		return entity{}, fmt.Errorf("%w: multipart part without boundary", ErrMalformedMessage)
	}
	raw, err := splitMultipart(e.body, boundary)
	if err != nil {
		return entity{}, err
	}
	parts := make([][]byte, 0, len(raw))
	for _, r := range raw {
		p, err := parseEntity(r)
		if err != nil {
			return entity{}, err
		}
		if p, err = canonicalize(p, depth+1); err != nil {
			return entity{}, err
		}
		parts = append(parts, p.bytes())
	}
	e.body = multipartBody(boundary, "", parts...)
	e.header = withoutCTE(e.header)
	return e, nil
}

// withoutCTE drops Content-Transfer-Encoding fields (a multipart entity
// is 7-bit once its parts are).
func withoutCTE(h []field) []field {
	out := h[:0:0]
	for _, f := range h {
		if f.name != "Content-Transfer-Encoding" {
			out = append(out, f)
		}
	}
	return out
}

// checkEncoded reports whether body is 7-bit text that decodes as
// quoted-printable or base64 (cte), so that readers can decode what is signed
// or encrypted.
func checkEncoded(cte string, body []byte) error {
	if err := check7bit(body); err != nil {
		return err
	}
	var r io.Reader = quotedprintable.NewReader(bytes.NewReader(body))
	if cte == "base64" {
		// The decoder skips line breaks.
		r = base64.NewDecoder(base64.StdEncoding, bytes.NewReader(body))
	}
	if _, err := io.Copy(io.Discard, r); err != nil {
		return fmt.Errorf("does not decode: %w", err)
	}
	return nil
}
