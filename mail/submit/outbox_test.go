package submit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sealpost/sealpost/localstore"
	mailbackend "github.com/sealpost/sealpost/mail/backend"
)

var t0 = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

// rig is an outbox wired to a test server, a recording Sent folder and a
// test clock.
type rig struct {
	store *localstore.Store
	srv   *testServer
	sent  *sentBox
	clock *clock
	dials atomic.Int32
	ob    *Outbox
}

func newRig(t testing.TB, b *backend) *rig {
	t.Helper()
	r := &rig{store: newStore(t), srv: newTLSServer(t, b), sent: &sentBox{}, clock: &clock{now: t0}}
	r.ob = r.outbox(t, nil)
	return r
}

// outbox returns a new Outbox over r's store; savesSent may be nil.
func (r *rig) outbox(t testing.TB, savesSent func(string) bool) *Outbox {
	t.Helper()
	connect := r.srv.connector(passwordAuth)
	ob, err := NewOutbox(r.store, Options{
		Connect: func(ctx context.Context, account string) (net.Conn, Auth, error) {
			r.dials.Add(1)
			return connect(ctx, account)
		},
		Sent:            r.sent,
		ServerSavesSent: savesSent,
		Now:             r.clock.Now,
	})
	if err != nil {
		t.Fatalf("NewOutbox: %v", err)
	}
	return ob
}

func (r *rig) enqueue(t testing.TB, raw []byte) localstore.OutboxItem {
	t.Helper()
	it, err := r.ob.Enqueue(testUser, raw)
	if err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	return it
}

func (r *rig) item(t *testing.T, id string) localstore.OutboxItem {
	t.Helper()
	it, err := r.store.Outbox().Get(id)
	if err != nil {
		t.Fatalf("outbox Get: %v", err)
	}
	return it
}

func (r *rig) wantEmpty(t *testing.T) {
	t.Helper()
	if items, err := r.store.Outbox().List(); err != nil || len(items) != 0 {
		t.Errorf("outbox = %d items, %v, want empty", len(items), err)
	}
}

// auditKinds returns the kinds of the audit entries, in order.
func auditKinds(t *testing.T, s *localstore.Store) []string {
	t.Helper()
	entries, err := s.AuditEntries()
	if err != nil {
		t.Fatalf("AuditEntries: %v", err)
	}
	var kinds []string
	for _, e := range entries {
		kinds = append(kinds, e.Kind)
	}
	return kinds
}

func TestOutboxSendsSavesAndClears(t *testing.T) {
	r := newRig(t, newBackend())
	raw := testMessage("To: bob@example.net", "Bcc: eve@example.com",
		`Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary=b`)
	r.enqueue(t, raw)
	if err := r.ob.Flush(context.Background()); err != nil {
		t.Fatalf("Flush: got error = %v, want nil", err)
	}
	msgs := r.srv.b.messages()
	if len(msgs) != 1 || len(msgs[0].To) != 2 || bytes.Contains(msgs[0].Data, []byte("Bcc")) {
		t.Fatalf("server received %+v, want one message to 2 recipients without Bcc", msgs)
	}
	if r.sent.count() != 1 || !bytes.Equal(r.sent.copies[0], raw) {
		t.Errorf("Sent copies = %d, want 1 equal to the stored message", r.sent.count())
	}
	r.wantEmpty(t)
	entries, err := r.store.AuditEntries()
	if err != nil || len(entries) != 1 {
		t.Fatalf("audit = %+v, %v, want one entry", entries, err)
	}
	e := entries[0]
	if e.Kind != AuditSent || e.Subject != "<1@example.org>" {
		t.Errorf("audit entry = %s %s, want %s <1@example.org>", e.Kind, e.Subject, AuditSent)
	}
	if want := `from alice@example.org to bob@example.net, eve@example.com; subject "test"; security: encrypted (PGP/MIME); delivery: not checked`; e.Detail != want {
		t.Errorf("audit detail = %q, want %q", e.Detail, want)
	}
}

