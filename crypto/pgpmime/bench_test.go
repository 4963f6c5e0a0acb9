package pgpmime

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/sealpost/sealpost/crypto"
)

// benchMessage is a text message with a base64 attachment of size bytes.
func benchMessage(size int) []byte {
	var b bytes.Buffer
	b.WriteString("From: Alice <alice@sealpost.test>\r\nTo: bob@sealpost.test, carol@sealpost.test\r\nSubject: Report\r\n" +
		"Date: Sun, 01 Mar 2026 12:00:00 +0000\r\nMessage-Id: <b@sealpost.test>\r\nMime-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"bb\"\r\n\r\n--bb\r\nContent-Type: text/plain; charset=utf-8\r\n" +
		"Content-Transfer-Encoding: quoted-printable\r\n\r\nHello Bob, the report is attached.\r\n--bb\r\n" +
		"Content-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"r.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	data := make([]byte, size)
	for i := range data {
		data[i] = byte(i * 7)
	}
	b.Write(encodeBase64(data))
	b.WriteString("\r\n--bb--\r\n")
	return b.Bytes()
}

func BenchmarkProtect(b *testing.B) {
	k := sharedKeys(b)
	recipients := []*crypto.Key{k.bob.Public(), k.carol.Public(), k.alice.Public()}
	modes := []struct {
		name string
		opts Options
	}{
		{"encrypt", Options{Mode: ModeEncrypt, Signer: k.alice, Recipients: recipients, Gossip: recipients, Autocrypt: k.alice, Now: t0}},
		{"sign", Options{Mode: ModeSign, Signer: k.alice, Autocrypt: k.alice, Now: t0}},
		{"password", Options{Mode: ModePassword, Password: []byte("pw"), Signer: k.alice, Recipients: recipients[2:], Now: t0}},
		{"plain", Options{Mode: ModePlain, Autocrypt: k.alice, Now: t0}},
	}
	for _, size := range []int{1 << 10, 1 << 20, 16 << 20} {
		msg := benchMessage(size)
		for _, m := range modes {
			b.Run(fmt.Sprintf("%s/%dKiB", m.name, size>>10), func(b *testing.B) {
				b.SetBytes(int64(len(msg)))
				for b.Loop() {
					if _, err := Protect(msg, m.opts); err != nil {
						b.Fatalf("Protect: %v", err)
					}
				}
			})
		}
	}
}
