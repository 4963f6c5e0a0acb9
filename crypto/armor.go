package crypto

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
)

// A table-driven armor encoder and a streaming decoder for messages. go-crypto's encoder computes the
// CRC-24 bit by bit, which capped armored encryption near 90 MB/s; the output
// format is the same (RFC 4880 section 6: 64-character lines, CRC-24 line,
// which GnuPG 2.2 needs to find the end of the data).

const (
	armorLineBytes = 48 // input bytes per 64-character base64 line
	crc24Init      = 0xB704CE
	crc24Poly      = 0x1864CFB
)

// crc24Tables are slicing-by-8 tables for CRC-24 (RFC 4880 6.1), kept in
// the top 24 bits of a 32-bit register: crc24Tables[0] is the byte-wise table,
// crc24Tables[k] advances a byte by k further zero bytes.
var crc24Tables = func() (t [8][256]uint32) {
	const poly32 = (crc24Poly << 8) & 0xFFFFFFFF
	for i := range t[0] {
		c := uint32(i) << 24
		for range 8 {
			if c&0x80000000 != 0 {
				c = c<<1 ^ poly32
			} else {
				c <<= 1
			}
		}
		t[0][i] = c
	}
	for k := 1; k < len(t); k++ {
		for i := range t[k] {
			prev := t[k-1][i]
			t[k][i] = prev<<8 ^ t[0][prev>>24]
		}
	}
	return t
}()

// crc24 continues the CRC-24 crc over p.
func crc24(crc uint32, p []byte) uint32 {
	t := &crc24Tables
	c := crc << 8
	for len(p) >= 8 {
		x := c ^ binary.BigEndian.Uint32(p)
		y := binary.BigEndian.Uint32(p[4:])
		c = t[7][x>>24] ^ t[6][x>>16&0xFF] ^ t[5][x>>8&0xFF] ^ t[4][x&0xFF] ^
			t[3][y>>24] ^ t[2][y>>16&0xFF] ^ t[1][y>>8&0xFF] ^ t[0][y&0xFF]
		p = p[8:]
	}
	for _, b := range p {
		c = c<<8 ^ t[0][byte(c>>24)^b]
	}
	return c >> 8
}

// armorWriter encodes a "PGP MESSAGE" armor block.
type armorWriter struct {
	out     io.Writer
	crc     uint32
	pending []byte // fewer than armorLineBytes input bytes
	line    []byte // encoded output waiting to be written
	closed  bool
}

func newArmorWriter(out io.Writer) (*armorWriter, error) {
	if _, err := io.WriteString(out, "-----BEGIN PGP MESSAGE-----\n\n"); err != nil {
		return nil, err
	}
	return &armorWriter{out: out, crc: crc24Init, pending: make([]byte, 0, armorLineBytes)}, nil
}

// Write encodes p; whole lines are written at once.
func (a *armorWriter) Write(p []byte) (int, error) {
	if a.closed {
		return 0, errors.New("crypto: write to a closed armor writer")
	}
	n := len(p)
	a.crc = crc24(a.crc, p)
	if len(a.pending) > 0 {
		k := min(armorLineBytes-len(a.pending), len(p))
		a.pending = append(a.pending, p[:k]...)
		p = p[k:]
		if len(a.pending) < armorLineBytes {
			return n, nil
		}
		a.encodeLines(a.pending)
		a.pending = a.pending[:0]
	}
	whole := len(p) - len(p)%armorLineBytes
	a.encodeLines(p[:whole])
	a.pending = append(a.pending, p[whole:]...)
	if _, err := a.out.Write(a.line); err != nil {
		return 0, err
	}
	a.line = a.line[:0]
	return n, nil
}

// encodeLines appends the base64 lines for p (a multiple of armorLineBytes).
func (a *armorWriter) encodeLines(p []byte) {
	for len(p) >= armorLineBytes {
		a.line = base64.StdEncoding.AppendEncode(a.line, p[:armorLineBytes])
		a.line = append(a.line, '\n')
		p = p[armorLineBytes:]
	}
}

