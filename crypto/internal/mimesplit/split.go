// Package mimesplit reads the body parts of a MIME multipart body (RFC 2046
// section 5.1.1) one after another from a stream, so that neither the whole
// body nor a whole part has to be in memory.
//
// A delimiter line is "--" boundary, optionally followed by "--" (the close
// delimiter), then only spaces and tabs (transport padding) and the line
// break; carriage returns before the line break are ignored. The line break
// before a delimiter belongs to the delimiter, not to the part. The preamble
// before the first delimiter and the epilogue after the close delimiter are
// not parts.
package mimesplit

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// bufSize is the read buffer: the longest delimiter line recognised. A line
// that starts with the boundary and is longer is content.
const bufSize = 16 << 10

// ErrBoundaryInContent reports, in strict mode, a line that starts with the
// boundary but is not a delimiter line: readers disagree on such lines.
var ErrBoundaryInContent = errors.New("a line in the multipart body starts with its boundary")

// Splitter reads the parts of one multipart body. Call Next to move to each
// part and Read to read it.
type Splitter struct {
	br     *bufio.Reader
	dash   []byte
	nlDash []byte // a line break and dash: where a delimiter line may start
	strict bool

	started  bool   // the first delimiter was seen
	inPart   bool   // a part is open and not read to its end
	opened   bool   // a delimiter opened a part that Next has not begun
	closed   bool   // the close delimiter was seen
	eof      bool   // the input has ended
	midLine  bool   // the last chunk read did not end its line
	held     []byte // a line break (or CR) withheld: it may belong to a delimiter
	out      []byte // content ready to be returned by Read
	outBuf   []byte // storage for out
	consumed int64  // bytes read from the input
	start    int64  // offset of the current part in the input
	err      error
}

// New returns a Splitter for the multipart body r with the given boundary.
// In strict mode a line that starts with the boundary but is not a
// delimiter line is an error (ErrBoundaryInContent); otherwise it is content.
func New(r io.Reader, boundary string, strict bool) *Splitter {
	return &Splitter{br: bufio.NewReaderSize(r, bufSize), dash: []byte("--" + boundary), nlDash: []byte("\n--" + boundary), strict: strict}
}

// Next skips what is left of the current part (or the preamble) and moves to
// the next part. It returns false at the close delimiter, at the end of the
// input, or on an error (see Err).
func (s *Splitter) Next() bool {
	if s.err != nil || s.closed {
		return false
	}
	if s.inPart {
		if _, err := io.Copy(io.Discard, s); err != nil {
			s.err = err
			return false
		}
	}
	if s.opened {
		// The delimiter that ended the last part opens this one.
		s.opened = false
		s.begin()
		return true
	}
	if s.started {
		return false // the input ended inside the last part
	}
	// The preamble: every line up to the first delimiter.
	for {
		line, complete, err := s.readChunk()
		if err != nil {
			s.err = err
			return false
		}
		if line == nil {
			return false
		}
		if !complete {
			continue
		}
		isDelim, closing, err := s.delimiter(line)
		if err != nil {
			s.err = err
			return false
		}
		if isDelim {
			s.started = true
			if closing {
				s.closed = true
				return false
			}
			s.begin()
			return true
		}
	}
}

// begin opens a part at the current position.
func (s *Splitter) begin() {
	s.inPart, s.start, s.held, s.out = true, s.consumed, s.held[:0], nil
}

// Err returns the error that stopped Next or Read, if any.
func (s *Splitter) Err() error { return s.err }

// Closed reports whether the close delimiter was seen.
func (s *Splitter) Closed() bool { return s.closed }

// Offset returns the offset of the current part's first byte in the input.
func (s *Splitter) Offset() int64 { return s.start }

// Read reads the current part. It returns io.EOF at the part's end.
func (s *Splitter) Read(p []byte) (int, error) {
	for len(s.out) == 0 {
		if s.err != nil {
			return 0, s.err
		}
		if !s.inPart {
			return 0, io.EOF
		}
		if err := s.fill(); err != nil {
			s.err = err
			return 0, err
		}
	}
	n := copy(p, s.out)
	s.out = s.out[n:]
	return n, nil
}

