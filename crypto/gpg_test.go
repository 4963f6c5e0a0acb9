package crypto

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sealpost/sealpost/crypto/internal/testenv"
)

// gpgHome is a throwaway GnuPG home for interop tests and benchmarks.
type gpgHome struct {
	tb   testing.TB
	bin  string
	home string
	env  []string
}

// newGPG creates a GnuPG home (see testenv.GPGHome); it skips when gpg is
// missing.
func newGPG(tb testing.TB) *gpgHome {
	tb.Helper()
	bin, home, env := testenv.GPGHome(tb)
	return &gpgHome{tb: tb, bin: bin, home: home, env: env}
}

// cmd builds a gpg command in batch mode with loopback pinentry.
func (g *gpgHome) cmd(stdin io.Reader, stdout io.Writer, args ...string) *exec.Cmd {
	full := append([]string{"--batch", "--no-tty", "--pinentry-mode", "loopback", "--status-fd", "2"}, args...)
	c := exec.Command(g.bin, full...)
	c.Env = g.env
	c.Stdin = stdin
	c.Stdout = stdout
	return c
}

// run runs gpg and returns stdout and the status lines; it fails the test on
// a non-zero exit.
func (g *gpgHome) run(stdin []byte, args ...string) (stdout []byte, status []string) {
	g.tb.Helper()
	out, status, err := g.try(stdin, args...)
	if err != nil {
		g.tb.Fatalf("gpg %s: %v\n%s", strings.Join(args, " "), err, strings.Join(status, "\n"))
	}
	return out, status
}

// try runs gpg and returns stdout, stderr lines (status and messages) and the error.
func (g *gpgHome) try(stdin []byte, args ...string) ([]byte, []string, error) {
	var out, errOut bytes.Buffer
	c := g.cmd(bytes.NewReader(stdin), &out, args...)
	c.Stderr = &errOut
	err := c.Run()
	var lines []string
	sc := bufio.NewScanner(&errOut)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return out.Bytes(), lines, err
}

// genKey makes an ed25519 key with a cv25519 subkey, protected with
// passphrase, and returns its fingerprint.
func (g *gpgHome) genKey(uid, passphrase string) string {
	g.tb.Helper()
	g.run(nil, "--passphrase", passphrase, "--quick-gen-key", uid, "ed25519", "sign", "1y")
	fpr := g.fingerprint(uid)
	g.run(nil, "--passphrase", passphrase, "--quick-add-key", fpr, "cv25519", "encr", "1y")
	return fpr
}

// fingerprint returns the primary fingerprint of the only key matching who.
func (g *gpgHome) fingerprint(who string) string {
	g.tb.Helper()
	out, _ := g.run(nil, "--with-colons", "--list-keys", who)
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Split(line, ":"); f[0] == "fpr" {
			return f[9]
		}
	}
	g.tb.Fatalf("no fingerprint for %q in:\n%s", who, out)
	return ""
}

// hasStatus reports whether a status line with keyword and the given prefix
// of arguments was printed.
func hasStatus(status []string, keyword string, args ...string) bool {
	want := strings.Join(append([]string{"[GNUPG:]", keyword}, args...), " ")
	return slices.ContainsFunc(status, func(s string) bool { return s == want || strings.HasPrefix(s, want+" ") })
}

