package mail

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail/backend"
	"github.com/sealpost/sealpost/mail/signin"
)

// refreshMargin is how long before its expiry an access token is renewed:
// a connection never starts with a token about to end.
const refreshMargin = 5 * time.Minute

// Tokens keeps the OAuth2 access tokens of signed-in accounts fresh: before
// a connection logs in, a token that ends within refreshMargin is renewed
// with the refresh token, and the new tokens (a provider may rotate the
// refresh token too) are sealed in the account at once. One refresh runs
// at a time, so two connections never spend the same refresh token.
type Tokens struct {
	store    *localstore.Store
	settings *Settings
	rootCAs  *x509.CertPool
	now      func() time.Time

	mu sync.Mutex
	// refused remembers refresh tokens the provider refused, so that
	// sessions retrying do not ask it again until the user signs in anew.
	refused map[string]string
	// renewed maps each refresh token this profile spent to the secret
	// that replaced it, so that a copy of an account made before a renewal
	// (a session's, or the one a test login of a new sign-in holds before
	// it is stored) finds the current token.
	renewed map[string]localstore.Secret
}

// flow is a sign-in flow for the provider with id, with its client from
// the settings; errors name what the user must set.
func (ts *Tokens) flow(id string) (*signin.Flow, error) {
	st, err := ts.settings.Get()
	if err != nil {
		return nil, err
	}
	p, client, err := resolveProvider(id, st)
	if err != nil {
		return nil, err
	}
	return &signin.Flow{Provider: p, Client: client, HTTPClient: ts.httpClient()}, nil
}

// resolveProvider finds the provider with id among the presets, or as an
// organisation's own provider in the settings, with the client set there.
func resolveProvider(id string, st localstore.Settings) (signin.Provider, signin.Client, error) {
	c := st.SignIn[id]
	client := signin.Client{ID: c.ClientID, Secret: c.ClientSecret}
	p, err := signin.Preset(id)
	if err == nil {
		return p, client, nil
	}
	if c.AuthURL == "" && c.TokenURL == "" {
		return signin.Provider{}, signin.Client{}, err
	}
	name := c.Name
	if name == "" {
		name = id
	}
	return signin.Provider{ID: id, Name: name, AuthURL: c.AuthURL, TokenURL: c.TokenURL, Scopes: c.Scopes, Mechanism: c.Mechanism}, client, nil
}

// httpClient reaches the providers over verified TLS (the profile's roots)
// and follows no redirect: a redirect could carry the client secret, the
// refresh token or the code to another address, or to plain http.
func (ts *Tokens) httpClient() *http.Client {
	return &http.Client{
		Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
		Transport: &http.Transport{
			Proxy:           http.ProxyFromEnvironment,
			TLSClientConfig: &tls.Config{RootCAs: ts.rootCAs, MinVersion: tls.VersionTLS12},
		},
	}
}

// fresh returns acct with a current access token. Accounts without a
// refresh token (a password, or a pasted access token) pass unchanged. Of
// the token acct carries and the one stored, the later wins (a session's
// copy of the account may be older than a refresh another connection
// stored; a new sign-in not yet stored is newer than the stored one). A
// refresh the provider refuses fails with backend.ErrSignInAgain.
func (ts *Tokens) fresh(ctx context.Context, acct localstore.Account) (localstore.Account, error) {
	if acct.Secret.Kind != SecretOAuth2 || acct.Secret.Refresh == "" {
		return acct, nil
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	stored, err := ts.store.Accounts().Get(acct.Email)
	switch {
	case errors.Is(err, localstore.ErrNotFound):
		stored = localstore.Account{}
	case err != nil:
		return acct, err
	}
	if s := stored.Secret; s.Kind == SecretOAuth2 && s.Refresh != "" && s.Obtained.After(acct.Secret.Obtained) {
		acct.Secret = s
	}
	for {
		next, ok := ts.renewed[acct.Secret.Refresh]
		if !ok {
			break
		}
		acct.Secret = next
	}
	sec := acct.Secret
	if sec.Expiry.IsZero() || ts.now().Add(refreshMargin).Before(sec.Expiry) {
		return acct, nil
	}
	if ts.refused[acct.Email] == sec.Refresh {
		return acct, fmt.Errorf("%s: %w", acct.Email, backend.ErrSignInAgain)
	}
	f, err := ts.flow(sec.Provider)
	if err != nil {
		return acct, fmt.Errorf("renew the sign-in of %s: %w", acct.Email, err)
	}
	tok, err := f.Refresh(ctx, sec.Refresh)
	if errors.Is(err, signin.ErrRefreshRefused) {
		if ts.refused == nil {
			ts.refused = make(map[string]string)
		}
		ts.refused[acct.Email] = sec.Refresh
		return acct, fmt.Errorf("%s: %w: %w", acct.Email, backend.ErrSignInAgain, err)
	}
	if err != nil {
		return acct, err
	}
	next := sec
	next.Value, next.Refresh, next.Expiry, next.Obtained = tok.Access, tok.Refresh, tok.Expiry, ts.now()
	// Stored only over the secret it was refreshed from: a rotated refresh
	// token must not be lost, nor a newer sign-in overwritten.
	err = ts.store.Accounts().SetSecret(acct.Email, func(cur localstore.Secret) (localstore.Secret, bool) {
		return next, cur.Refresh == sec.Refresh
	})
	if err != nil && !errors.Is(err, localstore.ErrNotFound) {
		return acct, fmt.Errorf("store the renewed sign-in of %s: %w", acct.Email, err)
	}
	if ts.renewed == nil {
		ts.renewed = make(map[string]localstore.Secret)
	}
	if next.Refresh != sec.Refresh {
		ts.renewed[sec.Refresh] = next
	}
	acct.Secret = next
	return acct, nil
}

// secretOf is the stored secret of a sign-in.
func secretOf(provider signin.Provider, tok signin.Token, now time.Time) localstore.Secret {
	return localstore.Secret{
		Kind: SecretOAuth2, Value: tok.Access, Refresh: tok.Refresh, Expiry: tok.Expiry, Obtained: now,
		Provider: provider.ID, Mechanism: provider.Mechanism,
	}
}
