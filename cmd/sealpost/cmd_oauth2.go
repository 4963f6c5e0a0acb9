package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail"
)

// signInTimeout is how long a sign-in waits for the user in the browser.
const signInTimeout = 10 * time.Minute

// prepareSignIn makes ready the sign-in of email with the provider id:
// the terminal has no browser to open, so it prints the address to open
// and waits for the browser to come back to the loopback address (on this
// computer).
func (env *cliEnv) prepareSignIn(p *mail.Profile, id, email string) (*mail.PendingSignIn, error) {
	return p.SignIns().Prepare(id, email, func(authURL string) error {
		fmt.Fprintf(env.err, "To sign in %s, open this address in a browser on this computer:\n\n  %s\n\nWaiting up to %s for the sign-in (Ctrl+C stops)...\n",
			email, authURL, signInTimeout)
		return nil
	})
}

// runSignIn runs a prepared sign-in, the profile closed, for up to
// signInTimeout.
func runSignIn(ctx context.Context, ps *mail.PendingSignIn) (mail.SignedIn, error) {
	ctx, cancel := context.WithTimeout(ctx, signInTimeout)
	defer cancel()
	return ps.Run(ctx)
}

func cmdAccountSignIn(ctx context.Context, env *cliEnv, args []string) error {
	fs := env.flags("account signin")
	email := fs.String("email", "", "the address of the account (required)")
	if err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	if *email == "" {
		return fmt.Errorf("%w: --email ADDRESS is required", errUsage)
	}
	var (
		addr    string
		pending *mail.PendingSignIn
		si      mail.SignedIn
	)
	return env.withProfileAround(func(p *mail.Profile) error {
		info, err := p.Accounts().Info(*email)
		if err != nil {
			return err
		}
		if info.SignInProvider == "" {
			return fmt.Errorf("%s: %w", info.Email, mail.ErrNoSignIn)
		}
		addr = info.Email
		pending, err = env.prepareSignIn(p, info.SignInProvider, info.Email)
		return err
	}, func() (err error) {
		si, err = runSignIn(ctx, pending)
		return err
	}, func(p *mail.Profile) error {
		updated, err := p.Accounts().Update(ctx, mail.AccountChange{Email: addr, SignIn: &si})
		if err != nil {
			return withTrustHint(err)
		}
		fmt.Fprintf(env.out, "Signed in %s again with %s\n", updated.Email, updated.SignIn)
		printTested(env, updated.Tested)
		return nil
	})
}

// providerJSON is the stable JSON form of a provider in `oauth2 providers --json`.
type providerJSON struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Ready bool   `json:"client_id_set"`
	Help  string `json:"help"`
}

func cmdOAuth2Providers(_ context.Context, env *cliEnv, args []string) error {
	fs := env.flags("oauth2 providers")
	asJSON := fs.Bool("json", false, "print JSON (see docs/cli.md)")
	if err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	return env.withProfile(func(p *mail.Profile) error {
		providers, err := p.SignIns().Providers()
		if err != nil {
			return err
		}
		if *asJSON {
			out := make([]providerJSON, 0, len(providers))
			for _, pr := range providers {
				out = append(out, providerJSON{pr.ID, pr.Name, pr.Ready, pr.Help})
			}
			return writeJSON(env.out, out)
		}
		tw := tabwriter.NewWriter(env.out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "PROVIDER\tNAME\tCLIENT ID\tWHERE TO GET ONE")
		for _, pr := range providers {
			set := "not set"
			if pr.Ready {
				set = "set"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", pr.ID, pr.Name, set, pr.Help)
		}
		return tw.Flush()
	})
}

func cmdOAuth2Client(_ context.Context, env *cliEnv, args []string) error {
	fs := env.flags("oauth2 client")
	clientID := fs.String("client-id", "", "the client ID the provider issued for Sealpost (empty removes it)")
	secretFile := fs.String("client-secret-file", "", "read the client secret from `FILE` (providers that issue one, such as Google)")
	name := fs.String("name", "", "your own provider: its name as the user reads it")
	authURL := fs.String("auth-url", "", "your own provider: its authorization endpoint (https)")
	tokenURL := fs.String("token-url", "", "your own provider: its token endpoint (https)")
	scopes := fs.String("scope", "", "your own provider: the scopes for IMAP and SMTP, separated by spaces")
	mechanism := fs.String("mechanism", "", "your own provider: XOAUTH2 or OAUTHBEARER")
	servers := fs.String("server", "", "your own provider: its IMAP and SMTP `HOSTS`, separated by spaces (.example.com: every host under it); its tokens go only to them")
	clearSecret := fs.Bool("clear-client-secret", false, "remove the stored client secret (without this flag or --client-secret-file the stored one is kept)")
	if err := parse(fs, args, 1, -1); err != nil {
		return err
	}
	id := fs.Arg(0)
	if err := parse(fs, fs.Args()[1:], 0, 0); err != nil { // flags may follow the provider
		return err
	}
	c := localstore.SignInClient{
		ClientID: strings.TrimSpace(*clientID), Name: *name, AuthURL: *authURL, TokenURL: *tokenURL,
		Scopes: strings.Fields(*scopes), Mechanism: strings.ToUpper(*mechanism), Servers: strings.Fields(*servers),
	}
	if *clearSecret && *secretFile != "" {
		return fmt.Errorf("%w: --clear-client-secret and --client-secret-file exclude each other", errUsage)
	}
	if *secretFile != "" {
		secret, err := readSecretFile(*secretFile)
		if err != nil {
			return err
		}
		c.ClientSecret = string(secret)
	}
	return env.withProfile(func(p *mail.Profile) error {
		if err := p.SignIns().SetClient(id, c); err != nil {
			return err
		}
		if *clearSecret && c.ClientID != "" {
			if err := p.SignIns().ClearClientSecret(id); err != nil {
				return err
			}
		}
		if c.ClientID == "" {
			fmt.Fprintf(env.out, "Removed the client ID for %s\n", id)
			return nil
		}
		fmt.Fprintf(env.out, "Set the client ID for %s\n", id)
		return nil
	})
}
