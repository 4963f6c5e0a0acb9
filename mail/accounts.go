package mail

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"sort"
	"strings"
	"time"

	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail/autoconfig"
	"github.com/sealpost/sealpost/mail/backend"
	"github.com/sealpost/sealpost/mail/signin"
	"github.com/sealpost/sealpost/mail/transport"
)

// Secret kinds of an account.
const (
	SecretPassword = "password"
	SecretOAuth2   = "oauth2"
)

// Audit entry kinds for accounts and certificates.
const (
	AuditAccountAdded   = "account.added"
	AuditAccountRemoved = "account.removed"
	AuditAccountChanged = "account.changed"
	AuditCertPinned     = "cert.pinned"
)

var (
	// ErrAccountExists means an account with that address is already set up.
	ErrAccountExists = errors.New("an account with this address already exists")
	// ErrNoAccount means no account matches the address given.
	ErrNoAccount = errors.New("no such account")
	// ErrNoAccounts means the profile has no account yet.
	ErrNoAccounts = errors.New("no accounts yet: add one first")
	// ErrAccountHasOutbox means an account cannot be removed while its
	// unsent messages wait in the outbox; it is backend.ErrAccountHasOutbox.
	ErrAccountHasOutbox = backend.ErrAccountHasOutbox
	// ErrSignedInAccount means a password was given for an account that
	// signs in with a provider without AccountChange.SwitchToPassword; it
	// is backend.ErrSignedInAccount.
	ErrSignedInAccount = backend.ErrSignedInAccount
	// ErrTrustCertUnused means --trust-cert named a certificate that no
	// server of the account presented.
	ErrTrustCertUnused = errors.New("the certificate to trust was not presented by the account's servers")
)

// Server is where one protocol of an account is reached: host, port and
// security ("tls" or "starttls").
type Server = backend.ServerSettings

// AccountSettings is what the user gives to set up an account. Missing
// servers are found by autoconfiguration.
type AccountSettings struct {
	Email, Name, Username string
	IMAP, SMTP            Server
	SecretKind            string // SecretPassword (default) or SecretOAuth2
	Secret                []byte
	// SignIn, instead of Secret, is a sign-in with an OAuth2 provider
	// (SignIns.SignIn): its tokens are stored and kept fresh.
	SignIn *SignedIn
	// TrustCert is the SHA-256 fingerprint of a certificate the user decided
	// to trust although it does not verify (a self-signed server, say),
	// for whichever of the account's servers presents it.
	TrustCert string
	// TrustServers are certificates the user decided to trust, each for
	// exactly its host and port (the app's consent dialog names each).
	TrustServers []transport.Pin
	// ServerSavesSent means the provider files submitted mail in Sent
	// itself (Gmail does), so Sealpost does not APPEND a copy.
	ServerSavesSent bool
}

// Connection describes how one connection was secured.
type Connection struct {
	Server Server
	transport.ConnState
}

// AccountInfo describes a configured account; it never carries the secret.
// Its AccountDetails are what the app shows of an account.
type AccountInfo struct {
	backend.AccountDetails
	SecretKind      string
	ServerSavesSent bool
	// SignInProvider is the ID of the OAuth2 provider the account signs in
	// with; empty for a password or a pasted token.
	SignInProvider string
	// Tested holds the connections made while adding the account.
	Tested []Connection
	// Discovery says where the server settings came from: "manual" or
	// one of autoconfig's Source values ("srv", "autoconfig", "ispdb",
	// "mx-ispdb", "mx-autoconfig", "guess") or a combination.
	Discovery string
	// DiscoveryDetail says the same in words for people (autoconfig's
	// Settings.SourceDetail); empty for settings given by hand.
	DiscoveryDetail string
	Notes           []string
}

// AccountOptions tune how accounts are set up and reached.
type AccountOptions struct {
	// Discoverer finds servers from an address; nil means the default
	// (DNS SRV, autoconfig and ISPDB over HTTPS, the MX provider, probed
	// guesses).
	Discoverer *autoconfig.Discoverer
}

