package localstore

import (
	"fmt"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// KDFParams are the Argon2id cost parameters that turn the passphrase into the
// key-encryption key. They are stored in plaintext in the profile header and
// authenticated as associated data of the wrapped master key.
type KDFParams struct {
	Time      uint32 // number of passes over the memory
	MemoryKiB uint32 // memory in KiB
	Threads   uint8  // degree of parallelism
}

// Bounds accepted for KDF parameters, for new profiles and in a profile
// header alike: Sealpost writes DefaultKDFParams, and these allow four times
// its passes, memory or threads, and at most four times its total work
// (passes times memory), so unlocking never takes more than about four times
// as long as usual. A header outside them was altered: Open refuses it
// before deriving anything, so a tampered header cannot make unlocking
// spin for minutes or allocate gigabytes.
const (
	maxKDFTime      = 16
	maxKDFMemoryKiB = 512 << 10 // 512 MiB
	maxKDFWork      = 4 * 4 * (128 << 10)
	maxKDFThreads   = 8
	minPassRunes    = 10
	minPassDistinct = 5
)

// DefaultKDFParams returns the parameters used for new profiles and passphrase
// changes: Argon2id, 4 passes over 128 MiB with 2 lanes. On the 2-core
// reference machine this makes Open take about 0.4 s (see
// docs/performance-localstore.md).
func DefaultKDFParams() KDFParams {
	return KDFParams{Time: 4, MemoryKiB: 128 << 10, Threads: 2}
}

func (p KDFParams) validate() error {
	switch {
	case p.Time < 1 || p.Time > maxKDFTime:
		return fmt.Errorf("KDF time %d outside 1..%d", p.Time, maxKDFTime)
	case p.Threads < 1 || p.Threads > maxKDFThreads:
		return fmt.Errorf("KDF threads %d outside 1..%d", p.Threads, maxKDFThreads)
	case p.MemoryKiB < 8*uint32(p.Threads) || p.MemoryKiB > maxKDFMemoryKiB:
		return fmt.Errorf("KDF memory %d KiB outside %d..%d KiB", p.MemoryKiB, 8*uint32(p.Threads), maxKDFMemoryKiB)
	case uint64(p.Time)*uint64(p.MemoryKiB) > maxKDFWork:
		return fmt.Errorf("KDF work of %d passes over %d KiB above %d KiB", p.Time, p.MemoryKiB, maxKDFWork)
	}
	return nil
}

// deriveKEK runs Argon2id over the passphrase.
func deriveKEK(passphrase, salt []byte, p KDFParams) []byte {
	return argon2.IDKey(passphrase, salt, p.Time, p.MemoryKiB, p.Threads, keySize)
}

// CheckPassphrase applies the strength rule for new passphrases: at least 10
// characters (counted as Unicode code points), at least 5 different
// characters, and not a plain ascending or descending run such as
// "0123456789". The error wraps ErrWeakPassphrase and says what to change.
func CheckPassphrase(p []byte) error {
	if !utf8.Valid(p) {
		return fmt.Errorf("%w: it is not valid UTF-8 text", ErrWeakPassphrase)
	}
	n := utf8.RuneCount(p)
	if n < minPassRunes {
		return fmt.Errorf("%w: use at least %d characters (this one has %d)", ErrWeakPassphrase, minPassRunes, n)
	}
	distinct := make(map[rune]struct{}, n)
	var prev rune
	up, down := true, true
	for i, r := range string(p) {
		distinct[r] = struct{}{}
		if i > 0 {
			up = up && r == prev+1
			down = down && r == prev-1
		}
		prev = r
	}
	if len(distinct) < minPassDistinct {
		return fmt.Errorf("%w: use at least %d different characters", ErrWeakPassphrase, minPassDistinct)
	}
	if up || down {
		return fmt.Errorf("%w: a simple run of consecutive characters is easy to guess", ErrWeakPassphrase)
	}
	return nil
}
