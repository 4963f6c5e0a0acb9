package crypto

import (
	"bytes"
	//lint:ignore SA1019 the test builds a weak DSA key to see it judged
	"crypto/dsa"
	"encoding/binary"
	"errors"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/eddsa"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

func TestGenerateKey(t *testing.T) {
	tests := []struct {
		name     string
		key      func(t *testing.T) *Key
		wantAlgo string
	}{
		{"curve25519", func(t *testing.T) *Key { return newKey(t, "Alice Example", "Alice@Example.org") }, "ed25519/cv25519"},
		{"rsa4096", func(t *testing.T) *Key { return sharedRSAKey(t) }, "rsa4096"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k := tc.key(t)
			if got := k.Algorithm(); got != tc.wantAlgo {
				t.Errorf("Algorithm() = %q, want %q", got, tc.wantAlgo)
			}
			if !k.IsSecret() || k.IsLocked() {
				t.Errorf("IsSecret, IsLocked = %v, %v, want true, false", k.IsSecret(), k.IsLocked())
			}
			if got := k.CreatedAt(); !got.Equal(t0) {
				t.Errorf("CreatedAt() = %v, want %v", got, t0)
			}
			if got, want := k.ExpiresAt(), t0.Add(DefaultKeyLifetime); !got.Equal(want) {
				t.Errorf("ExpiresAt() = %v, want %v", got, want)
			}
			if got := k.Fingerprint(); len(got) != 40 || strings.ToUpper(got) != got {
				t.Errorf("Fingerprint() = %q, want 40 upper-case hex digits", got)
			}
			if got := k.KeyID(); got != k.Fingerprint()[24:] {
				t.Errorf("KeyID() = %q, want %q", got, k.Fingerprint()[24:])
			}
			if err := k.CanEncrypt(t0); err != nil {
				t.Errorf("CanEncrypt(t0) = %v, want nil", err)
			}
			if err := k.CanSign(t0); err != nil {
				t.Errorf("CanSign(t0) = %v, want nil", err)
			}
			if k.IsRevoked() {
				t.Errorf("IsRevoked() = true, want false")
			}
		})
	}
}

func TestGenerateKeyIdentity(t *testing.T) {
	k := newKey(t, "Alice Example", "Alice@Example.org")
	if got, want := k.UserIDs(), []string{"Alice Example <Alice@Example.org>"}; !slices.Equal(got, want) {
		t.Errorf("UserIDs() = %q, want %q", got, want)
	}
	if got, want := k.Emails(), []string{"alice@example.org"}; !slices.Equal(got, want) {
		t.Errorf("Emails() = %q, want %q", got, want)
	}
}

func TestGenerateKeyLifetime(t *testing.T) {
	tests := []struct {
		name        string
		lifetime    time.Duration
		wantExpires time.Time
		checkAt     time.Time
		wantErr     error
	}{
		{"default three years", 0, t0.Add(DefaultKeyLifetime), t0.Add(DefaultKeyLifetime - time.Hour), nil},
		{"default expired after", 0, t0.Add(DefaultKeyLifetime), t0.Add(DefaultKeyLifetime + time.Hour), ErrKeyExpired},
		{"never expires", -1, time.Time{}, t0.Add(50 * 365 * 24 * time.Hour), nil},
		{"one hour, valid", time.Hour, t0.Add(time.Hour), t0.Add(30 * time.Minute), nil},
		{"one hour, expired", time.Hour, t0.Add(time.Hour), t0.Add(2 * time.Hour), ErrKeyExpired},
		{"before creation", time.Hour, t0.Add(time.Hour), t0.Add(-time.Hour), ErrKeyExpired},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k, err := GenerateKey(GenerateOptions{Name: "L", Email: "l@example.org", Lifetime: tc.lifetime, Now: t0})
			if err != nil {
				t.Fatalf("GenerateKey: %v", err)
			}
			if got := k.ExpiresAt(); !got.Equal(tc.wantExpires) {
				t.Errorf("ExpiresAt() = %v, want %v", got, tc.wantExpires)
			}
			if err := k.CanEncrypt(tc.checkAt); !errors.Is(err, tc.wantErr) {
				t.Errorf("CanEncrypt(%v) = %v, want %v", tc.checkAt, err, tc.wantErr)
			}
			if err := k.CanSign(tc.checkAt); !errors.Is(err, tc.wantErr) {
				t.Errorf("CanSign(%v) = %v, want %v", tc.checkAt, err, tc.wantErr)
			}
		})
	}
}

