package crypto

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"errors"
	"fmt"
	"hash"
	"io"
)

// This file is a fast path for SEIPDv1 (RFC 4880 5.13, "MDC") with AES: the
// CFB layer of go-crypto works byte by byte, which made it the main cost of
// large messages. The format is unchanged and GnuPG reads it; go-crypto's
// own reader stays in use for other ciphers and for AEAD (SEIPDv2, OCB).
//
// OpenPGP CFB without resynchronisation is standard CFB with an all-zero IV
// over prefix || data || MDC packet, where prefix is one random block plus a
// repeat of its last two bytes.

const (
	tagSEIPD    = 18
	mdcTrailer  = 22   // MDC packet: tag 0xD3, length 0x14, SHA-1
	mdcTag      = 0xD3 // new-format header of packet type 19
	partialSize = 1 << 16
	partialByte = 224 + 16 // partial body length octet for 2^16 bytes
)

// cfb is OpenPGP CFB mode (no resync) over a 16-byte block cipher.
type cfb struct {
	b    cipher.Block
	ks   [aes.BlockSize]byte // keystream block E(previous ciphertext block)
	next [aes.BlockSize]byte // ciphertext of the current block so far
	pos  int                 // bytes of the current block processed
}

func newCFB(b cipher.Block) *cfb {
	c := &cfb{b: b}
	b.Encrypt(c.ks[:], c.next[:]) // E(IV = 0)
	return c
}

// encrypt encrypts buf in place.
func (c *cfb) encrypt(buf []byte) {
	for len(buf) > 0 {
		if c.pos == 0 && len(buf) >= aes.BlockSize {
			blk := buf[:aes.BlockSize]
			subtle.XORBytes(blk, blk, c.ks[:])
			c.b.Encrypt(c.ks[:], blk)
			buf = buf[aes.BlockSize:]
			continue
		}
		n := min(aes.BlockSize-c.pos, len(buf))
		subtle.XORBytes(buf[:n], buf[:n], c.ks[c.pos:c.pos+n])
		copy(c.next[c.pos:], buf[:n])
		c.pos += n
		buf = buf[n:]
		if c.pos == aes.BlockSize {
			c.b.Encrypt(c.ks[:], c.next[:])
			c.pos = 0
		}
	}
}

// decrypt decrypts buf in place. Whole blocks are done in a run: their
// keystream depends only on ciphertext, so it is computed for the run first
// (independent AES calls) and XORed in one pass.
func (c *cfb) decrypt(buf []byte, scratch []byte) {
	for len(buf) > 0 {
		if c.pos == 0 && len(buf) >= aes.BlockSize {
			n := min(len(buf), len(scratch)) &^ (aes.BlockSize - 1)
			run, ks := buf[:n], scratch[:n]
			copy(ks, c.ks[:])
			for i := aes.BlockSize; i < n; i += aes.BlockSize {
				c.b.Encrypt(ks[i:i+aes.BlockSize], run[i-aes.BlockSize:i])
			}
			c.b.Encrypt(c.ks[:], run[n-aes.BlockSize:])
			subtle.XORBytes(run, run, ks)
			buf = buf[n:]
			continue
		}
		n := min(aes.BlockSize-c.pos, len(buf))
		copy(c.next[c.pos:], buf[:n])
		subtle.XORBytes(buf[:n], buf[:n], c.ks[c.pos:c.pos+n])
		c.pos += n
		buf = buf[n:]
		if c.pos == aes.BlockSize {
			c.b.Encrypt(c.ks[:], c.next[:])
			c.pos = 0
		}
	}
}

// seipdWriter writes one SEIPDv1 packet with partial body lengths.
type seipdWriter struct {
	out    io.Writer
	c      *cfb
	h      hash.Hash
	chunk  *[chunkSize]byte // pooled storage for buf
	buf    []byte           // the current chunk, encrypted
	closed bool
}

// newSEIPDWriter writes the packet header, version and encrypted prefix to
// out and returns the writer for the plaintext packets.
func newSEIPDWriter(out io.Writer, key []byte) (*seipdWriter, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("SEIPD: %w", err)
	}
	w := &seipdWriter{out: out, c: newCFB(block), h: sha1.New(), chunk: getChunk()}
	w.buf = w.chunk[:0]
	if _, err := out.Write([]byte{0xC0 | tagSEIPD}); err != nil {
		return nil, err
	}
	w.buf = append(w.buf, 1) // version, not encrypted, not hashed
	var prefix [aes.BlockSize + 2]byte
	if _, err := io.ReadFull(rand.Reader, prefix[:aes.BlockSize]); err != nil {
		return nil, fmt.Errorf("SEIPD: prefix: %w", err)
	}
	copy(prefix[aes.BlockSize:], prefix[aes.BlockSize-2:aes.BlockSize])
	if _, err := w.Write(prefix[:]); err != nil {
		return nil, err
	}
	return w, nil
}

