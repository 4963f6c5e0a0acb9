package pgpmime

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime/quotedprintable"
)

// This file holds the streaming transforms of canonicalisation: each is an
// io.Writer with a Close that ends the data, so that a body of any size
// passes through in bounded memory.

// errNot7bit reports data that must be re-encoded to travel as 7-bit text.
var errNot7bit = errors.New("not 7-bit safe")

// sevenBit checks that what is written to it is 7-bit safe line-oriented
// text: bytes 1 to 127, no CR outside CRLF, lines of at most 998 characters.
// Write fails at the first offending byte.
type sevenBit struct {
	off     int64 // bytes checked
	lineLen int
	cr      bool // the last byte was a CR
}

func (s *sevenBit) Write(p []byte) (int, error) {
	for i, c := range p {
		if s.cr && c != '\n' {
			return i, fmt.Errorf("%w: bare CR at offset %d", errNot7bit, s.off+int64(i)-1)
		}
		s.cr = false
		switch {
		case c == 0 || c >= 0x80:
			return i, fmt.Errorf("%w: byte 0x%02x at offset %d", errNot7bit, c, s.off+int64(i))
		case c == '\r':
			s.cr = true
		case c == '\n':
			s.lineLen = 0
		default:
			s.lineLen++
			if s.lineLen > maxLine {
				return i, fmt.Errorf("%w: line longer than %d characters at offset %d", errNot7bit, maxLine, s.off+int64(i))
			}
		}
	}
	s.off += int64(len(p))
	return len(p), nil
}

// Close reports a CR at the very end.
func (s *sevenBit) Close() error {
	if s.cr {
		return fmt.Errorf("%w: bare CR at offset %d", errNot7bit, s.off-1)
	}
	return nil
}

// check7bit reports whether data is 7-bit safe line-oriented text.
func check7bit(data []byte) error {
	var s sevenBit
	if _, err := s.Write(data); err != nil {
		return err
	}
	return s.Close()
}

// crlfWriter converts LF line ends to CRLF (CRLF stays); the data must have
// no bare CR.
type crlfWriter struct {
	w   io.Writer
	cr  bool // the last byte written was a CR
	buf []byte
}

func (c *crlfWriter) Write(p []byte) (int, error) {
	out := c.buf[:0]
	for rest := p; len(rest) > 0; {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			out = append(out, rest...)
			c.cr = rest[len(rest)-1] == '\r'
			break
		}
		out = append(out, rest[:i]...)
		if (i == 0 && !c.cr) || (i > 0 && rest[i-1] != '\r') {
			out = append(out, '\r')
		}
		out = append(out, '\n')
		c.cr = false
		rest = rest[i+1:]
	}
	c.buf = out
	if _, err := c.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Close does nothing: there is nothing left to write.
func (c *crlfWriter) Close() error { return nil }

// toCRLF converts LF and CRLF line ends to CRLF; data must have no bare CR.
func toCRLF(data []byte) []byte {
	var b bytes.Buffer
	b.Grow(len(data) + len(data)/32)
	// Writes to a bytes.Buffer cannot fail.
	_, _ = (&crlfWriter{w: &b}).Write(data)
	return b.Bytes()
}

// qpCleaner writes quoted-printable text with CRLF line ends, trailing white
// space removed from each line (decoders ignore it; some relays strip it and
// would break the signature) and lines that begin with "From " escaped (mbox
// relays rewrite them as ">From "). Its input must have no bare CR and lines
// of bounded length (checked 7-bit text, or a quoted-printable encoder's
// output).
type qpCleaner struct {
	w    io.Writer
	line []byte
}

func (q *qpCleaner) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			q.line = append(q.line, p...)
			break
		}
		q.line = append(q.line, p[:i]...)
		if err := q.flush(true); err != nil {
			return 0, err
		}
		p = p[i+1:]
	}
	return n, nil
}

// flush writes the pending line, with a line end when eol is set.
func (q *qpCleaner) flush(eol bool) error {
	content := q.line
	if eol {
		content = bytes.TrimSuffix(content, []byte("\r"))
	}
	content = bytes.TrimRight(content, " \t")
	var out []byte
	if bytes.HasPrefix(content, []byte("From ")) {
		out = append(out, "=46"...)
		content = content[1:]
	}
	out = append(out, content...)
	if eol {
		out = append(out, "\r\n"...)
	}
	q.line = q.line[:0]
	_, err := q.w.Write(out)
	return err
}

// Close writes the last line, which has no line end.
func (q *qpCleaner) Close() error {
	if len(q.line) == 0 {
		return nil
	}
	return q.flush(false)
}

