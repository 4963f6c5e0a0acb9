package mail

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail/backend"
	"github.com/sealpost/sealpost/mail/submit"
	"github.com/sealpost/sealpost/mail/testservers"
)

// testClock is a clock that tests move forward.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// setSMTPPort points the stored account's submission server at port (1:
// nothing listens there) and returns the port it had.
func setSMTPPort(t *testing.T, e *Engine, user string, port int) int {
	t.Helper()
	return setPort(t, e, user, func(a *localstore.Account) *int { return &a.SMTP.Port }, port)
}

// setPort sets the stored account's port that which points to and returns
// the port it had.
func setPort(t *testing.T, e *Engine, user string, which func(*localstore.Account) *int, port int) int {
	t.Helper()
	acct := storedAccount(t, e, user)
	old := *which(&acct)
	*which(&acct) = port
	if err := e.with(t.Context(), func(p *Profile) error { return p.store.Accounts().Put(acct) }); err != nil {
		t.Fatal(err)
	}
	return old
}

// TestEngineOutbox: messages whose submission server is unreachable wait in
// the outbox and are listed; one is discarded (and audited); a sync while
// the server is still away warns how many wait and why, without failing;
// once the submission server is back the next sync sends the rest and
// empties the outbox, even though the IMAP server is away then.
func TestEngineOutbox(t *testing.T) {
	srv := testservers.Start(t)
	alice, bob := "alice@"+srv.Domain, "bob@"+srv.Domain
	clock := &testClock{now: time.Now()}
	e := NewEngine(filepath.Join(t.TempDir(), "p"), &ProfileOptions{Store: &localstore.Options{KDF: &cheapKDF}, RootCAs: srv.CA, Now: clock.Now})
	t.Cleanup(func() { _ = e.Lock() })
	if err := e.CreateProfile(t.Context(), []byte(enginePass)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := e.AddAccount(ctx, backend.NewAccount{Email: alice, Name: "Alice", Password: []byte(srv.Users[alice]),
		IMAP: backend.ServerSettings(serverOf(t, srv.IMAPTLS, "tls")), SMTP: backend.ServerSettings(serverOf(t, srv.SMTPTLS, "tls"))}); err != nil {
		t.Fatalf("add account: %v\n%s", err, srv.Log())
	}
	if err := e.Sync(ctx, alice, nil); err != nil { // learns the Sent folder
		t.Fatal(err)
	}

	port := setSMTPPort(t, e, alice, 1)
	for _, subject := range []string{"Waits – ünïcode", "Discard me"} {
		err := e.Send(ctx, alice, backend.Draft{To: []string{"Bob <" + bob + ">"}, Subject: subject, Body: "Hello\r\n"},
			backend.Security{Mode: backend.ModePlain})
		if !errors.Is(err, ErrKeptInOutbox) {
			t.Fatalf("Send without the server: got = %v, want ErrKeptInOutbox", err)
		}
		clock.advance(time.Second) // queued one after the other
	}
	items, err := e.Outbox(t.Context())
	if err != nil || len(items) != 2 {
		t.Fatalf("Outbox got = %d items, %v, want 2", len(items), err)
	}
	for i, subject := range []string{"Waits – ünïcode", "Discard me"} {
		it := items[i]
		if it.Subject != subject || !slices.Equal(it.To, []string{bob}) || it.Account != alice {
			t.Errorf("item %d got = %q to %v from %s, want %q to %s from %s", i, it.Subject, it.To, it.Account, subject, bob, alice)
		}
		if it.State != backend.OutboxWaiting || it.Attempts != 1 || it.LastError == "" || !it.NextTry.After(clock.Now()) || it.Queued.IsZero() {
			t.Errorf("item %d got = state %q, %d attempts, error %q, next %v, queued %v, want waiting after 1 failed attempt with a later retry",
				i, it.State, it.Attempts, it.LastError, it.NextTry, it.Queued)
		}
	}

	if err := e.DiscardOutbox(t.Context(), items[1].ID); err != nil {
		t.Fatalf("DiscardOutbox: %v", err)
	}
	if err := e.DiscardOutbox(t.Context(), items[1].ID); !errors.Is(err, backend.ErrNotInOutbox) {
		t.Errorf("DiscardOutbox again: got = %v, want ErrNotInOutbox", err)
	}
	if kinds := auditKinds(t, e); len(kinds) == 0 || kinds[0] != submit.AuditDiscarded {
		t.Errorf("newest audit entry got = %v, want %s", kinds, submit.AuditDiscarded)
	}
	if left, err := e.Outbox(t.Context()); err != nil || len(left) != 1 || left[0].ID != items[0].ID {
		t.Fatalf("Outbox after the discard got = %+v, %v, want only %q", left, err, items[0].Subject)
	}

	// Due again, but the server is still away: the sync succeeds and warns.
	clock.advance(time.Hour)
	var warnings []string
	var mu sync.Mutex
	collect := func(p backend.SyncProgress) {
		if p.Warning != "" {
			mu.Lock()
			warnings = append(warnings, p.Warning)
			mu.Unlock()
		}
	}
	if err := e.SyncWith(ctx, alice, backend.SyncOptions{}, collect); err != nil {
		t.Fatalf("sync with the submission server away: got = %v, want success", err)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "1 message still waits") || !strings.Contains(warnings[0], "connection refused") {
		t.Errorf("warnings got = %q, want one naming 1 waiting message and the refused connection", warnings)
	}
	if left, _ := e.Outbox(t.Context()); len(left) != 1 || left[0].Attempts != 2 {
		t.Fatalf("Outbox after the failed flush got = %+v, want the message with 2 attempts", left)
	}

	// The submission server is back while the IMAP server is away: the
	// sync fails, and still sends what waits.
	setSMTPPort(t, e, alice, port)
	imapPort := setPort(t, e, alice, func(a *localstore.Account) *int { return &a.IMAP.Port }, 1)
	clock.advance(time.Hour)
	warnings = nil
	if err := e.SyncWith(ctx, alice, backend.SyncOptions{}, collect); err == nil {
		t.Fatal("sync with the IMAP server away succeeded")
	}
	srv.WaitForMessages(t, bob, "INBOX", 1, 30*time.Second)
	got := srv.Messages(t, bob, "INBOX")
	if len(got) != 1 || !strings.Contains(string(got[0]), "Waits") {
		t.Errorf("bob's inbox got = %d messages, want the waiting one only", len(got))
	}
	// Only its copy in Sent waits now, for the IMAP server.
	if left, err := e.Outbox(t.Context()); err != nil || len(left) != 1 || left[0].State != backend.OutboxSent {
		t.Fatalf("Outbox after sending without IMAP got = %+v, %v, want the message, sent, its Sent copy pending", left, err)
	}

	setPort(t, e, alice, func(a *localstore.Account) *int { return &a.IMAP.Port }, imapPort)
	clock.advance(time.Hour)
	warnings = nil
	if err := e.SyncWith(ctx, alice, backend.SyncOptions{}, collect); err != nil {
		t.Fatalf("sync with both servers back: %v", err)
	}
	if len(warnings) != 0 {
		t.Errorf("warnings got = %q, want none", warnings)
	}
	if left, err := e.Outbox(t.Context()); err != nil || len(left) != 0 {
		t.Errorf("Outbox after the sync got = %+v, %v, want empty", left, err)
	}
	if n := len(srv.Messages(t, bob, "INBOX")); n != 1 {
		t.Errorf("bob's inbox got = %d messages after the Sent copy was saved, want still 1", n)
	}
	if err := e.RetryOutbox(ctx, items[0].ID); !errors.Is(err, backend.ErrNotInOutbox) {
		t.Errorf("RetryOutbox of a sent message: got = %v, want ErrNotInOutbox", err)
	}
}

// TestOutboxItemState maps every stored state to what the UI shows.
func TestOutboxItemState(t *testing.T) {
	at := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	raw := []byte("From: a@example.org\r\nTo: b@example.org\r\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n\r\nbody\r\n")
	tests := []struct {
		name string
		item localstore.OutboxItem
		want string
	}{
		{"new", localstore.OutboxItem{}, backend.OutboxWaiting},
		{"temporary failure", localstore.OutboxItem{Attempts: 2, LastError: "refused", NextAttempt: at}, backend.OutboxWaiting},
		{"permanent failure", localstore.OutboxItem{Attempts: 1, LastError: "550", Held: true}, backend.OutboxHeld},
		{"cut off during DATA", localstore.OutboxItem{Attempts: 1, Held: true, SubmittingSince: at}, backend.OutboxUncertain},
		{"submitting", localstore.OutboxItem{SubmittingSince: at}, backend.OutboxSending},
		{"accepted, copy pending", localstore.OutboxItem{AcceptedAt: at, Attempts: 1, NextAttempt: at}, backend.OutboxSent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.item.Raw = raw
			got := outboxItem(tt.item)
			if got.State != tt.want {
				t.Errorf("state got = %q, want %q", got.State, tt.want)
			}
			if got.Subject != "Grüße" {
				t.Errorf("subject got = %q, want %q", got.Subject, "Grüße")
			}
		})
	}
}

