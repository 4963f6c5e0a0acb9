package main

import (
	"bytes"
	"context"
	"encoding/json"
	bolt "go.etcd.io/bbolt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sealpost/sealpost/crypto"
	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail"
)

// cheapKDF keeps profile unlocks fast in tests; the parameters live in the
// profile's header, so commands that open the profile use them too.
var cheapKDF = localstore.KDFParams{Time: 1, MemoryKiB: 8 * 1024, Threads: 1}

const testPassphrase = "correct horse battery staple"

// result is what one in-process command run produced.
type result struct {
	code     int
	out, err string
}

// sealpost runs one command in-process against profile dir.
func sealpost(t *testing.T, dir, passFile string, args ...string) result {
	t.Helper()
	full := append([]string{"--profile", dir, "--passphrase-file", passFile}, args...)
	var out, errOut bytes.Buffer
	code := run(context.Background(), full, stdio{in: strings.NewReader(""), out: &out, err: &errOut})
	return result{code, out.String(), errOut.String()}
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// newProfile creates a profile with cheap key derivation and returns its
// folder and passphrase file.
func newProfile(t *testing.T) (dir, passFile string) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "profile")
	p, err := mail.CreateProfile(dir, []byte(testPassphrase), &mail.ProfileOptions{Store: &localstore.Options{KDF: &cheapKDF}})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	return dir, writeFile(t, "pass", testPassphrase+"\n")
}

func mustSucceed(t *testing.T, r result) result {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("exit code = %d, want 0; stderr: %s", r.code, r.err)
	}
	return r
}

// failsWith asserts exit code code and exactly one stderr line containing want.
func failsWith(t *testing.T, r result, code int, want string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit code = %d, want %d; stdout %q, stderr %q", r.code, code, r.out, r.err)
	}
	if !strings.Contains(r.err, want) {
		t.Errorf("stderr = %q, want it to contain %q", r.err, want)
	}
	if code == 1 && strings.Count(strings.TrimSpace(r.err), "\n") != 0 {
		t.Errorf("stderr has several lines, want one: %q", r.err)
	}
}

func listKeys(t *testing.T, dir, passFile string) []keyJSON {
	t.Helper()
	r := mustSucceed(t, sealpost(t, dir, passFile, "keys", "list", "--json"))
	var keys []keyJSON
	if err := json.Unmarshal([]byte(r.out), &keys); err != nil {
		t.Fatalf("keys list --json is not JSON: %v\n%s", err, r.out)
	}
	return keys
}

func TestInit(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "profile")
	pass := writeFile(t, "pass", testPassphrase)
	r := mustSucceed(t, sealpost(t, dir, pass, "init"))
	if !strings.Contains(r.out, dir) {
		t.Errorf("init output = %q, want it to name %s", r.out, dir)
	}
	failsWith(t, sealpost(t, dir, pass, "init"), 1, "already holds a Sealpost profile")
	mustSucceed(t, sealpost(t, dir, pass, "audit", "verify"))

	wrong := writeFile(t, "wrong", "not the passphrase at all")
	failsWith(t, sealpost(t, dir, wrong, "keys", "list"), 1, "wrong passphrase")
}

func TestInitRefusesWeakPassphrase(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "profile")
	failsWith(t, sealpost(t, dir, writeFile(t, "pass", "short"), "init"), 1, "10")
	if mail.ProfileExists(dir) {
		t.Error("a profile was created with a weak passphrase")
	}
}

func TestCommandsNeedAProfile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "none")
	failsWith(t, sealpost(t, dir, writeFile(t, "pass", testPassphrase), "keys", "list"), 1, "sealpost init")
}

func TestUsageErrors(t *testing.T) {
	dir, pass := newProfile(t)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown command", []string{"frobnicate"}, "unknown command"},
		{"unknown flag", []string{"keys", "list", "--yaml"}, "flag provided but not defined"},
		{"generate without email", []string{"keys", "generate", "--name", "A"}, "--email"},
		{"bad algorithm", []string{"keys", "generate", "--email", "a@example.org", "--algo", "dsa"}, "--algo"},
		{"import without files", []string{"keys", "import"}, "unexpected arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			failsWith(t, sealpost(t, dir, pass, tt.args...), 2, tt.want)
		})
	}
}

