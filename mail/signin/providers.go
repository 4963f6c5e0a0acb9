package signin

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// SASL mechanisms that carry an OAuth2 access token to IMAP and SMTP.
const (
	// MechXOAUTH2 is Google's and Microsoft's XOAUTH2.
	MechXOAUTH2 = "XOAUTH2"
	// MechOAUTHBEARER is OAUTHBEARER (RFC 7628).
	MechOAUTHBEARER = "OAUTHBEARER"
)

// Provider is an OAuth2 identity provider of mail accounts: where the user
// signs in, where tokens come from, what access is asked for and how the
// token is presented to the mail servers. The client ID is not part of a
// preset: it belongs to whoever registered the application with the
// provider, and is a setting (Client).
type Provider struct {
	// ID names the provider in settings and on the command line.
	ID string
	// Name is what the user reads ("Google").
	Name string
	// AuthURL is the authorization endpoint, TokenURL the token endpoint;
	// both HTTPS.
	AuthURL, TokenURL string
	// Scopes give access to IMAP and SMTP (and a refresh token).
	Scopes []string
	// Mechanism is the SASL mechanism the provider's servers expect
	// (MechXOAUTH2 or MechOAUTHBEARER); the other is used when a server
	// offers only that one.
	Mechanism string
	// Domains are mail domains hosted by the provider, for choosing it
	// from an address. Servers are its IMAP and SMTP servers: an entry
	// starting with a dot names every host under that domain (".gmail.com"),
	// any other entry exactly one host. They choose the provider from the
	// server settings, and they are the only hosts its tokens are sent to
	// (Serves).
	Domains, Servers []string
	// AuthParams are extra parameters of the authorization request.
	AuthParams map[string]string
	// Help says where an organisation registers Sealpost to get a client ID.
	Help string
}

// Client is the registration of the application with a provider: a setting
// of the profile, empty until the user or their organisation sets it.
type Client struct {
	// ID is the OAuth2 client ID.
	ID string
	// Secret is the client secret, for providers that give installed
	// applications one (Google does; it protects nothing there). Empty for
	// public clients.
	Secret string
}

// Presets are the providers Sealpost knows.
var Presets = []Provider{
	{
		ID: "google", Name: "Google",
		AuthURL: "https://accounts.google.com/o/oauth2/v2/auth", TokenURL: "https://oauth2.googleapis.com/token",
		Scopes: []string{"https://mail.google.com/"}, Mechanism: MechXOAUTH2,
		Domains:    []string{"gmail.com", "googlemail.com"},
		Servers:    []string{".gmail.com", ".googlemail.com"},
		AuthParams: map[string]string{"access_type": "offline", "prompt": "consent"},
		Help:       "Google Cloud console: APIs & Services, Credentials, OAuth client ID of type Desktop app",
	},
	{
		ID: "microsoft", Name: "Microsoft",
		AuthURL:   "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
		TokenURL:  "https://login.microsoftonline.com/common/oauth2/v2.0/token",
		Scopes:    []string{"https://outlook.office.com/IMAP.AccessAsUser.All", "https://outlook.office.com/SMTP.Send", "offline_access"},
		Mechanism: MechXOAUTH2,
		Domains:   []string{"outlook.com", "hotmail.com", "live.com", "msn.com"},
		Servers:   []string{".office365.com", ".outlook.com"},
		Help:      "Microsoft Entra admin center: App registrations, a public client (mobile and desktop) with the redirect URI http://127.0.0.1",
	},
	{
		ID: "yahoo", Name: "Yahoo",
		AuthURL: "https://api.login.yahoo.com/oauth2/request_auth", TokenURL: "https://api.login.yahoo.com/oauth2/get_token",
		Scopes: []string{"mail-w"}, Mechanism: MechOAUTHBEARER,
		Domains: []string{"yahoo.com", "ymail.com", "rocketmail.com"},
		Servers: []string{".mail.yahoo.com"},
		Help:    "Yahoo developer network: create an app with Mail read/write access",
	},
	{
		ID: "aol", Name: "AOL",
		AuthURL: "https://api.login.aol.com/oauth2/request_auth", TokenURL: "https://api.login.aol.com/oauth2/get_token",
		Scopes: []string{"mail-w"}, Mechanism: MechOAUTHBEARER,
		Domains: []string{"aol.com", "aim.com"},
		Servers: []string{".aol.com"},
		Help:    "AOL developer network: create an app with Mail read/write access",
	},
}

