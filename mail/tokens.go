package mail

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
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
// refresh token too) are sealed in the account at once. Each account's
// current token is kept in memory too (the store is read once per account,
// not on every connection). One refresh of an account runs at a time, so
// two connections never spend the same refresh token; accounts do not wait
// for each other's refreshes.
type Tokens struct {
	store    *localstore.Store
	settings *Settings
	rootCAs  *x509.CertPool
	now      func() time.Time

	mu       sync.Mutex
	accounts map[string]*accountTokens // by address
}

// accountTokens is what Tokens knows of one account's sign-in.
type accountTokens struct {
	// turn is held (a value in it) while one connection of the account
	// looks at its token and renews it, across the provider's answer.
	turn chan struct{}

	// The fields below belong to whoever holds turn.
	loaded bool
	// stored is the account's secret as stored (as far as this profile
	// wrote or read it); zero for none.
	stored localstore.Secret
	// refused is the refresh token the provider refused, so that sessions
	// retrying do not ask it again until the user signs in anew.
	refused string
	// renewed maps the last refresh tokens this profile spent (at most
	// maxRenewed, in spent, oldest first) to the current secret, so that a
	// copy of an account made before a renewal (a session's, or the one a
	// test login of a new sign-in holds before it is stored) finds the
	// current token.
	renewed map[string]localstore.Secret
	spent   []string
}

// maxRenewed bounds the spent refresh tokens an account remembers, so
// that an app open for months does not keep every token it ever had in
// memory: a copy of the account older than that many renewals finds the
// current token through the stored secret.
const maxRenewed = 8

// remember notes that the refresh token spent was replaced by next: the
// spent tokens remembered that led to spent's secret lead to next from now
// on, so that one lookup finds the current secret.
func (at *accountTokens) remember(spent string, next localstore.Secret) {
	for k, v := range at.renewed {
		if v.Refresh == spent {
			at.renewed[k] = next
		}
	}
	at.renewed[spent] = next
	at.spent = append(at.spent, spent)
	if len(at.spent) > maxRenewed {
		delete(at.renewed, at.spent[0])
		at.spent = slices.Delete(at.spent, 0, 1)
	}
}

// account returns the entry of the account with address email.
func (ts *Tokens) account(email string) *accountTokens {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.accounts == nil {
		ts.accounts = make(map[string]*accountTokens)
	}
	at, ok := ts.accounts[email]
	if !ok {
		at = &accountTokens{turn: make(chan struct{}, 1), renewed: make(map[string]localstore.Secret)}
		ts.accounts[email] = at
	}
	return at
}

// take waits for the account's turn, or for ctx to end; release gives it
// back.
func (at *accountTokens) take(ctx context.Context) error {
	select {
	case at.turn <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (at *accountTokens) release() { <-at.turn }

// forget drops what Tokens knows of the account with address email: its
// secret was replaced (a password instead of a sign-in) or removed.
func (ts *Tokens) forget(email string) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	delete(ts.accounts, email)
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
	return signin.Provider{
		ID: id, Name: name, AuthURL: c.AuthURL, TokenURL: c.TokenURL, Scopes: c.Scopes, Mechanism: c.Mechanism,
		Servers: c.Servers,
	}, client, nil
}

// httpClient reaches the providers over verified TLS (the profile's roots,
// through providerTransport) and follows no redirect: a redirect could
// carry the client secret, the refresh token or the code to another
// address, or to plain http.
func (ts *Tokens) httpClient() *http.Client {
	return &http.Client{
		Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
		Transport: providerTransport(ts.rootCAs),
	}
}

// transports are the transports to the providers, one per set of roots
// (nil: the system's), shared by every flow and refresh of the process so
// that connections are reused.
var transports struct {
	sync.Mutex
	byRoots map[*x509.CertPool]*http.Transport
}

// providerTransport is the shared transport that trusts roots, with
// timeouts for each step so that a stalled provider cannot hold a
// connection's login for long.
func providerTransport(roots *x509.CertPool) *http.Transport {
	transports.Lock()
	defer transports.Unlock()
	if t, ok := transports.byRoots[roots]; ok {
		return t
	}
	if transports.byRoots == nil {
		transports.byRoots = make(map[*x509.CertPool]*http.Transport)
	}
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	t := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		TLSClientConfig:       &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 20 * time.Second,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConnsPerHost:   2,
		ForceAttemptHTTP2:     true,
	}
	transports.byRoots[roots] = t
	return t
}

// fresh returns acct with a current access token. Accounts without a
// refresh token (a password, or a pasted access token) pass unchanged. Of
// the token acct carries and the one known (stored or renewed), the later
// wins (a session's copy of the account may be older than a refresh
// another connection stored; a new sign-in not yet stored is newer than
// the stored one). A refresh the provider refuses fails with
// backend.ErrSignInAgain.
func (ts *Tokens) fresh(ctx context.Context, acct localstore.Account) (localstore.Account, error) {
	return ts.renew(ctx, acct, false)
}