// TestSentDetail: the audit entry of a sent message says who sent what to
// whom and how: the real subject given at enqueueing wins over the
// header's placeholder, the security is what the sent message's structure
// shows (the mode only adds what it cannot: signed inside the encryption,
// password mode, plain on purpose), and a delivery finding is recorded when
// one was made.
func TestSentDetail(t *testing.T) {
	hidden := testMessage("To: bob@example.net", `Content-Type: multipart/mixed; boundary=b`)
	encrypted := testMessage("To: bob@example.net", `Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary=b`)
	signed := testMessage("To: bob@example.net", `Content-Type: multipart/signed; protocol="application/pgp-signature"; boundary=b`)
	password := []byte("From: Alice <alice@example.org>\r\nTo: bob@example.net\r\nMessage-ID: <1@example.org>\r\nSubject: [...]\r\n" +
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nOpen message.asc with the password.\r\n" +
		"--b\r\nContent-Type: application/octet-stream; name=\"message.asc\"\r\n\r\n-----BEGIN PGP MESSAGE-----\r\n\r\nwy4ECQMI\r\n-----END PGP MESSAGE-----\r\n--b--\r\n")
	to := func(raw []byte, mode string) localstore.OutboxItem {
		return localstore.OutboxItem{From: "alice@example.org", Recipients: []string{"bob@example.net"}, Raw: raw, SendRecord: localstore.SendRecord{Mode: mode}}
	}
	const detail = `from alice@example.org to bob@example.net; subject "test"; security: %s; delivery: not checked`
	tests := []struct {
		name string
		it   localstore.OutboxItem
		want string
	}{
		{"signed, no mode", to(signed, ""), fmt.Sprintf(detail, "signed, not encrypted (PGP/MIME)")},
		{"encrypted, no mode", to(encrypted, ""), fmt.Sprintf(detail, "encrypted (PGP/MIME)")},
		{"encrypt mode, encrypted", to(encrypted, "encrypt"), fmt.Sprintf(detail, "encrypted and signed (PGP/MIME)")},
		{"encrypt mode, but sent plain", to(hidden, "encrypt"), fmt.Sprintf(detail, "not encrypted")},
		{"encrypt mode, but sent signed only", to(signed, "encrypt"), fmt.Sprintf(detail, "signed, not encrypted (PGP/MIME)")},
		{"sign mode, but sent plain", to(hidden, "sign"), fmt.Sprintf(detail, "not encrypted")},
		{"sign mode, but sent encrypted", to(encrypted, "sign"), fmt.Sprintf(detail, "encrypted (PGP/MIME)")},
		{"password mode without the encrypted attachment", to(hidden, "password"), fmt.Sprintf(detail, "not encrypted")},
		{"password mode and the real subject", localstore.OutboxItem{From: "alice@example.org", Recipients: []string{"bob@example.net"},
			Raw: password, Subject: "Q3 numbers", SendRecord: localstore.SendRecord{Mode: "password"}},
			`from alice@example.org to bob@example.net; subject "Q3 numbers"; security: encrypted with a password (OpenPGP); delivery: not checked`},
		{"plain mode, but sent encrypted", to(encrypted, "plain"), fmt.Sprintf(detail, "encrypted (PGP/MIME)")},
		{"plain on purpose, with a delivery finding", localstore.OutboxItem{From: "alice@example.org", Recipients: []string{"bob@example.net", "carol@example.com"},
			Raw: hidden, SendRecord: localstore.SendRecord{Mode: "plain", Delivery: []localstore.AuditDelivery{
				{Domain: "example.net", Status: mailbackend.DeliveryEnforced}, {Domain: "example.com", Status: mailbackend.DeliveryNotChecked, Reason: "offline"}}}},
			`from alice@example.org to bob@example.net, carol@example.com; subject "test"; security: not encrypted, not signed (sent so on purpose); delivery: example.net delivered over enforced TLS (MTA-STS), example.com not checked (offline)`},
		{"unreadable header", localstore.OutboxItem{From: "alice@example.org", Recipients: []string{"bob@example.net"}, Raw: []byte("no header\r\n")},
			`from alice@example.org to bob@example.net; subject ""; security: unknown; delivery: not checked`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SentDetail(tt.it); got != tt.want {
				t.Errorf("SentDetail = %q\nwant         %q", got, tt.want)
			}
		})
	}
}

