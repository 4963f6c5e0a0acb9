package mail

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"

	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail/backend"
	"github.com/sealpost/sealpost/mail/testservers"
	"github.com/sealpost/sealpost/mail/travel"
)

// testDNS serves the DKIM key of sender.example (selector s1) and counts
// the lookups. While gate is set, a lookup waits for it to close (or for
// its context); while down is set, lookups fail as an unreachable DNS
// does.
type testDNS struct {
	key     ed25519.PrivateKey
	lookups atomic.Int32
	gate    chan struct{}
	down    atomic.Bool
}

// startDKIMTest starts the test's mail servers and returns them, the
// address of bob's account on them, a context for the test (two minutes)
// and a testDNS.
func startDKIMTest(t *testing.T) (*testservers.Servers, string, context.Context, *testDNS) {
	t.Helper()
	srv := testservers.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return srv, "bob@" + srv.Domain, ctx, &testDNS{key: key}
}

func (d *testDNS) lookup(ctx context.Context, name string) ([]string, error) {
	d.lookups.Add(1)
	if d.gate != nil {
		select {
		case <-d.gate:
		case <-ctx.Done():
			return nil, &net.DNSError{Err: "i/o timeout", Name: name, IsTimeout: true}
		}
	}
	if d.down.Load() {
		return nil, &net.DNSError{Err: "server misbehaving", Name: name, IsTemporary: true}
	}
	zone := keyZone{"s1._domainkey.sender.example": "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(d.key.Public().(ed25519.PublicKey))}
	return zone.lookup(ctx, name)
}

// deliverSigned delivers to account a message from carol@sender.example
// with subject, signed by sender.example with d's key.
func (d *testDNS) deliverSigned(t *testing.T, srv *testservers.Servers, account, subject string) {
	t.Helper()
	msg := "From: Carol <carol@sender.example>\r\nTo: " + account + "\r\nSubject: " + subject +
		"\r\nDate: Sat, 05 Dec 2026 12:00:00 +0000\r\nMessage-ID: <" + strings.ReplaceAll(subject, " ", ".") + "@sender.example>\r\n\r\nSigned text.\r\n"
	var signed bytes.Buffer
	if err := dkim.Sign(&signed, strings.NewReader(msg), &dkim.SignOptions{Domain: "sender.example", Selector: "s1", Signer: d.key}); err != nil {
		t.Fatal(err)
	}
	srv.Deliver(t, "carol@sender.example", account, signed.Bytes())
}

// travelBySubject returns the travel records of account's INBOX by subject.
func travelBySubject(t *testing.T, p *Profile, account string) map[string]*backend.Travel {
	t.Helper()
	list, err := p.Messages().List(account, "INBOX", 50)
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]*backend.Travel, len(list))
	for _, m := range list {
		if out[m.Subject], err = p.Messages().Travel(account, "INBOX", m.UID); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// dkimEngine is an engine on a new profile holding account of srv, with
// opts (the test's CA and cheap key derivation added).
func dkimEngine(ctx context.Context, t *testing.T, srv *testservers.Servers, account string, opts ProfileOptions) *Engine {
	t.Helper()
	opts.Store, opts.RootCAs = &localstore.Options{KDF: &cheapKDF}, srv.CA
	e := NewEngine(filepath.Join(t.TempDir(), "p"), &opts)
	t.Cleanup(func() { _ = e.Lock() })
	if err := e.CreateProfile(ctx, []byte(enginePass)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.AddAccount(ctx, backend.NewAccount{Email: account, Name: "Bob", Password: []byte(srv.Users[account]),
		IMAP: backend.ServerSettings(serverOf(t, srv.IMAPTLS, "tls")), SMTP: backend.ServerSettings(serverOf(t, srv.SMTPTLS, "tls"))}); err != nil {
		t.Fatalf("add account: %v", err)
	}
	return e
}

// inboxUID returns the UID of the INBOX message of account with subject.
func inboxUID(ctx context.Context, t *testing.T, e *Engine, account, subject string) uint32 {
	t.Helper()
	list, err := e.Messages(ctx, account, "INBOX", 50)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range list {
		if m.Subject == subject {
			return m.UID
		}
	}
	t.Fatalf("no message %q in the inbox", subject)
	return 0
}

// openInbox opens the INBOX message of account with subject through e.
func openInbox(ctx context.Context, t *testing.T, e *Engine, account, subject string) backend.Message {
	t.Helper()
	msg, err := e.Open(ctx, account, "INBOX", inboxUID(ctx, t, e, account, subject))
	if err != nil {
		t.Fatalf("open %q: %v", subject, err)
	}
	return msg
}

// waitEvent returns the first event of kind from events, failing the test
// when ctx ends first.
func waitEvent(ctx context.Context, t *testing.T, events <-chan backend.Event, kind backend.EventKind) backend.Event {
	t.Helper()
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatalf("the event stream ended before a %s event", kind)
			}
			if ev.Kind == kind {
				return ev
			}
		case <-ctx.Done():
			t.Fatalf("no %s event: %v", kind, ctx.Err())
		}
	}
}

