package autocrypt

import (
	"reflect"
	"testing"
	"time"
)

func header(t *testing.T, value string) *Header {
	t.Helper()
	h, err := Parse(value, t0.Add(time.Minute))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return h
}

func TestUpdate(t *testing.T) {
	const addr = "alice@example.org"
	k1 := keydata(t, newKey(t, addr, 0))
	k2 := keydata(t, newKey(t, addr, 0))
	h1 := header(t, "addr="+addr+"; prefer-encrypt=mutual; keydata="+k1)
	h1NoPref := header(t, "addr="+addr+"; keydata="+k1)
	h2 := header(t, "addr="+addr+"; keydata="+k2)
	bob := header(t, "addr=bob@example.org; keydata="+keydata(t, newKey(t, "bob@example.org", 0)))
	fpr1, fpr2 := h1.Fingerprint(), h2.Fingerprint()

	day := 24 * time.Hour
	d1, d2, d3 := t0.Add(day), t0.Add(2*day), t0.Add(3*day)
	now := t0.Add(10 * day)
	// known: a peer seen at d2 with key 1, mutual.
	known := PeerState{Addr: addr, LastSeen: d2, AutocryptTimestamp: d2, PublicKey: h1.KeyData,
		PublicKeyFingerprint: fpr1, PreferEncrypt: Mutual}
	// gossiped: a peer known only through gossip of key 2 at d2.
	gossiped := PeerState{Addr: addr, GossipTimestamp: d2, GossipKey: h2.KeyData, GossipKeyFingerprint: fpr2}

	tests := []struct {
		name    string
		state   PeerState
		obs     Observation
		want    PeerState
		wantChg Change
	}{
		{
			name:    "first header",
			obs:     Observation{From: "Alice@Example.org", Date: d1, Header: h1},
			want:    PeerState{Addr: addr, LastSeen: d1, AutocryptTimestamp: d1, PublicKey: h1.KeyData, PublicKeyFingerprint: fpr1, PreferEncrypt: Mutual},
			wantChg: Change{Updated: true, Key: KeyFirst, NewFingerprint: fpr1},
		},
		{
			name:    "first message without header",
			obs:     Observation{From: addr, Date: d1},
			want:    PeerState{Addr: addr, LastSeen: d1},
			wantChg: Change{Updated: true, Key: KeyNone, Ignored: IgnoredNoHeader},
		},
		{
			name:  "newer header same key",
			state: known,
			obs:   Observation{From: addr, Date: d3, Header: h1},
			want: PeerState{Addr: addr, LastSeen: d3, AutocryptTimestamp: d3, PublicKey: h1.KeyData,
				PublicKeyFingerprint: fpr1, PreferEncrypt: Mutual},
			wantChg: Change{Updated: true, Key: KeySame, OldFingerprint: fpr1, NewFingerprint: fpr1},
		},
		{
			name:    "same message again",
			state:   known,
			obs:     Observation{From: addr, Date: d2, Header: h1},
			want:    known,
			wantChg: Change{Key: KeySame, OldFingerprint: fpr1, NewFingerprint: fpr1},
		},
		{
			name:  "newer header drops preference",
			state: known,
			obs:   Observation{From: addr, Date: d3, Header: h1NoPref},
			want: PeerState{Addr: addr, LastSeen: d3, AutocryptTimestamp: d3, PublicKey: h1.KeyData,
				PublicKeyFingerprint: fpr1, PreferEncrypt: NoPreference},
			wantChg: Change{Updated: true, Key: KeySame, OldFingerprint: fpr1, NewFingerprint: fpr1},
		},
		{
			name:  "newer header new key",
			state: known,
			obs:   Observation{From: addr, Date: d3, Header: h2},
			want: PeerState{Addr: addr, LastSeen: d3, AutocryptTimestamp: d3, PublicKey: h2.KeyData,
				PublicKeyFingerprint: fpr2, PreferEncrypt: NoPreference},
			wantChg: Change{Updated: true, Key: KeyChanged, OldFingerprint: fpr1, NewFingerprint: fpr2},
		},
		{
			name:    "older header new key",
			state:   known,
			obs:     Observation{From: addr, Date: d1, Header: h2},
			want:    known,
			wantChg: Change{Key: KeyNone, Ignored: IgnoredOlder},
		},
		{
			name:  "newer message without header",
			state: known,
			obs:   Observation{From: addr, Date: d3},
			want: PeerState{Addr: addr, LastSeen: d3, AutocryptTimestamp: d2, PublicKey: h1.KeyData,
				PublicKeyFingerprint: fpr1, PreferEncrypt: Mutual},
			wantChg: Change{Updated: true, Key: KeyNone, Ignored: IgnoredNoHeader},
		},
		{
			name:    "message without header between timestamps",
			state:   PeerState{Addr: addr, LastSeen: d3, AutocryptTimestamp: d1, PublicKey: h1.KeyData, PublicKeyFingerprint: fpr1},
			obs:     Observation{From: addr, Date: d2},
			want:    PeerState{Addr: addr, LastSeen: d3, AutocryptTimestamp: d1, PublicKey: h1.KeyData, PublicKeyFingerprint: fpr1},
			wantChg: Change{Key: KeyNone, Ignored: IgnoredNoHeader},
		},
		{
			name:    "future date counts as now",
			obs:     Observation{From: addr, Date: now.Add(day), Header: h1},
			want:    PeerState{Addr: addr, LastSeen: now, AutocryptTimestamp: now, PublicKey: h1.KeyData, PublicKeyFingerprint: fpr1, PreferEncrypt: Mutual},
			wantChg: Change{Updated: true, Key: KeyFirst, NewFingerprint: fpr1},
		},
		{
			name:    "undated counts as now",
			obs:     Observation{From: addr},
			want:    PeerState{Addr: addr, LastSeen: now},
			wantChg: Change{Updated: true, Key: KeyNone, Ignored: IgnoredNoHeader},
		},
		{
			name:    "header for another address",
			state:   known,
			obs:     Observation{From: addr, Date: d3, Header: bob},
			want:    PeerState{Addr: addr, LastSeen: d3, AutocryptTimestamp: d2, PublicKey: h1.KeyData, PublicKeyFingerprint: fpr1, PreferEncrypt: Mutual},
			wantChg: Change{Updated: true, Key: KeyNone, Ignored: IgnoredHeaderAddr},
		},
		{
			name:    "state for another address",
			state:   known,
			obs:     Observation{From: "bob@example.org", Date: d3, Header: bob},
			want:    known,
			wantChg: Change{Key: KeyNone, Ignored: IgnoredOtherAddr},
		},
		{
			name:    "header replaces gossiped key",
			state:   gossiped,
			obs:     Observation{From: addr, Date: d3, Header: h1},
			want:    PeerState{Addr: addr, LastSeen: d3, AutocryptTimestamp: d3, PublicKey: h1.KeyData, PublicKeyFingerprint: fpr1, PreferEncrypt: Mutual, GossipTimestamp: d2, GossipKey: h2.KeyData, GossipKeyFingerprint: fpr2},
			wantChg: Change{Updated: true, Key: KeyChanged, OldFingerprint: fpr2, NewFingerprint: fpr1},
		},
		{
			name:    "first gossip",
			obs:     Observation{From: addr, Date: d2, Header: h2, Gossip: true},
			want:    gossiped,
			wantChg: Change{Updated: true, Key: KeyFirst, Gossip: true, NewFingerprint: fpr2},
		},
		{
			name:    "gossip of another key than the Autocrypt key",
			state:   known,
			obs:     Observation{From: addr, Date: d3, Header: h2, Gossip: true},
			want:    PeerState{Addr: addr, LastSeen: d2, AutocryptTimestamp: d2, PublicKey: h1.KeyData, PublicKeyFingerprint: fpr1, PreferEncrypt: Mutual, GossipTimestamp: d3, GossipKey: h2.KeyData, GossipKeyFingerprint: fpr2},
			wantChg: Change{Updated: true, Key: KeyChanged, Gossip: true, OldFingerprint: fpr1, NewFingerprint: fpr2},
		},
		{
			name:    "newer gossip same key",
			state:   gossiped,
			obs:     Observation{From: addr, Date: d3, Header: h2, Gossip: true},
			want:    PeerState{Addr: addr, GossipTimestamp: d3, GossipKey: h2.KeyData, GossipKeyFingerprint: fpr2},
			wantChg: Change{Updated: true, Key: KeySame, Gossip: true, OldFingerprint: fpr2, NewFingerprint: fpr2},
		},
		{
			name:    "older gossip",
			state:   gossiped,
			obs:     Observation{From: addr, Date: d1, Header: h1, Gossip: true},
			want:    gossiped,
			wantChg: Change{Key: KeyNone, Gossip: true, Ignored: IgnoredOlder},
		},
		{
			name:    "gossip without header",
			state:   gossiped,
			obs:     Observation{From: addr, Date: d3, Gossip: true},
			want:    gossiped,
			wantChg: Change{Key: KeyNone, Gossip: true, Ignored: IgnoredNoHeader},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := tt.state
			got, chg := Update(tt.state, tt.obs, now)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("state:\ngot  = %+v\nwant = %+v", got, tt.want)
			}
			if chg != tt.wantChg {
				t.Errorf("change: got = %+v, want %+v", chg, tt.wantChg)
			}
			if !reflect.DeepEqual(tt.state, before) {
				t.Errorf("Update modified its input state")
			}
		})
	}
}

func TestPeerStateFingerprint(t *testing.T) {
	tests := []struct {
		name  string
		state PeerState
		want  string
	}{
		{"empty", PeerState{}, ""},
		{"gossip only", PeerState{GossipKeyFingerprint: "B"}, "B"},
		{"autocrypt preferred", PeerState{PublicKeyFingerprint: "A", GossipKeyFingerprint: "B"}, "A"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.state.Fingerprint(); got != tt.want {
				t.Errorf("Fingerprint() = %q, want %q", got, tt.want)
			}
		})
	}
}
