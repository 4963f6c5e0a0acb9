//go:build linux

package syncbench

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/sealpost/sealpost/mail/testservers"
)

// Sizes of the generated messages, uniformly between them.
const (
	minMessageSize = 2 << 10
	maxMessageSize = 20 << 10
)

// attachmentEvery makes every attachmentEvery-th message carry an
// attachment.
const attachmentEvery = 5

// corpusEpoch is the Date of the first generated message; each later one is
// ten minutes younger.
var corpusEpoch = time.Date(2025, 1, 6, 8, 0, 0, 0, time.UTC)

// words make up the generated subjects and bodies.
var words = strings.Fields(`the quarterly report meeting agenda budget draft review project
	schedule invoice attached please find below thanks regards update status customer release
	deadline notes minutes follow up question answer server backup migration plan team lunch
	friday monday office travel booking confirmation ticket issue fixed deployed tested`)

var senders = []string{
	"Carol Jones <carol@example.org>", "Dave Miller <dave@example.net>", "Erin Schmidt <erin@example.com>",
	"billing@shop.example", "Frank Ødegård <frank@example.no>", "noreply@notifications.example",
}

// corpusFile is one generated message stored in a corpus directory.
type corpusFile struct {
	name  string // file name inside the corpus directory
	size  int    // bytes, for the Maildir ",S=" field
	flags string // Maildir flags ("S" for \Seen, "FS", or none)
}

// corpus is a set of generated messages written once as files owned by the
// mail storage's user; mailboxes are filled with hard links to them, which
// costs one link per message instead of a write.
type corpus struct {
	dir   string
	files []corpusFile
}

// bytes returns the corpus's size in bytes.
func (c *corpus) bytes() int64 {
	var n int64
	for _, f := range c.files {
		n += int64(f.size)
	}
	return n
}

// mailOwner is the user and group that own Dovecot's mail storage.
type mailOwner struct{ uid, gid int }

// mailRoot is the directory under which testservers puts the users' homes.
func mailRoot(srv *testservers.Servers) string { return filepath.Join(srv.Dir, "dovecot", "mail") }

