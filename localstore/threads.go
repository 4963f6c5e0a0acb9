package localstore

import (
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// ThreadHeaders are the threading headers of one message: Message-IDs
// without angle brackets.
type ThreadHeaders struct {
	InReplyTo  string
	References []string
}

// SetThreadHeaders fills in In-Reply-To and References of the stored
// summaries of the folder, in one transaction; absent UIDs are skipped.
func (r Messages) SetThreadHeaders(account, folder string, heads map[uint32]ThreadHeaders) error {
	if len(heads) == 0 {
		return nil
	}
	uids := make([]uint32, 0, len(heads))
	for uid := range heads {
		uids = append(uids, uid)
	}
	slices.Sort(uids)
	err := r.s.update(func(tx *bolt.Tx) error {
		return r.editSummariesIn(tx, account, folder, uids, func(m *Summary) bool {
			h := heads[m.UID]
			if m.InReplyTo == h.InReplyTo && slices.Equal(m.References, h.References) {
				return false
			}
			m.InReplyTo, m.References = h.InReplyTo, h.References
			return true
		})
	})
	if err != nil {
		return fmt.Errorf("store thread headers: %w", err)
	}
	return nil
}