// TestEnqueueAbout: what the audit should know is sealed with the item.
func TestEnqueueAbout(t *testing.T) {
	r := newRig(t, newBackend())
	it, err := r.ob.EnqueueAbout(testUser, testMessage("To: bob@example.net"), About{Subject: "real", Record: localstore.SendRecord{Mode: "sign", Delivery: []localstore.AuditDelivery{{Domain: "d"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := r.item(t, it.ID); got.Subject != "real" || got.SendRecord.Mode != "sign" || len(got.SendRecord.Delivery) != 1 {
		t.Errorf("stored item = %q %+v, want what was given", got.Subject, got.SendRecord)
	}
}

func TestOutboxProviderSavesSent(t *testing.T) {
	r := newRig(t, newBackend())
	r.ob = r.outbox(t, func(account string) bool { return account == testUser })
	r.enqueue(t, testMessage("To: bob@example.net"))
	if err := r.ob.Flush(context.Background()); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	if n := r.sent.count(); n != 0 {
		t.Errorf("Sent copies = %d, want 0 when the provider saves them", n)
	}
	r.wantEmpty(t)
}

func TestOutboxKeepsFailedMessage(t *testing.T) {
	tests := []struct {
		name      string
		stage     Stage
		code      int
		temporary bool
	}{
		{"auth temporary", StageAuth, 454, true},
		{"auth permanent", StageAuth, 535, false},
		{"mail temporary", StageMail, 451, true},
		{"mail permanent", StageMail, 550, false},
		{"rcpt temporary", StageRcpt, 450, true},
		{"rcpt permanent", StageRcpt, 550, false},
		{"data temporary", StageData, 452, true},
		{"data permanent", StageData, 554, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBackend()
			b.fail(tt.stage, tt.code)
			r := newRig(t, b)
			id := r.enqueue(t, testMessage("To: bob@example.net")).ID
			if err := r.ob.Flush(context.Background()); err == nil {
				t.Fatal("Flush: got nil error, want the server's refusal")
			}
			it := r.item(t, id)
			if it.Attempts != 1 || !strings.Contains(it.LastError, "injected "+string(tt.stage)+" failure") {
				t.Errorf("item Attempts, LastError = %d, %q, want 1 and the server's message", it.Attempts, it.LastError)
			}
			if !it.AcceptedAt.IsZero() || !it.SubmittingSince.IsZero() {
				t.Errorf("AcceptedAt, SubmittingSince = %v, %v, want both zero", it.AcceptedAt, it.SubmittingSince)
			}
			wantNext := time.Time{}
			if tt.temporary {
				wantNext = t0.Add(DefaultRetryBase)
			}
			if it.Held == tt.temporary || !it.NextAttempt.Equal(wantNext) {
				t.Errorf("Held, NextAttempt = %v, %v, want %v, %v", it.Held, it.NextAttempt, !tt.temporary, wantNext)
			}
			if n := len(b.messages()); n != 0 || r.sent.count() != 0 {
				t.Errorf("messages received, copies = %d, %d, want 0, 0", n, r.sent.count())
			}
			if kinds := auditKinds(t, r.store); len(kinds) != 0 {
				t.Errorf("audit = %q, want none", kinds)
			}
		})
	}
}

func TestOutboxBackoffSchedule(t *testing.T) {
	b := newBackend()
	b.fail(StageMail, 451)
	r := newRig(t, b)
	id := r.enqueue(t, testMessage("To: bob@example.net")).ID
	wantWaits := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute}
	for i, wait := range wantWaits {
		_ = r.ob.Flush(context.Background())
		it := r.item(t, id)
		if want := r.clock.Now().Add(wait); it.Attempts != i+1 || !it.NextAttempt.Equal(want) {
			t.Fatalf("after failure %d: Attempts, NextAttempt = %d, %v, want %d, %v", i+1, it.Attempts, it.NextAttempt, i+1, want)
		}
		r.clock.advance(wait - time.Second)
		if err := r.ob.Flush(context.Background()); err != nil {
			t.Fatalf("Flush before the retry is due: got error = %v, want nil", err)
		}
		if got := r.item(t, id).Attempts; got != i+1 {
			t.Fatalf("Flush before the retry is due: Attempts = %d, want %d (no attempt)", got, i+1)
		}
		r.clock.advance(time.Second)
	}
	b.fail(StageMail, 0)
	if err := r.ob.Flush(context.Background()); err != nil {
		t.Fatalf("Flush after the server recovered: %v", err)
	}
	if n := len(b.messages()); n != 1 {
		t.Errorf("messages received = %d, want 1", n)
	}
	r.wantEmpty(t)
}

func TestBackoff(t *testing.T) {
	ob := &Outbox{opts: Options{RetryBase: time.Minute, RetryMax: time.Hour}}
	tests := []struct {
		attempts int
		want     time.Duration
	}{
		{1, time.Minute},
		{2, 2 * time.Minute},
		{6, 32 * time.Minute},
		{7, time.Hour},
		{1000, time.Hour},
	}
	for _, tt := range tests {
		if got := ob.backoff(tt.attempts); got != tt.want {
			t.Errorf("backoff(%d) = %v, want %v", tt.attempts, got, tt.want)
		}
	}
}

func TestOutboxHeldUntilRetry(t *testing.T) {
	b := newBackend()
	b.fail(StageRcpt, 550)
	r := newRig(t, b)
	id := r.enqueue(t, testMessage("To: bob@example.net")).ID
	_ = r.ob.Flush(context.Background())
	r.clock.advance(24 * time.Hour)
	if err := r.ob.Flush(context.Background()); err != nil {
		t.Fatalf("Flush with a held message: got error = %v, want nil", err)
	}
	if got := r.item(t, id).Attempts; got != 1 {
		t.Errorf("Attempts after a day = %d, want 1 (held messages are not retried)", got)
	}
	if err := r.ob.Send(context.Background(), id); !errors.Is(err, ErrHeld) {
		t.Errorf("Send of a held message: got error = %v, want ErrHeld", err)
	}
	b.fail(StageRcpt, 0)
	if err := r.ob.Retry(context.Background(), id); err != nil {
		t.Fatalf("Retry: got error = %v, want nil", err)
	}
	if n := len(b.messages()); n != 1 {
		t.Errorf("messages received = %d, want 1", n)
	}
	r.wantEmpty(t)
}

func TestOutboxDiscard(t *testing.T) {
	b := newBackend()
	b.fail(StageData, 554)
	r := newRig(t, b)
	id := r.enqueue(t, testMessage("To: bob@example.net")).ID
	_ = r.ob.Flush(context.Background())
	if err := r.ob.Discard(id); err != nil {
		t.Fatalf("Discard: %v", err)
	}
	r.wantEmpty(t)
	entries, err := r.store.AuditEntries()
	if err != nil || len(entries) != 1 {
		t.Fatalf("audit = %+v, %v, want one entry", entries, err)
	}
	if e := entries[0]; e.Kind != AuditDiscarded || e.Subject != "<1@example.org>" || e.Detail != "not sent" {
		t.Errorf("audit entry = %q %q %q, want %q <1@example.org> \"not sent\"", e.Kind, e.Subject, e.Detail, AuditDiscarded)
	}
	if err := r.ob.Discard(id); !errors.Is(err, localstore.ErrNotFound) {
		t.Errorf("second Discard: got error = %v, want ErrNotFound", err)
	}
}

// TestOutboxCrashAfterAcceptance: the copy to Sent fails after the server
// accepted the message, and the process restarts. The message must not be
// submitted again; only the copy is retried.
func TestOutboxCrashAfterAcceptance(t *testing.T) {
	r := newRig(t, newBackend())
	r.sent.setErr(errAppendDown)
	id := r.enqueue(t, testMessage("To: bob@example.net")).ID
	if err := r.ob.Flush(context.Background()); !errors.Is(err, errAppendDown) {
		t.Fatalf("Flush with Sent unreachable: got error = %v, want %v", err, errAppendDown)
	}
	it := r.item(t, id)
	if it.AcceptedAt.IsZero() || it.Held || !it.NextAttempt.Equal(t0.Add(DefaultRetryBase)) {
		t.Errorf("item after failed copy = accepted %v held %v next %v, want accepted, not held, next %v",
			it.AcceptedAt, it.Held, it.NextAttempt, t0.Add(DefaultRetryBase))
	}

	r.store = reopen(t, r.store)
	r.sent.setErr(nil)
	r.ob = r.outbox(t, nil)
	r.dials.Store(0)
	if err := r.ob.Send(context.Background(), id); err != nil {
		t.Fatalf("Send after restart: %v", err)
	}
	if n := r.dials.Load(); n != 0 {
		t.Errorf("submission connections after restart = %d, want 0", n)
	}
	if n := len(r.srv.b.messages()); n != 1 {
		t.Errorf("messages received = %d, want exactly 1", n)
	}
	if n := r.sent.count(); n != 1 {
		t.Errorf("Sent copies = %d, want 1", n)
	}
	r.wantEmpty(t)
	if kinds := auditKinds(t, r.store); len(kinds) != 1 || kinds[0] != AuditSent {
		t.Errorf("audit = %q, want exactly one %s", kinds, AuditSent)
	}
	if rep, err := r.store.VerifyAudit(); err != nil || !rep.OK {
		t.Errorf("VerifyAudit = %+v, %v, want OK", rep, err)
	}
}

// TestOutboxCrashDuringData: the process stopped while the server was
// receiving the message (SubmittingSince persisted, no acceptance). After
// a restart the message is held as uncertain, not sent again, until the
// user decides.
func TestOutboxCrashDuringData(t *testing.T) {
	r := newRig(t, newBackend())
	it := r.enqueue(t, testMessage("To: bob@example.net"))
	it.SubmittingSince = t0
	if err := r.store.Outbox().Update(it); err != nil {
		t.Fatal(err)
	}
	r.store = reopen(t, r.store)
	r.ob = r.outbox(t, nil)

	if err := r.ob.Flush(context.Background()); !errors.Is(err, ErrUncertain) {
		t.Fatalf("Flush after the crash: got error = %v, want ErrUncertain", err)
	}
	if n := r.dials.Load(); n != 0 {
		t.Errorf("submission connections = %d, want 0", n)
	}
	got := r.item(t, it.ID)
	if !got.Held || got.SubmittingSince.IsZero() || !strings.Contains(got.LastError, "may have been sent") {
		t.Errorf("item = held %v, submitting since %v, last error %q, want held, still marked, explained",
			got.Held, got.SubmittingSince, got.LastError)
	}
	if err := r.ob.Discard(it.ID); err != nil {
		t.Fatalf("Discard: %v", err)
	}
	entries, err := r.store.AuditEntries()
	if err != nil || len(entries) != 1 || entries[0].Detail != "possibly sent (the outcome was unknown)" {
		t.Errorf("audit = %+v, %v, want one discard entry saying possibly sent", entries, err)
	}
}

func TestOutboxUncertainIsNotResent(t *testing.T) {
	b := newBackend()
	b.dropAfterData = true
	r := newRig(t, b)
	id := r.enqueue(t, testMessage("To: bob@example.net")).ID
	if err := r.ob.Flush(context.Background()); !errors.Is(err, ErrUncertain) {
		t.Fatalf("Flush with the connection cut after the data: got error = %v, want ErrUncertain", err)
	}
	r.clock.advance(24 * time.Hour)
	_ = r.ob.Flush(context.Background())
	if n := len(b.messages()); n != 1 {
		t.Errorf("messages received = %d, want 1 (no automatic resend)", n)
	}
	if it := r.item(t, id); !it.Held || it.SubmittingSince.IsZero() {
		t.Errorf("item = held %v, submitting since %v, want held and marked uncertain", it.Held, it.SubmittingSince)
	}
	// The user checked and wants it sent again.
	b.mu.Lock()
	b.dropAfterData = false
	b.mu.Unlock()
	if err := r.ob.Retry(context.Background(), id); err != nil {
		t.Fatalf("Retry: %v", err)
	}
	if n := len(b.messages()); n != 2 {
		t.Errorf("messages received after Retry = %d, want 2", n)
	}
	r.wantEmpty(t)
}

func TestOutboxConnectErrors(t *testing.T) {
	tests := []struct {
		name      string
		connect   func(ts *testServer) Connector
		temporary bool
	}{
		{"connection refused", func(*testServer) Connector {
			return func(ctx context.Context, _ string) (net.Conn, Auth, error) {
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					return nil, Auth{}, err
				}
				addr := ln.Addr().String()
				ln.Close()
				var d net.Dialer
				c, err := d.DialContext(ctx, "tcp", addr)
				return c, passwordAuth, err
			}
		}, true},
		{"plaintext connection", func(ts *testServer) Connector {
			return func(ctx context.Context, _ string) (net.Conn, Auth, error) {
				var d net.Dialer
				c, err := d.DialContext(ctx, "tcp", ts.addr)
				return c, passwordAuth, err
			}
		}, false},
		{"untrusted certificate", func(ts *testServer) Connector {
			return func(ctx context.Context, _ string) (net.Conn, Auth, error) {
				d := tlsDialer(nil)
				c, err := d.DialContext(ctx, "tcp", ts.addr)
				return c, passwordAuth, err
			}
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, newBackend())
			ob, err := NewOutbox(r.store, Options{Connect: tt.connect(r.srv), Sent: r.sent, Now: r.clock.Now})
			if err != nil {
				t.Fatal(err)
			}
			id := r.enqueue(t, testMessage("To: bob@example.net")).ID
			if err := ob.Flush(context.Background()); err == nil {
				t.Fatal("Flush: got nil error, want the connection failure")
			}
			it := r.item(t, id)
			if it.Held == tt.temporary || it.Attempts != 1 || it.LastError == "" {
				t.Errorf("item = held %v, attempts %d, last error %q, want held %v, 1 attempt, an error",
					it.Held, it.Attempts, it.LastError, !tt.temporary)
			}
			if n := len(r.srv.b.messages()); n != 0 {
				t.Errorf("messages received = %d, want 0", n)
			}
		})
	}
}

// blockingConnector lets a test hold a submission at the connection step.
type blockingConnector struct {
	entered chan struct{}
	release chan struct{}
	next    Connector
}

func (b *blockingConnector) connect(ctx context.Context, account string) (net.Conn, Auth, error) {
	b.entered <- struct{}{}
	<-b.release
	return b.next(ctx, account)
}

func TestOutboxOneSendAtATime(t *testing.T) {
	r := newRig(t, newBackend())
	bc := &blockingConnector{entered: make(chan struct{}), release: make(chan struct{}), next: r.srv.connector(passwordAuth)}
	ob, err := NewOutbox(r.store, Options{Connect: bc.connect, Sent: r.sent, Now: r.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	id := r.enqueue(t, testMessage("To: bob@example.net")).ID
	done := make(chan error, 1)
	go func() { done <- ob.Send(context.Background(), id) }()
	<-bc.entered
	if err := ob.Send(context.Background(), id); !errors.Is(err, ErrBusy) {
		t.Errorf("second Send during the first: got error = %v, want ErrBusy", err)
	}
	if err := ob.Discard(id); !errors.Is(err, ErrBusy) {
		t.Errorf("Discard during Send: got error = %v, want ErrBusy", err)
	}
	if err := ob.Flush(context.Background()); err != nil {
		t.Errorf("Flush during Send: got error = %v, want nil (the busy message is skipped)", err)
	}
	close(bc.release)
	if err := <-done; err != nil {
		t.Fatalf("first Send: %v", err)
	}
	if n := len(r.srv.b.messages()); n != 1 {
		t.Errorf("messages received = %d, want 1", n)
	}
}

func TestOutboxEnqueueRejects(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		wantErr error
	}{
		{"no message-id", "From: a@example.org\r\nTo: bob@example.net\r\n\r\nx", ErrNoMessageID},
		{"no recipients", "From: a@example.org\r\nMessage-ID: <1@x>\r\n\r\nx", ErrNoRecipients},
		{"no sender", "To: bob@example.net\r\nMessage-ID: <1@x>\r\n\r\nx", ErrNoSender},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, newBackend())
			if _, err := r.ob.Enqueue(testUser, []byte(tt.raw)); !errors.Is(err, tt.wantErr) {
				t.Errorf("Enqueue: got error = %v, want %v", err, tt.wantErr)
			}
			r.wantEmpty(t)
		})
	}
}

