package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sealpost/sealpost/crypto"
	"github.com/sealpost/sealpost/crypto/verdict"
	"github.com/sealpost/sealpost/mail"
)

// twoProfilesWithKeys makes alice's and bob's profiles, each with an own
// key and the other's public key (verified).
func twoProfilesWithKeys(t *testing.T) (aliceDir, bobDir, pass string) {
	t.Helper()
	aliceDir, pass = newProfile(t)
	bobDir, _ = newProfile(t)
	mustSucceed(t, sealpost(t, aliceDir, pass, "keys", "generate", "--name", "Alice", "--email", "alice@example.org"))
	mustSucceed(t, sealpost(t, bobDir, pass, "keys", "generate", "--name", "Bob", "--email", "bob@example.net"))
	for _, x := range []struct{ from, to, email string }{{aliceDir, bobDir, "alice@example.org"}, {bobDir, aliceDir, "bob@example.net"}} {
		pub := mustSucceed(t, sealpost(t, x.from, pass, "keys", "export", "--email", x.email)).out
		mustSucceed(t, sealpost(t, x.to, pass, "keys", "import", writeFile(t, "k.asc", pub)))
		mustSucceed(t, sealpost(t, x.to, pass, "keys", "verify", findKeyByEmail(t, listKeys(t, x.to, pass), x.email).Fingerprint))
	}
	return aliceDir, bobDir, pass
}

func findKeyByEmail(t *testing.T, keys []keyJSON, email string) keyJSON {
	t.Helper()
	for _, k := range keys {
		for _, e := range k.Emails {
			if e == email {
				return k
			}
		}
	}
	t.Fatalf("no key for %s", email)
	return keyJSON{}
}

func inspect(t *testing.T, dir, pass string, files ...string) []inspectJSON {
	t.Helper()
	r := mustSucceed(t, sealpost(t, dir, pass, append([]string{"inspect", "--json"}, files...)...))
	var out []inspectJSON
	if err := json.Unmarshal([]byte(r.out), &out); err != nil {
		t.Fatalf("inspect --json: %v\n%s", err, r.out)
	}
	return out
}

func TestComposeThenInspect(t *testing.T) {
	aliceDir, bobDir, pass := twoProfilesWithKeys(t)
	body := writeFile(t, "body", "The launch code is 4711-QX.\n")
	tests := []struct {
		mode             string
		encrypted        bool
		headerProtection string
	}{
		{"auto", true, "rfc9788"},
		{"encrypt", true, "rfc9788"},
		{"sign", false, "rfc9788"},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "m.eml")
			mustSucceed(t, sealpost(t, aliceDir, pass, "compose", "--from", "alice@example.org", "--to", "bob@example.net",
				"--subject", "Launch", "--body-file", body, "--mode", tt.mode, "--output", out))
			raw, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if tt.encrypted && (strings.Contains(string(raw), "4711-QX") || strings.Contains(string(raw), "Launch")) {
				t.Fatal("the encrypted message shows its text or subject")
			}
			v := inspect(t, bobDir, pass, out)[0]
			if v.Error != "" || v.Encrypted != tt.encrypted || v.Subject != "Launch" || v.Signature.Status != "valid" ||
				!v.Signature.SignerMatchesFrom || !v.Signature.CoversWholeMessage || !strings.Contains(v.BodyText, "4711-QX") ||
				v.HeaderProtection != tt.headerProtection {
				t.Errorf("bob's verdict = %+v", v)
			}
		})
	}
}

func TestComposeFailsClosed(t *testing.T) {
	aliceDir, _, pass := twoProfilesWithKeys(t)
	out := filepath.Join(t.TempDir(), "m.eml")
	r := sealpost(t, aliceDir, pass, "compose", "--from", "alice@example.org", "--to", "bob@example.net",
		"--to", "carol@example.com", "--subject", "x", "--output", out)
	failsWith(t, r, 1, "carol@example.com")
	failsWith(t, r, 1, "`sealpost keys lookup EMAIL --import`") // the engine's words name no command; cmd adds it
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Error("a message was written although a recipient has no key")
	}
	failsWith(t, sealpost(t, aliceDir, pass, "compose", "--from", "alice@example.org", "--to", "carol@example.com",
		"--mode", "password", "--output", out), 1, "password")
	mustSucceed(t, sealpost(t, aliceDir, pass, "compose", "--from", "alice@example.org", "--to", "carol@example.com",
		"--mode", "password", "--password-file", writeFile(t, "pw", "shared out of band"), "--output", out))
	failsWith(t, sealpost(t, aliceDir, pass, "compose", "--to", "x@example.com", "--output", out), 2, "--account or --from")
}