// Close writes the last line, the checksum line and the footer. It does not
// close the underlying writer.
func (a *armorWriter) Close() error {
	if a.closed {
		return nil
	}
	a.closed = true
	if len(a.pending) > 0 {
		a.line = base64.StdEncoding.AppendEncode(a.line, a.pending)
		a.line = append(a.line, '\n')
	}
	a.line = append(a.line, '=')
	a.line = base64.StdEncoding.AppendEncode(a.line, []byte{byte(a.crc >> 16), byte(a.crc >> 8), byte(a.crc)})
	a.line = append(a.line, "\n-----END PGP MESSAGE-----\n"...)
	_, err := a.out.Write(a.line)
	return err
}

// armorReader decodes the body of a "PGP MESSAGE" armor block as a stream.
// go-crypto's decoder handles one 64-character line per call, which capped
// armored decryption near 180 MB/s. The CRC-24 line is not checked (neither
// does go-crypto; the MDC or AEAD tag protects the data).
type armorReader struct {
	in        *bufio.Reader
	lineStart bool // the next unread byte starts a line
	done      bool
}

// newArmorReader reads the armor header lines of a "PGP MESSAGE" block.
func newArmorReader(in *bufio.Reader) (io.Reader, error) {
	const begin = "-----BEGIN "
	for {
		line, err := in.ReadSlice('\n')
		if err != nil && len(line) == 0 {
			return nil, errors.New("no armor header line")
		}
		text := strings.TrimSpace(string(line))
		if !strings.HasPrefix(text, begin) {
			if err != nil {
				return nil, errors.New("no armor header line")
			}
			continue
		}
		if typ := strings.TrimSuffix(strings.TrimPrefix(text, begin), "-----"); typ != "PGP MESSAGE" {
			return nil, fmt.Errorf("armor block is a %q, not a \"PGP MESSAGE\"", typ)
		}
		break
	}
	// Armor headers ("Version: ...") end with an empty line.
	for {
		line, err := in.ReadSlice('\n')
		if len(bytes.TrimSpace(line)) == 0 {
			if err != nil {
				return nil, errors.New("armor ends before its body")
			}
			break
		}
		if !bytes.Contains(line, []byte(":")) {
			return nil, errors.New("armor header line without a colon")
		}
		if err != nil {
			return nil, errors.New("armor ends before its body")
		}
	}
	return base64.NewDecoder(base64.StdEncoding, &armorReader{in: in, lineStart: true}), nil
}

// Read returns base64 text up to the checksum or footer line (the first line
// that starts with '=' or '-'). Newlines pass through (the base64 decoder
// skips them); spaces and tabs are removed.
func (a *armorReader) Read(p []byte) (int, error) {
	if a.done {
		return 0, io.EOF
	}
	if _, err := a.in.Peek(1); err != nil {
		return 0, io.ErrUnexpectedEOF // no footer
	}
	buf, _ := a.in.Peek(min(a.in.Buffered(), len(p)))
	end := len(buf)
	for i := 0; i < len(buf); {
		if (i > 0 || a.lineStart) && (buf[i] == '-' || buf[i] == '=') {
			end, a.done = i, true
			break
		}
		nl := bytes.IndexByte(buf[i:], '\n')
		if nl < 0 {
			break
		}
		i += nl + 1
	}
	chunk := buf[:end]
	if end > 0 {
		a.lineStart = chunk[end-1] == '\n'
	}
	n := copy(p, chunk)
	if bytes.IndexByte(chunk, ' ') >= 0 || bytes.IndexByte(chunk, '\t') >= 0 {
		n = 0
		for _, c := range chunk {
			if c != ' ' && c != '\t' {
				p[n] = c
				n++
			}
		}
	}
	if _, err := a.in.Discard(end); err != nil {
		return 0, err
	}
	if n == 0 && a.done {
		return 0, io.EOF
	}
	return n, nil
}
