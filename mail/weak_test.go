package mail

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"

	"github.com/sealpost/sealpost/crypto"
	"github.com/sealpost/sealpost/mail/backend"
)

// TestWeakContactKey: an RSA-1024 contact key is imported and listed as not
// usable ("too weak"), and encrypting to its address fails closed, naming
// the address, as for a missing key.
func TestWeakContactKey(t *testing.T) {
	p := newTestProfile(t)
	if _, err := p.Keys().GenerateKey("Alice", "alice@example.org", crypto.AlgoCurve25519, 0); err != nil {
		t.Fatal(err)
	}
	e, err := openpgp.NewEntity("Old", "", "old@example.org", &packet.Config{Algorithm: packet.PubKeyAlgoRSA, RSABits: 1024})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := e.Serialize(&buf); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Keys().ImportKeys(buf.Bytes(), nil); err != nil {
		t.Fatalf("ImportKeys: %v", err)
	}
	keys, err := p.Keys().ListKeys()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		want := ""
		if !k.Own {
			want = "too weak: rsa1024, at least 2048 bits are needed"
		}
		if k.Usable != want {
			t.Errorf("%v: Usable = %q, want %q", k.UserIDs, k.Usable, want)
		}
	}
	_, err = p.Composer().Compose("alice@example.org", backend.Draft{To: []string{"old@example.org"}, Subject: "x", Body: "y\n"}, backend.Security{Mode: ModeEncrypt})
	var missing *backend.MissingKeysError
	if !errors.As(err, &missing) || !strings.Contains(err.Error(), "old@example.org") {
		t.Errorf("Compose to the weak key = %v, want a *backend.MissingKeysError naming old@example.org", err)
	}
}
