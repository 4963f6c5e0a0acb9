package localstore

import (
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// TestEntryHashV1Unchanged: an entry without a SendRecord hashes exactly as
// before SendRecord existed (the value was computed independently of this
// code), so audit trails written by older builds still verify.
func TestEntryHashV1Unchanged(t *testing.T) {
	e := AuditEntry{
		Seq: 7, Time: time.Unix(0, 1764979200123456789), Kind: "mail.sent", Subject: "<id@example.net>",
		Detail: "1 recipient(s): bob@example.net; not encrypted", PrevHash: make([]byte, 32),
	}
	if got, want := hex.EncodeToString(entryHash(&e)), "a47c67ab5855504d78b913eabc720baf61db4c2b7249b3dbf9c4ffe3f2b7df3e"; got != want {
		t.Errorf("v1 entry hash = %s, want %s", got, want)
	}
	e.Mode = "encrypt"
	if bytes.Equal(entryHash(&e), mustHex(t, "a47c67ab5855504d78b913eabc720baf61db4c2b7249b3dbf9c4ffe3f2b7df3e")) {
		t.Error("the mode is not covered by the hash")
	}
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestAuditSendRecord: a sent message's mode and delivery findings are kept
// with its audit entry, covered by the hash chain next to entries without
// them; changing a finding (even resealed with the profile's key) breaks
// the chain.
func TestAuditSendRecord(t *testing.T) {
	s := newTestStore(t)
	if _, err := s.AppendAudit("key.generated", "FPR", "old-style entry"); err != nil {
		t.Fatal(err)
	}
	item, err := s.Outbox().Add(OutboxItem{Account: "a@example.org", Recipients: []string{"b@example.net"}, Raw: []byte("x")})
	if err != nil {
		t.Fatal(err)
	}
	rec := SendRecord{Mode: "encrypt", Delivery: []AuditDelivery{
		{Domain: "example.net", Status: "enforced", DANE: "none"},
		{Domain: "example.com", Status: "not_checked", DANE: "not_checked", Reason: "offline"},
	}}
	item.AcceptedAt = time.Now()
	if err := s.Outbox().Update(item, AuditNote{Kind: "mail.sent", Subject: "<m@x>", Detail: "d", SendRecord: rec}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AppendAudit("key.generated", "FPR2", "after"); err != nil {
		t.Fatal(err)
	}
	s = reopen(t, s)
	entries, err := s.AuditEntries()
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 3 || !reflect.DeepEqual(entries[1].SendRecord, rec) || !entries[0].SendRecord.empty() {
		t.Fatalf("entries = %+v", entries)
	}
	if rep, err := s.VerifyAudit(); err != nil || !rep.OK {
		t.Fatalf("VerifyAudit = %+v, %v", rep, err)
	}

	// Someone with the key rewrites the finding: the hash no longer matches.
	entries[1].Delivery[1].Status = "enforced"
	err = s.update(func(tx *bolt.Tx) error {
		return s.putJSON(tx, [][]byte{bktAudit}, seqKey(entries[1].Seq), &entries[1])
	})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := s.VerifyAudit()
	if err != nil || rep.OK || !strings.Contains(strings.Join(rep.Problems, "\n"), "entry 2: content does not match its hash") {
		t.Errorf("after rewriting a finding: %+v, %v", rep, err)
	}
}

// TestMTASTSPolicies: the cache round-trips a policy, replaces it, says
// ErrNotFound for an unknown domain (also before the bucket exists), and
// leaves neither the domain nor the policy readable in the file.
func TestMTASTSPolicies(t *testing.T) {
	s := newTestStore(t)
	if _, err := s.MTASTSPolicies().Get("example.net"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get before any Put: %v, want ErrNotFound", err)
	}
	p := MTASTSPolicy{Domain: "Secret-Recipient.example.", ID: "20260101", Mode: "enforce",
		MX: []string{"mx.secret-recipient.example"}, MaxAge: 24 * time.Hour, Fetched: time.Now().UTC().Round(0)}
	if err := s.MTASTSPolicies().Put(p); err != nil {
		t.Fatal(err)
	}
	s = reopen(t, s)
	got, err := s.MTASTSPolicies().Get("secret-recipient.EXAMPLE")
	p.Domain = "secret-recipient.example"
	if err != nil || !reflect.DeepEqual(got, p) {
		t.Fatalf("Get = %+v, %v; want %+v", got, err, p)
	}
	p.ID, p.Mode = "2", "testing"
	if err := s.MTASTSPolicies().Put(p); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.MTASTSPolicies().Get(p.Domain); got.ID != "2" {
		t.Errorf("after replacing: %+v", got)
	}
	if _, err := s.MTASTSPolicies().Get("other.example"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get of an unknown domain: %v", err)
	}
	dir := s.Dir()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(dbPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"secret-recipient", "Secret-Recipient", "20260101", "enforce", "testing"} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("the profile file contains %q in plaintext", secret)
		}
	}
}
