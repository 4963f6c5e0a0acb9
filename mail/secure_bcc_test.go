package mail

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"

	"github.com/sealpost/sealpost/crypto"
	"github.com/sealpost/sealpost/mail/backend"
)

// TestBccRecipientsAreNotNamed: an encrypted message with a blind copy
// names the To recipient's and the sender's keys, but encrypts to the Bcc
// recipient under the wildcard key ID, so the other recipients cannot tell
// from the packets who else got it; the Bcc recipient still decrypts it.
func TestBccRecipientsAreNotNamed(t *testing.T) {
	p := newTestProfile(t)
	if _, err := p.Keys().GenerateKey("Alice", "alice@example.org", crypto.AlgoCurve25519, 0); err != nil {
		t.Fatal(err)
	}
	contacts := map[string]*crypto.Key{}
	for _, who := range []string{"bob@example.net", "carol@example.com"} {
		k, err := crypto.GenerateKey(crypto.GenerateOptions{Name: who, Email: who})
		if err != nil {
			t.Fatal(err)
		}
		pub, err := k.ArmorPublic()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Keys().ImportKeys([]byte(pub), nil); err != nil {
			t.Fatal(err)
		}
		contacts[who] = k
	}
	raw, err := p.Composer().Compose("alice@example.org", backend.Draft{To: []string{"bob@example.net"}, Bcc: []string{"carol@example.com"},
		Subject: "Blind", Body: "only for the three of us\n"}, backend.Security{Mode: ModeEncrypt})
	if err != nil {
		t.Fatal(err)
	}
	start, end := bytes.Index(raw, []byte("-----BEGIN PGP MESSAGE-----")), bytes.Index(raw, []byte("-----END PGP MESSAGE-----"))
	if start < 0 || end < start {
		t.Fatalf("no armored message in:\n%s", raw)
	}
	armored := raw[start : end+len("-----END PGP MESSAGE-----")]

	block, err := armor.Decode(bytes.NewReader(armored))
	if err != nil {
		t.Fatal(err)
	}
	var named, anonymous int
	packets := packet.NewReader(block.Body)
	for {
		pk, err := packets.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		ek, ok := pk.(*packet.EncryptedKey)
		if !ok {
			break // the key packets come first
		}
		if ek.KeyId == 0 {
			anonymous++
		} else {
			named++
		}
	}
	if named != 2 || anonymous != 1 {
		t.Errorf("key packets: %d named, %d anonymous; want Bob and Alice named, Carol anonymous", named, anonymous)
	}
	pt, _, err := crypto.DecryptBytes(armored, crypto.DecryptOptions{Keys: []*crypto.Key{contacts["carol@example.com"]}})
	if err != nil || !strings.Contains(string(pt), "only for the three of us") {
		t.Errorf("Carol (Bcc) decrypts = %v, %q", err, pt)
	}
}