func TestKeyLifecycle(t *testing.T) {
	dir, pass := newProfile(t)
	mustSucceed(t, sealpost(t, dir, pass, "keys", "generate", "--name", "Alice Example", "--email", "alice@example.org"))

	keys := listKeys(t, dir, pass)
	if len(keys) != 1 || keys[0].Type != "own" || !keys[0].Default || keys[0].Status != "usable" ||
		keys[0].Verification != "own" || keys[0].Emails[0] != "alice@example.org" || keys[0].Expires == "" {
		t.Fatalf("keys after generate = %+v, want one usable default own key for alice with an expiry", keys)
	}
	alice := keys[0].Fingerprint

	// Export Alice's public key and check it is only the public part.
	exported := mustSucceed(t, sealpost(t, dir, pass, "keys", "export", "--email", "alice@example.org")).out
	parsed, err := crypto.ParseKeys([]byte(exported))
	if err != nil || len(parsed) != 1 || parsed[0].IsSecret() || parsed[0].Fingerprint() != alice {
		t.Fatalf("exported public key: %v, %d keys", err, len(parsed))
	}

	// A contact's key, made elsewhere, is imported unverified.
	bob, err := crypto.GenerateKey(crypto.GenerateOptions{Name: "Bob", Email: "bob@example.net"})
	if err != nil {
		t.Fatal(err)
	}
	bobArmored, err := bob.ArmorPublic()
	if err != nil {
		t.Fatal(err)
	}
	bobFile := writeFile(t, "bob.asc", bobArmored)
	r := mustSucceed(t, sealpost(t, dir, pass, "keys", "import", bobFile))
	if !strings.HasPrefix(r.out, "new contact key") {
		t.Errorf("import output = %q, want a new contact key", r.out)
	}
	r = mustSucceed(t, sealpost(t, dir, pass, "keys", "import", bobFile))
	if !strings.HasPrefix(r.out, "unchanged contact key") {
		t.Errorf("second import output = %q, want unchanged", r.out)
	}
	contact := findKey(t, listKeys(t, dir, pass), bob.Fingerprint())
	if contact.Type != "contact" || contact.Verification != "unverified" || contact.Source != "import" {
		t.Fatalf("imported contact = %+v, want an unverified imported contact key", contact)
	}

	// Verification takes the fingerprint as people write it.
	mustSucceed(t, sealpost(t, dir, pass, "keys", "verify", mail.GroupFingerprint(bob.Fingerprint())))
	if got := findKey(t, listKeys(t, dir, pass), bob.Fingerprint()).Verification; got != "verified" {
		t.Errorf("verification after keys verify = %q, want verified", got)
	}

	// A second key for the same address is a visible warning.
	bob2, err := crypto.GenerateKey(crypto.GenerateOptions{Name: "Bob", Email: "bob@example.net"})
	if err != nil {
		t.Fatal(err)
	}
	bob2Armored, _ := bob2.ArmorPublic()
	r = mustSucceed(t, sealpost(t, dir, pass, "keys", "import", writeFile(t, "bob2.asc", bob2Armored)))
	if !strings.Contains(r.err, "warning: bob@example.net already had key") {
		t.Errorf("stderr = %q, want a key-change warning", r.err)
	}

	// Own keys are protected from accidental deletion; contacts' keys are not.
	failsWith(t, sealpost(t, dir, pass, "keys", "delete", alice), 1, "--force")
	mustSucceed(t, sealpost(t, dir, pass, "keys", "delete", bob2.Fingerprint()))
	if n := len(listKeys(t, dir, pass)); n != 2 {
		t.Errorf("keys after deleting bob2 = %d, want 2", n)
	}
	failsWith(t, sealpost(t, dir, pass, "keys", "delete", bob2.Fingerprint()), 1, "no such key")
	failsWith(t, sealpost(t, dir, pass, "keys", "verify", "1234"), 1, "40")

	// The audit trail names what happened, in order, and verifies.
	r = mustSucceed(t, sealpost(t, dir, pass, "audit", "list", "--json"))
	var entries []auditJSON
	if err := json.Unmarshal([]byte(r.out), &entries); err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range entries {
		kinds = append(kinds, e.Kind)
	}
	want := "profile.created key.generated key.imported key.verified key.imported key.deleted"
	if got := strings.Join(kinds, " "); got != want {
		t.Errorf("audit kinds = %q, want %q", got, want)
	}
	if r := mustSucceed(t, sealpost(t, dir, pass, "audit", "verify")); !strings.Contains(r.out, "6 entries") {
		t.Errorf("audit verify = %q, want 6 entries", r.out)
	}
}

