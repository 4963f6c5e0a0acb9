package pgpmime

import (
	"bytes"
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/emersion/go-message"
	"github.com/sealpost/sealpost/crypto"
)

// decryptPayload decrypts the armored OpenPGP message and parses the inner
// entity; it also returns the raw inner bytes and the verdict.
func decryptPayload(t *testing.T, armored []byte, opts crypto.DecryptOptions) (*parsed, []byte, crypto.Verdict) {
	t.Helper()
	pt, v, err := crypto.DecryptBytes(armored, opts)
	if err != nil {
		t.Fatalf("DecryptBytes: %v", err)
	}
	return parseTree(t, pt), pt, v
}

func TestEncryptStructure(t *testing.T) {
	k := sharedKeys(t)
	out, err := Protect([]byte(simpleMessage), Options{
		Mode: ModeEncrypt, Signer: k.alice, Autocrypt: k.alice, Now: t0,
		Recipients: []*crypto.Key{k.bob.Public(), k.carol.Public(), k.alice.Public()},
		Gossip:     []*crypto.Key{k.bob.Public(), k.carol.Public(), k.alice.Public()},
	})
	if err != nil {
		t.Fatalf("Protect: %v", err)
	}
	root := parseTree(t, out)

	t.Run("outer structure", func(t *testing.T) {
		if root.mt != "multipart/encrypted" || root.params["protocol"] != "application/pgp-encrypted" {
			t.Errorf("outer type = %s %v, want multipart/encrypted with protocol application/pgp-encrypted", root.mt, root.params)
		}
		if len(root.parts) != 2 {
			t.Fatalf("parts = %d, want 2", len(root.parts))
		}
		if got := root.parts[0]; got.mt != "application/pgp-encrypted" || strings.TrimSpace(string(got.body)) != "Version: 1" {
			t.Errorf("part 1 = %s %q, want application/pgp-encrypted \"Version: 1\"", got.mt, got.body)
		}
		if got := root.parts[1]; got.mt != "application/octet-stream" || !bytes.HasPrefix(got.body, []byte("-----BEGIN PGP MESSAGE-----")) {
			t.Errorf("part 2 = %s %.40q, want application/octet-stream with an armored message", got.mt, got.body)
		}
	})

	t.Run("outer header", func(t *testing.T) {
		for _, tc := range []struct{ field, want string }{
			{"Subject", "[...]"},
			{"From", "Alice <alice@sealpost.test>"},
			{"To", "Bob <bob@sealpost.test>"},
			{"Cc", "carol@sealpost.test"},
			{"Bcc", "dave@hidden.test"},
			{"Message-Id", "<1234@sealpost.test>"},
			{"Mime-Version", "1.0"},
			{"User-Agent", ""},
			{"In-Reply-To", ""},
			{"Content-Transfer-Encoding", ""},
		} {
			if got := root.header.Get(tc.field); got != tc.want {
				t.Errorf("outer %s = %q, want %q", tc.field, got, tc.want)
			}
		}
	})

	t.Run("no plaintext in the output", func(t *testing.T) {
		for _, s := range []string{secretSubject, secretBody, "Caf", "0999@sealpost.test", "Sealpost/1.0"} {
			if bytes.Contains(out, []byte(s)) {
				t.Errorf("output contains %q", s)
			}
		}
	})

	inner, raw, v := decryptPayload(t, root.parts[1].body, crypto.DecryptOptions{Keys: []*crypto.Key{k.bob}, Verifiers: []*crypto.Key{k.alice.Public()}, Now: t0})

	t.Run("signed then encrypted", func(t *testing.T) {
		if !v.Encrypted || !v.IntegrityProtected || v.Signature.Status != crypto.SigValid || v.Signature.SignerFingerprint != k.alice.Fingerprint() {
			t.Errorf("verdict = %+v, want encrypted, integrity protected, valid signature by %s", v, k.alice.Fingerprint())
		}
		for _, who := range []*crypto.Key{k.alice, k.carol} {
			if _, _, err := crypto.DecryptBytes(root.parts[1].body, crypto.DecryptOptions{Keys: []*crypto.Key{who}, Now: t0}); err != nil {
				t.Errorf("decrypt as %s: %v", who.Emails()[0], err)
			}
		}
	})

	t.Run("protected header", func(t *testing.T) {
		if inner.mt != "text/plain" || inner.params["hp"] != "cipher" || inner.params["protected-headers"] != "v1" || inner.params["charset"] != "utf-8" {
			t.Errorf("inner Content-Type = %s %v, want text/plain with charset utf-8, hp=cipher, protected-headers=v1", inner.mt, inner.params)
		}
		for _, tc := range []struct{ field, want string }{
			{"Subject", secretSubject},
			{"From", "Alice <alice@sealpost.test>"},
			{"To", "Bob <bob@sealpost.test>"},
			{"Cc", "carol@sealpost.test"},
			{"Date", "Sun, 01 Mar 2026 12:00:00 +0000"},
			{"Message-Id", "<1234@sealpost.test>"},
			{"In-Reply-To", "<0999@sealpost.test>"},
			{"Bcc", ""},
			{"User-Agent", ""},
			{"Autocrypt", ""},
		} {
			if got := inner.header.Get(tc.field); got != tc.want {
				t.Errorf("inner %s = %q, want %q", tc.field, got, tc.want)
			}
		}
		if bytes.Contains(raw, []byte("dave@hidden.test")) {
			t.Errorf("inner part names the Bcc recipient:\n%s", raw)
		}
		if !bytes.Contains(raw, []byte(`hp="cipher"`)) {
			t.Errorf("inner part lacks the literal hp=\"cipher\":\n%s", raw)
		}
		got := inner.header.Values("Hp-Outer")
		want := []string{"Date: Sun, 01 Mar 2026 12:00:00 +0000", "From: Alice <alice@sealpost.test>", "To: Bob <bob@sealpost.test>",
			"Cc: carol@sealpost.test", "Subject: [...]", "Message-ID: <1234@sealpost.test>"}
		if !slices.Equal(got, want) {
			t.Errorf("HP-Outer = %q, want %q", got, want)
		}
		if text := string(inner.body); !strings.Contains(text, secretBody+". Café after.") {
			t.Errorf("inner body = %q, want the text", text)
		}
	})

	t.Run("gossip for the two other recipients", func(t *testing.T) {
		var addrs []string
		for _, g := range inner.header.Values("Autocrypt-Gossip") {
			attrs := autocryptAttrs(t, g)
			if _, ok := attrs["prefer-encrypt"]; ok {
				t.Errorf("gossip %q has prefer-encrypt", attrs["addr"])
			}
			addrs = append(addrs, attrs["addr"])
		}
		if want := []string{"bob@sealpost.test", "carol@sealpost.test"}; !slices.Equal(addrs, want) {
			t.Errorf("gossip addresses = %q, want %q", addrs, want)
		}
	})
}

