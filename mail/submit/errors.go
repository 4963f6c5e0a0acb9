package submit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/emersion/go-smtp"
)

// Sentinel errors that callers branch on with errors.Is.
var (
	// ErrNotTLS means the connection is not protected by TLS 1.2 or newer.
	// Nothing was sent on it: no command and no credential.
	ErrNotTLS = errors.New("the connection to the submission server is not encrypted with TLS, so nothing was sent; check the account's SMTP security setting")
	// ErrAuthFailed means the server rejected the credentials. It wraps the
	// server's *SMTPError when there is one.
	ErrAuthFailed = errors.New("the submission server rejected the user name or password (or token); check the account's credentials")
	// ErrNoAuthMechanism means the server offers no authentication mechanism
	// that Sealpost supports for the account's kind of credential.
	ErrNoAuthMechanism = errors.New("the submission server offers no supported way to log in (PLAIN or LOGIN for passwords, OAUTHBEARER or XOAUTH2 for tokens)")
	// ErrUncertain means the connection broke after the message data was
	// sent and before the server answered, or Sealpost stopped at that
	// point: the server may have accepted the message. It is not retried
	// automatically, so that it is never sent twice without the user's say.
	ErrUncertain = errors.New("the connection ended while the server was receiving the message, so it may have been sent: check with a recipient or the Sent folder, then retry or discard it")
	// ErrBccHeader means the data handed to Submit still has a Bcc header;
	// PrepareForSubmission removes it.
	ErrBccHeader = errors.New("the message still has a Bcc header, which would reveal the blind copies: prepare it with PrepareForSubmission")
	// ErrNoRecipients means the message names no recipient in To, Cc or Bcc.
	ErrNoRecipients = errors.New("the message has no recipients: add an address to To, Cc or Bcc")
	// ErrNoSender means the message has no usable From (or Sender) address.
	ErrNoSender = errors.New("the message has no single sender address in From or Sender")
	// ErrNoMessageID means the message has no Message-ID header, which the
	// audit trail identifies sent mail by.
	ErrNoMessageID = errors.New("the message has no Message-ID header")
	// ErrMalformed means the message header cannot be parsed.
	ErrMalformed = errors.New("the message header is malformed")
	// ErrHeld means the outbox item waits for the user (after a permanent
	// error or an uncertain outcome): retry or discard it.
	ErrHeld = errors.New("the message is held after an error: retry or discard it")
	// ErrBusy means the outbox item is being sent right now.
	ErrBusy = errors.New("the message is being sent right now: wait for the result")
)

// Stage is the step of a submission at which the server answered with an
// error.
type Stage string

// The stages of a submission, in order.
const (
	StageHello Stage = "EHLO"
	StageAuth  Stage = "AUTH"
	StageMail  Stage = "MAIL FROM"
	StageRcpt  Stage = "RCPT TO"
	StageData  Stage = "DATA"
)

// SMTPError is an error reply of the submission server.
type SMTPError struct {
	// Stage is the command the server refused.
	Stage Stage
	// Code is the three-digit reply code.
	Code int
	// Enhanced is the RFC 3463 enhanced status code, zero if the server sent none.
	Enhanced smtp.EnhancedCode
	// Message is the server's text.
	Message string
	// Temporary is true for a 4xx reply: the same submission may succeed
	// later. A 5xx reply is permanent.
	Temporary bool
}

// Error returns the server's reply in the words of the protocol, which is
// what a user needs to take it to their provider.
func (e *SMTPError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "the submission server refused %s with %d", e.Stage, e.Code)
	if e.Enhanced != (smtp.EnhancedCode{}) && e.Enhanced != smtp.NoEnhancedCode {
		fmt.Fprintf(&b, " %d.%d.%d", e.Enhanced[0], e.Enhanced[1], e.Enhanced[2])
	}
	if e.Message != "" {
		b.WriteString(" ")
		b.WriteString(strings.ReplaceAll(e.Message, "\n", " "))
	}
	if e.Temporary {
		b.WriteString(" (temporary)")
	}
	return b.String()
}

// RefusedRecipient is one recipient the server refused at RCPT TO.
type RefusedRecipient struct {
	Address string
	Err     *SMTPError
}

// RecipientsError means the server refused one or more recipients. The
// whole submission is abandoned before DATA, so that no recipient gets a
// message that silently did not reach the others. Its text names the
// addresses: show it to the user, do not log it.
type RecipientsError struct {
	Refused  []RefusedRecipient
	Accepted int // recipients the server accepted
}

// Error lists the refused recipients with the server's reason for each.
func (e *RecipientsError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "the submission server refused %d of %d recipients, so the message was not sent to anyone:",
		len(e.Refused), len(e.Refused)+e.Accepted)
	for i, r := range e.Refused {
		if i > 0 {
			b.WriteString(";")
		}
		fmt.Fprintf(&b, " %s (%d", r.Address, r.Err.Code)
		if r.Err.Enhanced != (smtp.EnhancedCode{}) && r.Err.Enhanced != smtp.NoEnhancedCode {
			fmt.Fprintf(&b, " %d.%d.%d", r.Err.Enhanced[0], r.Err.Enhanced[1], r.Err.Enhanced[2])
		}
		if r.Err.Message != "" {
			b.WriteString(" " + strings.ReplaceAll(r.Err.Message, "\n", " "))
		}
		b.WriteString(")")
	}
	return b.String()
}

// Temporary reports whether every refusal was temporary (4xx). One
// permanent refusal makes the error permanent: retrying would fail again
// until the user corrects the address.
func (e *RecipientsError) Temporary() bool {
	for _, r := range e.Refused {
		if !r.Err.Temporary {
			return false
		}
	}
	return true
}

// Unwrap returns the server's reply for each refused recipient.
func (e *RecipientsError) Unwrap() []error {
	errs := make([]error, len(e.Refused))
	for i, r := range e.Refused {
		errs[i] = r.Err
	}
	return errs
}

// IsTemporary reports whether a submission that failed with err may
// succeed if repeated unchanged: 4xx replies, network failures and
// timeouts. Everything else (5xx replies, refused credentials, a connection
// without TLS, an untrusted certificate, an uncertain outcome) needs the
// user first.
func IsTemporary(err error) bool {
	if err == nil || errors.Is(err, ErrUncertain) {
		return false
	}
	if re, ok := errors.AsType[*RecipientsError](err); ok {
		return re.Temporary()
	}
	if se, ok := errors.AsType[*SMTPError](err); ok {
		return se.Temporary
	}
	if errors.Is(err, ErrNotTLS) || errors.Is(err, ErrAuthFailed) || errors.Is(err, ErrNoAuthMechanism) {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) {
		return true
	}
	_, isNet := errors.AsType[net.Error](err)
	return isNet
}

// fromServer converts go-smtp's error for a reply into an *SMTPError at
// stage; other errors (network, protocol) are returned wrapped with the
// stage.
func fromServer(stage Stage, err error) error {
	if se, ok := errors.AsType[*smtp.SMTPError](err); ok {
		return smtpError(stage, se)
	}
	return fmt.Errorf("%s: %w", stage, err)
}

func smtpError(stage Stage, se *smtp.SMTPError) *SMTPError {
	return &SMTPError{
		Stage:     stage,
		Code:      se.Code,
		Enhanced:  se.EnhancedCode,
		Message:   se.Message,
		Temporary: se.Code >= 400 && se.Code < 500,
	}
}
