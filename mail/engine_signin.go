package mail

import (
	"context"
	"errors"
	"fmt"

	"github.com/sealpost/sealpost/mail/backend"
	"github.com/sealpost/sealpost/mail/signin"
)

// SignInProviders lists the sign-in providers and the one that hosts email.
func (e *Engine) SignInProviders(ctx context.Context, email string) (providers []backend.SignInProvider, suggested string, err error) {
	err = e.with(ctx, func(p *Profile) error {
		providers, err = p.SignIns().Providers()
		if email != "" {
			suggested = p.SignIns().ProviderFor(email)
		}
		return err
	})
	return providers, suggested, err
}

// AddAccountWithSignIn signs a.Email in with provider in the browser and
// adds the account with the tokens. The profile is not held open while the
// user is in the browser.
func (e *Engine) AddAccountWithSignIn(ctx context.Context, a backend.NewAccount, provider string, open func(url string) error) (backend.AddedAccount, error) {
	f, err := e.prepareSignIn(ctx, provider, a.Email, open)
	if err != nil {
		return backend.AddedAccount{}, err
	}
	si, err := runSignIn(ctx, f)
	if err != nil {
		return backend.AddedAccount{}, err
	}
	return e.addAccount(ctx, AccountSettings{
		Email: a.Email, Name: a.Name, SignIn: &si, TrustServers: trustedPins(a.Trust), IMAP: a.IMAP, SMTP: a.SMTP,
	})
}

// SignInAgain signs the account in again with its provider and restarts
// its session.
func (e *Engine) SignInAgain(ctx context.Context, email string, open func(url string) error) error {
	var provider string
	err := e.with(ctx, func(p *Profile) error {
		info, err := p.Accounts().Info(email)
		provider = info.SignInProvider
		return err
	})
	if err != nil {
		return err
	}
	if provider == "" {
		return fmt.Errorf("%s: %w", email, ErrNoSignIn)
	}
	f, err := e.prepareSignIn(ctx, provider, email, open)
	if err != nil {
		return err
	}
	si, err := runSignIn(ctx, f)
	if err != nil {
		return err
	}
	err = e.with(ctx, func(p *Profile) error {
		_, err := p.Accounts().Update(ctx, AccountChange{Email: email, SignIn: &si})
		return asBackendCertError(err)
	})
	if err == nil {
		e.accountsChanged(email, true)
	}
	return err
}

// SetSignInClient stores the client ID (and secret) for provider; an
// empty secret keeps the stored one.
func (e *Engine) SetSignInClient(ctx context.Context, provider, clientID, clientSecret string) error {
	return e.with(ctx, func(p *Profile) error {
		c, err := p.SignIns().Client(provider)
		if err != nil {
			return err
		}
		c.ClientID, c.ClientSecret = clientID, clientSecret
		return p.SignIns().SetClient(provider, c)
	})
}

// prepareSignIn makes the flow of a sign-in while the profile is open.
func (e *Engine) prepareSignIn(ctx context.Context, provider, email string, open func(string) error) (f *signin.Flow, err error) {
	err = e.with(ctx, func(p *Profile) error {
		f, err = p.SignIns().prepare(provider, email, open)
		return err
	})
	return f, err
}

// ErrNoSignIn means an account has a password, not a sign-in with a
// provider, so there is nothing to sign in again.
var ErrNoSignIn = errors.New("the account uses a password, not a sign-in with a provider")

// The engine signs accounts in with OAuth2 providers.
var _ backend.SignIn = (*Engine)(nil)
