package mail

import (
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail/signin"
	"github.com/sealpost/sealpost/mail/signin/signintest"
)

func TestSignInClientSettings(t *testing.T) {
	p, err := CreateProfile(filepath.Join(t.TempDir(), "p"), []byte("test passphrase 123"),
		&ProfileOptions{Store: &localstore.Options{KDF: &cheapKDF}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
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
		TokenURL: "https://id.corp.example/token", Scopes: []string{"mail"}, Mechanism: signin.MechOAUTHBEARER}
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

// TestTokensRenewOnceForConcurrentLogins has several connections ask for
// an expiring token at once: the provider rotates refresh tokens, so a
// second refresh with the same one would be refused; one renewal serves
// all of them, and a copy of the account made before it finds the new
// token without asking the provider again.
func TestTokensRenewOnceForConcurrentLogins(t *testing.T) {
	provider := signintest.New(t)
	p, err := CreateProfile(filepath.Join(t.TempDir(), "p"), []byte("test passphrase 123"),
		&ProfileOptions{Store: &localstore.Options{KDF: &cheapKDF}, RootCAs: provider.CertPool()})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	pre := provider.Preset(signin.MechOAUTHBEARER)
	if err := p.SignIns().SetClient("test", localstore.SignInClient{ClientID: signintest.ClientID, Name: pre.Name,
		AuthURL: pre.AuthURL, TokenURL: pre.TokenURL, Scopes: pre.Scopes, Mechanism: pre.Mechanism}); err != nil {
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
