//go:build linux

package syncbench

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/sealpost/sealpost/crypto"
	"github.com/sealpost/sealpost/crypto/pgpmime"
	"github.com/sealpost/sealpost/mail"
	"github.com/sealpost/sealpost/mail/backend"
)

// The realistic corpus: what an ordinary mailbox holds, about 36 KB per
// message on average. Each block of twenty messages has eight plain-text
// ones, six text and HTML alternatives, four with a binary attachment and two
// PGP/MIME encrypted and signed (with header protection) to the profile's own
// key, so that indexing has to decrypt them. Mail from the senders with keys
// carries their Autocrypt header, which the sync's Autocrypt pass reads.
const (
	realisticPlain       = 8
	realisticAlternative = 6
	realisticAttachment  = 4
	realisticBlock       = 20 // the last two of each block are encrypted
)

// realisticAverage is the corpus's target average message size; the
// generator test checks it.
const realisticAverage = 36 << 10

// corpusKeys are the OpenPGP keys of the realistic corpus: the profile
// owner's (its secret part is imported into each profile of ours) and the
// senders that sign, encrypt and announce keys by Autocrypt.
type corpusKeys struct {
	owner   *crypto.Key
	senders map[string]*crypto.Key // by address
	bob     *crypto.Key            // a second recipient, gossiped in some encrypted mail
}

// ownerAddress is the address the realistic mail goes to, and the owner
// key's.
const ownerAddress = "alice@example.test"

// keyedSenders are the senders of the realistic corpus that have keys.
var keyedSenders = []string{"carol@example.org", "dave@example.net"}

// newCorpusKeys generates the corpus's keys (never expiring, so a corpus
// dated in the past verifies).
func newCorpusKeys() (*corpusKeys, error) {
	gen := func(name, addr string) (*crypto.Key, error) {
		k, err := crypto.GenerateKey(crypto.GenerateOptions{Name: name, Email: addr, Lifetime: -1, Now: corpusEpoch.Add(-24 * time.Hour)})
		if err != nil {
			return nil, fmt.Errorf("generate the key of %s: %w", addr, err)
		}
		return k, nil
	}
	var ks corpusKeys
	var err error
	if ks.owner, err = gen("Alice Example", ownerAddress); err != nil {
		return nil, err
	}
	if ks.bob, err = gen("Bob Example", "bob@example.test"); err != nil {
		return nil, err
	}
	ks.senders = map[string]*crypto.Key{}
	for _, addr := range keyedSenders {
		if ks.senders[addr], err = gen("", addr); err != nil {
			return nil, err
		}
	}
	return &ks, nil
}

// ownerSecret is the owner's secret key for Keyring.ImportKeys.
func (ks *corpusKeys) ownerSecret() ([]byte, error) { return ks.owner.MarshalSecret() }

// realisticSenders: the keyed ones first, then mail from people and
// machines without keys.
var realisticSenders = append(append([]string(nil), keyedSenders...),
	"erin@example.com", "billing@shop.example", "frank@example.no", "noreply@notifications.example")

