// Package signintest is a real OAuth2 provider for tests, on 127.0.0.1
// over TLS: an authorization endpoint that approves at once and sends the
// browser back to the loopback redirect with a code, a token endpoint that
// checks the PKCE verifier and rotates refresh tokens, and token
// introspection (RFC 7662) for mail servers such as Dovecot's oauth2
// passdb. It keeps its tokens in memory only.
package signintest

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sealpost/sealpost/mail/signin"
)

// ClientID is the client ID the provider accepts.
const ClientID = "sealpost-test-client"

// Introspection credentials that the endpoint requires (HTTP Basic).
const (
	IntrospectID     = "dovecot"
	IntrospectSecret = "introspect-secret"
)

// Provider is a running test provider.
type Provider struct {
	srv *httptest.Server

	mu sync.Mutex
	// lifetime is how long an access token lives.
	lifetime time.Duration
	codes    map[string]grant       // code -> what it was issued for
	access   map[string]accessToken // access token -> its user and expiry
	refresh  map[string]string      // refresh token -> user
	issued   []string               // every token issued, for scans
	counts   map[string]int         // requests per grant type
	failNext map[string]bool        // grant types to refuse once more
	// refuseIssued makes the access tokens issued from now on unknown
	// to introspection (see IssueRefused).
	refuseIssued bool
}

type grant struct {
	user, challenge, redirect string
}

type accessToken struct {
	user   string
	expiry time.Time
}

// New starts a provider for t; t.Cleanup stops it. Access tokens live an
// hour until SetLifetime says otherwise.
func New(t testing.TB) *Provider {
	t.Helper()
	p := &Provider{
		lifetime: time.Hour, codes: map[string]grant{}, access: map[string]accessToken{},
		refresh: map[string]string{}, counts: map[string]int{}, failNext: map[string]bool{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /authorize", p.authorize)
	mux.HandleFunc("POST /token", p.token)
	mux.HandleFunc("POST /introspect", p.introspect)
	p.srv = httptest.NewUnstartedServer(mux)
	p.srv.EnableHTTP2 = false
	p.srv.StartTLS()
	p.srv.TLS.MinVersion = tls.VersionTLS12
	t.Cleanup(p.srv.Close)
	return p
}

// Servers are the mail servers of the test provider: the loopback
// addresses the test mail servers (testservers) listen on.
var Servers = []string{"127.0.0.1", "127.0.0.2"}

// Preset is the provider as a sign-in preset, with mechanism; its servers
// are Servers.
func (p *Provider) Preset(mechanism string) signin.Provider {
	return signin.Provider{
		ID: "test", Name: "Test provider", AuthURL: p.srv.URL + "/authorize", TokenURL: p.srv.URL + "/token",
		Scopes: []string{"mail"}, Mechanism: mechanism, Servers: Servers,
	}
}

// RevokeAccess forgets every access token but keeps the refresh tokens, as
// a provider does when it ends access tokens early (a password change, a
// key rollover): a refresh gets a working token again.
func (p *Provider) RevokeAccess() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.access = map[string]accessToken{}
}

// IntrospectionURL is the introspection endpoint with its credentials.
func (p *Provider) IntrospectionURL() string {
	u, _ := url.Parse(p.srv.URL + "/introspect")
	u.User = url.UserPassword(IntrospectID, IntrospectSecret)
	return u.String()
}

// CAPEM is the provider's certificate in PEM, the root to trust for it.
func (p *Provider) CAPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.srv.Certificate().Raw})
}

// CertPool holds the provider's certificate.
func (p *Provider) CertPool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(p.srv.Certificate())
	return pool
}

// HTTPClient trusts the provider (and nothing else) and follows redirects,
// as a browser would.
func (p *Provider) HTTPClient() *http.Client {
	return &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: p.CertPool(), MinVersion: tls.VersionTLS12}},
	}
}

// Browser returns an Open function for signin.Flow that acts as the user's
// browser: it loads the authorization URL and follows the provider's
// redirect to the loopback address, in the background.
func (p *Provider) Browser(t testing.TB) func(string) error {
	return func(authURL string) error {
		go func() {
			resp, err := p.HTTPClient().Get(authURL)
			if err != nil {
				t.Logf("signintest browser: %v", err)
				return
			}
			resp.Body.Close()
		}()
		return nil
	}
}

// SetLifetime sets how long access tokens issued from now on live.
func (p *Provider) SetLifetime(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lifetime = d
}

// RevokeAll forgets every refresh and access token, as a provider does
// when the user revokes the application's access.
func (p *Provider) RevokeAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.access, p.refresh = map[string]accessToken{}, map[string]string{}
}

// IssueRefused makes every access token issued from now on one that the
// mail server refuses (introspection calls it inactive), as when a
// provider issues tokens without the mail scope: renewing does not help.
func (p *Provider) IssueRefused() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refuseIssued = true
}