// Accounts are the profile's mail accounts: their settings and secrets,
// sealed in the store, set up and changed only after a test login to both
// servers over verified TLS.
type Accounts struct {
	store       *localstore.Store
	now         func() time.Time
	connections *Connections
	// settings name the organisation's own sign-in providers.
	settings *Settings
}

// Add checks the settings by logging in to both servers over
// verified TLS, then stores the account sealed. A certificate that does not
// verify fails with a *transport.CertificateError naming its fingerprint,
// unless settings.TrustCert is exactly that fingerprint: then it is pinned
// for that host and port, and the pin is recorded in the audit trail.
func (as *Accounts) Add(ctx context.Context, settings AccountSettings, opts *AccountOptions) (AccountInfo, error) {
	addr, err := mail.ParseAddress(settings.Email)
	if err != nil || addr.Name != "" {
		return AccountInfo{}, fmt.Errorf("%q is not an e-mail address", settings.Email)
	}
	email := strings.ToLower(addr.Address)
	if _, err := as.store.Accounts().Get(email); err == nil {
		return AccountInfo{}, fmt.Errorf("%s: %w", email, ErrAccountExists)
	} else if !errors.Is(err, localstore.ErrNotFound) {
		return AccountInfo{}, err
	}
	kind := settings.SecretKind
	if settings.SignIn != nil {
		if len(settings.Secret) > 0 {
			return AccountInfo{}, errors.New("an account signs in with a provider or has a password, not both")
		}
		kind = SecretOAuth2
	} else if len(settings.Secret) == 0 {
		return AccountInfo{}, errors.New("the account needs a password (or an OAuth2 token)")
	}
	if kind == "" {
		kind = SecretPassword
	}
	if kind != SecretPassword && kind != SecretOAuth2 {
		return AccountInfo{}, fmt.Errorf("unknown secret kind %q: use %s or %s", kind, SecretPassword, SecretOAuth2)
	}
	info := AccountInfo{
		AccountDetails: backend.AccountDetails{Email: email, Name: settings.Name, Username: settings.Username, IMAP: settings.IMAP, SMTP: settings.SMTP},
		SecretKind:     kind, Discovery: "manual", ServerSavesSent: settings.ServerSavesSent,
	}
	if info.IMAP.Host == "" || info.SMTP.Host == "" {
		if err := as.discover(ctx, &info, opts); err != nil {
			return AccountInfo{}, err
		}
	}
	for _, s := range []*Server{&info.IMAP, &info.SMTP} {
		if err := completeServer(s, s == &info.IMAP); err != nil {
			return AccountInfo{}, err
		}
	}
	if info.Username == "" {
		info.Username = email
	}
	trust, err := newCertTrust(settings.TrustCert, settings.TrustServers)
	if err != nil {
		return AccountInfo{}, err
	}
	acct := localstore.Account{
		Email: email, DisplayName: info.Name, Username: info.Username,
		IMAP:   localstore.ServerConfig{Host: info.IMAP.Host, Port: info.IMAP.Port, Security: info.IMAP.Security},
		SMTP:   localstore.ServerConfig{Host: info.SMTP.Host, Port: info.SMTP.Port, Security: info.SMTP.Security},
		Secret: localstore.Secret{Kind: kind, Value: string(settings.Secret)}, CreatedAt: as.now(),
		ServerSavesSent: settings.ServerSavesSent,
	}
	if settings.SignIn != nil {
		acct.Secret = settings.SignIn.secret(as.now())
		info.SignIn, info.SignInProvider = settings.SignIn.Provider.Name, acct.Secret.Provider
	}
	tested, notes, err := as.testLogins(ctx, &acct, trust)
	if err != nil {
		return AccountInfo{}, err
	}
	info.Tested, info.Pins = tested, pinsOf(acct.PinnedCerts)
	info.ProviderDomain, info.ProviderDomainDefault = providerDomain(acct), true
	notes = append(notes, auditNote(AuditAccountAdded, email, fmt.Sprintf("IMAP %s, SMTP %s", info.IMAP, info.SMTP)))
	if err := as.store.Accounts().Put(acct, notes...); err != nil {
		return AccountInfo{}, fmt.Errorf("store the account: %w", err)
	}
	return info, nil
}

