package verdict

import (
	"bytes"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"

	"github.com/sealpost/sealpost/crypto"
)

// TestWeakSignerWarns: a valid signature by an RSA-1024 key of the sender
// counts as valid but carries a warning naming the weak key.
func TestWeakSignerWarns(t *testing.T) {
	e, err := openpgp.NewEntity("Old", "", "old@example.org", &packet.Config{Algorithm: packet.PubKeyAlgoRSA, RSABits: 1024, Time: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := e.SerializePrivate(&buf, nil); err != nil {
		t.Fatal(err)
	}
	keys, err := crypto.ParseKeys(buf.Bytes())
	if err != nil || len(keys) != 1 {
		t.Fatalf("ParseKeys: %v", err)
	}
	old := keys[0]
	body := "Content-Type: text/plain; charset=utf-8\n\nstill here\n"
	raw := crlf(header("Old <old@example.org>", "Hello") + signedPart(t, old, body, "sig"))
	r, err := Inspect([]byte(raw), Options{Verifiers: []*crypto.Key{old.Public()}, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	if r.Signature.Status != crypto.SigValid || !containsWarning(r.Warnings, "signed with a weak key (rsa1024)") {
		t.Errorf("signature %s, warnings %q; want valid with a weak-key warning", r.Signature.Status, r.Warnings)
	}
}
