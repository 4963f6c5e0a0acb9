package verdict

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"io"
	"mime/quotedprintable"
	"strconv"
	"strings"
	"sync"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/textproto"

	"github.com/sealpost/sealpost/crypto/internal/mimesplit"
)

// maxHeaderSize bounds the header of one MIME part; a longer one is
// unreadable.
const maxHeaderSize = 1 << 20

// span is the bytes of a part or of its body. In the message itself it is a
// section of the input, read again when needed and never held; inside
// decrypted content (which cannot be read again) it is the bytes kept in
// memory, possibly only a prefix of them.
type span struct {
	src  io.ReaderAt // the input; nil for kept bytes
	off  int64
	n    int64 // the length of the section, or of the whole that kept begins
	kept []byte
}

// reader returns the bytes of the section, or those kept.
func (s span) reader() io.Reader {
	if s.src != nil {
		return io.NewSectionReader(s.src, s.off, s.n)
	}
	return bytes.NewReader(s.kept)
}

// size is how many bytes reader returns.
func (s span) size() int64 {
	if s.src != nil {
		return s.n
	}
	return int64(len(s.kept))
}

// whole reports whether reader returns all the bytes, not only a prefix.
func (s span) whole() bool { return s.src != nil || int64(len(s.kept)) == s.n }

// summary describes a decoded body without holding it.
type summary struct {
	size   int64
	sha256 [sha256.Size]byte
	head   []byte // the first headSize decoded bytes
}

// headSize is how much of a decoded body a summary keeps: enough to see
// whether it is an armored OpenPGP message.
const headSize = 1 << 10

// summarizer computes a summary of what is written to it.
type summarizer struct {
	sum summary
	h   hash.Hash
}

func newSummarizer() *summarizer { return &summarizer{h: sha256.New()} }

func (s *summarizer) Write(p []byte) (int, error) {
	if len(s.sum.head) < headSize {
		s.sum.head = append(s.sum.head, p[:min(len(p), headSize-len(s.sum.head))]...)
	}
	s.sum.size += int64(len(p))
	return s.h.Write(p)
}

func (s *summarizer) result() *summary {
	s.h.Sum(s.sum.sha256[:0])
	return &s.sum
}

// part is one node of a parsed MIME tree.
type part struct {
	header    message.Header
	mediaType string // lower case, e.g. "text/plain"
	params    map[string]string
	// raw is the part's exact bytes (header and body), which a
	// multipart/signed signature covers. Inside decrypted content only the
	// signed part of a multipart/signed keeps them.
	raw      span
	body     span // still transfer-encoded
	children []*part
	path     string
	decoded  []byte   // body after transfer decoding, once decodeBody ran
	done     bool     // decoded is set
	sum      *summary // set for leaves of decrypted content as they streamed
	// headerErr says why the header could not be read: the part is then
	// opaque, its body every byte of it.
	headerErr error
}

// isMultipart reports whether the part is a multipart of the given subtype
// ("" matches any subtype).
func (p *part) isMultipart(sub string) bool {
	if sub == "" {
		return strings.HasPrefix(p.mediaType, "multipart/")
	}
	return p.mediaType == "multipart/"+sub
}

// cte returns the part's Content-Transfer-Encoding, lower case.
func (p *part) cte() string {
	return strings.ToLower(strings.TrimSpace(p.header.Get("Content-Transfer-Encoding")))
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

// countReader counts the bytes read through it.
type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// recorder keeps a copy of what is read through it until stop.
type recorder struct {
	r   io.Reader
	buf []byte
	off bool
}

func (r *recorder) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if !r.off {
		r.buf = append(r.buf, p[:n]...)
	}
	return n, err
}

// keeper keeps up to limit bytes of what is written to it and counts all.
type keeper struct {
	buf   []byte
	limit int64
	n     int64
}

func (k *keeper) Write(p []byte) (int, error) {
	if room := k.limit - int64(len(k.buf)); room > 0 {
		k.buf = append(k.buf, p[:min(int64(len(p)), room)]...)
	}
	k.n += int64(len(p))
	return len(p), nil
}

