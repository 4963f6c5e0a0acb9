package mail

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	netmail "net/mail"
	"strings"
	"time"

	"github.com/emersion/go-message/textproto"

	"github.com/sealpost/sealpost/crypto/autocrypt"
	"github.com/sealpost/sealpost/internal/maildate"
	"github.com/sealpost/sealpost/localstore"
)

// Audit kinds for Autocrypt.
const (
	AuditPeerKeyChanged = "key.changed"
)

// PeerUpdate says what one received message taught about its sender's key.
type PeerUpdate struct {
	Address string
	// Change is "first", "same", "changed" or "" (nothing learnt).
	Change string
	// Warning is set when the sender's key changed: never silent.
	Warning string
}

// ObserveAutocrypt updates the Autocrypt state of a received message's
// sender from its Autocrypt header (Level 1), and gossip found inside its
// encrypted part (gossip values come from the verdict). A new key becomes
// an unverified contact key with source "autocrypt"; a changed key is
// imported too, with a warning and an audit entry.
func (kr *Keyring) ObserveAutocrypt(raw []byte, gossip []string) ([]PeerUpdate, error) {
	b := kr.newPeerBatch()
	updates, err := b.observeMessage(raw, gossip)
	if err != nil {
		return nil, err
	}
	return updates, b.flush()
}

// peerBatch applies the Autocrypt observations of many messages in memory
// and writes the changed peers in one transaction.
type peerBatch struct {
	kr      *Keyring
	states  map[string]autocrypt.PeerState
	dirty   map[string]bool
	notes   []localstore.AuditNote
	imports []peerImport
	// headers are the Autocrypt headers selected so far, by sender and
	// header values: a sender's mail repeats the same header, and parsing
	// its key (with the self-signatures' verification) is most of the work.
	headers map[string]*autocrypt.Header
	// gossip are the Autocrypt-Gossip headers selected so far, by
	// recipients and header values: gossip repeats as much (each message
	// to the same group carries the same keys).
	gossip map[string][]*autocrypt.Header
	// br reads each message's header: one buffer for the batch, not one
	// per message (ReadHeader copies what it keeps).
	br *bufio.Reader
}

// maxCachedHeaders bounds peerBatch.headers and peerBatch.gossip; a full
// cache starts over.
const maxCachedHeaders = 256

type peerImport struct {
	header *autocrypt.Header
	source string
}

func (kr *Keyring) newPeerBatch() *peerBatch {
	return &peerBatch{kr: kr, states: map[string]autocrypt.PeerState{}, dirty: map[string]bool{},
		headers: map[string]*autocrypt.Header{}, gossip: map[string][]*autocrypt.Header{},
		br: bufio.NewReader(nil)}
}

// observeMessage reads raw's header and applies its Autocrypt header and
// the given gossip values.
func (b *peerBatch) observeMessage(raw []byte, gossip []string) ([]PeerUpdate, error) {
	b.br.Reset(bytes.NewReader(raw))
	h, err := textproto.ReadHeader(b.br)
	if err != nil {
		return nil, fmt.Errorf("read the message header: %w", err)
	}
	if ct := strings.ToLower(h.Get("Content-Type")); strings.HasPrefix(ct, "multipart/report") {
		return nil, nil // delivery reports carry no peer state (Level 1)
	}
	from, err := netmail.ParseAddress(h.Get("From"))
	if err != nil {
		return nil, nil // no single sender: nothing to learn
	}
	date, err := maildate.Parse(h.Get("Date"))
	if err != nil {
		date = time.Time{}
	}
	now := b.kr.now()
	header := b.selectHeader(h.Values("Autocrypt"), from.Address, now)
	var out []PeerUpdate
	u, err := b.observe(autocrypt.Observation{From: from.Address, Date: date, Header: header}, "autocrypt")
	if err != nil {
		return nil, err
	}
	out = append(out, u)
	if len(gossip) > 0 {
		var recipients []string
		for _, field := range []string{"To", "Cc"} {
			if list, err := netmail.ParseAddressList(h.Get(field)); err == nil {
				for _, a := range list {
					recipients = append(recipients, a.Address)
				}
			}
		}
		for _, g := range b.selectGossip(gossip, recipients, now) {
			u, err := b.observe(autocrypt.Observation{From: g.Addr, Date: date, Header: g, Gossip: true}, "gossip")
			if err != nil {
				return out, err
			}
			out = append(out, u)
		}
	}
	return out, nil
}

// selectHeader is autocrypt.SelectHeader, remembered for the batch.
func (b *peerBatch) selectHeader(values []string, from string, now time.Time) *autocrypt.Header {
	if len(values) == 0 {
		return nil
	}
	return remembered(b.headers, cacheKey([]string{from}, values), func() *autocrypt.Header {
		h, _ := autocrypt.SelectHeader(values, from, now)
		return h
	})
}

