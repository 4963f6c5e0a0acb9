package mail

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"

	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail/autoconfig"
	"github.com/sealpost/sealpost/mail/backend"
	"github.com/sealpost/sealpost/mail/imapsync"
	"github.com/sealpost/sealpost/mail/internal/xoauth2"
	"github.com/sealpost/sealpost/mail/submit"
	"github.com/sealpost/sealpost/mail/transport"
)

// heloName is what Sealpost calls itself in SMTP EHLO: a fixed name, so the
// user's host name does not end up in every message's Received header.
const heloName = "localhost"

// Connections reaches the accounts' servers: it dials IMAP and SMTP under
// the profile's TLS policy (system or test roots, the user's pinned
// certificates, the stall timeout) and remembers how the latest connection
// of each kind was secured, for the security indicators.
type Connections struct {
	rootCAs *x509.CertPool
	dialer  transport.Dialer
	stall   time.Duration // transport.Policy.StallTimeout of every connection
	tokens  *Tokens       // renews OAuth2 access tokens before a login

	mu    sync.Mutex
	conns map[string]Connection // latest connection per account and protocol
}

// policy is the TLS policy for acct's servers: system roots (or the
// profile's test roots) plus the certificates the user pinned, and the
// profile's stall timeout.
func (cs *Connections) policy(acct localstore.Account) transport.Policy {
	pol := transport.Policy{RootCAs: cs.rootCAs, Dialer: cs.dialer, StallTimeout: cs.stall}
	for _, pin := range acct.PinnedCerts {
		pol.Pins = append(pol.Pins, transport.Pin{Host: pin.Host, Port: pin.Port, SHA256: pin.SHA256})
	}
	return pol
}

// stallTimeout is the stall timeout of the profile's connections.
func (cs *Connections) stallTimeout() time.Duration {
	if cs.stall > 0 {
		return cs.stall
	}
	return transport.DefaultStallTimeout
}

// recordConn remembers how the latest connection of one kind was secured,
// for the security indicators.
func (cs *Connections) record(account, proto string, c Connection) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.conns == nil {
		cs.conns = make(map[string]Connection)
	}
	cs.conns[account+" "+proto] = c
}

// Last returns how the latest IMAP ("imap") or SMTP ("smtp")
// connection of account was secured, if there was one.
func (cs *Connections) Last(account, proto string) (Connection, bool) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	c, ok := cs.conns[strings.ToLower(account)+" "+proto]
	return c, ok
}

// dialIMAP returns a logged-in IMAP client for acct. Cancelling ctx while
// it logs in closes the connection.
func (cs *Connections) dialIMAP(ctx context.Context, acct localstore.Account, opts *imapclient.Options) (*imapclient.Client, Connection, error) {
	c, _, info, err := cs.dialIMAPConn(ctx, acct, opts)
	return c, info, err
}

// dialIMAPConn is dialIMAP that also returns the connection's stall guard,
// busy: its owner marks it idle while it waits for nothing, and asks it
// whether a failure was a stall (see imapStalled). An OAuth2 token goes
// only to the sign-in provider's servers; one the server refuses although
// it had not expired is renewed once and tried again before the user is
// asked to sign in again.
func (cs *Connections) dialIMAPConn(ctx context.Context, acct localstore.Account, opts *imapclient.Options) (*imapclient.Client, *transport.Conn, Connection, error) {
	srv := serverFromConfig(acct.IMAP)
	if err := cs.tokens.server(acct, srv.Host); err != nil {
		return nil, nil, Connection{}, fmt.Errorf("IMAP %s: %w", srv, err)
	}
	var c *imapclient.Client
	var conn *transport.Conn
	var info Connection
	err := cs.withRenewal(ctx, acct, func(acct localstore.Account) error {
		var err error
		c, conn, info, err = cs.dialIMAPOnce(ctx, acct, opts)
		return err
	})
	return c, conn, info, err
}

// withRenewal runs login with acct's credential, renewed first if it is
// an OAuth2 token about to end (see Tokens.fresh). When the server refuses
// the OAuth2 token of an account signed in with a provider although it
// had not expired (the provider ended it early), the token is renewed once
// and login runs again with it; a refusal after that means the sign-in
// itself no longer holds (see signInAgain). login must report a refused
// login with backend.ErrLoginRejected, and only a refusal that happened
// before anything but the login was sent: it may run twice.
func (cs *Connections) withRenewal(ctx context.Context, acct localstore.Account, login func(localstore.Account) error) error {
	acct, err := cs.tokens.fresh(ctx, acct)
	if err != nil {
		return err
	}
	err = login(acct)
	if tokenRefused(acct, err) {
		var renewErr error
		if acct, renewErr = cs.tokens.rejected(ctx, acct); renewErr != nil {
			return fmt.Errorf("%w; before that: %w", renewErr, err)
		}
		err = login(acct)
	}
	return signInAgain(acct, err)
}

