package backend

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Setup is what the UI asks of an engine that can also set things up:
// accounts and own keys. It is optional: the UI offers these actions only
// when its Backend implements Setup too. Calls may block on the network or
// on key generation, so the UI makes them off its own goroutine.
type Setup interface {
	// AddAccount finds the missing server settings, logs in to both
	// servers over verified TLS and stores the account. A certificate that
	// does not verify fails with a *CertificateError, one for each server
	// whose certificate fails (joined; see FindAll); the user may then
	// retry with those named in NewAccount.Trust.
	AddAccount(ctx context.Context, a NewAccount) (AddedAccount, error)
	// GenerateKey creates an own key for name and email with algorithm
	// (an Algorithm constant).
	GenerateKey(ctx context.Context, name, email, algorithm string) (KeyInfo, error)
	// ExportPublicKey returns the armored public key with fingerprint.
	ExportPublicKey(ctx context.Context, fingerprint string) (string, error)
	// BackupSecretKey returns the own secret key with fingerprint,
	// armored and protected with passphrase.
	BackupSecretKey(ctx context.Context, fingerprint string, passphrase []byte) (string, error)
	// RevokeKey revokes an own key for reason and returns the armored
	// revoked public key to send to contacts.
	RevokeKey(ctx context.Context, fingerprint, reason string) (string, error)
	// LookupKeys asks the network for address's keys without importing
	// them, and says where they were found.
	LookupKeys(ctx context.Context, address string) (KeyLookup, error)
	// ImportLookedUpKeys looks address up again and imports the keys found,
	// as unverified contact keys, if they are exactly the fingerprints the
	// user confirmed; otherwise it fails with ErrLookupChanged and imports
	// nothing.
	ImportLookedUpKeys(ctx context.Context, address string, fingerprints []string) ([]KeyInfo, error)
	// ImportSecretKey imports the user's own secret key (armored or
	// binary), unlocking it with passphrase when it is protected.
	ImportSecretKey(ctx context.Context, data, passphrase []byte) ([]KeyInfo, error)
}

// ErrLookupChanged means a key lookup returned other keys than the ones the
// user confirmed.
var ErrLookupChanged = errors.New("the keys found changed since you looked them up")

// Key algorithms the user can choose for a new key.
const (
	// AlgorithmCurve25519 is Ed25519 for signing with an X25519
	// encryption subkey: small, fast, and the default.
	AlgorithmCurve25519 = "curve25519"
	// AlgorithmRSA4096 is RSA-4096, for correspondents whose software
	// cannot use Curve25519 keys.
	AlgorithmRSA4096 = "rsa4096"
)

// Connection security of a mail server. There is deliberately no plaintext
// choice.
const (
	// SecurityTLS is implicit TLS (IMAP 993, submission 465).
	SecurityTLS = "tls"
	// SecurityStartTLS is STARTTLS, which the server must offer (IMAP 143,
	// submission 587).
	SecurityStartTLS = "starttls"
)

// ServerSettings is where one protocol of an account is reached. An empty
// Host means "find it from the address"; a zero Port or empty Security
// follows from the other.
type ServerSettings struct {
	Host     string
	Port     int
	Security string
}

// String writes the server as host:port (security).
func (s ServerSettings) String() string { return fmt.Sprintf("%s:%d (%s)", s.Host, s.Port, s.Security) }

// NewAccount is what the user gives to add an account.
type NewAccount struct {
	Email, Name string
	Password    []byte
	IMAP, SMTP  ServerSettings
	// Trust are the certificates the user chose to trust although they do
	// not verify, each for exactly its server.
	Trust []TrustedCert
	// SwitchToPassword, when an account that signs in with a provider is
	// updated, makes Password its credential from now on, after the test
	// logins, and drops the sign-in's tokens; without it a password for
	// such an account fails with ErrSignedInAccount.
	SwitchToPassword bool
	// ProviderDomain, when an account is updated and it is not nil, sets
	// AccountDetails.ProviderDomain ("" goes back to the default); a
	// change of it alone needs no network.
	ProviderDomain *string
}

// AddedAccount says how an account was set up and how each test login was
// secured.
type AddedAccount struct {
	Email      string
	IMAP, SMTP ServerSettings
	// Discovery says where the settings came from ("manual", "srv",
	// "autoconfig", "ispdb", "mx-ispdb", "mx-autoconfig", "guess" or a
	// combination).
	Discovery string
	// DiscoveryDetail says the same in words for people, naming the DNS
	// record, file or ISPDB entry; empty for settings given by hand.
	DiscoveryDetail string
	Notes           []string
	// Tested holds the IMAP connection, then the SMTP connection.
	Tested []Transport
}

// CertificateError is a server certificate that does not verify, with what
// the user needs to decide whether to trust it. Nothing was sent to the
// server.
type CertificateError struct {
	Host string
	Port int
	// SHA256 is the hex SHA-256 of the certificate: the value to trust.
	SHA256          string
	Subject, Issuer string
	NotBefore       time.Time
	NotAfter        time.Time
	// Changed is true when the host already has a pinned certificate and
	// this one differs: possibly an attack, never offered for trust here.
	Changed bool
	// Reason is why normal verification failed.
	Reason string
}

// Error names the server, the reason and the fingerprint.
func (e *CertificateError) Error() string {
	what := "the certificate of %s:%d does not verify (%s): SHA-256 %s"
	if e.Changed {
		what = "the certificate of %s:%d changed since it was trusted (%s): SHA-256 %s"
	}
	return fmt.Sprintf(what, e.Host, e.Port, e.Reason, e.SHA256)
}

// KeyLookup is what a network key lookup found.
type KeyLookup struct {
	// Source names where the keys came from (the domain's Web Key
	// Directory or a keyserver).
	Source string
	Keys   []KeyInfo
}

// SignInProvider is an OAuth2 provider the user can sign in with.
type SignInProvider struct {
	// ID names the provider ("google", "microsoft", "yahoo", "aol", or an
	// organisation's own).
	ID, Name string
	// Ready is true when the application's client ID for the provider is
	// set; sign-in needs it.
	Ready bool
	// Help says where an organisation registers the application to get a
	// client ID.
	Help string
}

// SignIn is what a backend may offer to sign accounts in with an OAuth2
// provider (Gmail, Microsoft 365, Yahoo, AOL) instead of a password. It
// is optional. The sign-in runs in the system browser: the backend calls
// open with the provider's page and waits until the browser comes back, or
// ctx ends. Calls block, so the UI makes them off its own goroutine.
type SignIn interface {
	// SignInProviders lists the providers and says which one hosts email
	// ("" for none known, or when email is empty).
	SignInProviders(ctx context.Context, email string) (providers []SignInProvider, suggested string, err error)
	// AddAccountWithSignIn signs a.Email in with provider, then adds the
	// account as AddAccount does, with the tokens sealed in the profile
	// instead of a password (a.Password is not used).
	AddAccountWithSignIn(ctx context.Context, a NewAccount, provider string, open func(url string) error) (AddedAccount, error)
	// SignInAgain signs the account with address email in again with its
	// provider, after ErrSignInAgain, and restarts its connection.
	SignInAgain(ctx context.Context, email string, open func(url string) error) error
	// SetSignInClient stores the application's client ID (and client
	// secret, for providers that issue one) for provider; an empty ID
	// removes it, an empty secret keeps the stored one.
	SetSignInClient(ctx context.Context, provider, clientID, clientSecret string) error
}
