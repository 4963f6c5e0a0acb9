package mail

import (
	"context"
	"fmt"

	"github.com/sealpost/sealpost/mail/backend"
)

// MarkRead marks stored messages read or unread; the server follows on the
// next sync.
func (e *Engine) MarkRead(ctx context.Context, account, folder string, uids []uint32, read bool) error {
	return e.queued(account, e.with(ctx, func(p *Profile) error { return p.Messages().MarkRead(account, folder, uids, read) }))
}

// SetFlagged flags or unflags stored messages; the server follows on the
// next sync.
func (e *Engine) SetFlagged(ctx context.Context, account, folder string, uids []uint32, flagged bool) error {
	return e.queued(account, e.with(ctx, func(p *Profile) error { return p.Messages().SetFlagged(account, folder, uids, flagged) }))
}

// Move moves stored messages to dest; the server follows on the next sync.
func (e *Engine) Move(ctx context.Context, account, folder string, uids []uint32, dest string) error {
	return e.queued(account, e.with(ctx, func(p *Profile) error { return p.Messages().Move(account, folder, uids, dest) }))
}

// Delete moves stored messages to the Trash (or deletes them from it); the
// server follows on the next sync.
func (e *Engine) Delete(ctx context.Context, account, folder string, uids []uint32) error {
	return e.queued(account, e.with(ctx, func(p *Profile) error { return p.Messages().Delete(account, folder, uids) }))
}

// queued asks the account's session to replay the action just queued
// (when err is nil) and returns err.
func (e *Engine) queued(account string, err error) error {
	if err == nil {
		e.kickReplay(account)
	}
	return err
}

// Forward prepares a forward of a stored message; an encrypted original
// gives an encrypted forward.
func (e *Engine) Forward(ctx context.Context, account, folder string, uid uint32) (f backend.Reply, err error) {
	err = e.with(ctx, func(p *Profile) error {
		raw, err := p.Messages().Raw(ctx, account, folder, uid)
		if err != nil {
			return fmt.Errorf("message %d of %s: %w", uid, folder, err)
		}
		if f, err = p.Composer().Forward(raw); err != nil {
			return fmt.Errorf("forward message %d of %s: %w", uid, folder, err)
		}
		return nil
	})
	return f, err
}

// The engine offers the message actions.
var _ backend.Actions = (*Engine)(nil)
