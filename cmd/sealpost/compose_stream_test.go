package main

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestComposeAttachmentStreams: an attachment streams from its file into the
// composed message, and inspect describes it by size and SHA-256; an
// attachment that cannot be read writes no message and leaves an existing
// output file alone.
func TestComposeAttachmentStreams(t *testing.T) {
	aliceDir, bobDir, pass := twoProfilesWithKeys(t)
	data := strings.Repeat("0123456789", 300_000) // 3 MB
	att := writeFile(t, "report.csv", data)
	out := filepath.Join(t.TempDir(), "m.eml")
	r := mustSucceed(t, sealpost(t, aliceDir, pass, "compose", "--from", "alice@example.org", "--to", "bob@example.net",
		"--subject", "Report", "--attach", att, "--output", out))
	st, err := os.Stat(out)
	if err != nil || st.Mode().Perm() != 0o600 || !strings.Contains(r.out, "Wrote "+out) {
		t.Fatalf("output %v (mode %v), stdout %q; want a 0600 file reported", err, st.Mode(), r.out)
	}
	sum := sha256.Sum256([]byte(data))
	v := inspect(t, bobDir, pass, out)[0]
	if !v.IntegrityProtected || len(v.Attachments) != 1 || v.Attachments[0].Filename != "report.csv" ||
		v.Attachments[0].Size != int64(len(data)) || v.Attachments[0].SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("bob's verdict = %+v", v)
	}

	before, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	failsWith(t, sealpost(t, aliceDir, pass, "compose", "--from", "alice@example.org", "--to", "bob@example.net",
		"--attach", t.TempDir(), "--output", out), 1, "is a directory")
	failsWith(t, sealpost(t, aliceDir, pass, "compose", "--from", "alice@example.org", "--to", "bob@example.net",
		"--attach", filepath.Join(t.TempDir(), "missing"), "--output", out), 1, "missing")
	if after, err := os.ReadFile(out); err != nil || string(after) != string(before) {
		t.Errorf("a refused message changed the existing output file (%v)", err)
	}
	failsWith(t, sealpost(t, aliceDir, pass, "compose", "--from", "alice@example.org", "--to", "bob@example.net",
		"--output", filepath.Join(t.TempDir(), "no", "such", "dir.eml")), 1, "dir.eml")
}