// parse reads a MIME entity from r, which starts at offset off of the input
// (in.src) or, inside decrypted content (in.src nil), streams by once. It
// reads r to its end. The error is only for a failure to read r; a header
// that cannot be read makes an opaque part of type fallback (headerErr
// set), and a multipart body that cannot or may not be split (a limit) an
// opaque part with a warning.
func (in *inspector) parse(r io.Reader, off int64, path string, depth int, fallback string) (*part, error) {
	cr := &countReader{r: r}
	var hsrc io.Reader = cr
	var rec *recorder
	if in.src == nil {
		// The header bytes cannot be read again: keep them in case the
		// header is unreadable and they are the body of an opaque part.
		rec = &recorder{r: cr}
		hsrc = rec
	}
	br := in.headerReader(io.LimitReader(hsrc, maxHeaderSize))
	h, herr := textproto.ReadHeader(br)
	p := &part{path: path}
	if herr != nil {
		p.headerErr = fmt.Errorf("read MIME header: %w", herr)
		p.mediaType, p.params = fallback, map[string]string{}
		if rec == nil {
			_, err := in.copy(io.Discard, cr)
			p.body = span{src: in.src, off: off, n: cr.n}
			p.raw = p.body
			return p, err
		}
		rec.off = true
		if err := in.leafBody(p, io.MultiReader(bytes.NewReader(rec.buf), cr), off); err != nil {
			return nil, err
		}
		return p, nil
	}
	if rec != nil {
		rec.off, rec.buf = true, nil
	}
	// What the header's reader read beyond the header starts the body:
	// read again from the input, else a copy.
	bodyOff := off + cr.n - int64(br.Buffered())
	var ahead io.Reader
	if in.src != nil {
		ahead = io.NewSectionReader(in.src, bodyOff, int64(br.Buffered()))
	} else {
		buffered, _ := br.Peek(br.Buffered())
		ahead = bytes.NewReader(bytes.Clone(buffered))
	}
	body := io.MultiReader(ahead, cr)
	p.header = message.Header{Header: h}
	p.mediaType, p.params = contentType(p.header)
	if err := in.parseBody(p, body, bodyOff, depth); err != nil {
		return nil, err
	}
	if in.src != nil {
		p.raw = span{src: in.src, off: off, n: cr.n}
	}
	return p, nil
}

// parseBody reads the body of p: the children of a multipart, else a leaf.
func (in *inspector) parseBody(p *part, body io.Reader, off int64, depth int) error {
	if !p.isMultipart("") {
		return in.leafBody(p, body, off)
	}
	boundary := p.params["boundary"]
	if boundary == "" {
		in.warn("a multipart part without boundary is shown as an attachment")
		p.mediaType = "application/octet-stream"
		return in.leafBody(p, body, off)
	}
	if depth+1 > in.lim.MaxDepth {
		in.limitHit(fmt.Sprintf("MIME nesting deeper than %d levels", in.lim.MaxDepth))
		p.mediaType = "application/octet-stream"
		return in.leafBody(p, body, off)
	}
	cr := &countReader{r: body}
	s := mimesplit.New(cr, boundary, false)
	for i := 0; s.Next(); i++ {
		if in.parts >= in.lim.MaxParts {
			in.limitHit(fmt.Sprintf("more than %d MIME parts", in.lim.MaxParts))
			break
		}
		in.parts++
		var child io.Reader = s
		var raw *keeper
		if in.src == nil && i == 0 && p.isMultipart("signed") {
			// Inside decrypted content the signed part is kept for its
			// signature check, as far as the budget allows.
			raw = &keeper{limit: max(in.budget, 0)}
			child = io.TeeReader(s, raw)
		}
		c, err := in.parse(child, off+s.Offset(), childPath(p.path, i), depth+1, "application/octet-stream")
		if err != nil {
			return err
		}
		if c.headerErr != nil {
			// An unreadable child header: the bytes stay an opaque part
			// so that nothing of it is rendered as text.
			in.warn("a part with an unreadable header is shown as an attachment (%v)", c.headerErr)
		}
		if raw != nil {
			c.raw = span{kept: raw.buf, n: raw.n}
			in.keep(raw.buf)
		}
		p.children = append(p.children, c)
	}
	if err := s.Err(); err != nil {
		return err
	}
	// The epilogue, and parts beyond the limit.
	_, err := in.copy(io.Discard, cr)
	if in.src != nil {
		p.body = span{src: in.src, off: off, n: cr.n}
	}
	return err
}

// leafBody reads the body of a leaf. In the message it only notes where the
// body is; inside decrypted content it summarises the decoded body as it
// streams (size, SHA-256, first bytes; not with AttachmentNamesOnly) and
// keeps the transfer-encoded bytes as far as keepLimit allows.
func (in *inspector) leafBody(p *part, body io.Reader, off int64) error {
	if in.src != nil {
		n, err := in.copy(io.Discard, body)
		p.body = span{src: in.src, off: off, n: n}
		return err
	}
	k := &keeper{limit: in.keepLimit(p)}
	var err error
	if in.namesOnly() {
		_, err = in.copy(k, body) // no summary is asked for
	} else {
		p.sum, err = in.streamSummary(p, body, k)
	}
	if err != nil {
		return err
	}
	p.body = span{kept: k.buf, n: k.n}
	in.keep(k.buf)
	if p.sum != nil {
		in.keep(p.sum.head)
	}
	if k.limit > 0 && int64(len(k.buf)) < k.n {
		in.limitHit(fmt.Sprintf("decoded content larger than %d bytes", in.lim.MaxDecodedSize))
	}
	return nil
}