func TestGossipOnlyForSeveralRecipients(t *testing.T) {
	k := sharedKeys(t)
	one := strings.Replace(simpleMessage, "Cc: carol@sealpost.test\r\n", "", 1)
	all := []*crypto.Key{k.alice.Public(), k.bob.Public(), k.carol.Public(), k.dave.Public()}
	tests := []struct {
		name   string
		msg    string
		gossip []*crypto.Key
		want   []string
	}{
		{"one visible recipient and a Bcc", one, all, nil},
		{"two visible recipients and a Bcc", simpleMessage, all, []string{"bob@sealpost.test", "carol@sealpost.test"}},
		{"only one visible recipient has a key", simpleMessage, []*crypto.Key{k.bob.Public(), k.dave.Public()}, nil},
		{"no gossip keys", simpleMessage, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := Protect([]byte(tc.msg), Options{Mode: ModeEncrypt, Signer: k.alice, Recipients: all, Gossip: tc.gossip, Now: t0})
			if err != nil {
				t.Fatalf("Protect: %v", err)
			}
			inner, raw, _ := decryptPayload(t, parseTree(t, out).parts[1].body, crypto.DecryptOptions{Keys: []*crypto.Key{k.bob}, Now: t0})
			var got []string
			for _, g := range inner.header.Values("Autocrypt-Gossip") {
				got = append(got, autocryptAttrs(t, g)["addr"])
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("gossip addresses = %q, want %q", got, tc.want)
			}
			if bytes.Contains(raw, []byte("dave@hidden.test")) {
				t.Errorf("inner part names the Bcc recipient")
			}
		})
	}
}

