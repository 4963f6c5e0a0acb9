// Package submit sends finished messages to an account's submission server
// (SMTP, RFC 6409) and keeps them in the sealed outbox until the server has
// accepted them.
//
// Submit is one submission on one connection: it refuses a connection that
// is not TLS before sending a byte, authenticates (PLAIN, LOGIN, XOAUTH2 or
// OAUTHBEARER), and reports the server's refusals as typed errors.
// PrepareForSubmission removes Bcc from the header and builds the envelope.
// Outbox ties them to the store: a message is sealed in the store before
// the first attempt, its acceptance is recorded before anything else
// happens, and it is submitted at most once after the server accepted it.
package submit

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"

	"github.com/emersion/go-smtp"
)

// DefaultHeloName is the name Sealpost introduces itself with unless told
// otherwise. It is deliberately not the machine's host name, which would
// tell every server (and every recipient, through the Received header)
// more about the user.
const DefaultHeloName = "localhost"

// tlsConn is a connection that can prove it is TLS: *tls.Conn, and the
// connections mail/transport returns after STARTTLS.
type tlsConn interface {
	ConnectionState() tls.ConnectionState
}

// Submit sends data to the envelope's recipients over conn, which must be a
// TLS connection to the submission server on which nothing has been said
// yet (the server's greeting is still to be read). It greets the server as
// heloName (empty means DefaultHeloName), authenticates with auth, then
// sends MAIL FROM, one RCPT TO per recipient and DATA, and closes conn
// before it returns.
//
// data must already be prepared (see PrepareForSubmission): Submit fails
// with ErrBccHeader rather than reveal blind copies.
//
// Errors: ErrNotTLS (nothing was sent), ErrAuthFailed or ErrNoAuthMechanism,
// an *SMTPError for any other refusal, a *RecipientsError if the server
// refused any recipient (nothing is sent then: the transaction is abandoned
// before DATA), ErrUncertain if the connection ended after the data was
// sent but before the server's answer, and network errors otherwise. Use
// IsTemporary to decide whether to retry. Cancelling ctx closes conn.
func Submit(ctx context.Context, conn net.Conn, heloName string, auth Auth, env Envelope, data []byte) error {
	return submit(ctx, conn, heloName, auth, env, data, nil)
}

// CheckLogin greets the server on conn (as for Submit) and logs in with
// auth, then says goodbye and closes conn: account setup uses it to
// confirm the credentials without sending a message. Its errors are those
// of Submit up to AUTH.
func CheckLogin(ctx context.Context, conn net.Conn, heloName string, auth Auth) (err error) {
	defer conn.Close()
	if err := checkTLS(conn); err != nil {
		return err
	}
	defer closeOnCancel(ctx, conn, &err)()
	c, err := login(conn, heloName, auth)
	if err != nil {
		return err
	}
	_ = c.Quit() // logged in is what was asked; a failed QUIT changes nothing
	return nil
}

// submit is Submit with a hook that runs just before the DATA command; if
// the hook fails, the submission is abandoned with its error.
func submit(ctx context.Context, conn net.Conn, heloName string, auth Auth, env Envelope, data []byte, beforeData func() error) (err error) {
	defer conn.Close()
	if err := checkTLS(conn); err != nil {
		return err
	}
	if len(env.To) == 0 {
		return ErrNoRecipients
	}
	if hidden, err := hasHiddenField(data); err != nil {
		return err
	} else if hidden {
		return ErrBccHeader
	}
	defer closeOnCancel(ctx, conn, &err)()

	c, err := login(conn, heloName, auth)
	if err != nil {
		return err
	}
	var opts *smtp.MailOptions
	if !isASCII(env.From) || !allASCII(env.To) {
		opts = &smtp.MailOptions{UTF8: true}
	}
	if err := c.Mail(env.From, opts); err != nil {
		return fromServer(StageMail, err)
	}
	rcptErr := &RecipientsError{}
	for _, to := range env.To {
		err := c.Rcpt(to, nil)
		if se, ok := errors.AsType[*smtp.SMTPError](err); ok {
			rcptErr.Refused = append(rcptErr.Refused, RefusedRecipient{Address: to, Err: smtpError(StageRcpt, se)})
			continue
		}
		if err != nil {
			return fromServer(StageRcpt, err)
		}
		rcptErr.Accepted++
	}
	if len(rcptErr.Refused) > 0 {
		_ = c.Reset() // best effort: the connection is closed next anyway
		return rcptErr
	}

	if beforeData != nil {
		if err := beforeData(); err != nil {
			return err
		}
	}
	if err := sendData(c, data); err != nil {
		return err
	}
	_ = c.Quit() // the message is accepted; a failed QUIT changes nothing
	return nil
}

