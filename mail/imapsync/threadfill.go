package imapsync

import (
	"fmt"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/sealpost/sealpost/localstore"
)

// threadsSection is the In-Reply-To and References header lines, fetched
// for messages stored before summaries carried them.
var threadsSection = &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader,
	HeaderFields: []string{"In-Reply-To", "References"}, Peek: true}

// threadFillBatch is how many stored messages one FETCH of
// fillThreadHeaders asks for.
const threadFillBatch = 2000

// fillThreadHeaders fetches In-Reply-To and References of the folder's
// stored messages, which the folder has selected on c, and stores those a
// message has; once per folder (localstore.Folder.ThreadHeaders), for mail
// stored before the sync fetched them with every new message.
func (s *Syncer) fillThreadHeaders(c *imapclient.Client, folder string) error {
	msgs := s.opts.Store.Messages()
	uids, err := msgs.UIDs(s.opts.Account, folder)
	if err != nil {
		return err
	}
	for len(uids) > 0 {
		n := min(len(uids), threadFillBatch)
		set := make([]imap.UID, n)
		for i, u := range uids[:n] {
			set[i] = imap.UID(u)
		}
		uids = uids[n:]
		list, err := c.Fetch(uidSet(set), &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{threadsSection}}).Collect()
		if err != nil {
			return fmt.Errorf("fetch the thread headers of stored messages: %w", err)
		}
		heads := make(map[uint32]localstore.ThreadHeaders, len(list))
		for _, m := range list {
			if h := threadHeadersOf(m.FindBodySection(threadsSection)); h.InReplyTo != "" || len(h.References) > 0 {
				heads[uint32(m.UID)] = h
			}
		}
		if err := msgs.SetThreadHeaders(s.opts.Account, folder, heads); err != nil {
			return err
		}
	}
	return nil
}
