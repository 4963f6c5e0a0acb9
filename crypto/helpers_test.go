package crypto

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"hash"
	"io"
	"sync"
	"testing"
	"time"
)

// t0 is the fixed clock of the unit tests.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// newKey generates a curve25519 key at t0 (cheap) or fails the test.
func newKey(tb testing.TB, name, email string) *Key {
	tb.Helper()
	k, err := GenerateKey(GenerateOptions{Name: name, Email: email, Now: t0})
	if err != nil {
		tb.Fatalf("GenerateKey(%s): %v", email, err)
	}
	return k
}

var (
	rsaOnce sync.Once
	rsaKey  *Key
	rsaErr  error
)

// sharedRSAKey generates one RSA-4096 key per test binary run (slow).
func sharedRSAKey(tb testing.TB) *Key {
	tb.Helper()
	rsaOnce.Do(func() {
		rsaKey, rsaErr = GenerateKey(GenerateOptions{Name: "Rita RSA", Email: "rita@example.org", Algorithm: AlgoRSA4096, Now: t0})
	})
	if rsaErr != nil {
		tb.Fatalf("GenerateKey(rsa4096): %v", rsaErr)
	}
	return rsaKey
}

// hashStaging is a Staging that only hashes (and counts) what it receives,
// so that big messages need no memory for the plaintext.
type hashStaging struct {
	h         hash.Hash
	n         int64
	committed bool
	discarded bool
}

func newHashStaging() *hashStaging { return &hashStaging{h: sha256.New()} }

func (s *hashStaging) Write(p []byte) (int, error) {
	if s.committed || s.discarded {
		return 0, errors.New("write after finish")
	}
	s.n += int64(len(p))
	return s.h.Write(p)
}

func (s *hashStaging) Commit() error { s.committed = true; return nil }
func (s *hashStaging) Discard()      { s.discarded = true }

// patternReader yields n deterministic pseudo-random bytes without holding them.
type patternReader struct {
	n     int64
	state uint64
}

func (r *patternReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > r.n {
		p = p[:r.n]
	}
	for i := range p {
		r.state = r.state*6364136223846793005 + 1442695040888963407
		p[i] = byte(r.state >> 56)
	}
	r.n -= int64(len(p))
	return len(p), nil
}

// payload returns n deterministic bytes.
func payload(n int) []byte {
	var buf bytes.Buffer
	buf.Grow(n)
	if _, err := buf.ReadFrom(&patternReader{n: int64(n), state: 1}); err != nil {
		panic(err)
	}
	return buf.Bytes()
}
