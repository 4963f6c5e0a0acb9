package verdict

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"

	"github.com/sealpost/sealpost/crypto/internal/testenv"
)

// fuzzLimits keep each fuzz input cheap while still exercising every limit.
var fuzzLimits = Limits{MaxDepth: 8, MaxParts: 64, MaxDecodedSize: 1 << 20}

// FuzzInspect checks that no input panics, hangs or escapes the limits.
// Seeds: testdata/fuzz/FuzzInspect (structural cases), and at run time the
// malformed MIME of enmime, the shared Thunderbird messages and a message
// that really decrypts with the fuzz reader's key.
func FuzzInspect(f *testing.F) {
	k := people(f)
	opts := bobReads(k)
	opts.Limits = fuzzLimits
	f.Add([]byte(header("Alice <alice@example.org>", "hi") + pgpMIME(encryptTo(f, k, k.alice,
		"Content-Type: multipart/mixed; boundary=M; hp=\"cipher\"\nSubject: s\n\n--M\nContent-Type: text/html\n\n<p>x</p>\n--M--\n"), "E")))
	for _, dir := range []string{
		filepath.Join("interop", "enmime", "testdata"),
		filepath.Join("interop", "thunderbird", "eml"),
	} {
		root := testenv.SharedTestdata(f, dir)
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			f.Add(data)
			return nil
		})
		if err != nil {
			f.Fatalf("seed corpus %s: %v", root, err)
		}
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		r, err := Inspect(raw, opts)
		if err != nil {
			return
		}
		if !utf8.ValidString(r.BodyText) {
			t.Errorf("BodyText is not valid UTF-8: %q", r.BodyText)
		}
		if len(r.Attachments) > fuzzLimits.MaxParts || len(r.Parts) > 2*fuzzLimits.MaxParts {
			t.Errorf("%d attachments, %d part verdicts, want at most %d, %d", len(r.Attachments), len(r.Parts), fuzzLimits.MaxParts, 2*fuzzLimits.MaxParts)
		}
		if len(r.BodyText) > int(fuzzLimits.MaxDecodedSize)+len(raw) {
			t.Errorf("BodyText is %d bytes for a %d-byte input, want it bounded", len(r.BodyText), len(raw))
		}
		if !r.Encrypted && r.IntegrityProtected {
			t.Errorf("IntegrityProtected without Encrypted")
		}
	})
}
