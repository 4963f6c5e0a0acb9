package ui

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail"
	"github.com/sealpost/sealpost/mail/backend"
	"github.com/sealpost/sealpost/mail/signin"
	"github.com/sealpost/sealpost/mail/signin/signintest"
)

// TestAddAccountWithSignIn adds an account by signing in with a provider:
// the test provider (set up as an organisation's own) and Dovecot and
// Postfix that accept its tokens. The user picks the provider, the
// browser (the test's HTTP client) opens its page, and the account is
// added; re-authenticating in Settings signs in again.
func TestAddAccountWithSignIn(t *testing.T) {
	provider, srv, roots := signintest.StartMail(t)
	opts := &mail.ProfileOptions{Store: &localstore.Options{KDF: &cheapKDF}, RootCAs: roots}
	dir := filepath.Join(t.TempDir(), "profile")
	p, err := mail.CreateProfile(dir, []byte(fixturePassphrase), opts)
	if err != nil {
		t.Fatal(err)
	}
	pre := provider.Preset(signin.MechXOAUTH2)
	if err := p.SignIns().SetClient("test", localstore.SignInClient{ClientID: signintest.ClientID, Name: "Test provider",
		AuthURL: pre.AuthURL, TokenURL: pre.TokenURL, Scopes: pre.Scopes, Mechanism: pre.Mechanism, Servers: pre.Servers}); err != nil {
		t.Fatal(err)
	}
	p.Close()
	engine := mail.NewEngine(dir, opts)
	t.Cleanup(func() { _ = engine.Lock() })
	test.NewTempApp(t)
	app := unlocked(t, newApp(engine))
	var opened []string
	browser := provider.Browser(t)
	app.openURL = func(u *url.URL) error { opened = append(opened, u.String()); return browser(u.String()) }

	test.Tap(app.main.addAccountButton)
	a := accountSetupOf(t, app)
	app.tasks.wait()
	test.Type(a.email, "someone@gmail.com")
	app.tasks.wait()
	if a.method.Selected != "Google" || !a.password.Disabled() {
		t.Errorf("a Gmail address chose %q (password disabled %t), want Google", a.method.Selected, a.password.Disabled())
	}
	test.Tap(a.testButton)
	app.tasks.wait()
	if !strings.Contains(a.status.Text, "client ID") || len(opened) != 0 {
		t.Errorf("sign-in without a client ID: status %q, opened %v", a.status.Text, opened)
	}

	a.email.SetText("")
	user := "alice@" + srv.Domain
	test.Type(a.email, user)
	app.tasks.wait()
	a.method.SetSelected("Test provider")
	fillServer(t, a.imap, srv.IMAPTLS, securityTLS)
	fillServer(t, a.smtp, srv.SMTPTLS, securityTLS)
	test.Tap(a.testButton)
	app.tasks.wait()
	if !strings.Contains(a.status.Text, "Added "+user) || len(opened) != 1 {
		t.Fatalf("status %q after signing in (opened %d pages), want the account added\n%s", a.status.Text, len(opened), srv.Log())
	}
	d, err := engine.AccountDetails(t.Context(), user)
	if err != nil || d.SignIn != "test" {
		t.Errorf("account details = %+v, %v; want the sign-in", d, err)
	}

	pane := accountsPaneOf(t, app)
	test.Tap(rowButtons(t, pane, user)[1])
	app.tasks.wait()
	if len(opened) != 2 {
		t.Errorf("Re-authenticate opened %d sign-in pages in all, want 2", len(opened))
	}
	if n := provider.Count("authorization_code"); n != 2 {
		t.Errorf("%d sign-ins at the provider, want 2", n)
	}

	// The provider's client ID is set in the same pane.
	c := pane.clients
	c.provider.SetSelected("Microsoft")
	test.Type(c.clientID, "00000000-1111-2222-3333-444444444444")
	test.Tap(c.save)
	app.tasks.wait()
	if !strings.Contains(c.help.Text, "A client ID is set for Microsoft") {
		t.Errorf("after saving a client ID: %q", c.help.Text)
	}
	providers, _, err := engine.SignInProviders(t.Context(), "")
	if err != nil || providers[1].ID != "microsoft" || !providers[1].Ready {
		t.Errorf("providers after saving = %+v, %v", providers, err)
	}
}

func TestSignInAgainError(t *testing.T) {
	err := fmt.Errorf("IMAP login: %w: %w", backend.ErrSignInAgain, backend.ErrLoginRejected)
	u := explain(err)
	if !u.signIn || u.settings || !strings.Contains(u.sentence, "sign in again") {
		t.Fatalf("explain = %+v, want the sign-in action", u)
	}
	signedIn := false
	actions := errorActions{signIn: func() { signedIn = true }, settings: func() {}}.fitting(u)
	if len(actions) != 1 || actions[0].label != "Sign in again" {
		t.Fatalf("actions = %+v, want Sign in again", actions)
	}
	actions[0].run()
	if !signedIn {
		t.Error("the action did not sign in")
	}
	if u := explain(errors.New("other")); u.signIn {
		t.Error("another error offers to sign in")
	}
}

// TestFindProvider: the provider lookup of the account setup and of the
// sign-in settings finds the first provider that matches, by name or ID,
// and reports none when nothing does; the names keep the providers' order.
func TestFindProvider(t *testing.T) {
	providers := []backend.SignInProvider{{ID: "google", Name: "Google"}, {ID: "microsoft", Name: "Microsoft", Ready: true}}
	byName := func(name string) func(backend.SignInProvider) bool {
		return func(p backend.SignInProvider) bool { return p.Name == name }
	}
	if p, ok := findProvider(providers, byName("Microsoft")); !ok || p.ID != "microsoft" || !p.Ready {
		t.Errorf("by name: %+v, %v; want microsoft", p, ok)
	}
	if p, ok := findProvider(providers, func(p backend.SignInProvider) bool { return p.ID == "google" }); !ok || p.Name != "Google" {
		t.Errorf("by ID: %+v, %v; want Google", p, ok)
	}
	for _, name := range []string{"", methodPassword, "Yahoo"} {
		if p, ok := findProvider(providers, byName(name)); ok || p != (backend.SignInProvider{}) {
			t.Errorf("%q: %+v, %v; want none", name, p, ok)
		}
	}
	if p, ok := findProvider(nil, byName("Google")); ok || p != (backend.SignInProvider{}) {
		t.Errorf("no providers: %+v, %v; want none", p, ok)
	}
	if got, want := providerNames(providers), []string{"Google", "Microsoft"}; !slices.Equal(got, want) {
		t.Errorf("providerNames = %q, want %q", got, want)
	}
	if got := providerNames(nil); len(got) != 0 {
		t.Errorf("providerNames(nil) = %q, want none", got)
	}
}