func TestGenerateKeyInvalidOptions(t *testing.T) {
	tests := []struct {
		name string
		opts GenerateOptions
	}{
		{"no name and no email", GenerateOptions{}},
		{"unknown algorithm", GenerateOptions{Name: "A", Algorithm: "dsa1024"}},
		{"forbidden characters", GenerateOptions{Name: "A <evil>", Email: "a@example.org"}},
		{"lifetime too long", GenerateOptions{Name: "A", Lifetime: 200 * 365 * 24 * time.Hour}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := GenerateKey(tc.opts)
			if !errors.Is(err, ErrInvalidOptions) {
				t.Errorf("GenerateKey(%+v) error = %v, want %v", tc.opts, err, ErrInvalidOptions)
			}
		})
	}
}

func TestParseKeysMultiple(t *testing.T) {
	alice := newKey(t, "Alice", "alice@example.org")
	bob := newKey(t, "Bob", "bob@example.org")
	armoredA, err := alice.ArmorPublic()
	if err != nil {
		t.Fatalf("ArmorPublic: %v", err)
	}
	armoredB, err := bob.ArmorPublic()
	if err != nil {
		t.Fatalf("ArmorPublic: %v", err)
	}
	binA, err := alice.MarshalPublic()
	if err != nil {
		t.Fatalf("MarshalPublic: %v", err)
	}
	secB, err := bob.MarshalSecret()
	if err != nil {
		t.Fatalf("MarshalSecret: %v", err)
	}
	exportedB, err := bob.ExportSecret([]byte("pw"))
	if err != nil {
		t.Fatalf("ExportSecret: %v", err)
	}
	tests := []struct {
		name       string
		data       []byte
		wantSecret []bool
	}{
		{"two armor blocks with text around", []byte("keys:\n" + armoredA + "\nand\n" + armoredB + "\nend\n"), []bool{false, false}},
		{"binary public then secret", slices.Concat(binA, secB), []bool{false, true}},
		{"armored public then protected secret", []byte(armoredA + exportedB), []bool{false, true}},
	}
	want := []string{alice.Fingerprint(), bob.Fingerprint()}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			keys, err := ParseKeys(tc.data)
			if err != nil {
				t.Fatalf("ParseKeys: %v", err)
			}
			var got []string
			var gotSecret []bool
			for _, k := range keys {
				got = append(got, k.Fingerprint())
				gotSecret = append(gotSecret, k.IsSecret())
			}
			if !slices.Equal(got, want) {
				t.Errorf("fingerprints = %q, want %q", got, want)
			}
			if !slices.Equal(gotSecret, tc.wantSecret) {
				t.Errorf("IsSecret = %v, want %v", gotSecret, tc.wantSecret)
			}
		})
	}
}

func TestParseKeysOneBlockTwoKeys(t *testing.T) {
	alice := newKey(t, "Alice", "alice@example.org")
	bob := newKey(t, "Bob", "bob@example.org")
	var buf bytes.Buffer
	for _, k := range []*Key{alice, bob} {
		if err := k.serialize(&buf, false, false); err != nil {
			t.Fatalf("serialize: %v", err)
		}
	}
	keys, err := ParseKeys(buf.Bytes())
	if err != nil {
		t.Fatalf("ParseKeys: %v", err)
	}
	if len(keys) != 2 || keys[1].Fingerprint() != bob.Fingerprint() {
		t.Errorf("ParseKeys returned %d keys, want alice and bob", len(keys))
	}
}

func TestParseKeysMalformed(t *testing.T) {
	k := newKey(t, "Alice", "alice@example.org")
	bin, err := k.MarshalPublic()
	if err != nil {
		t.Fatalf("MarshalPublic: %v", err)
	}
	badSig := slices.Clone(bin)
	badSig[len(badSig)-10] ^= 0x55 // inside the last (subkey binding) signature
	msg, err := EncryptBytes([]byte("hi"), EncryptOptions{Recipients: []*Key{k}, Now: t0, Armor: true})
	if err != nil {
		t.Fatalf("EncryptBytes: %v", err)
	}
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"whitespace", []byte(" \n\t")},
		{"plain text", []byte("this is not a key")},
		{"armored message instead of key", msg},
		{"broken armor", []byte("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n!!!!\n-----END PGP PUBLIC KEY BLOCK-----\n")},
		{"truncated binary", bin[:len(bin)/2]},
		{"bad subkey signature", badSig},
		{"valid key followed by garbage", slices.Concat(bin, []byte{0x99, 0x01})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			keys, err := ParseKeys(tc.data)
			if !errors.Is(err, ErrMalformedKey) {
				t.Errorf("ParseKeys error = %v (%d keys), want %v", err, len(keys), ErrMalformedKey)
			}
		})
	}
}