func TestSignStructure(t *testing.T) {
	k := sharedKeys(t)
	for _, tc := range []struct{ name, msg string }{
		{"quoted-printable text", simpleMessage},
		{"8-bit text and binary attachment", mixedMessage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := Protect([]byte(tc.msg), Options{Mode: ModeSign, Signer: k.alice, Autocrypt: k.alice, Now: t0})
			if err != nil {
				t.Fatalf("Protect: %v", err)
			}
			root := parseTree(t, out)
			if root.mt != "multipart/signed" || root.params["micalg"] != "pgp-sha256" || root.params["protocol"] != "application/pgp-signature" {
				t.Errorf("outer type = %s %v, want multipart/signed, micalg pgp-sha256, protocol application/pgp-signature", root.mt, root.params)
			}
			if len(root.parts) != 2 || root.parts[1].mt != "application/pgp-signature" {
				t.Fatalf("parts = %d (second %v), want 2 with application/pgp-signature last", len(root.parts), root.parts)
			}
			if got := root.header.Get("Subject"); got != secretSubject {
				t.Errorf("outer Subject = %q, want %q (signed mail is not confidential)", got, secretSubject)
			}
			signed := rawFirstPart(t, out, root.params["boundary"])
			if err := check7bit(signed); err != nil {
				t.Errorf("signed part is not 7-bit: %v", err)
			}
			if n, m := bytes.Count(signed, []byte("\n")), bytes.Count(signed, []byte("\r\n")); n != m {
				t.Errorf("signed part has %d LF but %d CRLF, want only CRLF", n, m)
			}
			for i, line := range bytes.Split(signed, []byte("\r\n")) {
				if bytes.HasPrefix(line, []byte("From ")) || bytes.HasSuffix(line, []byte(" ")) {
					t.Errorf("signed line %d %q starts with \"From \" or ends in white space", i, line)
				}
			}
			if !bytes.Contains(signed, []byte(`hp="clear"`)) {
				t.Errorf("signed part lacks the literal hp=\"clear\"")
			}
			inner := parseTree(t, signed)
			if inner.params["hp"] != "clear" || inner.header.Get("Subject") != secretSubject || inner.header.Get("Bcc") != "" || inner.header.Get("Hp-Outer") != "" {
				t.Errorf("signed part: hp=%q Subject=%q Bcc=%q HP-Outer=%q, want clear, the subject, no Bcc, no HP-Outer",
					inner.params["hp"], inner.header.Get("Subject"), inner.header.Get("Bcc"), inner.header.Get("Hp-Outer"))
			}
			res := crypto.VerifyDetached(bytes.NewReader(signed), root.parts[1].body, []*crypto.Key{k.alice.Public()}, t0)
			if res.Status != crypto.SigValid {
				t.Errorf("VerifyDetached = %+v, want valid", res)
			}
		})
	}
}

func TestCanonicalizeDecodesToOriginal(t *testing.T) {
	k := sharedKeys(t)
	out, err := Protect([]byte(mixedMessage), Options{Mode: ModeSign, Signer: k.alice, Now: t0})
	if err != nil {
		t.Fatalf("Protect: %v", err)
	}
	inner := parseTree(t, rawFirstPart(t, out, parseTree(t, out).params["boundary"]))
	if len(inner.parts) != 2 {
		t.Fatalf("signed multipart has %d parts, want 2", len(inner.parts))
	}
	tests := []struct {
		name, cte string
		part      *parsed
		want      string
	}{
		{"8-bit text becomes quoted-printable", "quoted-printable", inner.parts[0], secretBody + " \u00e0 l'heure \r\nFrom the mill."},
		{"binary becomes base64", "base64", inner.parts[1], "\x00\x01\xff\r\x80"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.part.header.Get("Content-Transfer-Encoding"); got != tc.cte {
				t.Errorf("Content-Transfer-Encoding = %q, want %q", got, tc.cte)
			}
			if string(tc.part.body) != tc.want {
				t.Errorf("decoded body = %q, want %q", tc.part.body, tc.want)
			}
		})
	}
}