// qpEncoder encodes text as quoted-printable with CRLF line ends, cleaned.
type qpEncoder struct {
	qp *quotedprintable.Writer
	q  *qpCleaner
}

func newQPEncoder(w io.Writer) *qpEncoder {
	q := &qpCleaner{w: w}
	return &qpEncoder{qp: quotedprintable.NewWriter(q), q: q}
}

func (e *qpEncoder) Write(p []byte) (int, error) { return e.qp.Write(p) }

// Close ends the encoding.
func (e *qpEncoder) Close() error {
	if err := e.qp.Close(); err != nil {
		return err
	}
	return e.q.Close()
}

// encodeQP encodes text as quoted-printable with CRLF line ends.
func encodeQP(text []byte) []byte {
	var b bytes.Buffer
	e := newQPEncoder(&b)
	// Writes to a bytes.Buffer cannot fail.
	_, _ = e.Write(text)
	_ = e.Close()
	return b.Bytes()
}

// b64Line is the length of a base64 body line.
const b64Line = 76

// lineFolder breaks what is written to it into lines of b64Line characters
// joined by CRLF; the last line has no line break (the one before the next
// boundary belongs to it).
type lineFolder struct {
	w   io.Writer
	col int
	buf []byte
}

func (f *lineFolder) Write(p []byte) (int, error) {
	out := f.buf[:0]
	for rest := p; len(rest) > 0; {
		if f.col == b64Line {
			out = append(out, "\r\n"...)
			f.col = 0
		}
		k := min(b64Line-f.col, len(rest))
		out = append(out, rest[:k]...)
		f.col += k
		rest = rest[k:]
	}
	f.buf = out
	if _, err := f.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// base64Encoder encodes data as base64 in folded lines.
type base64Encoder struct {
	enc io.WriteCloser
}

func newBase64Encoder(w io.Writer) *base64Encoder {
	return &base64Encoder{enc: base64.NewEncoder(base64.StdEncoding, &lineFolder{w: w})}
}

func (e *base64Encoder) Write(p []byte) (int, error) { return e.enc.Write(p) }

// Close writes the last group.
func (e *base64Encoder) Close() error { return e.enc.Close() }

// encodeBase64 encodes data as base64 in lines of 76 characters.
func encodeBase64(data []byte) []byte {
	var b bytes.Buffer
	b.Grow(len(data)/3*4 + len(data)/38 + 8)
	e := newBase64Encoder(&b)
	// Writes to a bytes.Buffer cannot fail.
	_, _ = e.Write(data)
	_ = e.Close()
	return b.Bytes()
}

// checkedCopy copies a transfer-encoded body (cte "base64" or
// "quoted-printable") from r to w through xf (which it closes), checking on
// the way that the body is 7-bit text that decodes, so that readers can
// decode what is signed or encrypted. A body that fails the check is
// ErrMalformedMessage; errors reading r or writing xf are returned as they
// are.
func checkedCopy(xf io.WriteCloser, cte string, r io.Reader) error {
	src := &teeChecker{r: r, out: xf}
	var dec io.Reader = quotedprintable.NewReader(src)
	if cte == "base64" {
		// The decoder skips line breaks.
		dec = base64.NewDecoder(base64.StdEncoding, src)
	}
	_, err := io.Copy(io.Discard, dec)
	if err == nil {
		// A decoder may stop at its end marker: the rest passes unchecked by it.
		_, err = io.Copy(io.Discard, src)
	}
	if err == nil {
		err = src.check.Close()
	}
	switch {
	case src.ioErr != nil:
		return src.ioErr
	case src.checkErr != nil:
		err = src.checkErr
	case err != nil && !errors.Is(err, errNot7bit):
		err = fmt.Errorf("does not decode: %w", err)
	}
	if err != nil {
		return fmt.Errorf("%w: %s part: %w", ErrMalformedMessage, cte, err)
	}
	return xf.Close()
}

// teeChecker passes what it reads through a 7-bit check to out.
type teeChecker struct {
	r        io.Reader
	check    sevenBit
	out      io.Writer
	checkErr error // the data is not 7-bit
	ioErr    error // reading r or writing out failed
}

func (t *teeChecker) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		t.ioErr = err
		return 0, err
	}
	if n > 0 {
		if _, werr := t.check.Write(p[:n]); werr != nil {
			t.checkErr = werr
			return 0, werr
		}
		if _, werr := t.out.Write(p[:n]); werr != nil {
			t.ioErr = werr
			return 0, werr
		}
	}
	return n, err
}
