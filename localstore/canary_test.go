package localstore

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// canaries hands out unique random markers and remembers them.
type canaries struct{ all []string }

func (c *canaries) next(kind string) string {
	b := make([]byte, 9)
	rand.Read(b)
	m := "cnry" + kind + hex.EncodeToString(b)
	c.all = append(c.all, m)
	return m
}

// forms returns the byte patterns to search for: the marker, its upper-case
// form, and its hex and base64 encodings (base64 at all three alignments,
// edges trimmed).
func forms(m string) [][]byte {
	out := [][]byte{[]byte(m), []byte(strings.ToUpper(m)), []byte(hex.EncodeToString([]byte(m)))}
	for shift := range 3 {
		enc := base64.StdEncoding.EncodeToString([]byte(m[shift:]))
		out = append(out, []byte(enc[4:len(enc)-4]))
	}
	return out
}

func TestNoPlaintextOnDisk(t *testing.T) {
	var c canaries
	s := newTestStore(t)
	email := c.next("addr") + "@example.org"
	folder := c.next("folder")
	acct := Account{
		Email: email, DisplayName: c.next("name"),
		IMAP:     ServerConfig{Host: c.next("host") + ".example.org", Port: 993, Security: "tls"},
		SMTP:     ServerConfig{Host: c.next("smtp") + ".example.org", Port: 465, Security: "tls"},
		Username: c.next("user"), Secret: Secret{Kind: "password", Value: c.next("password")},
		ProviderDomain: c.next("provider") + ".example.net",
		PinnedCerts:    []PinnedCert{{Host: "imap.example.org", Port: 993, SHA256: c.next("certfpr")}},
	}
	if err := s.Accounts().Put(acct, AuditNote{Kind: "account-added", Subject: email, Detail: c.next("auditacct")}); err != nil {
		t.Fatal(err)
	}
	if err := s.Folders().Put(Folder{Account: email, Name: folder, Delimiter: "/"}); err != nil {
		t.Fatal(err)
	}
	var batch []Summary
	for uid := uint32(1); uid <= 20; uid++ {
		batch = append(batch, Summary{UID: uid, MessageID: "<" + c.next("msgid") + "@example.org>",
			From: c.next("from") + "@example.net", To: c.next("to") + "@example.org", Cc: c.next("cc") + "@example.org",
			InReplyTo: c.next("inreplyto") + "@example.org", References: []string{c.next("refs") + "@example.org"},
			Subject: c.next("subject"), Preview: c.next("preview"), Flags: []string{c.next("flag")},
			Transport: []byte(`{"hops":[{"by":"` + c.next("hopby") + `.example.net"}]}`)})
	}
	if err := s.Messages().PutSummaries(email, folder, batch); err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte(c.next("bigbody")+"\r\n"), rawChunkSize/20)
	if err := s.Messages().PutRawBatch(email, folder, []RawMessage{
		{UID: 1, Raw: []byte("Subject: " + c.next("rawsubject") + "\r\n\r\n" + c.next("rawbody"))},
		{UID: 2, Raw: big},
	}); err != nil {
		t.Fatal(err)
	}
	ownFpr := strings.ToUpper(c.next("ownfpr"))
	c.all[len(c.all)-1] = ownFpr
	if err := s.OwnKeys().Put(OwnKey{Fingerprint: ownFpr, SecretKey: []byte(c.next("secretkey")),
		UserIDs: []string{c.next("ownuid")}, Default: true}); err != nil {
		t.Fatal(err)
	}
	contactEmail := c.next("contact") + "@example.net"
	if err := s.ContactKeys().Put(ContactKey{Fingerprint: c.next("contactfpr"), Emails: []string{contactEmail},
		UserIDs: []string{c.next("contactuid")}, PublicKey: []byte(c.next("pubkey")),
		History: []KeyEvent{{Event: "added", Detail: c.next("history")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Outbox().Add(OutboxItem{Account: email, From: email, Recipients: []string{c.next("rcpt") + "@example.net"},
		Raw: []byte(c.next("outboxraw")), LastError: c.next("lasterror")}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutSettings(Settings{AutoLockMinutes: 5, DefaultAccount: email, Signature: c.next("signature")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AppendAudit("sent", c.next("auditsubject"), c.next("auditdetail")); err != nil {
		t.Fatal(err)
	}
	// Deleted records leave old page contents behind in bbolt's free pages;
	// those were sealed from the start.
	gone := c.next("deletedfolder")
	if err := s.Folders().Put(Folder{Account: email, Name: gone}); err != nil {
		t.Fatal(err)
	}
	if err := s.Folders().Delete(email, gone); err != nil {
		t.Fatal(err)
	}
	dir := s.Dir()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	assertModes(t, dir)
	if n, hits := scanCanaries(t, dir, c.all); n != 1 || len(hits) != 0 {
		t.Errorf("scan: %d files, hits %q; want 1 file, no hits", n, hits)
	}
	if len(c.all) < 100 {
		t.Errorf("corpus has %d canaries, want at least 100", len(c.all))
	}

	// The scan itself must be able to fail: a value written in plaintext is found.
	rawUpdate(t, dir, func(tx *bolt.Tx) error {
		return tx.Bucket(bktSettings).Put([]byte("leak"), []byte(hex.EncodeToString([]byte(c.all[3]))))
	})
	if _, hits := scanCanaries(t, dir, c.all); len(hits) != 1 {
		t.Errorf("scan after planting a hex canary: hits %q, want exactly 1", hits)
	}
}

// scanCanaries reads every file under dir and returns the file count and the
// canaries found in any of their forms.
func scanCanaries(t *testing.T, dir string, all []string) (files int, hits []string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files++
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range all {
			for _, f := range forms(m) {
				if bytes.Contains(data, f) {
					hits = append(hits, filepath.Base(path)+": "+m)
					break
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files, hits
}
