package mail

import (
	"path/filepath"
	"slices"
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

// teamMail makes alice, bob and carol (with each other's keys) and returns
// alice's encrypted message to bob and carol as bob receives it, and the
// gossip bob's verdict found inside.
func teamMail(t testing.TB) (alice, bob *Profile, raw []byte, gossip []string) {
	t.Helper()
	alice, bob = keyedPair(t)
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
	return alice, bob, raw, v.Gossip
}

func TestGossipTeachesOtherRecipientsKeys(t *testing.T) {
	_, bob, raw, gossip := teamMail(t)
	if _, err := bob.Keys().ObserveAutocrypt(raw, gossip); err != nil {
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

// TestPeerBatchRemembersGossip: gossip repeated to the same recipients is
// selected once per batch and still counts for each message, while the
// same gossip in a message to other recipients is selected anew, so that
// it teaches nothing about an address the message was not sent to.
func TestPeerBatchRemembersGossip(t *testing.T) {
	alice, bob, team, gossip := teamMail(t)
	learnt := func(updates []PeerUpdate) bool {
		return slices.ContainsFunc(updates, func(u PeerUpdate) bool { return u.Address == "carol@example.com" })
	}
	b := bob.keys.newPeerBatch()
	for i := range 2 {
		updates, err := b.observeMessage(team, gossip)
		if err != nil || !learnt(updates) {
			t.Fatalf("team message %d: %+v, %v; want carol's gossip applied", i+1, updates, err)
		}
	}
	if len(b.gossip) != 1 {
		t.Errorf("remembered gossip: got = %d, want 1 (the same gossip twice)", len(b.gossip))
	}
	alone, err := alice.Composer().Compose("alice@example.org", backend.Draft{To: []string{"bob@example.net"}, Subject: "just you"}, backend.Security{})
	if err != nil {
		t.Fatal(err)
	}
	updates, err := b.observeMessage(alone, gossip)
	if err != nil || learnt(updates) {
		t.Fatalf("message to bob alone with the team's gossip: %+v, %v; want nothing learnt about carol", updates, err)
	}
	if len(b.gossip) != 2 {
		t.Errorf("remembered gossip: got = %d, want 2", len(b.gossip))
	}
}

// TestCacheKeyIsUnambiguous: lists that join to the same text give
// different keys.
func TestCacheKeyIsUnambiguous(t *testing.T) {
	keys := map[string][]string{}
	for _, lists := range [][][]string{
		{{"a\x00b"}, {"c"}},
		{{"a"}, {"b", "c"}},
		{{"a", "b"}, {"c"}},
		{{"a", "b", "c"}, nil},
		{{"ab"}, {"c"}},
	} {
		k := cacheKey(lists...)
		if prev, ok := keys[k]; ok {
			t.Errorf("cacheKey(%q) = cacheKey(%q)", lists, prev)
		}
		keys[k] = slices.Concat(lists...)
	}
}

// BenchmarkObserveGossip measures what a sync's Autocrypt pass spends on
// one encrypted message to a group, carrying gossip, in a batch that has
// seen such messages before.
func BenchmarkObserveGossip(b *testing.B) {
	_, bob, team, gossip := teamMail(b)
	batch := bob.keys.newPeerBatch()
	for b.Loop() {
		if _, err := batch.observeMessage(team, gossip); err != nil {
			b.Fatal(err)
		}
	}
}

// TestPeerBatchReadsEachHeaderAnew: a batch reads every message's header
// through one reader; a short header after a long one is read on its own,
// with nothing left of the one before.
func TestPeerBatchReadsEachHeaderAnew(t *testing.T) {
	alice, bob := keyedPair(t)
	long := compose(t, alice, "alice@example.org", backend.Draft{To: []string{"bob@example.net"}, Subject: "hi"}, ModePlain)
	short := []byte("From: dave@example.com\r\nDate: Sun, 6 Dec 2026 03:53:47 +0000\r\n\r\nhello\r\n")
	b := bob.keys.newPeerBatch()
	for i, m := range []struct {
		raw  []byte
		from string
	}{{long, "alice@example.org"}, {short, "dave@example.com"}, {long, "alice@example.org"}, {[]byte("\r\n"), ""}} {
		updates, err := b.observeMessage(m.raw, nil)
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		switch {
		case m.from == "" && len(updates) != 0:
			t.Errorf("message %d has no sender, yet: %+v", i, updates)
		case m.from != "" && (len(updates) != 1 || updates[0].Address != m.from):
			t.Errorf("message %d: updates %+v, want one for %s", i, updates, m.from)
		}
	}
}

// BenchmarkObserveHeader measures what a sync's Autocrypt pass spends on
// one plain message whose sender's Autocrypt header the batch has seen.
func BenchmarkObserveHeader(b *testing.B) {
	alice, bob := keyedPair(b)
	raw := compose(b, alice, "alice@example.org", backend.Draft{To: []string{"bob@example.net"}, Subject: "hi"}, ModePlain)
	batch := bob.keys.newPeerBatch()
	for b.Loop() {
		if _, err := batch.observeMessage(raw, nil); err != nil {
			b.Fatal(err)
		}
	}
}