func TestOutboxDiscardAfterAcceptance(t *testing.T) {
	r := newRig(t, newBackend())
	r.sent.setErr(errAppendDown)
	id := r.enqueue(t, testMessage("To: bob@example.net")).ID
	_ = r.ob.Flush(context.Background())
	if err := r.ob.Discard(id); err != nil {
		t.Fatalf("Discard: %v", err)
	}
	r.wantEmpty(t)
	entries, err := r.store.AuditEntries()
	if err != nil || len(entries) != 2 {
		t.Fatalf("audit = %+v, %v, want two entries", entries, err)
	}
	if e := entries[1]; e.Kind != AuditDiscarded || e.Detail != "sent; copy to Sent not saved" {
		t.Errorf("second audit entry = %q %q, want %q \"sent; copy to Sent not saved\"", e.Kind, e.Detail, AuditDiscarded)
	}
	if n := len(r.srv.b.messages()); n != 1 {
		t.Errorf("messages received = %d, want 1", n)
	}
}

// TestSendFindingKeepsTheMessageQueuedMeanwhile: while the delivery
// findings are made, the message is already sealed in the outbox and no
// flush sends it; the findings reach the audit entry of the send.
func TestSendFindingKeepsTheMessageQueuedMeanwhile(t *testing.T) {
	r := newRig(t, newBackend())
	it := r.enqueue(t, testMessage("To: bob@example.net"))
	err := r.ob.SendFinding(context.Background(), it.ID, func(ctx context.Context) []localstore.AuditDelivery {
		if items, err := r.ob.List(); err != nil || len(items) != 1 {
			t.Errorf("outbox while finding = %d items, %v; want the message", len(items), err)
		}
		if err := r.ob.Flush(ctx); err != nil || len(r.srv.b.messages()) != 0 {
			t.Errorf("a flush while finding: %v, %d messages sent; want it left alone", err, len(r.srv.b.messages()))
		}
		return []localstore.AuditDelivery{{Domain: "example.net", Status: mailbackend.DeliveryEnforced}}
	})
	if err != nil {
		t.Fatalf("SendFinding: %v", err)
	}
	entries, err := r.store.AuditEntries()
	if err != nil || len(entries) != 1 || len(entries[0].SendRecord.Delivery) != 1 || entries[0].SendRecord.Delivery[0].Domain != "example.net" {
		t.Fatalf("audit = %+v, %v; want one send entry with the finding", entries, err)
	}
	if !strings.Contains(entries[0].Detail, "example.net delivered over enforced TLS") {
		t.Errorf("audit detail = %q, want the finding in words", entries[0].Detail)
	}
}

