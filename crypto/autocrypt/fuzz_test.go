package autocrypt

import (
	"encoding/base64"
	"slices"
	"testing"
	"time"

	"github.com/sealpost/sealpost/crypto"
)

// slowInput is how long one fuzz input may take before it counts as a hang
// (generous: fuzzing workers share two cores with the coordinator).
const slowInput = 10 * time.Second

// FuzzParse feeds arbitrary header values to Parse: it must never panic, and
// whatever it accepts must satisfy the Level 1 validity rules.
func FuzzParse(f *testing.F) {
	k, err := crypto.GenerateKey(crypto.GenerateOptions{Email: "alice@example.org", Now: t0})
	if err != nil {
		f.Fatalf("GenerateKey: %v", err)
	}
	raw, err := k.Public().MarshalPublic()
	if err != nil {
		f.Fatalf("MarshalPublic: %v", err)
	}
	kd := base64.StdEncoding.EncodeToString(raw)
	for _, seed := range []string{
		"addr=alice@example.org; prefer-encrypt=mutual; keydata=" + kd,
		"addr=alice@example.org; _x=1; keydata=\r\n " + fold(kd),
		"addr=alice@example.org; x=1; keydata=" + kd,
		"addr=alice@example.org; keydata=" + kd[:len(kd)/2],
		"to=alice@example.org; key=" + kd,
		"addr=; keydata=;;; =",
	} {
		f.Add(seed)
	}
	now := t0.Add(time.Minute)
	f.Fuzz(func(t *testing.T, value string) {
		start := time.Now()
		h, err := Parse(value, now)
		if d := time.Since(start); d > slowInput {
			t.Errorf("Parse took %v for %d bytes, want under %v", d, len(value), slowInput)
		}
		if err != nil {
			if h != nil {
				t.Errorf("Parse returned a header with error %v", err)
			}
			return
		}
		if h.Addr == "" || h.Addr != NormalizeAddr(h.Addr) {
			t.Errorf("Addr = %q, want a non-empty lower-case address", h.Addr)
		}
		if h.PreferEncrypt != Mutual && h.PreferEncrypt != NoPreference {
			t.Errorf("PreferEncrypt = %q, want %q or %q", h.PreferEncrypt, Mutual, NoPreference)
		}
		if !slices.Contains(h.Key.Emails(), h.Addr) {
			t.Errorf("key user IDs %q lack addr %q", h.Key.Emails(), h.Addr)
		}
		if err := h.Key.CanEncrypt(now); err != nil {
			t.Errorf("accepted key cannot encrypt: %v", err)
		}
	})
}
