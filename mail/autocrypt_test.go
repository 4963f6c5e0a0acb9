package mail

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sealpost/sealpost/crypto"
	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail/backend"
)

func TestAutocryptHeaderTeachesAndWarns(t *testing.T) {
	// Alice's clock moves a minute per reading, so each message is newer.
	tick := time.Now().Add(-time.Hour)
	alice, err := CreateProfile(filepath.Join(t.TempDir(), "a"), []byte("test passphrase 123"), &ProfileOptions{
		Store: &localstore.Options{KDF: &cheapKDF},
		Now:   func() time.Time { tick = tick.Add(time.Minute); return tick },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer alice.Close()
	bob := newTestProfile(t)
	first, err := alice.Keys().GenerateKey("Alice", "alice@example.org", crypto.AlgoCurve25519, 0)
	if err != nil {
		t.Fatal(err)
	}
	compose := func() []byte {
		raw, err := alice.Composer().Compose("alice@example.org", backend.Draft{To: []string{"bob@example.net"}, Subject: "hi"}, backend.Security{Mode: ModePlain})
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	updates, err := bob.Keys().ObserveAutocrypt(compose(), nil)
	if err != nil || len(updates) != 1 || updates[0].Change != "first" || updates[0].Warning != "" {
		t.Fatalf("first message: %+v, %v", updates, err)
	}
	keys, _ := bob.Keys().ListKeys()
	if len(keys) != 1 || keys[0].Fingerprint != first.Fingerprint || keys[0].Source != "autocrypt" || keys[0].Verification != VerificationUnverified {
		t.Fatalf("bob's keys = %+v, want alice's key from Autocrypt, unverified", keys)
	}
	if updates, _ := bob.Keys().ObserveAutocrypt(compose(), nil); updates[0].Change != "same" {
		t.Errorf("second message: %+v, want the same key", updates)
	}

	// Alice's new key: bob is warned, and the audit trail records it.
	if err := alice.Keys().DeleteKey(first.Fingerprint, true); err != nil {
		t.Fatal(err)
	}
	second, err := alice.Keys().GenerateKey("Alice", "alice@example.org", crypto.AlgoCurve25519, 0)
	if err != nil {
		t.Fatal(err)
	}
	updates, err = bob.Keys().ObserveAutocrypt(compose(), nil)
	if err != nil || updates[0].Change != "changed" || !strings.Contains(updates[0].Warning, GroupFingerprint(second.Fingerprint)) {
		t.Fatalf("changed key: %+v, %v; want a warning naming the new key", updates, err)
	}
	entries, _ := bob.Audit().Entries()
	if last := entries[len(entries)-1]; last.Kind != AuditPeerKeyChanged && last.Kind != AuditKeyImported {
		t.Errorf("last audit entry = %s, want the key change recorded", last.Kind)
	}
	found := false
	for _, e := range entries {
		found = found || e.Kind == AuditPeerKeyChanged
	}
	if !found {
		t.Error("no key.changed audit entry")
	}
}

func TestGossipTeachesOtherRecipientsKeys(t *testing.T) {
	alice, bob := keyedPair(t)
	carol := newTestProfile(t)
	exchangeKeys(t, alice, "alice@example.org", carol, "carol@example.com")
	raw, err := alice.Composer().Compose("alice@example.org", backend.Draft{To: []string{"bob@example.net", "carol@example.com"}, Subject: "team"}, backend.Security{})
	if err != nil {
		t.Fatal(err)
	}
	v, err := bob.Inspector().Inspect(raw)
	if err != nil || len(v.Gossip) == 0 {
		t.Fatalf("bob's verdict has no gossip: %v, %+v", err, v.Gossip)
	}
	if _, err := bob.Keys().ObserveAutocrypt(raw, v.Gossip); err != nil {
		t.Fatal(err)
	}
	keys, err := bob.Keys().FindKeys("carol@example.com")
	if err != nil || len(keys) != 1 || keys[0].Source != "gossip" || keys[0].Verification != VerificationUnverified {
		t.Fatalf("carol's key at bob = %+v, %v; want one unverified key from gossip", keys, err)
	}
}

// TestPeerBatchRemembersHeaders observes several messages in one batch, as
// a sync does: a repeated header is parsed once and still counts for each
// message, and a new key in the same batch is seen and warned about.
func TestPeerBatchRemembersHeaders(t *testing.T) {
	alice, bob := keyedPair(t)
	msg := func() []byte {
		return compose(t, alice, "alice@example.org", backend.Draft{To: []string{"bob@example.net"}, Subject: "hi"}, ModePlain)
	}
	b := bob.keys.newPeerBatch()
	first, second := msg(), msg()
	for i, raw := range [][]byte{first, second} {
		if _, err := b.observeMessage(raw, nil); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	if len(b.headers) != 1 {
		t.Errorf("remembered headers: got = %d, want 1 (the same header twice)", len(b.headers))
	}
	own, err := alice.Keys().FindKeys("alice@example.org")
	if err != nil || len(own) != 1 {
		t.Fatalf("alice's own key: %v, %v", own, err)
	}
	if err := alice.Keys().DeleteKey(own[0].Fingerprint, true); err != nil {
		t.Fatal(err)
	}
	renewed, err := alice.Keys().GenerateKey("Alice", "alice@example.org", crypto.AlgoCurve25519, 0)
	if err != nil {
		t.Fatal(err)
	}
	updates, err := b.observeMessage(msg(), nil)
	if err != nil || len(updates) != 1 || updates[0].Change != "changed" || !strings.Contains(updates[0].Warning, GroupFingerprint(renewed.Fingerprint)) {
		t.Fatalf("new key in the same batch: %+v, %v; want a warning naming it", updates, err)
	}
	if err := b.flush(); err != nil {
		t.Fatal(err)
	}
}