// AccountChange says what to change of an account; zero fields keep what
// is stored.
type AccountChange struct {
	// Email names the account.
	Email string
	// Name is the new display name (empty clears it); nil keeps it.
	Name *string
	// IMAP and SMTP are new servers, completed as Add completes
	// them; an empty Host keeps the stored server.
	IMAP, SMTP Server
	// Secret is the new password (or OAuth2 token); empty keeps it. An
	// account signed in with a provider takes a password only with
	// SwitchToPassword, else Update fails with
	// backend.ErrSignedInAccount.
	Secret []byte
	// SwitchToPassword makes Secret the password of an account that signs
	// in with a provider: its tokens are dropped and it logs in with the
	// password from then on.
	SwitchToPassword bool
	// SignIn is a new sign-in with the account's provider, instead of
	// Secret.
	SignIn *SignedIn
	// TrustCert is the SHA-256 fingerprint of a certificate to trust, and
	// TrustServers certificates to trust each for its server, as for Add.
	TrustCert    string
	TrustServers []transport.Pin
	// ProviderDomain is the new provider domain for the transport
	// evidence of incoming mail (see backend.AccountDetails.ProviderDomain); empty
	// goes back to the default; nil keeps it.
	ProviderDomain *string
}

// Update changes an account. When a server, the secret or the
// certificate to trust changes, it first logs in to both servers over
// verified TLS as Add does, and a failed test changes nothing; a
// name change alone needs no network. Pins of servers the account no
// longer uses are dropped. The local copy of mail is kept even when the
// IMAP server changes: the next sync compares each folder's UIDVALIDITY and
// starts a folder over when it differs (queued actions on it are dropped
// the same way). The change is recorded in the audit trail. Nothing is
// stored when nothing changes.
func (as *Accounts) Update(ctx context.Context, ch AccountChange) (AccountInfo, error) {
	acct, err := as.get(ch.Email)
	if err != nil {
		return AccountInfo{}, err
	}
	next := acct
	var changes []string
	if ch.Name != nil && *ch.Name != acct.DisplayName {
		next.DisplayName = *ch.Name
		changes = append(changes, "display name changed")
	}
	if ch.ProviderDomain != nil {
		d, err := normProviderDomain(*ch.ProviderDomain)
		if err != nil {
			return AccountInfo{}, err
		}
		if d != acct.ProviderDomain {
			next.ProviderDomain = d
			changes = append(changes, "provider domain "+providerDomain(next)+" instead of "+providerDomain(acct))
		}
	}
	network := false
	for _, srv := range []struct {
		proto string
		in    Server
		cfg   *localstore.ServerConfig
	}{{"IMAP", ch.IMAP, &next.IMAP}, {"SMTP", ch.SMTP, &next.SMTP}} {
		if srv.in.Host == "" {
			if srv.in.Port != 0 || srv.in.Security != "" {
				return AccountInfo{}, fmt.Errorf("give the %s host too, or leave its port and security empty to keep the server", srv.proto)
			}
			continue
		}
		s := srv.in
		if err := completeServer(&s, srv.proto == "IMAP"); err != nil {
			return AccountInfo{}, fmt.Errorf("%s: %w", srv.proto, err)
		}
		cfg := localstore.ServerConfig{Host: s.Host, Port: s.Port, Security: s.Security}
		if cfg != *srv.cfg {
			changes = append(changes, fmt.Sprintf("%s %s instead of %s", srv.proto, s, serverFromConfig(*srv.cfg)))
			*srv.cfg, network = cfg, true
		}
	}
	switch {
	case ch.SignIn != nil && len(ch.Secret) > 0:
		return AccountInfo{}, errors.New("an account signs in with a provider or has a password, not both")
	case ch.SignIn != nil:
		next.Secret = ch.SignIn.secret(as.now())
		changes = append(changes, "signed in again with "+ch.SignIn.Provider.Name)
		network = true
	case len(ch.Secret) > 0 && acct.Secret.Provider != "" && !ch.SwitchToPassword:
		return AccountInfo{}, fmt.Errorf("%s: %w", acct.Email, backend.ErrSignedInAccount)
	case len(ch.Secret) > 0 && acct.Secret.Provider != "":
		next.Secret = localstore.Secret{Kind: SecretPassword, Value: string(ch.Secret), Obtained: as.now()}
		changes = append(changes, "switched from the sign-in with "+providerName(acct.Secret.Provider)+" to a password")
		network = true
	case len(ch.Secret) > 0:
		next.Secret.Value = string(ch.Secret)
		next.Secret.Refresh, next.Secret.Expiry, next.Secret.Provider, next.Secret.Mechanism = "", time.Time{}, "", ""
		changes = append(changes, "password replaced")
		network = true
	case ch.SwitchToPassword:
		return AccountInfo{}, errors.New("give the password to switch the account to")
	}
	trust, err := newCertTrust(ch.TrustCert, ch.TrustServers)
	if err != nil {
		return AccountInfo{}, err
	}
	if !trust.empty() {
		network = true
	}
	next.PinnedCerts = nil
	for _, pin := range acct.PinnedCerts {
		if usesServer(next, pin.Host, pin.Port) {
			next.PinnedCerts = append(next.PinnedCerts, pin)
		} else {
			changes = append(changes, fmt.Sprintf("pinned certificate of %s:%d dropped", pin.Host, pin.Port))
		}
	}
	info := as.info(next)
	info.Discovery = "manual"
	var notes []localstore.AuditNote
	if network {
		if info.Tested, notes, err = as.testLogins(ctx, &next, trust); err != nil {
			return AccountInfo{}, err
		}
		info.Pins = pinsOf(next.PinnedCerts)
	}
	if len(changes) == 0 && len(notes) == 0 {
		return info, nil
	}
	if len(changes) > 0 {
		notes = append(notes, auditNote(AuditAccountChanged, acct.Email, strings.Join(changes, "; ")))
	}
	if ch.SignIn == nil && len(ch.Secret) == 0 {
		// A login of the test may have renewed the stored token meanwhile
		// (and the provider rotated the refresh token): keep the stored one.
		if cur, err := as.store.Accounts().Get(acct.Email); err == nil && cur.Secret.Obtained.After(next.Secret.Obtained) {
			next.Secret = cur.Secret
		}
	}
	if err := as.store.Accounts().Put(next, notes...); err != nil {
		return AccountInfo{}, fmt.Errorf("store the account: %w", err)
	}
	if next.Secret.Kind != acct.Secret.Kind || next.Secret.Provider != acct.Secret.Provider {
		as.connections.tokens.forget(acct.Email)
	}
	return info, nil
}