// TestOutboxSessionTriesAgainOnlyAfterAuth checks the Session contract: a
// credential refused at AUTH may be followed by one more try, which sends
// the message once; after any other outcome, or a second time, try refuses
// to run, and a Session that makes no attempt does not count as sent.
func TestOutboxSessionTriesAgainOnlyAfterAuth(t *testing.T) {
	wrong := Auth{Username: testUser, Secret: "an old password"}
	// each tries auths in turn, each on a new connection, until one
	// submits.
	each := func(r *rig, auths ...Auth) Session {
		return func(ctx context.Context, account string, try func(net.Conn, Auth) error) error {
			var err error
			for _, auth := range auths {
				conn, derr := r.srv.dial(ctx)
				if derr != nil {
					return derr
				}
				if err = try(conn, auth); err == nil {
					return nil
				}
			}
			return err
		}
	}
	tests := []struct {
		name     string
		fault    Stage // refused by the server, if not empty
		session  func(r *rig) Session
		wantSent int
		wantErr  error
	}{
		{"renewed after AUTH", "", func(r *rig) Session { return each(r, wrong, passwordAuth) }, 1, nil},
		{"again after MAIL FROM", StageMail, func(r *rig) Session { return each(r, passwordAuth, passwordAuth) }, 0, errTriedAgain},
		{"a third time", "", func(r *rig) Session { return each(r, wrong, wrong, passwordAuth) }, 0, errTriedAgain},
		{"no attempt", "", func(*rig) Session {
			return func(context.Context, string, func(net.Conn, Auth) error) error { return nil }
		}, 0, errNoAttempt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, newBackend())
			if tt.fault != "" {
				r.srv.b.fail(tt.fault, 550)
			}
			ob, err := NewOutbox(r.store, Options{Session: tt.session(r), Sent: r.sent, Now: r.clock.Now})
			if err != nil {
				t.Fatal(err)
			}
			it, err := ob.Enqueue(testUser, testMessage("To: bob@example.net"))
			if err != nil {
				t.Fatal(err)
			}
			err = ob.Send(context.Background(), it.ID)
			if tt.wantErr == nil && err != nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("Send: %v, want %v", err, tt.wantErr)
			}
			if got := len(r.srv.b.messages()); got != tt.wantSent {
				t.Errorf("the server received %d messages, want %d", got, tt.wantSent)
			}
			if tt.wantSent == 1 {
				r.wantEmpty(t)
			} else if got := r.item(t, it.ID); !got.AcceptedAt.IsZero() || got.LastError == "" {
				t.Errorf("the unsent message: accepted %v, last error %q; want it kept with its error", got.AcceptedAt, got.LastError)
			}
		})
	}
}
