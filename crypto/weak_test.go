package crypto

import (
	"bytes"
	"errors"
	"strings"
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
	if err := e.SerializePrivate(&buf, nil); err != nil {
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

// TestWeakSignerIsNamed: a valid signature by an RSA key below MinKeyBits
// says so (WeakKey), one by a key of MinKeyBits does not.
func TestWeakSignerIsNamed(t *testing.T) {
	now := time.Now()
	for _, tt := range []struct {
		bits int
		want string
	}{{1024, "rsa1024"}, {MinKeyBits, ""}} {
		k := rsaKeyOf(t, tt.bits)
		sig, err := SignDetached(strings.NewReader("data"), k, false, now)
		if err != nil {
			t.Fatal(err)
		}
		res := VerifyDetached(strings.NewReader("data"), sig, []*Key{k.Public()}, now)
		if res.Status != SigValid || res.WeakKey != tt.want {
			t.Errorf("RSA-%d: %s, WeakKey %q; want valid, %q", tt.bits, res.Status, res.WeakKey, tt.want)
		}
	}
}

func TestCouldBeWeak(t *testing.T) {
	for _, tt := range []struct {
		algorithm string
		want      bool
	}{
		{"ed25519/cv25519", false}, {"rsa4096", false}, {"rsa2048/rsa2048", false},
		{"rsa1024", true}, {"ed25519/rsa1024", true}, {"dsa/elgamal", true}, {"rsa", true}, {"algo99", true},
	} {
		if got := CouldBeWeak(tt.algorithm); got != tt.want {
			t.Errorf("CouldBeWeak(%q) = %v, want %v", tt.algorithm, got, tt.want)
		}
	}
	// What Algorithm() says agrees with what CanEncrypt finds.
	for _, bits := range []int{1024, MinKeyBits} {
		k := rsaKeyOf(t, bits)
		if got, weak := CouldBeWeak(k.Algorithm()), errors.Is(k.CanEncrypt(time.Now()), ErrWeakKey); got != weak {
			t.Errorf("RSA-%d %s: CouldBeWeak %v, CanEncrypt weak %v", bits, k.Algorithm(), got, weak)
		}
	}
}