// streamSummary summarises the decoded body of p as it streams by from
// body, writing the transfer-encoded bytes to k.
func (in *inspector) streamSummary(p *part, body io.Reader, k *keeper) (*summary, error) {
	tee := &errReader{r: io.TeeReader(body, k)}
	sum := newSummarizer()
	if _, err := in.copy(sum, decoder(p.cte(), tee)); err != nil && tee.err == nil {
		return nil, err
	}
	if tee.err != nil {
		return nil, tee.err
	}
	// A decoder may stop early (base64 at its padding): keep the rest too.
	if _, err := in.copy(io.Discard, tee); err != nil {
		return nil, err
	}
	return sum.result(), nil
}

// copyBufferSize is the size of the buffer an inspection copies through,
// as io.Copy's.
const copyBufferSize = 32 << 10

// scratch is what an inspection of the input reads through: its copy
// buffer (see copy) and its header reader (see headerReader).
type scratch struct {
	buf [copyBufferSize]byte
	br  *bufio.Reader
}

// scratches are the scratches of inspections of the input that ended, for
// the next: a sync inspects thousands of messages, and a new copy buffer
// and header reader for each were a tenth of the indexing's allocation.
// Decrypted content never goes through them: an inspection of it makes
// its own buffer, kept with what it wipes, and its own reader.
var scratches = sync.Pool{New: func() any { return &scratch{br: bufio.NewReader(nil)} }}

// useScratch gives an inspection of the input a scratch from scratches.
func (in *inspector) useScratch() {
	in.scratch = scratches.Get().(*scratch)
	in.buf, in.br = in.scratch.buf[:], in.scratch.br
}

// release gives the inspection's scratch back to scratches, if it took
// one, holding no reader; the inspection must not read again.
func (in *inspector) release() {
	if in.scratch != nil {
		in.scratch.br.Reset(nil)
		scratches.Put(in.scratch)
		in.scratch, in.buf, in.br = nil, nil, nil
	}
}

// copy copies r to w, as io.Copy, through the one buffer of the
// inspection: io.Copy makes a buffer of 32 KiB per call (io.MultiReader's
// WriteTo too), which was most of the garbage of inspecting a message. The
// buffer of an inspection of decrypted content is wiped with what it
// kept.
//
// An inspection of the input has its buffer from a scratch (see
// useScratch): only input bytes go through it.
func (in *inspector) copy(w io.Writer, r io.Reader) (int64, error) {
	if in.buf == nil {
		in.buf = make([]byte, copyBufferSize)
		if in.src == nil {
			in.kept = append(in.kept, in.buf) // not charged to the budget
		}
	}
	// Hiding WriteTo and ReadFrom makes io.CopyBuffer use the buffer.
	return io.CopyBuffer(struct{ io.Writer }{w}, struct{ io.Reader }{r}, in.buf)
}

// headerReader returns the inspection's one buffered reader for headers,
// reading from r: a part's reader is done with once its header is read
// and what it buffered beyond is copied.
func (in *inspector) headerReader(r io.Reader) *bufio.Reader {
	if in.br == nil {
		in.br = bufio.NewReader(r)
	} else {
		in.br.Reset(r)
	}
	return in.br
}

// namesOnly reports whether attachments are described without their
// content (Options.AttachmentNamesOnly).
func (in *inspector) namesOnly() bool {
	return in.opts.AttachmentNamesOnly && !in.opts.KeepAttachmentData
}

// errReader records the error of the reader it wraps (a read failure, as
// opposed to a decoding one).
type errReader struct {
	r   io.Reader
	err error
}

func (e *errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		e.err = err
	}
	return n, err
}

// keepLimit says how many transfer-encoded bytes of a leaf of decrypted
// content to keep: text and the signature and version parts (what the
// verdict reads) within the budget; other leaves, the attachments, only when
// their data is asked for.
func (in *inspector) keepLimit(p *part) int64 {
	switch {
	case strings.HasPrefix(p.mediaType, "text/"), p.mediaType == "application/pgp-signature",
		p.mediaType == "application/pgp-encrypted", in.opts.KeepAttachmentData:
		return max(in.budget, 0)
	}
	return 0
}

// keep charges kept bytes of decrypted content to the budget and notes them
// for wiping should the decryption be discarded.
func (in *inspector) keep(b []byte) {
	in.budget -= int64(len(b))
	if len(b) > 0 {
		in.kept = append(in.kept, b)
	}
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

// decoder returns r with the transfer encoding cte undone. Damaged
// encodings are decoded as far as possible.
func decoder(cte string, r io.Reader) io.Reader {
	switch cte {
	case "base64":
		return &lenientBase64{r: r}
	case "quoted-printable":
		return stopAtError{quotedprintable.NewReader(r)}
	}
	return r
}

// stopAtError ends the data at the first error of the reader it wraps.
type stopAtError struct{ r io.Reader }

func (s stopAtError) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil {
		err = io.EOF
	}
	return n, err
}

