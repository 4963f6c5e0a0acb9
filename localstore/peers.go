package localstore

import (
	"errors"
	"fmt"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"
)

var errNoPeerAddr = errors.New("store Autocrypt peer: the peer has no address")

// labelPeer blinds the address of an Autocrypt peer record.
const labelPeer = "peer"

// Peer is the Autocrypt Level 1 state of one correspondent address (see
// package crypto/autocrypt, whose PeerState it mirrors field by field).
type Peer struct {
	Addr                 string // lower-cased address
	LastSeen             time.Time
	AutocryptTimestamp   time.Time
	PublicKey            []byte // binary OpenPGP key from the newest Autocrypt header
	PublicKeyFingerprint string
	PreferEncrypt        string // "mutual" or "nopreference"
	GossipTimestamp      time.Time
	GossipKey            []byte // binary OpenPGP key from the newest gossip
	GossipKeyFingerprint string
}

// Peers is the repository of Autocrypt peer states, one sealed record per
// address under its blinded address.
type Peers struct{ s *Store }

// Peers returns the Autocrypt peer repository.
func (s *Store) Peers() Peers { return Peers{s} }

func (r Peers) key(addr string) []byte { return r.s.keys.blind(labelPeer, normEmail(addr)) }

// Put stores or replaces the state of p.Addr and appends notes to the audit
// log (for example a key change), in one transaction.
func (r Peers) Put(p Peer, notes ...AuditNote) error {
	return r.PutBatch([]Peer{p}, notes...)
}

// PutBatch stores several peers and appends notes to the audit log in one
// transaction (one disk sync for a whole sync run's worth of senders).
func (r Peers) PutBatch(peers []Peer, notes ...AuditNote) error {
	for _, p := range peers {
		if normEmail(p.Addr) == "" {
			return errNoPeerAddr
		}
	}
	err := r.s.update(func(tx *bolt.Tx) error {
		for i := range peers {
			if err := r.s.putJSON(tx, [][]byte{bktPeers}, r.key(peers[i].Addr), &peers[i]); err != nil {
				return err
			}
		}
		return r.s.appendNotes(tx, notes)
	})
	if err != nil {
		return fmt.Errorf("store Autocrypt peers: %w", err)
	}
	return nil
}

// Get returns the state of addr (compared case-insensitively), or
// ErrNotFound for an address never stored.
func (r Peers) Get(addr string) (Peer, error) {
	var p Peer
	err := r.s.view(func(tx *bolt.Tx) error {
		return r.s.getJSON(tx, [][]byte{bktPeers}, r.key(addr), &p)
	})
	if err != nil {
		return Peer{}, fmt.Errorf("read Autocrypt peer: %w", err)
	}
	return p, nil
}

// List returns every peer state sorted by address.
func (r Peers) List() ([]Peer, error) {
	var out []Peer
	err := r.s.view(func(tx *bolt.Tx) error {
		path := [][]byte{bktPeers}
		return tx.Bucket(bktPeers).ForEach(func(k, v []byte) error {
			var p Peer
			if err := r.s.openJSON(path, k, v, &p); err != nil {
				return err
			}
			out = append(out, p)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list Autocrypt peers: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return normEmail(out[i].Addr) < normEmail(out[j].Addr) })
	return out, nil
}

// addPeersBucket is the schema 1 -> 2 migration: profiles made before
// Autocrypt peer state have no peers bucket.
func addPeersBucket(tx *bolt.Tx, _ *Store) error {
	if _, err := tx.CreateBucketIfNotExists(bktPeers); err != nil {
		return fmt.Errorf("create bucket %s: %w", bktPeers, err)
	}
	return nil
}
