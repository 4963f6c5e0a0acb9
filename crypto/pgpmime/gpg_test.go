package pgpmime

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sealpost/sealpost/crypto"
	"github.com/sealpost/sealpost/crypto/internal/testenv"
)

// gnupg is a throwaway GnuPG home for the interop tests.
type gnupg struct {
	t    *testing.T
	bin  string
	home string
	env  []string
}

// newGnuPG creates a GnuPG home (see testenv.GPGHome); it skips when gpg is
// missing.
func newGnuPG(t *testing.T) *gnupg {
	t.Helper()
	bin, home, env := testenv.GPGHome(t)
	return &gnupg{t: t, bin: bin, home: home, env: env}
}

// run runs gpg in batch mode with stdin and returns stdout and the status
// and diagnostic lines; a non-zero exit fails the test.
func (g *gnupg) run(stdin []byte, args ...string) ([]byte, []string) {
	g.t.Helper()
	full := append([]string{"--batch", "--no-tty", "--pinentry-mode", "loopback", "--trust-model", "always", "--status-fd", "2"}, args...)
	c := exec.Command(g.bin, full...)
	c.Env = g.env
	c.Stdin = bytes.NewReader(stdin)
	var out, errOut bytes.Buffer
	c.Stdout, c.Stderr = &out, &errOut
	err := c.Run()
	var lines []string
	sc := bufio.NewScanner(&errOut)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if err != nil {
		g.t.Fatalf("gpg %s: %v\n%s", strings.Join(args, " "), err, strings.Join(lines, "\n"))
	}
	return out.Bytes(), lines
}

// status reports whether gpg printed the status keyword followed by args.
func status(lines []string, keyword string, args ...string) bool {
	want := strings.Join(append([]string{"[GNUPG:]", keyword}, args...), " ")
	return slices.ContainsFunc(lines, func(s string) bool { return s == want || strings.HasPrefix(s, want+" ") })
}

