package backend

import (
	"context"
	"errors"
	"time"
)

// Outbox is what a backend may offer beyond Backend to show and manage the
// messages waiting in the sealed outbox. It is optional: without it the
// main window has no Outbox button.
type Outbox interface {
	// Outbox lists the waiting messages, oldest first.
	Outbox(ctx context.Context) ([]OutboxItem, error)
	// RetryOutbox submits the message id now, whatever its state: a held
	// message is released, and an OutboxUncertain one is sent again,
	// which may deliver it twice (ask the user first). A message in state
	// OutboxSent only gets its copy saved in Sent.
	RetryOutbox(ctx context.Context, id string) error
	// DiscardOutbox deletes the message id from this computer without
	// sending it; the audit trail records that.
	DiscardOutbox(ctx context.Context, id string) error
}

// ErrKeptInOutbox wraps a failed Send whose message was sealed in the
// outbox first: it waits there to be retried or discarded, and sending it
// again from the composer would queue a second copy.
var ErrKeptInOutbox = errors.New("the message is kept in the outbox")

// ErrNotInOutbox means the outbox no longer holds the message: it was sent
// or discarded meanwhile.
var ErrNotInOutbox = errors.New("the message is no longer in the outbox: it was sent or discarded meanwhile")

// States of an outbox message.
const (
	// OutboxWaiting: not sent yet; the next sync after NextTry (at once
	// when NextTry is zero) tries again.
	OutboxWaiting = "waiting"
	// OutboxHeld: the server refused it for good (or the login failed);
	// only the user retries or discards it.
	OutboxHeld = "held"
	// OutboxUncertain: the connection ended while the server was
	// receiving it, so it may have been delivered. It is never sent again
	// without the user: a retry may deliver it twice.
	OutboxUncertain = "uncertain"
	// OutboxSending: it is being submitted right now, or Sealpost stopped
	// while submitting it (then the next attempt finds it uncertain).
	OutboxSending = "sending"
	// OutboxSent: the server accepted it; only saving its copy in the
	// Sent folder is still to be done (retried with the next sync).
	OutboxSent = "sent"
)

// OutboxItem is one message in the outbox, described from what is known
// without decrypting anything.
type OutboxItem struct {
	ID, Account string
	// To are the envelope recipients: To, Cc and Bcc.
	To []string
	// Subject is the subject as it travels: "[...]" when header
	// protection hides the real one inside the encrypted part.
	Subject string
	// Queued is when the message entered the outbox.
	Queued time.Time
	// Attempts counts the failed attempts in a row; LastError says why
	// the last one failed.
	Attempts  int
	LastError string
	// State is one of the Outbox state constants.
	State string
	// NextTry is when an OutboxWaiting or OutboxSent message is due
	// again; zero means at once.
	NextTry time.Time
}