func TestInspectUnreadableFile(t *testing.T) {
	dir, pass := newProfile(t)
	good := writeFile(t, "plain.eml", "From: a@example.org\r\nTo: b@example.org\r\nSubject: hi\r\n\r\nhello\r\n")
	r := sealpost(t, dir, pass, "inspect", "--json", good, filepath.Join(t.TempDir(), "missing.eml"))
	if r.code != 1 {
		t.Fatalf("exit code = %d, want 1 when a file cannot be read", r.code)
	}
	var out []inspectJSON
	if err := json.Unmarshal([]byte(r.out), &out); err != nil || len(out) != 2 {
		t.Fatalf("inspect output: %v\n%s", err, r.out)
	}
	if out[0].Error != "" || out[0].Subject != "hi" || out[0].Encrypted || out[0].Signature.Status != "none" || out[1].Error == "" {
		t.Errorf("verdicts = %+v", out)
	}
}

// TestInspectSMIMEAndInlineBlocks: S/MIME encryption is not OpenPGP
// encryption, and an encrypted block inside other text is reported, not
// decrypted.
func TestInspectSMIMEAndInlineBlocks(t *testing.T) {
	aliceDir, bobDir, pass := twoProfilesWithKeys(t)
	enc := filepath.Join(t.TempDir(), "m.eml")
	mustSucceed(t, sealpost(t, aliceDir, pass, "compose", "--from", "alice@example.org", "--to", "bob@example.net",
		"--subject", "s", "--body-file", writeFile(t, "body", "secret words\n"), "--mode", "encrypt", "--output", enc))
	raw, err := os.ReadFile(enc)
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	block := s[strings.Index(s, "-----BEGIN PGP MESSAGE-----"):strings.Index(s, "-----END PGP MESSAGE-----")] + "-----END PGP MESSAGE-----"
	pasted := writeFile(t, "pasted.eml", "From: alice@example.org\r\nTo: bob@example.net\r\nSubject: pasted\r\n\r\nprefix\r\n"+block+"\r\nsuffix\r\n")
	smime := writeFile(t, "smime.eml", "From: alice@example.org\r\nTo: bob@example.net\r\nSubject: smime\r\nMIME-Version: 1.0\r\n"+
		"Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\r\nContent-Transfer-Encoding: base64\r\n\r\nMIAGCSqGSIb3DQEHA6CA\r\n")
	out := inspect(t, bobDir, pass, pasted, smime)
	if p := out[0]; p.Encrypted || len(p.InlineBlocks) != 1 || p.InlineBlocks[0].Kind != "encrypted" || strings.Contains(p.BodyText, "secret words") {
		t.Errorf("pasted block verdict = %+v, want one encrypted block, not decrypted", p)
	}
	if m := out[1]; m.Encrypted || !m.SMIMEEncrypted {
		t.Errorf("S/MIME verdict: encrypted %v, smime_encrypted %v; want false, true", m.Encrypted, m.SMIMEEncrypted)
	}
}

// TestInspectSaysDateMismatchOnce: a signature made far from the message's
// Date is named in the text's Security line and not again as a warning,
// while the JSON keeps it in both signature.date_mismatch and warnings.
func TestInspectSaysDateMismatchOnce(t *testing.T) {
	dated := time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)
	signedAt := dated.AddDate(0, 0, -5)
	mismatch := verdict.DateMismatchWarning(signedAt, dated)
	other := "the display name looks like another address"
	var v mail.Verdict
	v.From, v.Subject, v.Date, v.Warnings = "alice@example.org", "old", dated, []string{other, mismatch}
	v.Signature.Status, v.Signature.SignedAt, v.Signature.DateMismatch, v.Signature.CoversWholeMessage = crypto.SigValid, signedAt, true, true
	res := inspectJSON{File: "m.eml", Warnings: []string{}}
	res.fill(v)

	raw, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var back inspectJSON
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	if !back.Signature.DateMismatch || !slices.Equal(back.Warnings, []string{other, mismatch}) {
		t.Errorf("JSON = %s, want the date mismatch flagged and among the warnings", raw)
	}

	var out bytes.Buffer
	printVerdict(&cliEnv{stdio: stdio{out: &out}}, res)
	text := out.String()
	if n := strings.Count(text, "DATE MISMATCH"); n != 1 {
		t.Errorf("the text names the date mismatch %d times, want once:\n%s", n, text)
	}
	if strings.Contains(text, mismatch) {
		t.Errorf("the date mismatch is said again as a warning:\n%s", text)
	}
	if !strings.Contains(text, "warning: "+other+"\n") {
		t.Errorf("the other warning is gone:\n%s", text)
	}
}
