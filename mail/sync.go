package mail

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/sealpost/sealpost/crypto/verdict"
	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail/backend"
	"github.com/sealpost/sealpost/mail/imapsync"
)

// SyncRequest says what to synchronise.
type SyncRequest struct {
	// Account limits the sync to one account; empty means all.
	Account string
	// Folder limits the sync to one folder; empty means every folder.
	Folder string
	// HeadersOnly stores summaries without the full messages.
	HeadersOnly bool
	// Progress, if set, receives progress from the sync's goroutines; it
	// must return quickly.
	Progress func(imapsync.Progress)
	// Warn, if set, receives warnings meant for the user, such as a sender
	// whose key changed (learnt from the Autocrypt header of new mail).
	Warn func(string)
	// IndexProgress, if set, is called while messages stored earlier
	// without a search record (see Profile.UpdateSearchIndex) are indexed
	// after the sync: with done 0 and the total first, then after each
	// batch. New mail is indexed as it is stored, without it.
	IndexProgress func(done, total int)
}

// Sync brings the local copy of the requested accounts and folders up to
// date: queued local actions first, then the folder list, then messages,
// each batch indexed for search as it is stored (in the same transaction).
// New INBOX mail updates its senders' Autocrypt state. Last, messages left
// without a search record by anything else (a message opened before its
// body was stored, a change of the own keys) are indexed.
func (p *Profile) Sync(ctx context.Context, req SyncRequest) error {
	accts, err := p.selectAccounts(req.Account)
	if err != nil {
		return err
	}
	for _, acct := range accts {
		if err := p.syncAccount(ctx, acct, req); err != nil {
			return fmt.Errorf("%s: %w", acct.Email, err)
		}
	}
	return nil
}

func (p *Profile) syncAccount(ctx context.Context, acct localstore.Account, req SyncRequest) error {
	var arrived newMail
	opts, err := p.syncOptions(acct, req, &arrived)
	if err != nil {
		return err
	}
	syncer, err := imapsync.New(opts)
	if err != nil {
		return err
	}
	defer syncer.Close()
	if err := runSyncRequest(ctx, syncer, req.Folder); err != nil {
		return err
	}
	if err := p.finishSync(ctx, acct.Email, &arrived, req.Warn); err != nil {
		return err
	}
	return p.updateIndex(ctx, acct.Email, "", req.IndexProgress)
}

// runSyncRequest runs one sync on syncer: every folder when folder is
// empty, else that folder (after the queued actions and the folder list).
func runSyncRequest(ctx context.Context, syncer *imapsync.Syncer, folder string) error {
	if folder == "" {
		return syncer.SyncAll(ctx)
	}
	if _, err := syncer.ReplayActions(ctx); err != nil {
		return err
	}
	if _, err := syncer.SyncFolders(ctx); err != nil {
		return err
	}
	return syncer.SyncFolder(ctx, folder)
}

// finishSync does what follows a sync of account: drafts saved offline are
// uploaded, and what new INBOX mail taught about its senders' Autocrypt
// state (collected in arrived while the sync indexed it) is stored.
func (p *Profile) finishSync(ctx context.Context, account string, arrived *newMail, warn func(string)) error {
	p.uploadDraftsForSync(ctx, account, warn)
	return arrived.flush(warn)
}

// inbox is the one folder name IMAP fixes.
const inbox = "INBOX"

// newMail is what new INBOX mail teaches about its senders' and, through
// gossip, its other recipients' Autocrypt state, learnt while the sync
// indexes each batch (see indexNew) and kept until flush: the state of each
// peer seen, not the messages, so it stays small however much mail
// arrives. The zero value is ready to use.
type newMail struct {
	mu       sync.Mutex
	batch    *peerBatch // nil until the first observation
	warnings []string
}

// observe applies the Autocrypt header of the message raw (of profile p)
// and the gossip found inside it.
func (n *newMail) observe(p *Profile, raw []byte, gossip []string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.batch == nil {
		n.batch = p.newPeerBatch()
	}
	updates, err := n.batch.observeMessage(raw, gossip)
	if err != nil {
		return // a message we cannot read teaches nothing; it stays listed
	}
	for _, u := range updates {
		if u.Warning != "" {
			n.warnings = append(n.warnings, u.Warning)
		}
	}
}

// flush stores what was learnt, in one transaction, reports the warnings
// to warn (if set), and starts over.
func (n *newMail) flush(warn func(string)) error {
	n.mu.Lock()
	batch, warnings := n.batch, n.warnings
	n.batch, n.warnings = nil, nil
	n.mu.Unlock()
	if warn != nil {
		for _, w := range warnings {
			warn(w)
		}
	}
	if batch == nil {
		return nil
	}
	return batch.flush()
}