func TestKeyRoundTrips(t *testing.T) {
	k := newKey(t, "Alice", "alice@example.org")
	armored, err := k.ArmorPublic()
	if err != nil {
		t.Fatalf("ArmorPublic: %v", err)
	}
	pub, err := k.MarshalPublic()
	if err != nil {
		t.Fatalf("MarshalPublic: %v", err)
	}
	sec, err := k.MarshalSecret()
	if err != nil {
		t.Fatalf("MarshalSecret: %v", err)
	}
	tests := []struct {
		name       string
		data       []byte
		wantSecret bool
	}{
		{"ArmorPublic", []byte(armored), false},
		{"MarshalPublic", pub, false},
		{"MarshalSecret", sec, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			keys, err := ParseKeys(tc.data)
			if err != nil {
				t.Fatalf("ParseKeys: %v", err)
			}
			got := keys[0]
			if got.Fingerprint() != k.Fingerprint() {
				t.Errorf("Fingerprint = %s, want %s", got.Fingerprint(), k.Fingerprint())
			}
			if got.IsSecret() != tc.wantSecret || got.IsLocked() {
				t.Errorf("IsSecret, IsLocked = %v, %v, want %v, false", got.IsSecret(), got.IsLocked(), tc.wantSecret)
			}
			if !got.ExpiresAt().Equal(k.ExpiresAt()) || !slices.Equal(got.UserIDs(), k.UserIDs()) {
				t.Errorf("ExpiresAt, UserIDs = %v, %q, want %v, %q", got.ExpiresAt(), got.UserIDs(), k.ExpiresAt(), k.UserIDs())
			}
			if err := got.CanEncrypt(t0); err != nil {
				t.Errorf("CanEncrypt = %v, want nil", err)
			}
		})
	}
	if p := k.Public(); p.IsSecret() || p.Fingerprint() != k.Fingerprint() || !k.IsSecret() {
		t.Errorf("Public(): IsSecret = %v, original IsSecret = %v, want false, true", p.IsSecret(), k.IsSecret())
	}
}

func TestMarshalSecretRefused(t *testing.T) {
	k := newKey(t, "Alice", "alice@example.org")
	locked := protectedCopy(t, k, "pw")
	tests := []struct {
		name string
		key  *Key
		want error
	}{
		{"public key", k.Public(), ErrNotSecretKey},
		{"locked key", locked, ErrKeyLocked},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := tc.key.MarshalSecret(); !errors.Is(err, tc.want) {
				t.Errorf("MarshalSecret error = %v, want %v", err, tc.want)
			}
		})
	}
}

// protectedCopy exports k with passphrase and parses it back (locked).
func protectedCopy(t *testing.T, k *Key, passphrase string) *Key {
	t.Helper()
	armored, err := k.ExportSecret([]byte(passphrase))
	if err != nil {
		t.Fatalf("ExportSecret: %v", err)
	}
	keys, err := ParseKeys([]byte(armored))
	if err != nil {
		t.Fatalf("ParseKeys(exported secret): %v", err)
	}
	return keys[0]
}

func TestExportSecretAndUnlock(t *testing.T) {
	k := newKey(t, "Alice", "alice@example.org")
	armored, err := k.ExportSecret([]byte("correct horse"))
	if err != nil {
		t.Fatalf("ExportSecret: %v", err)
	}
	if !strings.HasPrefix(armored, "-----BEGIN PGP PRIVATE KEY BLOCK-----") {
		t.Errorf("ExportSecret output starts %q, want a private key armor block", armored[:40])
	}
	if k.IsLocked() {
		t.Errorf("original key IsLocked() = true after ExportSecret, want false")
	}
	locked, err := ParseKeys([]byte(armored))
	if err != nil {
		t.Fatalf("ParseKeys: %v", err)
	}
	got := locked[0]
	if !got.IsSecret() || !got.IsLocked() {
		t.Fatalf("IsSecret, IsLocked = %v, %v, want true, true", got.IsSecret(), got.IsLocked())
	}
	if _, err := EncryptBytes([]byte("x"), EncryptOptions{Recipients: []*Key{k}, Signer: got, Now: t0}); !errors.Is(err, ErrKeyLocked) {
		t.Errorf("signing with a locked key: error = %v, want %v", err, ErrKeyLocked)
	}
	if err := UnlockKey(got, []byte("wrong")); !errors.Is(err, ErrWrongKeyPassphrase) {
		t.Errorf("UnlockKey(wrong) = %v, want %v", err, ErrWrongKeyPassphrase)
	}
	if err := UnlockKey(got, []byte("correct horse")); err != nil {
		t.Fatalf("UnlockKey(right) = %v, want nil", err)
	}
	if got.IsLocked() {
		t.Errorf("IsLocked() after unlock = true, want false")
	}
	if err := UnlockKey(k.Public(), []byte("x")); !errors.Is(err, ErrNotSecretKey) {
		t.Errorf("UnlockKey(public) = %v, want %v", err, ErrNotSecretKey)
	}
	msg, err := EncryptBytes([]byte("hello"), EncryptOptions{Recipients: []*Key{k.Public()}, Now: t0})
	if err != nil {
		t.Fatalf("EncryptBytes: %v", err)
	}
	if pt, _, err := DecryptBytes(msg, DecryptOptions{Keys: []*Key{got}, Now: t0}); err != nil || string(pt) != "hello" {
		t.Errorf("decrypt with unlocked import = %q, %v, want %q, nil", pt, err, "hello")
	}
}

