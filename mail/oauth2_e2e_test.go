package mail

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail/backend"
	"github.com/sealpost/sealpost/mail/signin"
	"github.com/sealpost/sealpost/mail/signin/signintest"
	"github.com/sealpost/sealpost/mail/testservers"
)

// oauth2Setup is a test OAuth2 provider, Dovecot and Postfix that accept
// its tokens, and a profile that trusts both and has the provider set up
// twice: "test" (XOAUTH2) and "test-bearer" (OAUTHBEARER).
type oauth2Setup struct {
	provider *signintest.Provider
	srv      *testservers.Servers
	profile  *Profile
	clock    *testClock
}

func newOAuth2Setup(t *testing.T) *oauth2Setup {
	t.Helper()
	provider, srv, roots := signintest.StartMail(t)
	clock := &testClock{now: time.Now()}
	p, err := CreateProfile(filepath.Join(t.TempDir(), "p"), []byte("test passphrase 123"),
		&ProfileOptions{Store: &localstore.Options{KDF: &cheapKDF}, RootCAs: roots, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	for id, mech := range map[string]string{"test": signin.MechXOAUTH2, "test-bearer": signin.MechOAUTHBEARER} {
		pre := provider.Preset(mech)
		err := p.SignIns().SetClient(id, localstore.SignInClient{
			ClientID: signintest.ClientID, Name: pre.Name, AuthURL: pre.AuthURL, TokenURL: pre.TokenURL,
			Scopes: pre.Scopes, Mechanism: pre.Mechanism, Servers: pre.Servers,
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return &oauth2Setup{provider: provider, srv: srv, profile: p, clock: clock}
}

// add signs user in with the provider id and adds the account.
func (s *oauth2Setup) add(t *testing.T, ctx context.Context, id, user string) AccountInfo {
	t.Helper()
	si, err := s.profile.SignIns().SignIn(ctx, id, user, s.provider.Browser(t))
	if err != nil {
		t.Fatalf("sign in %s: %v", user, err)
	}
	info, err := s.profile.Accounts().Add(ctx, AccountSettings{
		Email: user, SignIn: &si,
		IMAP: serverOf(t, s.srv.IMAPTLS, "tls"), SMTP: serverOf(t, s.srv.SMTPStartTLS, "starttls"),
	}, nil)
	if err != nil {
		t.Fatalf("add %s: %v\n%s", user, err, s.srv.Log())
	}
	return info
}

// secret returns the stored secret of user's account.
func (s *oauth2Setup) secret(t *testing.T, user string) localstore.Secret {
	t.Helper()
	a, err := s.profile.store.Accounts().Get(user)
	if err != nil {
		t.Fatal(err)
	}
	return a.Secret
}

// noTokenOnDisk fails t when any token the provider issued is in the
// profile's file in plain text.
func (s *oauth2Setup) noTokenOnDisk(t *testing.T) {
	t.Helper()
	db, err := os.ReadFile(filepath.Join(s.profile.Dir(), localstore.DBFileName))
	if err != nil {
		t.Fatal(err)
	}
	issued := s.provider.Issued()
	if len(issued) == 0 {
		t.Fatal("the provider issued no token")
	}
	for _, tok := range issued {
		if bytes.Contains(db, []byte(tok)) {
			t.Errorf("a token is in the profile's file in plain text")
		}
	}
}

// TestOAuth2SignInWithDovecot signs two accounts in with the test
// provider, one logging in with XOAUTH2 and one with OAUTHBEARER, to a
// real Dovecot (oauth2 passdb, token introspection) and Postfix; sends mail
// between them; renews a token that is about to end; and asks for a new
// sign-in when the provider revoked the refresh token.
func TestOAuth2SignInWithDovecot(t *testing.T) {
	s := newOAuth2Setup(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	alice, bob := "alice@"+s.srv.Domain, "bob@"+s.srv.Domain

	info := s.add(t, ctx, "test", alice)
	if info.SecretKind != SecretOAuth2 || info.SignIn != "Test provider" || info.SignInProvider != "test" {
		t.Errorf("added account = %+v, want an OAuth2 sign-in with the provider test, named Test provider", info)
	}
	s.add(t, ctx, "test-bearer", bob)
	if got := s.secret(t, bob).Mechanism; got != signin.MechOAUTHBEARER {
		t.Errorf("bob's mechanism = %q", got)
	}
	if n := s.provider.Count("refresh_token"); n != 0 {
		t.Errorf("%d refreshes while the tokens were new", n)
	}

	if err := s.profile.Syncer().Sync(ctx, SyncRequest{}); err != nil {
		t.Fatalf("sync with tokens: %v\n%s", err, s.srv.Log())
	}
	if _, err := s.profile.Outbox().Send(ctx, alice, backend.Draft{To: []string{bob}, Subject: "signed in", Body: "hello\r\n"},
		backend.Security{Mode: ModePlain}); err != nil {
		t.Fatalf("send with a token: %v\n%s", err, s.srv.Log())
	}
	s.srv.WaitForMessages(t, bob, "INBOX", 1, 30*time.Second)
	s.noTokenOnDisk(t)

	// Close to its expiry, a token is renewed before the next login, and the
	// rotated refresh token is stored sealed.
	before := s.secret(t, alice)
	s.clock.advance(56 * time.Minute)
	if err := s.profile.Syncer().Sync(ctx, SyncRequest{Account: alice}); err != nil {
		t.Fatalf("sync after the token aged: %v\n%s", err, s.srv.Log())
	}
	after := s.secret(t, alice)
	if n := s.provider.Count("refresh_token"); n != 1 {
		t.Errorf("%d refreshes for one ageing token, want 1", n)
	}
	if after.Refresh == before.Refresh || after.Value == before.Value || !after.Obtained.After(before.Obtained) {
		t.Errorf("the renewed tokens were not stored")
	}
	s.noTokenOnDisk(t)

	// Revoked: the refresh is refused, the user must sign in again, and
	// retries do not ask the provider again.
	s.provider.RevokeAll()
	s.clock.advance(time.Hour)
	err := s.profile.Syncer().Sync(ctx, SyncRequest{Account: alice})
	if !errors.Is(err, backend.ErrSignInAgain) {
		t.Fatalf("sync after the sign-in was revoked: %v, want ErrSignInAgain", err)
	}
	refused := s.provider.Count("refresh_token")
	if _, err := s.profile.Outbox().Send(ctx, alice, backend.Draft{To: []string{bob}, Subject: "again", Body: "x\r\n"},
		backend.Security{Mode: ModePlain}); !errors.Is(err, backend.ErrSignInAgain) || !errors.Is(err, ErrKeptInOutbox) {
		t.Errorf("send after the sign-in was revoked: %v, want ErrSignInAgain, kept in the outbox", err)
	}
	if n := s.provider.Count("refresh_token"); n != refused {
		t.Errorf("the refused refresh token was tried again")
	}

	// Signing in again fixes it.
	si, err := s.profile.SignIns().SignIn(ctx, "test", alice, s.provider.Browser(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.profile.Accounts().Update(ctx, AccountChange{Email: alice, SignIn: &si}); err != nil {
		t.Fatalf("sign in again: %v\n%s", err, s.srv.Log())
	}
	if err := s.profile.Syncer().Sync(ctx, SyncRequest{Account: alice}); err != nil {
		t.Fatalf("sync after signing in again: %v", err)
	}
	s.noTokenOnDisk(t)
}

// TestOAuth2DovecotRefusesABadToken checks that the server really asks the
// provider: a token it never issued is refused as a login.
func TestOAuth2DovecotRefusesABadToken(t *testing.T) {
	s := newOAuth2Setup(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, mech := range []string{signin.MechXOAUTH2, signin.MechOAUTHBEARER} {
		pre := s.provider.Preset(mech)
		pre.ID = "test"
		forged := SignedIn{Provider: pre, Token: signin.Token{Access: "forged", Refresh: "forged", Expiry: time.Now().Add(time.Hour)}}
		_, err := s.profile.Accounts().Add(ctx, AccountSettings{
			Email: "alice@" + s.srv.Domain, SignIn: &forged, IMAP: serverOf(t, s.srv.IMAPTLS, "tls"), SMTP: serverOf(t, s.srv.SMTPTLS, "tls"),
		}, nil)
		if !errors.Is(err, backend.ErrLoginRejected) || !errors.Is(err, backend.ErrSignInAgain) {
			t.Errorf("a forged token with %s: %v, want ErrLoginRejected and ErrSignInAgain", mech, err)
		}
	}
	forged := SignedIn{Provider: s.provider.Preset(signin.MechXOAUTH2), Token: signin.Token{Access: "forged"}}
	if _, err := s.profile.Accounts().Add(ctx, AccountSettings{
		Email: "alice@" + s.srv.Domain, SignIn: &forged, Secret: []byte("pw"),
	}, nil); err == nil {
		t.Errorf("an account with a sign-in and a password was accepted")
	}
}

// waitConnection waits for account's next connection event in state.
func waitConnection(t *testing.T, events <-chan backend.Event, account, state string) backend.Event {
	t.Helper()
	deadline := time.After(time.Minute)
	for {
		select {
		case ev := <-events:
			if ev.Kind == backend.EventConnection && ev.Account == account && ev.State == state {
				return ev
			}
		case <-deadline:
			t.Fatalf("no %s event for %s within a minute", state, account)
		}
	}
}

// TestEngineSignIn runs the app's path: providers, the client ID setting,
// an account added with a sign-in whose session goes online, a revoked
// sign-in that the session reports as ErrSignInAgain, and signing in again.
func TestEngineSignIn(t *testing.T) {
	provider, srv, roots := signintest.StartMail(t)
	clock := &testClock{now: time.Now()}
	e := NewEngine(filepath.Join(t.TempDir(), "p"), &ProfileOptions{
		Store: &localstore.Options{KDF: &cheapKDF}, RootCAs: roots, Now: clock.Now,
		Sessions: &SessionOptions{CheckInterval: time.Hour, RetryMin: time.Hour, RetryMax: time.Hour},
	})
	t.Cleanup(func() { _ = e.Lock() })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := e.CreateProfile(ctx, []byte(enginePass)); err != nil {
		t.Fatal(err)
	}
	events := e.Subscribe(ctx)
	alice := "alice@" + srv.Domain
	providers, suggested, err := e.SignInProviders(ctx, "someone@gmail.com")
	if err != nil || suggested != "google" || len(providers) != len(signin.Presets) {
		t.Fatalf("SignInProviders = %+v, %q, %v", providers, suggested, err)
	}
	newAcct := backend.NewAccount{Email: alice, IMAP: backend.ServerSettings(serverOf(t, srv.IMAPTLS, "tls")),
		SMTP: backend.ServerSettings(serverOf(t, srv.SMTPTLS, "tls"))}
	if _, err := e.AddAccountWithSignIn(ctx, newAcct, "google", provider.Browser(t)); !errors.Is(err, signin.ErrNoClientID) {
		t.Fatalf("sign-in before the client ID is set: %v", err)
	}
	if err := e.SetSignInClient(ctx, "google", "id.apps.example", ""); err != nil {
		t.Fatal(err)
	}
	if providers, _, _ := e.SignInProviders(ctx, ""); !providers[0].Ready {
		t.Errorf("google not ready after its client ID was set: %+v", providers[0])
	}
	pre := provider.Preset(signin.MechXOAUTH2)
	err = e.with(ctx, func(p *Profile) error {
		return p.SignIns().SetClient("test", localstore.SignInClient{ClientID: signintest.ClientID, Name: "Test",
			AuthURL: pre.AuthURL, TokenURL: pre.TokenURL, Scopes: pre.Scopes, Mechanism: pre.Mechanism, Servers: pre.Servers})
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.AddAccountWithSignIn(ctx, newAcct, "test", provider.Browser(t)); err != nil {
		t.Fatalf("add with sign-in: %v\n%s", err, srv.Log())
	}
	waitConnection(t, events, alice, backend.ConnOnline)
	if d, err := e.AccountDetails(ctx, alice); err != nil || d.SignIn != "Test" {
		t.Errorf("account details = %+v, %v; want the sign-in named as the own provider's settings name it", d, err)
	}

	provider.RevokeAll()
	clock.advance(2 * time.Hour)
	// The session's connection still works; the next one, after the app was
	// locked and unlocked, needs a new token and cannot get it.
	if err := e.Lock(); err != nil {
		t.Fatal(err)
	}
	if err := e.Unlock(ctx, []byte(enginePass)); err != nil {
		t.Fatal(err)
	}
	if ev := waitConnection(t, events, alice, backend.ConnOffline); !errors.Is(ev.Err, backend.ErrSignInAgain) {
		t.Fatalf("session after the sign-in was revoked: %v, want ErrSignInAgain", ev.Err)
	}
	if err := e.SignInAgain(ctx, alice, provider.Browser(t)); err != nil {
		t.Fatalf("sign in again: %v", err)
	}
	waitConnection(t, events, alice, backend.ConnOnline)
	if err := e.SignInAgain(ctx, "nobody@"+srv.Domain, provider.Browser(t)); !errors.Is(err, ErrNoAccount) {
		t.Errorf("sign in again for no account: %v", err)
	}
}

// TestOAuth2TokenOnlyToProviderServers adds and changes accounts signed in
// with a provider whose servers are not the ones named: the token is not
// sent, with ErrNotProviderServer, before any connection. The test servers
// answer as "localhost" too, which verifies, but the test provider's
// servers are 127.0.0.1 and 127.0.0.2; a Google token goes only to Google.
func TestOAuth2TokenOnlyToProviderServers(t *testing.T) {
	s := newOAuth2Setup(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	alice := "alice@" + s.srv.Domain
	elsewhere := func(addr string) Server {
		srv := serverOf(t, addr, "tls")
		srv.Host = "localhost"
		return srv
	}
	si, err := s.profile.SignIns().SignIn(ctx, "test", alice, s.provider.Browser(t))
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.profile.Accounts().Add(ctx, AccountSettings{
		Email: alice, SignIn: &si, IMAP: elsewhere(s.srv.IMAPTLS), SMTP: elsewhere(s.srv.SMTPTLS),
	}, nil)
	if !errors.Is(err, signin.ErrNotProviderServer) {
		t.Fatalf("sign-in with servers outside the provider's: %v, want ErrNotProviderServer", err)
	}
	if _, ok := s.profile.Connections().Last(alice, "imap"); ok {
		t.Errorf("a connection was made to a server outside the provider's")
	}
	google, _ := signin.Preset("google")
	forged := SignedIn{Provider: google, Token: signin.Token{Access: "a-google-token", Refresh: "r", Expiry: time.Now().Add(time.Hour)}}
	if _, err := s.profile.Accounts().Add(ctx, AccountSettings{
		Email: alice, SignIn: &forged, IMAP: serverOf(t, s.srv.IMAPTLS, "tls"), SMTP: serverOf(t, s.srv.SMTPTLS, "tls"),
	}, nil); !errors.Is(err, signin.ErrNotProviderServer) || !strings.Contains(err.Error(), ".gmail.com") {
		t.Errorf("a Google token for other servers: %v, want ErrNotProviderServer naming Google's", err)
	}

	s.add(t, ctx, "test", alice)
	if _, err := s.profile.Accounts().Update(ctx, AccountChange{Email: alice, IMAP: elsewhere(s.srv.IMAPTLS)}); !errors.Is(err, signin.ErrNotProviderServer) {
		t.Errorf("moving a signed-in account to a server outside the provider's: %v, want ErrNotProviderServer", err)
	}
	if info, _ := s.profile.Accounts().Info(alice); info.IMAP.Host != "127.0.0.1" {
		t.Errorf("the refused change was stored: IMAP %s", info.IMAP)
	}
}

// newSignedInSetup is newOAuth2Setup with alice's account signed in with
// the provider "test", and a context for the test.
func newSignedInSetup(t *testing.T) (*oauth2Setup, context.Context, string) {
	t.Helper()
	s := newOAuth2Setup(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	alice := "alice@" + s.srv.Domain
	s.add(t, ctx, "test", alice)
	return s, ctx, alice
}

// TestOAuth2RenewsARefusedToken has the provider end the access tokens
// early while their refresh tokens still hold: the server refuses the
// token, which is renewed once and tried again, without asking the user to
// sign in again.
func TestOAuth2RenewsARefusedToken(t *testing.T) {
	s, ctx, alice := newSignedInSetup(t)
	s.provider.RevokeAccess()
	if err := s.profile.Syncer().Sync(ctx, SyncRequest{Account: alice}); err != nil {
		t.Fatalf("sync with a token the provider ended early: %v, want it renewed and the sync done\n%s", err, s.srv.Log())
	}
	if n := s.provider.Count("refresh_token"); n != 1 {
		t.Errorf("%d renewals, want 1", n)
	}
	s.provider.RevokeAccess()
	if _, err := s.profile.Accounts().Update(ctx, AccountChange{Email: alice, SMTP: serverOf(t, s.srv.SMTPTLS, "tls")}); err != nil {
		t.Fatalf("test logins with a token the provider ended early: %v", err)
	}
	if n := s.provider.Count("refresh_token"); n != 2 {
		t.Errorf("%d renewals, want 2", n)
	}
	// When the refresh token is gone too, a refused token means signing in
	// again.
	s.provider.RevokeAll()
	if err := s.profile.Syncer().Sync(ctx, SyncRequest{Account: alice}); !errors.Is(err, backend.ErrSignInAgain) {
		t.Errorf("sync after the sign-in was revoked: %v, want ErrSignInAgain", err)
	}
}

// TestOAuth2RefusedRenewedToken has the server refuse the renewed token
// too: the token is renewed once, not again and again, and the user is
// asked to sign in again, for a sync and for a send (the message waits in
// the outbox).
func TestOAuth2RefusedRenewedToken(t *testing.T) {
	s, ctx, alice := newSignedInSetup(t)
	s.provider.RevokeAccess()
	s.provider.IssueRefused()
	err := s.profile.Syncer().Sync(ctx, SyncRequest{Account: alice})
	if !errors.Is(err, backend.ErrSignInAgain) || !errors.Is(err, backend.ErrLoginRejected) {
		t.Fatalf("sync with a renewed token the server refuses: %v, want ErrSignInAgain", err)
	}
	if n := s.provider.Count("refresh_token"); n != 1 {
		t.Errorf("%d renewals for one sync, want 1", n)
	}
	_, err = s.profile.Outbox().Send(ctx, alice, backend.Draft{To: []string{alice}, Subject: "refused", Body: "x\r\n"},
		backend.Security{Mode: ModePlain})
	if !errors.Is(err, backend.ErrSignInAgain) || !errors.Is(err, ErrKeptInOutbox) {
		t.Fatalf("send with a renewed token the server refuses: %v, want ErrSignInAgain, kept in the outbox", err)
	}
	if n := s.provider.Count("refresh_token"); n != 2 {
		t.Errorf("%d renewals after the send, want 2 (one each)", n)
	}
	if items, err := s.profile.Outbox().List(); err != nil || len(items) != 1 || !items[0].Held {
		t.Errorf("outbox: %d items (%v), want the message held", len(items), err)
	}
}

// TestOAuth2RenewsARefusedTokenOnSend has the provider end the access
// tokens early before a send: Postfix refuses the token at AUTH, before
// MAIL FROM, so the token is renewed once and the message submitted again,
// and it arrives once. When the refresh token is gone too, the send fails
// with ErrSignInAgain and the message waits in the outbox.
func TestOAuth2RenewsARefusedTokenOnSend(t *testing.T) {
	s, ctx, alice := newSignedInSetup(t)
	if err := s.profile.Syncer().Sync(ctx, SyncRequest{Account: alice}); err != nil {
		t.Fatalf("sync: %v\n%s", err, s.srv.Log())
	}
	s.provider.RevokeAccess()
	if _, err := s.profile.Outbox().Send(ctx, alice, backend.Draft{To: []string{alice}, Subject: "renewed", Body: "hello\r\n"},
		backend.Security{Mode: ModePlain}); err != nil {
		t.Fatalf("send with a token the provider ended early: %v, want it renewed and the message sent\n%s", err, s.srv.Log())
	}
	if n := s.provider.Count("refresh_token"); n != 1 {
		t.Errorf("%d renewals, want 1", n)
	}
	s.srv.WaitForMessages(t, alice, "INBOX", 1, 30*time.Second)
	if items, err := s.profile.Outbox().List(); err != nil || len(items) != 0 {
		t.Errorf("outbox after the send: %d items (%v), want none", len(items), err)
	}

	s.provider.RevokeAll()
	id, err := s.profile.Outbox().Send(ctx, alice, backend.Draft{To: []string{alice}, Subject: "revoked", Body: "x\r\n"},
		backend.Security{Mode: ModePlain})
	if !errors.Is(err, backend.ErrSignInAgain) || !errors.Is(err, ErrKeptInOutbox) {
		t.Fatalf("send after the sign-in was revoked: %v, want ErrSignInAgain, kept in the outbox", err)
	}
	items, err := s.profile.Outbox().List()
	if err != nil || len(items) != 1 || items[0].ID != id || !items[0].Held || !items[0].SubmittingSince.IsZero() {
		t.Fatalf("outbox after the refused send: %d items (%v), want the message held, not submitting", len(items), err)
	}
	if !strings.Contains(items[0].LastError, "sign in again") {
		t.Errorf("the outbox item's error %q does not say to sign in again", items[0].LastError)
	}
	if got := s.srv.Messages(t, alice, "INBOX"); len(got) != 1 {
		t.Errorf("%d messages in the inbox, want the first one only", len(got))
	}
}

// TestOAuth2PasswordForASignedInAccount gives a password to an account that
// signs in with a provider: refused without SwitchToPassword (the sign-in
// stays and works); with it, the account logs in with the password and the
// tokens are gone.
func TestOAuth2PasswordForASignedInAccount(t *testing.T) {
	s, ctx, alice := newSignedInSetup(t)
	pw := []byte(s.srv.Users[alice])
	if _, err := s.profile.Accounts().Update(ctx, AccountChange{Email: alice, Secret: pw}); !errors.Is(err, backend.ErrSignedInAccount) {
		t.Fatalf("a password for a signed-in account: %v, want ErrSignedInAccount", err)
	}
	if sec := s.secret(t, alice); sec.Kind != SecretOAuth2 || sec.Refresh == "" {
		t.Errorf("the refused password changed the secret")
	}
	if err := s.profile.Syncer().Sync(ctx, SyncRequest{Account: alice}); err != nil {
		t.Fatalf("sync after the refused password: %v", err)
	}
	info, err := s.profile.Accounts().Update(ctx, AccountChange{Email: alice, Secret: pw, SwitchToPassword: true})
	if err != nil {
		t.Fatalf("switch to a password: %v\n%s", err, s.srv.Log())
	}
	sec := s.secret(t, alice)
	if info.SecretKind != SecretPassword || info.SignInProvider != "" || sec.Kind != SecretPassword || sec.Refresh != "" || sec.Provider != "" {
		t.Errorf("after the switch: %+v, secret kind %q, want a password without tokens", info, sec.Kind)
	}
	s.provider.RevokeAll()
	if err := s.profile.Syncer().Sync(ctx, SyncRequest{Account: alice}); err != nil {
		t.Fatalf("sync with the password: %v", err)
	}
}