// dialIMAPOnce connects to acct's IMAP server and logs in with the
// credential acct holds.
func (cs *Connections) dialIMAPOnce(ctx context.Context, acct localstore.Account, opts *imapclient.Options) (*imapclient.Client, *transport.Conn, Connection, error) {
	srv := serverFromConfig(acct.IMAP)
	conn, state, err := transport.DialIMAP(ctx, srv.Host, srv.Port, transport.Security(srv.Security), cs.policy(acct))
	if err != nil {
		return nil, nil, Connection{}, fmt.Errorf("IMAP %s: %w", srv, markCertificate(err))
	}
	info := Connection{Server: srv, ConnState: state}
	cs.record(acct.Email, autoconfig.ProtocolIMAP, info)
	watch := watchLogin(conn) // go-imap drops the server named by a referral
	c := imapclient.New(watch, opts)
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	err = imapLogin(c, acct)
	referral := watch.stop()
	if err != nil {
		c.Close()
		if ctx.Err() != nil {
			return nil, nil, info, ctx.Err()
		}
		if stalled := conn.Stalled(); stalled != nil {
			return nil, nil, info, stalled
		}
		return nil, nil, info, fmt.Errorf("IMAP login to %s as %s: %w", srv.Host, acct.Username, classifyIMAPLogin(err, srv.Host, referral))
	}
	return c, conn, info, nil
}

// imapStalled returns the stall guard's error instead of err when the
// server stopped responding: go-imap reports read errors as text only.
func imapStalled(conn *transport.Conn, err error) error {
	if stalled := conn.Stalled(); stalled != nil && err != nil {
		return stalled
	}
	return err
}

// imapLogin logs in with the password, or with the OAuth2 token: by the
// provider's mechanism when the server offers it, else OAUTHBEARER, else
// XOAUTH2.
func imapLogin(c *imapclient.Client, acct localstore.Account) error {
	if acct.Secret.Kind != SecretOAuth2 {
		return c.Login(acct.Username, acct.Secret.Value).Wait()
	}
	caps, err := c.Capability().Wait()
	if err != nil {
		return err
	}
	for _, mech := range tokenMechanisms(acct.Secret.Mechanism) {
		if !caps.Has(imap.AuthCap(mech)) {
			continue
		}
		client := xoauth2.NewClient(acct.Username, acct.Secret.Value)
		if mech == sasl.OAuthBearer {
			client = sasl.NewOAuthBearerClient(&sasl.OAuthBearerOptions{Username: acct.Username, Token: acct.Secret.Value})
		}
		err := c.Authenticate(client)
		// The mechanisms end with the server's error challenge, not with
		// its NO: that is the refusal.
		var bearerErr *sasl.OAuthBearerError
		if errors.Is(err, xoauth2.ErrRejected) || errors.As(err, &bearerErr) {
			return fmt.Errorf("%w: %w", backend.ErrLoginRejected, err)
		}
		return err
	}
	return errors.New("the server offers neither OAUTHBEARER nor XOAUTH2 for an OAuth2 token")
}

// tokenMechanisms are the SASL mechanisms for an OAuth2 token in the order
// tried: preferred first, when it names one.
func tokenMechanisms(preferred string) []string {
	if preferred == xoauth2.Mechanism {
		return []string{xoauth2.Mechanism, sasl.OAuthBearer}
	}
	return []string{sasl.OAuthBearer, xoauth2.Mechanism}
}

// tokenRefused reports whether err is a server's refusal of the access
// token of acct, an account signed in with a provider (which can renew
// it).
func tokenRefused(acct localstore.Account, err error) bool {
	return acct.Secret.Kind == SecretOAuth2 && acct.Secret.Refresh != "" && errors.Is(err, backend.ErrLoginRejected)
}

// signInAgain adds backend.ErrSignInAgain to a refused login of an
// account signed in with a provider: its token was renewed (after a first
// refusal if need be), so a refusal means the sign-in itself no longer
// holds.
func signInAgain(acct localstore.Account, err error) error {
	if tokenRefused(acct, err) {
		return fmt.Errorf("%w: %w", backend.ErrSignInAgain, err)
	}
	return err
}

// imapConnector gives the sync engine logged-in clients for acct.
func (cs *Connections) imapConnector(acct localstore.Account) imapsync.Connector {
	return func(ctx context.Context, opts *imapclient.Options) (*imapclient.Client, imapsync.Link, error) {
		c, conn, _, err := cs.dialIMAPConn(ctx, acct, opts)
		if err != nil {
			return nil, nil, err
		}
		return c, conn, nil
	}
}

