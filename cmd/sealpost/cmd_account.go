package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"text/tabwriter"

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
	imapAddr := fs.String("imap", "", "IMAP server as `HOST:PORT` (default: autoconfiguration)")
	imapSec := fs.String("imap-security", "", "tls or starttls (default: tls, starttls for port 143)")
	smtpAddr := fs.String("smtp", "", "SMTP submission server as `HOST:PORT` (default: autoconfiguration)")
	smtpSec := fs.String("smtp-security", "", "tls or starttls (default: tls, starttls for port 587)")
	user := fs.String("user", "", "login name (default: the address)")
	passFile := fs.String("password-file", "", "read the password (or OAuth2 token) from `FILE` (required)")
	oauth := fs.Bool("oauth2", false, "the password file holds an OAuth2 access token")
	trust := fs.String("trust-cert", "", "trust the certificate with this SHA-256 fingerprint (hex, as printed when it was refused)")
	savesSent := fs.Bool("server-saves-sent", false, "the provider files sent mail itself: do not save a copy in Sent")
	if err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	if *email == "" {
		return fmt.Errorf("%w: --email ADDRESS is required", errUsage)
	}
	if *passFile == "" {
		return fmt.Errorf("%w: --password-file FILE is required", errUsage)
	}
	settings := mail.AccountSettings{Email: *email, Name: *name, Username: *user, TrustCert: *trust, ServerSavesSent: *savesSent}
	var err error
	if settings.IMAP, err = serverFlag(*imapAddr, *imapSec); err != nil {
		return fmt.Errorf("%w: --imap: %v", errUsage, err)
	}
	if settings.SMTP, err = serverFlag(*smtpAddr, *smtpSec); err != nil {
		return fmt.Errorf("%w: --smtp: %v", errUsage, err)
	}
	if settings.Secret, err = readSecretFile(*passFile); err != nil {
		return err
	}
	if *oauth {
		settings.SecretKind = mail.SecretOAuth2
	}
	return env.withProfile(func(p *mail.Profile) error {
		info, err := p.AddAccount(ctx, settings, nil)
		if err != nil {
			var certErr *transport.CertificateError
			if errors.As(err, &certErr) && errors.Is(err, transport.ErrUntrustedCertificate) {
				return fmt.Errorf("%w; if you trust it, run again with --trust-cert %s", err, certErr.SHA256)
			}
			if errors.Is(err, autoconfig.ErrNotFound) {
				return fmt.Errorf("%w (give them with --imap HOST:PORT and --smtp HOST:PORT)", err)
			}
			return err
		}
		fmt.Fprintf(env.out, "Added %s (settings: %s)\n", info.Email, info.Discovery)
		for _, c := range info.Tested {
			pinned := ""
			if c.Pinned {
				pinned = ", pinned certificate"
			}
			fmt.Fprintf(env.out, "  %s: %s, %s, certificate SHA-256 %s%s\n", c.Server, c.Version, c.CipherSuite, c.CertSHA256, pinned)
		}
		for _, n := range info.Notes {
			fmt.Fprintf(env.err, "note: %s\n", n)
		}
		return nil
	})
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
		accts, err := p.Accounts()
		if err != nil {
			return err
		}
		if *asJSON {
			out := make([]accountJSON, 0, len(accts))
			for _, a := range accts {
				j := accountJSON{
					Email: a.Email, Name: a.Name, Username: a.Username, Auth: a.SecretKind, ServerSavesSent: a.ServerSavesSent,
					IMAP:        serverJSON{a.IMAP.Host, a.IMAP.Port, a.IMAP.Security},
					SMTP:        serverJSON{a.SMTP.Host, a.SMTP.Port, a.SMTP.Security},
					PinnedCerts: []pinnedJSON{},
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
