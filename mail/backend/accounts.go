package backend

import (
	"context"
	"errors"
	"time"
)

// AccountSettings is what a backend may offer beyond Setup to change and
// remove accounts. It is optional: the settings window offers Edit,
// Re-authenticate and Remove only when the backend implements it. Calls may
// block on the network, so the UI makes them off its own goroutine.
type AccountSettings interface {
	// AccountDetails returns how the account with address email is set
	// up. It never returns the password.
	AccountDetails(ctx context.Context, email string) (AccountDetails, error)
	// UpdateAccount changes the account with address a.Email: its display
	// name (a.Name, which may be empty), its servers (a server with an
	// empty Host stays as it is) and its password (empty keeps it). When
	// a server or the password changes it first logs in to both servers
	// over verified TLS, exactly as AddAccount does (a certificate that
	// does not verify fails with a *CertificateError; a.TrustCert pins
	// it), and a failed test changes nothing. A name change alone needs
	// no network.
	UpdateAccount(ctx context.Context, a NewAccount) (AddedAccount, error)
	// RemoveAccount deletes the account with address email from this
	// computer: its settings and password, its local copy of mail, its
	// search index and drafts. Nothing is deleted on the server, and own
	// keys stay. While the outbox holds unsent mail of the account it
	// fails with ErrAccountHasOutbox and removes nothing.
	RemoveAccount(ctx context.Context, email string) error
}

// ErrAccountHasOutbox means an account cannot be removed yet because
// messages from it wait in the outbox: send or discard them first.
var ErrAccountHasOutbox = errors.New("unsent messages of this account wait in the outbox")

// AccountDetails is how an account is set up, without its password.
type AccountDetails struct {
	Email, Name string
	// Username is the login name.
	Username   string
	IMAP, SMTP ServerSettings
	// Pins are the certificates the user chose to trust for the
	// account's servers.
	Pins []PinnedCert
	// SignIn names the provider the account signs in with (OAuth2) instead
	// of a password; empty for a password.
	SignIn string
	// ProviderDomain is the domain whose servers' Received and
	// Authentication-Results headers count as the provider's in how
	// incoming mail travelled; ProviderDomainDefault says it is the
	// default (from the IMAP host), not one the user set.
	ProviderDomain        string
	ProviderDomainDefault bool
}

// PinnedCert is a certificate the user trusted for one host and port.
type PinnedCert struct {
	Host     string
	Port     int
	SHA256   string
	PinnedAt time.Time
}
