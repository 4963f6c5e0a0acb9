package mail

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail/backend"
	"github.com/sealpost/sealpost/mail/imapsync"
	"github.com/sealpost/sealpost/mail/testservers"
)

// engineWithAccount returns an unlocked engine that trusts the test
// servers' CA, with user's account on them (IMAP and SMTP over TLS).
func engineWithAccount(t *testing.T, srv *testservers.Servers, user string) *Engine {
	t.Helper()
	e := NewEngine(filepath.Join(t.TempDir(), "p"), &ProfileOptions{Store: &localstore.Options{KDF: &cheapKDF}, RootCAs: srv.CA})
	t.Cleanup(func() { _ = e.Lock() })
	if err := e.CreateProfile(t.Context(), []byte(enginePass)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := e.AddAccount(ctx, backend.NewAccount{Email: user, Name: "Alice", Password: []byte(srv.Users[user]),
		IMAP: backend.ServerSettings(serverOf(t, srv.IMAPTLS, "tls")), SMTP: backend.ServerSettings(serverOf(t, srv.SMTPTLS, "tls"))}); err != nil {
		t.Fatalf("add account: %v\n%s", err, srv.Log())
	}
	return e
}

// storedAccount reads the account record as it is stored.
func storedAccount(t *testing.T, e *Engine, email string) (a localstore.Account) {
	t.Helper()
	if err := e.with(t.Context(), func(p *Profile) (err error) { a, err = p.store.Accounts().Get(email); return err }); err != nil {
		t.Fatal(err)
	}
	return a
}

// auditKinds lists the audit trail's kinds, newest first.
func auditKinds(t *testing.T, e *Engine) []string {
	t.Helper()
	trail, err := e.AuditTrail(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, en := range trail.Entries {
		kinds = append(kinds, en.Kind)
	}
	return kinds
}

// TestEngineUpdateAccount changes the name without the network, refuses a
// wrong password without changing anything, takes the right one after
// testing both logins, and moves IMAP to STARTTLS keeping the local mail.
func TestEngineUpdateAccount(t *testing.T) {
	srv := testservers.Start(t)
	user := "alice@" + srv.Domain
	e := engineWithAccount(t, srv, user)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := e.with(t.Context(), func(p *Profile) error {
		if err := p.store.Folders().Put(localstore.Folder{Account: user, Name: "INBOX"}); err != nil {
			return err
		}
		return p.store.Messages().PutSummaries(user, "INBOX", []localstore.Summary{{UID: 1, Subject: "kept"}})
	}); err != nil {
		t.Fatal(err)
	}
	before := storedAccount(t, e, user)

	t.Run("name only", func(t *testing.T) {
		got, err := e.UpdateAccount(ctx, backend.NewAccount{Email: strings.ToUpper(user), Name: "Alice Liddell"})
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Tested) != 0 {
			t.Errorf("tested = %+v, want no connection for a name change", got.Tested)
		}
		d, err := e.AccountDetails(t.Context(), user)
		if err != nil || d.Name != "Alice Liddell" || d.IMAP != backend.ServerSettings(serverOf(t, srv.IMAPTLS, "tls")) {
			t.Errorf("details got = %+v, %v, want the new name and the old servers", d, err)
		}
		if kinds := auditKinds(t, e); kinds[0] != AuditAccountChanged {
			t.Errorf("newest audit entry got = %s, want %s", kinds[0], AuditAccountChanged)
		}
	})

	t.Run("wrong password", func(t *testing.T) {
		n := len(auditKinds(t, e))
		_, err := e.UpdateAccount(ctx, backend.NewAccount{Email: user, Name: "Alice Liddell", Password: []byte("wrong")})
		if !errors.Is(err, backend.ErrLoginRejected) {
			t.Fatalf("got = %v, want ErrLoginRejected", err)
		}
		if got := storedAccount(t, e, user); got.Secret != before.Secret {
			t.Errorf("stored secret changed after a failed test")
		}
		if got := len(auditKinds(t, e)); got != n {
			t.Errorf("audit entries got = %d, want %d (nothing recorded)", got, n)
		}
	})

	t.Run("right password", func(t *testing.T) {
		got, err := e.UpdateAccount(ctx, backend.NewAccount{Email: user, Name: "Alice Liddell", Password: []byte(srv.Users[user])})
		if err != nil {
			t.Fatalf("%v\n%s", err, srv.Log())
		}
		if len(got.Tested) != 2 {
			t.Fatalf("tested got = %+v, want IMAP and SMTP", got.Tested)
		}
		for i, c := range got.Tested {
			if !strings.HasPrefix(c.Version, "TLS 1.") || c.CertSHA256 == "" || c.Pinned {
				t.Errorf("connection %d got = %+v, want verified TLS", i, c)
			}
		}
	})

	t.Run("IMAP to STARTTLS", func(t *testing.T) {
		imap := backend.ServerSettings(serverOf(t, srv.IMAPStartTLS, "starttls"))
		got, err := e.UpdateAccount(ctx, backend.NewAccount{Email: user, Name: "Alice Liddell", IMAP: imap})
		if err != nil {
			t.Fatalf("%v\n%s", err, srv.Log())
		}
		if got.IMAP != imap || len(got.Tested) != 2 || !strings.Contains(got.Tested[0].Server, imap.Host) {
			t.Errorf("got = %+v, want IMAP %v tested", got, imap)
		}
		if d, err := e.AccountDetails(t.Context(), user); err != nil || d.IMAP != imap || d.SMTP != backend.ServerSettings(serverOf(t, srv.SMTPTLS, "tls")) {
			t.Errorf("details got = %+v, %v, want IMAP %v and SMTP unchanged", d, err, imap)
		}
		if msgs, err := e.Messages(t.Context(), user, "INBOX", 10); err != nil || len(msgs) != 1 {
			t.Errorf("local messages got = %d, %v, want 1 kept", len(msgs), err)
		}
	})

	t.Run("port without host", func(t *testing.T) {
		_, err := e.UpdateAccount(ctx, backend.NewAccount{Email: user, Name: "Alice Liddell", SMTP: backend.ServerSettings{Port: 587}})
		if err == nil || !strings.Contains(err.Error(), "SMTP host") {
			t.Errorf("got = %v, want a request for the SMTP host", err)
		}
	})

	t.Run("no such account", func(t *testing.T) {
		if _, err := e.UpdateAccount(ctx, backend.NewAccount{Email: "nobody@" + srv.Domain}); !errors.Is(err, ErrNoAccount) {
			t.Errorf("got = %v, want ErrNoAccount", err)
		}
	})
}

// TestEngineUpdateAccountPins moves a pinned account's IMAP server to
// another host: its certificate must be trusted again, the old pin goes.
func TestEngineUpdateAccountPins(t *testing.T) {
	srv := testservers.Start(t)
	e := newSetupEngine(t)
	user := "bob@" + srv.Domain
	acct := backend.NewAccount{Email: user, Password: []byte(srv.Users[user]),
		IMAP: backend.ServerSettings(serverOf(t, srv.IMAPStartTLS, "starttls")),
		SMTP: backend.ServerSettings(serverOf(t, srv.SMTPTLS, "tls"))}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var certErr *backend.CertificateError
	_, err := e.AddAccount(ctx, acct)
	if !errors.As(err, &certErr) {
		t.Fatalf("AddAccount got = %v, want a *backend.CertificateError", err)
	}
	acct.Trust = trustAll(err)
	if _, err := e.AddAccount(ctx, acct); err != nil {
		t.Fatalf("AddAccount trusting the certificate: %v", err)
	}
	old := acct.IMAP
	if d, _ := e.AccountDetails(t.Context(), user); len(d.Pins) != 2 {
		t.Fatalf("pins got = %+v, want IMAP and SMTP pinned", d.Pins)
	}

	change := backend.NewAccount{Email: user, IMAP: backend.ServerSettings(serverOf(t, srv.IMAPTLS, "tls"))}
	_, err = e.UpdateAccount(ctx, change)
	if !errors.As(err, &certErr) || certErr.Changed || certErr.Port != change.IMAP.Port {
		t.Fatalf("got = %v, want a *backend.CertificateError for the new IMAP server", err)
	}
	if d, _ := e.AccountDetails(t.Context(), user); d.IMAP != old {
		t.Errorf("IMAP after the refusal got = %v, want %v", d.IMAP, old)
	}
	change.Trust = trustAll(err)
	got, err := e.UpdateAccount(ctx, change)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Tested) != 2 || !got.Tested[0].Pinned {
		t.Errorf("tested got = %+v, want the new IMAP server pinned", got.Tested)
	}
	d, err := e.AccountDetails(t.Context(), user)
	if err != nil {
		t.Fatal(err)
	}
	var pins []string
	for _, p := range d.Pins {
		pins = append(pins, fmt.Sprintf("%s:%d", p.Host, p.Port))
	}
	want := []string{fmt.Sprintf("%s:%d", acct.SMTP.Host, acct.SMTP.Port), fmt.Sprintf("%s:%d", change.IMAP.Host, change.IMAP.Port)}
	if strings.Join(pins, ",") != strings.Join(want, ",") {
		t.Errorf("pins got = %v, want %v (the old IMAP pin dropped)", pins, want)
	}
}

