package verdict

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"
)

// Kinds of Block.
const (
	// BlockEncrypted is an armored OpenPGP message ("BEGIN PGP MESSAGE").
	BlockEncrypted = "encrypted"
	// BlockSigned is a cleartext-signed text ("BEGIN PGP SIGNED MESSAGE").
	BlockSigned = "signed"
)

// maxBlocks bounds the blocks one message reports.
const maxBlocks = 10

// Block is an inline OpenPGP block that the verdict did not process with
// the message, because text surrounds it or it sits in HTML. InspectBlock
// decrypts or verifies it on its own, when the user asks: its result shows
// the block's content only, never the text around it.
type Block struct {
	// Kind is BlockEncrypted or BlockSigned.
	Kind string
	// Path is the section number of the text part that holds the block.
	Path string
	// Armored is the block, from its BEGIN line to its END line, with line
	// breaks restored when it came from HTML.
	Armored []byte
	// Charset is the charset of the text that holds the block.
	Charset string
	// Sender is the address of the message's From that the verdict showed,
	// and Date its Date (zero when it had none): the block's signature is
	// judged against them as the message's would be.
	Sender string
	Date   time.Time
}

// Armor lines of cleartext-signed blocks' ends and armor header lines.
var (
	armorSignatureEnd = []byte("-----END PGP SIGNATURE-----")
	armorHeaderLine   = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]*: `)
)

// findBlocks records the inline OpenPGP blocks in text, the text of the
// part at path, whose charset is charset. Blocks from HTML have their lines
// reduced to what the HTML showed, so an encrypted one is put back into
// armor form.
func (in *inspector) findBlocks(text []byte, path, charset string) {
	for len(text) > 0 && len(in.res.Blocks) < maxBlocks {
		enc, sig := bytes.Index(text, armorMessage), bytes.Index(text, armorSigned)
		kind, start, end := BlockEncrypted, enc, armorMessageEnd
		if enc < 0 || (sig >= 0 && sig < enc) {
			kind, start, end = BlockSigned, sig, armorSignatureEnd
		}
		if start < 0 {
			return
		}
		stop := bytes.Index(text[start:], end)
		if stop < 0 {
			return
		}
		stop += start + len(end)
		block := bytes.Clone(text[start:stop])
		if kind == BlockEncrypted {
			block = rearmor(block)
		} else {
			block = append(block, '\n')
		}
		in.res.Blocks = append(in.res.Blocks, Block{Kind: kind, Path: path, Armored: block, Charset: charset})
		text = text[stop:]
	}
}

// rearmor rebuilds an armored message from its lines as a text or HTML
// rendering left them: lines trimmed, empty lines (HTML paragraphs) left
// out, armor headers separated from the data by one empty line.
func rearmor(block []byte) []byte {
	lines := strings.Split(strings.ReplaceAll(string(block), "\r\n", "\n"), "\n")
	var headers, data []string
	for _, l := range lines[1 : len(lines)-1] {
		l = strings.TrimSpace(l)
		switch {
		case l == "":
		case len(data) == 0 && armorHeaderLine.MatchString(l):
			headers = append(headers, l)
		default:
			data = append(data, l)
		}
	}
	var b strings.Builder
	b.Write(armorMessage)
	b.WriteByte('\n')
	for _, h := range headers {
		b.WriteString(h + "\n")
	}
	b.WriteByte('\n')
	for _, d := range data {
		b.WriteString(d + "\n")
	}
	b.Write(armorMessageEnd)
	b.WriteByte('\n')
	return []byte(b.String())
}

// charsetToken is what a charset name may hold.
var charsetToken = regexp.MustCompile(`^[A-Za-z0-9._:+-]{1,40}$`)

// InspectBlock decrypts or verifies one Block on its own and returns its
// verdict: BodyText holds only the block's decrypted or signed text, and
// the signature is judged against the sender and date of the message the
// block came in. Encrypted and Signature describe the block alone; nothing
// of the text around it is included.
func InspectBlock(b Block, opts Options) (Result, error) {
	if b.Kind != BlockEncrypted && b.Kind != BlockSigned {
		return Result{}, fmt.Errorf("inspect block: unknown kind %q", b.Kind)
	}
	trimmed := bytes.TrimSpace(b.Armored)
	begin, end := armorMessage, armorMessageEnd
	if b.Kind == BlockSigned {
		begin, end = armorSigned, armorSignatureEnd
	}
	if !bytes.HasPrefix(trimmed, begin) || !bytes.HasSuffix(trimmed, end) {
		return Result{}, fmt.Errorf("inspect block: not one %s OpenPGP block", b.Kind)
	}
	var mh mail.Header
	if b.Sender != "" {
		mh.SetAddressList("From", []*mail.Address{{Address: b.Sender}})
	}
	if !b.Date.IsZero() {
		mh.SetDate(b.Date)
	}
	cs := b.Charset
	if !charsetToken.MatchString(cs) {
		cs = "utf-8"
	}
	mh.SetContentType("text/plain", map[string]string{"charset": cs})
	var msg bytes.Buffer
	if err := textproto.WriteHeader(&msg, mh.Header.Header); err != nil {
		return Result{}, fmt.Errorf("inspect block: %w", err)
	}
	msg.Write(b.Armored)
	res, err := Inspect(msg.Bytes(), opts)
	if err != nil {
		return Result{}, err
	}
	res.Blocks = nil // the block itself, when it could not be processed
	return res, nil
}
