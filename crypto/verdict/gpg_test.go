package verdict

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sealpost/sealpost/crypto"

	"github.com/sealpost/sealpost/crypto/internal/testenv"
)

// gpgHome is a throwaway GnuPG home.
type gpgHome struct {
	t    *testing.T
	bin  string
	home string
	env  []string
}

// newGPGHome creates a GnuPG home (see testenv.GPGHome), copying src into
// it when src is not empty. It skips when gpg is missing.
func newGPGHome(t *testing.T, src string) *gpgHome {
	t.Helper()
	bin, home, env := testenv.GPGHome(t)
	g := &gpgHome{t: t, bin: bin, home: home, env: env}
	if src != "" {
		if err := os.CopyFS(home, os.DirFS(src)); err != nil {
			t.Fatalf("copy GnuPG home: %v", err)
		}
	}
	if err := filepath.WalkDir(home, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.Chmod(path, 0o700)
		}
		return os.Chmod(path, 0o600)
	}); err != nil {
		t.Fatalf("chmod GnuPG home: %v", err)
	}
	return g
}

// run runs gpg in batch mode and returns its standard output; it fails the
// test on a non-zero exit.
func (g *gpgHome) run(stdin []byte, args ...string) []byte {
	g.t.Helper()
	var stdout, stderr bytes.Buffer
	full := append([]string{"--batch", "--no-tty", "--pinentry-mode", "loopback", "--passphrase", "", "--trust-model", "always"}, args...)
	c := exec.Command(g.bin, full...)
	c.Env, c.Stdin, c.Stdout, c.Stderr = g.env, bytes.NewReader(stdin), &stdout, &stderr
	if err := c.Run(); err != nil {
		g.t.Fatalf("gpg %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.Bytes()
}

// exportMimetreeparserKeys exports the secret keys named by fingerprint from
// the mimetreeparser GnuPG home, one armored block each.
func exportMimetreeparserKeys(t *testing.T, fingerprints ...string) map[string][]byte {
	t.Helper()
	g := newGPGHome(t, filepath.Join(testenv.SharedTestdata(t, "interop", "mimetreeparser", "autotests"), "gnupg_home"))
	out := map[string][]byte{}
	for _, fp := range fingerprints {
		out[fp] = g.run(nil, "--armor", "--export-secret-keys", fp)
		if len(out[fp]) == 0 {
			t.Fatalf("gpg exported nothing for %s", fp)
		}
	}
	return out
}

// TestGPGMessages reads messages whose OpenPGP parts GnuPG made: Alice's key
// lives in gpg, Bob reads with Sealpost.
func TestGPGMessages(t *testing.T) {
	k := people(t)
	g := newGPGHome(t, "")
	alice, err := k.alice.MarshalSecret()
	if err != nil {
		t.Fatalf("MarshalSecret: %v", err)
	}
	bob, err := k.bob.ArmorPublic()
	if err != nil {
		t.Fatalf("ArmorPublic: %v", err)
	}
	g.run(alice, "--import")
	g.run([]byte(bob), "--import")
	gpgPass := func(args ...string) []string { return append([]string{"--local-user", k.alice.Fingerprint()}, args...) }

	body := "Content-Type: text/plain; charset=utf-8\r\n\r\nfrom gpg with love\r\n"
	encrypted := g.run([]byte(body), gpgPass("--armor", "--sign", "--encrypt", "--recipient", k.bob.Fingerprint())...)
	detached := g.run([]byte(body), gpgPass("--armor", "--detach-sign")...)
	clearsigned := g.run([]byte("signed inline by gpg\n"), gpgPass("--clearsign")...)
	inline := g.run([]byte("encrypted inline by gpg\n"), gpgPass("--armor", "--sign", "--encrypt", "--recipient", k.bob.Fingerprint())...)

	now := time.Now() // gpg signs with the real clock
	from := "From: Alice <alice@example.org>\nTo: bob@example.org\nSubject: gpg\nDate: " + now.Format(time.RFC1123Z) + "\n"
	tests := []struct {
		name string
		msg  string
		enc  bool
		body string
	}{
		{"PGP/MIME signed and encrypted", from + pgpMIME(string(encrypted), "E"), true, "from gpg with love"},
		{"PGP/MIME signed", from + "Content-Type: multipart/signed; micalg=pgp-sha256; protocol=\"application/pgp-signature\"; boundary=S\r\n\r\n" +
			"--S\r\n" + body + "\r\n--S\r\nContent-Type: application/pgp-signature\r\n\r\n" + string(detached) + "\r\n--S--\r\n", false, "from gpg with love"},
		{"inline cleartext signed", from + "Content-Type: text/plain\n\n" + string(clearsigned), false, "signed inline by gpg"},
		{"inline signed and encrypted", from + "Content-Type: text/plain\n\n" + string(inline), true, "encrypted inline by gpg"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := bobReads(k)
			opts.Now = now
			r, err := Inspect([]byte(tc.msg), opts)
			if err != nil {
				t.Fatalf("Inspect error = %v, want nil", err)
			}
			s := r.Signature
			if r.Encrypted != tc.enc || r.IntegrityProtected != tc.enc || s.Status != crypto.SigValid || !s.SignerMatchesFrom || !s.CoversWholeMessage {
				t.Errorf("Encrypted %v, integrity %v, signature %+v, want %v, %v, valid by the sender over the whole message",
					r.Encrypted, r.IntegrityProtected, s, tc.enc, tc.enc)
			}
			if s.SignerFingerprint != k.alice.Fingerprint() {
				t.Errorf("SignerFingerprint = %q, want %q", s.SignerFingerprint, k.alice.Fingerprint())
			}
			if !strings.Contains(r.BodyText, tc.body) || len(r.Warnings) != 0 {
				t.Errorf("BodyText, Warnings = %q, %q, want it to contain %q and no warning", r.BodyText, r.Warnings, tc.body)
			}
		})
	}
}