// fill reads the next line (or chunk of a long line) of the current part
// into out, or ends the part at a delimiter or at the end of the input.
func (s *Splitter) fill() error {
	if !s.midLine {
		if lines := s.contentLines(); len(lines) > 0 {
			// As many lines read one by one: each line break but the last
			// is content.
			buf := append(append(s.outBuf[:0], s.held...), lines...)
			s.consumed += int64(len(lines))
			_, _ = s.br.Discard(len(lines)) // buffered: cannot fail
			keep := len(buf) - 1
			if bytes.HasSuffix(buf, []byte("\r\n")) {
				keep--
			}
			s.outBuf, s.held, s.out = buf, append(s.held[:0], buf[keep:]...), buf[:keep]
			return nil
		}
	}
	atStart := !s.midLine
	line, complete, err := s.readChunk()
	if err != nil {
		return err
	}
	if line == nil {
		// The input ended without a close delimiter: the part runs to the
		// end, its last line break included.
		s.out = append(s.outBuf[:0], s.held...)
		s.outBuf, s.held, s.inPart = s.out, s.held[:0], false
		return nil
	}
	if atStart && complete {
		isDelim, closing, err := s.delimiter(line)
		if err != nil {
			return err
		}
		if isDelim {
			s.held, s.inPart, s.closed, s.opened = s.held[:0], false, closing, !closing
			return nil
		}
	}
	buf := append(append(s.outBuf[:0], s.held...), line...)
	s.outBuf = buf
	// Withhold the line break: it belongs to a delimiter on the next line.
	keep := len(buf)
	switch {
	case bytes.HasSuffix(buf, []byte("\r\n")):
		keep -= 2
	case bytes.HasSuffix(buf, []byte("\n")), !complete && bytes.HasSuffix(buf, []byte("\r")):
		keep--
	}
	s.held = append(s.held[:0], buf[keep:]...)
	s.out = buf[:keep]
	return nil
}

// contentLines returns the whole lines at the start of the read buffer
// (which starts a line) up to the first that starts with the boundary:
// none of them can be a delimiter line, so they are content, found with
// one search instead of line by line. It reads nothing from the input.
func (s *Splitter) contentLines() []byte {
	b, _ := s.br.Peek(s.br.Buffered())
	if bytes.HasPrefix(b, s.dash) {
		return nil
	}
	if i := bytes.Index(b, s.nlDash); i >= 0 {
		b = b[:i+1]
	}
	return b[:bytes.LastIndexByte(b, '\n')+1]
}

// readChunk reads one line, or the next chunk of a line longer than the
// buffer. complete is false for a chunk that does not end its line. At the
// end of the input it returns a nil line.
func (s *Splitter) readChunk() (line []byte, complete bool, err error) {
	if s.eof {
		return nil, false, nil
	}
	line, err = s.br.ReadSlice('\n')
	s.consumed += int64(len(line))
	switch {
	case err == nil:
		s.midLine = false
		return line, true, nil
	case errors.Is(err, bufio.ErrBufferFull):
		s.midLine = true
		return line, false, nil
	case errors.Is(err, io.EOF):
		s.eof, s.midLine = true, false
		if len(line) == 0 {
			return nil, false, nil
		}
		return line, true, nil
	}
	return nil, false, fmt.Errorf("read multipart body: %w", err)
}

// delimiter reports whether a whole line is a delimiter line, and whether it
// is the close delimiter.
func (s *Splitter) delimiter(line []byte) (isDelim, closing bool, err error) {
	line = bytes.TrimRight(bytes.TrimSuffix(line, []byte("\n")), "\r")
	if !bytes.HasPrefix(line, s.dash) {
		return false, false, nil
	}
	rest := line[len(s.dash):]
	closing = bytes.HasPrefix(rest, []byte("--"))
	if closing {
		rest = rest[2:]
	}
	if len(bytes.Trim(rest, " \t")) == 0 {
		return true, closing, nil
	}
	if s.strict {
		return false, false, fmt.Errorf("%w %q", ErrBoundaryInContent, s.dash[2:])
	}
	return false, false, nil
}
