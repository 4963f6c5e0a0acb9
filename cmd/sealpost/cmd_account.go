package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"golang.org/x/term"

	"github.com/sealpost/sealpost/mail"
	"github.com/sealpost/sealpost/mail/autoconfig"
	"github.com/sealpost/sealpost/mail/transport"
)

// accountJSON is the stable JSON form of an account in `account list --json`.
type accountJSON struct {
	Email           string       `json:"email"`
	Name            string       `json:"name"`
	Username        string       `json:"username"`
	IMAP            serverJSON   `json:"imap"`
	SMTP            serverJSON   `json:"smtp"`
	Auth            string       `json:"auth"` // password | oauth2
	ServerSavesSent bool         `json:"server_saves_sent"`
	PinnedCerts     []pinnedJSON `json:"pinned_certs"`
	// SignInProvider is the OAuth2 provider the account signs in with
	// ("" for a password or a pasted token).
	SignInProvider string `json:"signin_provider"`
	ProviderDomain string `json:"provider_domain"`
}

type serverJSON struct {
	Host     string `json:"host"`
	Port     int    `json:"port"`
	Security string `json:"security"`
}

type pinnedJSON struct {
	Host     string `json:"host"`
	Port     int    `json:"port"`
	SHA256   string `json:"sha256"`
	PinnedAt string `json:"pinned_at"`
}

func cmdAccountAdd(ctx context.Context, env *cliEnv, args []string) error {
	fs := env.flags("account add")
	email := fs.String("email", "", "the account's address (required)")
	name := fs.String("name", "", "your name as recipients see it")
	servers := serverFlags(fs, "", " (default: autoconfiguration)")
	user := fs.String("user", "", "login name (default: the address)")
	passFile := fs.String("password-file", "", "read the password (or, with --oauth2, an OAuth2 access token) from `FILE`")
	oauth := fs.Bool("oauth2", false, "sign in with the provider in a browser (without --password-file), or the password file holds an OAuth2 access token")
	provider := fs.String("provider", "", "the OAuth2 provider to sign in with: google, microsoft, yahoo, aol or your own (default: found from the address or servers)")
	trust := fs.String("trust-cert", "", "trust the certificate with this SHA-256 fingerprint (hex, as printed when it was refused)")
	savesSent := fs.Bool("server-saves-sent", false, "the provider files sent mail itself: do not save a copy in Sent")
	if err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	if *email == "" {
		return fmt.Errorf("%w: --email ADDRESS is required", errUsage)
	}
	signIn := *oauth && *passFile == ""
	switch {
	case *passFile == "" && !*oauth:
		return fmt.Errorf("%w: --password-file FILE (or --oauth2 to sign in with the provider) is required", errUsage)
	case *provider != "" && !signIn:
		return fmt.Errorf("%w: --provider goes with --oauth2 and no --password-file", errUsage)
	}
	settings := mail.AccountSettings{Email: *email, Name: *name, Username: *user, TrustCert: *trust, ServerSavesSent: *savesSent}
	var err error
	if settings.IMAP, settings.SMTP, err = servers(); err != nil {
		return err
	}
	if !signIn {
		if settings.Secret, err = readSecretFile(*passFile); err != nil {
			return err
		}
	}
	if *oauth {
		settings.SecretKind = mail.SecretOAuth2
	}
	add := func(p *mail.Profile) error {
		info, err := p.Accounts().Add(ctx, settings, nil)
		if err != nil {
			err = withTrustHint(err)
			if errors.Is(err, autoconfig.ErrNotFound) {
				return fmt.Errorf("%w (give them with --imap HOST:PORT and --smtp HOST:PORT)", err)
			}
			return err
		}
		fmt.Fprintf(env.out, "Added %s (settings: %s)\n", info.Email, info.Discovery)
		if info.DiscoveryDetail != "" {
			fmt.Fprintf(env.out, "  settings from %s\n", info.DiscoveryDetail)
		}
		printTested(env, info.Tested)
		for _, n := range info.Notes {
			fmt.Fprintf(env.err, "note: %s\n", n)
		}
		return nil
	}
	if !signIn {
		return env.withProfile(add)
	}
	var pending *mail.PendingSignIn
	return env.withProfileAround(func(p *mail.Profile) error {
		id := *provider
		if id == "" {
			if id = p.SignIns().ProviderFor(*email, settings.IMAP.Host, settings.SMTP.Host); id == "" {
				return fmt.Errorf("%w: no known sign-in provider hosts %s: name it with --provider (`sealpost oauth2 providers` lists them)", errUsage, *email)
			}
		}
		pending, err = env.prepareSignIn(p, id, *email)
		return err
	}, func() error {
		si, err := runSignIn(ctx, pending)
		settings.SignIn = &si
		return err
	}, add)
}

