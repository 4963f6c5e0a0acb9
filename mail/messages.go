package mail

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail/backend"
	"github.com/sealpost/sealpost/mail/imapsync"
)

// Messages is the local copy of the accounts' mail: the synchronised
// folders, the message lists, whole messages (fetched from the server when
// only the list entry is stored), and the actions on messages (read, flag,
// move, delete), which change the copy at once and are queued for the
// server.
type Messages struct {
	store    *localstore.Store
	accounts *Accounts
	syncer   *Syncer
	settings *Settings
}

// FolderInfo describes one synchronised folder.
type FolderInfo struct {
	Name, SpecialUse string
	Messages         int
}

// Folders lists the synchronised folders of account, INBOX first, then by
// name.
func (ms *Messages) Folders(account string) ([]FolderInfo, error) {
	acct, err := ms.accounts.get(account)
	if err != nil {
		return nil, err
	}
	folders, err := ms.store.Folders().List(acct.Email)
	if err != nil {
		return nil, err
	}
	out := make([]FolderInfo, 0, len(folders))
	for _, f := range folders {
		n, err := ms.store.Messages().CountSummaries(acct.Email, f.Name)
		if err != nil {
			return nil, err
		}
		out = append(out, FolderInfo{Name: f.Name, SpecialUse: f.SpecialUse, Messages: n})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if (out[i].Name == inbox) != (out[j].Name == inbox) {
			return out[i].Name == inbox
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

// List returns the newest limit messages of folder (INBOX when
// empty) in account (the only account when empty), newest first.
func (ms *Messages) List(account, folder string, limit int) ([]backend.MessageSummary, error) {
	accts, err := ms.accounts.selected(account)
	if err != nil {
		return nil, err
	}
	if len(accts) > 1 {
		return nil, ErrSeveralAccounts
	}
	if folder == "" {
		folder = inbox
	}
	acct := accts[0].Email
	if _, err := ms.store.Folders().Get(acct, folder); errors.Is(err, localstore.ErrNotFound) {
		return nil, fmt.Errorf("folder %q of %s is %w", folder, acct, ErrFolderNotSynced)
	} else if err != nil {
		return nil, err
	}
	sums, err := ms.store.Messages().Newest(acct, folder, limit)
	if err != nil {
		return nil, err
	}
	out := make([]backend.MessageSummary, len(sums))
	for i, s := range sums {
		out[i] = summaryOf(acct, folder, s)
	}
	return out, nil
}

// fetchTimeout bounds fetching one message that is not stored offline.
const fetchTimeout = 2 * time.Minute

// ErrNotOffline means a message is stored only as a list entry (a
// headers-only sync, or larger than the size cap) and could not be fetched
// from the server now.
var ErrNotOffline = errors.New("only the list entry of this message is stored on this computer")

// ErrSeveralAccounts means a request that works on one account named none
// while the profile has several.
var ErrSeveralAccounts = errors.New("there are several accounts: choose one")

// ErrFolderNotSynced means a folder has no local copy yet: a sync makes it.
var ErrFolderNotSynced = errors.New("not synchronised")

// Raw returns the full message. One stored only as a list entry is
// fetched from the server, within ctx and fetchTimeout, and then stored
// too, with how it travelled as far as that is known without waiting on
// the DNS (see Syncer.recordFetched); when
// that fails the error wraps ErrNotOffline and says why the message was not
// kept offline.
func (ms *Messages) Raw(ctx context.Context, account, folder string, uid uint32) ([]byte, error) {
	account = strings.ToLower(account)
	raw, err := ms.store.Messages().Raw(account, folder, uid)
	if !errors.Is(err, localstore.ErrNotFound) {
		return raw, err
	}
	sum, serr := ms.store.Messages().Summary(account, folder, uid)
	if serr != nil || !sum.RawOmitted {
		return nil, err
	}
	acct, err := ms.accounts.get(account)
	if err != nil {
		return nil, err
	}
	s, err := ms.syncer.open(acct, false, nil)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	raw, over, err := s.FetchRaw(ctx, folder, uid)
	if err != nil {
		return nil, fmt.Errorf("%w (%s) and fetching it from the server failed: %w", ErrNotOffline, ms.whyNotOffline(sum), err)
	}
	ms.syncer.recordFetched(acct, folder, uid, over, raw)
	return raw, nil
}

// Travel returns how message uid travelled, as recorded when it was
// stored (or checked again since); nil when nothing was recorded.
// Summaries leave it out: decoding it for every row would slow down long
// lists that do not show it.
func (ms *Messages) Travel(account, folder string, uid uint32) (*backend.Travel, error) {
	sum, err := ms.store.Messages().Summary(strings.ToLower(account), folder, uid)
	if err != nil {
		return nil, err
	}
	return travelOf(sum.Transport), nil
}

// whyNotOffline says why a message was stored as a list entry only.
func (ms *Messages) whyNotOffline(sum localstore.Summary) string {
	capMB := int64(imapsync.DefaultMaxRawSize >> 20)
	if s, err := ms.settings.Get(); err == nil && s.MaxMessageMB > 0 {
		capMB = int64(s.MaxMessageMB)
	}
	if int64(sum.Size) > capMB<<20 {
		return fmt.Sprintf("at %.1f MB it is over the %d MB size cap for offline messages in Settings, Sync", float64(sum.Size)/(1<<20), capMB)
	}
	return "mail was synchronised without whole messages"
}
