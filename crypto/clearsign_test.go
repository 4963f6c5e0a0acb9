package crypto

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/clearsign"
)

// TestClearSign: a cleartext signature over text with dashes and trailing
// space verifies, names its signer, and fails once the text changes.
func TestClearSign(t *testing.T) {
	alice := newKey(t, "Alice", "alice@example.org")
	text := []byte("Audit report\n- a line with a dash\n-----BEGIN fake-----\ntrailing space   \n")
	out, err := ClearSign(text, alice, t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(out, []byte("-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n")) {
		t.Fatalf("output starts %.60q, want a SHA-256 cleartext signature", out)
	}
	b, rest := clearsign.Decode(out)
	if b == nil || len(bytes.TrimSpace(rest)) != 0 {
		t.Fatalf("Decode = %v, rest %q", b, rest)
	}
	if want := strings.TrimRight(strings.ReplaceAll(string(text), "   \n", "\n"), "\n"); strings.TrimRight(string(b.Plaintext), "\n") != want {
		t.Errorf("plaintext = %q, want %q", b.Plaintext, want)
	}
	sig, err := io.ReadAll(b.ArmoredSignature.Body)
	if err != nil {
		t.Fatal(err)
	}
	res := VerifyDetached(bytes.NewReader(b.Bytes), sig, []*Key{alice.Public()}, t0.Add(time.Hour))
	if res.Status != SigValid || res.SignerFingerprint != alice.Fingerprint() {
		t.Errorf("verify = %+v, want valid by Alice", res)
	}
	forged := bytes.Replace(b.Bytes, []byte("Audit"), []byte("Audi7"), 1)
	if res := VerifyDetached(bytes.NewReader(forged), sig, []*Key{alice.Public()}, t0.Add(time.Hour)); res.Status != SigInvalid {
		t.Errorf("verify of changed text = %s, want invalid", res.Status)
	}
}

// TestClearSignRefuses: no key, or a public key only, signs nothing.
func TestClearSignRefuses(t *testing.T) {
	alice := newKey(t, "Alice", "alice@example.org")
	if _, err := ClearSign([]byte("x"), nil, t0); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("nil signer: error = %v, want ErrInvalidOptions", err)
	}
	if _, err := ClearSign([]byte("x"), alice.Public(), t0.Add(time.Minute)); !errors.Is(err, ErrNotSecretKey) {
		t.Errorf("public key: error = %v, want ErrNotSecretKey", err)
	}
}
