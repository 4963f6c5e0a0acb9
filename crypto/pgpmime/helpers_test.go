package pgpmime

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-message"
	"github.com/sealpost/sealpost/crypto"
)

// t0 is the fixed clock of the unit tests.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// The secret subject and body must never appear in encrypted output.
const (
	secretSubject = "Secret plans for Friday"
	secretBody    = "Meet at the old mill"
)

// simpleMessage is a message as mail.BuildMessage writes it: UTF-8
// text/plain, quoted-printable, Bcc kept.
const simpleMessage = "Date: Sun, 01 Mar 2026 12:00:00 +0000\r\n" +
	"From: Alice <alice@sealpost.test>\r\n" +
	"To: Bob <bob@sealpost.test>\r\n" +
	"Cc: carol@sealpost.test\r\n" +
	"Bcc: dave@hidden.test\r\n" +
	"Subject: " + secretSubject + "\r\n" +
	"Message-ID: <1234@sealpost.test>\r\n" +
	"In-Reply-To: <0999@sealpost.test>\r\n" +
	"User-Agent: Sealpost/1.0\r\n" +
	"Mime-Version: 1.0\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\n" +
	"Content-Transfer-Encoding: quoted-printable\r\n" +
	"\r\n" +
	secretBody + ". Caf=C3=A9 after.\r\n" +
	"From here we walk. \r\n"

// mixedMessage has an 8-bit text part with LF line ends and trailing white
// space, and a binary attachment: canonicalisation must re-encode both.
const mixedMessage = "From: alice@sealpost.test\n" +
	"To: bob@sealpost.test\n" +
	"Subject: " + secretSubject + "\n" +
	"Content-Type: multipart/mixed; boundary=\"b1\"\n" +
	"\n" +
	"preamble\n" +
	"--b1\n" +
	"Content-Type: text/plain; charset=utf-8\n" +
	"Content-Transfer-Encoding: 8bit\n" +
	"\n" +
	secretBody + " \u00e0 l'heure \n" +
	"From the mill.\n" +
	"--b1\n" +
	"Content-Type: application/octet-stream\n" +
	"Content-Disposition: attachment; filename=\"x.bin\"\n" +
	"Content-Transfer-Encoding: binary\n" +
	"\n" +
	"\x00\x01\xff\r\x80\n" +
	"--b1--\n"

type testKeys struct {
	alice, bob, carol, dave *crypto.Key
}

var (
	keysOnce sync.Once
	keys     testKeys
	keysErr  error
)

// sharedKeys returns four curve25519 keys made at t0, once per test run.
func sharedKeys(tb testing.TB) testKeys {
	tb.Helper()
	keysOnce.Do(func() {
		gen := func(name, email string) *crypto.Key {
			if keysErr != nil {
				return nil
			}
			var k *crypto.Key
			k, keysErr = crypto.GenerateKey(crypto.GenerateOptions{Name: name, Email: email, Now: t0.Add(-time.Hour)})
			return k
		}
		keys = testKeys{alice: gen("Alice", "alice@sealpost.test"), bob: gen("Bob", "bob@sealpost.test"), carol: gen("Carol", "carol@sealpost.test"),
			dave: gen("Dave", "dave@hidden.test")}
	})
	if keysErr != nil {
		tb.Fatalf("GenerateKey: %v", keysErr)
	}
	return keys
}

// parsed is a MIME entity read back from Protect's output.
type parsed struct {
	header message.Header
	mt     string
	params map[string]string
	body   []byte    // decoded body of a leaf
	parts  []*parsed // children of a multipart
}

// parseTree reads a message into a tree with go-message (a charset it does
// not know is not an error: bodies stay undecoded then).
func parseTree(tb testing.TB, data []byte) *parsed {
	tb.Helper()
	e, err := message.Read(bytes.NewReader(data))
	if err != nil && !message.IsUnknownCharset(err) {
		tb.Fatalf("message.Read: %v\n%s", err, data)
	}
	return walk(tb, e)
}

func walk(tb testing.TB, e *message.Entity) *parsed {
	tb.Helper()
	p := &parsed{header: e.Header}
	var err error
	ct := e.Header.Get("Content-Type")
	if ct == "" {
		ct = "text/plain"
	}
	p.mt, p.params, err = mime.ParseMediaType(ct)
	if err != nil {
		tb.Fatalf("Content-Type %q: %v", ct, err)
	}
	if mr := e.MultipartReader(); mr != nil {
		for {
			child, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil && !message.IsUnknownCharset(err) {
				tb.Fatalf("NextPart: %v", err)
			}
			p.parts = append(p.parts, walk(tb, child))
		}
		return p
	}
	if p.body, err = io.ReadAll(e.Body); err != nil {
		tb.Fatalf("read body: %v", err)
	}
	return p
}

// rawFirstPart returns the bytes of the first body part of a multipart
// message exactly as they are on the wire (what a multipart/signed
// signature covers), found independently of the package's own splitter.
func rawFirstPart(tb testing.TB, msg []byte, boundary string) []byte {
	tb.Helper()
	start := bytes.Index(msg, []byte("\r\n--"+boundary+"\r\n"))
	if start < 0 {
		tb.Fatalf("no first boundary %q", boundary)
	}
	start += len(boundary) + 6
	end := bytes.Index(msg[start:], []byte("\r\n--"+boundary))
	if end < 0 {
		tb.Fatalf("no second boundary %q", boundary)
	}
	return msg[start : start+end]
}

// headerLines returns the lines of the outermost header block.
func headerLines(data []byte) []string {
	head, _, _ := strings.Cut(string(data), "\r\n\r\n")
	return strings.Split(head, "\r\n")
}
