package localstore

import (
	"errors"
	"slices"
	"testing"
)

func TestActionsQueue(t *testing.T) {
	s := newTestStore(t)
	const acct = "a@example.org"
	if err := s.Messages().PutBatch(acct, "INBOX", []Summary{{UID: 1}, {UID: 2}, {UID: 3}},
		[]RawMessage{{UID: 2, Raw: []byte("two")}}); err != nil {
		t.Fatal(err)
	}
	flag, err := s.Actions().Queue(PendingAction{Account: acct, Kind: "flags", Folder: "INBOX", UIDValidity: 4,
		UIDs: []uint32{1, 99}, AddFlags: []string{`\Seen`}})
	if err != nil {
		t.Fatal(err)
	}
	move, err := s.Actions().Queue(PendingAction{Account: acct, Kind: "move", Folder: "INBOX", UIDValidity: 4,
		UIDs: []uint32{2}, Dest: "Archive", RemoveLocal: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Actions().Queue(PendingAction{Account: "other@example.org", Kind: "flags", Folder: "INBOX", UIDs: []uint32{1}}); err != nil {
		t.Fatal(err)
	}
	if move.ID <= flag.ID {
		t.Errorf("IDs = %d then %d, want increasing", flag.ID, move.ID)
	}
	// Local effects are applied at once.
	if m, err := s.Messages().Summary(acct, "INBOX", 1); err != nil || !slices.Equal(m.Flags, []string{`\Seen`}) {
		t.Errorf("flags of 1 = %q, %v; want [\\Seen]", m.Flags, err)
	}
	if _, err := s.Messages().Summary(acct, "INBOX", 2); !errors.Is(err, ErrNotFound) {
		t.Errorf("moved summary: error = %v, want ErrNotFound", err)
	}
	if _, err := s.Messages().Raw(acct, "INBOX", 2); !errors.Is(err, ErrNotFound) {
		t.Errorf("moved raw: error = %v, want ErrNotFound", err)
	}

	// The queue survives a restart, in order, per account.
	s = reopen(t, s)
	list, err := s.Actions().List(acct)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, a := range list {
		kinds = append(kinds, a.Kind)
	}
	if !slices.Equal(kinds, []string{"flags", "move"}) || list[1].Dest != "Archive" {
		t.Fatalf("queue = %+v, want flags then move to Archive", list)
	}
	if err := s.Actions().Done(flag.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.Actions().Done(flag.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("second Done: error = %v, want ErrNotFound", err)
	}
	if list, _ := s.Actions().List(acct); len(list) != 1 || list[0].ID != move.ID {
		t.Errorf("after Done: queue = %+v, want only the move", list)
	}
	if _, err := s.Actions().Queue(PendingAction{Account: acct, Folder: "INBOX"}); err == nil {
		t.Error("Queue without UIDs: got nil error")
	}
}

// TestSyncRecordsSealed checks that what the sync engine adds (batches,
// flag edits, queued actions) leaves no plaintext in the profile file.
func TestSyncRecordsSealed(t *testing.T) {
	var c canaries
	s := newTestStore(t)
	email := c.next("syncaddr") + "@example.org"
	folder, dest := c.next("syncfolder"), c.next("syncdest")
	if err := s.Messages().PutBatch(email, folder,
		[]Summary{{UID: 1, Subject: c.next("batchsubject")}, {UID: 2, Subject: c.next("batchsubject")}},
		[]RawMessage{{UID: 1, Raw: []byte(c.next("batchraw"))}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Messages().SetFlags(email, folder, map[uint32][]string{1: {c.next("setflag")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Actions().Queue(PendingAction{Account: email, Kind: "move", Folder: folder, UIDs: []uint32{2},
		Dest: dest, AddFlags: []string{c.next("actionflag")}, RemoveLocal: true}); err != nil {
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