// Write hashes and encrypts p, emitting a 64 KiB partial chunk when full.
func (w *seipdWriter) Write(p []byte) (int, error) {
	if w.closed {
		return 0, errors.New("crypto: write to a closed SEIPD packet")
	}
	w.h.Write(p)
	n := 0
	for len(p) > 0 {
		start := len(w.buf)
		k := min(partialSize-start, len(p))
		w.buf = append(w.buf, p[:k]...)
		w.c.encrypt(w.buf[start:])
		n += k
		p = p[k:]
		if len(w.buf) == partialSize {
			if _, err := w.out.Write([]byte{partialByte}); err != nil {
				return n, err
			}
			if _, err := w.out.Write(w.buf); err != nil {
				return n, err
			}
			w.buf = w.buf[:0]
		}
	}
	return n, nil
}

// Close appends the MDC packet and the last chunk with a definite length. It
// does not close out.
func (w *seipdWriter) Close() error {
	if w.closed {
		return nil
	}
	mdc := [mdcTrailer]byte{mdcTag, sha1.Size}
	w.h.Write(mdc[:2])
	w.h.Sum(mdc[2:2])
	w.closed = true
	start := len(w.buf)
	w.buf = append(w.buf, mdc[:]...)
	w.c.encrypt(w.buf[start:])
	defer putChunk(w.chunk)
	if err := writeLength(w.out, len(w.buf)); err != nil {
		return err
	}
	_, err := w.out.Write(w.buf)
	return err
}

// writeLength writes a new-format definite body length (RFC 4880 4.2.2).
func writeLength(w io.Writer, n int) error {
	var b []byte
	switch {
	case n < 192:
		b = []byte{byte(n)}
	case n < 8384:
		n -= 192
		b = []byte{byte(n>>8) + 192, byte(n)}
	default:
		b = []byte{255, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}
	}
	_, err := w.Write(b)
	return err
}

// errMDC reports a failed or missing modification detection code.
var errMDC = errors.New("modification detection code does not match")

// mdcReader decrypts the body of a SEIPDv1 packet (after the version octet),
// hashes the plaintext and withholds the final MDC packet, which verify
// checks. Errors are sticky.
type mdcReader struct {
	src        io.Reader
	c          *cfb
	h          hash.Hash
	buf        []byte
	scratch    []byte
	start, end int
	srcErr     error
	done       bool
	result     error
}

// newMDCReader reads and hashes the prefix from src. buf (larger than an MDC
// packet) and scratch are its working memory.
func newMDCReader(src io.Reader, key, buf, scratch []byte) (*mdcReader, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("SEIPD: %w", err)
	}
	r := &mdcReader{src: src, c: newCFB(block), h: sha1.New(), buf: buf, scratch: scratch}
	var prefix [aes.BlockSize + 2]byte
	if _, err := io.ReadFull(src, prefix[:]); err != nil {
		return nil, fmt.Errorf("SEIPD: prefix: %w", err)
	}
	r.c.decrypt(prefix[:], r.scratch)
	r.h.Write(prefix[:])
	return r, nil
}

// Read returns decrypted bytes, never the last 22 (the MDC packet). At the
// end of the packet it verifies the MDC and returns io.EOF only if it matches.
func (r *mdcReader) Read(p []byte) (int, error) {
	for {
		if avail := r.end - r.start - mdcTrailer; avail > 0 {
			n := copy(p, r.buf[r.start:r.start+avail])
			r.h.Write(p[:n])
			r.start += n
			return n, nil
		}
		if r.done {
			if r.result != nil {
				return 0, r.result
			}
			return 0, io.EOF
		}
		if r.srcErr != nil {
			r.done = true
			r.result = r.check()
			continue
		}
		r.end = copy(r.buf, r.buf[r.start:r.end])
		r.start = 0
		n, err := r.src.Read(r.buf[r.end:])
		r.c.decrypt(r.buf[r.end:r.end+n], r.scratch)
		r.end += n
		if err != nil {
			r.srcErr = err
		}
	}
}

// check verifies the withheld trailer once the source is exhausted.
func (r *mdcReader) check() error {
	if !errors.Is(r.srcErr, io.EOF) {
		return r.srcErr
	}
	trailer := r.buf[r.start:r.end]
	if len(trailer) != mdcTrailer || trailer[0] != mdcTag || trailer[1] != sha1.Size {
		return fmt.Errorf("%w: the MDC packet is missing", errMDC)
	}
	r.h.Write(trailer[:2])
	if subtle.ConstantTimeCompare(r.h.Sum(nil), trailer[2:]) != 1 {
		return errMDC
	}
	return nil
}

// verify reads whatever is left (hashing it) and returns the MDC result.
func (r *mdcReader) verify() error {
	buf := make([]byte, 4096)
	for {
		_, err := r.Read(buf)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
