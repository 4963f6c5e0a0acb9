package pgpmime

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/sealpost/sealpost/crypto"
)

// sharedTestdata is ../shared/testdata relative to the module root.
const sharedTestdata = "../../../shared/testdata"

// TestAutocryptKeydataIsMinimal takes a real key with two user IDs and four
// subkeys (from Thunderbird's test suite) and checks that the keydata keeps
// only the user ID of the address and one encryption subkey.
func TestAutocryptKeydataIsMinimal(t *testing.T) {
	path := filepath.Join(sharedTestdata, "interop/thunderbird/keys/two-enc-subkeys-still-both.pub.asc")
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		t.Skipf("%s is absent: the shared test data is not checked out", path)
	}
	if err != nil {
		t.Fatalf("read key: %v", err)
	}
	keys, err := crypto.ParseKeys(data)
	if err != nil || len(keys) != 1 {
		t.Fatalf("ParseKeys = %d keys, %v, want 1", len(keys), err)
	}
	k := keys[0]
	if len(k.UserIDs()) != 2 {
		t.Fatalf("test key has user IDs %q, want 2", k.UserIDs())
	}
	full, err := k.MarshalPublic()
	if err != nil {
		t.Fatalf("MarshalPublic: %v", err)
	}
	for _, addr := range k.Emails() {
		t.Run(addr, func(t *testing.T) {
			kd, err := autocryptKeydata(k, addr, t0)
			if err != nil {
				t.Fatalf("autocryptKeydata: %v", err)
			}
			if len(kd) >= len(full) {
				t.Errorf("keydata is %d bytes, want less than the full key's %d", len(kd), len(full))
			}
			got, err := crypto.ParseKeys(kd)
			if err != nil || len(got) != 1 {
				t.Fatalf("ParseKeys(keydata) = %d keys, %v, want 1", len(got), err)
			}
			if ids := got[0].UserIDs(); got[0].Fingerprint() != k.Fingerprint() || len(ids) != 1 || !strings.Contains(ids[0], "<"+addr+">") {
				t.Errorf("keydata key = %s with user IDs %q, want %s with only the one for %s", got[0].Fingerprint(), ids, k.Fingerprint(), addr)
			}
			if err := got[0].CanEncrypt(t0); err != nil {
				t.Errorf("keydata key CanEncrypt = %v, want nil", err)
			}
			subkeys := 0
			r := packet.NewReader(bytes.NewReader(kd))
			for {
				p, err := r.Next()
				if err != nil {
					break
				}
				if pk, ok := p.(*packet.PublicKey); ok && pk.IsSubkey {
					subkeys++
				}
			}
			if subkeys != 1 {
				t.Errorf("keydata has %d subkeys, want 1", subkeys)
			}
		})
	}
}