func TestPasswordStructure(t *testing.T) {
	k := sharedKeys(t)
	password := []byte("correct horse")
	out, err := Protect([]byte(simpleMessage), Options{Mode: ModePassword, Password: password, Signer: k.alice,
		Recipients: []*crypto.Key{k.alice.Public()}, Autocrypt: k.alice, Now: t0})
	if err != nil {
		t.Fatalf("Protect: %v", err)
	}
	root := parseTree(t, out)
	if root.mt != "multipart/mixed" || len(root.parts) != 2 {
		t.Fatalf("outer = %s with %d parts, want multipart/mixed with 2", root.mt, len(root.parts))
	}
	if got := root.header.Get("Subject"); got != "[...]" {
		t.Errorf("outer Subject = %q, want [...]", got)
	}
	for _, s := range []string{secretSubject, secretBody} {
		if bytes.Contains(out, []byte(s)) {
			t.Errorf("output contains %q", s)
		}
	}
	note, att := root.parts[0], root.parts[1]
	if note.mt != "text/plain" || !strings.Contains(string(note.body), "gpg --decrypt message.asc") {
		t.Errorf("cover note = %s %q, want text/plain explaining gpg --decrypt message.asc", note.mt, note.body)
	}
	if _, params, _ := att.header.ContentDisposition(); params["filename"] != "message.asc" {
		t.Errorf("attachment filename = %q, want message.asc", params["filename"])
	}
	t.Run("opens with the password", func(t *testing.T) {
		inner, _, v := decryptPayload(t, att.body, crypto.DecryptOptions{Password: password, Verifiers: []*crypto.Key{k.alice.Public()}, Now: t0})
		if !v.Symmetric || v.Signature.Status != crypto.SigValid {
			t.Errorf("verdict = %+v, want symmetric with a valid signature", v)
		}
		if inner.params["hp"] != "cipher" || inner.header.Get("Subject") != secretSubject {
			t.Errorf("inner hp=%q Subject=%q, want cipher and the subject", inner.params["hp"], inner.header.Get("Subject"))
		}
	})
	t.Run("opens with the sender's key", func(t *testing.T) {
		if _, _, err := crypto.DecryptBytes(att.body, crypto.DecryptOptions{Keys: []*crypto.Key{k.alice}, Now: t0}); err != nil {
			t.Errorf("DecryptBytes as sender: %v", err)
		}
	})
	t.Run("wrong password fails", func(t *testing.T) {
		if _, _, err := crypto.DecryptBytes(att.body, crypto.DecryptOptions{Password: []byte("wrong"), Now: t0}); !errors.Is(err, crypto.ErrBadPassword) {
			t.Errorf("DecryptBytes(wrong password) error = %v, want ErrBadPassword", err)
		}
	})
}

func TestPlain(t *testing.T) {
	k := sharedKeys(t)
	t.Run("only the Autocrypt header is added", func(t *testing.T) {
		out, err := Protect([]byte(simpleMessage), Options{Mode: ModePlain, Autocrypt: k.alice, Now: t0})
		if err != nil {
			t.Fatalf("Protect: %v", err)
		}
		head, body, _ := strings.Cut(simpleMessage, "\r\n\r\n")
		gotHead, gotBody, _ := strings.Cut(string(out), "\r\n\r\n")
		if gotBody != body {
			t.Errorf("body = %q, want %q", gotBody, body)
		}
		if !strings.HasPrefix(gotHead, head+"\r\nAutocrypt: addr=alice@sealpost.test; prefer-encrypt=mutual; keydata=\r\n") {
			t.Errorf("header = %q, want the original followed by the Autocrypt field", gotHead)
		}
	})
	t.Run("without Autocrypt nothing changes", func(t *testing.T) {
		out, err := Protect([]byte(simpleMessage), Options{Mode: ModePlain, Now: t0})
		if err != nil || string(out) != simpleMessage {
			t.Errorf("Protect = %q, %v, want the message unchanged", out, err)
		}
	})
}

