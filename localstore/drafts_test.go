package localstore

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// bigAttachment spans several chunks.
var bigAttachment = bytes.Repeat([]byte("0123456789abcdef"), draftChunkSize/16*2+7)

func testDraft() Draft {
	return Draft{
		Account: "Alice@Example.org", To: []string{"Bob <bob@example.net>"}, Cc: []string{"carol@example.com"},
		Bcc: []string{"dave@example.com"}, Subject: "Plans", Body: "Hi,\nsee attached.\n",
		Attachments: []DraftAttachment{
			{Name: "small.txt", ContentType: "text/plain", Data: []byte("small")},
			{Name: "big.bin", ContentType: "application/octet-stream", Data: bigAttachment},
			{Name: "empty.txt", ContentType: "text/plain", Data: []byte{}},
		},
		InReplyTo: "orig@example.net", References: []string{"root@example.net", "orig@example.net"},
		Mode: "encrypt", Saved: ts(5),
	}
}

func TestDraftRoundTrip(t *testing.T) {
	s := newTestStore(t)
	in := testDraft()
	saved, err := s.Drafts().Put(in)
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	if !validDraftID(saved.ID) || saved.Revision != 1 || !saved.UploadPending || saved.Attachments[1].Data != nil {
		t.Errorf("Put returned ID %q, revision %d, pending %v, data %d bytes; want a random id, 1, true, no data",
			saved.ID, saved.Revision, saved.UploadPending, len(saved.Attachments[1].Data))
	}
	if in.Attachments[1].Size != 0 {
		t.Errorf("Put changed the caller's attachments: size = %d, want 0", in.Attachments[1].Size)
	}
	s = reopen(t, s)
	got, err := s.Drafts().Get("alice@example.org", saved.ID)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	want := in
	want.ID, want.Revision, want.UploadPending = saved.ID, 1, true
	want.Attachments = []DraftAttachment{
		{Name: "small.txt", ContentType: "text/plain", Size: 5, Data: []byte("small")},
		{Name: "big.bin", ContentType: "application/octet-stream", Size: len(bigAttachment), Data: bigAttachment},
		{Name: "empty.txt", ContentType: "text/plain", Data: []byte{}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Get = %+v\nwant %+v", withoutData(got), withoutData(want))
	}

	// A second save keeps the id and the server state, and bumps the revision.
	if _, err := s.Drafts().Uploaded(in.Account, saved.ID, ServerCopy{Folder: "Drafts", UIDValidity: 9, UID: 3, MessageID: "m1@x", Revision: 1}); err != nil {
		t.Fatalf("Uploaded: %v", err)
	}
	next := testDraft()
	next.ID, next.Subject, next.Attachments = saved.ID, "Plans, v2", nil
	again, err := s.Drafts().Put(next)
	if err != nil {
		t.Fatalf("second Put: %v", err)
	}
	if again.ID != saved.ID || again.Revision != 2 || !again.UploadPending || len(again.Copies) != 1 || again.Current() != -1 {
		t.Errorf("second Put = id %q rev %d pending %v copies %+v current %d; want same id, 2, pending, the old copy kept and stale",
			again.ID, again.Revision, again.UploadPending, again.Copies, again.Current())
	}
	if got, err := s.Drafts().Get(in.Account, saved.ID); err != nil || got.Subject != "Plans, v2" || len(got.Attachments) != 0 {
		t.Errorf("Get after second Put = %q with %d attachments, %v; want v2 without attachments", got.Subject, len(got.Attachments), err)
	}
}

func TestDraftListNewestFirst(t *testing.T) {
	s := newTestStore(t)
	put := func(account, subject string, saved int64) string {
		t.Helper()
		d, err := s.Drafts().Put(Draft{Account: account, Subject: subject, Saved: ts(saved)})
		if err != nil {
			t.Fatal(err)
		}
		return d.ID
	}
	put("a@example.org", "old", 1)
	put("b@example.org", "middle", 2)
	gone := put("a@example.org", "new", 3)
	if _, err := s.Drafts().Uploaded("a@example.org", gone, ServerCopy{Folder: "Drafts", UID: 1, Revision: 1}); err != nil {
		t.Fatal(err)
	}
	if err := s.Drafts().Delete("a@example.org", gone); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	for _, tt := range []struct {
		name, account string
		want          []string
	}{
		{"one account", "A@example.org", []string{"old"}},
		{"every account", "", []string{"middle", "old"}},
		{"no drafts", "c@example.org", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			list, err := s.Drafts().List(tt.account)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, d := range list {
				got = append(got, d.Subject)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("List(%q) = %q, want %q", tt.account, got, tt.want)
			}
		})
	}
	recs, err := s.Drafts().Records("a@example.org")
	if err != nil || len(recs) != 2 || !recs[0].Deleted || recs[0].Subject != "" || len(recs[0].Stale()) != 1 {
		t.Errorf("Records = %+v, %v; want the tombstone (no content, one stale copy) and the old draft", recs, err)
	}
}

