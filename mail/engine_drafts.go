package mail

import (
	"context"
	"fmt"

	"github.com/sealpost/sealpost/mail/backend"
)

// SaveDraft saves d sealed on this computer, then uploads it to the
// account's Drafts folder within ctx. When the upload fails the draft is
// kept, its id is returned and the error wraps backend.ErrDraftNotUploaded.
// The local save does not depend on ctx: a done context (the app locking or
// quitting) still keeps the draft and only skips the upload.
func (e *Engine) SaveDraft(ctx context.Context, account, id string, d backend.Draft, mode string) (saved string, err error) {
	err = e.with(context.WithoutCancel(ctx), func(p *Profile) error {
		if saved, err = p.Drafts().Save(account, id, d, mode); err != nil {
			return err
		}
		if err := p.drafts.upload(ctx, account, saved); err != nil {
			return fmt.Errorf("%w: %w", backend.ErrDraftNotUploaded, err)
		}
		return nil
	})
	return saved, err
}

// Drafts lists the drafts of account (every account when empty), newest
// first, without attachment data.
func (e *Engine) Drafts(ctx context.Context, account string) (out []backend.SavedDraft, err error) {
	err = e.with(ctx, func(p *Profile) (err error) {
		out, err = p.Drafts().List(account)
		return err
	})
	return out, err
}

// OpenDraft returns one draft with its attachments.
func (e *Engine) OpenDraft(ctx context.Context, account, id string) (d backend.SavedDraft, err error) {
	err = e.with(ctx, func(p *Profile) (err error) {
		d, err = p.Drafts().Open(account, id)
		return err
	})
	return d, err
}

// DeleteDraft deletes a draft here at once and its server copy within ctx;
// when the server copy stays, the error wraps backend.ErrDraftCopyKept.
func (e *Engine) DeleteDraft(ctx context.Context, account, id string) error {
	return e.with(ctx, func(p *Profile) error { return p.Drafts().Delete(ctx, account, id) })
}

// The engine keeps drafts.
var _ backend.Drafts = (*Engine)(nil)
