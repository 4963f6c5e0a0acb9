package localstore

import (
	"bytes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash"
	"sync"

	"golang.org/x/crypto/chacha20poly1305"
)

const (
	keySize = 32
	// sealVersion is the first byte of every sealed value.
	sealVersion byte = 1
	// sealOverhead is version byte + nonce + Poly1305 tag.
	sealOverhead = 1 + chacha20poly1305.NonceSizeX + chacha20poly1305.Overhead

	hkdfSealInfo  = "sealpost/localstore/v1/seal"
	hkdfBlindInfo = "sealpost/localstore/v1/blind"
)

// keyring holds the sub-keys derived from the master key.
type keyring struct {
	aead      cipher.AEAD
	blindKey  []byte
	blindPool sync.Pool // of hash.Hash (HMAC-SHA-256 under blindKey)
}

// newKeyring derives the seal and blind sub-keys from the master key with
// HKDF-SHA-256 (no salt, distinct info labels).
func newKeyring(master []byte) (*keyring, error) {
	sealKey, err := hkdf.Key(sha256.New, master, nil, hkdfSealInfo, keySize)
	if err != nil {
		return nil, fmt.Errorf("derive seal key: %w", err)
	}
	blindKey, err := hkdf.Key(sha256.New, master, nil, hkdfBlindInfo, keySize)
	if err != nil {
		return nil, fmt.Errorf("derive blind key: %w", err)
	}
	aead, err := chacha20poly1305.NewX(sealKey)
	clear(sealKey)
	if err != nil {
		return nil, fmt.Errorf("init seal cipher: %w", err)
	}
	k := &keyring{aead: aead, blindKey: blindKey}
	k.blindPool.New = func() any { return hmac.New(sha256.New, k.blindKey) }
	return k, nil
}

// wipe clears the blind key and drops the cipher. The AEAD's internal key
// copy and pooled HMAC states cannot be reached; dropping the references lets
// them be collected. Callers must ensure no operation is using k.
func (k *keyring) wipe() {
	clear(k.blindKey)
	k.aead = nil
	k.blindPool = sync.Pool{}
}

// blind returns the lookup key for a content-bearing value: HMAC-SHA-256 under
// the blind key over label || 0x00 || value. The label separates kinds so the
// same string blinds differently as an address and as a folder name.
func (k *keyring) blind(label, value string) []byte {
	h := k.blindPool.Get().(hash.Hash)
	h.Reset()
	h.Write([]byte(label))
	h.Write([]byte{0})
	h.Write([]byte(value))
	out := h.Sum(make([]byte, 0, sha256.Size))
	k.blindPool.Put(h)
	return out
}

// appendAD appends the associated data binding a value to its place:
// for each bucket name uvarint(len(name)) || name, then 0x00, then the record
// key. Length prefixes keep distinct paths from encoding alike.
func appendAD(dst []byte, path [][]byte, key []byte) []byte {
	for _, p := range path {
		dst = binary.AppendUvarint(dst, uint64(len(p)))
		dst = append(dst, p...)
	}
	dst = append(dst, 0)
	return append(dst, key...)
}

// sealTo appends the sealed form of plaintext to dst:
// version(1) || nonce(24) || XChaCha20-Poly1305(plaintext, ad).
func (k *keyring) sealTo(dst, plaintext, ad []byte) []byte {
	dst = append(dst, sealVersion)
	nonceAt := len(dst)
	dst = append(dst, make([]byte, chacha20poly1305.NonceSizeX)...)
	nonce := dst[nonceAt:]
	rand.Read(nonce) // never fails (crypto/rand crashes the program instead)
	return k.aead.Seal(dst, nonce, plaintext, ad)
}

// openTo authenticates and decrypts sealed, appending the plaintext to dst.
// Any failure is ErrTampered.
func (k *keyring) openTo(dst, sealed, ad []byte) ([]byte, error) {
	if len(sealed) < sealOverhead || sealed[0] != sealVersion {
		return nil, ErrTampered
	}
	nonce := sealed[1 : 1+chacha20poly1305.NonceSizeX]
	out, err := k.aead.Open(dst, nonce, sealed[1+chacha20poly1305.NonceSizeX:], ad)
	if err != nil {
		return nil, ErrTampered
	}
	return out, nil
}

