package localstore

import (
	"errors"
	"testing"
	"time"
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

func TestSetSecret(t *testing.T) {
	s := newTestStore(t)
	const user = "Alice@example.org"
	expiry := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	first := Secret{Kind: "oauth2", Value: "access-token-one", Refresh: "refresh-token-one", Provider: "google",
		Mechanism: "XOAUTH2", Expiry: expiry, Obtained: expiry.Add(-time.Hour)}
	if err := s.Accounts().SetSecret(user, func(Secret) (Secret, bool) { return first, true }); !errors.Is(err, ErrNotFound) {
		t.Fatalf("SetSecret of no account: %v, want ErrNotFound", err)
	}
	if err := s.Accounts().Put(Account{Email: user, DisplayName: "Alice", Secret: first}); err != nil {
		t.Fatal(err)
	}
	second := first
	second.Value, second.Refresh = "access-token-two", "refresh-token-two"
	if err := s.Accounts().SetSecret("alice@example.org", func(cur Secret) (Secret, bool) { return second, cur.Refresh == "elsewhere" }); err != nil {
		t.Fatal(err)
	}
	if a, _ := s.Accounts().Get(user); a.Secret != first {
		t.Errorf("a refused update changed the secret: %+v", a.Secret)
	}
	if err := s.Accounts().SetSecret(user, func(cur Secret) (Secret, bool) { return second, cur == first }); err != nil {
		t.Fatal(err)
	}
	s = reopen(t, s)
	a, err := s.Accounts().Get(user)
	if err != nil || a.Secret != second || a.DisplayName != "Alice" {
		t.Errorf("after SetSecret and reopen: %+v, %v; want the new secret and the rest kept", a, err)
	}
}