// TestDraftServerState walks a draft through upload, save during upload,
// deletion and removal of its copies.
func TestDraftServerState(t *testing.T) {
	s := newTestStore(t)
	r := s.Drafts()
	const acct = "a@example.org"
	d, err := r.Put(Draft{Account: acct, Subject: "v1"})
	if err != nil {
		t.Fatal(err)
	}
	c1 := ServerCopy{Folder: "Drafts", UIDValidity: 7, UID: 1, MessageID: "one@x", Revision: 1}
	if d, err = r.Uploaded(acct, d.ID, c1); err != nil || d.UploadPending || d.Current() != 0 || len(d.Stale()) != 0 {
		t.Fatalf("after upload: %+v, %v; want not pending, copy 1 current", d, err)
	}
	// Saved again while revision 2 was being uploaded: revision 3 stays pending.
	if _, err = r.Put(Draft{ID: d.ID, Account: acct, Subject: "v2"}); err != nil {
		t.Fatal(err)
	}
	if _, err = r.Put(Draft{ID: d.ID, Account: acct, Subject: "v3"}); err != nil {
		t.Fatal(err)
	}
	c2 := ServerCopy{Folder: "Drafts", UIDValidity: 7, UID: 2, MessageID: "two@x", Revision: 2}
	if d, err = r.Uploaded(acct, d.ID, c2); err != nil || !d.UploadPending || len(d.Stale()) != 2 {
		t.Fatalf("after uploading an older revision: %+v, %v; want pending with two stale copies", d, err)
	}
	if err := r.Removed(acct, d.ID, []ServerCopy{c1, c2}); err != nil {
		t.Fatal(err)
	}
	c3 := ServerCopy{Folder: "Drafts", UIDValidity: 7, UID: 3, MessageID: "three@x", Revision: 3}
	if d, err = r.Uploaded(acct, d.ID, c3); err != nil || d.UploadPending || !reflect.DeepEqual(d.Copies, []ServerCopy{c3}) {
		t.Fatalf("after uploading the latest: %+v, %v; want one current copy", d, err)
	}
	if err := r.Delete(acct, d.ID); err != nil {
		t.Fatal(err)
	}
	_, err = r.Get(acct, d.ID)
	wantErr(t, "Get of deleted draft", err, ErrNotFound)
	wantErr(t, "second Delete", r.Delete(acct, d.ID), ErrNotFound)
	// A copy uploaded after the deletion is stale at once.
	c4 := ServerCopy{Folder: "Drafts", UIDValidity: 7, UID: 4, Revision: 3}
	if d, err = r.Uploaded(acct, d.ID, c4); err != nil || !d.Deleted || len(d.Stale()) != 2 {
		t.Fatalf("upload after delete: %+v, %v; want a tombstone with two stale copies", d, err)
	}
	if err := r.Removed(acct, d.ID, []ServerCopy{c3, c4}); err != nil {
		t.Fatal(err)
	}
	if recs, err := r.Records(acct); err != nil || len(recs) != 0 {
		t.Errorf("Records after removing every copy = %+v, %v; want none", recs, err)
	}
	// Deleting a draft that never reached the server leaves nothing.
	d, _ = r.Put(Draft{Account: acct, Subject: "local"})
	if err := r.Delete(acct, d.ID); err != nil {
		t.Fatal(err)
	}
	if recs, err := r.Records(""); err != nil || len(recs) != 0 {
		t.Errorf("Records after deleting a local-only draft = %+v, %v; want none", recs, err)
	}
}