func TestAttachPublicKey(t *testing.T) {
	k := sharedKeys(t)
	tests := []struct {
		name string
		opts Options
	}{
		{"encrypt", Options{Mode: ModeEncrypt, Signer: k.alice, Recipients: []*crypto.Key{k.bob.Public()}}},
		{"sign", Options{Mode: ModeSign, Signer: k.alice}},
		{"plain", Options{Mode: ModePlain, Autocrypt: k.alice}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.AttachPublicKey, tc.opts.Now = true, t0
			out, err := Protect([]byte(simpleMessage), tc.opts)
			if err != nil {
				t.Fatalf("Protect: %v", err)
			}
			root := parseTree(t, out)
			var payload *parsed
			switch tc.opts.Mode {
			case ModeEncrypt:
				payload, _, _ = decryptPayload(t, root.parts[1].body, crypto.DecryptOptions{Keys: []*crypto.Key{k.bob}, Now: t0})
			case ModeSign:
				payload = root.parts[0]
			default:
				payload = root
			}
			if payload.mt != "multipart/mixed" || len(payload.parts) != 2 || payload.parts[1].mt != "application/pgp-keys" {
				t.Fatalf("payload = %s with %d parts, want multipart/mixed with the text and application/pgp-keys", payload.mt, len(payload.parts))
			}
			got, err := crypto.ParseKeys(payload.parts[1].body)
			if err != nil || len(got) != 1 || got[0].Fingerprint() != k.alice.Fingerprint() || got[0].IsSecret() {
				t.Errorf("attached key = %v, %v, want the public key %s", got, err, k.alice.Fingerprint())
			}
			if !strings.Contains(string(payload.parts[0].body), secretBody) {
				t.Errorf("first part = %q, want the text", payload.parts[0].body)
			}
		})
	}
}

