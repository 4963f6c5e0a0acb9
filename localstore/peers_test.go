package localstore

import (
	"bytes"
	"reflect"
	"testing"

	bolt "go.etcd.io/bbolt"
)

func TestPeersRoundTrip(t *testing.T) {
	s := newTestStore(t)
	alice := Peer{Addr: "alice@example.org", LastSeen: ts(20), AutocryptTimestamp: ts(10),
		PublicKey: []byte{0x98, 1, 2, 3}, PublicKeyFingerprint: "AAAA", PreferEncrypt: "mutual"}
	bob := Peer{Addr: "bob@example.org", GossipTimestamp: ts(5), GossipKey: []byte{0x98, 4, 5},
		GossipKeyFingerprint: "BBBB", PreferEncrypt: "nopreference"}
	for _, p := range []Peer{bob, alice} {
		if err := s.Peers().Put(p); err != nil {
			t.Fatalf("Put(%s): %v", p.Addr, err)
		}
	}
	s = reopen(t, s)

	tests := []struct {
		name    string
		addr    string
		want    Peer
		wantErr error
	}{
		{name: "exact address", addr: "alice@example.org", want: alice},
		{name: "other case", addr: " Bob@Example.ORG", want: bob},
		{name: "unknown address", addr: "carol@example.org", wantErr: ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Peers().Get(tt.addr)
			if tt.wantErr != nil {
				wantErr(t, "Get", err, tt.wantErr)
				return
			}
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Get:\ngot  = %+v\nwant = %+v", got, tt.want)
			}
		})
	}

	list, err := s.Peers().List()
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if got, want := list, []Peer{alice, bob}; !reflect.DeepEqual(got, want) {
		t.Errorf("List:\ngot  = %+v\nwant = %+v", got, want)
	}

	// Replacing a peer after a key change records the audit note with it.
	alice2 := alice
	alice2.PublicKey, alice2.PublicKeyFingerprint, alice2.AutocryptTimestamp = []byte{0x98, 9}, "CCCC", ts(30)
	note := AuditNote{Kind: "key-changed", Subject: alice.Addr, Detail: "AAAA -> CCCC"}
	if err := s.Peers().Put(alice2, note); err != nil {
		t.Fatalf("Put replacement: %v", err)
	}
	if got, err := s.Peers().Get(alice.Addr); err != nil || !reflect.DeepEqual(got, alice2) {
		t.Errorf("Get after replacement = %+v, %v; want %+v", got, err, alice2)
	}
	entries, err := s.AuditEntries()
	if err != nil {
		t.Fatalf("AuditEntries: %v", err)
	}
	if n := len(entries); n != 1 || entries[0].Kind != note.Kind || entries[0].Detail != note.Detail {
		t.Errorf("audit log = %+v, want the one key-changed note", entries)
	}
	if list, _ := s.Peers().List(); len(list) != 2 {
		t.Errorf("List after replacement: got %d peers, want 2", len(list))
	}

	wantErr(t, "Put without address", s.Peers().Put(Peer{Addr: "  "}), errNoPeerAddr)
}

func TestPeersSealed(t *testing.T) {
	var c canaries
	s := newTestStore(t)
	p := Peer{Addr: c.next("peer") + "@example.org", PublicKey: []byte(c.next("pubkey")),
		PublicKeyFingerprint: c.next("fpr"), GossipKey: []byte(c.next("gossipkey")),
		GossipKeyFingerprint: c.next("gossipfpr"), PreferEncrypt: "mutual"}
	if err := s.Peers().Put(p); err != nil {
		t.Fatalf("Put: %v", err)
	}
	dir := s.Dir()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, hits := scanCanaries(t, dir, c.all); len(hits) != 0 {
		t.Errorf("plaintext found on disk: %q", hits)
	}

	// A record moved under another address's key fails authentication.
	s = reopen(t, s)
	other := "mallory@example.org"
	if err := s.Peers().Put(Peer{Addr: other}); err != nil {
		t.Fatalf("Put: %v", err)
	}
	from, to := s.Peers().key(p.Addr), s.Peers().key(other)
	if err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bktPeers)
		return b.Put(to, bytes.Clone(b.Get(from)))
	}); err != nil {
		t.Fatal(err)
	}
	_, err := s.Peers().Get(other)
	wantErr(t, "Get moved record", err, ErrTampered)
	_, err = s.Peers().List()
	wantErr(t, "List with a moved record", err, ErrTampered)
}

// TestPeersMigration opens a profile written before the peers bucket
// existed (schema 1): the migration adds the bucket and keeps the data.
func TestPeersMigration(t *testing.T) {
	s := newTestStore(t)
	contact := ContactKey{Fingerprint: "DDDD", Emails: []string{"dave@example.org"}, Source: "import"}
	if err := s.ContactKeys().Put(contact); err != nil {
		t.Fatalf("Put contact: %v", err)
	}
	if err := s.db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bktPeers, bktSearch, bktDrafts} {
			if err := tx.DeleteBucket(name); err != nil {
				return err
			}
		}
		return s.putSchema(tx, baseSchema)
	}); err != nil {
		t.Fatalf("downgrade to schema %d: %v", baseSchema, err)
	}

	s = reopen(t, s)
	if got, want := s.SchemaVersion(), currentSchema(); got != want {
		t.Errorf("SchemaVersion() = %d, want %d", got, want)
	}
	if got, err := s.ContactKeys().Get("DDDD"); err != nil || got.Source != "import" {
		t.Errorf("contact after migration = %+v, %v; want it unchanged", got, err)
	}
	if list, err := s.Peers().List(); err != nil || len(list) != 0 {
		t.Errorf("List after migration = %v, %v; want empty", list, err)
	}
	if err := s.Peers().Put(Peer{Addr: "erin@example.org"}); err != nil {
		t.Errorf("Put after migration: %v", err)
	}
}
