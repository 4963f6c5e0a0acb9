package verdict

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// mixMessages are the kinds of message of BenchmarkInspectMix, by name.
func mixMessages(tb testing.TB, k testKeys) []struct{ name, raw string } {
	text := strings.Repeat("The quarterly numbers are in the attached report, as promised.\n", 100)
	data := make([]byte, 60<<10)
	for i := range data {
		data[i] = byte(i * 31 >> 3)
	}
	attachment := "Content-Type: application/pdf\nContent-Disposition: attachment; filename=\"report.pdf\"\n" +
		"Content-Transfer-Encoding: base64\n\n" + b64Lines(string(data))
	withAttachment := "Content-Type: multipart/mixed; boundary=M\n\n--M\nContent-Type: text/plain\n\n" + text +
		"--M\n" + attachment + "--M--\n"
	return []struct{ name, raw string }{
		{"plain", header("Alice <alice@example.org>", "plain") + "Content-Type: text/plain\n\n" + text},
		{"html", header("Alice <alice@example.org>", "html") + "Content-Type: multipart/alternative; boundary=A\n\n--A\nContent-Type: text/plain\n\n" + text +
			"--A\nContent-Type: text/html\n\n<html><body><p>" + strings.ReplaceAll(text, "\n", "</p><p>") + "</p></body></html>\n--A--\n"},
		{"attachment", header("Alice <alice@example.org>", "attachment") + withAttachment},
		{"encrypted", header("Alice <alice@example.org>", "...") + pgpMIME(encryptTo(tb, k, k.alice, withAttachment), "E")},
	}
}

// BenchmarkInspectMix inspects, as a sync's indexing does, the kinds of
// message of the realistic corpus of mail/syncbench: plain text, text with an HTML
// alternative, text with a base64 attachment of 60 KB, and an encrypted
// and signed message with an attachment; in full, and with attachments
// described by name only (as the index does).
func BenchmarkInspectMix(b *testing.B) {
	k := people(b)
	msgs := mixMessages(b, k)
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

// TestInspectionsShareNoScratch: inspections reuse copy buffers and header
// readers, so each kind of message is inspected again, many at once, after
// the others; every result equals the one inspected alone before, which
// later inspections must not have changed either.
func TestInspectionsShareNoScratch(t *testing.T) {
	k := people(t)
	opts := bobReads(k)
	msgs := mixMessages(t, k)
	want := make([]Result, len(msgs))
	for i, m := range msgs {
		r, err := Inspect([]byte(m.raw), opts)
		if err != nil {
			t.Fatalf("%s: %v", m.name, err)
		}
		want[i] = r
	}
	wantAgain := make([]Result, len(msgs))
	for i, m := range msgs {
		wantAgain[i], _ = Inspect([]byte(m.raw), opts)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8*len(msgs))
	for range 8 {
		for i, m := range msgs {
			wg.Go(func() {
				got, err := Inspect([]byte(m.raw), opts)
				if err != nil || !reflect.DeepEqual(got, want[i]) {
					errs <- fmt.Sprintf("%s inspected among others differs (%v)", m.name, err)
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	for i, m := range msgs {
		if !reflect.DeepEqual(want[i], wantAgain[i]) {
			t.Errorf("%s: its first result changed while others were inspected", m.name)
		}
	}
}