// serverFlags registers --imap, --imap-security, --smtp and --smtp-security
// on fs, their help starting with prefix and ending with suffix, and
// returns the function that reads them once fs is parsed.
func serverFlags(fs *flag.FlagSet, prefix, suffix string) func() (imap, smtp mail.Server, err error) {
	imapAddr := fs.String("imap", "", prefix+"IMAP server as `HOST:PORT`"+suffix)
	imapSec := fs.String("imap-security", "", "tls or starttls (default: tls, starttls for port 143)")
	smtpAddr := fs.String("smtp", "", prefix+"SMTP submission server as `HOST:PORT`"+suffix)
	smtpSec := fs.String("smtp-security", "", "tls or starttls (default: tls, starttls for port 587)")
	return func() (imap, smtp mail.Server, err error) {
		if imap, err = serverFlag(*imapAddr, *imapSec); err != nil {
			return imap, smtp, fmt.Errorf("%w: --imap: %w", errUsage, err)
		}
		if smtp, err = serverFlag(*smtpAddr, *smtpSec); err != nil {
			return imap, smtp, fmt.Errorf("%w: --smtp: %w", errUsage, err)
		}
		return imap, smtp, nil
	}
}

// printTested prints how each test login was secured.
func printTested(env *cliEnv, tested []mail.Connection) {
	for _, c := range tested {
		pinned := ""
		if c.Pinned {
			pinned = ", pinned certificate"
		}
		fmt.Fprintf(env.out, "  %s: %s, %s, certificate SHA-256 %s%s\n", c.Server, c.Version, c.CipherSuite, c.CertSHA256, pinned)
	}
}

// withTrustHint adds to an untrusted certificate error how to trust it and
// returns any other error as it is.
func withTrustHint(err error) error {
	var certErr *transport.CertificateError
	if errors.As(err, &certErr) && errors.Is(err, transport.ErrUntrustedCertificate) {
		return fmt.Errorf("%w; if you trust it, run again with --trust-cert %s", err, certErr.SHA256)
	}
	return err
}

// serverFlag parses HOST:PORT (the port may be left out) and a security.
func serverFlag(addr, security string) (mail.Server, error) {
	if addr == "" {
		if security != "" {
			return mail.Server{}, errors.New("a security without a server")
		}
		return mail.Server{}, nil
	}
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		host, portText = addr, ""
	}
	port := 0
	if portText != "" {
		if port, err = strconv.Atoi(portText); err != nil || port <= 0 || port > 65535 {
			return mail.Server{}, fmt.Errorf("bad port in %q", addr)
		}
	}
	return mail.Server{Host: host, Port: port, Security: security}, nil
}

