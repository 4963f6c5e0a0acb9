package mail

import (
	"context"
	"fmt"

	"github.com/sealpost/sealpost/mail/backend"
)

// SaveDraft saves d sealed on this computer, then uploads it to the
// account's Drafts folder within ctx. When the upload fails the draft is
// kept, its id is returned and the error wraps backend.ErrDraftNotUploaded.
func (e *Engine) SaveDraft(ctx context.Context, account, id string, d backend.Draft, mode string) (saved string, err error) {
	err = e.with(func(p *Profile) error {
		draft := Draft{To: d.To, Cc: d.Cc, Bcc: d.Bcc, Subject: d.Subject, Body: d.Body, InReplyTo: d.InReplyTo, References: d.References}
		for _, a := range d.Attachments {
			draft.Attachments = append(draft.Attachments, Attachment{Filename: a.Filename, ContentType: a.ContentType, Data: a.Data})
		}
		if saved, err = p.SaveDraft(account, id, draft, mode); err != nil {
			return err
		}
		if err := p.syncDrafts(ctx, account, saved); err != nil {
			return fmt.Errorf("%w: %w", backend.ErrDraftNotUploaded, err)
		}
		return nil
	})
	return saved, err
}

// Drafts lists the drafts of account (every account when empty), newest
// first, without attachment data.
func (e *Engine) Drafts(account string) (out []backend.SavedDraft, err error) {
	err = e.with(func(p *Profile) error {
		list, err := p.Drafts(account)
		for _, d := range list {
			out = append(out, backendDraft(d))
		}
		return err
	})
	return out, err
}

// OpenDraft returns one draft with its attachments.
func (e *Engine) OpenDraft(account, id string) (d backend.SavedDraft, err error) {
	err = e.with(func(p *Profile) error {
		saved, err := p.OpenDraft(account, id)
		d = backendDraft(saved)
		return err
	})
	return d, err
}

// DeleteDraft deletes a draft here at once and its server copy within ctx;
// when the server copy stays, the error wraps backend.ErrDraftCopyKept.
func (e *Engine) DeleteDraft(ctx context.Context, account, id string) error {
	return e.with(func(p *Profile) error { return p.DeleteDraft(ctx, account, id) })
}

func backendDraft(s SavedDraft) backend.SavedDraft {
	d := s.Draft
	out := backend.SavedDraft{ID: s.ID, Account: s.Account, Mode: s.Mode, Saved: s.Saved, Uploaded: s.Uploaded,
		Draft: backend.Draft{To: d.To, Cc: d.Cc, Bcc: d.Bcc, Subject: d.Subject, Body: d.Body, InReplyTo: d.InReplyTo, References: d.References}}
	for _, a := range d.Attachments {
		out.Draft.Attachments = append(out.Draft.Attachments, backend.Attachment{Filename: a.Filename, ContentType: a.ContentType, Size: len(a.Data), Data: a.Data})
	}
	return out
}

// The engine keeps drafts.
var _ backend.Drafts = (*Engine)(nil)
