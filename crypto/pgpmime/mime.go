package pgpmime

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	nettextproto "net/textproto"
	"strings"

	"github.com/emersion/go-message/textproto"

	"github.com/sealpost/sealpost/crypto/internal/mimesplit"
)

// maxDepth bounds the nesting of multipart bodies that canonicalisation
// descends into.
const maxDepth = 32

// maxLine is the longest line (without CRLF) RFC 5322 allows.
const maxLine = 998

// leafLimit is the largest body without transfer encoding that
// canonicalisation examines whole to choose the lightest safe encoding;
// a larger one is re-encoded as it streams (text as quoted-printable, other
// data as base64).
const leafLimit = 1 << 20

// field is one header field: its canonical name (as textproto spells it,
// e.g. "Message-Id"), its unfolded value and its raw bytes ending in CRLF.
type field struct {
	name, value string
	raw         []byte
}

// entity is the header of a MIME entity: its fields in order.
type entity struct {
	header []field
}

// readEntity reads the header of an entity from r and returns it with the
// reader of its body.
func readEntity(r io.Reader) (entity, io.Reader, error) {
	br := bufio.NewReader(r)
	h, err := textproto.ReadHeader(br)
	if err != nil {
		return entity{}, nil, fmt.Errorf("%w: header: %w", ErrMalformedMessage, err)
	}
	var e entity
	fs := h.Fields()
	for fs.Next() {
		raw, err := fs.Raw()
		if err != nil {
			return entity{}, nil, fmt.Errorf("%w: header field %q: %w", ErrMalformedMessage, fs.Key(), err)
		}
		e.header = append(e.header, field{name: fs.Key(), value: fs.Value(), raw: raw})
	}
	return e, br, nil
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

// writeHeader writes the header fields and the empty line that ends them.
func (e *entity) writeHeader(w io.Writer) error {
	for _, f := range e.header {
		if _, err := w.Write(f.raw); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, "\r\n")
	return err
}

// part is an entity whose header is final and whose body writeBody writes
// (once: a streamed body is consumed).
type part struct {
	entity
	writeBody func(w io.Writer) error
}

// writeTo writes the whole entity: header, empty line and body.
func (p *part) writeTo(w io.Writer) error {
	if err := p.writeHeader(w); err != nil {
		return err
	}
	return p.writeBody(w)
}

// fixedPart returns a part with the given body bytes.
func fixedPart(e entity, body []byte) part {
	return part{entity: e, writeBody: func(w io.Writer) error {
		_, err := w.Write(body)
		return err
	}}
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

// multipart returns an entity of media type mt (with params) holding the
// parts that parts write (each a whole entity: header, empty line, body),
// after an optional preamble.
func multipart(mt string, params map[string]string, preamble string, parts ...func(io.Writer) error) (part, error) {
	boundary, err := newBoundary()
	if err != nil {
		return part{}, err
	}
	if params == nil {
		params = map[string]string{}
	}
	params["boundary"] = boundary
	var e entity
	if err := e.set("Content-Type", mime.FormatMediaType(mt, params)); err != nil {
		return part{}, err
	}
	return part{entity: e, writeBody: func(w io.Writer) error {
		if preamble != "" {
			if _, err := io.WriteString(w, preamble+"\r\n"); err != nil {
				return err
			}
		}
		for i := range parts {
			if _, err := io.WriteString(w, "--"+boundary+"\r\n"); err != nil {
				return err
			}
			if err := parts[i](w); err != nil {
				return err
			}
			if _, err := io.WriteString(w, "\r\n"); err != nil {
				return err
			}
		}
		_, err := io.WriteString(w, "--"+boundary+"--\r\n")
		return err
	}}, nil
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

// canonicalize returns the entity e with the body read from body, with CRLF
// line ends throughout and every body part 7-bit safe: 8-bit or binary text
// is re-encoded as quoted-printable, other 8-bit or binary data as base64.
// Multipart preambles and epilogues are dropped. This is what RFC 3156
// requires of signed data, and it makes the payload of encrypted mail
// survive any transport after decryption too.
//
// The header is decided here; the body streams when the part is written,
// and problems found in it then (a body that does not decode, a missing
// closing boundary) fail that write with ErrMalformedMessage.
func canonicalize(e entity, body io.Reader, depth int) (part, error) {
	if depth > maxDepth {
		return part{}, fmt.Errorf("%w: MIME parts nested deeper than %d", ErrMalformedMessage, maxDepth)
	}
	mt, params, err := e.mediaType()
	if err != nil {
		return part{}, err
	}
	if strings.HasPrefix(mt, "multipart/") {
		return canonicalMultipart(e, params["boundary"], body, depth)
	}
	cte := strings.ToLower(strings.TrimSpace(e.get("Content-Transfer-Encoding")))
	switch {
	case cte == "base64":
		return part{entity: e, writeBody: func(w io.Writer) error {
			return checkedCopy(&crlfWriter{w: w}, cte, body)
		}}, nil
	case cte == "quoted-printable":
		return part{entity: e, writeBody: func(w io.Writer) error {
			return checkedCopy(&qpCleaner{w: w}, cte, body)
		}}, nil
	case cte != "" && cte != "7bit" && cte != "8bit" && cte != "binary":
		return part{}, fmt.Errorf("%w: unknown Content-Transfer-Encoding %q", ErrMalformedMessage, cte)
	}
	head, err := io.ReadAll(io.LimitReader(body, leafLimit+1))
	if err != nil {
		return part{}, err
	}
	if len(head) <= leafLimit {
		return canonicalLeaf(e, mt, head)
	}
	return largeLeaf(e, mt, io.MultiReader(bytes.NewReader(head), body))
}

// canonicalLeaf canonicalises a leaf without transfer encoding whose whole
// body is known: it keeps 7-bit text as it is where that is safe.
func canonicalLeaf(e entity, mt string, body []byte) (part, error) {
	safe := check7bit(body) == nil
	var cte string
	switch {
	case strings.HasPrefix(mt, "message/"):
		// RFC 2046 forbids encoding message/* bodies.
		if !safe {
			return part{}, errEightBitMessage(mt)
		}
		return fixedPart(e, toCRLF(body)), nil
	case strings.HasPrefix(mt, "text/") && safe && !needsQP(body):
		cte, body = "7bit", toCRLF(body)
	case strings.HasPrefix(mt, "text/"):
		cte, body = "quoted-printable", encodeQP(body)
	case safe && !bytes.Contains(bytes.ReplaceAll(body, []byte("\r\n"), nil), []byte("\n")):
		// 7-bit data that already has CRLF line ends: nothing changes.
		cte = "7bit"
	default:
		cte, body = "base64", encodeBase64(body)
	}
	if err := e.set("Content-Transfer-Encoding", cte); err != nil {
		return part{}, err
	}
	return fixedPart(e, body), nil
}

// errEightBitMessage reports an attached message that cannot travel as it is.
func errEightBitMessage(mt string) error {
	return fmt.Errorf("%w: attached message %s contains 8-bit data; attach it as a file instead", ErrMalformedMessage, mt)
}

// largeLeaf canonicalises a leaf without transfer encoding that is larger
// than leafLimit as it streams: an attached message must be 7-bit already,
// text is encoded as quoted-printable, anything else as base64.
func largeLeaf(e entity, mt string, body io.Reader) (part, error) {
	var enc func(io.Writer) io.WriteCloser
	switch {
	case strings.HasPrefix(mt, "message/"):
		return part{entity: e, writeBody: func(w io.Writer) error {
			var check sevenBit
			if _, err := io.Copy(&crlfWriter{w: w}, io.TeeReader(body, &check)); err != nil {
				if errors.Is(err, errNot7bit) {
					return errEightBitMessage(mt)
				}
				return err
			}
			if check.Close() != nil {
				return errEightBitMessage(mt)
			}
			return nil
		}}, nil
	case strings.HasPrefix(mt, "text/"):
		enc = func(w io.Writer) io.WriteCloser { return newQPEncoder(w) }
		if err := e.set("Content-Transfer-Encoding", "quoted-printable"); err != nil {
			return part{}, err
		}
	default:
		enc = func(w io.Writer) io.WriteCloser { return newBase64Encoder(w) }
		if err := e.set("Content-Transfer-Encoding", "base64"); err != nil {
			return part{}, err
		}
	}
	return part{entity: e, writeBody: func(w io.Writer) error {
		ew := enc(w)
		if _, err := io.Copy(ew, body); err != nil {
			return err
		}
		return ew.Close()
	}}, nil
}

// canonicalMultipart canonicalises each part of a multipart entity as it
// streams.
func canonicalMultipart(e entity, boundary string, body io.Reader, depth int) (part, error) {
	if boundary == "" {
		return part{}, fmt.Errorf("%w: multipart part without boundary", ErrMalformedMessage)
	}
	// A multipart entity is 7-bit once its parts are.
	e.header = withoutCTE(e.header)
	return part{entity: e, writeBody: func(w io.Writer) error {
		s := mimesplit.New(body, boundary, true)
		for s.Next() {
			h, rest, err := readEntity(s)
			if err != nil {
				return err
			}
			p, err := canonicalize(h, rest, depth+1)
			if err != nil {
				return err
			}
			if _, err := io.WriteString(w, "--"+boundary+"\r\n"); err != nil {
				return err
			}
			if err := p.writeTo(w); err != nil {
				return err
			}
			if _, err := io.WriteString(w, "\r\n"); err != nil {
				return err
			}
		}
		if err := s.Err(); errors.Is(err, mimesplit.ErrBoundaryInContent) {
			return fmt.Errorf("%w: %w", ErrMalformedMessage, err)
		} else if err != nil {
			return err
		}
		if !s.Closed() {
			return fmt.Errorf("%w: multipart body without closing boundary %q", ErrMalformedMessage, boundary)
		}
		_, err := io.WriteString(w, "--"+boundary+"--\r\n")
		return err
	}}, nil
}

// withoutCTE drops Content-Transfer-Encoding fields.
func withoutCTE(h []field) []field {
	out := h[:0:0]
	for _, f := range h {
		if f.name != "Content-Transfer-Encoding" {
			out = append(out, f)
		}
	}
	return out
}