func cmdAccountList(_ context.Context, env *cliEnv, args []string) error {
	fs := env.flags("account list")
	asJSON := fs.Bool("json", false, "print JSON (see docs/cli.md)")
	if err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	return env.withProfile(func(p *mail.Profile) error {
		accts, err := p.Accounts().List()
		if err != nil {
			return err
		}
		if *asJSON {
			out := make([]accountJSON, 0, len(accts))
			for _, a := range accts {
				j := accountJSON{
					Email: a.Email, Name: a.Name, Username: a.Username, Auth: a.SecretKind, ServerSavesSent: a.ServerSavesSent,
					SignInProvider: a.SignInProvider,
					IMAP:           serverJSON{a.IMAP.Host, a.IMAP.Port, a.IMAP.Security},
					SMTP:           serverJSON{a.SMTP.Host, a.SMTP.Port, a.SMTP.Security},
					PinnedCerts:    []pinnedJSON{}, ProviderDomain: a.ProviderDomain,
				}
				for _, pin := range a.Pins {
					j.PinnedCerts = append(j.PinnedCerts, pinnedJSON{pin.Host, pin.Port, pin.SHA256, rfc3339(pin.PinnedAt)})
				}
				out = append(out, j)
			}
			return writeJSON(env.out, out)
		}
		if len(accts) == 0 {
			fmt.Fprintln(env.out, "No accounts yet: `sealpost account add --email ADDRESS --password-file FILE`.")
			return nil
		}
		tw := tabwriter.NewWriter(env.out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ACCOUNT\tIMAP\tSMTP\tPINNED")
		for _, a := range accts {
			var pins []string
			for _, pin := range a.Pins {
				pins = append(pins, fmt.Sprintf("%s:%d", pin.Host, pin.Port))
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", a.Email, a.IMAP, a.SMTP, strings.Join(pins, ", "))
		}
		return tw.Flush()
	})
}

func cmdAccountEdit(ctx context.Context, env *cliEnv, args []string) error {
	fs := env.flags("account edit")
	email := fs.String("email", "", "the address of the account to change (required)")
	name := fs.String("name", "", "your name as recipients see it (--name \"\" clears it)")
	servers := serverFlags(fs, "new ", "")
	passFile := fs.String("password-file", "", "read the new password (or OAuth2 token) from `FILE`")
	toPassword := fs.Bool("switch-to-password", false, "with --password-file: an account that signs in with a provider logs in with this password from now on (its tokens are dropped)")
	trust := fs.String("trust-cert", "", "trust the certificate with this SHA-256 fingerprint (hex, as printed when it was refused)")
	provider := fs.String("provider-domain", "", "the `DOMAIN` of your provider, whose Received and Authentication-Results headers on incoming mail are trusted (--provider-domain \"\" goes back to the IMAP host's domain)")
	if err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	if *email == "" {
		return fmt.Errorf("%w: --email ADDRESS is required", errUsage)
	}
	if *toPassword && *passFile == "" {
		return fmt.Errorf("%w: --switch-to-password needs --password-file FILE", errUsage)
	}
	change := mail.AccountChange{Email: *email, TrustCert: *trust, SwitchToPassword: *toPassword}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "name":
			change.Name = name
		case "provider-domain":
			change.ProviderDomain = provider
		}
	})
	var err error
	if change.IMAP, change.SMTP, err = servers(); err != nil {
		return err
	}
	if *passFile != "" {
		if change.Secret, err = readSecretFile(*passFile); err != nil {
			return err
		}
	}
	if change.Name == nil && change.IMAP == (mail.Server{}) && change.SMTP == (mail.Server{}) && len(change.Secret) == 0 && *trust == "" && change.ProviderDomain == nil {
		return fmt.Errorf("%w: nothing to change: give --name, --imap, --smtp, --password-file, --trust-cert or --provider-domain", errUsage)
	}
	return env.withProfile(func(p *mail.Profile) error {
		info, err := p.Accounts().Update(ctx, change)
		if errors.Is(err, mail.ErrSignedInAccount) {
			return fmt.Errorf("%w (`sealpost account signin --email %s` signs in again; add --switch-to-password to log in with the password instead)", err, change.Email)
		}
		if err != nil {
			return withTrustHint(err)
		}
		fmt.Fprintf(env.out, "Updated %s: IMAP %s, SMTP %s\n", info.Email, info.IMAP, info.SMTP)
		printTested(env, info.Tested)
		return nil
	})
}

func cmdAccountRemove(_ context.Context, env *cliEnv, args []string) error {
	fs := env.flags("account remove")
	yes := fs.Bool("yes", false, "do not ask for confirmation")
	if err := parse(fs, args, 1, -1); err != nil {
		return err
	}
	email := fs.Arg(0)
	if err := parse(fs, fs.Args()[1:], 0, 0); err != nil { // flags may follow the address
		return err
	}
	if !*yes {
		ok, err := env.confirm(fmt.Sprintf("Remove %s and its local copy of mail, search index and drafts from this computer? "+
			"Nothing is deleted on the server. [y/N] ", email))
		if err != nil {
			return err
		}
		if !ok {
			return errors.New("nothing was removed")
		}
	}
	return env.withProfile(func(p *mail.Profile) error {
		if err := p.Accounts().Remove(email); err != nil {
			return err
		}
		fmt.Fprintf(env.out, "Removed %s from this computer; its mail stays on the server.\n", email)
		return nil
	})
}

// confirm asks question on the terminal and reports whether the answer was
// yes. Without a terminal it fails and names --yes.
func (env *cliEnv) confirm(question string) (bool, error) {
	f, ok := env.in.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return false, fmt.Errorf("%w: there is no terminal to ask for confirmation on: add --yes", errUsage)
	}
	fmt.Fprint(env.err, question)
	line, err := bufio.NewReader(f).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return false, fmt.Errorf("read the answer: %w", err)
	}
	answer := strings.ToLower(strings.TrimSpace(line))
	return answer == "y" || answer == "yes", nil
}
