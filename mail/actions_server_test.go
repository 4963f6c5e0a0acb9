package mail_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/sealpost/sealpost/mail"
	"github.com/sealpost/sealpost/mail/backend"
	"github.com/sealpost/sealpost/mail/mailtest"
)

// TestActionsReachTheServer marks read, flags, moves and deletes messages,
// checks the local copy at once, then syncs and checks the server's state.
func TestActionsReachTheServer(t *testing.T) {
	srv := mailtest.Start(t)
	alice := srv.Alice
	p := mailtest.NewProfile(t, srv, alice, nil)
	subjects := []string{"read me", "flag me", "move me", "delete me"}
	for _, s := range subjects {
		srv.Deliver(t, srv.Bob, alice, mailtest.Message(srv.Bob, alice, s, "body"))
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := p.Syncer().Sync(ctx, mail.SyncRequest{}); err != nil {
		t.Fatalf("first sync: %v", err)
	}
	uid := map[string]uint32{}
	msgs, err := p.Messages().List(alice, "INBOX", 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		uid[m.Subject] = m.UID
	}
	if len(uid) != len(subjects) {
		t.Fatalf("INBOX got = %d messages, want %d", len(uid), len(subjects))
	}

	if err := p.Messages().MarkRead(alice, "INBOX", []uint32{uid["read me"]}, true); err != nil {
		t.Fatalf("mark read: %v", err)
	}
	if err := p.Messages().SetFlagged(alice, "INBOX", []uint32{uid["flag me"]}, true); err != nil {
		t.Fatalf("flag: %v", err)
	}
	if err := p.Messages().Move(alice, "INBOX", []uint32{uid["move me"]}, "Archive"); err != nil {
		t.Fatalf("move: %v", err)
	}
	if err := p.Messages().Delete(alice, "INBOX", []uint32{uid["delete me"]}); err != nil {
		t.Fatalf("delete: %v", err)
	}

	// The local copy changes at once, before any sync.
	local := func() map[string]backend.MessageSummary {
		t.Helper()
		msgs, err := p.Messages().List(alice, "INBOX", 10)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]backend.MessageSummary{}
		for _, m := range msgs {
			out[m.Subject] = m
		}
		return out
	}
	if got := local(); len(got) != 2 || !got["read me"].Seen || !got["flag me"].Flagged || got["flag me"].Seen {
		t.Errorf("local INBOX before sync got = %+v, want only \"read me\" (seen) and \"flag me\" (flagged, unseen)", got)
	}
	if got := srv.Flags(t, alice, "INBOX"); len(got) != 4 {
		t.Errorf("server INBOX before sync got = %d messages, want 4 (nothing sent yet)", len(got))
	}

	if err := p.Syncer().Sync(ctx, mail.SyncRequest{}); err != nil {
		t.Fatalf("sync after the actions: %v", err)
	}
	inbox := srv.Flags(t, alice, "INBOX")
	tests := []struct {
		name, mailbox, subject string
		flag                   string
	}{
		{"read", "INBOX", "read me", `\Seen`},
		{"flagged", "INBOX", "flag me", `\Flagged`},
		{"moved", "Archive", "move me", ""},
		{"deleted", "Trash", "delete me", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			box := inbox
			if tt.mailbox != "INBOX" {
				box = srv.Flags(t, alice, tt.mailbox)
			}
			flags, ok := box[tt.subject]
			if !ok {
				t.Fatalf("server %s got = %v, want %q in it", tt.mailbox, box, tt.subject)
			}
			if tt.flag != "" && !slices.Contains(flags, tt.flag) {
				t.Errorf("server flags of %q got = %v, want %s", tt.subject, flags, tt.flag)
			}
		})
	}
	if len(inbox) != 2 {
		t.Errorf("server INBOX after sync got = %v, want the read and the flagged message only", inbox)
	}

	// Deleting from the Trash deletes for good.
	trash, err := p.Messages().List(alice, "Trash", 10)
	if err != nil || len(trash) != 1 {
		t.Fatalf("local Trash got = %+v, %v; want the deleted message", trash, err)
	}
	if err := p.Messages().Delete(alice, "Trash", []uint32{trash[0].UID}); err != nil {
		t.Fatalf("delete from Trash: %v", err)
	}
	if err := p.Syncer().Sync(ctx, mail.SyncRequest{}); err != nil {
		t.Fatalf("sync after emptying: %v", err)
	}
	if got := srv.Flags(t, alice, "Trash"); len(got) != 0 {
		t.Errorf("server Trash got = %v, want empty", got)
	}
}