var (
	// ErrUnknownProvider means no provider has the ID given.
	ErrUnknownProvider = errors.New("unknown sign-in provider")
	// ErrNotProviderServer means an account signed in with a provider
	// names a mail server that is not one of the provider's: its token
	// would go to a host the provider did not issue it for, so it is not
	// sent.
	ErrNotProviderServer = errors.New("the server is not one of the sign-in provider's servers, so the sign-in token is not sent to it")
	// ErrNoProviderServers means an organisation's own provider names no
	// mail servers, so its tokens may go nowhere.
	ErrNoProviderServers = errors.New("name the provider's IMAP and SMTP servers in its sign-in settings: its tokens go only to them")
)

// Serves reports whether host is one of p's mail servers (see
// Provider.Servers), ignoring case and a trailing dot.
func (p Provider) Serves(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if host == "" {
		return false
	}
	for _, s := range p.Servers {
		s = strings.ToLower(s)
		if strings.HasPrefix(s, ".") && strings.HasSuffix(host, s) || host == s {
			return true
		}
	}
	return false
}

// CheckServer returns nil when host is one of p's servers, else an error
// wrapping ErrNotProviderServer that says what the user can do.
func (p Provider) CheckServer(host string) error {
	if p.Serves(host) {
		return nil
	}
	if len(p.Servers) == 0 {
		return fmt.Errorf("%s: %w; the provider %q names no servers: %w", host, ErrNotProviderServer, p.ID, ErrNoProviderServers)
	}
	return fmt.Errorf("%s: %w; %s's servers are %s: correct the account's servers, or use a password instead of the sign-in",
		host, ErrNotProviderServer, p.Name, strings.Join(p.Servers, ", "))
}

// Preset returns the preset with id.
func Preset(id string) (Provider, error) {
	for _, p := range Presets {
		if p.ID == strings.ToLower(strings.TrimSpace(id)) {
			return p, nil
		}
	}
	ids := make([]string, len(Presets))
	for i, p := range Presets {
		ids[i] = p.ID
	}
	return Provider{}, fmt.Errorf("%w %q (known: %s)", ErrUnknownProvider, id, strings.Join(ids, ", "))
}

// ForAccount returns the preset that hosts an address, judged by its
// domain or by one of its servers' host names; ok is false when none does.
func ForAccount(email string, hosts ...string) (Provider, bool) {
	domain := strings.ToLower(email[strings.LastIndex(email, "@")+1:])
	for _, p := range Presets {
		if slices.Contains(p.Domains, domain) {
			return p, true
		}
		for _, h := range hosts {
			if p.Serves(h) {
				return p, true
			}
		}
	}
	return Provider{}, false
}

// check refuses a provider whose endpoints are not HTTPS: the code, the
// verifier and the tokens never travel in plain text.
func (p Provider) check() error {
	for _, u := range []string{p.AuthURL, p.TokenURL} {
		parsed, err := url.Parse(u)
		if err != nil || parsed.Scheme != "https" || parsed.Host == "" {
			return fmt.Errorf("the %s sign-in address %q is not an https URL", p.Name, u)
		}
	}
	if p.Mechanism != MechXOAUTH2 && p.Mechanism != MechOAUTHBEARER {
		return fmt.Errorf("the %s sign-in names no known mechanism (%q)", p.Name, p.Mechanism)
	}
	return nil
}
