package mail

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sealpost/sealpost/crypto"
	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail/backend"
)

var cheapKDF = localstore.KDFParams{Time: 1, MemoryKiB: 8 * 1024, Threads: 1}

func newTestProfile(t testing.TB) *Profile {
	t.Helper()
	p, err := CreateProfile(filepath.Join(t.TempDir(), "p"), []byte("test passphrase 123"), &ProfileOptions{Store: &localstore.Options{KDF: &cheapKDF}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func armoredPublic(t *testing.T, k *crypto.Key) []byte {
	t.Helper()
	a, err := k.ArmorPublic()
	if err != nil {
		t.Fatal(err)
	}
	return []byte(a)
}

func TestContactKeyRevocationIsAnUpdate(t *testing.T) {
	p := newTestProfile(t)
	bob, err := crypto.GenerateKey(crypto.GenerateOptions{Name: "Bob", Email: "bob@example.net"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Keys().ImportKeys(armoredPublic(t, bob), nil); err != nil {
		t.Fatal(err)
	}
	if err := bob.Revoke("compromised", time.Now()); err != nil {
		t.Fatal(err)
	}
	res, err := p.Keys().ImportKeys(armoredPublic(t, bob), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0].Status != "updated" || !res[0].Key.Revoked || res[0].Key.Usable != "revoked" {
		t.Fatalf("import of the revocation = %+v, want an update to a revoked key", res)
	}
	hist := res[0].Key.History
	if len(hist) != 2 || hist[1].Event != "updated" || !strings.Contains(hist[1].Detail, "key revoked") {
		t.Errorf("history = %+v, want the revocation recorded", hist)
	}
}

func TestPublicUpdateOfOwnKeyMerges(t *testing.T) {
	p := newTestProfile(t)
	info, err := p.Keys().GenerateKey("Alice", "alice@example.org", crypto.AlgoCurve25519, 0)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := p.Keys().ExportPublic(info.Fingerprint)
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Keys().ImportKeys([]byte(pub), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0].Status != "unchanged" || !res[0].Key.Own {
		t.Fatalf("re-importing own public key = %+v, want unchanged own key", res)
	}
	keys, err := p.Keys().ListKeys()
	if err != nil || len(keys) != 1 {
		t.Fatalf("keys = %+v, %v; want only the own key (no contact copy)", keys, err)
	}
}

func TestProtectedSecretKeyNeedsPassphrase(t *testing.T) {
	p := newTestProfile(t)
	k, err := crypto.GenerateKey(crypto.GenerateOptions{Name: "Carol", Email: "carol@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	armored, err := k.ExportSecret([]byte("carol's backup pass"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Keys().ImportKeys([]byte(armored), nil); !errors.Is(err, ErrKeyPassphraseNeeded) {
		t.Fatalf("import without passphrase: err = %v, want ErrKeyPassphraseNeeded", err)
	}
	asked := 0
	res, err := p.Keys().ImportKeys([]byte(armored), func(fpr string, uids []string) ([]byte, error) {
		asked++
		if fpr != k.Fingerprint() {
			t.Errorf("asked for %s, want %s", fpr, k.Fingerprint())
		}
		return []byte("carol's backup pass"), nil
	})
	if err != nil || asked != 1 || len(res) != 1 || !res[0].Key.Own || !res[0].Key.Default {
		t.Fatalf("import with passphrase = %+v, %v (asked %d times)", res, err, asked)
	}
}

func TestNormalizeFingerprint(t *testing.T) {
	const fpr = "0123456789ABCDEF0123456789ABCDEF01234567"
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{"0123 4567 89AB CDEF 0123  4567 89AB CDEF 0123 4567", fpr, false},
		{"0x" + strings.ToLower(fpr), fpr, false},
		{"01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67", fpr, false},
		{"89ABCDEF01234567", "", true},
		{strings.Replace(fpr, "0", "G", 1), "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := NormalizeFingerprint(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("NormalizeFingerprint(%q) = %q, %v; want %q (error %v)", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

// threeOwnKeys generates two own keys for alice@example.org, then one for
// alice@work.example, in that order.
func threeOwnKeys(t *testing.T, p *Profile) (first, second, work KeyInfo) {
	t.Helper()
	var keys [3]KeyInfo
	for i, uid := range [][2]string{{"Alice", "alice@example.org"}, {"Alice", "alice@example.org"}, {"Alice at work", "alice@work.example"}} {
		k, err := p.Keys().GenerateKey(uid[0], uid[1], crypto.AlgoCurve25519, 0)
		if err != nil {
			t.Fatal(err)
		}
		keys[i] = k
	}
	return keys[0], keys[1], keys[2]
}

func TestDefaultKeyPerAddress(t *testing.T) {
	p := newTestProfile(t)
	alice, second, work := threeOwnKeys(t, p)
	keys, err := p.Keys().ListKeys()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{alice.Fingerprint: true, second.Fingerprint: false, work.Fingerprint: true}
	for _, k := range keys {
		if k.Default != want[k.Fingerprint] {
			t.Errorf("key %s (%v): default = %v, want %v", k.Fingerprint, k.UserIDs, k.Default, want[k.Fingerprint])
		}
	}
}

func TestSettingsRoundTrip(t *testing.T) {
	p := newTestProfile(t)
	s, err := p.Settings().Get()
	if err != nil || s.AutoLockMinutes != 15 {
		t.Fatalf("default settings = %+v, %v; want auto-lock after 15 minutes", s, err)
	}
	s.AutoLockMinutes = 5
	if err := p.Settings().Save(s); err != nil {
		t.Fatal(err)
	}
	if got, _ := p.Settings().Get(); got.AutoLockMinutes != 5 {
		t.Errorf("settings after save = %+v", got)
	}
}

// signerOf composes a signed note from alice@example.org to herself and
// returns the fingerprint of the key that signed it.
func signerOf(t *testing.T, p *Profile) string {
	t.Helper()
	raw, err := p.Composer().Compose("alice@example.org", backend.Draft{To: []string{"alice@example.org"}, Subject: "which key", Body: "hello\n"},
		backend.Security{Mode: ModeSign})
	if err != nil {
		t.Fatalf("compose: %v", err)
	}
	v, err := p.Inspector().Inspect(raw)
	if err != nil {
		t.Fatalf("inspect: %v", err)
	}
	return v.Signature.SignerFingerprint
}

func TestSetDefaultKeySignsWithTheChosenKey(t *testing.T) {
	p := newTestProfile(t)
	first, second, work := threeOwnKeys(t, p)
	if got := signerOf(t, p); got != first.Fingerprint {
		t.Fatalf("signer before choosing got = %s, want the first key %s", got, first.Fingerprint)
	}
	defaults := func() map[string]bool {
		keys, err := p.Keys().ListKeys()
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]bool{}
		for _, k := range keys {
			out[k.Fingerprint] = k.Default
		}
		return out
	}
	auditCount := func() int {
		entries, err := p.Audit().Entries()
		if err != nil {
			t.Fatal(err)
		}
		return len(entries)
	}

	for _, tt := range []struct {
		name     string
		fpr      string
		signer   string
		defaults map[string]bool
		audited  bool
	}{
		{"second key", second.Fingerprint, second.Fingerprint, map[string]bool{first.Fingerprint: false, second.Fingerprint: true, work.Fingerprint: true}, true},
		{"again is a no-op", second.Fingerprint, second.Fingerprint, map[string]bool{first.Fingerprint: false, second.Fingerprint: true, work.Fingerprint: true}, false},
		{"back to the first", first.Fingerprint, first.Fingerprint, map[string]bool{first.Fingerprint: true, second.Fingerprint: false, work.Fingerprint: true}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := auditCount()
			if err := p.Keys().SetDefaultKey(GroupFingerprint(tt.fpr), "alice@example.org"); err != nil {
				t.Fatalf("SetDefaultKey: %v", err)
			}
			for fpr, want := range tt.defaults {
				if got := defaults()[fpr]; got != want {
					t.Errorf("key %s: Default got = %v, want %v", fpr, got, want)
				}
			}
			if got := signerOf(t, p); got != tt.signer {
				t.Errorf("signer got = %s, want %s", got, tt.signer)
			}
			entries, err := p.Audit().Entries()
			if err != nil {
				t.Fatal(err)
			}
			added := len(entries) - before
			switch {
			case !tt.audited && added != 0:
				t.Errorf("audit entries added got = %d, want 0", added)
			case tt.audited && (added != 1 || entries[len(entries)-1].Kind != AuditKeyDefault || entries[len(entries)-1].Subject != tt.fpr):
				t.Errorf("audit entries added got = %d (last %+v), want one %s entry for %s", added, entries[len(entries)-1], AuditKeyDefault, tt.fpr)
			}
		})
	}
}

func TestSetDefaultKeyRefuses(t *testing.T) {
	p := newTestProfile(t)
	own, err := p.Keys().GenerateKey("Alice", "alice@example.org", crypto.AlgoCurve25519, 0)
	if err != nil {
		t.Fatal(err)
	}
	revoked, err := p.Keys().GenerateKey("Alice", "alice@example.org", crypto.AlgoCurve25519, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Keys().RevokeKey(revoked.Fingerprint, "test"); err != nil {
		t.Fatal(err)
	}
	bob, err := crypto.GenerateKey(crypto.GenerateOptions{Name: "Bob", Email: "bob@example.net"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Keys().ImportKeys(armoredPublic(t, bob), nil); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, fpr, email string
		want             error
	}{
		{"address not on the key", own.Fingerprint, "alice@work.example", ErrKeyLacksAddress},
		{"contact key", bob.Fingerprint(), "bob@example.net", ErrKeyNotFound},
		{"revoked key", revoked.Fingerprint, "alice@example.org", ErrKeyNotUsable},
		{"bad fingerprint", "1234", "alice@example.org", ErrBadFingerprint},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := p.Keys().SetDefaultKey(tt.fpr, tt.email); !errors.Is(err, tt.want) {
				t.Errorf("got = %v, want %v", err, tt.want)
			}
		})
	}
	keys, err := p.Keys().ListKeys()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if want := k.Fingerprint == own.Fingerprint; k.Default != want {
			t.Errorf("key %s after refusals: Default got = %v, want %v", k.Fingerprint, k.Default, want)
		}
	}
}
