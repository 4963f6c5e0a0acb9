package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
)

// TestReaderDamagedArmorIsEncrypted: a PGP/MIME message whose encrypted
// part has damaged armor, opened through the real engine, is shown as
// encrypted and not decrypted (bad), never as "Not encrypted", and nothing
// of the broken part appears as its text.
func TestReaderDamagedArmorIsEncrypted(t *testing.T) {
	test.NewTempApp(t)
	app, e := openFixture(t)
	const secret = "meet at the north gate"
	raw := "From: Bob Example <bob@example.net>\r\nTo: alice@example.org\r\nSubject: Plan\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=E\r\n\r\n" +
		"--E\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n\r\n" +
		"--E\r\nContent-Type: application/octet-stream\r\n\r\n-----BEGIN PGP MESAGE-----\r\n\r\n" + secret + "\r\n-----END PGP MESSAGE-----\r\n--E--\r\n"
	m, err := e.Inspect(t.Context(), []byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	app.main.showMessage(m)
	r := app.main.reader
	if barSays(r, "Not encrypted") || !barSays(r, "Encrypted, but Sealpost could not decrypt it") || !barSays(r, "its armor is damaged") {
		t.Errorf("bar = %q, want encrypted, not decrypted, damaged armor", barText(r))
	}
	if r.bar.state.level != levelBad {
		t.Errorf("level = %s, want bad", r.bar.state.level)
	}
	if strings.Contains(r.body.Text, secret) || strings.Contains(r.body.Text, "PGP") {
		t.Errorf("body = %q, want nothing of the broken part", r.body.Text)
	}
}