// ownerOf returns who owns the servers' mail storage.
func ownerOf(srv *testservers.Servers) (mailOwner, error) {
	fi, err := os.Stat(mailRoot(srv))
	if err != nil {
		return mailOwner{}, fmt.Errorf("find the mail storage: %w", err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return mailOwner{}, errors.New("mail storage owner unknown on this system")
	}
	return mailOwner{uid: int(st.Uid), gid: int(st.Gid)}, nil
}

// generator returns message i of a corpus, dated date, drawing from rng.
type generator func(rng *rand.Rand, i int, date time.Time) ([]byte, error)

// smallMessage is the generator of the small corpus (generateMessage).
func smallMessage(rng *rand.Rand, i int, date time.Time) ([]byte, error) {
	return generateMessage(rng, i, date), nil
}

// newCorpus writes n generated messages of the small corpus into dir
// (which must exist and be on the same file system as the mail storage),
// owned by owner, with their file times set to their dates so that Dovecot
// uses those as internal dates. Generation is deterministic and runs on
// every CPU.
func newCorpus(dir string, n int, owner mailOwner) (*corpus, error) {
	return newCorpusOf(dir, n, owner, smallMessage)
}

// newCorpusOf is newCorpus with the messages that gen makes.
func newCorpusOf(dir string, n int, owner mailOwner, gen generator) (*corpus, error) {
	c := &corpus{dir: dir, files: make([]corpusFile, n)}
	workers := max(1, min(n, 4))
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				if err := c.write(i, owner, gen); err != nil {
					errs[w] = err
					return
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return c, nil
}

// write generates message i with gen and stores it.
func (c *corpus) write(i int, owner mailOwner, gen generator) error {
	rng := rand.New(rand.NewPCG(uint64(i), 0x5ea1905d))
	date := corpusEpoch.Add(time.Duration(i) * 10 * time.Minute)
	msg, err := gen(rng, i, date)
	if err != nil {
		return fmt.Errorf("generate message %d: %w", i, err)
	}
	f := corpusFile{name: fmt.Sprintf("m%06d", i), size: len(msg)}
	switch r := rng.IntN(10); {
	case r < 6:
		f.flags = "S"
	case r < 7:
		f.flags = "FS"
	}
	path := filepath.Join(c.dir, f.name)
	if err := os.WriteFile(path, msg, 0o600); err != nil {
		return fmt.Errorf("write corpus message: %w", err)
	}
	if err := os.Chown(path, owner.uid, owner.gid); err != nil {
		return fmt.Errorf("give corpus message to uid %d: %w", owner.uid, err)
	}
	if err := os.Chtimes(path, date, date); err != nil {
		return fmt.Errorf("date corpus message: %w", err)
	}
	c.files[i] = f
	return nil
}

// generateMessage returns message i, dated date, with CRLF line endings: a
// plain-text mail of 2 to 20 KB, or every attachmentEvery-th a
// multipart/mixed one with a base64 attachment taking most of its size.
func generateMessage(rng *rand.Rand, i int, date time.Time) []byte {
	size := minMessageSize + rng.IntN(maxMessageSize-minMessageSize+1)
	var b bytes.Buffer
	b.Grow(size + 1024)
	from := senders[rng.IntN(len(senders))]
	fmt.Fprintf(&b, "Return-Path: <%s>\r\n", strings.TrimSuffix(from[strings.LastIndexByte(from, '<')+1:], ">"))
	fmt.Fprintf(&b, "Date: %s\r\n", date.Format(time.RFC1123Z))
	fmt.Fprintf(&b, "From: %s\r\n", from)
	b.WriteString("To: Alice Example <alice@example.test>\r\n")
	if rng.IntN(3) == 0 {
		b.WriteString("Cc: Bob Example <bob@example.test>, team@example.test\r\n")
	}
	fmt.Fprintf(&b, "Subject: %s #%d\r\n", phrase(rng, 3+rng.IntN(6)), i)
	fmt.Fprintf(&b, "Message-ID: <%d.%x@syncbench.example.test>\r\n", i, rng.Uint64())
	if i > 0 && rng.IntN(4) == 0 {
		fmt.Fprintf(&b, "In-Reply-To: <%d.ref@syncbench.example.test>\r\n", rng.IntN(i))
	}
	b.WriteString("MIME-Version: 1.0\r\n")
	if i%attachmentEvery != 0 {
		b.WriteString("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
		writeText(&b, rng, size)
		return b.Bytes()
	}
	boundary := fmt.Sprintf("syncbench-%x", rng.Uint64())
	fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=%q\r\n\r\n", boundary)
	fmt.Fprintf(&b, "--%s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n", boundary)
	writeText(&b, rng, b.Len()+600)
	fmt.Fprintf(&b, "\r\n--%s\r\nContent-Type: application/pdf\r\n", boundary)
	fmt.Fprintf(&b, "Content-Disposition: attachment; filename=\"report-%d.pdf\"\r\n", i)
	b.WriteString("Content-Transfer-Encoding: base64\r\n\r\n")
	blob := make([]byte, max(64, (size-b.Len())*3/4))
	for k := range blob {
		blob[k] = byte(rng.Uint32())
	}
	enc := base64.StdEncoding.EncodeToString(blob)
	for len(enc) > 76 {
		b.WriteString(enc[:76])
		b.WriteString("\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc)
	fmt.Fprintf(&b, "\r\n--%s--\r\n", boundary)
	return b.Bytes()
}

// phrase returns n random words.
func phrase(rng *rand.Rand, n int) string {
	parts := make([]string, n)
	for k := range parts {
		parts[k] = words[rng.IntN(len(words))]
	}
	return strings.Join(parts, " ")
}

// writeText appends lines of words to b until it holds size bytes.
func writeText(b *bytes.Buffer, rng *rand.Rand, size int) {
	for b.Len() < size {
		b.WriteString(phrase(rng, 6+rng.IntN(6)))
		b.WriteString(".\r\n")
	}
}

// fillInbox links copies times every corpus message into the INBOX of
// user, a Maildir Dovecot has not seen yet: Dovecot assigns the UIDs and
// builds its index on the first SELECT.
func fillInbox(srv *testservers.Servers, user string, c *corpus, copies int, owner mailOwner) error {
	home := filepath.Join(mailRoot(srv), user)
	maildir := filepath.Join(home, "Maildir")
	for _, dir := range []string{home, maildir, filepath.Join(maildir, "cur"), filepath.Join(maildir, "new"), filepath.Join(maildir, "tmp")} {
		if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
			return fmt.Errorf("create the Maildir of %s: %w", user, err)
		}
		if err := os.Chown(dir, owner.uid, owner.gid); err != nil {
			return fmt.Errorf("give the Maildir of %s to uid %d: %w", user, owner.uid, err)
		}
	}
	cur := filepath.Join(maildir, "cur")
	for k := range copies {
		for i, f := range c.files {
			name := fmt.Sprintf("%d.M%dC%d.syncbench,S=%d:2,%s", corpusEpoch.Unix()+int64(i), i, k, f.size, f.flags)
			if err := os.Link(filepath.Join(c.dir, f.name), filepath.Join(cur, name)); err != nil {
				return fmt.Errorf("link a message into the Maildir of %s: %w", user, err)
			}
		}
	}
	return nil
}