// TestEngineRemoveAccount refuses while the outbox holds the account's mail
// and then removes the account and its local mail, keeping keys.
func TestEngineRemoveAccount(t *testing.T) {
	e := engineWithMail(t)
	const alice = "alice@example.org"
	var queued []localstore.OutboxItem
	if err := e.with(t.Context(), func(p *Profile) error {
		for range 2 {
			it, err := p.store.Outbox().Add(localstore.OutboxItem{Account: alice, Raw: []byte("x")})
			if err != nil {
				return err
			}
			queued = append(queued, it)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	err := e.RemoveAccount(t.Context(), alice)
	if !errors.Is(err, backend.ErrAccountHasOutbox) || !strings.Contains(err.Error(), "2 unsent messages") ||
		!strings.Contains(err.Error(), "discard them") {
		t.Fatalf("got = %v, want ErrAccountHasOutbox naming 2 messages and how to discard them", err)
	}
	if accts, err := e.Accounts(t.Context()); err != nil || len(accts) != 1 {
		t.Errorf("accounts after the refusal got = %v, %v, want alice kept", accts, err)
	}

	if err := e.with(t.Context(), func(p *Profile) error {
		for _, it := range queued {
			if err := p.Outbox().Discard(it.ID); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := e.RemoveAccount(t.Context(), strings.ToUpper(alice)); err != nil {
		t.Fatal(err)
	}
	if accts, err := e.Accounts(t.Context()); err != nil || len(accts) != 0 {
		t.Errorf("accounts got = %v, %v, want none", accts, err)
	}
	if _, err := e.Open(t.Context(), alice, "INBOX", 7); err == nil {
		t.Error("Open of the removed account's message: got nil error, want the message gone")
	}
	if keys, err := e.ListKeys(t.Context()); err != nil || len(keys) != 2 {
		t.Errorf("keys got = %d, %v, want 2 kept", len(keys), err)
	}
	if kinds := auditKinds(t, e); kinds[0] != AuditAccountRemoved {
		t.Errorf("newest audit entry got = %s, want %s", kinds[0], AuditAccountRemoved)
	}
	if err := e.RemoveAccount(t.Context(), alice); !errors.Is(err, ErrNoAccount) {
		t.Errorf("second removal got = %v, want ErrNoAccount", err)
	}
}

// TestEngineSizeCap syncs with a 1 MB cap: the large message is listed but
// not stored offline, and opening it fetches it from the server.
func TestEngineSizeCap(t *testing.T) {
	srv := testservers.Start(t)
	user := "alice@" + srv.Domain
	e := engineWithAccount(t, srv, user)
	prefs, err := e.Preferences(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	prefs.MaxMessageMB = 1
	if err := e.SavePreferences(t.Context(), prefs); err != nil {
		t.Fatal(err)
	}
	big := "big-marker " + strings.Repeat("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\r\n", 20000)
	for _, m := range []struct{ subject, body string }{{"small", "small body\r\n"}, {"big", big}} {
		srv.Deliver(t, "bob@"+srv.Domain, user, fmt.Appendf(nil, "From: bob@%s\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <%s@test>\r\n\r\n%s",
			srv.Domain, user, m.subject, m.subject, m.body))
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := e.Sync(ctx, user, nil); err != nil {
		t.Fatal(err)
	}
	// The engine's sync also indexes what arrived, without a search.
	var indexed []uint32
	if err := e.with(t.Context(), func(p *Profile) (err error) { indexed, err = p.store.SearchIndex().Indexed(user, "INBOX"); return err }); err != nil || len(indexed) != 2 {
		t.Errorf("indexed after Sync: got = %v, %v, want both messages", indexed, err)
	}
	var list []backend.MessageSummary
	if err := e.with(t.Context(), func(p *Profile) (err error) { list, err = p.Messages().List(user, "INBOX", 10); return err }); err != nil {
		t.Fatal(err)
	}
	offline := map[string]bool{}
	for _, m := range list {
		offline[m.Subject] = m.Offline
		if m.Subject == "big" {
			if err := e.with(t.Context(), func(p *Profile) error {
				_, err := p.store.Messages().Raw(user, "INBOX", m.UID)
				return err
			}); !errors.Is(err, localstore.ErrNotFound) {
				t.Errorf("stored raw of the big message: got = %v, want ErrNotFound", err)
			}
			stored := storedAccount(t, e, user)
			unreachable := stored
			unreachable.IMAP.Port = 1 // nothing listens there
			if err := e.with(t.Context(), func(p *Profile) error { return p.store.Accounts().Put(unreachable) }); err != nil {
				t.Fatal(err)
			}
			if _, err := e.Open(t.Context(), user, "INBOX", m.UID); !errors.Is(err, ErrNotOffline) || !strings.Contains(err.Error(), "over the 1 MB size cap") {
				t.Errorf("Open without the server: got = %v, want ErrNotOffline naming the 1 MB cap", err)
			}
			if err := e.with(t.Context(), func(p *Profile) error { return p.store.Accounts().Put(stored) }); err != nil {
				t.Fatal(err)
			}
			msg, err := e.Open(t.Context(), user, "INBOX", m.UID)
			if err != nil || !strings.Contains(msg.Body, "big-marker") {
				t.Errorf("Open of the big message: got = %d bytes, %v, want it fetched from the server", len(msg.Body), err)
			}
		}
	}
	if len(offline) != 2 || !offline["small"] || offline["big"] {
		t.Errorf("offline got = %v, want small stored and big listed only", offline)
	}
}

func TestWhyNotOffline(t *testing.T) {
	e := engineWithMail(t)
	if err := e.SavePreferences(t.Context(), backend.Preferences{MaxMessageMB: 2}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		size uint32
		want string
	}{
		{"over the cap", 3 << 20, "at 3.0 MB it is over the 2 MB size cap"},
		{"headers only", 1 << 10, "without whole messages"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got string
			_ = e.with(t.Context(), func(p *Profile) error { got = p.messages.whyNotOffline(localstore.Summary{Size: tt.size}); return nil })
			if !strings.Contains(got, tt.want) {
				t.Errorf("got = %q, want %q in it", got, tt.want)
			}
		})
	}
}

func TestDefaultMaxMessageMBMatchesSync(t *testing.T) {
	if got, want := int64(backend.DefaultMaxMessageMB)<<20, int64(imapsync.DefaultMaxRawSize); got != want {
		t.Errorf("got = %d bytes, want %d (imapsync.DefaultMaxRawSize)", got, want)
	}
}