// generator returns the realistic corpus's generator with keys ks.
func (ks *corpusKeys) generator() generator {
	return func(rng *rand.Rand, i int, date time.Time) ([]byte, error) {
		slot := i % realisticBlock
		if slot >= realisticPlain+realisticAlternative+realisticAttachment {
			return ks.encrypted(rng, i, date)
		}
		from := realisticSenders[rng.IntN(len(realisticSenders))]
		var b bytes.Buffer
		b.Grow(48 << 10)
		writeHead(&b, rng, i, date, from, phrase(rng, 3+rng.IntN(6)))
		if k := ks.senders[from]; k != nil {
			if err := writeAutocrypt(&b, from, k); err != nil {
				return nil, err
			}
		}
		b.WriteString("MIME-Version: 1.0\r\n")
		switch {
		case slot < realisticPlain:
			b.WriteString("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
			writeText(&b, rng, b.Len()+3<<10+rng.IntN(11<<10))
		case slot < realisticPlain+realisticAlternative:
			writeAlternative(&b, rng)
		default:
			writeWithAttachment(&b, rng, i)
		}
		return b.Bytes(), nil
	}
}

// writeHead writes the usual header fields of message i.
func writeHead(b *bytes.Buffer, rng *rand.Rand, i int, date time.Time, from, subject string) {
	fmt.Fprintf(b, "Return-Path: <%s>\r\n", from)
	fmt.Fprintf(b, "Received: from mx.example.net (mx.example.net [192.0.2.%d]) by mail.example.test with ESMTPS id %x; %s\r\n",
		1+rng.IntN(250), rng.Uint64(), date.Format(time.RFC1123Z))
	fmt.Fprintf(b, "Date: %s\r\n", date.Format(time.RFC1123Z))
	fmt.Fprintf(b, "From: %s\r\n", from)
	fmt.Fprintf(b, "To: Alice Example <%s>\r\n", ownerAddress)
	if rng.IntN(3) == 0 {
		b.WriteString("Cc: Bob Example <bob@example.test>, team@example.test\r\n")
	}
	fmt.Fprintf(b, "Subject: %s #%d\r\n", subject, i)
	fmt.Fprintf(b, "Message-ID: <%d.%x@syncbench.example.test>\r\n", i, rng.Uint64())
	if i > 0 && rng.IntN(4) == 0 {
		fmt.Fprintf(b, "In-Reply-To: <%d.ref@syncbench.example.test>\r\n", rng.IntN(i))
	}
}

// writeAutocrypt writes an Autocrypt header announcing k for addr.
func writeAutocrypt(b *bytes.Buffer, addr string, k *crypto.Key) error {
	data, err := k.MarshalPublic()
	if err != nil {
		return err
	}
	fmt.Fprintf(b, "Autocrypt: addr=%s; prefer-encrypt=mutual; keydata=\r\n", addr)
	writeFolded(b, base64.StdEncoding.EncodeToString(data), " ")
	return nil
}

// writeFolded writes s in lines of 76 characters, each after indent.
func writeFolded(b *bytes.Buffer, s, indent string) {
	for len(s) > 0 {
		n := min(len(s), 76)
		b.WriteString(indent)
		b.WriteString(s[:n])
		b.WriteString("\r\n")
		s = s[n:]
	}
}

// writeAlternative writes a multipart/alternative body: text of 3 to 10 KB
// and the same as HTML, as mail programs send it.
func writeAlternative(b *bytes.Buffer, rng *rand.Rand) {
	boundary := fmt.Sprintf("alt-%x", rng.Uint64())
	fmt.Fprintf(b, "Content-Type: multipart/alternative; boundary=%q\r\n\r\n", boundary)
	var text bytes.Buffer
	writeText(&text, rng, 3<<10+rng.IntN(7<<10))
	fmt.Fprintf(b, "--%s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n", boundary)
	b.Write(text.Bytes())
	fmt.Fprintf(b, "\r\n--%s\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n", boundary)
	b.WriteString("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><style>p{margin:0 0 8px 0;font-family:Arial,sans-serif}</style></head>\r\n<body><div class=\"content\" style=\"max-width:640px;margin:0 auto\">\r\n")
	for line := range strings.Lines(text.String()) {
		fmt.Fprintf(b, "<p style=\"color:#222222;font-size:14px;line-height:20px\">%s</p>\r\n", strings.TrimRight(line, "\r\n"))
	}
	b.WriteString("</div></body></html>\r\n")
	fmt.Fprintf(b, "--%s--\r\n", boundary)
}

// writeWithAttachment writes a multipart/mixed body: 2 to 6 KB of text and
// a base64 attachment of 20 to 150 KB.
func writeWithAttachment(b *bytes.Buffer, rng *rand.Rand, i int) {
	boundary := fmt.Sprintf("mixed-%x", rng.Uint64())
	fmt.Fprintf(b, "Content-Type: multipart/mixed; boundary=%q\r\n\r\n", boundary)
	fmt.Fprintf(b, "--%s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n", boundary)
	writeText(b, rng, b.Len()+2<<10+rng.IntN(4<<10))
	name, ctype := fmt.Sprintf("scan-%d.pdf", i), "application/pdf"
	if rng.IntN(2) == 0 {
		name, ctype = fmt.Sprintf("photo-%d.jpg", i), "image/jpeg"
	}
	fmt.Fprintf(b, "\r\n--%s\r\nContent-Type: %s; name=%q\r\n", boundary, ctype, name)
	fmt.Fprintf(b, "Content-Disposition: attachment; filename=%q\r\nContent-Transfer-Encoding: base64\r\n\r\n", name)
	blob := make([]byte, 20<<10+rng.IntN(130<<10))
	for k := range blob {
		blob[k] = byte(rng.Uint32())
	}
	writeFolded(b, base64.StdEncoding.EncodeToString(blob), "")
	fmt.Fprintf(b, "--%s--\r\n", boundary)
}

// encrypted returns message i as a keyed sender writes it with Sealpost:
// 2 to 12 KB of text (every third with an attachment of 8 to 24 KB), signed,
// encrypted to the owner and the sender (and, every fourth, to Bob in Cc,
// with gossip), the real subject protected inside.
func (ks *corpusKeys) encrypted(rng *rand.Rand, i int, date time.Time) ([]byte, error) {
	from := keyedSenders[rng.IntN(len(keyedSenders))]
	signer := ks.senders[from]
	var text bytes.Buffer
	writeText(&text, rng, 2<<10+rng.IntN(10<<10))
	d := backend.Draft{From: from, To: []string{"Alice Example <" + ownerAddress + ">"},
		Subject: fmt.Sprintf("%s #%d", phrase(rng, 3+rng.IntN(5)), i), Body: text.String()}
	recipients := []*crypto.Key{ks.owner.Public(), signer.Public()}
	var gossip []*crypto.Key
	if rng.IntN(4) == 0 {
		d.Cc = []string{"Bob Example <bob@example.test>"}
		recipients = append(recipients, ks.bob.Public())
		gossip = []*crypto.Key{ks.owner.Public(), ks.bob.Public()}
	}
	if rng.IntN(3) == 0 {
		data := make([]byte, 8<<10+rng.IntN(16<<10))
		for k := range data {
			data[k] = byte(rng.Uint32())
		}
		d.Attachments = []backend.Attachment{{Filename: fmt.Sprintf("contract-%d.pdf", i), Data: data}}
	}
	raw, err := mail.BuildMessage(d, date)
	if err != nil {
		return nil, err
	}
	return pgpmime.Protect(raw, pgpmime.Options{
		Mode: pgpmime.ModeEncrypt, Signer: signer, Recipients: recipients, Gossip: gossip,
		Autocrypt: signer.Public(), Now: date,
	})
}
