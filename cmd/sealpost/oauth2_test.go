package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sealpost/sealpost/mail"
	"github.com/sealpost/sealpost/mail/signin"
	"github.com/sealpost/sealpost/mail/signin/signintest"
)

// browserWriter is a command's stderr that acts as the user: when the
// command prints the sign-in address, it opens it in the test's browser.
type browserWriter struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	open   func(string) error
	opened bool
}

var signInURL = regexp.MustCompile(`https://\S+`)

func (w *browserWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if u := signInURL.FindString(w.buf.String()); u != "" && !w.opened {
		w.opened = true
		if err := w.open(u); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

func (w *browserWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

func TestAccountAddOAuth2(t *testing.T) {
	provider, srv, roots := signintest.StartMail(t)
	dir, pass := newProfile(t)
	alice := "alice@" + srv.Domain
	run := func(words string, args ...string) (string, string, error) {
		var out bytes.Buffer
		// The user is in the browser: the profile is not held open meanwhile.
		errOut := &browserWriter{open: func(u string) error {
			if p, err := mail.OpenProfile(dir, []byte(testPassphrase), nil); err != nil {
				t.Errorf("the profile is locked during the sign-in in the browser: %v", err)
			} else {
				p.Close()
			}
			return provider.Browser(t)(u)
		}}
		env := &cliEnv{stdio: stdio{in: strings.NewReader(""), out: &out, err: errOut}, profileDir: dir, passphraseFile: pass, rootCAs: roots}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		err := commandNamed(words).run(ctx, env, args)
		return out.String(), errOut.String(), err
	}
	pre := provider.Preset("XOAUTH2")
	servers := []string{"--imap", srv.IMAPTLS, "--smtp", srv.SMTPTLS}

	for name, args := range map[string][]string{
		"neither password nor sign-in": {"--email", alice},
		"provider with a password":     {"--email", alice, "--provider", "google", "--password-file", writeFile(t, "pw", "x")},
		"provider unknown":             append([]string{"--email", alice, "--oauth2"}, servers...),
	} {
		if _, _, err := run("account add", args...); !errors.Is(err, errUsage) {
			t.Errorf("%s: %v, want a usage error", name, err)
		}
	}
	_, _, err := run("account add", "--email", "bob@gmail.com", "--oauth2", "--imap", srv.IMAPTLS, "--smtp", srv.SMTPTLS)
	if err == nil || !strings.Contains(userMessage(err), "sealpost oauth2 client") {
		t.Errorf("sign-in without a client ID: %v, want the hint to set one", err)
	}
	if _, _, err := run("oauth2 client", "corp", "--client-id", "x", "--auth-url", "http://id.example/auth", "--token-url", "https://id.example/token",
		"--mechanism", "xoauth2"); err == nil {
		t.Errorf("a provider with a plain-text endpoint was accepted")
	}
	_, _, err = run("oauth2 client", "test", "--client-id", signintest.ClientID, "--name", "Test", "--auth-url", pre.AuthURL,
		"--token-url", pre.TokenURL, "--scope", "mail", "--mechanism", "xoauth2")
	if !errors.Is(err, signin.ErrNoProviderServers) || !strings.Contains(userMessage(err), "--server") {
		t.Errorf("own provider without servers: %v, want ErrNoProviderServers and the hint to name them", err)
	}
	if _, _, err := run("oauth2 client", "test", "--client-id", signintest.ClientID, "--name", "Test", "--auth-url", pre.AuthURL,
		"--token-url", pre.TokenURL, "--scope", "mail", "--mechanism", "xoauth2", "--server", strings.Join(signintest.Servers, " ")); err != nil {
		t.Fatal(err)
	}
	out, _, err := run("oauth2 providers", "--json")
	var providers []providerJSON
	if err != nil || json.Unmarshal([]byte(out), &providers) != nil || len(providers) != 5 || !providers[4].Ready || providers[0].Ready {
		t.Fatalf("oauth2 providers --json = %s, %v", out, err)
	}

	out, errText, err := run("account add", append([]string{"--email", alice, "--oauth2", "--provider", "test"}, servers...)...)
	if err != nil {
		t.Fatalf("account add --oauth2: %v\n%s\n%s", err, errText, srv.Log())
	}
	if !strings.Contains(errText, "open this address in a browser") || !strings.Contains(out, "Added "+alice) {
		t.Errorf("account add --oauth2 printed %q and %q", out, errText)
	}
	accts := accountsOf(t, dir, pass)
	if len(accts) != 1 || accts[0].Auth != "oauth2" || accts[0].SignInProvider != "test" {
		t.Errorf("account list --json = %+v, want the sign-in provider", accts)
	}
	if out, _, err := run("account signin", "--email", alice); err != nil || !strings.Contains(out, "Signed in "+alice+" again") {
		t.Errorf("account signin = %q, %v", out, err)
	}
	if _, _, err := run("account signin"); !errors.Is(err, errUsage) {
		t.Errorf("account signin without --email: %v", err)
	}
	pw := writeFile(t, "pw", srv.Users[alice])
	if _, _, err := run("account edit", "--email", alice, "--password-file", pw); !errors.Is(err, mail.ErrSignedInAccount) ||
		!strings.Contains(err.Error(), "--switch-to-password") {
		t.Errorf("account edit --password-file of a signed-in account: %v, want ErrSignedInAccount naming --switch-to-password", err)
	}
	if _, _, err := run("account edit", "--email", alice, "--password-file", pw, "--switch-to-password"); err != nil {
		t.Errorf("account edit --switch-to-password: %v", err)
	}
	if accts := accountsOf(t, dir, pass); len(accts) != 1 || accts[0].Auth != "password" || accts[0].SignInProvider != "" {
		t.Errorf("after the switch to a password: %+v", accts)
	}
}

// TestOAuth2ClientKeepsTheSecret sets a client ID and secret, then only the
// ID: the secret stays until --clear-client-secret.
func TestOAuth2ClientKeepsTheSecret(t *testing.T) {
	dir, pass := newProfile(t)
	run := func(args ...string) error {
		env := &cliEnv{stdio: stdio{in: strings.NewReader(""), out: io.Discard, err: io.Discard}, profileDir: dir, passphraseFile: pass}
		return commandNamed("oauth2 client").run(t.Context(), env, args)
	}
	secret := func() string {
		t.Helper()
		p, err := mail.OpenProfile(dir, []byte(testPassphrase), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		c, err := p.SignIns().Client("google")
		if err != nil {
			t.Fatal(err)
		}
		return c.ClientSecret
	}
	if err := run("google", "--client-id", "id-1", "--client-secret-file", writeFile(t, "secret", "s3cret")); err != nil {
		t.Fatal(err)
	}
	if err := run("google", "--client-id", "id-2"); err != nil {
		t.Fatal(err)
	}
	if got := secret(); got != "s3cret" {
		t.Errorf("client secret after setting only the ID: %q, want it kept", got)
	}
	if err := run("google", "--client-id", "id-2", "--clear-client-secret"); err != nil {
		t.Fatal(err)
	}
	if got := secret(); got != "" {
		t.Errorf("client secret after --clear-client-secret: %q", got)
	}
}
