package mail

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/sealpost/sealpost/localstore"
)

// TestOutboxSenderFollowsTheOutboxSchedule: the session's outbox sender
// plans its next try at the earliest message the outbox retries by itself,
// and leaves held and possibly sent messages to the user.
func TestOutboxSenderFollowsTheOutboxSchedule(t *testing.T) {
	e := NewEngine(filepath.Join(t.TempDir(), "p"), &ProfileOptions{Store: &localstore.Options{KDF: &cheapKDF}})
	if err := e.CreateProfile(t.Context(), []byte("outbox schedule passphrase")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Lock() })
	now := time.Now().UTC()
	soon, later := now.Add(3*time.Minute), now.Add(40*time.Minute)
	err := e.with(t.Context(), func(p *Profile) error {
		for _, it := range []localstore.OutboxItem{
			{Account: "a@example.org", Raw: []byte("x"), NextAttempt: later},
			{Account: "a@example.org", Raw: []byte("x"), NextAttempt: soon},
			{Account: "a@example.org", Raw: []byte("x"), NextAttempt: now.Add(-time.Hour), Held: true},
			{Account: "a@example.org", Raw: []byte("x"), NextAttempt: now.Add(-time.Hour), SubmittingSince: now.Add(-time.Hour)},
		} {
			if _, err := p.store.Outbox().Add(it); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	set := &sessions{e: e, ctx: context.Background()}
	waiting, next, err := set.tryOutbox(false)
	if err != nil {
		t.Fatal(err)
	}
	if waiting != 4 || !next.Equal(soon) {
		t.Fatalf("waiting %d, next try %v; want 4 waiting and the next try at %v", waiting, next, soon)
	}
}
