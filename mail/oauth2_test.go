package mail

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail/signin"
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