// usesServer reports whether host:port is one of acct's servers.
func usesServer(acct localstore.Account, host string, port int) bool {
	for _, s := range []localstore.ServerConfig{acct.IMAP, acct.SMTP} {
		if strings.EqualFold(s.Host, host) && s.Port == port {
			return true
		}
	}
	return false
}

// serverFromConfig translates a stored server into the domain type.
func serverFromConfig(c localstore.ServerConfig) Server {
	return Server{Host: c.Host, Port: c.Port, Security: c.Security}
}

// List lists the configured accounts, sorted by address.
func (as *Accounts) List() ([]AccountInfo, error) {
	accts, err := as.store.Accounts().List()
	if err != nil {
		return nil, err
	}
	out := make([]AccountInfo, 0, len(accts))
	for _, a := range accts {
		out = append(out, as.info(a))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Email < out[j].Email })
	return out, nil
}

// Info describes the account with address email, or fails with
// ErrNoAccount.
func (as *Accounts) Info(email string) (AccountInfo, error) {
	acct, err := as.get(email)
	if err != nil {
		return AccountInfo{}, err
	}
	return as.info(acct), nil
}

// info is accountInfo with the name of an organisation's own sign-in
// provider as the settings give it (its ID if they cannot be read); the
// settings are read only for such an account.
func (as *Accounts) info(a localstore.Account) AccountInfo {
	info := accountInfo(a)
	id := a.Secret.Provider
	if id == "" || as.settings == nil {
		return info
	}
	if _, err := signin.Preset(id); err == nil {
		return info // accountInfo named it
	}
	if st, err := as.settings.Get(); err == nil {
		if p, _, err := resolveProvider(id, st); err == nil {
			info.SignIn = p.Name
		}
	}
	return info
}