// lenientBase64 decodes base64 leniently: characters outside the alphabet
// are skipped, padding ends the data and a truncated final group is dropped.
type lenientBase64 struct {
	r     io.Reader
	in    [4 << 10]byte
	group []byte // alphabet characters not yet decoded (fewer than 4 after a read)
	out   []byte // decoded bytes not yet returned
	end   bool   // padding or the end of the input was reached
	buf   [3 << 10]byte
}

// base64Alphabet marks the characters of the standard base64 alphabet.
var base64Alphabet = func() (set [256]bool) {
	for _, c := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") {
		set[c] = true
	}
	return set
}()

func (b *lenientBase64) Read(p []byte) (int, error) {
	for len(b.out) == 0 {
		if b.end {
			return 0, io.EOF
		}
		n, err := b.r.Read(b.in[:])
		// Whole runs of alphabet characters (a line, usually) at a time:
		// a byte-by-byte append took a quarter of a sync's CPU.
		for in := b.in[:n]; len(in) > 0; {
			i := 0
			for i < len(in) && base64Alphabet[in[i]] {
				i++
			}
			b.group = append(b.group, in[:i]...)
			if i == len(in) {
				break
			}
			if in[i] == '=' {
				b.end = true
				break
			}
			in = in[i+1:]
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return 0, err
		}
		if err != nil {
			b.end = true
		}
		whole := len(b.group) &^ 3
		if b.end {
			whole = len(b.group)
			if whole%4 == 1 {
				whole-- // a lone character decodes to nothing
			}
		}
		k, _ := base64.RawStdEncoding.Decode(b.buf[:], b.group[:whole])
		b.out = b.buf[:k]
		b.group = append(b.group[:0], b.group[whole:]...)
	}
	n := copy(p, b.out)
	b.out = b.out[n:]
	return n, nil
}

// decodeBody undoes the Content-Transfer-Encoding of a part and holds the
// result. The output is capped by the inspector's decoded-size budget.
func (in *inspector) decodeBody(p *part) []byte {
	if p.done {
		return p.decoded
	}
	// The decoded body is no longer than the encoded one: read it into
	// one buffer of that size, not one that doubles as it fills.
	limit := max(in.budget, 0) + 1
	out, err := readAll(io.LimitReader(decoder(p.cte(), p.body.reader()), limit), min(p.body.size(), limit))
	if err != nil {
		in.warn("a part could not be read: %v", err)
	}
	if int64(len(out)) > in.budget {
		in.limitHit(fmt.Sprintf("decoded content larger than %d bytes", in.lim.MaxDecodedSize))
		out = out[:max(in.budget, 0)]
	}
	in.budget -= int64(len(out))
	p.decoded, p.done = out, true
	return out
}

// readAll reads r to its end, as io.ReadAll, into a buffer of capacity
// size+1 from the start: a reader of at most size bytes fills no other.
func readAll(r io.Reader, size int64) ([]byte, error) {
	b := make([]byte, 0, size+1)
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if errors.Is(err, io.EOF) {
			return b, nil
		}
		if err != nil {
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
}

// summarize returns the summary of a part's decoded body, streaming it from
// the input when it was not made while the part streamed by.
func (in *inspector) summarize(p *part) *summary {
	if p.sum != nil {
		return p.sum
	}
	s := newSummarizer()
	if _, err := in.copy(s, decoder(p.cte(), p.body.reader())); err != nil {
		in.warn("a part could not be read: %v", err)
	}
	p.sum = s.result()
	return p.sum
}

// crlfReader converts every line ending to CRLF (RFC 3156 section 5): CRLF,
// a lone LF and a lone CR alike.
type crlfReader struct {
	r   io.Reader
	in  [16 << 10]byte
	out []byte
	buf []byte
	cr  bool // the last byte read was a CR
	end bool
}

func (c *crlfReader) Read(p []byte) (int, error) {
	for len(c.out) == 0 {
		if c.end {
			return 0, io.EOF
		}
		n, err := c.r.Read(c.in[:])
		out := c.buf[:0]
		for _, b := range c.in[:n] {
			switch {
			case b == '\n' && c.cr:
				// The LF of a CRLF whose CR already made a line ending.
			case b == '\n' || b == '\r':
				out = append(out, '\r', '\n')
			default:
				out = append(out, b)
			}
			c.cr = b == '\r'
		}
		c.buf, c.out = out, out
		if errors.Is(err, io.EOF) {
			c.end = true
		} else if err != nil {
			return 0, err
		}
	}
	n := copy(p, c.out)
	c.out = c.out[n:]
	return n, nil
}
