package mailtest_test

import (
	"bytes"
	"context"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/sealpost/sealpost/mail"
	"github.com/sealpost/sealpost/mail/backend"
	"github.com/sealpost/sealpost/mail/mailtest"
)

// TestSuite runs the harness's own suite against every kind of servers, so
// that make test covers the Dovecot variant as well as the in-process one:
// delivery, a sync, a send from one user to the other, an engine and a
// pinned profile.
func TestSuite(t *testing.T) {
	for _, kind := range mailtest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			srv := mailtest.StartKind(t, kind)
			t.Run("deliver and sync", func(t *testing.T) { deliverAndSync(t, srv) })
			t.Run("send to the other user", func(t *testing.T) { send(t, srv) })
			t.Run("engine", func(t *testing.T) { engine(t, srv) })
			t.Run("pinned profile", func(t *testing.T) { pinned(t, srv) })
		})
	}
}

// ctx bounds one step of the suite.
func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return c
}

// subjects lists the subjects of account's INBOX in p.
func subjects(t *testing.T, p *mail.Profile, account string) []string {
	t.Helper()
	msgs, err := p.Messages().List(account, "INBOX", 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range msgs {
		out = append(out, m.Subject)
	}
	return out
}

func deliverAndSync(t *testing.T, srv *mailtest.Servers) {
	p := mailtest.NewProfile(t, srv, srv.Alice, nil)
	raw := mailtest.Message("carol@example.net", srv.Alice, "Delivered", "Hello Alice.")
	srv.Deliver(t, "carol@example.net", srv.Alice, raw)
	got := srv.Messages(t, srv.Alice, "INBOX")
	if len(got) != 1 || !bytes.Contains(got[0], []byte("Subject: Delivered")) {
		t.Fatalf("INBOX on the server holds %d messages, want the delivered one", len(got))
	}
	if err := p.Syncer().Sync(ctx(t), mail.SyncRequest{Account: srv.Alice}); err != nil {
		t.Fatalf("sync: %v\n%s", err, srv.Log())
	}
	if s := subjects(t, p, srv.Alice); !slices.Equal(s, []string{"Delivered"}) {
		t.Errorf("INBOX after sync = %q, want the delivered message", s)
	}
}

func send(t *testing.T, srv *mailtest.Servers) {
	alice := mailtest.NewProfile(t, srv, srv.Alice, nil)
	bob := mailtest.NewProfile(t, srv, srv.Bob, nil)
	_, err := alice.Outbox().Send(ctx(t), srv.Alice, backend.Draft{To: []string{srv.Bob}, Subject: "From Alice", Body: "Hi Bob.\n"},
		backend.Security{Mode: mail.ModePlain})
	if err != nil {
		t.Fatalf("send: %v\n%s", err, srv.Log())
	}
	srv.WaitForMessages(t, srv.Bob, "INBOX", 1, 30*time.Second)
	if err := bob.Syncer().Sync(ctx(t), mail.SyncRequest{Account: srv.Bob}); err != nil {
		t.Fatalf("sync: %v", err)
	}
	if s := subjects(t, bob, srv.Bob); !slices.Equal(s, []string{"From Alice"}) {
		t.Errorf("bob's INBOX = %q, want alice's message", s)
	}
	if sent := srv.Messages(t, srv.Alice, "Sent"); len(sent) != 1 {
		t.Errorf("alice's Sent holds %d messages, want the copy of the one sent", len(sent))
	}
}

func engine(t *testing.T, srv *mailtest.Servers) {
	e := mailtest.NewEngine(t, srv, srv.Bob, nil)
	accts, err := e.Accounts(t.Context())
	if err != nil || len(accts) != 1 || accts[0].Email != srv.Bob {
		t.Fatalf("accounts = %+v, %v; want bob's", accts, err)
	}
	srv.Deliver(t, srv.Alice, srv.Bob, mailtest.Message(srv.Alice, srv.Bob, "To the engine", "Hi."))
	if err := e.Sync(ctx(t), srv.Bob, nil); err != nil {
		t.Fatalf("sync: %v", err)
	}
	msgs, err := e.Messages(t.Context(), srv.Bob, "INBOX", 10)
	if err != nil || !slices.ContainsFunc(msgs, func(m backend.MessageSummary) bool { return m.Subject == "To the engine" }) {
		t.Fatalf("engine's INBOX = %+v, %v; want the delivered message", msgs, err)
	}
}

func pinned(t *testing.T, srv *mailtest.Servers) {
	dir := mailtest.PinnedProfileDir(t, srv, srv.Alice)
	// Opened without the CA, as the command does: only the pin lets it in.
	p, err := mail.OpenProfile(dir, []byte(mailtest.Passphrase), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	accts, err := p.Accounts().List()
	if err != nil || len(accts) != 1 || len(accts[0].Pins) == 0 {
		t.Fatalf("accounts = %+v, %v; want alice's with the pinned certificate", accts, err)
	}
	if err := p.Syncer().Sync(ctx(t), mail.SyncRequest{Account: srv.Alice}); err != nil {
		t.Fatalf("sync with the pin: %v", err)
	}
}

// TestStartUnknownKind: a typo in the switch fails rather than silently
// running the in-process servers.
func TestStartUnknownKind(t *testing.T) {
	ft := &fatalRecorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		mailtest.StartKind(ft, "dovcot")
	}()
	<-done
	if !ft.failed {
		t.Fatal("StartKind accepted an unknown kind")
	}
}

// fatalRecorder records Fatalf instead of failing the real test; Fatalf
// ends the goroutine as testing's does.
type fatalRecorder struct {
	testing.TB
	failed bool
}

func (f *fatalRecorder) Helper() {}

func (f *fatalRecorder) Fatalf(format string, args ...any) {
	f.failed = true
	runtime.Goexit()
}