// get returns the stored account for email, or ErrNoAccount.
func (as *Accounts) get(email string) (localstore.Account, error) {
	a, err := as.store.Accounts().Get(strings.ToLower(strings.TrimSpace(email)))
	if errors.Is(err, localstore.ErrNotFound) {
		return a, fmt.Errorf("%s: %w", email, ErrNoAccount)
	}
	return a, err
}

// accountInfo translates a stored account into an AccountInfo, without
// its secret: the one place that does.
func accountInfo(a localstore.Account) AccountInfo {
	return AccountInfo{
		AccountDetails: backend.AccountDetails{
			Email: a.Email, Name: a.DisplayName, Username: a.Username,
			IMAP: serverFromConfig(a.IMAP), SMTP: serverFromConfig(a.SMTP), Pins: pinsOf(a.PinnedCerts),
			SignIn: providerName(a.Secret.Provider), ProviderDomain: providerDomain(a), ProviderDomainDefault: a.ProviderDomain == "",
		},
		SecretKind: a.Secret.Kind, ServerSavesSent: a.ServerSavesSent, SignInProvider: a.Secret.Provider,
	}
}

// pinsOf translates stored certificate pins into the domain type.
func pinsOf(pins []localstore.PinnedCert) []backend.PinnedCert {
	var out []backend.PinnedCert
	for _, p := range pins {
		out = append(out, backend.PinnedCert{Host: p.Host, Port: p.Port, SHA256: p.SHA256, PinnedAt: p.PinnedAt})
	}
	return out
}

// discover fills the missing servers of info from autoconfiguration. The
// profile's NoProviderLookup setting turns off the ISPDB and MX lookups of
// any Discoverer.
func (as *Accounts) discover(ctx context.Context, info *AccountInfo, opts *AccountOptions) error {
	settings, err := as.store.GetSettings()
	if err != nil {
		return err
	}
	d := *as.connections.discoverer(opts)
	d.NoThirdParty = d.NoThirdParty || settings.NoProviderLookup
	found, err := d.Discover(ctx, info.Email)
	if err != nil {
		return fmt.Errorf("no server settings found for %s; enter the IMAP and SMTP servers yourself: %w", info.Email, err)
	}
	if !found.Confirmed {
		return fmt.Errorf("the servers found for %s (IMAP %s, SMTP %s) are outside its domain; check them with your provider and enter them yourself",
			info.Email, found.IMAP, found.SMTP)
	}
	if info.IMAP.Host == "" {
		info.IMAP = Server{Host: found.IMAP.Host, Port: found.IMAP.Port, Security: string(found.IMAP.Security)}
	}
	if info.SMTP.Host == "" {
		info.SMTP = Server{Host: found.SMTP.Host, Port: found.SMTP.Port, Security: string(found.SMTP.Security)}
	}
	if info.Username == "" {
		info.Username = found.Username
	}
	info.Discovery, info.DiscoveryDetail = found.Source, found.SourceDetail
	info.Notes = append(info.Notes, found.Notes...)
	return nil
}

// completeServer fills in the port and security from each other and refuses
// anything without TLS.
func completeServer(s *Server, imap bool) error {
	if s.Host == "" {
		return errors.New("a server host is missing")
	}
	if s.Security != "" {
		sec, err := transport.ParseSecurity(s.Security)
		if err != nil {
			return err
		}
		s.Security = string(sec)
	}
	switch {
	case s.Port == 0 && s.Security == string(transport.SecurityStartTLS) && imap:
		s.Port = 143
	case s.Port == 0 && s.Security == string(transport.SecurityStartTLS):
		s.Port = 587
	case s.Port == 0 && imap:
		s.Port = 993
	case s.Port == 0:
		s.Port = 465
	}
	if s.Security == "" {
		s.Security = string(transport.DefaultSecurity(s.Port))
	}
	return nil
}

