package crypto

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// withoutEnd cuts an armored message at the line break nearest its
// middle: the END line and the end of the data are missing.
func withoutEnd(msg []byte) []byte {
	half := msg[:len(msg)/2]
	return half[:bytes.LastIndexByte(half, '\n')+1]
}

// TestDecryptTellsDamagedArmor: armor that cannot be read fails with
// ErrDamagedArmor, and the Verdict then claims neither Encrypted nor
// Unencrypted, so that a message that arrived encrypted stays encrypted;
// only an OpenPGP message whose first packet is positively unencrypted is
// Unencrypted.
func TestDecryptTellsDamagedArmor(t *testing.T) {
	alice := newKey(t, "Alice", "alice@example.org")
	enc, err := EncryptBytes([]byte("secret plan"), EncryptOptions{Recipients: []*Key{alice.Public()}, Now: t0, Armor: true})
	if err != nil {
		t.Fatalf("EncryptBytes: %v", err)
	}
	signed := []byte(armored(t, signedOnly(t, alice, strings.Repeat("signed text ", 50))))
	tests := []struct {
		name             string
		in               []byte
		ok, damaged      bool
		encrypted, plain bool
	}{
		{"garbled BEGIN line", bytes.Replace(enc, []byte("BEGIN PGP MESSAGE"), []byte("BEGIN PGP MESSAG"), 1), false, true, false, false},
		{"no armor at all", []byte("secret plan, not armored\n"), false, true, false, false},
		{"header line without colon", bytes.Replace(enc, []byte("-----\n\n"), []byte("-----\nbroken\n\n"), 1), false, true, false, false},
		{"data that does not decode", []byte("-----BEGIN PGP MESSAGE-----\n\n!!!!\n-----END PGP MESSAGE-----\n"), false, true, false, false},
		{"data that is not a packet", []byte("-----BEGIN PGP MESSAGE-----\n\nAAAAAAAA\n-----END PGP MESSAGE-----\n"), false, false, false, false},
		{"encrypted, END line missing", withoutEnd(enc), false, false, true, false},
		{"signed only, END line missing", withoutEnd(signed), false, false, false, true},
		{"encrypted", enc, true, false, true, false},
		{"signed only", signed, true, false, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := &recordingStaging{}
			v, err := Decrypt(bytes.NewReader(tc.in), st, DecryptOptions{Keys: []*Key{alice}, Verifiers: []*Key{alice}, Now: t0})
			if (err == nil) != tc.ok {
				t.Fatalf("Decrypt error = %v, want success %v", err, tc.ok)
			}
			if got := errors.Is(err, ErrDamagedArmor); got != tc.damaged {
				t.Errorf("error %v is ErrDamagedArmor: %v, want %v", err, got, tc.damaged)
			}
			if tc.damaged && !errors.Is(err, ErrMalformedMessage) {
				t.Errorf("error %v is not also ErrMalformedMessage", err)
			}
			if v.Encrypted != tc.encrypted || v.Unencrypted != tc.plain {
				t.Errorf("Encrypted, Unencrypted = %v, %v, want %v, %v", v.Encrypted, v.Unencrypted, tc.encrypted, tc.plain)
			}
			if !tc.ok && st.commits != 0 {
				t.Errorf("commits = %d after an error, want 0", st.commits)
			}
		})
	}
}