func TestRevoke(t *testing.T) {
	k := newKey(t, "Alice", "alice@example.org")
	oldPublic := k.Public()
	if err := oldPublic.Revoke("x", t0); !errors.Is(err, ErrNotSecretKey) {
		t.Errorf("Revoke(public) = %v, want %v", err, ErrNotSecretKey)
	}
	if err := k.Revoke("key retired", t0.Add(time.Hour)); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	armored, err := k.ArmorPublic()
	if err != nil {
		t.Fatalf("ArmorPublic: %v", err)
	}
	parsed, err := ParseKeys([]byte(armored))
	if err != nil {
		t.Fatalf("ParseKeys: %v", err)
	}
	if err := oldPublic.Merge(parsed[0]); err != nil {
		t.Fatalf("Merge: %v", err)
	}
	for name, key := range map[string]*Key{"revoked key": k, "re-parsed": parsed[0], "merged into old copy": oldPublic} {
		t.Run(name, func(t *testing.T) {
			if !key.IsRevoked() {
				t.Errorf("IsRevoked() = false, want true")
			}
			if err := key.CanEncrypt(t0.Add(2 * time.Hour)); !errors.Is(err, ErrKeyRevoked) {
				t.Errorf("CanEncrypt = %v, want %v", err, ErrKeyRevoked)
			}
			if err := key.CanSign(t0.Add(2 * time.Hour)); !errors.Is(err, ErrKeyRevoked) {
				t.Errorf("CanSign = %v, want %v", err, ErrKeyRevoked)
			}
		})
	}
}

func TestMerge(t *testing.T) {
	k := newKey(t, "Alice", "alice@example.org")
	old := k.Public()
	// The owner adds a user ID and a certification from Bob arrives.
	cfg := baseConfig(t0.Add(time.Minute))
	if err := k.entity.AddUserId("Alice Work", "", "alice@work.example", cfg); err != nil {
		t.Fatalf("AddUserId: %v", err)
	}
	bob := newKey(t, "Bob", "bob@example.org")
	if err := k.entity.SignIdentity(k.UserIDs()[0], bob.entity, baseConfig(t0.Add(time.Minute))); err != nil {
		t.Fatalf("SignIdentity: %v", err)
	}
	full, err := k.MarshalPublic()
	if err != nil {
		t.Fatalf("MarshalPublic: %v", err)
	}
	updated, err := ParseKeys(full)
	if err != nil {
		t.Fatalf("ParseKeys: %v", err)
	}
	if err := old.Merge(updated[0]); err != nil {
		t.Fatalf("Merge: %v", err)
	}
	if got, want := old.Emails(), []string{"alice@example.org", "alice@work.example"}; !slices.Equal(got, want) {
		t.Errorf("Emails() after merge = %q, want %q", got, want)
	}
	if got := len(old.entity.Identities["Alice <alice@example.org>"].Signatures); got != 2 {
		t.Errorf("signatures on the first user ID after merge = %d, want 2 (self + Bob)", got)
	}
	// Merging twice adds nothing.
	if err := old.Merge(updated[0]); err != nil {
		t.Fatalf("second Merge: %v", err)
	}
	if got := len(old.entity.Identities["Alice <alice@example.org>"].Signatures); got != 2 {
		t.Errorf("signatures after a second merge = %d, want 2", got)
	}
	if err := old.Merge(bob); !errors.Is(err, ErrFingerprintMismatch) {
		t.Errorf("Merge(other key) = %v, want %v", err, ErrFingerprintMismatch)
	}
}