// rejected returns acct with a new access token after a server refused the
// one acct carries although it had not expired: it is renewed once (unless
// another connection did so meanwhile), whatever its expiry says.
func (ts *Tokens) rejected(ctx context.Context, acct localstore.Account) (localstore.Account, error) {
	return ts.renew(ctx, acct, true)
}

// renew is fresh, or with force rejected.
func (ts *Tokens) renew(ctx context.Context, acct localstore.Account, force bool) (localstore.Account, error) {
	if acct.Secret.Kind != SecretOAuth2 || acct.Secret.Refresh == "" {
		return acct, nil
	}
	at := ts.account(acct.Email)
	if err := at.take(ctx); err != nil {
		return acct, err
	}
	defer at.release()
	if !at.loaded {
		stored, err := ts.store.Accounts().Get(acct.Email)
		switch {
		case errors.Is(err, localstore.ErrNotFound):
		case err != nil:
			return acct, err
		case stored.Secret.Kind == SecretOAuth2 && stored.Secret.Refresh != "":
			at.stored = stored.Secret
		}
		at.loaded = true
	}
	spent := acct.Secret.Value
	if at.stored.Refresh != "" && at.stored.Obtained.After(acct.Secret.Obtained) {
		acct.Secret = at.stored
	}
	if next, ok := at.renewed[acct.Secret.Refresh]; ok {
		acct.Secret = next
	}
	sec := acct.Secret
	// Without an expiry the token is used until a server refuses it.
	due := !sec.Expiry.IsZero() && !ts.now().Add(refreshMargin).Before(sec.Expiry)
	if force {
		// Unless another connection renewed the refused token meanwhile.
		due = sec.Value == spent
	}
	if !due {
		return acct, nil
	}
	if at.refused == sec.Refresh {
		return acct, fmt.Errorf("%s: %w", acct.Email, backend.ErrSignInAgain)
	}
	f, err := ts.flow(sec.Provider)
	if err != nil {
		return acct, fmt.Errorf("renew the sign-in of %s: %w", acct.Email, err)
	}
	tok, err := f.Refresh(ctx, sec.Refresh)
	if errors.Is(err, signin.ErrRefreshRefused) {
		at.refused = sec.Refresh
		return acct, fmt.Errorf("%s: %w: %w", acct.Email, backend.ErrSignInAgain, err)
	}
	if err != nil {
		return acct, err
	}
	next := sec
	next.Value, next.Refresh, next.Expiry, next.Obtained = tok.Access, tok.Refresh, tok.Expiry, ts.now()
	// Stored only over the secret it was refreshed from: a rotated refresh
	// token must not be lost, nor a newer sign-in overwritten.
	stored := false
	err = ts.store.Accounts().SetSecret(acct.Email, func(cur localstore.Secret) (localstore.Secret, bool) {
		stored = cur.Refresh == sec.Refresh
		return next, stored
	})
	if err != nil && !errors.Is(err, localstore.ErrNotFound) {
		return acct, fmt.Errorf("store the renewed sign-in of %s: %w", acct.Email, err)
	}
	if stored {
		at.stored = next
	}
	if next.Refresh != sec.Refresh {
		at.remember(sec.Refresh, next)
	}
	acct.Secret = next
	return acct, nil
}

// server returns nil when acct's token may go to host: an account signed
// in with a provider sends its token only to the provider's servers
// (signin.Provider.Servers), else the error wraps
// signin.ErrNotProviderServer. A password, or a token pasted without a
// provider, may go to the account's servers.
func (ts *Tokens) server(acct localstore.Account, host string) error {
	if acct.Secret.Kind != SecretOAuth2 || acct.Secret.Provider == "" {
		return nil
	}
	p, err := signin.Preset(acct.Secret.Provider)
	if err != nil {
		st, err := ts.settings.Get()
		if err != nil {
			return err
		}
		if p, _, err = resolveProvider(acct.Secret.Provider, st); err != nil {
			return fmt.Errorf("%s: the sign-in provider of %s: %w", host, acct.Email, err)
		}
	}
	return p.CheckServer(host)
}

// secretOf is the stored secret of a sign-in.
func secretOf(provider signin.Provider, tok signin.Token, now time.Time) localstore.Secret {
	return localstore.Secret{
		Kind: SecretOAuth2, Value: tok.Access, Refresh: tok.Refresh, Expiry: tok.Expiry, Obtained: now,
		Provider: provider.ID, Mechanism: provider.Mechanism,
	}
}
