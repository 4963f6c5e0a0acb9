package verdict

import (
	"strings"
	"testing"
)

// withoutEnd cuts an armored message at the line break nearest its
// middle: the END line and the end of the data are missing.
func withoutEnd(armored string) string {
	half := armored[:len(armored)/2]
	return half[:strings.LastIndexByte(half, '\n')+1]
}

// TestDamagedArmorStaysEncrypted: a message that arrived encrypted
// (multipart/encrypted, or a text that is one armored PGP MESSAGE) whose
// armor is damaged is reported as encrypted and not decrypted, never as
// an unencrypted message, and nothing of the broken part is shown. Only
// positively unencrypted OpenPGP data (a signed message) is not encrypted.
func TestDamagedArmorStaysEncrypted(t *testing.T) {
	k := people(t)
	const secret = "secret plan"
	good := encryptTo(t, k, k.alice, "Content-Type: text/plain\n\n"+secret+"\n")
	from := header("Alice <alice@example.org>", "hi")
	tests := []struct {
		name string
		msg  string
		enc  bool
		warn string
	}{
		{"PGP/MIME, garbled BEGIN line", from + pgpMIME(strings.Replace(good, "BEGIN PGP MESSAGE", "BEGIN PGP MESAGE", 1), "E"),
			true, "its armor is damaged"},
		{"PGP/MIME, text instead of armor", from + pgpMIME(secret+", not armored", "E"), true, "its armor is damaged"},
		{"PGP/MIME, data that does not decode", from + pgpMIME("-----BEGIN PGP MESSAGE-----\n\n!!!! "+secret+"\n-----END PGP MESSAGE-----", "E"),
			true, "its armor is damaged"},
		{"PGP/MIME, data that is not OpenPGP", from + pgpMIME("-----BEGIN PGP MESSAGE-----\n\nAAAAAAAA\n-----END PGP MESSAGE-----", "E"),
			true, "cannot be decrypted"},
		{"PGP/MIME, END line missing", from + pgpMIME(withoutEnd(good), "E"), true, "it is not shown"},
		{"inline, data that does not decode", from + "Content-Type: text/plain\n\n-----BEGIN PGP MESSAGE-----\n\n!!!! " + secret + "\n-----END PGP MESSAGE-----\n",
			true, "its armor is damaged"},
		{"inline, END line missing", from + "Content-Type: text/plain\n\n" + withoutEnd(good), true, "its armor is damaged"},
		{"inline, END line garbled", from + "Content-Type: text/plain\n\n" + strings.Replace(good, "END PGP MESSAGE", "END PGP MESAGE", 1),
			true, "its armor is damaged"},
		{"PGP/MIME, signed only, END line missing", from + pgpMIME(withoutEnd(signedOnly(t, k.alice, strings.Repeat(secret, 4000))), "E"),
			false, "cannot be decrypted"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Inspect([]byte(tc.msg), bobReads(k))
			if err != nil {
				t.Fatal(err)
			}
			if r.Encrypted != tc.enc || r.IntegrityProtected {
				t.Errorf("Encrypted, IntegrityProtected = %v, %v, want %v, false (warnings %q)", r.Encrypted, r.IntegrityProtected, tc.enc, r.Warnings)
			}
			if strings.Contains(r.BodyText, secret) || strings.Contains(r.BodyText, "PGP MES") {
				t.Errorf("BodyText = %q, want nothing of the broken part", r.BodyText)
			}
			if !containsWarning(r.Warnings, tc.warn) {
				t.Errorf("warnings = %q, want one containing %q", r.Warnings, tc.warn)
			}
		})
	}
}