func TestGnuPGRoundTrip(t *testing.T) {
	if testing.Short() {
		t.Skip("GnuPG round trips run without -short")
	}
	g := newGnuPG(t)
	now := time.Now()
	gen := func(name, email string) *crypto.Key {
		k, err := crypto.GenerateKey(crypto.GenerateOptions{Name: name, Email: email, Now: now.Add(-time.Minute)})
		if err != nil {
			t.Fatalf("GenerateKey: %v", err)
		}
		return k
	}
	alice, bob := gen("Alice", "alice@sealpost.test"), gen("Bob", "bob@sealpost.test")
	alicePub, err := alice.ArmorPublic()
	if err != nil {
		t.Fatalf("ArmorPublic: %v", err)
	}
	bobSecret, err := bob.ExportSecret([]byte("bob-pass"))
	if err != nil {
		t.Fatalf("ExportSecret: %v", err)
	}
	g.run([]byte(alicePub), "--import")
	g.run([]byte(bobSecret), "--passphrase", "bob-pass", "--import")
	bobOnly := strings.Replace(simpleMessage, "Cc: carol@sealpost.test\r\n", "", 1)

	t.Run("encrypt: gpg decrypts and verifies", func(t *testing.T) {
		out, err := Protect([]byte(bobOnly), Options{Mode: ModeEncrypt, Signer: alice, Autocrypt: alice,
			Recipients: []*crypto.Key{bob.Public(), alice.Public()}, Now: now})
		if err != nil {
			t.Fatalf("Protect: %v", err)
		}
		root := parseTree(t, out)
		pt, st := g.run(root.parts[1].body, "--passphrase", "bob-pass", "--decrypt")
		if !status(st, "DECRYPTION_OKAY") || !status(st, "GOODSIG") || !status(st, "VALIDSIG", alice.Fingerprint()) {
			t.Errorf("gpg status lacks DECRYPTION_OKAY, GOODSIG or VALIDSIG %s:\n%s", alice.Fingerprint(), strings.Join(st, "\n"))
		}
		inner := parseTree(t, pt)
		if inner.params["hp"] != "cipher" || inner.header.Get("Subject") != secretSubject {
			t.Errorf("decrypted part: hp=%q Subject=%q, want cipher and %q", inner.params["hp"], inner.header.Get("Subject"), secretSubject)
		}
		if !strings.Contains(string(inner.body), secretBody) {
			t.Errorf("decrypted body = %q, want the text", inner.body)
		}
	})

	t.Run("sign: gpg verifies the canonical part", func(t *testing.T) {
		for _, msg := range []string{simpleMessage, mixedMessage} {
			out, err := Protect([]byte(msg), Options{Mode: ModeSign, Signer: alice, Now: now})
			if err != nil {
				t.Fatalf("Protect: %v", err)
			}
			root := parseTree(t, out)
			sigPath := filepath.Join(t.TempDir(), "sig.asc")
			if err := os.WriteFile(sigPath, root.parts[1].body, 0o600); err != nil {
				t.Fatalf("write signature: %v", err)
			}
			_, st := g.run(rawFirstPart(t, out, root.params["boundary"]), "--verify", sigPath, "-")
			if !status(st, "GOODSIG") || !status(st, "VALIDSIG", alice.Fingerprint()) {
				t.Errorf("gpg --verify status lacks GOODSIG or VALIDSIG %s:\n%s", alice.Fingerprint(), strings.Join(st, "\n"))
			}
			// VALIDSIG's eighth argument is the hash algorithm: 8 is SHA-256,
			// which micalg=pgp-sha256 announces.
			for _, l := range st {
				if f := strings.Fields(l); len(f) > 9 && f[1] == "VALIDSIG" && f[9] != "8" {
					t.Errorf("signature hash = %s, want 8 (SHA-256) to match micalg %s", f[9], root.params["micalg"])
				}
			}
		}
	})

	t.Run("password: gpg opens message.asc with the password", func(t *testing.T) {
		out, err := Protect([]byte(simpleMessage), Options{Mode: ModePassword, Password: []byte("open sesame"), Signer: alice, Now: now})
		if err != nil {
			t.Fatalf("Protect: %v", err)
		}
		root := parseTree(t, out)
		pt, st := g.run(root.parts[1].body, "--passphrase", "open sesame", "--decrypt")
		if !status(st, "DECRYPTION_OKAY") || !status(st, "VALIDSIG", alice.Fingerprint()) {
			t.Errorf("gpg status lacks DECRYPTION_OKAY or VALIDSIG %s:\n%s", alice.Fingerprint(), strings.Join(st, "\n"))
		}
		if inner := parseTree(t, pt); inner.header.Get("Subject") != secretSubject || inner.params["hp"] != "cipher" {
			t.Errorf("decrypted part: hp=%q Subject=%q, want cipher and %q", inner.params["hp"], inner.header.Get("Subject"), secretSubject)
		}
	})

	t.Run("plain: gpg imports the Autocrypt keydata", func(t *testing.T) {
		carol := gen("Carol", "carol@sealpost.test")
		fromCarol := strings.Replace(simpleMessage, "Alice <alice@sealpost.test>", "Carol <carol@sealpost.test>", 1)
		out, err := Protect([]byte(fromCarol), Options{Mode: ModePlain, Autocrypt: carol.Public(), Now: now})
		if err != nil {
			t.Fatalf("Protect: %v", err)
		}
		keydata, err := base64.StdEncoding.DecodeString(autocryptAttrs(t, parseTree(t, out).header.Get("Autocrypt"))["keydata"])
		if err != nil {
			t.Fatalf("keydata: %v", err)
		}
		_, st := g.run(keydata, "--import")
		if !status(st, "IMPORT_OK", "1", carol.Fingerprint()) {
			t.Errorf("gpg --import status lacks IMPORT_OK 1 %s:\n%s", carol.Fingerprint(), strings.Join(st, "\n"))
		}
		list, _ := g.run(nil, "--with-colons", "--list-keys", carol.Fingerprint())
		var uids, subs int
		for _, l := range strings.Split(string(list), "\n") {
			switch strings.Split(l, ":")[0] {
			case "uid":
				uids++
			case "sub":
				subs++
			}
		}
		if uids != 1 || subs != 1 {
			t.Errorf("gpg lists %d user IDs and %d subkeys, want 1 and 1:\n%s", uids, subs, list)
		}
	})
}
