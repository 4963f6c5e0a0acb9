package autocrypt

import (
	"slices"
	"time"
)

// PeerState is what Autocrypt Level 1 keeps per correspondent address.
// The zero value is the state of an address never seen.
type PeerState struct {
	// Addr is the peer's address, lower-cased.
	Addr string
	// LastSeen is the effective date of the newest message from Addr.
	LastSeen time.Time
	// AutocryptTimestamp is the effective date of the newest message from
	// Addr that carried a valid Autocrypt header.
	AutocryptTimestamp time.Time
	// PublicKey is the binary key from that header; nil if none yet.
	PublicKey []byte
	// PublicKeyFingerprint is PublicKey's fingerprint.
	PublicKeyFingerprint string
	// PreferEncrypt is the preference from that header.
	PreferEncrypt PreferEncrypt
	// GossipTimestamp is the effective date of the newest message that
	// gossiped a key for Addr.
	GossipTimestamp time.Time
	// GossipKey is the binary gossiped key; nil if none yet.
	GossipKey []byte
	// GossipKeyFingerprint is GossipKey's fingerprint.
	GossipKeyFingerprint string
}

// Fingerprint returns the fingerprint of the key Level 1 recommends for
// Addr: the Autocrypt key if there is one, else the gossiped key, else "".
func (p PeerState) Fingerprint() string {
	if p.PublicKeyFingerprint != "" {
		return p.PublicKeyFingerprint
	}
	return p.GossipKeyFingerprint
}

// Observation is one message as it concerns one peer address.
type Observation struct {
	// From is the peer address: the message's From address, or for gossip
	// the recipient address the gossip header is for.
	From string
	// Date is the message's Date header; zero if it has none.
	Date time.Time
	// Header is the message's valid Autocrypt header for From (see
	// SelectHeader) or, with Gossip, its Autocrypt-Gossip header for From
	// (see SelectGossip); nil if none.
	Header *Header
	// Gossip marks an Autocrypt-Gossip observation: the header came from
	// inside an encrypted message from a third party.
	Gossip bool
}

// KeyChange says what happened to the key known for an address.
type KeyChange string

// Key changes reported by Update.
const (
	// KeyNone: no key was written (no header, or the message was older).
	KeyNone KeyChange = "none"
	// KeyFirst: the address had no key before; it has one now.
	KeyFirst KeyChange = "first"
	// KeySame: the same key was seen again; only timestamps moved.
	KeySame KeyChange = "same"
	// KeyChanged: a different key replaced the one known for the address.
	// The caller must show a warning and write an audit entry.
	KeyChanged KeyChange = "changed"
)

// Change is the outcome of Update.
type Change struct {
	// Updated reports that the returned state differs from the given one
	// (beyond Addr being filled in) and must be stored.
	Updated bool
	// Key says what happened to the key. For an Autocrypt header the new key
	// is compared with the key recommended before (the Autocrypt key, else
	// the gossiped one); for gossip, with the previous gossiped key, else the
	// Autocrypt key.
	Key KeyChange
	// Gossip reports that the key came from an Autocrypt-Gossip header.
	Gossip bool
	// OldFingerprint is the key compared against ("" for KeyFirst and KeyNone).
	OldFingerprint string
	// NewFingerprint is the key written ("" for KeyNone).
	NewFingerprint string
	// Ignored says why the observation wrote no key, for a diagnostic; ""
	// when a key was written.
	Ignored string
}

// Reasons in Change.Ignored.
const (
	IgnoredOtherAddr  = "the observation is for another address"
	IgnoredHeaderAddr = "the header is for another address"
	IgnoredNoHeader   = "the message has no valid header"
	IgnoredOlder      = "the message is older than the stored header"
)

// Update applies Autocrypt Level 1's peer-state update to state for one
// observation and returns the new state. It is pure: state is not modified
// (the key slices of the result may be shared with obs.Header). now is the
// time of processing: a message dated after now, or undated, counts as
// sent now.
//
// For a message (Gossip false): if it is older than AutocryptTimestamp
// nothing changes; LastSeen moves forward to its date; with a header,
// AutocryptTimestamp, PublicKey and PreferEncrypt take the message's values.
// For gossip: if the message is older than GossipTimestamp nothing changes;
// else GossipTimestamp and GossipKey take its values (LastSeen stays: the
// peer did not write it).
func Update(state PeerState, obs Observation, now time.Time) (PeerState, Change) {
	addr := NormalizeAddr(obs.From)
	ch := Change{Key: KeyNone, Gossip: obs.Gossip}
	if state.Addr != "" && state.Addr != addr {
		ch.Ignored = IgnoredOtherAddr
		return state, ch
	}
	next := state
	next.Addr = addr
	eff := obs.Date.UTC()
	if eff.IsZero() || eff.After(now) {
		eff = now.UTC()
	}
	h := obs.Header
	if h != nil && h.Addr != addr {
		h = nil
		ch.Ignored = IgnoredHeaderAddr
	}
	if obs.Gossip {
		return updateGossip(next, ch, h, eff)
	}
	if eff.Before(next.AutocryptTimestamp) {
		ch.Ignored = IgnoredOlder
		return next, ch
	}
	if eff.After(next.LastSeen) {
		next.LastSeen = eff
		ch.Updated = true
	}
	if h == nil {
		if ch.Ignored == "" {
			ch.Ignored = IgnoredNoHeader
		}
		return next, ch
	}
	old := next.Fingerprint()
	fpr := h.Fingerprint()
	if !next.AutocryptTimestamp.Equal(eff) || next.PublicKeyFingerprint != fpr ||
		next.PreferEncrypt != h.PreferEncrypt || !slices.Equal(next.PublicKey, h.KeyData) {
		ch.Updated = true
	}
	next.AutocryptTimestamp = eff
	next.PublicKey = h.KeyData
	next.PublicKeyFingerprint = fpr
	next.PreferEncrypt = h.PreferEncrypt
	return next, keyChange(ch, old, fpr)
}

func updateGossip(next PeerState, ch Change, h *Header, eff time.Time) (PeerState, Change) {
	if h == nil {
		if ch.Ignored == "" {
			ch.Ignored = IgnoredNoHeader
		}
		return next, ch
	}
	if next.GossipTimestamp.After(eff) {
		ch.Ignored = IgnoredOlder
		return next, ch
	}
	old := next.GossipKeyFingerprint
	if old == "" {
		old = next.PublicKeyFingerprint
	}
	fpr := h.Fingerprint()
	if !next.GossipTimestamp.Equal(eff) || next.GossipKeyFingerprint != fpr || !slices.Equal(next.GossipKey, h.KeyData) {
		ch.Updated = true
	}
	next.GossipTimestamp = eff
	next.GossipKey = h.KeyData
	next.GossipKeyFingerprint = fpr
	return next, keyChange(ch, old, fpr)
}

// keyChange fills in the key outcome of writing the key fpr where old was known.
func keyChange(ch Change, old, fpr string) Change {
	ch.NewFingerprint = fpr
	ch.Ignored = ""
	switch {
	case old == "":
		ch.Key = KeyFirst
	case old == fpr:
		ch.Key = KeySame
		ch.OldFingerprint = old
	default:
		ch.Key = KeyChanged
		ch.OldFingerprint = old
	}
	return ch
}