func TestFailClosed(t *testing.T) {
	k := sharedKeys(t)
	expiring, err := crypto.GenerateKey(crypto.GenerateOptions{Name: "Eve", Email: "eve@sealpost.test", Lifetime: time.Hour, Now: t0.Add(-2 * time.Hour)})
	if err != nil {
		t.Fatalf("GenerateKey: %v", err)
	}
	revoked, err := crypto.GenerateKey(crypto.GenerateOptions{Name: "Rob", Email: "rob@sealpost.test", Now: t0.Add(-2 * time.Hour)})
	if err != nil {
		t.Fatalf("GenerateKey: %v", err)
	}
	if err := revoked.Revoke("lost", t0.Add(-time.Hour)); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	signOnly := signOnlyKey(t, k.carol)
	exported, err := k.alice.ExportSecret([]byte("pass"))
	if err != nil {
		t.Fatalf("ExportSecret: %v", err)
	}
	locked, err := crypto.ParseKeys([]byte(exported))
	if err != nil || len(locked) != 1 || !locked[0].IsLocked() {
		t.Fatalf("ParseKeys(exported secret) = %v, %v, want one locked key", locked, err)
	}
	bobs := []*crypto.Key{k.bob.Public()}
	tests := []struct {
		name    string
		msg     string
		opts    Options
		want    error
		mention string
	}{
		{"expired recipient", simpleMessage, Options{Mode: ModeEncrypt, Signer: k.alice, Recipients: []*crypto.Key{k.bob.Public(), expiring.Public()}}, crypto.ErrKeyExpired, "eve@sealpost.test"},
		{"revoked recipient", simpleMessage, Options{Mode: ModeEncrypt, Signer: k.alice, Recipients: []*crypto.Key{revoked.Public(), k.bob.Public()}}, crypto.ErrKeyRevoked, "rob@sealpost.test"},
		{"expired recipient in password mode", simpleMessage, Options{Mode: ModePassword, Password: []byte("p"), Recipients: []*crypto.Key{expiring.Public()}}, crypto.ErrKeyExpired, "eve@sealpost.test"},
		{"sign-only recipient", simpleMessage, Options{Mode: ModeEncrypt, Signer: k.alice, Recipients: []*crypto.Key{k.bob.Public(), signOnly}}, crypto.ErrNoEncryptionKey, "carol@sealpost.test"},
		{"no recipients", simpleMessage, Options{Mode: ModeEncrypt, Signer: k.alice}, crypto.ErrNoRecipients, ""},
		{"encrypt without signer", simpleMessage, Options{Mode: ModeEncrypt, Recipients: bobs}, crypto.ErrInvalidOptions, "Signer"},
		{"public key as signer", simpleMessage, Options{Mode: ModeSign, Signer: k.alice.Public()}, crypto.ErrNotSecretKey, "alice@sealpost.test"},
		{"locked signer", simpleMessage, Options{Mode: ModeEncrypt, Signer: locked[0], Recipients: bobs}, crypto.ErrKeyLocked, "alice@sealpost.test"},
		{"expired signer", simpleMessage, Options{Mode: ModeSign, Signer: expiring}, crypto.ErrKeyExpired, "eve@sealpost.test"},
		{"empty password", simpleMessage, Options{Mode: ModePassword}, crypto.ErrInvalidOptions, "password"},
		{"unknown mode", simpleMessage, Options{Mode: "auto"}, crypto.ErrInvalidOptions, "auto"},
		{"Autocrypt key without the From address", simpleMessage, Options{Mode: ModePlain, Autocrypt: k.bob}, crypto.ErrInvalidOptions, "alice@sealpost.test"},
		{"no From", "To: bob@sealpost.test\r\n\r\nhi\r\n", Options{Mode: ModePlain}, ErrMalformedMessage, "From"},
		{"bad multipart", "From: a@b.test\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n\r\nhi\r\n", Options{Mode: ModeSign, Signer: k.alice}, ErrMalformedMessage, "closing boundary"},
		{"8-bit attached message", "From: a@b.test\r\nContent-Type: message/rfc822\r\n\r\nSubject: \xe9\r\n\r\nx\r\n", Options{Mode: ModeSign, Signer: k.alice}, ErrMalformedMessage, "message/rfc822"},
		{"8-bit header in signed part", "From: a@b.test\r\nSubject: \xc3\xa9\r\n\r\nx\r\n", Options{Mode: ModeSign, Signer: k.alice}, ErrMalformedMessage, "8-bit"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.Now = t0
			out, err := Protect([]byte(tc.msg), tc.opts)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.mention) {
				t.Errorf("Protect error = %v, want %v mentioning %q", err, tc.want, tc.mention)
			}
			if out != nil {
				t.Errorf("Protect output = %d bytes, want none", len(out))
			}
		})
	}
}

// autocryptAttrs parses the attributes of an Autocrypt or Autocrypt-Gossip
// value; keydata has its white space removed.
func autocryptAttrs(t *testing.T, value string) map[string]string {
	t.Helper()
	attrs := map[string]string{}
	for _, a := range strings.Split(value, ";") {
		name, val, ok := strings.Cut(strings.TrimSpace(a), "=")
		if !ok {
			t.Fatalf("attribute %q without =", a)
		}
		attrs[name] = strings.Join(strings.Fields(val), "")
	}
	return attrs
}

