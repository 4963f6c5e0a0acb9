package ui

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail"
	"github.com/sealpost/sealpost/mail/backend"
	"github.com/sealpost/sealpost/mail/signin"
	"github.com/sealpost/sealpost/mail/signin/signintest"
	"github.com/sealpost/sealpost/mail/testservers"
)

// TestAddAccountWithSignIn adds an account by signing in with a provider:
// the test provider (set up as an organisation's own) and Dovecot and
// Postfix that accept its tokens. The user picks the provider, the
// browser (the test's HTTP client) opens its page, and the account is
// added; re-authenticating in Settings signs in again.
func TestAddAccountWithSignIn(t *testing.T) {
	s := newSignInFixture(t)
	app, engine, provider, srv := s.app, s.engine, s.provider, s.srv
	var opened []string
	app.openURL = func(u *url.URL) error { opened = append(opened, u.String()); return s.browser(u.String()) }

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
	if err != nil || d.SignIn != "Test provider" {
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

// signInFixture is an unlocked app over an engine whose profile has the
// test provider set up as "test", with Dovecot and Postfix that accept
// its tokens.
type signInFixture struct {
	provider *signintest.Provider
	srv      *testservers.Servers
	engine   *mail.Engine
	app      *App
	browser  func(string) error // acts as the user's browser
}

func newSignInFixture(t *testing.T) signInFixture {
	t.Helper()
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
	return signInFixture{provider: provider, srv: srv, engine: engine, app: unlocked(t, newApp(engine)), browser: provider.Browser(t)}
}

// TestEditSignedInAccountSwitchesToPassword edits an account that signs
// in with a provider: the form shows the sign-in instead of a password
// field; "Use a password instead…" asks for one, which is refused while
// it is wrong (the sign-in stays) and, once both logins succeed with it,
// replaces the sign-in.
func TestEditSignedInAccountSwitchesToPassword(t *testing.T) {
	s := newSignInFixture(t)
	app, srv := s.app, s.srv
	user := "alice@" + srv.Domain
	if _, err := s.engine.AddAccountWithSignIn(t.Context(), backend.NewAccount{Email: user,
		IMAP: serverSettings(t, srv.IMAPTLS, backend.SecurityTLS), SMTP: serverSettings(t, srv.SMTPTLS, backend.SecurityTLS)},
		"test", s.browser); err != nil {
		t.Fatalf("sign in: %v\n%s", err, srv.Log())
	}
	signedIn := func() string {
		t.Helper()
		d, err := s.engine.AccountDetails(t.Context(), user)
		if err != nil {
			t.Fatal(err)
		}
		return d.SignIn
	}

	test.Tap(rowButtons(t, accountsPaneOf(t, app), user)[0])
	app.tasks.wait()
	a := app.settings.accountEdit
	if a == nil || a.usePassword == nil {
		t.Fatal("the edit form of a signed-in account offers no way to use a password")
	}
	row, ok := a.secret.Widget.(*fyne.Container)
	if a.secret.Text != "Sign-in" || !ok || !strings.Contains(row.Objects[0].(*widget.Label).Text, "Signed in with Test provider") {
		t.Fatalf("the form's secret row %q shows %T, want the sign-in without a password field", a.secret.Text, a.secret.Widget)
	}

	test.Tap(a.usePassword)
	if a.secret.Widget != a.password || a.password.Disabled() {
		t.Fatal("Use a password instead did not ask for the password")
	}
	test.Tap(a.testButton)
	app.tasks.wait()
	if !strings.Contains(strings.ToLower(a.status.Text), "enter the account's password") {
		t.Errorf("switching without a password: status %q", a.status.Text)
	}
	test.Type(a.password, "not the password")
	test.Tap(a.testButton)
	app.tasks.wait()
	if !strings.Contains(a.status.Text, "Nothing was saved") || signedIn() == "" {
		t.Fatalf("a wrong password: status %q, sign-in %q; want it refused and the sign-in kept", a.status.Text, signedIn())
	}
	a.password.SetText("")
	test.Type(a.password, srv.Users[user])
	test.Tap(a.testButton)
	app.tasks.wait()
	if !strings.Contains(a.status.Text, "logs in with the password from now on") || signedIn() != "" {
		t.Errorf("the right password: status %q, sign-in %q; want the account switched to the password\n%s", a.status.Text, signedIn(), srv.Log())
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