// FailNext makes the next token request of grantType
// ("authorization_code" or "refresh_token") fail with a server error.
func (p *Provider) FailNext(grantType string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.failNext[grantType] = true
}

// Count returns how many token requests of grantType succeeded.
func (p *Provider) Count(grantType string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.counts[grantType]
}

// Issued returns every access and refresh token issued so far.
func (p *Provider) Issued() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.issued...)
}

// RefreshTokenOf returns a live refresh token of user, if any.
func (p *Provider) RefreshTokenOf(user string) (string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for tok, u := range p.refresh {
		if u == user {
			return tok, true
		}
	}
	return "", false
}

// authorize approves at once for the user named by login_hint and sends
// the browser back to the loopback redirect with a code bound to the PKCE
// challenge.
func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	redirect, err := url.Parse(q.Get("redirect_uri"))
	switch {
	case q.Get("client_id") != ClientID:
		http.Error(w, "unknown client", http.StatusBadRequest)
		return
	case err != nil || redirect.Scheme != "http" || redirect.Hostname() != "127.0.0.1" || redirect.Port() == "":
		http.Error(w, "the redirect must be a loopback address", http.StatusBadRequest)
		return
	case q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "":
		http.Error(w, "authorization code with PKCE S256 only", http.StatusBadRequest)
		return
	case q.Get("login_hint") == "" || q.Get("state") == "":
		http.Error(w, "login_hint and state are required here", http.StatusBadRequest)
		return
	}
	code := random()
	p.mu.Lock()
	p.codes[code] = grant{user: q.Get("login_hint"), challenge: q.Get("code_challenge"), redirect: q.Get("redirect_uri")}
	p.mu.Unlock()
	back := redirect.Query()
	back.Set("code", code)
	back.Set("state", q.Get("state"))
	redirect.RawQuery = back.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

// token redeems a code (checking the PKCE verifier and the redirect) or a
// refresh token (rotating it: the old one stops working).
func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.PostForm.Get("client_id") != ClientID {
		tokenError(w, http.StatusUnauthorized, "invalid_client")
		return
	}
	f := r.PostForm
	kind := f.Get("grant_type")
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.failNext[kind] {
		delete(p.failNext, kind)
		tokenError(w, http.StatusServiceUnavailable, "temporarily_unavailable")
		return
	}
	var user string
	switch kind {
	case "authorization_code":
		g, ok := p.codes[f.Get("code")]
		delete(p.codes, f.Get("code")) // a code is used once, right or wrong
		sum := sha256.Sum256([]byte(f.Get("code_verifier")))
		challenge := base64.RawURLEncoding.EncodeToString(sum[:])
		if !ok || g.redirect != f.Get("redirect_uri") || subtle.ConstantTimeCompare([]byte(challenge), []byte(g.challenge)) != 1 {
			tokenError(w, http.StatusBadRequest, "invalid_grant")
			return
		}
		user = g.user
	case "refresh_token":
		u, ok := p.refresh[f.Get("refresh_token")]
		if !ok {
			tokenError(w, http.StatusBadRequest, "invalid_grant")
			return
		}
		delete(p.refresh, f.Get("refresh_token"))
		user = u
	default:
		tokenError(w, http.StatusBadRequest, "unsupported_grant_type")
		return
	}
	p.counts[kind]++
	access, refresh := random(), random()
	if !p.refuseIssued {
		p.access[access] = accessToken{user: user, expiry: time.Now().Add(p.lifetime)}
	}
	p.refresh[refresh] = user
	p.issued = append(p.issued, access, refresh)
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": access, "token_type": "Bearer", "refresh_token": refresh,
		"expires_in": int(p.lifetime / time.Second),
	})
}

// introspect answers RFC 7662 requests from a client with the
// introspection credentials.
func (p *Provider) introspect(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := r.BasicAuth()
	if !ok || id != IntrospectID || subtle.ConstantTimeCompare([]byte(secret), []byte(IntrospectSecret)) != 1 {
		w.Header().Set("WWW-Authenticate", `Basic realm="introspection"`)
		http.Error(w, "introspection needs credentials", http.StatusUnauthorized)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	p.mu.Lock()
	tok, ok := p.access[r.PostForm.Get("token")]
	p.mu.Unlock()
	if !ok || time.Now().After(tok.expiry) {
		writeJSON(w, http.StatusOK, map[string]any{"active": false})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"active": true, "username": tok.user, "email": tok.user, "client_id": ClientID,
		"token_type": "Bearer", "exp": tok.expiry.Unix(),
	})
}

func tokenError(w http.ResponseWriter, status int, code string) {
	writeJSON(w, status, map[string]string{"error": code})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the client went away: nothing to do
}

// random is an unguessable token.
func random() string {
	b := make([]byte, 24)
	rand.Read(b) // crypto/rand.Read never returns an error.
	return strings.TrimRight(base64.RawURLEncoding.EncodeToString(b), "=")
}