// waitChecks waits for the DKIM checks running in e's background.
func waitChecks(ctx context.Context, t *testing.T, e *Engine) {
	t.Helper()
	if err := e.with(ctx, func(p *Profile) error { p.syncer.checks.wg.Wait(); return nil }); err != nil {
		t.Fatal(err)
	}
}

// TestDKIMResolverOutlivesSyncs: the DKIM key a sync looked up is not
// looked up again by the next sync of the profile (one Resolver, one
// cache); with DKIM lookups turned off in the settings, a sync looks
// nothing up and says so.
func TestDKIMResolverOutlivesSyncs(t *testing.T) {
	srv, bob, ctx, d := startDKIMTest(t)
	p := dkimCheckingProfile(ctx, t, srv, bob, d.lookup)
	for i, subject := range []string{"First", "Second"} {
		d.deliverSigned(t, srv, bob, subject)
		srv.WaitForMessages(t, bob, "INBOX", uint32(i+1), 30*time.Second)
		if err := p.Syncer().Sync(ctx, SyncRequest{Folder: "INBOX"}); err != nil {
			t.Fatal(err)
		}
	}
	if n := d.lookups.Load(); n != 1 {
		t.Errorf("two syncs of mail signed with one key looked it up %d times, want once", n)
	}
	got := travelBySubject(t, p, bob)
	for _, subject := range []string{"First", "Second"} {
		if tr := got[subject]; tr == nil || len(tr.DKIM) != 1 || tr.DKIM[0].Result != backend.DKIMPass || !tr.RecheckAfter.IsZero() {
			t.Errorf("%q: travel %+v, want one final DKIM pass", subject, tr)
		}
	}

	s, err := p.Settings().Get()
	if err != nil {
		t.Fatal(err)
	}
	s.NoDKIMLookups = true
	if err := p.Settings().Save(s); err != nil {
		t.Fatal(err)
	}
	p.syncer.checks.wg.Wait()
	d.lookups.Store(0)
	p.syncer.resolver = travel.NewResolver(d.lookup) // an empty cache: a lookup would show
	d.deliverSigned(t, srv, bob, "Third")
	srv.WaitForMessages(t, bob, "INBOX", 3, 30*time.Second)
	if err := p.Syncer().Sync(ctx, SyncRequest{Folder: "INBOX"}); err != nil {
		t.Fatal(err)
	}
	p.syncer.checks.wg.Wait()
	if n := d.lookups.Load(); n != 0 {
		t.Errorf("with DKIM lookups off, the sync looked keys up %d times", n)
	}
	if tr := travelBySubject(t, p, bob)["Third"]; tr == nil || len(tr.DKIM) != 1 ||
		tr.DKIM[0].Result != backend.DKIMNotChecked || tr.DKIM[0].Reason != backend.DKIMLookupsOff {
		t.Errorf("with lookups off: travel %+v, want the signature not checked (lookups off)", tr)
	}
}

