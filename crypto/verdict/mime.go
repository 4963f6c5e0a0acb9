package verdict

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime/quotedprintable"
	"strconv"
	"strings"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/textproto"
)

// part is one node of a parsed MIME tree. raw keeps the exact input bytes of
// the part (header and body) because a multipart/signed signature covers them.
type part struct {
	header    message.Header
	mediaType string // lower case, e.g. "text/plain"
	params    map[string]string
	raw       []byte
	body      []byte // still transfer-encoded
	children  []*part
	path      string
	decoded   []byte // body after transfer decoding, once decodeBody ran
	done      bool   // decoded is set
}

// isMultipart reports whether the part is a multipart of the given subtype
// ("" matches any subtype).
func (p *part) isMultipart(sub string) bool {
	if sub == "" {
		return strings.HasPrefix(p.mediaType, "multipart/")
	}
	return p.mediaType == "multipart/"+sub
}

// childPath returns the IMAP-style section number of child i of a part at
// path parent ("" is the root; "2/" the root of the content decrypted from
// part 2).
func childPath(parent string, i int) string {
	if parent == "" || strings.HasSuffix(parent, "/") {
		return parent + strconv.Itoa(i+1)
	}
	return parent + "." + strconv.Itoa(i+1)
}

// parse parses raw as a MIME entity at the given path and depth. It fails
// only when the header cannot be read; a multipart body it cannot split, or
// may not split because of a limit, becomes an opaque part and a warning.
func (in *inspector) parse(raw []byte, path string, depth int) (*part, error) {
	r := bytes.NewReader(raw)
	br := bufio.NewReader(r)
	h, err := textproto.ReadHeader(br)
	if err != nil {
		return nil, fmt.Errorf("read MIME header: %w", err)
	}
	consumed := len(raw) - r.Len() - br.Buffered()
	p := &part{header: message.Header{Header: h}, raw: raw, body: raw[consumed:], path: path}
	p.mediaType, p.params = contentType(p.header)
	if !p.isMultipart("") {
		return p, nil
	}
	boundary := p.params["boundary"]
	if boundary == "" {
		in.warn("a multipart part without boundary is shown as an attachment")
		p.mediaType = "application/octet-stream"
		return p, nil
	}
	if depth+1 > in.lim.MaxDepth {
		in.limitHit(fmt.Sprintf("MIME nesting deeper than %d levels", in.lim.MaxDepth))
		p.mediaType = "application/octet-stream"
		return p, nil
	}
	for i, chunk := range splitMultipart(p.body, boundary) {
		if in.parts >= in.lim.MaxParts {
			in.limitHit(fmt.Sprintf("more than %d MIME parts", in.lim.MaxParts))
			break
		}
		in.parts++
		c, err := in.parse(chunk, childPath(path, i), depth+1)
		if err != nil {
			// An unreadable child header: keep the bytes as an opaque part
			// so that nothing of it is rendered as text.
			in.warn("a part with an unreadable header is shown as an attachment (%v)", err)
			c = &part{raw: chunk, body: chunk, path: childPath(path, i),
				mediaType: "application/octet-stream", params: map[string]string{}}
		}
		p.children = append(p.children, c)
	}
	return p, nil
}

// contentType returns the lower-case media type and parameters of h, with
// the RFC 2045 default text/plain when the field is absent. An unparsable
// field keeps its bare type when one can be read.
func contentType(h message.Header) (string, map[string]string) {
	if !h.Has("Content-Type") {
		return "text/plain", map[string]string{}
	}
	t, params, err := h.ContentType()
	if err != nil || t == "" {
		t, _, _ = strings.Cut(h.Get("Content-Type"), ";")
		t = strings.ToLower(strings.TrimSpace(t))
		if params == nil {
			params = map[string]string{}
		}
		if !strings.Contains(t, "/") {
			t = "application/octet-stream"
		}
	}
	return strings.ToLower(t), params
}