func TestArmorPublicIsMinimal(t *testing.T) {
	k := newKey(t, "Alice", "alice@example.org")
	bob := newKey(t, "Bob", "bob@example.org")
	if err := k.entity.SignIdentity(k.UserIDs()[0], bob.entity, baseConfig(t0)); err != nil {
		t.Fatalf("SignIdentity: %v", err)
	}
	armored, err := k.ArmorPublic()
	if err != nil {
		t.Fatalf("ArmorPublic: %v", err)
	}
	full, err := k.MarshalPublic()
	if err != nil {
		t.Fatalf("MarshalPublic: %v", err)
	}
	tests := []struct {
		name string
		data []byte
		want int
	}{
		{"ArmorPublic drops third-party certifications", []byte(armored), 1},
		{"MarshalPublic keeps them", full, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			keys, err := ParseKeys(tc.data)
			if err != nil {
				t.Fatalf("ParseKeys: %v", err)
			}
			if got := len(keys[0].entity.Identities[k.UserIDs()[0]].Signatures); got != tc.want {
				t.Errorf("user ID signatures = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestClearPrivate(t *testing.T) {
	k := newKey(t, "Alice", "alice@example.org")
	priv := k.entity.PrivateKey
	k.ClearPrivate()
	if k.IsSecret() {
		t.Errorf("IsSecret() after ClearPrivate = true, want false")
	}
	if _, err := SignDetached(strings.NewReader("x"), k, false, t0); !errors.Is(err, ErrNotSecretKey) {
		t.Errorf("SignDetached after ClearPrivate = %v, want %v", err, ErrNotSecretKey)
	}
	ed, ok := priv.PrivateKey.(*eddsa.PrivateKey)
	if !ok {
		t.Fatalf("primary private key is %T, want *eddsa.PrivateKey", priv.PrivateKey)
	}
	if !bytes.Equal(ed.D, make([]byte, len(ed.D))) {
		t.Errorf("private scalar after ClearPrivate = %x, want all zero", ed.D)
	}
}

// dsaKeyBlock builds a public key block with a DSA key of the given sizes and
// a self-signature (invalid, but costly to check: s = 2 makes the exponents
// as long as q).
func dsaKeyBlock(t *testing.T, pBits, qBits int) []byte {
	t.Helper()
	big1 := big.NewInt(1)
	ones := func(bits int) *big.Int { return new(big.Int).Sub(new(big.Int).Lsh(big1, uint(bits)), big1) }
	pub := &dsa.PublicKey{Parameters: dsa.Parameters{P: ones(pBits), Q: ones(qBits), G: ones(pBits - 8)}, Y: ones(pBits - 8)}
	pk := packet.NewDSAPublicKey(t0, pub)
	var buf bytes.Buffer
	if err := pk.Serialize(&buf); err != nil {
		t.Fatalf("serialize DSA key: %v", err)
	}
	if err := packet.NewUserId("D", "", "d@example.org").Serialize(&buf); err != nil {
		t.Fatalf("serialize user ID: %v", err)
	}
	mpi := func(b []byte, n *big.Int) []byte {
		b = binary.BigEndian.AppendUint16(b, uint16(n.BitLen()))
		return append(b, n.Bytes()...)
	}
	hashed := append([]byte{5, 2, 0, 0, 0, 0, 9, 16}, pk.Fingerprint[12:20]...) // creation time, issuer
	body := []byte{4, 0x13, 17, 8}                                              // v4 positive certification, DSA, SHA-256
	body = binary.BigEndian.AppendUint16(body, uint16(len(hashed)))
	body = append(append(body, hashed...), 0, 0, 0xAB, 0xCD)
	body = mpi(mpi(body, ones(qBits-1)), big.NewInt(2))
	buf.WriteByte(0xC2)
	if err := writeLength(&buf, len(body)); err != nil {
		t.Fatalf("length: %v", err)
	}
	buf.Write(body)
	return buf.Bytes()
}

func TestParseKeysRejectsHugeDSA(t *testing.T) {
	tests := []struct {
		name         string
		pBits, qBits int
		wantTooLarge bool
	}{
		{"regular size", 2048, 256, false},
		{"huge p and q", 32768, 32768, true},
		{"huge q", 2048, 2048, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseKeys(dsaKeyBlock(t, tc.pBits, tc.qBits))
			if !errors.Is(err, ErrMalformedKey) {
				t.Fatalf("ParseKeys error = %v, want %v", err, ErrMalformedKey)
			}
			if got := strings.Contains(err.Error(), "too large"); got != tc.wantTooLarge {
				t.Errorf("error %q mentions \"too large\" = %v, want %v", err, got, tc.wantTooLarge)
			}
		})
	}
}