// testLogins logs in to both of acct's servers, pinning in acct the
// certificates trust allows when a server presents them (see testLogin).
// It returns the connections and the audit notes of the pins made; trust
// that no server needed fails with ErrTrustCertUnused. A certificate that
// does not verify does not stop the test of the other server, so that the
// user is asked about both at once: the errors of all such certificates
// come back together (serverErrors).
func (as *Accounts) testLogins(ctx context.Context, acct *localstore.Account, trust certTrust) ([]Connection, []localstore.AuditNote, error) {
	var tested []Connection
	var notes []localstore.AuditNote
	var untrusted []error
	for _, proto := range []string{autoconfig.ProtocolIMAP, autoconfig.ProtocolSMTP} {
		conn, pinned, err := as.testLogin(ctx, acct, proto, trust)
		if untrustedCertificate(err) {
			untrusted = append(untrusted, err)
			continue
		}
		if err != nil {
			return nil, nil, joinServerErrors(append(untrusted, err))
		}
		tested = append(tested, conn)
		if pinned != nil {
			notes = append(notes, auditNote(AuditCertPinned, fmt.Sprintf("%s:%d", pinned.Host, pinned.Port),
				"certificate SHA-256 "+pinned.SHA256+" trusted by the user for "+proto))
		}
	}
	if len(untrusted) > 0 {
		return nil, nil, joinServerErrors(untrusted)
	}
	if !trust.empty() && len(notes) == 0 {
		return nil, nil, fmt.Errorf("%w (both servers have certificates that verify; nothing was pinned)", ErrTrustCertUnused)
	}
	return tested, notes, nil
}

// testLogin connects to one of acct's servers and logs in. When the server's
// certificate does not verify and trust allows it, it is pinned in acct and
// returned.
func (as *Accounts) testLogin(ctx context.Context, acct *localstore.Account, proto string, trust certTrust) (Connection, *localstore.PinnedCert, error) {
	conn, err := as.connections.login(ctx, *acct, proto)
	certErr, ok := trust.allows(err)
	if !ok {
		return conn, nil, err
	}
	pin := localstore.PinnedCert{Host: certErr.Host, Port: certErr.Port, SHA256: certErr.SHA256, PinnedAt: as.now()}
	acct.PinnedCerts = append(acct.PinnedCerts, pin)
	conn, err = as.connections.login(ctx, *acct, proto)
	return conn, &pin, err
}

// Remove deletes an account with its password, pinned certificates
// and local copy of mail (messages, search index, drafts); the server keeps
// the mail and own keys stay. Recorded in the audit trail. While messages of
// the account wait in the outbox it fails with ErrAccountHasOutbox, saying
// how many, and removes nothing.
func (as *Accounts) Remove(email string) error {
	acct, err := as.get(email)
	if err != nil {
		return err
	}
	err = as.store.Accounts().Delete(acct.Email, auditNote(AuditAccountRemoved, acct.Email, "account and its local mail removed"))
	if errors.Is(err, localstore.ErrOutboxNotEmpty) {
		return as.outboxBlocks(acct.Email)
	}
	if err == nil {
		as.connections.tokens.forget(acct.Email)
	}
	return err
}

// outboxBlocks is the error for an account that cannot go because of its
// unsent messages: how many and what to do.
func (as *Accounts) outboxBlocks(email string) error {
	items, err := as.store.Outbox().List()
	if err != nil {
		return err
	}
	n := 0
	for _, it := range items {
		if strings.EqualFold(it.Account, email) {
			n++
		}
	}
	what, it := "1 unsent message waits", "it"
	if n != 1 {
		what, it = fmt.Sprintf("%d unsent messages wait", n), "them"
	}
	return fmt.Errorf("%s: %s in the outbox, so nothing was removed; send %s or discard %s first: %w",
		email, what, it, it, ErrAccountHasOutbox)
}

// selected returns the stored account for email, or every account when
// email is empty (ErrNoAccounts when there is none).
func (as *Accounts) selected(email string) ([]localstore.Account, error) {
	if email != "" {
		acct, err := as.get(email)
		if err != nil {
			return nil, err
		}
		return []localstore.Account{acct}, nil
	}
	accts, err := as.store.Accounts().List()
	if err != nil {
		return nil, err
	}
	if len(accts) == 0 {
		return nil, ErrNoAccounts
	}
	return accts, nil
}
