package mail

import (
	"context"
	"crypto/x509"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail/signin"
	"github.com/sealpost/sealpost/mail/signin/signintest"
)

// newTokenProfile creates a profile that trusts roots (nil: the system's),
// closed at the end of t.
func newTokenProfile(t *testing.T, roots *x509.CertPool) *Profile {
	t.Helper()
	p, err := CreateProfile(filepath.Join(t.TempDir(), "p"), []byte("test passphrase 123"),
		&ProfileOptions{Store: &localstore.Options{KDF: &cheapKDF}, RootCAs: roots})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func TestSignInClientSettings(t *testing.T) {
	p := newTokenProfile(t, nil)
	s := p.SignIns()
	providers, err := s.Providers()
	if err != nil || len(providers) != len(signin.Presets) {
		t.Fatalf("providers of a new profile = %+v, %v", providers, err)
	}
	for _, pr := range providers {
		if pr.Ready || pr.Help == "" {
			t.Errorf("%s: ready %t before a client ID was set, help %q", pr.ID, pr.Ready, pr.Help)
		}
	}
	if _, err := s.SignIn(t.Context(), "google", "a@gmail.com", func(string) error { return nil }); !errors.Is(err, signin.ErrNoClientID) {
		t.Errorf("sign-in without a client ID: %v", err)
	}
	if err := s.SetClient(" Google ", localstore.SignInClient{ClientID: "id-1", ClientSecret: "s"}); err != nil {
		t.Fatal(err)
	}
	own := localstore.SignInClient{ClientID: "id-2", Name: "Corp", AuthURL: "https://id.corp.example/auth",
		TokenURL: "https://id.corp.example/token", Scopes: []string{"mail"}, Mechanism: signin.MechOAUTHBEARER,
		Servers: []string{".corp.example"}}
	if err := s.SetClient("corp", own); err != nil {
		t.Fatal(err)
	}
	providers, _ = s.Providers()
	if len(providers) != len(signin.Presets)+1 || !providers[0].Ready || providers[len(providers)-1].Name != "Corp" {
		t.Errorf("providers after setting two = %+v", providers)
	}
	if c, _ := s.Client("google"); c.ClientID != "id-1" || c.ClientSecret != "s" {
		t.Errorf("google's client = %+v", c)
	}
	for name, c := range map[string]localstore.SignInClient{
		"plain-text endpoint": {ClientID: "x", AuthURL: "http://id.corp.example/auth", TokenURL: "https://id.corp.example/token", Mechanism: signin.MechXOAUTH2},
		"no mechanism":        {ClientID: "x", AuthURL: "https://id.corp.example/auth", TokenURL: "https://id.corp.example/token"},
		"no endpoints":        {ClientID: "x"},
		"no servers": {ClientID: "x", AuthURL: "https://id.corp.example/auth", TokenURL: "https://id.corp.example/token",
			Mechanism: signin.MechXOAUTH2},
	} {
		if err := s.SetClient("other", c); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if err := s.SetClient("", localstore.SignInClient{ClientID: "x"}); !errors.Is(err, signin.ErrUnknownProvider) {
		t.Errorf("no provider named: %v", err)
	}
	if err := s.SetClient("corp", localstore.SignInClient{}); err != nil {
		t.Fatal(err)
	}
	if providers, _ = s.Providers(); len(providers) != len(signin.Presets) {
		t.Errorf("an emptied client ID did not remove the provider: %+v", providers)
	}
	if got := s.ProviderFor("someone@googlemail.com"); got != "google" {
		t.Errorf("ProviderFor(googlemail) = %q", got)
	}
}

// expiringSignIn makes a profile with the test provider and stores the
// account alice@example.test signed in with it, its access token within
// the renewal margin: the next login renews it. Tokens issued from then
// on live a minute too.
func expiringSignIn(t *testing.T) (*signintest.Provider, *Profile, localstore.Account) {
	t.Helper()
	provider := signintest.New(t)
	p := newTokenProfile(t, provider.CertPool())
	pre := provider.Preset(signin.MechOAUTHBEARER)
	if err := p.SignIns().SetClient("test", localstore.SignInClient{ClientID: signintest.ClientID, Name: pre.Name,
		AuthURL: pre.AuthURL, TokenURL: pre.TokenURL, Scopes: pre.Scopes, Mechanism: pre.Mechanism, Servers: pre.Servers}); err != nil {
		t.Fatal(err)
	}
	const user = "alice@example.test"
	provider.SetLifetime(time.Minute) // within the renewal margin: every login renews
	si, err := p.SignIns().SignIn(t.Context(), "test", user, provider.Browser(t))
	if err != nil {
		t.Fatal(err)
	}
	acct := localstore.Account{Email: user, Username: user, Secret: si.secret(time.Now())}
	if err := p.store.Accounts().Put(acct); err != nil {
		t.Fatal(err)
	}
	return provider, p, acct
}

// TestTokensRenewOnceForConcurrentLogins has several connections ask for
// an expiring token at once: the provider rotates refresh tokens, so a
// second refresh with the same one would be refused; one renewal serves
// all of them, and a copy of the account made before it finds the new
// token without asking the provider again.
func TestTokensRenewOnceForConcurrentLogins(t *testing.T) {
	provider, p, acct := expiringSignIn(t)
	const user = "alice@example.test"
	provider.SetLifetime(time.Hour)
	var wg sync.WaitGroup
	got := make([]localstore.Account, 4)
	errs := make([]error, len(got))
	for i := range got {
		wg.Go(func() { got[i], errs[i] = p.tokens.fresh(t.Context(), acct) })
	}
	wg.Wait()
	for i := range got {
		if errs[i] != nil || got[i].Secret.Value != got[0].Secret.Value || got[i].Secret.Value == acct.Secret.Value {
			t.Errorf("login %d: %v, token shared %t", i, errs[i], got[i].Secret.Value == got[0].Secret.Value)
		}
	}
	if n := provider.Count("refresh_token"); n != 1 {
		t.Errorf("%d renewals for concurrent logins, want 1", n)
	}
	stored, _ := p.store.Accounts().Get(user)
	if stored.Secret.Refresh != got[0].Secret.Refresh || stored.Secret.Refresh == acct.Secret.Refresh {
		t.Errorf("the rotated refresh token was not stored")
	}
	if again, err := p.tokens.fresh(t.Context(), acct); err != nil || again.Secret.Value != got[0].Secret.Value {
		t.Errorf("a stale copy of the account: %v, want the renewed token", err)
	}
	if n := provider.Count("refresh_token"); n != 1 {
		t.Errorf("%d renewals in all, want 1", n)
	}
}

// TestTokensRememberBoundedRenewals renews an account's token many times:
// the spent refresh tokens remembered stay bounded, a recent copy of the
// account and the oldest one both find the current token, and the
// provider is asked once per renewal.
func TestTokensRememberBoundedRenewals(t *testing.T) {
	provider, p, first := expiringSignIn(t)
	const user = "alice@example.test"
	const renewals = 3 * maxRenewed
	copies := []localstore.Account{first}
	for range renewals {
		next, err := p.tokens.fresh(t.Context(), copies[len(copies)-1])
		if err != nil {
			t.Fatal(err)
		}
		copies = append(copies, next)
	}
	if n := provider.Count("refresh_token"); n != renewals {
		t.Fatalf("%d renewals, want %d", n, renewals)
	}
	at := p.tokens.account(user)
	if len(at.renewed) > maxRenewed || len(at.spent) > maxRenewed {
		t.Errorf("%d spent refresh tokens remembered, want at most %d", len(at.renewed), maxRenewed)
	}
	// The current token is due too: the next login renews it once, and
	// every copy, recent or as old as the first, gets what that gave.
	provider.SetLifetime(time.Hour)
	var tokens []string
	for _, c := range []localstore.Account{copies[len(copies)-3], first, copies[len(copies)-1]} {
		got, err := p.tokens.fresh(t.Context(), c)
		if err != nil {
			t.Fatal(err)
		}
		tokens = append(tokens, got.Secret.Value)
	}
	if tokens[0] != tokens[1] || tokens[0] != tokens[2] {
		t.Errorf("copies of the account got different tokens")
	}
	if n := provider.Count("refresh_token"); n != renewals+1 {
		t.Errorf("%d renewals in all, want %d", n, renewals+1)
	}
}

// TestSignInClientKeepsTheSecret sets only the client ID of a provider
// whose client secret is stored: the secret stays until it is cleared
// explicitly; the other settings of an organisation's provider stay too.
func TestSignInClientKeepsTheSecret(t *testing.T) {
	p := newTokenProfile(t, nil)
	s := p.SignIns()
	if err := s.SetClient("google", localstore.SignInClient{ClientID: "id-1", ClientSecret: "s"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetClient("google", localstore.SignInClient{ClientID: "id-2"}); err != nil {
		t.Fatal(err)
	}
	if c, _ := s.Client("google"); c.ClientID != "id-2" || c.ClientSecret != "s" {
		t.Errorf("after setting only the client ID: %+v, want the new ID and the stored secret", c)
	}
	if err := s.ClearClientSecret("google"); err != nil {
		t.Fatal(err)
	}
	if c, _ := s.Client("google"); c.ClientID != "id-2" || c.ClientSecret != "" {
		t.Errorf("after clearing the secret: %+v", c)
	}
	own := localstore.SignInClient{ClientID: "id", Name: "Corp", AuthURL: "https://id.corp.example/auth",
		TokenURL: "https://id.corp.example/token", Scopes: []string{"mail"}, Mechanism: signin.MechXOAUTH2, Servers: []string{".corp.example"}}
	if err := s.SetClient("corp", own); err != nil {
		t.Fatal(err)
	}
	if err := s.SetClient("corp", localstore.SignInClient{ClientID: "id", Servers: []string{"mail.corp.example"}}); err != nil {
		t.Fatal(err)
	}
	if c, _ := s.Client("corp"); c.AuthURL != own.AuthURL || c.Mechanism != own.Mechanism || len(c.Servers) != 1 || c.Servers[0] != "mail.corp.example" {
		t.Errorf("corp after changing only its servers: %+v", c)
	}
}

// TestTokensRenewEachAccountAlone renews an account's token while another
// account's provider is stalled in the middle of a refresh: the first
// account does not wait for the second.
func TestTokensRenewEachAccountAlone(t *testing.T) {
	provider := signintest.New(t)
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	slow := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { close(entered) })
		select {
		case <-release:
		case <-r.Context().Done():
		}
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	defer slow.Close()
	defer close(release)
	roots := provider.CertPool()
	roots.AddCert(slow.Certificate())
	p := newTokenProfile(t, roots)
	pre := provider.Preset(signin.MechXOAUTH2)
	for id, token := range map[string]string{"test": pre.TokenURL, "slow": slow.URL + "/token"} {
		if err := p.SignIns().SetClient(id, localstore.SignInClient{ClientID: signintest.ClientID, Name: id,
			AuthURL: pre.AuthURL, TokenURL: token, Scopes: pre.Scopes, Mechanism: pre.Mechanism, Servers: pre.Servers}); err != nil {
			t.Fatal(err)
		}
	}
	provider.SetLifetime(time.Minute) // within the renewal margin
	si, err := p.SignIns().SignIn(t.Context(), "test", "alice@example.test", provider.Browser(t))
	if err != nil {
		t.Fatal(err)
	}
	provider.SetLifetime(time.Hour)
	alice := localstore.Account{Email: "alice@example.test", Username: "alice@example.test", Secret: si.secret(time.Now())}
	bob := localstore.Account{Email: "bob@example.test", Username: "bob@example.test", Secret: localstore.Secret{
		Kind: SecretOAuth2, Value: "a", Refresh: "r", Provider: "slow", Mechanism: signin.MechXOAUTH2,
		Expiry: time.Now().Add(time.Minute), Obtained: time.Now()}}
	for _, a := range []localstore.Account{alice, bob} {
		if err := p.store.Accounts().Put(a); err != nil {
			t.Fatal(err)
		}
	}
	bobDone := make(chan error, 1)
	bobCtx, stopBob := context.WithCancel(t.Context())
	defer stopBob()
	go func() {
		_, err := p.tokens.fresh(bobCtx, bob)
		bobDone <- err
	}()
	<-entered // bob's refresh waits for the provider now
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	got, err := p.tokens.fresh(ctx, alice)
	if err != nil || got.Secret.Value == alice.Secret.Value {
		t.Fatalf("renewal of alice while bob's provider is stalled: %v, want a new token without waiting", err)
	}
	select {
	case err := <-bobDone:
		t.Fatalf("bob's renewal ended before its provider answered: %v", err)
	default:
	}
	// The renewed token is kept in memory: the next login uses it without
	// asking the provider or reading the store again.
	if again, err := p.tokens.fresh(ctx, alice); err != nil || again.Secret.Value != got.Secret.Value {
		t.Errorf("second login of alice: %v, want the same token", err)
	}
	if n := provider.Count("refresh_token"); n != 1 {
		t.Errorf("%d renewals of alice, want 1", n)
	}
	if a, b := p.tokens.httpClient(), p.tokens.httpClient(); a.Transport != b.Transport {
		t.Errorf("every flow builds its own transport, want one shared")
	}
	stopBob()
	<-bobDone
}
