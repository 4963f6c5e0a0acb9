package backend

import (
	"context"
	"errors"
	"time"
)

// Errors of Drafts that the UI branches on. Both mean that the local part
// of the request succeeded.
var (
	// ErrDraftNotUploaded means a draft was saved on this computer but not
	// in the account's Drafts folder; the next sync uploads it.
	ErrDraftNotUploaded = errors.New("saved on this computer; it goes to the Drafts folder with the next sync")
	// ErrDraftCopyKept means a draft was deleted on this computer but its
	// copy in the Drafts folder could not be removed yet; the next sync
	// removes it.
	ErrDraftCopyKept = errors.New("deleted on this computer; its copy in the Drafts folder is removed with the next sync")
)

// Drafts is what a backend may offer beyond Backend to keep drafts: sealed
// on this computer, and in the account's Drafts folder encrypted to the
// account's own key only. It is optional: without it the composer has no
// Save draft and no drafts window.
type Drafts interface {
	// SaveDraft stores d (a new draft when id is empty) with the chosen
	// security mode (a Mode constant; a password is never stored) and
	// uploads it within ctx. It returns the draft's id, also when the
	// upload failed: the error then wraps ErrDraftNotUploaded.
	SaveDraft(ctx context.Context, account, id string, d Draft, mode string) (string, error)
	// Drafts lists the saved drafts of account (every account when
	// empty), newest first, without attachment data.
	Drafts(ctx context.Context, account string) ([]SavedDraft, error)
	// OpenDraft returns one saved draft with its attachments.
	OpenDraft(ctx context.Context, account, id string) (SavedDraft, error)
	// DeleteDraft deletes a draft on this computer at once and removes its
	// copy from the Drafts folder within ctx; when that fails, the error
	// wraps ErrDraftCopyKept.
	DeleteDraft(ctx context.Context, account, id string) error
}

// SavedDraft is a draft as it is kept.
type SavedDraft struct {
	ID, Account string
	Draft       Draft
	// Mode is the security mode chosen when it was saved.
	Mode string
	// Saved is when it was last saved.
	Saved time.Time
	// Uploaded is true when its latest version is in the Drafts folder.
	Uploaded bool
}