// splitMultipart returns the body parts of a multipart body, in order, each
// as the exact bytes between its delimiter lines (RFC 2046 5.1.1: the line
// break before a delimiter belongs to the delimiter). A missing close
// delimiter ends the last part at the end of the body.
func splitMultipart(body []byte, boundary string) [][]byte {
	dash := []byte("--" + boundary)
	var parts [][]byte
	start := -1
	for i := 0; i < len(body); {
		end := bytes.IndexByte(body[i:], '\n')
		next := len(body)
		if end >= 0 {
			next = i + end + 1
			end = i + end
		} else {
			end = len(body)
		}
		line := bytes.TrimRight(body[i:end], "\r")
		if bytes.HasPrefix(line, dash) {
			rest := line[len(dash):]
			closing := bytes.HasPrefix(rest, []byte("--"))
			if closing {
				rest = rest[2:]
			}
			if len(bytes.Trim(rest, " \t")) == 0 {
				if start >= 0 {
					parts = append(parts, body[start:lineBreakStart(body, start, i)])
				}
				if closing {
					return parts
				}
				start = next
			}
		}
		i = next
	}
	if start >= 0 && start <= len(body) {
		parts = append(parts, body[start:])
	}
	return parts
}

// lineBreakStart returns where the line break that precedes position i
// begins, but not before start.
func lineBreakStart(body []byte, start, i int) int {
	end := i
	if end > start && body[end-1] == '\n' {
		end--
		if end > start && body[end-1] == '\r' {
			end--
		}
	}
	return end
}

// decodeBody undoes the Content-Transfer-Encoding of a part. Damaged
// encodings are decoded as far as possible; the output is capped by the
// inspector's decoded-size budget.
func (in *inspector) decodeBody(p *part) []byte {
	if p.done {
		return p.decoded
	}
	var out []byte
	switch strings.ToLower(strings.TrimSpace(p.header.Get("Content-Transfer-Encoding"))) {
	case "base64":
		out = decodeBase64(p.body)
	case "quoted-printable":
		out, _ = io.ReadAll(io.LimitReader(quotedprintable.NewReader(bytes.NewReader(p.body)), int64(len(p.body))))
	default:
		out = p.body
	}
	if int64(len(out)) > in.budget {
		in.limitHit(fmt.Sprintf("decoded content larger than %d bytes", in.lim.MaxDecodedSize))
		out = out[:in.budget]
	}
	in.budget -= int64(len(out))
	p.decoded, p.done = out, true
	return out
}

// decodeBase64 decodes base64 leniently: characters outside the alphabet
// are skipped, padding ends the data and a truncated final group is dropped.
func decodeBase64(b []byte) []byte {
	if i := bytes.IndexByte(b, '='); i >= 0 {
		b = b[:i]
	}
	// Well-formed base64 in lines, the usual case, decodes as it is (the
	// decoder skips CR and LF) and ten times faster than the loop below.
	out := make([]byte, base64.RawStdEncoding.DecodedLen(len(b)))
	if n, err := base64.RawStdEncoding.Decode(out, b); err == nil {
		return out[:n]
	}
	clean := make([]byte, 0, len(b))
	for _, c := range b {
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '+', c == '/':
			clean = append(clean, c)
		}
	}
	if len(clean)%4 == 1 {
		clean = clean[:len(clean)-1]
	}
	n, _ := base64.RawStdEncoding.Decode(out, clean)
	return out[:n]
}

// canonicalCRLF converts every line ending of b to CRLF (RFC 3156 section 5).
func canonicalCRLF(b []byte) []byte {
	out := make([]byte, 0, len(b)+len(b)/32)
	for i := 0; i < len(b); i++ {
		switch {
		case b[i] == '\r' && i+1 < len(b) && b[i+1] == '\n':
			out = append(out, '\r', '\n')
			i++
		case b[i] == '\n' || b[i] == '\r':
			out = append(out, '\r', '\n')
		default:
			out = append(out, b[i])
		}
	}
	return out
}
