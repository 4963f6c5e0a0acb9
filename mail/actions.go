package mail

import (
	"fmt"

	"github.com/sealpost/sealpost/mail/imapsync"
)

// Message actions change the local copy at once and queue the change for
// the server, which sees it on the account's next Sync (Syncer.Sync replays
// the queue before anything else). They need no connection, so they work
// offline and return without waiting for the network.

// MarkRead marks the messages uids of folder in account read, or unread
// when read is false.
func (ms *Messages) MarkRead(account, folder string, uids []uint32, read bool) error {
	return ms.withSyncer(account, func(s *imapsync.Syncer) error { return s.MarkRead(folder, uids, read) })
}

// SetFlagged flags the messages uids of folder in account, or unflags them
// when flagged is false.
func (ms *Messages) SetFlagged(account, folder string, uids []uint32, flagged bool) error {
	return ms.withSyncer(account, func(s *imapsync.Syncer) error { return s.SetFlagged(folder, uids, flagged) })
}

// Move moves the messages uids of folder in account to the folder dest,
// which must have been synchronised. They leave folder at once and show up
// in dest after the next Sync.
func (ms *Messages) Move(account, folder string, uids []uint32, dest string) error {
	return ms.withSyncer(account, func(s *imapsync.Syncer) error { return s.Move(folder, uids, dest) })
}

// Delete moves the messages uids of folder in account to the Trash, or,
// when folder is the Trash, deletes them for good. It fails with
// imapsync.ErrNoTrash when the account has no Trash folder.
func (ms *Messages) Delete(account, folder string, uids []uint32) error {
	return ms.withSyncer(account, func(s *imapsync.Syncer) error { return s.Delete(folder, uids) })
}

// withSyncer runs f with a syncer for account; f only touches the store.
func (ms *Messages) withSyncer(account string, f func(*imapsync.Syncer) error) error {
	acct, err := ms.accounts.get(account)
	if err != nil {
		return err
	}
	s, err := ms.syncer.open(acct, false, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", acct.Email, err)
	}
	defer s.Close()
	if err := f(s); err != nil {
		return fmt.Errorf("%s: %w", acct.Email, err)
	}
	return nil
}
