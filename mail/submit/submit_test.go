package submit

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"net"
	"reflect"
	"sync/atomic"
	"testing"

	"github.com/emersion/go-smtp"
)

// submitTo prepares raw and submits it to ts with auth.
func submitTo(t *testing.T, ts *testServer, auth Auth, raw []byte) error {
	t.Helper()
	data, env, err := PrepareForSubmission(raw)
	if err != nil {
		t.Fatalf("PrepareForSubmission: %v", err)
	}
	conn, err := ts.dial(context.Background())
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	return Submit(context.Background(), conn, "", auth, env, data)
}

func TestSubmitDeliversWithoutBcc(t *testing.T) {
	ts := newTLSServer(t, newBackend())
	raw := testMessage("To: Bob <bob@Example.NET>", "Cc: carol@example.net", "Bcc: dave@example.com,\r\n\tEve <eve@EXAMPLE.com>")
	if err := submitTo(t, ts, passwordAuth, raw); err != nil {
		t.Fatalf("Submit: got error = %v, want nil", err)
	}
	msgs := ts.b.messages()
	if len(msgs) != 1 {
		t.Fatalf("server received %d messages, want 1", len(msgs))
	}
	m := msgs[0]
	if m.From != "alice@example.org" {
		t.Errorf("MAIL FROM = %q, want alice@example.org", m.From)
	}
	wantTo := []string{"bob@example.net", "carol@example.net", "dave@example.com", "eve@example.com"}
	if !reflect.DeepEqual(m.To, wantTo) {
		t.Errorf("RCPT TO = %q, want %q", m.To, wantTo)
	}
	if bytes.Contains(bytes.ToLower(m.Data), []byte("bcc")) || bytes.Contains(m.Data, []byte("eve@")) {
		t.Errorf("DATA = %q, want no Bcc header and no Bcc address", m.Data)
	}
	if !bytes.Contains(m.Data, []byte("Cc: carol@example.net\r\n")) {
		t.Errorf("DATA = %q, want the Cc header kept", m.Data)
	}
}

func TestSubmitAuthMechanisms(t *testing.T) {
	tests := []struct {
		name     string
		offered  []string
		auth     Auth
		wantMech string
	}{
		{"plain preferred", nil, passwordAuth, MechPlain},
		{"login when plain missing", []string{MechLogin}, passwordAuth, MechLogin},
		{"login forced", nil, Auth{Username: testUser, Secret: testPassword, Mechanism: "login"}, MechLogin},
		{"oauthbearer preferred", nil, Auth{Username: testUser, Secret: testToken, OAuth2: true}, MechOAuthBearer},
		{"xoauth2 when oauthbearer missing", []string{MechPlain, MechXOAuth2}, Auth{Username: testUser, Secret: testToken, OAuth2: true}, MechXOAuth2},
		{"xoauth2 forced", nil, Auth{Username: testUser, Secret: testToken, OAuth2: true, Mechanism: MechXOAuth2}, MechXOAuth2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTLSServer(t, newBackend(tt.offered...))
			if err := submitTo(t, ts, tt.auth, testMessage("To: bob@example.net")); err != nil {
				t.Fatalf("Submit: got error = %v, want nil", err)
			}
			if got := ts.b.authAttempts(); !reflect.DeepEqual(got, []string{tt.wantMech}) {
				t.Errorf("AUTH attempts = %q, want [%s]", got, tt.wantMech)
			}
			if got := len(ts.b.messages()); got != 1 {
				t.Errorf("messages received = %d, want 1", got)
			}
		})
	}
}

func TestSubmitAuthFailures(t *testing.T) {
	tests := []struct {
		name     string
		offered  []string
		auth     Auth
		wantErr  error
		wantCode int // expected *SMTPError code, 0 for none
	}{
		{"wrong password plain", nil, Auth{Username: testUser, Secret: "wrong"}, ErrAuthFailed, 535},
		{"wrong password login", []string{MechLogin}, Auth{Username: testUser, Secret: "wrong"}, ErrAuthFailed, 535},
		{"wrong token xoauth2", []string{MechXOAuth2}, Auth{Username: testUser, Secret: "expired", OAuth2: true}, ErrAuthFailed, 0},
		{"wrong token oauthbearer", nil, Auth{Username: testUser, Secret: "expired", OAuth2: true}, ErrAuthFailed, 0},
		{"no token mechanism offered", []string{MechPlain, MechLogin}, Auth{Username: testUser, Secret: testToken, OAuth2: true}, ErrNoAuthMechanism, 0},
		{"forced mechanism of the wrong kind", nil, Auth{Username: testUser, Secret: testPassword, Mechanism: MechXOAuth2}, ErrNoAuthMechanism, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTLSServer(t, newBackend(tt.offered...))
			err := submitTo(t, ts, tt.auth, testMessage("To: bob@example.net"))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Submit: got error = %v, want %v", err, tt.wantErr)
			}
			if tt.wantCode != 0 {
				se, ok := errors.AsType[*SMTPError](err)
				if !ok || se.Code != tt.wantCode || se.Stage != StageAuth {
					t.Errorf("server reply in %v: got %+v, want AUTH %d", err, se, tt.wantCode)
				}
			}
			if IsTemporary(err) {
				t.Errorf("IsTemporary(%v) = true, want false", err)
			}
			if got := len(ts.b.messages()); got != 0 {
				t.Errorf("messages received = %d, want 0", got)
			}
		})
	}
}

