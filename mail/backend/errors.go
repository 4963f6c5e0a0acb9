package backend

import (
	"errors"
	"fmt"
)

// Errors a backend returns when a mail server refuses a login for a reason
// other than the password: the UI tells them apart from ErrLoginRejected,
// because asking for the password again would not help.
var (
	// ErrServerUnavailable means the server is up but said it cannot serve
	// the account right now (IMAP's UNAVAILABLE response code, RFC 5530,
	// or a temporary SMTP failure): trying again later is the fix.
	ErrServerUnavailable = errors.New("the mail server is temporarily unavailable")
	// ErrReferral means the server said that the account lives on another
	// server (IMAP's REFERRAL response code, RFC 2221). A *ReferralError
	// names that server. Sealpost never follows a referral by itself: the
	// password would go to a host the user did not choose.
	ErrReferral = errors.New("the mail server refers this account to another server")
)

// ReferralError is a login that the server answered with a referral to
// another server. It wraps ErrReferral.
type ReferralError struct {
	// Server is the host that refused the login.
	Server string
	// Host and Port are the server it refers to; Port is 0 when the
	// referral names none.
	Host string
	Port int
}

// Error names both servers.
func (e *ReferralError) Error() string {
	to := e.Host
	if to == "" {
		to = "an unnamed server"
	} else if e.Port != 0 {
		to = fmt.Sprintf("%s:%d", e.Host, e.Port)
	}
	return fmt.Sprintf("the mail server %s refers this account to %s", e.Server, to)
}

// Unwrap makes errors.Is(err, ErrReferral) hold.
func (e *ReferralError) Unwrap() error { return ErrReferral }

// TrustedCert is one certificate the user chose to trust for exactly one
// server, after seeing its fingerprint.
type TrustedCert struct {
	Host string
	Port int
	// SHA256 is the hex SHA-256 fingerprint of the certificate.
	SHA256 string
}

// FindAll returns every error of type T in err's tree, depth first, in
// order; errors.As returns only the first. The UI uses it to ask about all
// the servers of an account at once (an account setup reports its IMAP and
// its SMTP certificate together, joined with errors.Join).
func FindAll[T error](err error) []T {
	var found []T
	var walk func(error)
	walk = func(err error) {
		if err == nil {
			return
		}
		// The tree is walked by hand, node by node, so a match is not
		// looked for below another match.
		if t, ok := any(err).(T); ok {
			found = append(found, t)
			return
		}
		switch e := any(err).(type) {
		case interface{ Unwrap() []error }:
			for _, inner := range e.Unwrap() {
				walk(inner)
			}
		case interface{ Unwrap() error }:
			walk(e.Unwrap())
		}
	}
	walk(err)
	return found
}

// ErrSignInAgain means the provider an account signs in with no longer
// accepts its saved sign-in (revoked, expired, or the password changed):
// only signing in again in the browser helps. The UI offers "Sign in
// again" for it.
var ErrSignInAgain = errors.New("the account's sign-in with its provider has expired or was revoked: sign in again")

// ErrSignedInAccount means a password was given for an account that signs
// in with a provider: it has no password to replace. Signing in again
// renews the sign-in; switching the account to a password is a separate,
// explicit step.
var ErrSignedInAccount = errors.New("the account signs in with its provider and has no password to replace: sign in again instead, or switch the account to a password explicitly")
