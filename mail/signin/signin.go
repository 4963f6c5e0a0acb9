// Package signin signs a user in to an OAuth2 mail provider and keeps the
// tokens fresh: the authorization code flow with PKCE (S256) through the
// system browser and a loopback redirect on 127.0.0.1 (RFC 8252), and the
// refresh of expiring access tokens. It stores nothing: the caller seals the
// tokens in the profile.
package signin

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"
)

var (
	// ErrStateMismatch means the browser came back with another state
	// than the one sent: a request Sealpost did not start, refused and
	// ignored (Run keeps waiting for the right one).
	ErrStateMismatch = errors.New("the sign-in answer does not belong to this sign-in (state mismatch); nothing was accepted")
	// ErrDenied means the provider refused the sign-in, or the user
	// declined to grant access.
	ErrDenied = errors.New("the provider refused the sign-in")
	// ErrRefreshRefused means the provider no longer accepts the refresh
	// token (revoked, expired or rotated away): the user must sign in
	// again.
	ErrRefreshRefused = errors.New("the provider no longer accepts the saved sign-in")
	// ErrNoClientID means the provider has no client ID set yet.
	ErrNoClientID = errors.New("no client ID is set for this provider")
)

// Token is what a sign-in or a refresh yields. It never prints its
// secrets.
type Token struct {
	Access, Refresh string
	// Expiry is when the access token ends; zero if the provider did not
	// say.
	Expiry time.Time
}

// String names what the token holds without the secrets.
func (t Token) String() string {
	return fmt.Sprintf("access token until %s (refresh token: %t)", t.Expiry.Format(time.RFC3339), t.Refresh != "")
}

// Flow is one sign-in: the provider, the application's registration with
// it and how the browser is opened.
type Flow struct {
	Provider Provider
	Client   Client
	// HTTPClient makes the token requests; nil means a client with the
	// system's roots and a 30 s timeout.
	HTTPClient *http.Client
	// Open shows the sign-in page to the user: the desktop opens it in the
	// system browser, a terminal prints it. It must not block until the
	// user is done.
	Open func(authURL string) error
	// LoginHint is the address the user signs in as, offered to the
	// provider to preselect the account.
	LoginHint string
}

// config is the x/oauth2 configuration of f with redirect.
func (f *Flow) config(redirect string) *oauth2.Config {
	return &oauth2.Config{
		ClientID: f.Client.ID, ClientSecret: f.Client.Secret,
		Endpoint:    oauth2.Endpoint{AuthURL: f.Provider.AuthURL, TokenURL: f.Provider.TokenURL, AuthStyle: oauth2.AuthStyleInParams},
		RedirectURL: redirect, Scopes: f.Provider.Scopes,
	}
}

// callback is what the browser brought to the loopback listener.
type callback struct {
	code string
	err  error
}

// Run signs in: it listens on an ephemeral port of 127.0.0.1, opens the
// authorization URL (with a fresh state and a PKCE S256 challenge), waits
// for the browser to come back with a code, checks the state and redeems
// the code with the PKCE verifier. A request with another state (one this
// sign-in did not start) gets an error page and is otherwise ignored: the
// wait goes on. It returns when ctx ends (give it a deadline: the user may
// never finish; the error then also wraps ErrStateMismatch if such
// requests came), or with ErrDenied or a token error.
func (f *Flow) Run(ctx context.Context) (Token, error) {
	if err := f.Provider.check(); err != nil {
		return Token{}, err
	}
	if strings.TrimSpace(f.Client.ID) == "" {
		return Token{}, fmt.Errorf("%s: %w", f.Provider.Name, ErrNoClientID)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp4", "127.0.0.1:0")
	if err != nil {
		return Token{}, fmt.Errorf("listen for the browser's answer: %w", err)
	}
	redirect := fmt.Sprintf("http://%s/", ln.Addr())
	state, err := randomState()
	if err != nil {
		ln.Close()
		return Token{}, err
	}
	verifier := oauth2.GenerateVerifier()
	cfg := f.config(redirect)
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier)}
	if f.LoginHint != "" {
		opts = append(opts, oauth2.SetAuthURLParam("login_hint", f.LoginHint))
	}
	for k, v := range f.Provider.AuthParams {
		opts = append(opts, oauth2.SetAuthURLParam(k, v))
	}
	authURL := cfg.AuthCodeURL(state, opts...)

	done := make(chan callback, 1)
	var forged atomic.Int32 // requests with another state, ignored
	srv := &http.Server{
		Handler:           callbackHandler(state, done, &forged),
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.Serve(ln) // ends with http.ErrServerClosed when shut down below
	}()
	defer func() {
		// The browser gets the page it is loading; nothing else is served.
		stop, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		if srv.Shutdown(stop) != nil {
			srv.Close()
		}
		<-served
	}()
	if err := f.Open(authURL); err != nil {
		return Token{}, fmt.Errorf("open the sign-in page: %w", err)
	}
	var cb callback
	select {
	case <-ctx.Done():
		if n := forged.Load(); n > 0 {
			return Token{}, fmt.Errorf("sign-in not finished: %w (%d answers ignored: %w)", ctx.Err(), n, ErrStateMismatch)
		}
		return Token{}, fmt.Errorf("sign-in not finished: %w", ctx.Err())
	case cb = <-done:
	}
	if cb.err != nil {
		return Token{}, cb.err
	}
	tok, err := cfg.Exchange(f.httpContext(ctx), cb.code, oauth2.VerifierOption(verifier))
	if err != nil {
		return Token{}, fmt.Errorf("redeem the sign-in code at %s: %w", f.Provider.Name, tokenError(err, ErrDenied))
	}
	return tokenOf(tok), nil
}