// dialSMTP connects to acct's submission server and returns the
// credential to log in with (an OAuth2 token renewed if it was about to
// end).
func (cs *Connections) dialSMTP(ctx context.Context, acct localstore.Account) (net.Conn, submit.Auth, Connection, error) {
	srv := serverFromConfig(acct.SMTP)
	if err := cs.tokens.server(acct, srv.Host); err != nil {
		return nil, submit.Auth{}, Connection{}, fmt.Errorf("SMTP %s: %w", srv, err)
	}
	acct, err := cs.tokens.fresh(ctx, acct)
	if err != nil {
		return nil, submit.Auth{}, Connection{}, err
	}
	conn, state, err := transport.DialSMTP(ctx, srv.Host, srv.Port, transport.Security(srv.Security), cs.policy(acct), heloName)
	if err != nil {
		return nil, submit.Auth{}, Connection{}, fmt.Errorf("SMTP %s: %w", srv, markCertificate(err))
	}
	info := Connection{Server: srv, ConnState: state}
	cs.record(acct.Email, autoconfig.ProtocolSMTP, info)
	return conn, submitAuth(acct), info, nil
}

// markCertificate adds backend.ErrCertificateRejected to a connection error
// caused by the server's certificate, so the UI can point to the account's
// settings.
func markCertificate(err error) error {
	if errors.Is(err, transport.ErrUntrustedCertificate) || errors.Is(err, transport.ErrPinMismatch) {
		return fmt.Errorf("%w: %w", backend.ErrCertificateRejected, err)
	}
	return err
}

func submitAuth(acct localstore.Account) submit.Auth {
	a := submit.Auth{Username: acct.Username, Secret: acct.Secret.Value, OAuth2: acct.Secret.Kind == SecretOAuth2}
	if a.OAuth2 {
		a.Mechanisms = tokenMechanisms(acct.Secret.Mechanism)
	}
	return a
}

// login connects to acct's IMAP or SMTP server, logs in and logs out again.
func (cs *Connections) login(ctx context.Context, acct localstore.Account, proto string) (Connection, error) {
	if proto == autoconfig.ProtocolIMAP {
		c, info, err := cs.dialIMAP(ctx, acct, nil)
		if err != nil {
			return info, err
		}
		// The login succeeded, which is what this tests. The server may
		// close first after LOGOUT, so the errors of logging out and of our
		// own close (a failed close_notify) say nothing about the account.
		_ = c.Logout().Wait()
		_ = c.Close()
		return info, nil
	}
	var info Connection
	err := cs.withRenewal(ctx, acct, func(acct localstore.Account) error {
		var err error
		info, err = cs.smtpLogin(ctx, acct)
		return err
	})
	return info, err
}

// smtpLogin connects to acct's SMTP server, logs in and quits.
func (cs *Connections) smtpLogin(ctx context.Context, acct localstore.Account) (Connection, error) {
	conn, auth, info, err := cs.dialSMTP(ctx, acct)
	if err != nil {
		return info, err
	}
	if err := submit.CheckLogin(ctx, conn, heloName, auth); err != nil {
		return info, fmt.Errorf("SMTP login to %s as %s: %w", acct.SMTP.Host, acct.Username, markLoginRejected(err))
	}
	return info, nil
}

// discoverer is the autoconfiguration used when an account's servers are
// not given: DNS SRV, autoconfig files and Thunderbird's ISPDB over HTTPS,
// the MX provider's entry, and guesses confirmed by a verified TLS
// connection (no credential is sent while probing).
func (cs *Connections) discoverer(opts *AccountOptions) *autoconfig.Discoverer {
	if opts != nil && opts.Discoverer != nil {
		return opts.Discoverer
	}
	probe := func(ctx context.Context, protocol string, s autoconfig.Server) error {
		pol := transport.Policy{RootCAs: cs.rootCAs, Dialer: cs.dialer, DialTimeout: 10 * time.Second}
		var conn net.Conn
		var err error
		if protocol == autoconfig.ProtocolIMAP {
			conn, _, err = transport.DialIMAP(ctx, s.Host, s.Port, transport.Security(s.Security), pol)
		} else {
			conn, _, err = transport.DialSMTP(ctx, s.Host, s.Port, transport.Security(s.Security), pol, heloName)
		}
		if err != nil {
			return err
		}
		return conn.Close()
	}
	return &autoconfig.Discoverer{Resolver: net.DefaultResolver, HTTPClient: &http.Client{Timeout: 20 * time.Second}, Probe: probe}
}