// header is the plaintext profile header stored under meta/header.
//
// Encoding: magic "SEALPOST" || format(1) || time u32 || memKiB u32 ||
// threads u8 || saltLen u8 || salt || nonce(24) || wrapped master key (48).
// Everything before the nonce is the associated data of the wrapped key, so
// altering a parameter or the salt makes unwrapping fail.
type header struct {
	params  KDFParams
	salt    []byte
	nonce   []byte
	wrapped []byte
}

const (
	headerMagic   = "SEALPOST"
	headerFormat  = 1
	saltSize      = 32
	wrappedSize   = keySize + chacha20poly1305.Overhead
	headerFixedAD = len(headerMagic) + 1 + 4 + 4 + 1 + 1
)

// errNewerHeader is returned by parseHeader for a header format this build
// does not know; Open maps it to ErrNewerSchema.
var errNewerHeader = fmt.Errorf("%w: unknown profile header format", ErrNewerSchema)

func (h *header) ad() []byte {
	b := make([]byte, 0, headerFixedAD+len(h.salt))
	b = append(b, headerMagic...)
	b = append(b, headerFormat)
	b = binary.BigEndian.AppendUint32(b, h.params.Time)
	b = binary.BigEndian.AppendUint32(b, h.params.MemoryKiB)
	b = append(b, h.params.Threads, byte(len(h.salt)))
	return append(b, h.salt...)
}

func (h *header) marshal() []byte {
	b := h.ad()
	b = append(b, h.nonce...)
	return append(b, h.wrapped...)
}

func parseHeader(b []byte) (*header, error) {
	if len(b) < headerFixedAD || !bytes.HasPrefix(b, []byte(headerMagic)) {
		return nil, fmt.Errorf("%w: missing profile header", ErrCorrupt)
	}
	if b[len(headerMagic)] != headerFormat {
		if b[len(headerMagic)] > headerFormat {
			return nil, errNewerHeader
		}
		return nil, fmt.Errorf("%w: unknown header format %d", ErrCorrupt, b[len(headerMagic)])
	}
	p := b[len(headerMagic)+1:]
	h := &header{params: KDFParams{
		Time:      binary.BigEndian.Uint32(p[0:4]),
		MemoryKiB: binary.BigEndian.Uint32(p[4:8]),
		Threads:   p[8],
	}}
	saltLen := int(p[9])
	rest := p[10:]
	if saltLen < 16 || len(rest) != saltLen+chacha20poly1305.NonceSizeX+wrappedSize {
		return nil, fmt.Errorf("%w: profile header has the wrong length", ErrCorrupt)
	}
	if err := h.params.validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKDFBounds, err)
	}
	h.salt = rest[:saltLen]
	h.nonce = rest[saltLen : saltLen+chacha20poly1305.NonceSizeX]
	h.wrapped = rest[saltLen+chacha20poly1305.NonceSizeX:]
	return h, nil
}

// wrapMaster builds a header that wraps master under a KEK derived from
// passphrase with a fresh salt.
func wrapMaster(master, passphrase []byte, p KDFParams) (*header, error) {
	h := &header{params: p, salt: make([]byte, saltSize), nonce: make([]byte, chacha20poly1305.NonceSizeX)}
	rand.Read(h.salt)
	rand.Read(h.nonce)
	kek := deriveKEK(passphrase, h.salt, p)
	defer clear(kek)
	aead, err := chacha20poly1305.NewX(kek)
	if err != nil {
		return nil, fmt.Errorf("init key wrap: %w", err)
	}
	h.wrapped = aead.Seal(nil, h.nonce, master, h.ad())
	return h, nil
}

// unwrapMaster derives the KEK from passphrase and unwraps the master key.
func (h *header) unwrapMaster(passphrase []byte) ([]byte, error) {
	kek := deriveKEK(passphrase, h.salt, h.params)
	defer clear(kek)
	aead, err := chacha20poly1305.NewX(kek)
	if err != nil {
		return nil, fmt.Errorf("init key unwrap: %w", err)
	}
	master, err := aead.Open(nil, h.nonce, h.wrapped, h.ad())
	if err != nil {
		return nil, ErrWrongPassphrase
	}
	return master, nil
}