// countingConn counts the bytes written through it.
type countingConn struct {
	net.Conn
	written atomic.Int64
}

func (c *countingConn) Write(b []byte) (int, error) {
	c.written.Add(int64(len(b)))
	return c.Conn.Write(b)
}

func TestSubmitRefusesPlaintext(t *testing.T) {
	ts := newPlainServer(t, newBackend())
	raw, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	conn := &countingConn{Conn: raw}
	data, env, err := PrepareForSubmission(testMessage("To: bob@example.net"))
	if err != nil {
		t.Fatal(err)
	}
	err = Submit(context.Background(), conn, "", passwordAuth, env, data)
	if !errors.Is(err, ErrNotTLS) {
		t.Fatalf("Submit over plaintext: got error = %v, want ErrNotTLS", err)
	}
	if n := conn.written.Load(); n != 0 {
		t.Errorf("bytes sent on the plaintext connection = %d, want 0", n)
	}
	if got := ts.b.authAttempts(); len(got) != 0 {
		t.Errorf("AUTH attempts seen by the server = %q, want none", got)
	}
	if IsTemporary(err) {
		t.Errorf("IsTemporary(ErrNotTLS) = true, want false")
	}
}

// wrappedTLS is a TLS connection behind a wrapper, as mail/transport
// returns it after STARTTLS.
type wrappedTLS struct{ *tls.Conn }

func TestSubmitAcceptsWrappedTLS(t *testing.T) {
	ts := newTLSServer(t, newBackend())
	conn, err := ts.dial(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	data, env, err := PrepareForSubmission(testMessage("To: bob@example.net"))
	if err != nil {
		t.Fatal(err)
	}
	if err := Submit(context.Background(), wrappedTLS{conn.(*tls.Conn)}, "", passwordAuth, env, data); err != nil {
		t.Fatalf("Submit over a wrapped TLS connection: got error = %v, want nil", err)
	}
}

func TestSubmitServerRefusals(t *testing.T) {
	tests := []struct {
		name      string
		stage     Stage
		code      int
		wantErr   error // a sentinel the error must wrap, if any
		temporary bool
	}{
		{"auth temporary", StageAuth, 454, ErrAuthFailed, true},
		{"auth unavailable", StageAuth, 535, ErrAuthFailed, false},
		{"mail temporary", StageMail, 451, nil, true},
		{"mail permanent", StageMail, 550, nil, false},
		{"rcpt temporary", StageRcpt, 450, nil, true},
		{"rcpt permanent", StageRcpt, 550, nil, false},
		{"data temporary", StageData, 452, nil, true},
		{"data permanent", StageData, 554, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBackend()
			b.fail(tt.stage, tt.code)
			ts := newTLSServer(t, b)
			err := submitTo(t, ts, passwordAuth, testMessage("To: bob@example.net"))
			se, ok := errors.AsType[*SMTPError](err)
			if !ok {
				t.Fatalf("Submit: got error = %v, want an *SMTPError", err)
			}
			if se.Stage != tt.stage || se.Code != tt.code || se.Temporary != tt.temporary {
				t.Errorf("SMTPError = {%s %d temporary %v}, want {%s %d temporary %v}",
					se.Stage, se.Code, se.Temporary, tt.stage, tt.code, tt.temporary)
			}
			if want := (smtp.EnhancedCode{tt.code / 100, 7, 1}); se.Enhanced != want {
				t.Errorf("Enhanced = %v, want %v", se.Enhanced, want)
			}
			if se.Message != "injected "+string(tt.stage)+" failure" {
				t.Errorf("Message = %q, want the server's text", se.Message)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("Submit: got error = %v, want it to wrap %v", err, tt.wantErr)
			}
			if got := IsTemporary(err); got != tt.temporary {
				t.Errorf("IsTemporary = %v, want %v", got, tt.temporary)
			}
			if got := len(b.messages()); got != 0 {
				t.Errorf("messages received = %d, want 0", got)
			}
		})
	}
}