// selectGossip is autocrypt.SelectGossip, remembered for the batch.
func (b *peerBatch) selectGossip(values, recipients []string, now time.Time) []*autocrypt.Header {
	return remembered(b.gossip, cacheKey(recipients, values), func() []*autocrypt.Header {
		g, _ := autocrypt.SelectGossip(values, recipients, now)
		return g
	})
}

// remembered returns what cache holds for key, else what choose returns,
// which it remembers; a cache of maxCachedHeaders starts over.
func remembered[V any](cache map[string]V, key string, choose func() V) V {
	if v, ok := cache[key]; ok {
		return v
	}
	v := choose()
	if len(cache) >= maxCachedHeaders {
		clear(cache)
	}
	cache[key] = v
	return v
}

// cacheKey joins lists of strings into one key that no other lists give:
// each list and string is preceded by its length.
func cacheKey(lists ...[]string) string {
	var k []byte
	for _, l := range lists {
		k = binary.AppendUvarint(k, uint64(len(l)))
		for _, s := range l {
			k = binary.AppendUvarint(k, uint64(len(s)))
			k = append(k, s...)
		}
	}
	return string(k)
}

func (b *peerBatch) observe(obs autocrypt.Observation, source string) (PeerUpdate, error) {
	addr := autocrypt.NormalizeAddr(obs.From)
	state, known := b.states[addr]
	if !known {
		peer, err := b.kr.store.Peers().Get(addr)
		if err != nil && !errors.Is(err, localstore.ErrNotFound) {
			return PeerUpdate{}, err
		}
		state = peerState(peer)
	}
	state, change := autocrypt.Update(state, obs, b.kr.now())
	b.states[addr] = state
	update := PeerUpdate{Address: addr}
	if !change.Updated {
		return update, nil
	}
	b.dirty[addr] = true
	switch change.Key {
	case autocrypt.KeyFirst:
		update.Change = "first"
	case autocrypt.KeySame:
		update.Change = "same"
	case autocrypt.KeyChanged:
		update.Change = "changed"
		update.Warning = fmt.Sprintf("%s now uses key %s instead of %s (seen via %s): compare fingerprints before trusting it",
			addr, GroupFingerprint(change.NewFingerprint), GroupFingerprint(change.OldFingerprint), source)
		b.notes = append(b.notes, auditNote(AuditPeerKeyChanged, addr, update.Warning))
	}
	if obs.Header != nil && (change.Key == autocrypt.KeyFirst || change.Key == autocrypt.KeyChanged) {
		b.imports = append(b.imports, peerImport{obs.Header, source})
	}
	return update, nil
}

// flush writes the changed peers and their audit notes in one transaction,
// then imports the keys learnt.
func (b *peerBatch) flush() error {
	if len(b.dirty) == 0 {
		return nil
	}
	peers := make([]localstore.Peer, 0, len(b.dirty))
	for addr := range b.dirty {
		peers = append(peers, storedPeer(b.states[addr]))
	}
	if err := b.kr.store.Peers().PutBatch(peers, b.notes...); err != nil {
		return err
	}
	for _, imp := range b.imports {
		if _, err := b.kr.importPublic(imp.header.Key, imp.source); err != nil {
			return err
		}
	}
	b.dirty, b.notes, b.imports = map[string]bool{}, nil, nil
	return nil
}

func peerState(p localstore.Peer) autocrypt.PeerState {
	return autocrypt.PeerState{
		Addr: p.Addr, LastSeen: p.LastSeen, AutocryptTimestamp: p.AutocryptTimestamp, PublicKey: p.PublicKey,
		PublicKeyFingerprint: p.PublicKeyFingerprint, PreferEncrypt: autocrypt.PreferEncrypt(p.PreferEncrypt),
		GossipTimestamp: p.GossipTimestamp, GossipKey: p.GossipKey, GossipKeyFingerprint: p.GossipKeyFingerprint,
	}
}

func storedPeer(s autocrypt.PeerState) localstore.Peer {
	return localstore.Peer{
		Addr: s.Addr, LastSeen: s.LastSeen, AutocryptTimestamp: s.AutocryptTimestamp, PublicKey: s.PublicKey,
		PublicKeyFingerprint: s.PublicKeyFingerprint, PreferEncrypt: string(s.PreferEncrypt),
		GossipTimestamp: s.GossipTimestamp, GossipKey: s.GossipKey, GossipKeyFingerprint: s.GossipKeyFingerprint,
	}
}
