package backend

import "context"

// Actions is what a backend may offer beyond Backend to act on stored
// messages. It is optional: the UI checks for it with a type assertion and
// leaves the actions out when the backend cannot do them.
//
// MarkRead, SetFlagged, Move and Delete change the local copy at once and
// queue the change for the server, which receives it with the account's
// next Sync; they do not need a connection.
type Actions interface {
	// MarkRead marks messages read, or unread when read is false.
	MarkRead(ctx context.Context, account, folder string, uids []uint32, read bool) error
	// SetFlagged flags messages, or unflags them when flagged is false.
	SetFlagged(ctx context.Context, account, folder string, uids []uint32, flagged bool) error
	// Move moves messages to the synchronised folder dest.
	Move(ctx context.Context, account, folder string, uids []uint32, dest string) error
	// Delete moves messages to the Trash, or deletes them for good when
	// they are in the Trash already.
	Delete(ctx context.Context, account, folder string, uids []uint32) error
	// Forward prepares a new message carrying a stored message's text. Its
	// Security is ModeEncrypt when the original was encrypted: a forward
	// never leaves in the clear what arrived encrypted.
	Forward(ctx context.Context, account, folder string, uid uint32) (Reply, error)
}
