package verdict

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkInspectMix inspects, as a sync's indexing does, the kinds of
// message of the realistic corpus of mail/syncbench: plain text, text with an HTML
// alternative, text with a base64 attachment of 60 KB, and an encrypted
// and signed message with an attachment; in full, and with attachments
// described by name only (as the index does).
func BenchmarkInspectMix(b *testing.B) {
	k := people(b)
	text := strings.Repeat("The quarterly numbers are in the attached report, as promised.\n", 100)
	data := make([]byte, 60<<10)
	for i := range data {
		data[i] = byte(i * 31 >> 3)
	}
	attachment := "Content-Type: application/pdf\nContent-Disposition: attachment; filename=\"report.pdf\"\n" +
		"Content-Transfer-Encoding: base64\n\n" + b64Lines(string(data))
	withAttachment := "Content-Type: multipart/mixed; boundary=M\n\n--M\nContent-Type: text/plain\n\n" + text +
		"--M\n" + attachment + "--M--\n"
	msgs := []struct{ name, raw string }{
		{"plain", header("Alice <alice@example.org>", "plain") + "Content-Type: text/plain\n\n" + text},
		{"html", header("Alice <alice@example.org>", "html") + "Content-Type: multipart/alternative; boundary=A\n\n--A\nContent-Type: text/plain\n\n" + text +
			"--A\nContent-Type: text/html\n\n<html><body><p>" + strings.ReplaceAll(text, "\n", "</p><p>") + "</p></body></html>\n--A--\n"},
		{"attachment", header("Alice <alice@example.org>", "attachment") + withAttachment},
		{"encrypted", header("Alice <alice@example.org>", "...") + pgpMIME(encryptTo(b, k, k.alice, withAttachment), "E")},
	}
	for _, namesOnly := range []bool{false, true} {
		opts := bobReads(k)
		opts.AttachmentNamesOnly = namesOnly
		for _, m := range msgs {
			b.Run(fmt.Sprintf("%s/namesOnly=%v", m.name, namesOnly), func(b *testing.B) {
				raw := []byte(m.raw)
				b.SetBytes(int64(len(raw)))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := Inspect(raw, opts); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
