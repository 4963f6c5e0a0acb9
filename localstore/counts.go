package localstore

import (
	"encoding/json"
	"fmt"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// CountUnread returns how many summaries of the folder lack the \Seen flag,
// and how many there are. It opens every summary, so it costs about as much
// as listing the folder; the app calls it off its UI goroutine.
func (r Messages) CountUnread(account, folder string) (unread, total int, err error) {
	err = r.s.view(func(tx *bolt.Tx) error {
		path := r.path(account, folder, subSummaries)
		b, err := bucketAt(tx, false, path)
		if err != nil || b == nil {
			return err
		}
		ad := make([]byte, 0, 160)
		var pt []byte
		defer func() { clear(pt) }()
		var flags struct{ Flags []string }
		return b.ForEach(func(k, v []byte) error {
			ad = appendAD(ad[:0], path, k)
			if pt, err = r.s.keys.openTo(pt[:0], v, ad); err != nil {
				return err
			}
			flags.Flags = flags.Flags[:0]
			if err := json.Unmarshal(pt, &flags); err != nil {
				return fmt.Errorf("%w: decode summary: %w", ErrCorrupt, err)
			}
			total++
			if !hasSeen(flags.Flags) {
				unread++
			}
			return nil
		})
	})
	if err != nil {
		return 0, 0, fmt.Errorf("count unread messages: %w", err)
	}
	return unread, total, nil
}

func hasSeen(flags []string) bool {
	for _, f := range flags {
		if strings.EqualFold(f, `\Seen`) {
			return true
		}
	}
	return false
}
