package mail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/sealpost/sealpost/crypto/verdict"
	"github.com/sealpost/sealpost/localstore"
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
}

// Sync brings the local copy of the requested accounts and folders up to
// date: queued local actions first, then the folder list, then messages.
// New INBOX mail updates its senders' Autocrypt state.
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
	opts, err := p.syncOptions(acct, req)
	if err != nil {
		return err
	}
	opts.Stored = arrived.add
	syncer, err := imapsync.New(opts)
	if err != nil {
		return err
	}
	defer syncer.Close()
	if err := runSyncRequest(ctx, syncer, req.Folder); err != nil {
		return err
	}
	return p.finishSync(ctx, acct.Email, &arrived, req.Warn)
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
// uploaded, and the new INBOX mail collected in arrived teaches its senders'
// Autocrypt state.
func (p *Profile) finishSync(ctx context.Context, account string, arrived *newMail, warn func(string)) error {
	p.uploadDraftsForSync(ctx, account, warn)
	return p.observeNewMail(account, arrived.take(), warn)
}

// inbox is the one folder name IMAP fixes.
const inbox = "INBOX"

// newMail collects, while the sync stores them, what the Autocrypt pass
// needs of new INBOX messages: the header of each, and the whole message
// only when it is encrypted (gossip and protected headers are inside).
type newMail struct {
	mu    sync.Mutex
	items []arrival
}

type arrival struct {
	uid  uint32
	data []byte // the header section, or the whole message when encrypted
	enc  bool
}

// take returns what was collected so far and starts over.
func (n *newMail) take() []arrival {
	n.mu.Lock()
	defer n.mu.Unlock()
	items := n.items
	n.items = nil
	return items
}

// add is the sync's Stored callback; it copies what it keeps.
func (n *newMail) add(folder string, raws []localstore.RawMessage) {
	if folder != inbox {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, r := range raws {
		head := r.Raw[:headerEnd(r.Raw)]
		a := arrival{uid: r.UID, enc: looksEncrypted(head)}
		if a.enc {
			a.data = bytes.Clone(r.Raw)
		} else {
			a.data = bytes.Clone(head)
		}
		n.items = append(n.items, a)
	}
}

// observeNewMail learns from the Autocrypt headers of new INBOX messages
// (and, for encrypted ones, the gossip inside and the protected headers).
func (p *Profile) observeNewMail(account string, arrived []arrival, warn func(string)) error {
	var in *inspector // loaded on the first encrypted message
	defer func() {
		if in != nil {
			in.close()
		}
	}()
	batch := p.newPeerBatch()
	var protected []localstore.ProtectedHeaders
	for _, a := range arrived {
		// Gossip travels inside the encryption: decrypt to learn it.
		var gossip []string
		if a.enc {
			var err error
			if in == nil {
				if in, err = p.newInspector(); err != nil {
					return err
				}
			}
			if v, err := in.inspect(a.data); err == nil {
				gossip = v.Gossip
				if ph, ok := protectedOf(a.uid, v); ok {
					protected = append(protected, ph)
				}
			}
		}
		updates, err := batch.observeMessage(a.data, gossip)
		if err != nil {
			continue // a message we cannot read teaches nothing; it stays listed
		}
		for _, u := range updates {
			if u.Warning != "" && warn != nil {
				warn(u.Warning)
			}
		}
	}
	if err := p.store.Messages().ShowProtectedHeaders(account, inbox, protected); err != nil {
		return err
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
	opts, err := p.syncOptions(acct, SyncRequest{HeadersOnly: headersOnly, Progress: progress})
	if err != nil {
		return nil, err
	}
	return imapsync.New(opts)
}

// syncOptions are the options of the account's Syncer for req, with the
// size cap of the profile's settings.
func (p *Profile) syncOptions(acct localstore.Account, req SyncRequest) (imapsync.Options, error) {
	settings, err := p.Settings()
	if err != nil {
		return imapsync.Options{}, err
	}
	return imapsync.Options{
		Account: acct.Email, Store: p.store, Connect: p.imapConnector(acct),
		HeadersOnly: req.HeadersOnly, Progress: req.Progress, MaxRawSize: int64(settings.MaxMessageMB) << 20,
	}, nil
}

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

// MessageSummary is one message as a list shows it.
type MessageSummary struct {
	Account, Folder string
	UID             uint32
	MessageID       string
	From, To, Cc    string
	Subject         string
	Date            time.Time
	Flags           []string
	Size            uint32
	HasAttachments  bool
	Encrypted       bool
	Signed          bool
	// Offline says whether the full message is stored locally.
	Offline bool
}

// Seen reports whether the message has been read.
func (m MessageSummary) Seen() bool { return hasFlag(m.Flags, `\Seen`) }

// Flagged reports whether the message is flagged.
func (m MessageSummary) Flagged() bool { return hasFlag(m.Flags, `\Flagged`) }

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
func (p *Profile) ListMessages(account, folder string, limit int) ([]MessageSummary, error) {
	accts, err := p.selectAccounts(account)
	if err != nil {
		return nil, err
	}
	if len(accts) > 1 {
		return nil, errors.New("there are several accounts: choose one with --account")
	}
	if folder == "" {
		folder = inbox
	}
	acct := accts[0].Email
	if _, err := p.store.Folders().Get(acct, folder); errors.Is(err, localstore.ErrNotFound) {
		return nil, fmt.Errorf("folder %q of %s is not synchronised: run `sealpost sync`", folder, acct)
	} else if err != nil {
		return nil, err
	}
	sums, err := p.store.Messages().Newest(acct, folder, limit)
	if err != nil {
		return nil, err
	}
	out := make([]MessageSummary, len(sums))
	for i, s := range sums {
		out[i] = MessageSummary{
			Account: acct, Folder: folder, UID: s.UID, MessageID: s.MessageID, From: s.From, To: s.To, Cc: s.Cc,
			Subject: s.Subject, Date: s.Date, Flags: s.Flags, Size: s.Size, HasAttachments: s.HasAttachments,
			Encrypted: s.Encrypted, Signed: s.Signed, Offline: !s.RawOmitted,
		}
	}
	return out, nil
}

// fetchTimeout bounds fetching one message that is not stored offline.
const fetchTimeout = 2 * time.Minute

// ErrNotOffline means a message is stored only as a list entry (a
// headers-only sync, or larger than the size cap) and could not be fetched
// from the server now.
var ErrNotOffline = errors.New("only the list entry of this message is stored on this computer")

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

// headerEnd is the length of raw's header section, with the blank line.
func headerEnd(raw []byte) int {
	if i := bytes.Index(raw, []byte("\r\n\r\n")); i >= 0 {
		return i + 4
	}
	if i := bytes.Index(raw, []byte("\n\n")); i >= 0 {
		return i + 2
	}
	return len(raw)
}

// looksEncrypted reports whether a header section's Content-Type is
// PGP/MIME encrypted (the only place gossip may come from).
func looksEncrypted(head []byte) bool {
	return bytes.Contains(bytes.ToLower(head), []byte("multipart/encrypted"))
}