// TestOuterSubject reads only the outer header: a protected message shows
// its placeholder.
func TestOuterSubject(t *testing.T) {
	tests := []struct {
		name, raw, want string
	}{
		{"plain", "Subject: Lunch\r\n\r\nbody", "Lunch"},
		{"protected", "Subject: [...]\r\nContent-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=x\r\n\r\n--x--\r\n", "[...]"},
		{"encoded", "Subject: =?utf-8?b?w7xiZXI=?=\r\n\r\n", "über"},
		{"none", "From: a@example.org\r\n\r\n", ""},
		{"header only", "Subject: cut", "cut"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := outerSubject([]byte(tt.raw)); got != tt.want {
				t.Errorf("got = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestFlushWarning names how many messages wait and each distinct reason
// once, without message IDs.
func TestFlushWarning(t *testing.T) {
	refused := errors.New("dial tcp 127.0.0.1:1: connection refused")
	tests := []struct {
		name    string
		waiting int
		err     error
		want    []string
		notWant string
	}{
		{"one", 1, errors.Join(fmt.Errorf("message abc123: %w", refused)), []string{"1 message still waits", "connection refused"}, "abc123"},
		{"two same reason", 2, errors.Join(fmt.Errorf("message a1: %w", refused), fmt.Errorf("message b2: %w", refused)),
			[]string{"2 messages still wait", "refused"}, "a1"},
		{"unknown count", -1, context.Canceled, []string{"messages still wait", "context canceled"}, "-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := flushWarning(tt.waiting, tt.err)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("got = %q, want it to contain %q", got, w)
				}
			}
			if strings.Contains(got, tt.notWant) || strings.Count(got, "connection refused") > 1 {
				t.Errorf("got = %q, want no %q and each reason once", got, tt.notWant)
			}
		})
	}
}