func TestSubmitRefusedRecipients(t *testing.T) {
	tests := []struct {
		name      string
		codes     map[string]int
		temporary bool
	}{
		{"one permanent", map[string]int{"carol@example.net": 550}, false},
		{"one temporary", map[string]int{"carol@example.net": 450}, true},
		{"temporary and permanent", map[string]int{"bob@example.net": 450, "carol@example.net": 550}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBackend()
			for addr, code := range tt.codes {
				b.rcptFaults[addr] = &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{code / 100, 1, 1}, Message: "no such user"}
			}
			ts := newTLSServer(t, b)
			err := submitTo(t, ts, passwordAuth, testMessage("To: bob@example.net, carol@example.net, dave@example.net"))
			re, ok := errors.AsType[*RecipientsError](err)
			if !ok {
				t.Fatalf("Submit: got error = %v, want a *RecipientsError", err)
			}
			got := map[string]int{}
			for _, r := range re.Refused {
				got[r.Address] = r.Err.Code
			}
			if !reflect.DeepEqual(got, tt.codes) {
				t.Errorf("refused = %v, want %v", got, tt.codes)
			}
			if re.Accepted != 3-len(tt.codes) {
				t.Errorf("Accepted = %d, want %d", re.Accepted, 3-len(tt.codes))
			}
			if IsTemporary(err) != tt.temporary {
				t.Errorf("IsTemporary = %v, want %v", IsTemporary(err), tt.temporary)
			}
			if n := len(b.messages()); n != 0 {
				t.Errorf("messages received = %d, want 0 (nothing is sent when a recipient is refused)", n)
			}
		})
	}
}

func TestSubmitUncertainOutcome(t *testing.T) {
	b := newBackend()
	b.dropAfterData = true
	ts := newTLSServer(t, b)
	err := submitTo(t, ts, passwordAuth, testMessage("To: bob@example.net"))
	if !errors.Is(err, ErrUncertain) {
		t.Fatalf("Submit with the connection cut after the data: got error = %v, want ErrUncertain", err)
	}
	if IsTemporary(err) {
		t.Errorf("IsTemporary(ErrUncertain) = true, want false")
	}
}

func TestSubmitRefusesBccInData(t *testing.T) {
	ts := newTLSServer(t, newBackend())
	conn, err := ts.dial(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	raw := testMessage("To: bob@example.net", "bcc: eve@example.com")
	err = Submit(context.Background(), conn, "", passwordAuth, Envelope{From: testUser, To: []string{"bob@example.net"}}, raw)
	if !errors.Is(err, ErrBccHeader) {
		t.Fatalf("Submit with a Bcc header: got error = %v, want ErrBccHeader", err)
	}
	if got := ts.b.authAttempts(); len(got) != 0 {
		t.Errorf("AUTH attempts = %q, want none", got)
	}
}

func TestSubmitCancelled(t *testing.T) {
	ts := newTLSServer(t, newBackend())
	conn, err := ts.dial(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	data, env, err := PrepareForSubmission(testMessage("To: bob@example.net"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = Submit(ctx, conn, "", passwordAuth, env, data)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Submit with a cancelled context: got error = %v, want context.Canceled", err)
	}
	if !IsTemporary(err) {
		t.Errorf("IsTemporary(cancelled) = false, want true")
	}
	if n := len(ts.b.messages()); n != 0 {
		t.Errorf("messages received = %d, want 0", n)
	}
}

func TestCheckLogin(t *testing.T) {
	tests := []struct {
		name    string
		auth    Auth
		plain   bool
		wantErr error
	}{
		{"good password", passwordAuth, false, nil},
		{"good token", Auth{Username: testUser, Secret: testToken, OAuth2: true}, false, nil},
		{"wrong password", Auth{Username: testUser, Secret: "wrong"}, false, ErrAuthFailed},
		{"plaintext connection", passwordAuth, true, ErrNotTLS},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ts *testServer
			var conn net.Conn
			var err error
			if tt.plain {
				ts = newPlainServer(t, newBackend())
				conn, err = net.Dial("tcp", ts.addr)
			} else {
				ts = newTLSServer(t, newBackend())
				conn, err = ts.dial(context.Background())
			}
			if err != nil {
				t.Fatalf("dial: %v", err)
			}
			err = CheckLogin(context.Background(), conn, "client.example", tt.auth)
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("CheckLogin: got error = %v, want %v", err, tt.wantErr)
			}
			wantAttempts := 1
			if tt.plain {
				wantAttempts = 0
			}
			if got := len(ts.b.authAttempts()); got != wantAttempts {
				t.Errorf("AUTH attempts = %d, want %d", got, wantAttempts)
			}
			if n := len(ts.b.messages()); n != 0 {
				t.Errorf("messages received = %d, want 0", n)
			}
		})
	}
}
