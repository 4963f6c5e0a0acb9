package crypto

import (
	"bytes"
	"os"
	"sync"
	"testing"
	"time"
)

var (
	fuzzKeyOnce sync.Once
	fuzzKeys    []*Key
	fuzzKeyErr  error
)

// fuzzKey is the secret key the FuzzDecrypt seeds are encrypted to
// (testdata/fuzz-key.asc, a throwaway test key).
func fuzzKey(t testing.TB) *Key {
	fuzzKeyOnce.Do(func() {
		var data []byte
		if data, fuzzKeyErr = os.ReadFile("testdata/fuzz-key.asc"); fuzzKeyErr == nil {
			fuzzKeys, fuzzKeyErr = ParseKeys(data)
		}
	})
	if fuzzKeyErr != nil {
		t.Fatalf("fuzz key: %v", fuzzKeyErr)
	}
	return fuzzKeys[0]
}

// slowInput is how long one fuzz input may take before it counts as a hang.
const slowInput = 10 * time.Second

func FuzzParseKeys(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		start := time.Now()
		keys, err := ParseKeys(data)
		if d := time.Since(start); d > slowInput {
			t.Errorf("ParseKeys took %v for %d bytes, want under %v", d, len(data), slowInput)
		}
		if err != nil {
			if keys != nil {
				t.Errorf("ParseKeys returned %d keys with error %v, want none", len(keys), err)
			}
			return
		}
		now := time.Now()
		for _, k := range keys {
			_ = k.Fingerprint() + k.KeyID() + k.Algorithm()
			_, _ = k.UserIDs(), k.Emails()
			_, _, _ = k.CreatedAt(), k.ExpiresAt(), k.IsRevoked()
			_, _ = k.CanEncrypt(now), k.CanSign(now)
			pub, err := k.MarshalPublic()
			if err != nil {
				continue // e.g. algorithms go-crypto reads but cannot write
			}
			again, err := ParseKeys(pub)
			if err != nil {
				t.Fatalf("re-parse of MarshalPublic output: %v", err)
			}
			if again[0].Fingerprint() != k.Fingerprint() {
				t.Errorf("re-parsed fingerprint = %s, want %s", again[0].Fingerprint(), k.Fingerprint())
			}
		}
	})
}

func FuzzDecrypt(f *testing.F) {
	key := fuzzKey(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		st := &recordingStaging{}
		start := time.Now()
		v, err := Decrypt(bytes.NewReader(data), st, DecryptOptions{
			Keys: []*Key{key}, Verifiers: []*Key{key}, Password: []byte("pw"), Now: t0,
		})
		if d := time.Since(start); d > slowInput {
			t.Errorf("Decrypt took %v for %d bytes, want under %v", d, len(data), slowInput)
		}
		if v.Encrypted && v.Unencrypted {
			t.Errorf("the verdict says both Encrypted and Unencrypted (error %v)", err)
		}
		switch {
		case err != nil && (st.commits != 0 || st.discards != 1):
			t.Errorf("error %v with commits, discards = %d, %d, want 0, 1", err, st.commits, st.discards)
		case err == nil && (st.commits != 1 || st.discards != 0):
			t.Errorf("success with commits, discards = %d, %d, want 1, 0", st.commits, st.discards)
		}
	})
}
