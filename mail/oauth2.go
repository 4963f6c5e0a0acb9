package mail

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail/backend"
	"github.com/sealpost/sealpost/mail/signin"
)

// SignedIn is the outcome of a sign-in with an OAuth2 provider: what
// Accounts.Add and Accounts.Update store (sealed) as the account's secret.
type SignedIn struct {
	Provider signin.Provider
	Token    signin.Token
}

// SignIns signs accounts in with OAuth2 providers (Google, Microsoft,
// Yahoo, AOL, or an organisation's own) in the system browser, with the
// application's client ID for each provider taken from the settings.
type SignIns struct {
	tokens   *Tokens
	settings *Settings
}

// Providers lists the providers the user can sign in with: the presets
// and the organisation's own providers in the settings, each ready when
// its client ID is set.
func (s *SignIns) Providers() ([]backend.SignInProvider, error) {
	st, err := s.settings.Get()
	if err != nil {
		return nil, err
	}
	var out []backend.SignInProvider
	for _, p := range signin.Presets {
		out = append(out, backend.SignInProvider{ID: p.ID, Name: p.Name, Ready: st.SignIn[p.ID].ClientID != "", Help: p.Help})
	}
	for _, id := range slices.Sorted(maps.Keys(st.SignIn)) {
		if _, err := signin.Preset(id); err == nil {
			continue
		}
		p, c, err := resolveProvider(id, st)
		if err != nil {
			continue
		}
		out = append(out, backend.SignInProvider{ID: id, Name: p.Name, Ready: c.ID != ""})
	}
	return out, nil
}

// ProviderFor returns the ID of the preset that hosts email (judged by its
// domain or its servers' host names), or "" if none does.
func (s *SignIns) ProviderFor(email string, hosts ...string) string {
	p, _ := signin.ForAccount(email, hosts...)
	return p.ID
}

// SignIn signs email in with the provider with id: open shows the
// provider's page in the browser; it returns when the browser came back and
// the code was redeemed, or when ctx ends. Nothing is stored: pass the
// result to Accounts.Add or Accounts.Update.
func (s *SignIns) SignIn(ctx context.Context, id, email string, open func(authURL string) error) (SignedIn, error) {
	f, err := s.prepare(id, email, open)
	if err != nil {
		return SignedIn{}, err
	}
	return runSignIn(ctx, f)
}

// PendingSignIn is a sign-in made ready while the profile was open, to run
// once it is closed: the user may take minutes in the browser, and the
// profile (locked while open) should not wait for them.
type PendingSignIn struct{ flow *signin.Flow }

// Prepare makes ready the sign-in that SignIn would run, with the
// provider's client from the settings; Run runs it, with or without the
// profile open.
func (s *SignIns) Prepare(id, email string, open func(authURL string) error) (*PendingSignIn, error) {
	f, err := s.prepare(id, email, open)
	if err != nil {
		return nil, err
	}
	return &PendingSignIn{flow: f}, nil
}

// Run runs the sign-in as SignIns.SignIn does.
func (ps *PendingSignIn) Run(ctx context.Context) (SignedIn, error) { return runSignIn(ctx, ps.flow) }

// prepare is the flow that SignIn runs; the engine runs it without
// holding the profile open while the user is in the browser.
func (s *SignIns) prepare(id, email string, open func(authURL string) error) (*signin.Flow, error) {
	f, err := s.tokens.flow(id)
	if err != nil {
		return nil, err
	}
	f.Open, f.LoginHint = open, strings.TrimSpace(email)
	return f, nil
}

// runSignIn runs a prepared flow.
func runSignIn(ctx context.Context, f *signin.Flow) (SignedIn, error) {
	tok, err := f.Run(ctx)
	if err != nil {
		return SignedIn{}, err
	}
	return SignedIn{Provider: f.Provider, Token: tok}, nil
}

// Client returns the application's registration with the provider id.
func (s *SignIns) Client(id string) (localstore.SignInClient, error) {
	st, err := s.settings.Get()
	if err != nil {
		return localstore.SignInClient{}, err
	}
	return st.SignIn[id], nil
}

// SetClient stores the application's registration with the provider id,
// sealed with the settings: a preset needs only the client ID (and, for
// Google, its client secret); an organisation's own provider its
// endpoints, scopes, mechanism and servers too, which are checked here.
// Fields left empty keep what is stored (setting only the client ID keeps
// the client secret; ClearClientSecret removes it). An empty client ID
// removes the registration.
func (s *SignIns) SetClient(id string, c localstore.SignInClient) error {
	id = strings.ToLower(strings.TrimSpace(id))
	if id == "" {
		return fmt.Errorf("%w: no provider named", signin.ErrUnknownProvider)
	}
	st, err := s.settings.Get()
	if err != nil {
		return err
	}
	if c.ClientID != "" {
		old := st.SignIn[id]
		keep(&c.ClientSecret, old.ClientSecret)
		keep(&c.Name, old.Name)
		keep(&c.AuthURL, old.AuthURL)
		keep(&c.TokenURL, old.TokenURL)
		keep(&c.Mechanism, old.Mechanism)
		if len(c.Scopes) == 0 {
			c.Scopes = old.Scopes
		}
		if len(c.Servers) == 0 {
			c.Servers = old.Servers
		}
		trial := st
		trial.SignIn = map[string]localstore.SignInClient{id: c}
		p, _, err := resolveProvider(id, trial)
		if err != nil {
			return err
		}
		if err := (&signin.Flow{Provider: p}).Check(); err != nil {
			return err
		}
		if len(p.Servers) == 0 {
			return fmt.Errorf("%s: %w", p.Name, signin.ErrNoProviderServers)
		}
	}
	next := maps.Clone(st.SignIn)
	if next == nil {
		next = make(map[string]localstore.SignInClient, 1)
	}
	if c.ClientID == "" {
		delete(next, id)
	} else {
		next[id] = c
	}
	st.SignIn = next
	return s.settings.Save(st)
}

// ClearClientSecret removes the client secret of the provider id, keeping
// the rest of its registration.
func (s *SignIns) ClearClientSecret(id string) error {
	id = strings.ToLower(strings.TrimSpace(id))
	st, err := s.settings.Get()
	if err != nil {
		return err
	}
	c, ok := st.SignIn[id]
	if !ok || c.ClientSecret == "" {
		return nil
	}
	c.ClientSecret = ""
	next := maps.Clone(st.SignIn)
	next[id] = c
	st.SignIn = next
	return s.settings.Save(st)
}

// keep sets *field to stored when it is empty.
func keep(field *string, stored string) {
	if *field == "" {
		*field = stored
	}
}

// secret is the stored secret of a sign-in obtained at now.
func (si SignedIn) secret(now time.Time) localstore.Secret {
	return secretOf(si.Provider, si.Token, now)
}

// providerName is what the user reads for the provider with id: a
// preset's name, else the ID itself; "" for none.
func providerName(id string) string {
	if p, err := signin.Preset(id); err == nil {
		return p.Name
	}
	return id
}