// TestOpenDoesNotWaitOnDNS: a message stored as a list entry only is
// fetched and shown while the DNS does not answer, its record made
// without DKIM ("not checked yet") and the check made in the background;
// a record that cannot be stored is logged without the message's names,
// and the message is shown all the same.
func TestOpenDoesNotWaitOnDNS(t *testing.T) {
	srv, bob, ctx, d := startDKIMTest(t)
	d.gate = make(chan struct{})
	e := dkimEngine(ctx, t, srv, bob, ProfileOptions{LookupTXT: d.lookup})
	d.deliverSigned(t, srv, bob, "Fetched to be read")
	d.deliverSigned(t, srv, bob, "Record lost")
	srv.WaitForMessages(t, bob, "INBOX", 2, 30*time.Second)
	if err := e.SyncWith(ctx, bob, backend.SyncOptions{HeadersOnly: true}, nil); err != nil {
		t.Fatal(err)
	}

	m := openInbox(ctx, t, e, bob, "Fetched to be read")
	if tr := m.Travel; tr == nil || tr.Fetch == nil || len(tr.DKIM) != 1 || tr.DKIM[0].Reason != backend.DKIMNotYet {
		t.Fatalf("opened while the DNS hangs: travel %+v, want our fetch recorded and the signature not checked yet", tr)
	}
	evCtx, stopEvents := context.WithCancel(ctx)
	defer stopEvents()
	events := e.Subscribe(evCtx)
	close(d.gate)
	waitChecks(ctx, t, e)
	uid := inboxUID(ctx, t, e, bob, "Fetched to be read")
	checked := waitEvent(ctx, t, events, backend.EventMessageChecked)
	if checked.Account != bob || checked.Folder != "INBOX" || !slices.Equal(checked.UIDs, []uint32{uid}) {
		t.Errorf("event %+v, want message_checked for UID %d of INBOX of %s", checked, uid, bob)
	}
	tr, err := e.Travel(ctx, bob, "INBOX", uid)
	if err != nil || tr == nil || tr.Fetch == nil || len(tr.DKIM) != 1 || tr.DKIM[0].Result != backend.DKIMPass || !tr.RecheckAfter.IsZero() {
		t.Errorf("after the background check: travel %+v (%v), want the DKIM pass and our fetch", tr, err)
	}
	if tr := openInbox(ctx, t, e, bob, "Fetched to be read").Travel; tr == nil || len(tr.DKIM) != 1 || tr.DKIM[0].Result != backend.DKIMPass {
		t.Errorf("opened after the background check: travel %+v, want the DKIM pass", tr)
	}

	var mu sync.Mutex
	var logged []string
	stopEvents()
	err = e.with(ctx, func(p *Profile) error {
		p.syncer.updateTransports = func(string, string, []localstore.TransportUpdate) (int, error) {
			return 0, fmt.Errorf("write INBOX of %s: %w", bob, localstore.ErrDamaged)
		}
		p.syncer.logf = func(format string, args ...any) {
			mu.Lock()
			defer mu.Unlock()
			logged = append(logged, fmt.Sprintf(format, args...))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if m := openInbox(ctx, t, e, bob, "Record lost"); !strings.Contains(m.Body, "Signed text.") {
		t.Errorf("opened while its record cannot be stored: body %q, want the message", m.Body)
	}
	waitChecks(ctx, t, e)
	mu.Lock()
	defer mu.Unlock()
	if len(logged) != 1 || !strings.Contains(logged[0], localstore.ErrDamaged.Error()) {
		t.Errorf("logged %q, want one line saying the record could not be stored", logged)
	}
	for _, l := range logged {
		if strings.Contains(l, bob) || strings.Contains(l, "INBOX") || strings.Contains(l, "Record lost") {
			t.Errorf("the log line %q names the account, folder or message", l)
		}
	}
}

// TestNotCheckedIsCheckedAgainLater: a signature whose key the DNS could
// not give is stored not checked with a time to check it again; opening
// the message before then looks nothing up, opening it after does, in
// the background, and the pass found is kept for good.
func TestNotCheckedIsCheckedAgainLater(t *testing.T) {
	srv, bob, ctx, d := startDKIMTest(t)
	d.down.Store(true)
	clock := &testClock{now: time.Now()}
	e := dkimEngine(ctx, t, srv, bob, ProfileOptions{LookupTXT: d.lookup, Now: clock.Now})
	d.deliverSigned(t, srv, bob, "Offline")
	srv.WaitForMessages(t, bob, "INBOX", 1, 30*time.Second)
	if err := e.Sync(ctx, bob, nil); err != nil {
		t.Fatal(err)
	}
	tr := openInbox(ctx, t, e, bob, "Offline").Travel
	if tr == nil || len(tr.DKIM) != 1 || tr.DKIM[0].Result != backend.DKIMNotChecked ||
		!tr.RecheckAfter.Equal(tr.CheckedAt.Add(dkimRetry)) {
		t.Fatalf("synced while the DNS failed: travel %+v, want not checked, to be checked again after %v", tr, dkimRetry)
	}
	waitChecks(ctx, t, e)
	d.down.Store(false)
	before := d.lookups.Load()
	clock.advance(dkimRetry - time.Minute)
	openInbox(ctx, t, e, bob, "Offline")
	waitChecks(ctx, t, e)
	if n := d.lookups.Load(); n != before {
		t.Errorf("opened before the time to check again: %d lookups, want none", n-before)
	}
	clock.advance(2 * time.Minute)
	openInbox(ctx, t, e, bob, "Offline")
	waitChecks(ctx, t, e)
	tr = openInbox(ctx, t, e, bob, "Offline").Travel
	if tr == nil || len(tr.DKIM) != 1 || tr.DKIM[0].Result != backend.DKIMPass || !tr.RecheckAfter.IsZero() || tr.Fetch == nil {
		t.Errorf("opened after the time to check again: travel %+v, want a final pass, our fetch kept", tr)
	}
}

// TestSlowDNSDoesNotStallSync: a DNS that takes longer than the stall
// timeout to answer does not make the IMAP server look stalled: the sync
// succeeds and leaves the signature to be checked after it.
func TestSlowDNSDoesNotStallSync(t *testing.T) {
	srv, bob, ctx, d := startDKIMTest(t)
	d.gate = make(chan struct{}) // never answers: each lookup ends at its timeout, 5 s
	p, err := CreateProfile(filepath.Join(t.TempDir(), "p"), []byte("test passphrase 123"),
		&ProfileOptions{Store: &localstore.Options{KDF: &cheapKDF}, RootCAs: srv.CA, LookupTXT: d.lookup, StallTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	if _, err := p.Accounts().Add(ctx, AccountSettings{Email: bob, Secret: []byte(srv.Users[bob]),
		IMAP: serverOf(t, srv.IMAPTLS, "tls"), SMTP: serverOf(t, srv.SMTPTLS, "tls")}, nil); err != nil {
		t.Fatal(err)
	}
	d.deliverSigned(t, srv, bob, "Slow DNS")
	srv.WaitForMessages(t, bob, "INBOX", 1, 30*time.Second)
	if err := p.Syncer().Sync(ctx, SyncRequest{Folder: "INBOX"}); err != nil {
		t.Fatalf("sync while the DNS is slow: %v", err)
	}
	tr := travelBySubject(t, p, bob)["Slow DNS"]
	if tr == nil || len(tr.DKIM) != 1 || tr.DKIM[0].Result != backend.DKIMNotChecked || !dueNow(tr) {
		t.Errorf("travel %+v, want the signature not checked and due to be checked at once", tr)
	}
}
