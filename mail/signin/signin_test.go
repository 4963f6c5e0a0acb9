package signin_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/sealpost/sealpost/mail/signin"
	"github.com/sealpost/sealpost/mail/signin/signintest"
)

const user = "alice@example.test"

func newFlow(t *testing.T, p *signintest.Provider) *signin.Flow {
	return &signin.Flow{
		Provider: p.Preset(signin.MechXOAUTH2), Client: signin.Client{ID: signintest.ClientID},
		HTTPClient: p.HTTPClient(), Open: p.Browser(t), LoginHint: user,
	}
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestSignInAndRefresh(t *testing.T) {
	p := signintest.New(t)
	f := newFlow(t, p)
	var opened string
	browser := f.Open
	f.Open = func(u string) error { opened = u; return browser(u) }
	tok, err := f.Run(ctxFor(t))
	if err != nil {
		t.Fatal(err)
	}
	if tok.Access == "" || tok.Refresh == "" || time.Until(tok.Expiry) < 50*time.Minute {
		t.Fatalf("token = %v", tok)
	}
	u, err := url.Parse(opened)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	redirect, _ := url.Parse(q.Get("redirect_uri"))
	if redirect.Hostname() != "127.0.0.1" || redirect.Port() == "0" || q.Get("code_challenge_method") != "S256" ||
		q.Get("state") == "" || q.Get("login_hint") != user {
		t.Errorf("authorization URL %s: want a loopback redirect, S256, a state and the login hint", opened)
	}
	if strings.Contains(tok.String(), tok.Access) || strings.Contains(tok.String(), tok.Refresh) {
		t.Errorf("Token.String shows a secret: %s", tok)
	}

	again, err := f.Refresh(ctxFor(t), tok.Refresh)
	if err != nil {
		t.Fatal(err)
	}
	if again.Refresh == tok.Refresh || again.Access == tok.Access || again.Refresh == "" {
		t.Errorf("refresh did not rotate the tokens")
	}
	if _, err := f.Refresh(ctxFor(t), tok.Refresh); !errors.Is(err, signin.ErrRefreshRefused) {
		t.Errorf("refresh with the rotated-away token: %v, want ErrRefreshRefused", err)
	}
	p.FailNext("refresh_token")
	if _, err := f.Refresh(ctxFor(t), again.Refresh); err == nil || errors.Is(err, signin.ErrRefreshRefused) {
		t.Errorf("refresh during a provider failure: %v, want a temporary error", err)
	}
	if _, err := f.Refresh(ctxFor(t), again.Refresh); err != nil {
		t.Errorf("refresh after the failure: %v", err)
	}
}

// redirectOf returns the loopback redirect of an authorization URL, and its
// state.
func redirectOf(t *testing.T, authURL string) (*url.URL, string) {
	u, err := url.Parse(authURL)
	if err != nil {
		t.Error(err)
		return nil, ""
	}
	r, err := url.Parse(u.Query().Get("redirect_uri"))
	if err != nil {
		t.Error(err)
	}
	return r, u.Query().Get("state")
}

// TestSignInIgnoresAnotherState sends the loopback address an answer with
// another state (a code the provider issued, for a request this sign-in did
// not make): it gets an error page, its code is not redeemed, and the
// sign-in keeps waiting, here until it is cancelled.
func TestSignInIgnoresAnotherState(t *testing.T) {
	p := signintest.New(t)
	f := newFlow(t, p)
	ctx, cancel := context.WithCancel(ctxFor(t))
	defer cancel()
	f.Open = func(authURL string) error {
		u, _ := url.Parse(authURL)
		q := u.Query()
		q.Set("state", "forged")
		u.RawQuery = q.Encode()
		resp, err := p.HTTPClient().Get(u.String()) // the provider redirects to the loopback address
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "does not belong to this sign-in") {
			t.Errorf("answer with another state: %s %q, want 400 and an error page", resp.Status, body)
		}
		cancel()
		return nil
	}
	_, err := f.Run(ctx)
	if !errors.Is(err, context.Canceled) || !errors.Is(err, signin.ErrStateMismatch) {
		t.Fatalf("sign-in after an answer with another state: %v, want it still waiting until cancelled, naming the mismatch", err)
	}
	if n := p.Count("authorization_code"); n != 0 {
		t.Errorf("the code was redeemed %d times despite the wrong state", n)
	}
}

