package submit

import (
	"fmt"
	"slices"
	"strings"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/sealpost/sealpost/mail/internal/xoauth2"
)

// SASL mechanism names.
const (
	MechPlain       = sasl.Plain
	MechLogin       = sasl.Login
	MechXOAuth2     = xoauth2.Mechanism
	MechOAuthBearer = sasl.OAuthBearer
)

// Auth is the credential for one submission.
type Auth struct {
	// Username is the login name (often the address).
	Username string
	// Secret is the password, or the OAuth2 access token when OAuth2 is set.
	Secret string
	// OAuth2 means Secret is a bearer token: OAUTHBEARER is used when the
	// server offers it, else XOAUTH2. For a password, PLAIN is used when
	// offered, else LOGIN.
	OAuth2 bool
	// Mechanism forces one of the Mech* mechanisms; empty chooses as above.
	Mechanism string
	// Mechanisms, for a token, is the order to try OAUTHBEARER and
	// XOAUTH2 in (a provider's own mechanism first); empty means the
	// order above.
	Mechanisms []string
}

// String never shows the secret, so an Auth can be printed safely.
func (a Auth) String() string {
	return fmt.Sprintf("%s with a %s", a.Username, a.kind())
}

// saslClient picks the mechanism for a among those the server advertises.
func (a Auth) saslClient(c *smtp.Client) (sasl.Client, string, error) {
	candidates := []string{MechPlain, MechLogin}
	if a.OAuth2 {
		candidates = []string{MechOAuthBearer, MechXOAuth2}
		if len(a.Mechanisms) > 0 {
			candidates = slices.DeleteFunc(slices.Clone(a.Mechanisms), func(m string) bool { return m != MechOAuthBearer && m != MechXOAuth2 })
		}
	}
	if a.Mechanism != "" {
		m := strings.ToUpper(a.Mechanism)
		ok := false
		for _, c := range candidates {
			ok = ok || c == m
		}
		if !ok {
			return nil, "", fmt.Errorf("mechanism %q does not fit a %s: %w", a.Mechanism, a.kind(), ErrNoAuthMechanism)
		}
		candidates = []string{m}
	}
	for _, m := range candidates {
		if !c.SupportsAuth(m) {
			continue
		}
		switch m {
		case MechPlain:
			return sasl.NewPlainClient("", a.Username, a.Secret), m, nil
		case MechLogin:
			return sasl.NewLoginClient(a.Username, a.Secret), m, nil
		case MechOAuthBearer:
			return sasl.NewOAuthBearerClient(&sasl.OAuthBearerOptions{Username: a.Username, Token: a.Secret}), m, nil
		default:
			return xoauth2.NewClient(a.Username, a.Secret), m, nil
		}
	}
	_, offered := c.Extension("AUTH")
	if offered == "" {
		offered = "none"
	}
	return nil, "", fmt.Errorf("%w (the server offers: %s)", ErrNoAuthMechanism, offered)
}

func (a Auth) kind() string {
	if a.OAuth2 {
		return "token"
	}
	return "password"
}
