package localstore

import (
	"errors"
	"testing"
)

// TestDeleteAccountRefusedWithOutbox checks that an account whose messages
// wait in the outbox is not deleted, that other accounts' queued messages
// do not block it, and that it goes once its outbox is empty.
func TestDeleteAccountRefusedWithOutbox(t *testing.T) {
	s := newTestStore(t)
	for _, email := range []string{"a@example.org", "b@example.org"} {
		if err := s.Accounts().Put(Account{Email: email}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Messages().PutSummaries("a@example.org", "INBOX", []Summary{{UID: 1, Subject: "kept"}}); err != nil {
		t.Fatal(err)
	}
	queued, err := s.Outbox().Add(OutboxItem{Account: "A@example.org", Raw: []byte("x")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Outbox().Add(OutboxItem{Account: "b@example.org", Raw: []byte("y")}); err != nil {
		t.Fatal(err)
	}

	err = s.Accounts().Delete("a@example.org", AuditNote{Kind: "account-removed"})
	if !errors.Is(err, ErrOutboxNotEmpty) {
		t.Fatalf("Delete with a queued message: got = %v, want ErrOutboxNotEmpty", err)
	}
	if _, err := s.Accounts().Get("a@example.org"); err != nil {
		t.Errorf("account after the refusal: got = %v, want it kept", err)
	}
	if n, err := s.Messages().CountSummaries("a@example.org", "INBOX"); err != nil || n != 1 {
		t.Errorf("messages after the refusal: got = %d, %v, want 1", n, err)
	}
	if entries, err := s.AuditEntries(); err != nil || len(entries) != 0 {
		t.Errorf("audit after the refusal: got = %d entries, %v, want 0", len(entries), err)
	}

	if err := s.Outbox().Delete(queued.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.Accounts().Delete("a@example.org", AuditNote{Kind: "account-removed"}); err != nil {
		t.Fatalf("Delete with an empty outbox: got = %v, want nil", err)
	}
	if _, err := s.Accounts().Get("a@example.org"); !errors.Is(err, ErrNotFound) {
		t.Errorf("account after Delete: got = %v, want ErrNotFound", err)
	}
}