// TestSignInWaitsPastAnotherState: an answer with another state does not
// end the sign-in; the right answer that follows signs in.
func TestSignInWaitsPastAnotherState(t *testing.T) {
	p := signintest.New(t)
	f := newFlow(t, p)
	f.Open = func(authURL string) error {
		r, _ := redirectOf(t, authURL)
		resp, err := http.Get(r.String() + "?code=planted&state=forged")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("answer with another state: %s, want 400", resp.Status)
		}
		return p.Browser(t)(authURL)
	}
	tok, err := f.Run(ctxFor(t))
	if err != nil {
		t.Fatalf("sign-in after an answer with another state: %v, want it to go on and succeed", err)
	}
	if tok.Access == "" || p.Count("authorization_code") != 1 {
		t.Errorf("token %v after %d redeemed codes, want one", tok, p.Count("authorization_code"))
	}
}

// TestSignInRefusesAnInjectedCode sends the loopback a code that was
// issued for another PKCE challenge (an attacker's), with the right state:
// the provider refuses it because the verifier does not match.
func TestSignInRefusesAnInjectedCode(t *testing.T) {
	p := signintest.New(t)
	f := newFlow(t, p)
	f.Open = func(authURL string) error {
		u, _ := url.Parse(authURL)
		q := u.Query()
		q.Set("code_challenge", oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier()))
		u.RawQuery = q.Encode()
		return p.Browser(t)(u.String())
	}
	_, err := f.Run(ctxFor(t))
	if !errors.Is(err, signin.ErrDenied) || !strings.Contains(err.Error(), "invalid_grant") {
		t.Fatalf("a code for another PKCE challenge: %v, want ErrDenied (invalid_grant)", err)
	}
}

func TestSignInProviderError(t *testing.T) {
	p := signintest.New(t)
	f := newFlow(t, p)
	f.Open = func(authURL string) error {
		r, state := redirectOf(t, authURL)
		go func() {
			resp, err := http.Get(r.String() + "?error=access_denied&state=" + url.QueryEscape(state))
			if err == nil {
				resp.Body.Close()
			}
		}()
		return nil
	}
	if _, err := f.Run(ctxFor(t)); !errors.Is(err, signin.ErrDenied) || !strings.Contains(err.Error(), "access_denied") {
		t.Fatalf("declined sign-in: %v, want ErrDenied naming access_denied", err)
	}
}

func TestSignInEndsWithTheContext(t *testing.T) {
	p := signintest.New(t)
	f := newFlow(t, p)
	ctx, cancel := context.WithCancel(t.Context())
	var redirect *url.URL
	f.Open = func(authURL string) error { redirect, _ = redirectOf(t, authURL); cancel(); return nil }
	if _, err := f.Run(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled sign-in: %v", err)
	}
	if _, err := http.Get(redirect.String()); err == nil {
		t.Errorf("the loopback listener still answers after the sign-in ended")
	}
	f.Open = func(string) error { return nil }
	ctx, cancel = context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if _, err := f.Run(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("sign-in past its deadline: %v", err)
	}
	f.Open = func(string) error { return errors.New("no browser") }
	if _, err := f.Run(ctxFor(t)); err == nil || !strings.Contains(err.Error(), "no browser") {
		t.Fatalf("sign-in without a browser: %v", err)
	}
}

