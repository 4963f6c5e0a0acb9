package crypto

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// rsaKeyOf makes an RSA key of bits for the weak-key policy tests.
func rsaKeyOf(t *testing.T, bits int) *Key {
	t.Helper()
	e, err := openpgp.NewEntity("Old", "", "old@example.org", &packet.Config{Algorithm: packet.PubKeyAlgoRSA, RSABits: bits})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := e.Serialize(&buf); err != nil {
		t.Fatal(err)
	}
	keys, err := ParseKeys(buf.Bytes())
	if err != nil || len(keys) != 1 {
		t.Fatalf("ParseKeys: %v", err)
	}
	return keys[0]
}

// TestWeakKeysAreNotEncryptedTo: an RSA key below MinKeyBits is refused
// as a recipient with ErrWeakKey, before anything is written; one of
// MinKeyBits is accepted.
func TestWeakKeysAreNotEncryptedTo(t *testing.T) {
	now := time.Now()
	for _, tt := range []struct {
		bits int
		weak bool
	}{{1024, true}, {MinKeyBits, false}} {
		k := rsaKeyOf(t, tt.bits)
		err := k.CanEncrypt(now)
		if got := errors.Is(err, ErrWeakKey); got != tt.weak {
			t.Errorf("RSA-%d: CanEncrypt = %v, want weak %v", tt.bits, err, tt.weak)
		}
		var out bytes.Buffer
		_, err = Encrypt(&out, EncryptOptions{Recipients: []*Key{k}, Now: now})
		if got := errors.Is(err, ErrWeakKey); got != tt.weak || (tt.weak && out.Len() != 0) {
			t.Errorf("RSA-%d: Encrypt = %v with %d bytes written, want weak %v and nothing written", tt.bits, err, out.Len(), tt.weak)
		}
	}
}