func TestAutocryptHeader(t *testing.T) {
	k := sharedKeys(t)
	out, err := Protect([]byte(simpleMessage), Options{Mode: ModeSign, Signer: k.alice, Autocrypt: k.alice, Now: t0})
	if err != nil {
		t.Fatalf("Protect: %v", err)
	}
	var lines []string
	inField := false
	for _, l := range headerLines(out) {
		switch {
		case strings.HasPrefix(l, "Autocrypt:"):
			inField = true
		case !strings.HasPrefix(l, " "):
			inField = false
		}
		if inField {
			lines = append(lines, l)
		}
	}
	if len(lines) < 2 {
		t.Fatalf("Autocrypt field = %q, want a folded field", lines)
	}
	for _, l := range lines {
		if len(l) > 78 {
			t.Errorf("Autocrypt line is %d characters, want <= 78: %q", len(l), l)
		}
	}
	e, err := message.Read(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("message.Read: %v", err)
	}
	attrs := autocryptAttrs(t, e.Header.Get("Autocrypt"))
	if attrs["addr"] != "alice@sealpost.test" || attrs["prefer-encrypt"] != "mutual" {
		t.Errorf("attributes = %v, want addr alice@sealpost.test, prefer-encrypt mutual", attrs)
	}
	keydata, err := base64.StdEncoding.DecodeString(attrs["keydata"])
	if err != nil {
		t.Fatalf("keydata base64: %v", err)
	}
	if len(keydata) > 600 {
		t.Errorf("keydata is %d bytes, want a minimal curve25519 key (< 600)", len(keydata))
	}
	got, err := crypto.ParseKeys(keydata)
	if err != nil || len(got) != 1 {
		t.Fatalf("ParseKeys(keydata) = %d keys, %v, want 1", len(got), err)
	}
	if got[0].Fingerprint() != k.alice.Fingerprint() || len(got[0].UserIDs()) != 1 || got[0].CanEncrypt(t0) != nil {
		t.Errorf("keydata key = %s with user IDs %q (CanEncrypt %v), want %s with one user ID, able to encrypt",
			got[0].Fingerprint(), got[0].UserIDs(), got[0].CanEncrypt(t0), k.alice.Fingerprint())
	}
	var kinds []string
	r := packet.NewReader(bytes.NewReader(keydata))
	for {
		p, err := r.Next()
		if err != nil {
			break
		}
		switch p := p.(type) {
		case *packet.PublicKey:
			kinds = append(kinds, map[bool]string{false: "key", true: "subkey"}[p.IsSubkey])
		case *packet.UserId:
			kinds = append(kinds, "uid")
		case *packet.Signature:
			kinds = append(kinds, "sig")
		default:
			kinds = append(kinds, "other")
		}
	}
	if want := []string{"key", "uid", "sig", "subkey", "sig"}; !slices.Equal(kinds, want) {
		t.Errorf("keydata packets = %q, want %q", kinds, want)
	}
}

// FuzzProtectSign checks that Protect never panics on odd input and that a
// signed message it returns always verifies over its first part.
func FuzzProtectSign(f *testing.F) {
	k := sharedKeys(f)
	f.Add([]byte(simpleMessage))
	f.Add([]byte(mixedMessage))
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := Protect(data, Options{Mode: ModeSign, Signer: k.alice, Now: t0})
		if err != nil {
			if out != nil {
				t.Fatalf("Protect returned %d bytes with error %v", len(out), err)
			}
			return
		}
		root := parseTree(t, out)
		if len(root.parts) != 2 {
			t.Fatalf("multipart/signed with %d parts", len(root.parts))
		}
		signed := rawFirstPart(t, out, root.params["boundary"])
		if res := crypto.VerifyDetached(bytes.NewReader(signed), root.parts[1].body, []*crypto.Key{k.alice.Public()}, t0); res.Status != crypto.SigValid {
			t.Fatalf("signature over the first part = %+v, want valid", res)
		}
	})
}

// signOnlyKey returns k's public key without its encryption subkey: the
// primary key, its user ID and self-signature.
func signOnlyKey(t *testing.T, k *crypto.Key) *crypto.Key {
	t.Helper()
	raw, err := k.Public().MarshalPublic()
	if err != nil {
		t.Fatalf("MarshalPublic: %v", err)
	}
	var out bytes.Buffer
	r := packet.NewReader(bytes.NewReader(raw))
	for {
		p, err := r.Next()
		if err != nil {
			break
		}
		if pk, ok := p.(*packet.PublicKey); ok && pk.IsSubkey {
			break // the subkey and its binding come last
		}
		var serr error
		switch p := p.(type) {
		case *packet.PublicKey:
			serr = p.Serialize(&out)
		case *packet.UserId:
			serr = p.Serialize(&out)
		case *packet.Signature:
			serr = p.Serialize(&out)
		}
		if serr != nil {
			t.Fatalf("serialize: %v", serr)
		}
	}
	keys, err := crypto.ParseKeys(out.Bytes())
	if err != nil || len(keys) != 1 {
		t.Fatalf("ParseKeys(sign-only) = %d keys, %v", len(keys), err)
	}
	return keys[0]
}