// Check refuses a flow whose provider is not fit to sign in with: its
// endpoints must be https and its mechanism XOAUTH2 or OAUTHBEARER.
func (f *Flow) Check() error { return f.Provider.check() }

// Refresh trades a refresh token for a new access token (and, with
// providers that rotate them, a new refresh token; else Refresh keeps the
// old one). A provider that refuses the refresh token yields an error
// wrapping ErrRefreshRefused; a network failure does not (trying later may
// work).
func (f *Flow) Refresh(ctx context.Context, refresh string) (Token, error) {
	if err := f.Provider.check(); err != nil {
		return Token{}, err
	}
	if strings.TrimSpace(f.Client.ID) == "" {
		return Token{}, fmt.Errorf("%s: %w", f.Provider.Name, ErrNoClientID)
	}
	src := f.config("").TokenSource(f.httpContext(ctx), &oauth2.Token{RefreshToken: refresh})
	tok, err := src.Token()
	if err != nil {
		return Token{}, fmt.Errorf("refresh the sign-in at %s: %w", f.Provider.Name, tokenError(err, ErrRefreshRefused))
	}
	t := tokenOf(tok)
	if t.Refresh == "" {
		t.Refresh = refresh
	}
	return t, nil
}

// defaultClient makes the token requests of flows without an HTTPClient:
// one for the process, so that its connections are reused.
var defaultClient = &http.Client{Timeout: 30 * time.Second}

// httpContext carries the flow's HTTP client to x/oauth2.
func (f *Flow) httpContext(ctx context.Context) context.Context {
	c := f.HTTPClient
	if c == nil {
		c = defaultClient
	}
	return context.WithValue(ctx, oauth2.HTTPClient, c)
}

// tokenError turns the provider's refusal into refused, naming its error
// code but never the response body (which might echo a token).
func tokenError(err error, refused error) error {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		return err
	}
	code := re.ErrorCode
	if code == "" && re.Response != nil {
		code = re.Response.Status
	}
	if re.Response != nil && re.Response.StatusCode >= 500 {
		return fmt.Errorf("the provider failed (%s); try again later", code)
	}
	return fmt.Errorf("%w (%s)", refused, code)
}

func tokenOf(t *oauth2.Token) Token {
	return Token{Access: t.AccessToken, Refresh: t.RefreshToken, Expiry: t.Expiry}
}

// randomState is an unguessable state parameter.
func randomState() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random state: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// callbackHandler answers the browser's return to the loopback address:
// the first request at "/" with the right state and a code (or the
// provider's error) ends the wait. A request with another state gets an
// error page, is counted in forged and changes nothing else: it did not
// come from this sign-in (another page of the browser, say), and the
// right answer may still come. Other paths (a favicon, say) get 404.
func callbackHandler(state string, done chan<- callback, forged *atomic.Int32) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		q := r.URL.Query()
		var cb callback
		switch {
		case subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(state)) != 1:
			forged.Add(1)
			page(w, http.StatusBadRequest, "Sign-in failed: "+ErrStateMismatch.Error()+
				". If you started a sign-in in Sealpost, finish it in the window Sealpost opened.")
			return
		case q.Get("error") != "":
			cb.err = fmt.Errorf("%w: %s", ErrDenied, q.Get("error"))
		case q.Get("code") == "":
			cb.err = fmt.Errorf("%w: the answer carries no code", ErrDenied)
		default:
			cb.code = q.Get("code")
		}
		if cb.err != nil {
			page(w, http.StatusBadRequest, "Sign-in failed: "+cb.err.Error())
		} else {
			page(w, http.StatusOK, "Signed in. You can close this window and return to Sealpost.")
		}
		select {
		case done <- cb:
		default: // an answer already came; this one changes nothing
		}
	})
}

// page answers the browser with text, never cached.
func page(w http.ResponseWriter, status int, text string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<!doctype html><title>Sealpost</title><p>%s</p>\n", html.EscapeString(text))
}
