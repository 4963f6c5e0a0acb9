package mail

import (
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"github.com/sealpost/sealpost/localstore"
)

func TestEngineSetDefaultKey(t *testing.T) {
	e := NewEngine(filepath.Join(t.TempDir(), "p"), &ProfileOptions{Store: &localstore.Options{KDF: &cheapKDF}})
	if err := e.SetDefaultKey(t.Context(), "0123456789ABCDEF0123456789ABCDEF01234567", "alice@example.org"); !errors.Is(err, ErrProfileLocked) {
		t.Fatalf("locked engine: got = %v, want ErrProfileLocked", err)
	}
	if err := e.CreateProfile(t.Context(), []byte("test passphrase 123")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Lock() })
	var first, second KeyInfo
	if err := e.with(t.Context(), func(p *Profile) error { first, second, _ = threeOwnKeys(t, p); return nil }); err != nil {
		t.Fatal(err)
	}
	if err := e.SetDefaultKey(t.Context(), second.Fingerprint, "Alice@Example.org"); err != nil {
		t.Fatalf("SetDefaultKey: %v", err)
	}
	keys, err := e.ListKeys(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if !slices.Contains(k.Emails, "alice@example.org") {
			continue // the work key is the default of its own address
		}
		if want := k.Fingerprint == second.Fingerprint; k.Default != want {
			t.Errorf("key %s: Default got = %v, want %v (first was %s)", k.Fingerprint, k.Default, want, first.Fingerprint)
		}
	}
	// What the composer says it signs with follows the default both ways.
	for _, want := range []KeyInfo{second, first} {
		if err := e.SetDefaultKey(t.Context(), want.Fingerprint, "alice@example.org"); err != nil {
			t.Fatal(err)
		}
		states, err := e.KeyStates(t.Context(), []string{"alice@example.org"})
		if err != nil || len(states) != 1 || states[0].Fingerprint != want.Fingerprint {
			t.Errorf("KeyStates after making %s the default: got = %+v, %v", want.Fingerprint, states, err)
		}
	}
}
