package testservers

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// TestStartSigning: mail submitted through Postfix arrives DKIM-signed by
// OpenDKIM, and the signature verifies against the key (RSA-SHA256 over the
// relaxed canonical forms, checked here by hand); the same message with a
// changed header, and a DKIM-Signature the sender wrote itself, do not.
func TestStartSigning(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	s := StartSigning(t, Signing{Key: key, Selector: "sel2026"})
	forged := "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=" + Domain + "; s=sel2026;\r\n" +
		"\th=from:subject; bh=AAAA; b=Zm9yZ2Vk\r\n"
	msg := append([]byte(forged), testMessage("Signed", fmt.Sprintf("<%d@example.test>", time.Now().UnixNano()))...)
	c, err := smtp.DialTLS(s.SMTPTLS, s.TLSConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Auth(sasl.NewPlainClient("", alice, s.Users[alice])); err != nil {
		t.Fatalf("AUTH PLAIN: %v", err)
	}
	if err := c.SendMail(alice, []string{bob}, bytes.NewReader(msg)); err != nil {
		t.Fatalf("send: %v\n%s", err, s.Log())
	}
	s.WaitForMessages(t, bob, "INBOX", 1, deliveryTimeout)
	got := s.Messages(t, bob, "INBOX")[0]

	fields, body := splitMessage(got)
	var sigs []string
	for _, f := range fields {
		if name, _, _ := strings.Cut(f, ":"); strings.EqualFold(name, "DKIM-Signature") {
			sigs = append(sigs, f)
		}
	}
	if len(sigs) != 2 {
		t.Fatalf("%d DKIM-Signature fields, want OpenDKIM's and the forged one:\n%s", len(sigs), got)
	}
	var valid int
	for _, sig := range sigs {
		if err := verifyDKIM(fields, body, sig, &key.PublicKey); err == nil {
			valid++
			if tags := dkimTags(sig); tags["d"] != Domain || tags["s"] != "sel2026" || tags["a"] != "rsa-sha256" {
				t.Errorf("signature tags %v", tags)
			}
		} else if !strings.Contains(sig, "b=Zm9yZ2Vk") {
			t.Errorf("OpenDKIM's signature does not verify: %v\n%s", err, got)
		}
	}
	if valid != 1 {
		t.Fatalf("%d signatures verify, want exactly OpenDKIM's", valid)
	}

	altered := bytes.Replace(got, []byte("Subject: Signed"), []byte("Subject: Changed"), 1)
	fields, body = splitMessage(altered)
	for _, sig := range sigs {
		if err := verifyDKIM(fields, body, sig, &key.PublicKey); err == nil {
			t.Error("a signature still verifies after the Subject changed")
		}
	}
}

// splitMessage returns raw's header fields (each with its folding, without
// the final CRLF) and its body.
func splitMessage(raw []byte) ([]string, []byte) {
	head, body, _ := bytes.Cut(raw, []byte("\r\n\r\n"))
	var fields []string
	for _, line := range strings.Split(string(head), "\r\n") {
		if (strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t")) && len(fields) > 0 {
			fields[len(fields)-1] += "\r\n" + line
			continue
		}
		fields = append(fields, line)
	}
	return fields, body
}

var wsp = regexp.MustCompile(`[ \t]+`)

// relaxedHeader is RFC 6376 section 3.4.2's canonical form of a field.
func relaxedHeader(field string) string {
	name, value, _ := strings.Cut(field, ":")
	value = strings.ReplaceAll(value, "\r\n", "")
	value = strings.TrimSpace(wsp.ReplaceAllString(value, " "))
	return strings.ToLower(strings.TrimSpace(name)) + ":" + value
}

// relaxedBody is RFC 6376 section 3.4.4's canonical form of a body.
func relaxedBody(body []byte) []byte {
	lines := strings.Split(string(body), "\r\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(wsp.ReplaceAllString(l, " "), " ")
	}
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	if len(lines) == 0 {
		return nil
	}
	return []byte(strings.Join(lines, "\r\n") + "\r\n")
}

// dkimTags parses a DKIM-Signature field's tag list.
func dkimTags(field string) map[string]string {
	_, value, _ := strings.Cut(field, ":")
	tags := map[string]string{}
	for _, part := range strings.Split(value, ";") {
		k, v, ok := strings.Cut(part, "=")
		if ok {
			tags[strings.TrimSpace(k)] = wsp.ReplaceAllString(strings.ReplaceAll(strings.TrimSpace(v), "\r\n", ""), "")
		}
	}
	return tags
}

// verifyDKIM checks one relaxed/relaxed rsa-sha256 signature of the
// message made of fields and body (RFC 6376 sections 3.5 and 3.7).
func verifyDKIM(fields []string, body []byte, sig string, pub *rsa.PublicKey) error {
	tags := dkimTags(sig)
	if tags["a"] != "rsa-sha256" || tags["c"] != "relaxed/relaxed" {
		return fmt.Errorf("algorithm %q, canonicalization %q", tags["a"], tags["c"])
	}
	bh := sha256.Sum256(relaxedBody(body))
	if base64.StdEncoding.EncodeToString(bh[:]) != tags["bh"] {
		return fmt.Errorf("body hash differs")
	}
	used := map[int]bool{}
	var signed strings.Builder
	for _, name := range strings.Split(tags["h"], ":") {
		for i := len(fields) - 1; i >= 0; i-- {
			n, _, _ := strings.Cut(fields[i], ":")
			if !used[i] && strings.EqualFold(strings.TrimSpace(n), name) {
				used[i] = true
				signed.WriteString(relaxedHeader(fields[i]) + "\r\n")
				break
			}
		}
	}
	unsigned := regexp.MustCompile(`(^|;)(\s*b\s*=)[^;]*`).ReplaceAllString(sig[strings.Index(sig, ":")+1:], "$1$2")
	signed.WriteString(relaxedHeader("DKIM-Signature:" + unsigned))
	b, err := base64.StdEncoding.DecodeString(tags["b"])
	if err != nil {
		return err
	}
	h := sha256.Sum256([]byte(signed.String()))
	return rsa.VerifyPKCS1v15(pub, crypto.SHA256, h[:], b)
}