func TestSignInBadSettings(t *testing.T) {
	p := signintest.New(t)
	f := newFlow(t, p)
	f.Client.ID = ""
	if _, err := f.Run(ctxFor(t)); !errors.Is(err, signin.ErrNoClientID) {
		t.Errorf("no client ID: %v", err)
	}
	if _, err := f.Refresh(ctxFor(t), "x"); !errors.Is(err, signin.ErrNoClientID) {
		t.Errorf("refresh without client ID: %v", err)
	}
	f.Client.ID = "someone-else"
	if _, err := f.Refresh(ctxFor(t), "x"); !errors.Is(err, signin.ErrRefreshRefused) {
		t.Errorf("refresh with an unknown client: %v", err)
	}
	f = newFlow(t, p)
	f.Provider.TokenURL = strings.Replace(f.Provider.TokenURL, "https:", "http:", 1)
	if _, err := f.Run(ctxFor(t)); err == nil || !strings.Contains(err.Error(), "not an https URL") {
		t.Errorf("plain-text token endpoint: %v", err)
	}
	f = newFlow(t, p)
	f.Provider.Mechanism = "PLAIN"
	if _, err := f.Refresh(ctxFor(t), "x"); err == nil {
		t.Errorf("unknown mechanism accepted")
	}
}

func TestPresets(t *testing.T) {
	for _, c := range []struct {
		email string
		hosts []string
		want  string
	}{
		{"a@gmail.com", nil, "google"}, {"a@Outlook.com", nil, "microsoft"}, {"a@yahoo.com", nil, "yahoo"},
		{"a@aol.com", nil, "aol"}, {"a@corp.example", []string{"outlook.office365.com"}, "microsoft"},
		{"a@corp.example", []string{"imap.gmail.com."}, "google"}, {"a@corp.example", []string{"mail.corp.example"}, ""},
	} {
		p, ok := signin.ForAccount(c.email, c.hosts...)
		if p.ID != c.want || ok != (c.want != "") {
			t.Errorf("ForAccount(%s, %v) = %q, %t; want %q", c.email, c.hosts, p.ID, ok, c.want)
		}
	}
	for _, p := range signin.Presets {
		got, err := signin.Preset(strings.ToUpper(p.ID))
		if err != nil || got.ID != p.ID {
			t.Errorf("Preset(%s) = %v, %v", p.ID, got.ID, err)
		}
		f := signin.Flow{Provider: p, Client: signin.Client{ID: "x"}, Open: func(string) error { return errors.New("stop") }}
		if _, err := f.Run(ctxFor(t)); err == nil || !strings.Contains(err.Error(), "stop") {
			t.Errorf("preset %s does not pass the checks: %v", p.ID, err)
		}
	}
	google, _ := signin.Preset("google")
	for host, want := range map[string]bool{
		"imap.gmail.com": true, "SMTP.Gmail.com.": true, "gmail.com": false, "imap.gmail.com.evil.example": false,
		"evilgmail.com": false, "127.0.0.1": false, "": false,
	} {
		if got := google.Serves(host); got != want {
			t.Errorf("google serves %q: %t, want %t", host, got, want)
		}
		if err := google.CheckServer(host); (err == nil) != want || !want && !errors.Is(err, signin.ErrNotProviderServer) {
			t.Errorf("google CheckServer(%q) = %v", host, err)
		}
	}
	exact := signin.Provider{ID: "corp", Name: "Corp", Servers: []string{"mail.corp.example"}}
	if !exact.Serves("mail.corp.example") || exact.Serves("x.mail.corp.example") {
		t.Errorf("a server named without a leading dot must match exactly that host")
	}
	if err := (signin.Provider{ID: "corp"}).CheckServer("mail.corp.example"); !errors.Is(err, signin.ErrNotProviderServer) ||
		!errors.Is(err, signin.ErrNoProviderServers) {
		t.Errorf("a provider without servers: %v, want ErrNotProviderServer saying how to set them", err)
	}
	if _, err := signin.Preset("myspace"); !errors.Is(err, signin.ErrUnknownProvider) {
		t.Errorf("unknown preset: %v", err)
	}
}