func TestGPGInterop(t *testing.T) {
	if testing.Short() {
		t.Skip("GnuPG interop runs without -short")
	}
	g := newGPG(t)
	now := time.Now()
	alice, err := GenerateKey(GenerateOptions{Name: "Alice Sealpost", Email: "alice@sealpost.test", Now: now.Add(-time.Minute)})
	if err != nil {
		t.Fatalf("GenerateKey: %v", err)
	}
	alicePub, err := alice.ArmorPublic()
	if err != nil {
		t.Fatalf("ArmorPublic: %v", err)
	}
	g.run([]byte(alicePub), "--import")
	bobFpr := g.genKey("Bob GnuPG <bob@gnupg.test>", "bob-pass")
	bobPubArmored, _ := g.run(nil, "--armor", "--export", bobFpr)
	bobKeys, err := ParseKeys(bobPubArmored)
	if err != nil {
		t.Fatalf("ParseKeys(gpg --export): %v", err)
	}
	bob := bobKeys[0]
	now = time.Now() // after gpg made Bob's key, so that it is valid
	trust := []string{"--trust-model", "always"}

	t.Run("gpg verifies a cleartext signature", func(t *testing.T) {
		signed, err := ClearSign([]byte("report line\n- dashed line\n"), alice, now)
		if err != nil {
			t.Fatalf("ClearSign: %v", err)
		}
		_, status := g.run(signed, append(trust, "--verify")...)
		if !hasStatus(status, "GOODSIG") || !hasStatus(status, "VALIDSIG", alice.Fingerprint()) {
			t.Errorf("gpg --verify status = %q, want GOODSIG by %s", status, alice.Fingerprint())
		}
		tampered := bytes.Replace(signed, []byte("report line"), []byte("report lime"), 1)
		if _, status, err := g.try(tampered, "--verify"); err == nil || !hasStatus(status, "BADSIG") {
			t.Errorf("gpg --verify of a changed report: err %v, status %q, want BADSIG", err, status)
		}
	})

	t.Run("keys from gpg parse with the same fingerprint", func(t *testing.T) {
		if bob.Fingerprint() != bobFpr || bob.IsSecret() {
			t.Errorf("public: fingerprint, IsSecret = %s, %v, want %s, false", bob.Fingerprint(), bob.IsSecret(), bobFpr)
		}
		if got := bob.Algorithm(); got != "ed25519/cv25519" {
			t.Errorf("Algorithm() = %q, want %q", got, "ed25519/cv25519")
		}
		binSec, _ := g.run(nil, "--passphrase", "bob-pass", "--export-secret-keys", bobFpr)
		keys, err := ParseKeys(binSec)
		if err != nil {
			t.Fatalf("ParseKeys(gpg --export-secret-keys): %v", err)
		}
		sec := keys[0]
		if sec.Fingerprint() != bobFpr || !sec.IsSecret() || !sec.IsLocked() {
			t.Fatalf("secret: fingerprint, IsSecret, IsLocked = %s, %v, %v, want %s, true, true", sec.Fingerprint(), sec.IsSecret(), sec.IsLocked(), bobFpr)
		}
		if err := UnlockKey(sec, []byte("bob-pass")); err != nil {
			t.Fatalf("UnlockKey(gpg secret): %v", err)
		}
		msg, err := EncryptBytes([]byte("to bob"), EncryptOptions{Recipients: []*Key{bob}, Now: now})
		if err != nil {
			t.Fatalf("EncryptBytes: %v", err)
		}
		if pt, _, err := DecryptBytes(msg, DecryptOptions{Keys: []*Key{sec}, Now: now}); err != nil || string(pt) != "to bob" {
			t.Errorf("decrypt with gpg's secret key = %q, %v, want %q, nil", pt, err, "to bob")
		}
	})

	t.Run("our keys import into gpg", func(t *testing.T) {
		if got := g.fingerprint("alice@sealpost.test"); got != alice.Fingerprint() {
			t.Errorf("gpg fingerprint of our public key = %s, want %s", got, alice.Fingerprint())
		}
		carol := newKey(t, "Carol Export", "carol@sealpost.test")
		armored, err := carol.ExportSecret([]byte("carol-pass"))
		if err != nil {
			t.Fatalf("ExportSecret: %v", err)
		}
		g.run([]byte(armored), "--passphrase", "carol-pass", "--import")
		out, _ := g.run(nil, "--with-colons", "--list-secret-keys", "carol@sealpost.test")
		if !strings.Contains(string(out), "fpr:::::::::"+carol.Fingerprint()+":") {
			t.Errorf("gpg --list-secret-keys lacks %s:\n%s", carol.Fingerprint(), out)
		}
		// gpg must be able to use the imported secret: sign, and we verify.
		sig, _ := g.run([]byte("data"), "--passphrase", "carol-pass", "-u", carol.Fingerprint(), "--detach-sign")
		if res := VerifyDetached(strings.NewReader("data"), sig, []*Key{carol.Public()}, time.Now()); res.Status != SigValid {
			t.Errorf("signature by gpg with our exported secret = %+v, want valid", res)
		}
	})

	t.Run("gpg decrypts and verifies what we encrypt and sign", func(t *testing.T) {
		// Three lengths: the armor's last line must end correctly for each
		// remainder modulo 3 (GnuPG 2.2 relies on the CRC line there).
		for i, armored := range []bool{false, true, true, true} {
			plaintext := payload(100<<10 + i)
			msg, err := EncryptBytes(plaintext, EncryptOptions{Recipients: []*Key{bob, alice.Public()}, Signer: alice, Now: now, Armor: armored, Binary: true})
			if err != nil {
				t.Fatalf("EncryptBytes: %v", err)
			}
			out, status := g.run(msg, append(trust, "--passphrase", "bob-pass", "--decrypt")...)
			if !bytes.Equal(out, plaintext) {
				t.Errorf("armor=%v: gpg plaintext differs (%d bytes, want %d)", armored, len(out), len(plaintext))
			}
			if !hasStatus(status, "GOODSIG") || !hasStatus(status, "VALIDSIG", alice.Fingerprint()) || !hasStatus(status, "DECRYPTION_OKAY") {
				t.Errorf("armor=%v: gpg status lacks GOODSIG, VALIDSIG %s or DECRYPTION_OKAY:\n%s", armored, alice.Fingerprint(), strings.Join(status, "\n"))
			}
			if !hasStatus(status, "DECRYPTION_INFO", "2", "9") {
				t.Errorf("armor=%v: gpg status lacks DECRYPTION_INFO 2 9 (MDC with SHA-1, AES-256):\n%s", armored, strings.Join(status, "\n"))
			}
		}
	})

	t.Run("a hidden recipient is not named, and gpg and we still decrypt", func(t *testing.T) {
		msg, err := EncryptBytes([]byte("blind copy"), EncryptOptions{Recipients: []*Key{alice.Public()},
			HiddenRecipients: []*Key{bob, alice.Public()}, Signer: alice, Now: now})
		if err != nil {
			t.Fatalf("EncryptBytes: %v", err)
		}
		listed, status, _ := g.try(msg, append(trust, "--list-packets", "--batch", "--passphrase", "wrong")...)
		if strings.Count(string(listed), "pubkey enc packet") != 2 || strings.Count(string(listed), "keyid 0000000000000000") != 1 {
			t.Errorf("want two PKESKs, one of them anonymous (Alice is named, so only once):\n%s\n%s", listed, strings.Join(status, "\n"))
		}
		colons, _ := g.run(nil, "--with-colons", "--list-keys", bobFpr)
		for _, line := range strings.Split(string(colons), "\n") {
			if f := strings.Split(line, ":"); len(f) > 4 && (f[0] == "pub" || f[0] == "sub") && bytes.Contains(listed, []byte(f[4])) {
				t.Errorf("the packets name Bob's key %s:\n%s", f[4], listed)
			}
		}
		out, status := g.run(msg, append(trust, "--passphrase", "bob-pass", "--decrypt")...)
		if string(out) != "blind copy" || !hasStatus(status, "DECRYPTION_OKAY") {
			t.Errorf("gpg as the hidden recipient = %q:\n%s", out, strings.Join(status, "\n"))
		}
		binSec, _ := g.run(nil, "--passphrase", "bob-pass", "--export-secret-keys", bobFpr)
		keys, err := ParseKeys(binSec)
		if err != nil || UnlockKey(keys[0], []byte("bob-pass")) != nil {
			t.Fatalf("Bob's secret key from gpg: %v", err)
		}
		if pt, _, err := DecryptBytes(msg, DecryptOptions{Keys: []*Key{keys[0]}, Now: now}); err != nil || string(pt) != "blind copy" {
			t.Errorf("we decrypt as the hidden recipient = %q, %v", pt, err)
		}
	})

	t.Run("we decrypt and verify what gpg encrypts and signs", func(t *testing.T) {
		plaintext := []byte("Hello from GnuPG.\nÀèìòù\n")
		for _, args := range [][]string{{"--armor"}, {"--compress-algo", "none"}, {"--compress-algo", "zlib"}} {
			gpgArgs := append(append(slices.Clone(trust), args...), "--passphrase", "bob-pass", "-u", bobFpr, "-r", alice.Fingerprint(), "--sign", "--encrypt")
			msg, _ := g.run(plaintext, gpgArgs...)
			pt, v, err := DecryptBytes(msg, DecryptOptions{Keys: []*Key{alice}, Verifiers: []*Key{bob}, Now: time.Now()})
			if err != nil {
				t.Fatalf("%v: DecryptBytes: %v", args, err)
			}
			if !bytes.Equal(pt, plaintext) {
				t.Errorf("%v: plaintext = %q, want %q", args, pt, plaintext)
			}
			if v.Signature.Status != SigValid || v.Signature.SignerFingerprint != bobFpr || !v.IntegrityProtected {
				t.Errorf("%v: verdict = %+v, want a valid signature by %s, integrity protected", args, v, bobFpr)
			}
		}
	})

	t.Run("password messages both ways", func(t *testing.T) {
		var buf bytes.Buffer
		w, err := EncryptWithPassword(&buf, []byte("open sesame"), EncryptOptions{Signer: alice, Now: now, Armor: true})
		if err != nil {
			t.Fatalf("EncryptWithPassword: %v", err)
		}
		if _, err := io.WriteString(w, "password protected"); err != nil {
			t.Fatalf("write: %v", err)
		}
		if err := w.Close(); err != nil {
			t.Fatalf("close: %v", err)
		}
		out, status := g.run(buf.Bytes(), append(trust, "--passphrase", "open sesame", "--decrypt")...)
		if string(out) != "password protected" || !hasStatus(status, "VALIDSIG", alice.Fingerprint()) {
			t.Errorf("gpg --decrypt --passphrase = %q, status:\n%s\nwant the text and VALIDSIG %s", out, strings.Join(status, "\n"), alice.Fingerprint())
		}
		if _, status, err := g.try(buf.Bytes(), append(trust, "--passphrase", "wrong", "--decrypt")...); err == nil {
			t.Errorf("gpg accepted a wrong password:\n%s", strings.Join(status, "\n"))
		}
		sym, _ := g.run([]byte("from gpg -c"), "--passphrase", "pw2", "--symmetric", "--cipher-algo", "AES256")
		pt, v, err := DecryptBytes(sym, DecryptOptions{Password: []byte("pw2"), Now: now})
		if err != nil || string(pt) != "from gpg -c" || !v.Symmetric || !v.IntegrityProtected {
			t.Errorf("decrypt gpg -c = %q, %+v, %v, want the text, symmetric and integrity protected", pt, v, err)
		}
	})

	t.Run("detached signatures both ways", func(t *testing.T) {
		data := []byte("Content-Type: text/plain\r\n\r\nbody\r\n")
		dir := t.TempDir()
		dataPath := filepath.Join(dir, "data")
		sigPath := filepath.Join(dir, "data.sig")
		if err := os.WriteFile(dataPath, data, 0o600); err != nil {
			t.Fatalf("write: %v", err)
		}
		sig, err := SignDetached(bytes.NewReader(data), alice, true, now)
		if err != nil {
			t.Fatalf("SignDetached: %v", err)
		}
		if err := os.WriteFile(sigPath, sig, 0o600); err != nil {
			t.Fatalf("write: %v", err)
		}
		if _, status := g.run(nil, append(trust, "--verify", sigPath, dataPath)...); !hasStatus(status, "VALIDSIG", alice.Fingerprint()) {
			t.Errorf("gpg --verify status lacks VALIDSIG %s:\n%s", alice.Fingerprint(), strings.Join(status, "\n"))
		}
		gsig, _ := g.run(data, "--passphrase", "bob-pass", "-u", bobFpr, "--armor", "--detach-sign")
		if res := VerifyDetached(bytes.NewReader(data), gsig, []*Key{bob}, time.Now()); res.Status != SigValid || res.SignerFingerprint != bobFpr {
			t.Errorf("VerifyDetached(gpg signature) = %+v, want valid by %s", res, bobFpr)
		}
	})

	t.Run("rsa4096 key round trip", func(t *testing.T) {
		rita := sharedRSAKey(t)
		pub, err := rita.ArmorPublic()
		if err != nil {
			t.Fatalf("ArmorPublic: %v", err)
		}
		g.run([]byte(pub), "--import")
		if got := g.fingerprint("rita@example.org"); got != rita.Fingerprint() {
			t.Errorf("gpg fingerprint = %s, want %s", got, rita.Fingerprint())
		}
		msg, _ := g.run([]byte("to rita"), append(trust, "-r", rita.Fingerprint(), "--encrypt")...)
		if pt, _, err := DecryptBytes(msg, DecryptOptions{Keys: []*Key{rita}}); err != nil || string(pt) != "to rita" {
			t.Errorf("decrypt gpg message to our RSA key = %q, %v, want %q, nil", pt, err, "to rita")
		}
	})
}
