package travel

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sealpost/sealpost/mail/backend"
)

// sharedTestdata returns ../shared/testdata relative to the module root:
// the real mail shared by Sealpost's tests (see its README), or "" when it
// is absent.
func sharedTestdata() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
	root := filepath.Join(dir, "..", "shared", "testdata")
	if _, err := os.Stat(root); err != nil {
		return ""
	}
	return root
}

// noKeys is a lookup that finds no key: fuzzing does no network I/O.
func noKeys(context.Context, string) ([]string, error) {
	return nil, &net.DNSError{Err: "no such host", IsNotFound: true}
}

// seedFiles returns the .eml files of this package's testdata and, when
// present, the shared malformed MIME inputs and DKIM-signed provider mail.
func seedFiles(t testing.TB) []string {
	files, _ := filepath.Glob("testdata/*.eml")
	shared := sharedTestdata()
	if shared == "" {
		t.Log("the shared test data (../shared/testdata) is absent: only this package's seeds are used")
		return files
	}
	for _, dir := range []string{
		filepath.Join(shared, "interop/enmime/testdata"),
		filepath.Join(shared, "interop/deltachat-core-rust/test-data/message/dkimchecks-2022-09-28"),
	} {
		_ = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				files = append(files, path)
			}
			return nil
		})
	}
	return files
}

// checkEvidence fails t if ev breaks what every caller relies on.
func checkEvidence(t *testing.T, ev *backend.Travel) {
	t.Helper()
	if ev == nil {
		t.Fatal("Examine returned nil")
	}
	if len(ev.Hops) > maxReceived {
		t.Errorf("%d hops, more than %d", len(ev.Hops), maxReceived)
	}
	for _, h := range ev.Hops {
		if h.Encryption != backend.HopTLS && h.Encryption != backend.HopNotStated {
			t.Errorf("hop encryption %q", h.Encryption)
		}
		if h.From == "" && h.By == "" {
			t.Errorf("a hop without hosts: %+v", h)
		}
	}
	if len(ev.DKIM) > maxSignatures {
		t.Errorf("%d DKIM checks, more than %d", len(ev.DKIM), maxSignatures)
	}
	for _, c := range ev.DKIM {
		switch c.Result {
		case backend.DKIMFail, backend.DKIMNotChecked:
		default:
			// No key is ever found, so nothing can pass.
			t.Errorf("DKIM result %q without a key", c.Result)
		}
	}
	if ev.Provider != nil && !inDomain(ev.Provider.AuthServID, "provider.net") {
		t.Errorf("trusted a foreign authserv-id %q", ev.Provider.AuthServID)
	}
}

func FuzzExamine(f *testing.F) {
	for _, path := range seedFiles(f) {
		if raw, err := os.ReadFile(path); err == nil && len(raw) < 1<<20 {
			f.Add(raw)
		}
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		ev := Examine(context.Background(), raw, Options{ProviderDomain: "provider.net", Resolver: NewResolver(noKeys)})
		checkEvidence(t, ev)
	})
}

// TestExamineRealMail runs every seed, and the shared real mail when it is
// present, through Examine: no panic, no hang, and the invariants hold.
func TestExamineRealMail(t *testing.T) {
	files := seedFiles(t)
	shared := sharedTestdata()
	for _, path := range files {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		ev := Examine(ctx, raw, Options{ProviderDomain: "provider.net", Resolver: NewResolver(noKeys)})
		cancel()
		t.Run(strings.TrimPrefix(path, shared+"/"), func(t *testing.T) { checkEvidence(t, ev) })
	}
}

func TestExamineSeeds(t *testing.T) {
	raw, err := os.ReadFile("testdata/postfix-delivered.eml")
	if err != nil {
		t.Fatal(err)
	}
	ev := Examine(context.Background(), raw, Options{ProviderDomain: "provider.net"})
	if len(ev.Hops) != 3 {
		t.Fatalf("got %d hops, want 3", len(ev.Hops))
	}
	mx := ev.Hops[1]
	if mx.From != "mx.example.com" || mx.By != "mail.provider.net" || mx.TLSVersion != "TLS 1.3" || !mx.ByProvider {
		t.Errorf("the provider's entry hop = %+v", mx)
	}
	if ev.Hops[0].ByProvider {
		t.Errorf("the sender's hop is marked as the provider's: %+v", ev.Hops[0])
	}
	if ev.Provider == nil || ev.Provider.DKIM != "pass" || ev.Provider.DMARC != "pass" {
		t.Errorf("provider results = %+v, want the provider's dkim and dmarc pass", ev.Provider)
	}

	// A sender who writes a pass for a bank below the provider's entry point
	// and a Received field claiming the bank's server used TLS: neither
	// counts.
	raw, err = os.ReadFile("testdata/forged-chain.eml")
	if err != nil {
		t.Fatal(err)
	}
	ev = Examine(context.Background(), raw, Options{ProviderDomain: "provider.net"})
	if ev.Provider != nil && ev.Provider.DKIM == "pass" {
		t.Errorf("a forged Authentication-Results field was trusted: %+v", ev.Provider)
	}
	if len(ev.Hops) != 3 || ev.Hops[0].ByProvider {
		t.Errorf("the forged Received field counts as the provider's: %+v", ev.Hops)
	}
}
