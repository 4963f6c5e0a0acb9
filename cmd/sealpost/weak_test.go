package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// TestKeysListMarksWeakKeys: an imported RSA-1024 key is listed with
// status "weak".
func TestKeysListMarksWeakKeys(t *testing.T) {
	dir, pass := newProfile(t)
	e, err := openpgp.NewEntity("Old", "", "old@example.org", &packet.Config{Algorithm: packet.PubKeyAlgoRSA, RSABits: 1024})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := e.Serialize(&buf); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "old.gpg")
	if err := os.WriteFile(file, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	mustSucceed(t, sealpost(t, dir, pass, "keys", "import", file))
	keys := listKeys(t, dir, pass)
	if len(keys) != 1 || keys[0].Status != "weak" {
		t.Errorf("keys list = %+v, want the RSA-1024 key with status weak", keys)
	}
}
