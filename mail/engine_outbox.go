package mail

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail/backend"
)

// Outbox lists the messages waiting in the outbox, oldest first. The
// subject is read from the outer header of the sealed message, which is
// what travels: "[...]" when header protection hides the real one. Nothing
// is decrypted.
func (e *Engine) Outbox(ctx context.Context) (out []backend.OutboxItem, err error) {
	err = e.with(ctx, func(p *Profile) (err error) { out, err = p.Outbox().Items(); return err })
	return out, err
}

// RetryOutbox submits the message id now: a held or uncertain message is
// released first (the caller asked the user), a sent one only gets its copy
// saved in Sent. A message no longer queued fails with
// backend.ErrNotInOutbox.
func (e *Engine) RetryOutbox(ctx context.Context, id string) error {
	return e.with(ctx, func(p *Profile) error { return notInOutbox(p.Outbox().Retry(ctx, id)) })
}

// DiscardOutbox deletes the message id from the outbox without sending it
// and records that in the audit trail. A message no longer queued fails
// with backend.ErrNotInOutbox.
func (e *Engine) DiscardOutbox(ctx context.Context, id string) error {
	return e.with(ctx, func(p *Profile) error { return notInOutbox(p.Outbox().Discard(id)) })
}

// flushOutbox sends what is due in the outbox after a sync. A failure is
// reported through progress as a warning, never as the sync's error: the
// messages stay queued with the reason recorded on each (Outbox lists
// them), which is all that remains of it when progress is nil.
func (e *Engine) flushOutbox(ctx context.Context, progress func(backend.SyncProgress)) {
	if ctx.Err() != nil {
		return // the sync was stopped (or the app locks): nothing new starts
	}
	// Once started, a submission is not cut off by the sync's cancellation
	// (a message cut off mid-transfer is left uncertain, and sending it
	// again may deliver it twice); it is bounded by flushTimeout instead.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), flushTimeout)
	defer cancel()
	var flushErr error
	waiting := -1 // unknown
	err := e.with(ctx, func(p *Profile) error {
		if flushErr = p.Outbox().Flush(ctx); flushErr == nil {
			return nil
		}
		if items, err := p.Outbox().List(); err == nil {
			waiting = len(items)
		}
		return nil
	})
	if flushErr == nil {
		flushErr = err
	}
	if flushErr == nil || progress == nil {
		return
	}
	progress(backend.SyncProgress{Warning: flushWarning(waiting, flushErr)})
}

// flushTimeout bounds the outbox flush after a sync.
const flushTimeout = 2 * time.Minute

// flushWarning says how many messages still wait (waiting < 0: unknown)
// and why sending failed, each distinct reason once, without the message
// IDs that Flush puts before each error: the Outbox window shows the
// messages themselves.
func flushWarning(waiting int, err error) string {
	var reasons []string
	for _, e := range leafErrors(err) {
		if r := e.Error(); !slices.Contains(reasons, r) {
			reasons = append(reasons, r)
		}
	}
	what := "messages still wait"
	switch {
	case waiting == 1:
		what = "1 message still waits"
	case waiting >= 0:
		what = fmt.Sprintf("%d messages still wait", waiting)
	}
	return fmt.Sprintf("Sending from the outbox did not finish: %s there (open Outbox to retry or discard). %s",
		what, strings.Join(reasons, "; "))
}

// leafErrors splits what Flush returns (errors.Join of "message ID: %w"
// errors) into the underlying errors.
func leafErrors(err error) []error {
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range joined.Unwrap() {
			out = append(out, leafErrors(e)...)
		}
		return out
	}
	if inner := errors.Unwrap(err); inner != nil && strings.HasPrefix(err.Error(), "message ") {
		return []error{inner}
	}
	return []error{err}
}

// notInOutbox maps the store's ErrNotFound to backend.ErrNotInOutbox.
func notInOutbox(err error) error {
	if errors.Is(err, localstore.ErrNotFound) {
		return fmt.Errorf("%w (%w)", backend.ErrNotInOutbox, err)
	}
	return err
}

// The engine offers the outbox.
var _ backend.Outbox = (*Engine)(nil)

// CheckDelivery tells how mail to domain will travel from the provider
// (see Delivery.Check). A locked profile gives a finding that is not
// checked.
func (e *Engine) CheckDelivery(ctx context.Context, domain string) backend.DeliveryFinding {
	var f backend.DeliveryFinding
	err := e.with(ctx, func(p *Profile) error {
		f = p.Delivery().Check(ctx, domain)
		return nil
	})
	if err != nil {
		return backend.DeliveryFinding{Domain: domain, Status: backend.DeliveryNotChecked, DANE: backend.DANENotChecked, Reason: "the profile is locked"}
	}
	return f
}

var _ backend.DeliveryChecker = (*Engine)(nil)
