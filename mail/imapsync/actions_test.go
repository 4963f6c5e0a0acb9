package imapsync

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/emersion/go-imap/v2"

	"github.com/sealpost/sealpost/localstore"
)

// actionServers are the server variants for the action tests: MOVE, and
// COPY + STORE + UID EXPUNGE (UIDPLUS) without MOVE.
func actionServers(t *testing.T, fn func(t *testing.T, srv *testServer)) {
	t.Run("memserver move", func(t *testing.T) { fn(t, startMemServer(t, memCaps)) })
	t.Run("memserver copy", func(t *testing.T) {
		fn(t, startMemServer(t, imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapUIDPlus: {}, imap.CapUnselect: {}}))
	})
	t.Run("dovecot", func(t *testing.T) { fn(t, startDovecot(t)) })
}

func TestActionsOfflineThenReplay(t *testing.T) {
	actionServers(t, func(t *testing.T, srv *testServer) {
		ctx := context.Background()
		admin := srv.admin(t)
		for _, name := range []string{"Trash", "Archive"} {
			if err := admin.Create(name, nil).Wait(); err != nil && !srv.special {
				t.Fatalf("create %s: %v", name, err)
			}
		}
		fill(t, admin, "INBOX", 1, 5, 300)
		st := newStore(t)
		online := newSyncer(t, st, srv.connector("", nil), nil)
		if err := online.SyncAll(ctx); err != nil {
			t.Fatalf("SyncAll: %v", err)
		}
		uid := func(i int) uint32 {
			sum, ok := summaryByID(t, st, "INBOX", msgID(i))
			if !ok {
				t.Fatalf("message %d not stored", i)
			}
			return sum.UID
		}
		uids := map[int]uint32{1: uid(1), 2: uid(2), 3: uid(3), 4: uid(4)}

		// Offline: every action applies locally at once.
		off := newSyncer(t, st, offline, nil)
		steps := []struct {
			name string
			do   func() error
		}{
			{"mark read", func() error { return off.MarkRead("INBOX", []uint32{uids[1]}, true) }},
			{"flag", func() error { return off.SetFlagged("INBOX", []uint32{uids[2]}, true) }},
			{"move", func() error { return off.Move("INBOX", []uint32{uids[3]}, "Archive") }},
			{"delete", func() error { return off.Delete("INBOX", []uint32{uids[4]}) }},
		}
		for _, step := range steps {
			if err := step.do(); err != nil {
				t.Fatalf("%s offline: %v", step.name, err)
			}
		}
		if _, err := off.ReplayActions(ctx); !errors.Is(err, errOffline) {
			t.Fatalf("ReplayActions offline: got error %v, want %v", err, errOffline)
		}
		if s, _ := summaryByID(t, st, "INBOX", msgID(1)); !slices.Contains(s.Flags, string(imap.FlagSeen)) {
			t.Errorf("local flags of message 1 = %q, want \\Seen", s.Flags)
		}
		if _, ok := summaryByID(t, st, "INBOX", msgID(3)); ok {
			t.Errorf("moved message 3 is still in the local INBOX")
		}

		// Restart: the queue survives in the store.
		st = reopenStore(t, st)
		pending, err := st.Actions().List(testUser)
		if err != nil {
			t.Fatal(err)
		}
		if len(pending) != len(steps) {
			t.Fatalf("after reopening: %d queued actions, want %d", len(pending), len(steps))
		}
		s := newSyncer(t, st, srv.connector("", nil), nil)
		sent, err := s.ReplayActions(ctx)
		if err != nil || sent != len(steps) {
			t.Fatalf("ReplayActions = %d, %v; want %d, nil", sent, err, len(steps))
		}
		inbox := serverMessages(t, admin, "INBOX")
		if !slices.Contains(inbox[msgID(1)], imap.FlagSeen) || !slices.Contains(inbox[msgID(2)], imap.FlagFlagged) {
			t.Errorf("server flags: message 1 %q, message 2 %q; want \\Seen and \\Flagged", inbox[msgID(1)], inbox[msgID(2)])
		}
		for _, i := range []int{3, 4} {
			if flags, ok := inbox[msgID(i)]; ok && !slices.Contains(flags, imap.FlagDeleted) {
				t.Errorf("message %d is still in the server's INBOX (flags %q)", i, flags)
			}
		}
		if _, ok := serverMessages(t, admin, "Archive")[msgID(3)]; !ok {
			t.Errorf("message 3 is not in Archive on the server")
		}
		if _, ok := serverMessages(t, admin, "Trash")[msgID(4)]; !ok {
			t.Errorf("message 4 is not in Trash on the server")
		}
		if rest, _ := st.Actions().List(testUser); len(rest) != 0 {
			t.Errorf("after replay %d actions are queued, want 0", len(rest))
		}

		// Deleting from Trash deletes for good.
		if err := s.SyncFolder(ctx, "Trash"); err != nil {
			t.Fatal(err)
		}
		sum, ok := summaryByID(t, st, "Trash", msgID(4))
		if !ok {
			t.Fatalf("message 4 not synced into Trash")
		}
		if err := s.Delete("Trash", []uint32{sum.UID}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ReplayActions(ctx); err != nil {
			t.Fatal(err)
		}
		if _, ok := serverMessages(t, admin, "Trash")[msgID(4)]; ok {
			t.Errorf("message 4 is still in Trash on the server after deleting it there")
		}
	})
}

func TestReplayFailureKeepsOrder(t *testing.T) {
	srv := startMemServer(t, memCaps)
	ctx := context.Background()
	admin := srv.admin(t)
	for _, name := range []string{"Trash", "Gone"} {
		if err := admin.Create(name, nil).Wait(); err != nil {
			t.Fatal(err)
		}
	}
	fill(t, admin, "INBOX", 1, 3, 300)
	st := newStore(t)
	s := newSyncer(t, st, srv.connector("", nil), nil)
	if err := s.SyncAll(ctx); err != nil {
		t.Fatal(err)
	}
	uids, err := st.Messages().UIDs(testUser, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []func() error{
		func() error { return s.MarkRead("INBOX", uids[:1], true) },
		func() error { return s.Move("INBOX", uids[1:2], "Gone") },
		func() error { return s.SetFlagged("INBOX", uids[2:3], true) },
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	// The move's target disappears before the replay: that action fails.
	if err := admin.Delete("Gone").Wait(); err != nil {
		t.Fatal(err)
	}
	sent, err := s.ReplayActions(ctx)
	if err == nil || sent != 1 {
		t.Fatalf("ReplayActions = %d, %v; want 1 and an error", sent, err)
	}
	rest, err := st.Actions().List(testUser)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, a := range rest {
		kinds = append(kinds, a.Kind)
	}
	if want := []string{actionMove, actionFlags}; !slices.Equal(kinds, want) {
		t.Errorf("queued after the failure = %q, want %q", kinds, want)
	}
}

func TestActionErrors(t *testing.T) {
	st := newStore(t)
	s := newSyncer(t, st, offline, nil)
	if err := st.Folders().Put(localstore.Folder{Account: testUser, Name: "INBOX", UIDValidity: 7}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		do   func() error
		want error
	}{
		{"delete without Trash", func() error { return s.Delete("INBOX", []uint32{1}) }, ErrNoTrash},
		{"unsynced folder", func() error { return s.MarkRead("Elsewhere", []uint32{1}, true) }, ErrNotSynced},
		{"move to unknown folder", func() error { return s.Move("INBOX", []uint32{1}, "Nowhere") }, localstore.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.do(); !errors.Is(err, tt.want) {
				t.Errorf("got error %v, want %v", err, tt.want)
			}
		})
	}
}
