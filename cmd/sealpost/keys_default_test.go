package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"

	"github.com/sealpost/sealpost/crypto"
	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail"
)

// twoAddressKey makes an unprotected secret key with a user ID for each of
// alice@example.org and alice@work.example, in binary form.
func twoAddressKey(t *testing.T) []byte {
	t.Helper()
	cfg := &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA, Curve: packet.Curve25519}
	e, err := openpgp.NewEntity("Alice", "", "alice@example.org", cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.AddUserId("Alice", "", "alice@work.example", cfg); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := e.SerializePrivate(&buf, cfg); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// keysDefaultFixture is a profile with two own keys for alice@example.org
// (the first the default), one own key for alice@example.org and
// alice@work.example, and a contact key.
type keysDefaultFixture struct {
	dir, passFile            string
	first, second, both, bob string
}

func newKeysDefaultFixture(t *testing.T) keysDefaultFixture {
	t.Helper()
	dir, passFile := newProfile(t)
	p, err := mail.OpenProfile(dir, []byte(testPassphrase), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	f := keysDefaultFixture{dir: dir, passFile: passFile}
	for _, fpr := range []*string{&f.first, &f.second} {
		k, err := p.Keys().GenerateKey("Alice", "alice@example.org", crypto.AlgoCurve25519, 0)
		if err != nil {
			t.Fatal(err)
		}
		*fpr = k.Fingerprint
	}
	res, err := p.Keys().ImportKeys(twoAddressKey(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	f.both = res[0].Key.Fingerprint
	bob, err := crypto.GenerateKey(crypto.GenerateOptions{Name: "Bob", Email: "bob@example.net"})
	if err != nil {
		t.Fatal(err)
	}
	pub, err := bob.ArmorPublic()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Keys().ImportKeys([]byte(pub), nil); err != nil {
		t.Fatal(err)
	}
	f.bob = bob.Fingerprint()
	return f
}

// runKeysDefault runs `keys default` in-process, from the command table.
func runKeysDefault(f keysDefaultFixture, args ...string) (string, error) {
	var out, errOut bytes.Buffer
	env := &cliEnv{stdio: stdio{in: strings.NewReader(""), out: &out, err: &errOut}, profileDir: f.dir, passphraseFile: f.passFile}
	err := commandNamed("keys default").run(context.Background(), env, args)
	return out.String(), err
}

func defaultsOf(t *testing.T, f keysDefaultFixture) map[string]bool {
	t.Helper()
	p, err := mail.OpenProfile(f.dir, []byte(testPassphrase), &mail.ProfileOptions{Store: &localstore.Options{KDF: &cheapKDF}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
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

func TestKeysDefault(t *testing.T) {
	f := newKeysDefaultFixture(t)
	if got := defaultsOf(t, f); !got[f.first] || got[f.second] || got[f.both] {
		t.Fatalf("defaults before got = %v, want only the first key (%s)", got, f.first)
	}
	grouped := strings.Fields(mail.GroupFingerprint(f.second))
	tests := []struct {
		name     string
		args     []string
		wantErr  error
		wantOut  string
		defaults []string // the own keys that are defaults afterwards
	}{
		{"no fingerprint", nil, errUsage, "", []string{f.first}},
		{"not a fingerprint", []string{"ABCD"}, mail.ErrBadFingerprint, "", []string{f.first}},
		{"contact key", []string{f.bob}, mail.ErrKeyNotFound, "", []string{f.first}},
		{"address the key lacks", []string{f.second, "--email", "alice@work.example"}, mail.ErrKeyLacksAddress, "", []string{f.first}},
		{"several addresses need --email", []string{f.both}, errUsage, "", []string{f.first}},
		{"grouped fingerprint, only address", grouped, nil, "is now the default key for alice@example.org", []string{f.second}},
		{"--email before the fingerprint", []string{"--email", "alice@work.example", f.both}, nil,
			"is now the default key for alice@example.org, alice@work.example", []string{f.both}},
		{"--email after the fingerprint", []string{f.first, "--email", "ALICE@example.org"}, nil, "is now the default key for alice@example.org", []string{f.first}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := runKeysDefault(f, tt.args...)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error got = %v, want %v", err, tt.wantErr)
			}
			if !strings.Contains(out, tt.wantOut) {
				t.Errorf("output got = %q, want it to contain %q", out, tt.wantOut)
			}
			got := defaultsOf(t, f)
			for _, fpr := range []string{f.first, f.second, f.both} {
				want := false
				for _, d := range tt.defaults {
					want = want || d == fpr
				}
				if got[fpr] != want {
					t.Errorf("key %s: Default got = %v, want %v", fpr, got[fpr], want)
				}
			}
		})
	}
}
