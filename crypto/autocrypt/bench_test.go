package autocrypt

import (
	"encoding/base64"
	"testing"
	"time"

	"github.com/sealpost/sealpost/crypto"
)

// BenchmarkParse measures parsing and validating one Autocrypt header: the
// cost paid per incoming message that carries one.
func BenchmarkParse(b *testing.B) {
	for _, algo := range []crypto.Algorithm{crypto.AlgoCurve25519, crypto.AlgoRSA4096} {
		b.Run(string(algo), func(b *testing.B) {
			k, err := crypto.GenerateKey(crypto.GenerateOptions{Email: "alice@example.org", Algorithm: algo, Now: t0})
			if err != nil {
				b.Fatalf("GenerateKey: %v", err)
			}
			raw, err := k.Public().MarshalPublic()
			if err != nil {
				b.Fatalf("MarshalPublic: %v", err)
			}
			value := "addr=alice@example.org; prefer-encrypt=mutual; keydata=" + fold(base64.StdEncoding.EncodeToString(raw))
			now := t0.Add(time.Minute)
			b.SetBytes(int64(len(value)))
			for b.Loop() {
				if _, err := Parse(value, now); err != nil {
					b.Fatalf("Parse: %v", err)
				}
			}
		})
	}
}
