package crypto

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sealpost/sealpost/crypto/internal/testenv"
)

func readShared(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return data
}

func TestThunderbirdKeys(t *testing.T) {
	dir := testenv.SharedTestdata(t, "interop", "thunderbird", "keys")
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		file       string
		wantParse  error
		wantEnc    error
		wantLocked bool
		passphrase string
	}{
		{"apple-pub.asc", ErrMalformedKey, nil, false, ""},
		{"alice@openpgp.example-0xf231550c4f47e38e-rev.asc", ErrMalformedKey, nil, false, ""}, // a revocation certificate, not a key
		{"expired-enc-subkey.pub.asc", nil, ErrKeyExpired, false, ""},
		{"sign-subkey-only-pub.asc", nil, ErrNoEncryptionKey, false, ""},
		{"sign-subkey-only-secret.asc", nil, ErrNoEncryptionKey, false, ""},
		{"carol@pgp.icu-0xEF2FD01608AFD744-revoked-secret.asc", nil, ErrKeyRevoked, false, ""},
		{"eddie@openpgp.example-0x15e9357d2c2395c0-pub.asc", nil, ErrKeyExpired, false, ""},
		{"two-enc-subkeys-still-both.pub.asc", nil, nil, false, ""},
		{"alice@openpgp.example-0xf231550c4f47e38e-secret-with-pp.asc", nil, nil, true, "alice-passphrase"},
		{"bob@openpgp.example-0xfbfcc82a015e7330-secret-with-pp.asc", nil, nil, true, "bob-passphrase"},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			keys, err := ParseKeys(readShared(t, filepath.Join(dir, tc.file)))
			if !errors.Is(err, tc.wantParse) {
				t.Fatalf("ParseKeys error = %v, want %v", err, tc.wantParse)
			}
			if err != nil {
				return
			}
			k := keys[0]
			if err := k.CanEncrypt(now); !errors.Is(err, tc.wantEnc) {
				t.Errorf("CanEncrypt = %v, want %v", err, tc.wantEnc)
			}
			if k.IsLocked() != tc.wantLocked {
				t.Errorf("IsLocked() = %v, want %v", k.IsLocked(), tc.wantLocked)
			}
			if tc.passphrase == "" {
				return
			}
			if err := UnlockKey(k, []byte("not-"+tc.passphrase)); !errors.Is(err, ErrWrongKeyPassphrase) {
				t.Errorf("UnlockKey(wrong) = %v, want %v", err, ErrWrongKeyPassphrase)
			}
			if err := UnlockKey(k, []byte(tc.passphrase)); err != nil || k.IsLocked() {
				t.Errorf("UnlockKey(right) = %v, IsLocked = %v, want nil, false", err, k.IsLocked())
			}
		})
	}
}

// armoredMessage cuts the first armored PGP message out of an .eml file.
func armoredMessage(t *testing.T, eml []byte) []byte {
	t.Helper()
	start := bytes.Index(eml, []byte("-----BEGIN PGP MESSAGE-----"))
	endMarker := []byte("-----END PGP MESSAGE-----")
	end := bytes.Index(eml, endMarker)
	if start < 0 || end < start {
		t.Fatalf("no armored PGP message in the .eml file")
	}
	return eml[start : end+len(endMarker)]
}

func TestThunderbirdIntegrityCases(t *testing.T) {
	root := testenv.SharedTestdata(t, "interop", "thunderbird")
	keys, err := ParseKeys(readShared(t, filepath.Join(root, "keys", "bob@openpgp.example-0xfbfcc82a015e7330-secret.asc")))
	if err != nil {
		t.Fatalf("ParseKeys(bob): %v", err)
	}
	bob := keys[0]
	tests := []struct {
		file    string
		wantErr error
	}{
		{"rc-openpgp-mdc.eml", nil},
		{"rc-openpgp-aead.eml", nil},
		{"rc-openpgp-nomdc.eml", ErrIntegrity},
		{"rc-openpgp-mdc-tampered.eml", ErrIntegrity},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			msg := armoredMessage(t, readShared(t, filepath.Join(root, "eml", tc.file)))
			st := &recordingStaging{}
			v, err := Decrypt(bytes.NewReader(msg), st, DecryptOptions{Keys: []*Key{bob}})
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Decrypt error = %v, want %v", err, tc.wantErr)
			}
			if tc.wantErr != nil {
				if st.commits != 0 || st.discards != 1 {
					t.Errorf("commits, discards = %d, %d, want 0, 1", st.commits, st.discards)
				}
				return
			}
			if !v.Encrypted || !v.IntegrityProtected || len(st.Bytes()) == 0 {
				t.Errorf("verdict = %+v with %d bytes, want encrypted, integrity protected, some plaintext", v, len(st.Bytes()))
			}
		})
	}
}
