package mail

import (
	"context"
	"fmt"
	"log"
	"strings"
	"sync"
	"time"

	"github.com/sealpost/sealpost/crypto/verdict"
	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail/imapsync"
	"github.com/sealpost/sealpost/mail/travel"
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
	// without a search record (see Index.Update) are indexed
	// after the sync: with done 0 and the total first, then after each
	// batch. New mail is indexed as it is stored, without it.
	IndexProgress func(done, total int)
}

// Syncer keeps the local copy of the accounts' mail up to date: each sync
// replays queued actions, lists folders and fetches messages through
// imapsync, has each batch indexed for search as it is stored, and then
// uploads drafts and learns the Autocrypt state of new mail.
type Syncer struct {
	store       *localstore.Store
	accounts    *Accounts
	connections *Connections
	settings    *Settings
	index       *Index
	drafts      *Drafts
	// resolver looks up DKIM keys for every sync and check of the
	// profile, so its cache and its pause after DNS failures outlive one
	// sync.
	resolver *travel.Resolver
	// checks makes again, in the background, the DKIM checks of messages
	// that could not be made when they were stored (see transit.go).
	checks *travelChecks
	// updateTransports stores travel records: the store's
	// UpdateTransports (tests replace it to make it fail).
	updateTransports func(account, folder string, ups []localstore.TransportUpdate) (int, error)
	// checked, if set, is called after a background check changed a
	// message's record (the Engine publishes EventMessageChecked).
	checked func(account, folder string, uid uint32)
	// logf logs what failed in the background, redacted: log.Printf.
	logf func(format string, args ...any)
	now  func() time.Time
}

// newSyncer makes the Syncer of profile p, looking DKIM keys up with
// lookup.
func newSyncer(p *Profile, lookup travel.LookupTXT, now func() time.Time) *Syncer {
	sy := &Syncer{store: p.store, accounts: p.accounts, connections: p.connections, settings: p.settings,
		index: p.index, drafts: p.drafts, resolver: travel.NewResolver(lookup),
		updateTransports: p.store.Messages().UpdateTransports, logf: log.Printf, now: now}
	sy.checks = newTravelChecks(sy)
	return sy
}

// Sync brings the local copy of the requested accounts and folders up to
// date: queued local actions first, then the folder list, then messages,
// each batch indexed for search as it is stored (in the same transaction).
// New INBOX mail updates its senders' Autocrypt state. Last, messages left
// without a search record by anything else (a message opened before its
// body was stored, a change of the own keys) are indexed.
func (sy *Syncer) Sync(ctx context.Context, req SyncRequest) error {
	accts, err := sy.accounts.selected(req.Account)
	if err != nil {
		return err
	}
	for _, acct := range accts {
		if err := sy.syncAccount(ctx, acct, req); err != nil {
			return fmt.Errorf("%s: %w", acct.Email, err)
		}
	}
	return nil
}

func (sy *Syncer) syncAccount(ctx context.Context, acct localstore.Account, req SyncRequest) error {
	var arrived newMail
	opts, err := sy.options(acct, req, &arrived)
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
	if err := sy.finish(ctx, acct.Email, &arrived, req.Warn); err != nil {
		return err
	}
	return sy.index.update(ctx, acct.Email, "", req.IndexProgress)
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

// finish does what follows a sync of account: drafts saved offline are
// uploaded, the DKIM checks that the sync left for later (see examiner)
// start in the background, and what new INBOX mail taught about its
// senders' Autocrypt state (collected in arrived while the sync indexed it)
// is stored.
func (sy *Syncer) finish(ctx context.Context, account string, arrived *newMail, warn func(string)) error {
	sy.drafts.uploadForSync(ctx, account, warn)
	sy.checks.add(arrived.takeUnchecked()...)
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
	// unchecked are the new messages whose DKIM keys the sync had no
	// time to look up (see examiner): they are checked after it.
	unchecked []travelCheck
}

// leftUnchecked notes messages whose DKIM checks are to be made after the
// sync.
func (n *newMail) leftUnchecked(c ...travelCheck) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.unchecked = append(n.unchecked, c...)
}

// takeUnchecked returns the messages noted by leftUnchecked and forgets
// them; nil for a nil newMail.
func (n *newMail) takeUnchecked() []travelCheck {
	if n == nil {
		return nil
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	c := n.unchecked
	n.unchecked = nil
	return c
}

// observe applies the Autocrypt header of the message raw and the gossip
// found inside it to the state kept in keys.
func (n *newMail) observe(keys *Keyring, raw []byte, gossip []string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.batch == nil {
		n.batch = keys.newPeerBatch()
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

// open returns an imapsync.Syncer for acct, for work outside a sync
// (fetching one message, queueing actions).
func (sy *Syncer) open(acct localstore.Account, headersOnly bool, progress func(imapsync.Progress)) (*imapsync.Syncer, error) {
	opts, err := sy.options(acct, SyncRequest{HeadersOnly: headersOnly, Progress: progress}, nil)
	if err != nil {
		return nil, err
	}
	return imapsync.New(opts)
}

// syncOptions are the options of the account's Syncer for req, with the
// size cap of the profile's settings. The Syncer indexes new mail as it
// stores it; what new INBOX mail teaches about Autocrypt state is
// collected in arrived (if set) for finish.
func (sy *Syncer) options(acct localstore.Account, req SyncRequest, arrived *newMail) (imapsync.Options, error) {
	settings, err := sy.settings.Get()
	if err != nil {
		return imapsync.Options{}, err
	}
	return imapsync.Options{
		Account: acct.Email, Store: sy.store, Connect: sy.connections.imapConnector(acct),
		HeadersOnly: req.HeadersOnly, Progress: req.Progress, MaxRawSize: int64(settings.MaxMessageMB) << 20,
		Index: sy.index.indexNew(acct.Email, arrived), BatchBytes: syncBatchBytes,
		Examine: sy.examiner(acct, arrived),
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

func hasFlag(flags []string, want string) bool {
	for _, f := range flags {
		if strings.EqualFold(f, want) {
			return true
		}
	}
	return false
}