func TestSecretExportRoundTrip(t *testing.T) {
	dir, pass := newProfile(t)
	mustSucceed(t, sealpost(t, dir, pass, "keys", "generate", "--name", "Alice", "--email", "alice@example.org"))
	exportPass := writeFile(t, "export-pass", "backup passphrase 42")
	r := mustSucceed(t, sealpost(t, dir, pass, "keys", "export", "--email", "alice@example.org", "--secret", "--export-passphrase-file", exportPass))
	if !strings.Contains(r.out, "PRIVATE KEY BLOCK") {
		t.Fatalf("secret export = %q, want an armored private key", r.out)
	}
	keys, err := crypto.ParseKeys([]byte(r.out))
	if err != nil || len(keys) != 1 || !keys[0].IsLocked() {
		t.Fatalf("exported secret key must be passphrase-protected: %v", err)
	}

	// Importing the backup into a new profile needs its passphrase.
	other, otherPass := newProfile(t)
	backup := writeFile(t, "backup.asc", r.out)
	failsWith(t, sealpost(t, other, otherPass, "keys", "import", "--key-passphrase-file", writeFile(t, "bad", "wrong passphrase!!"), backup), 1, "passphrase")
	mustSucceed(t, sealpost(t, other, otherPass, "keys", "import", "--key-passphrase-file", exportPass, backup))
	if k := listKeys(t, other, otherPass); len(k) != 1 || k[0].Type != "own" {
		t.Errorf("keys after importing the backup = %+v, want one own key", k)
	}
}

func TestRevoke(t *testing.T) {
	dir, pass := newProfile(t)
	mustSucceed(t, sealpost(t, dir, pass, "keys", "generate", "--name", "Alice", "--email", "alice@example.org"))
	fpr := listKeys(t, dir, pass)[0].Fingerprint
	r := mustSucceed(t, sealpost(t, dir, pass, "keys", "revoke", "--reason", "laptop stolen", fpr))
	keys, err := crypto.ParseKeys([]byte(r.out))
	if err != nil || len(keys) != 1 || !keys[0].IsRevoked() {
		t.Fatalf("revoke output must be the revoked public key: %v", err)
	}
	if k := listKeys(t, dir, pass)[0]; !k.Revoked || k.Status != "revoked" || k.Default {
		t.Errorf("key after revoke = %+v, want revoked, not default", k)
	}
}

func TestPasswd(t *testing.T) {
	dir, pass := newProfile(t)
	mustSucceed(t, sealpost(t, dir, pass, "keys", "generate", "--name", "Alice", "--email", "alice@example.org"))
	newPass := writeFile(t, "new", "an entirely new passphrase")
	failsWith(t, sealpost(t, dir, pass, "passwd", "--new-passphrase-file", writeFile(t, "weak", "weak")), 1, "10")
	mustSucceed(t, sealpost(t, dir, pass, "passwd", "--new-passphrase-file", newPass))
	failsWith(t, sealpost(t, dir, pass, "keys", "list"), 1, "wrong passphrase")
	if keys := listKeys(t, dir, newPass); len(keys) != 1 {
		t.Errorf("keys after passwd = %d, want 1", len(keys))
	}
	r := mustSucceed(t, sealpost(t, dir, newPass, "audit", "list"))
	if !strings.Contains(r.out, "profile.passphrase_changed") {
		t.Errorf("audit list = %q, want the passphrase change", r.out)
	}
}

func findKey(t *testing.T, keys []keyJSON, fpr string) keyJSON {
	t.Helper()
	for _, k := range keys {
		if k.Fingerprint == fpr {
			return k
		}
	}
	t.Fatalf("key %s not listed in %+v", fpr, keys)
	return keyJSON{}
}

func TestAuditVerifyDetectsTampering(t *testing.T) {
	dir, pass := newProfile(t)
	mustSucceed(t, sealpost(t, dir, pass, "keys", "generate", "--name", "Alice", "--email", "alice@example.org"))
	mustSucceed(t, sealpost(t, dir, pass, "keys", "generate", "--name", "Alice", "--email", "alice@work.example"))

	// Remove the middle entry directly in the database file, as an attacker
	// with access to the disk could.
	db, err := bolt.Open(filepath.Join(dir, localstore.DBFileName), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		c := tx.Bucket([]byte("audit")).Cursor()
		c.First()
		c.Next()
		return c.Delete()
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	r := sealpost(t, dir, pass, "audit", "verify")
	failsWith(t, r, 1, "tampered")
	if !strings.Contains(r.out, "problem:") {
		t.Errorf("audit verify stdout = %q, want the problems listed", r.out)
	}
}

// commandNamed returns the command table's entry for words.
func commandNamed(words string) command {
	for _, c := range commands() {
		if c.words == words {
			return c
		}
	}
	panic("no command " + words)
}
