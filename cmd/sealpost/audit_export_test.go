package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// gpgVerify runs the real gpg on a report in a throwaway GnuPG home that
// holds only pub: its status lines and whether gpg accepted the
// signature. It skips the test when gpg is not installed.
func gpgVerify(t *testing.T, pub, report string) (status string, ok bool) {
	t.Helper()
	bin, err := exec.LookPath("gpg")
	if err != nil {
		t.Skip("gpg is not installed: the signed report is not checked with GnuPG")
	}
	home, err := os.MkdirTemp("/tmp", "spa") // short: the agent's socket lives there
	if err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "GNUPGHOME="+home, "LC_ALL=C")
	t.Cleanup(func() {
		kill := exec.Command("gpgconf", "--kill", "all")
		kill.Env = env
		_ = kill.Run() // best effort: the home goes next
		os.RemoveAll(home)
	})
	gpg := func(stdin []byte, args ...string) (string, error) {
		c := exec.Command(bin, append([]string{"--batch", "--no-tty", "--status-fd", "2", "--trust-model", "always"}, args...)...)
		c.Env, c.Stdin = env, bytes.NewReader(stdin)
		var errOut bytes.Buffer
		c.Stderr = &errOut
		err := c.Run()
		return errOut.String(), err
	}
	if out, err := gpg([]byte(pub), "--import"); err != nil {
		t.Fatalf("gpg --import: %v\n%s", err, out)
	}
	status, err = gpg(nil, "--verify", report)
	return status, err == nil
}

// TestAuditExport: the plain report lists the trail with its hashes and
// the chain's state, filtered by contact on request; the signed one is a
// cleartext signature by the user's own key that the real gpg verifies,
// and that gpg rejects once the report is changed.
func TestAuditExport(t *testing.T) {
	dir, pass := newProfile(t)
	mustSucceed(t, sealpost(t, dir, pass, "keys", "generate", "--name", "Alice", "--email", "alice@example.org"))
	bob := writeFile(t, "bob.asc", mustSucceed(t, func() result {
		other, otherPass := newProfile(t)
		mustSucceed(t, sealpost(t, other, otherPass, "keys", "generate", "--name", "Bob", "--email", "bob@example.net"))
		return sealpost(t, other, otherPass, "keys", "export", "--email", "bob@example.net")
	}()).out)
	mustSucceed(t, sealpost(t, dir, pass, "keys", "import", bob))

	plain := mustSucceed(t, sealpost(t, dir, pass, "audit", "export")).out
	for _, want := range []string{"Sealpost audit report", "Hash chain: intact, 3 entries verified", "profile.created",
		"key.generated", "key.imported", "Bob <bob@example.net>", "hash: "} {
		if !strings.Contains(plain, want) {
			t.Errorf("plain report lacks %q:\n%s", want, plain)
		}
	}
	if strings.Contains(plain, "BEGIN PGP") {
		t.Error("the plain report is signed")
	}
	only := mustSucceed(t, sealpost(t, dir, pass, "audit", "export", "--contact", "BOB@example.net")).out
	if !strings.Contains(only, "Only the entries that mention BOB@example.net: 1 of 3") || strings.Contains(only, "key.generated") {
		t.Errorf("report for bob:\n%s", only)
	}

	file := filepath.Join(t.TempDir(), "audit.asc")
	r := mustSucceed(t, sealpost(t, dir, pass, "audit", "export", "--signed", "--output", file))
	if !strings.Contains(r.err, "gpg --verify "+file) {
		t.Errorf("stderr = %q, want how to check the report", r.err)
	}
	st, err := os.Stat(file)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("report file: %v, mode %v; want 0600", err, st)
	}
	signed, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(signed, []byte("-----BEGIN PGP SIGNED MESSAGE-----")) || !bytes.Contains(signed, []byte("key.imported")) {
		t.Fatalf("signed report:\n%s", signed)
	}
	pub := mustSucceed(t, sealpost(t, dir, pass, "keys", "export", "--email", "alice@example.org")).out
	status, ok := gpgVerify(t, pub, file)
	if !ok || !strings.Contains(status, "[GNUPG:] GOODSIG") || !strings.Contains(status, "Alice <alice@example.org>") {
		t.Errorf("gpg --verify: ok %v, status:\n%s", ok, status)
	}
	changed := writeFile(t, "changed.asc", strings.Replace(string(signed), "key.imported", "key.verified", 1))
	if status, ok := gpgVerify(t, pub, changed); ok || !strings.Contains(status, "[GNUPG:] BADSIG") {
		t.Errorf("gpg --verify of a changed report: ok %v, status:\n%s", ok, status)
	}

	failsWith(t, sealpost(t, dir, pass, "audit", "export", "--signed", "--output", file), 1, "exists")
	failsWith(t, sealpost(t, dir, pass, "audit", "export", "--key", "alice@example.org"), 2, "--key needs --signed")
	failsWith(t, sealpost(t, dir, pass, "audit", "export", "--signed", "--key", "bob@example.net"), 1, "no own secret key")
}

// TestAuditExportNeedsAnOwnKey: with no own key nothing signs, and the
// error says how to get one; with two, the user must name one.
func TestAuditExportNeedsAnOwnKey(t *testing.T) {
	dir, pass := newProfile(t)
	failsWith(t, sealpost(t, dir, pass, "audit", "export", "--signed"), 1, "sealpost keys generate")
	mustSucceed(t, sealpost(t, dir, pass, "keys", "generate", "--name", "Alice", "--email", "alice@example.org"))
	mustSucceed(t, sealpost(t, dir, pass, "keys", "generate", "--name", "Alice", "--email", "alice@example.com"))
	failsWith(t, sealpost(t, dir, pass, "audit", "export", "--signed"), 1, "--key")
	r := mustSucceed(t, sealpost(t, dir, pass, "audit", "export", "--signed", "--key", "alice@example.com"))
	if !strings.HasPrefix(r.out, "-----BEGIN PGP SIGNED MESSAGE-----") {
		t.Errorf("stdout = %.80q, want the signed report", r.out)
	}
}