func TestDraftRejects(t *testing.T) {
	s := newTestStore(t)
	for _, tt := range []struct {
		name string
		d    Draft
	}{
		{"no account", Draft{Subject: "x"}},
		{"id not hex", Draft{Account: "a@example.org", ID: "../../etc"}},
		{"id too short", Draft{Account: "a@example.org", ID: "abcd"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := s.Drafts().Put(tt.d); err == nil {
				t.Errorf("Put(%+v) = nil error, want a refusal", tt.d)
			}
		})
	}
	_, err := s.Drafts().Get("a@example.org", strings.Repeat("0", 32))
	wantErr(t, "Get of absent draft", err, ErrNotFound)
}

// TestDraftTamper alters a closed profile's draft buckets as an attacker
// with the disk could and expects ErrTampered.
func TestDraftTamper(t *testing.T) {
	for _, tt := range []struct {
		name  string
		alter func(draft, other *bolt.Bucket) error
	}{
		{"record flipped", func(d, _ *bolt.Bucket) error {
			v := bytes.Clone(d.Get(keyDraftRecord))
			v[len(v)-1] ^= 1
			return d.Put(keyDraftRecord, v)
		}},
		{"record from another draft", func(d, o *bolt.Bucket) error { return d.Put(keyDraftRecord, bytes.Clone(o.Get(keyDraftRecord))) }},
		{"chunk from another draft", func(d, o *bolt.Bucket) error { return d.Put(chunkKey(1), bytes.Clone(o.Get(chunkKey(1)))) }},
		{"chunk missing", func(d, _ *bolt.Bucket) error { return d.Delete(chunkKey(1)) }},
		{"first chunk missing", func(d, _ *bolt.Bucket) error { return d.Delete(chunkKey(0)) }},
		{"extra chunk", func(d, _ *bolt.Bucket) error { return d.Put(chunkKey(3), bytes.Clone(d.Get(chunkKey(2)))) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestStore(t)
			const acct = "alice@example.org"
			d1, err := s.Drafts().Put(testDraft())
			if err != nil {
				t.Fatal(err)
			}
			d2, err := s.Drafts().Put(testDraft())
			if err != nil {
				t.Fatal(err)
			}
			var acctKey []byte
			_ = s.view(func(*bolt.Tx) error { acctKey = s.keys.blind(labelAccount, acct); return nil })
			dir := s.Dir()
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			rawUpdate(t, dir, func(tx *bolt.Tx) error {
				b := tx.Bucket(bktDrafts).Bucket(acctKey)
				return tt.alter(b.Bucket([]byte(d1.ID)), b.Bucket([]byte(d2.ID)))
			})
			s2, err := Open(dir, testPass, testOpts())
			if err != nil {
				t.Fatal(err)
			}
			defer s2.Close()
			_, err = s2.Drafts().Get(acct, d1.ID)
			wantErr(t, "Get of altered draft", err, ErrTampered)
		})
	}
}

// TestDraftCanary saves, replaces and deletes drafts full of canaries and
// finds none of them in the profile folder.
func TestDraftCanary(t *testing.T) {
	var c canaries
	s := newTestStore(t)
	email := c.next("acct") + "@example.org"
	mk := func() Draft {
		return Draft{
			Account: email, To: []string{c.next("to") + "@example.net"}, Cc: []string{c.next("cc") + "@example.net"},
			Bcc: []string{c.next("bcc") + "@example.net"}, Subject: c.next("subject"), Body: c.next("body"),
			Attachments: []DraftAttachment{{Name: c.next("name"), ContentType: "text/plain",
				Data: bytes.Repeat([]byte(c.next("data")), draftChunkSize/20)}},
			InReplyTo: c.next("inreplyto") + "@x", References: []string{c.next("ref") + "@x"}, Mode: "encrypt",
		}
	}
	d, err := s.Drafts().Put(mk())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Drafts().Uploaded(email, d.ID, ServerCopy{Folder: c.next("folder"), UID: 4, MessageID: c.next("msgid") + "@x", Revision: 1}); err != nil {
		t.Fatal(err)
	}
	next := mk()
	next.ID = d.ID
	if _, err := s.Drafts().Put(next); err != nil {
		t.Fatal(err)
	}
	gone, err := s.Drafts().Put(mk())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Drafts().Delete(email, gone.ID); err != nil {
		t.Fatal(err)
	}
	dir := s.Dir()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if n, hits := scanCanaries(t, dir, c.all); n != 1 || len(hits) != 0 {
		t.Errorf("scan: %d files, hits %q; want 1 file, no hits", n, hits)
	}
}