// closeOnCancel closes conn when ctx is done, which ends any blocked read
// or write. The returned function stops that and, if ctx ended the work,
// adds ctx's error to *errp.
func closeOnCancel(ctx context.Context, conn net.Conn, errp *error) func() {
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	return func() {
		if !stop() && *errp != nil {
			*errp = fmt.Errorf("%w (%w)", ctx.Err(), *errp)
		}
	}
}

// login greets the server and authenticates.
func login(conn net.Conn, heloName string, auth Auth) (*smtp.Client, error) {
	if heloName == "" {
		heloName = DefaultHeloName
	}
	c := smtp.NewClient(conn)
	if err := c.Hello(heloName); err != nil {
		return nil, fromServer(StageHello, err)
	}
	if err := authenticate(c, auth); err != nil {
		return nil, err
	}
	return c, nil
}

// sendData runs DATA. Once the terminating dot may have gone out, a
// failure without a reply from the server leaves the outcome unknown.
func sendData(c *smtp.Client, data []byte) error {
	w, err := c.Data()
	if err != nil {
		return fromServer(StageData, err)
	}
	// The server cannot accept the message before the terminating dot,
	// which only Close sends: a failed Write is an ordinary network error.
	if _, err := w.Write(data); err != nil {
		return fmt.Errorf("%s: %w", StageData, err)
	}
	if err := w.Close(); err != nil {
		if se, ok := errors.AsType[*smtp.SMTPError](err); ok {
			return smtpError(StageData, se)
		}
		return fmt.Errorf("%w: %w", ErrUncertain, err)
	}
	return nil
}

// authenticate logs in with the mechanism auth calls for.
func authenticate(c *smtp.Client, auth Auth) error {
	client, mech, err := auth.saslClient(c)
	if err != nil {
		return err
	}
	err = c.Auth(client)
	if err == nil {
		return nil
	}
	if se, ok := errors.AsType[*smtp.SMTPError](err); ok {
		e := smtpError(StageAuth, se)
		if se.Code == 535 || se.Code == 534 || se.Code == 454 || se.Code == 501 {
			return fmt.Errorf("%w (%s): %w", ErrAuthFailed, mech, e)
		}
		return e
	}
	if _, ok := errors.AsType[net.Error](err); ok {
		return fromServer(StageAuth, err)
	}
	// The mechanism itself gave up, e.g. OAUTHBEARER on the server's error challenge.
	return fmt.Errorf("%w (%s): %w", ErrAuthFailed, mech, err)
}

// checkTLS fails with ErrNotTLS unless conn completed a TLS 1.2+ handshake.
func checkTLS(conn net.Conn) error {
	tc, ok := conn.(tlsConn)
	if !ok {
		return fmt.Errorf("%w (a %T)", ErrNotTLS, conn)
	}
	cs := tc.ConnectionState()
	if !cs.HandshakeComplete {
		return fmt.Errorf("%w (the TLS handshake has not completed)", ErrNotTLS)
	}
	if cs.Version < tls.VersionTLS12 {
		return fmt.Errorf("%w (%s is too old)", ErrNotTLS, tls.VersionName(cs.Version))
	}
	return nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func allASCII(ss []string) bool {
	for _, s := range ss {
		if !isASCII(s) {
			return false
		}
	}
	return true
}