// protectedOf returns the real Subject and From of message uid that its
// verdict v found under header protection. ok is false unless the message
// decrypted with integrity protection: only then may a list show them.
func protectedOf(uid uint32, v Verdict) (ph localstore.ProtectedHeaders, ok bool) {
	hp := v.HeaderProtection == verdict.HeaderProtectionRFC9788 || v.HeaderProtection == verdict.HeaderProtectionLegacy
	if !hp || !v.Encrypted || !v.IntegrityProtected {
		return ph, false
	}
	return localstore.ProtectedHeaders{UID: uid, Subject: v.Subject, From: v.From}, true
}

func (p *Profile) syncer(acct localstore.Account, headersOnly bool, progress func(imapsync.Progress)) (*imapsync.Syncer, error) {
	opts, err := p.syncOptions(acct, SyncRequest{HeadersOnly: headersOnly, Progress: progress}, nil)
	if err != nil {
		return nil, err
	}
	return imapsync.New(opts)
}

// syncOptions are the options of the account's Syncer for req, with the
// size cap of the profile's settings. The Syncer indexes new mail as it
// stores it; what new INBOX mail teaches about Autocrypt state is
// collected in arrived (if set) for finishSync.
func (p *Profile) syncOptions(acct localstore.Account, req SyncRequest, arrived *newMail) (imapsync.Options, error) {
	settings, err := p.Settings()
	if err != nil {
		return imapsync.Options{}, err
	}
	return imapsync.Options{
		Account: acct.Email, Store: p.store, Connect: p.imapConnector(acct),
		HeadersOnly: req.HeadersOnly, Progress: req.Progress, MaxRawSize: int64(settings.MaxMessageMB) << 20,
		Index: p.indexNew(acct.Email, arrived), BatchBytes: syncBatchBytes,
	}, nil
}

// syncBatchBytes bounds the raw bytes of one batch of new messages. Up to
// imapsync.DefaultInFlight+3 batches are in memory at once (fetched,
// waiting, being indexed, being written, and the sealed copy bbolt holds
// until the commit), so with the garbage collector's headroom this sets the
// sync's peak memory: 8 MiB keeps a sync of realistic mail under 200 MB
// (docs/performance.md), at about 40 KB per message still 200 messages per
// transaction.
const syncBatchBytes = 8 << 20

func (p *Profile) selectAccounts(email string) ([]localstore.Account, error) {
	if email != "" {
		acct, err := p.account(email)
		if err != nil {
			return nil, err
		}
		return []localstore.Account{acct}, nil
	}
	accts, err := p.store.Accounts().List()
	if err != nil {
		return nil, err
	}
	if len(accts) == 0 {
		return nil, ErrNoAccounts
	}
	return accts, nil
}

func hasFlag(flags []string, want string) bool {
	for _, f := range flags {
		if strings.EqualFold(f, want) {
			return true
		}
	}
	return false
}

// ListMessages returns the newest limit messages of folder (INBOX when
// empty) in account (the only account when empty), newest first.
func (p *Profile) ListMessages(account, folder string, limit int) ([]backend.MessageSummary, error) {
	accts, err := p.selectAccounts(account)
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
	if _, err := p.store.Folders().Get(acct, folder); errors.Is(err, localstore.ErrNotFound) {
		return nil, fmt.Errorf("folder %q of %s is %w", folder, acct, ErrFolderNotSynced)
	} else if err != nil {
		return nil, err
	}
	sums, err := p.store.Messages().Newest(acct, folder, limit)
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

// RawMessage returns the full message. One stored only as a list entry is
// fetched from the server, within fetchTimeout, and then stored too; when
// that fails the error wraps ErrNotOffline and says why the message was not
// kept offline.
func (p *Profile) RawMessage(account, folder string, uid uint32) ([]byte, error) {
	account = strings.ToLower(account)
	raw, err := p.store.Messages().Raw(account, folder, uid)
	if !errors.Is(err, localstore.ErrNotFound) {
		return raw, err
	}
	sum, serr := p.store.Messages().Summary(account, folder, uid)
	if serr != nil || !sum.RawOmitted {
		return nil, err
	}
	acct, err := p.account(account)
	if err != nil {
		return nil, err
	}
	s, err := p.syncer(acct, false, nil)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), fetchTimeout)
	defer cancel()
	raw, err = s.FetchRaw(ctx, folder, uid)
	if err != nil {
		return nil, fmt.Errorf("%w (%s) and fetching it from the server failed: %w", ErrNotOffline, p.whyNotOffline(sum), err)
	}
	return raw, nil
}

// whyNotOffline says why a message was stored as a list entry only.
func (p *Profile) whyNotOffline(sum localstore.Summary) string {
	capMB := int64(imapsync.DefaultMaxRawSize >> 20)
	if s, err := p.Settings(); err == nil && s.MaxMessageMB > 0 {
		capMB = int64(s.MaxMessageMB)
	}
	if int64(sum.Size) > capMB<<20 {
		return fmt.Sprintf("at %.1f MB it is over the %d MB size cap for offline messages in Settings, Sync", float64(sum.Size)/(1<<20), capMB)
	}
	return "mail was synchronised without whole messages"
}
