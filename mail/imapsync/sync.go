package imapsync

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/sealpost/sealpost/localstore"
)

// rawSection is BODY.PEEK[]: the whole message, without setting \Seen.
var rawSection = &imap.FetchItemBodySection{Peek: true}

// refsSection is the References header of a message, which the envelope
// lacks, for threading.
var refsSection = &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, HeaderFields: []string{"References"}, Peek: true}

// SyncAll replays the queued local actions, refreshes the folder list and
// syncs every selectable folder, INBOX first. It stops at the first error.
func (s *Syncer) SyncAll(ctx context.Context) error {
	if _, err := s.ReplayActions(ctx); err != nil {
		return err
	}
	folders, err := s.SyncFolders(ctx)
	if err != nil {
		return err
	}
	slices.SortStableFunc(folders, func(a, b Folder) int {
		return cmp.Compare(boolRank(a.Name != "INBOX"), boolRank(b.Name != "INBOX"))
	})
	for _, f := range folders {
		if !f.Selectable {
			continue
		}
		if err := s.SyncFolder(ctx, f.Name); err != nil {
			return fmt.Errorf("sync folder %q: %w", f.Name, err)
		}
	}
	return nil
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// SyncFolder brings the local copy of folder name up to date: new messages,
// flag changes and expunges. A folder unknown to the store is added; a
// \Noselect folder has nothing to sync.
func (s *Syncer) SyncFolder(ctx context.Context, name string) error {
	unlock, err := s.lockFolder(ctx, name)
	if err != nil {
		return err
	}
	defer unlock()
	return s.withConnOf(ctx, func(cn *conn) error {
		return s.syncFolder(ctx, cn, name)
	})
}

// syncFolder does SyncFolder's work on cn; the caller holds the folder lock.
func (s *Syncer) syncFolder(ctx context.Context, cn *conn, name string) error {
	c := cn.c
	acct, store := s.opts.Account, s.opts.Store
	rec, err := store.Folders().Get(acct, name)
	switch {
	case errors.Is(err, localstore.ErrNotFound):
		rec = localstore.Folder{Account: acct, Name: name}
	case err != nil:
		return err
	case !selectable(rec):
		return nil
	}
	condStore := c.Caps().Has(imap.CapCondStore)
	sel, err := c.Select(name, &imap.SelectOptions{ReadOnly: true, CondStore: condStore}).Wait()
	if err != nil {
		return fmt.Errorf("open folder: %w", err)
	}
	if sel.UIDValidity == 0 {
		return fmt.Errorf("%w: no UIDVALIDITY for the folder", ErrProtocol)
	}
	if rec.UIDValidity != sel.UIDValidity {
		// The stored UIDs (if any) name other messages now, or were stored
		// without a known UIDVALIDITY: start over. The new UIDVALIDITY is
		// recorded at once, as it qualifies the messages stored from now on;
		// UIDNEXT and HIGHESTMODSEQ wait until the folder is complete.
		if stored, err := store.Messages().MaxUID(acct, name); err != nil {
			return err
		} else if stored > 0 {
			if err := store.Messages().DropFolderMessages(acct, name); err != nil {
				return err
			}
		}
		rec.UIDValidity, rec.UIDNext, rec.HighestModSeq = sel.UIDValidity, 0, 0
		if err := store.Folders().Put(rec); err != nil {
			return err
		}
	}
	prevMax, err := store.Messages().MaxUID(acct, name)
	if err != nil {
		return err
	}
	if sel.NumMessages > 0 && (rec.UIDNext == 0 || sel.UIDNext == 0 || uint32(sel.UIDNext) != rec.UIDNext) {
		if err := s.fetchNew(ctx, cn, name, prevMax+1); err != nil {
			return err
		}
	}
	if prevMax > 0 {
		if err := s.refreshOld(c, rec, sel, prevMax); err != nil {
			return err
		}
		if !rec.ThreadHeaders {
			if err := s.fillThreadHeaders(c, name); err != nil {
				return err
			}
		}
	}
	// Re-read the record: SyncFolders may have updated its other fields.
	if cur, err := store.Folders().Get(acct, name); err == nil {
		rec = cur
	} else if !errors.Is(err, localstore.ErrNotFound) {
		return err
	}
	rec.UIDValidity, rec.UIDNext, rec.HighestModSeq = sel.UIDValidity, uint32(sel.UIDNext), sel.HighestModSeq
	rec.LastSync = time.Now().UTC()
	rec.ThreadHeaders = true // new messages come with them, old ones were filled in
	return store.Folders().Put(rec)
}

// fetchJob is one FETCH command of new messages.
type fetchJob struct {
	uids imap.UIDSet
	n    int
	body bool // fetch BODY.PEEK[] too
}

// storeBatch is what one fetchJob yields: written in one transaction.
type storeBatch struct {
	sums []localstore.Summary
	raws []localstore.RawMessage
	docs []localstore.SearchDoc // from Options.Index
}

// fetchNew stores the messages with UID >= from: a cheap UID FETCH from:*
// (RFC822.SIZE) lists them and their sizes, then batches of BatchSize UIDs
// are fetched with InFlight commands in flight, and handed one by one
// through a pipeline of two more goroutines: one examines and indexes the
// batch (Options.Examine and Options.Index), the other seals and writes it
// with its search records in one transaction. The stages hand over without
// buffering, so at most InFlight+3 batches are in memory at once.
func (s *Syncer) fetchNew(ctx context.Context, cn *conn, folder string, from uint32) error {
	c := cn.c
	var all imap.UIDSet
	all.AddRange(imap.UID(from), 0)
	list, err := c.Fetch(all, &imap.FetchOptions{UID: true, RFC822Size: true}).Collect()
	if err != nil {
		return fmt.Errorf("list new messages: %w", err)
	}
	// "from:*" also matches the highest UID when it is below from.
	list = slices.DeleteFunc(list, func(m *imapclient.FetchMessageBuffer) bool { return uint32(m.UID) < from })
	if len(list) == 0 {
		return nil
	}
	slices.SortFunc(list, func(a, b *imapclient.FetchMessageBuffer) int { return cmp.Compare(a.UID, b.UID) })
	jobs := s.planJobs(list)
	total := len(list)
	list = nil
	s.progress(folder, 0, total)

	p := &pipeline{stop: make(chan struct{})}
	fetched := make(chan storeBatch)
	toWrite := fetched
	if s.opts.Index != nil || s.opts.Examine != nil {
		toWrite = make(chan storeBatch)
		over := cn.tlsState()
		p.run(func() error {
			defer close(toWrite)
			for b := range fetched {
				if s.opts.Examine != nil {
					s.opts.Examine(ctx, folder, over, b.sums, b.raws)
				}
				if s.opts.Index != nil {
					var err error
					if b.docs, err = s.opts.Index(folder, b.sums, b.raws); err != nil {
						return fmt.Errorf("index new messages: %w", err)
					}
				}
				select {
				case toWrite <- b:
				case <-p.stop:
					return nil
				}
			}
			return nil
		})
	}
	p.run(func() error {
		done := 0
		for b := range toWrite {
			err := s.opts.Store.Messages().PutIndexedBatch(s.opts.Account, folder, b.sums, b.raws, b.docs)
			for i := range b.docs {
				clear(b.docs[i].Text)
			}
			if err != nil {
				return err
			}
			if s.opts.Stored != nil && len(b.raws) > 0 {
				s.opts.Stored(folder, b.raws)
			}
			done += len(b.sums)
			s.progress(folder, done, total)
		}
		return nil
	})

	ferr := s.runJobs(c, jobs, fetched, p.stop)
	close(fetched)
	if err := p.wait(); err != nil {
		return err
	}
	return ferr
}

// pipeline runs the stages behind the fetching: the first to fail stops
// the others (stop is closed) and its error is the pipeline's.
type pipeline struct {
	wg   sync.WaitGroup
	stop chan struct{}
	once sync.Once
	err  error
}

// run starts stage in a goroutine of its own.
func (p *pipeline) run(stage func() error) {
	p.wg.Go(func() {
		var err error
		defer func() {
			if err != nil {
				p.once.Do(func() { p.err = err; close(p.stop) })
			}
		}()
		defer recoverTo(&err)
		err = stage()
	})
}

// wait waits for every stage and returns the first failure.
func (p *pipeline) wait() error {
	p.wg.Wait()
	return p.err
}

// planJobs splits the new messages into FETCH commands of at most
// BatchSize UIDs and BatchBytes raw bytes. Messages over the size cap (or
// all, when headers-only) are fetched without their raw bytes. Each command
// covers a run of consecutive new messages, and the batches are stored in
// UID order: the stored messages are then always all those up to the
// highest stored UID, which is where an interrupted sync resumes.
func (s *Syncer) planJobs(list []*imapclient.FetchMessageBuffer) []fetchJob {
	var jobs []fetchJob
	var run []imap.UID
	var runBytes int64
	runBody := false
	flush := func() {
		if len(run) > 0 {
			jobs = append(jobs, fetchJob{uids: uidSet(run), n: len(run), body: runBody})
		}
		run, runBytes = nil, 0
	}
	for _, m := range list {
		body := !s.opts.HeadersOnly && (s.opts.MaxRawSize <= 0 || m.RFC822Size <= s.opts.MaxRawSize)
		if len(run) > 0 && (body != runBody || len(run) >= s.opts.BatchSize || (body && runBytes+m.RFC822Size > s.opts.BatchBytes)) {
			flush()
		}
		run = append(run, m.UID)
		runBody = body
		if body {
			runBytes += m.RFC822Size
		}
	}
	flush()
	return jobs
}

// uidSet compresses ascending UIDs into ranges.
func uidSet(uids []imap.UID) imap.UIDSet {
	var set imap.UIDSet
	for i := 0; i < len(uids); {
		j := i
		for j+1 < len(uids) && uids[j+1] == uids[j]+1 {
			j++
		}
		set = append(set, imap.UIDRange{Start: uids[i], Stop: uids[j]})
		i = j + 1
	}
	return set
}

// runJobs keeps up to InFlight FETCH commands in flight and hands each
// finished one, in order, to the writer. The commands are issued from the
// calling goroutine (the connection's owner), but each is drained by a
// goroutine of its own: servers such as Dovecot answer pipelined FETCH
// commands interleaved, and go-imap's reader waits until a message's
// literal is consumed, so reading one command at a time would deadlock.
// Every command started is drained before runJobs returns, so the connection
// stays usable after an error.
func (s *Syncer) runJobs(c *imapclient.Client, jobs []fetchJob, batches chan<- storeBatch, stopped <-chan struct{}) error {
	type result struct {
		b   storeBatch
		err error
	}
	var inflight []chan result
	defer func() {
		for _, ch := range inflight {
			<-ch
		}
	}()
	next := 0
	for next < len(jobs) || len(inflight) > 0 {
		for len(inflight) < s.opts.InFlight && next < len(jobs) {
			j := jobs[next]
			next++
			cmd := c.Fetch(j.uids, s.fetchOptions(j.body))
			ch := make(chan result, 1)
			go func() {
				var r result
				defer func() { ch <- r }()
				defer recoverTo(&r.err)
				r.b, r.err = collectBatch(c, cmd, j)
			}()
			inflight = append(inflight, ch)
		}
		r := <-inflight[0]
		inflight = inflight[1:]
		if r.err != nil {
			return fmt.Errorf("fetch new messages: %w", r.err)
		}
		select {
		case batches <- r.b:
		case <-stopped:
			return nil // the pipeline failed; fetchNew returns its error
		}
	}
	return nil
}

func (s *Syncer) fetchOptions(body bool) *imap.FetchOptions {
	opts := &imap.FetchOptions{
		UID:           true,
		Flags:         true,
		Envelope:      true,
		InternalDate:  true,
		RFC822Size:    true,
		BodyStructure: &imap.FetchItemBodyStructure{Extended: true},
	}
	opts.BodySection = []*imap.FetchItemBodySection{refsSection}
	if body {
		opts.BodySection = append(opts.BodySection, rawSection)
	}
	return opts
}

// errBrokenLiteral means a message body could not be read: the connection
// broke in the middle of it.
var errBrokenLiteral = fmt.Errorf("%w in the middle of a message", ErrConnectionLost)

// collectBatch reads one FETCH command to its end and translates it. If the
// connection breaks inside a message body, it closes c and abandons cmd:
// go-imap v2.0.0-beta.8 would otherwise read that body again (in Collect's
// or Next's discard) while its reader goroutine reads the same buffer, a
// data race on a connection that is dead anyway.
func collectBatch(c *imapclient.Client, cmd *imapclient.FetchCommand, job fetchJob) (storeBatch, error) {
	b := storeBatch{sums: make([]localstore.Summary, 0, job.n)}
	if job.body {
		b.raws = make([]localstore.RawMessage, 0, job.n)
	}
	for {
		msg := cmd.Next()
		if msg == nil {
			break
		}
		buf, err := collectMessage(msg)
		if err != nil {
			_ = c.Close()
			return storeBatch{}, err
		}
		if buf.UID == 0 {
			continue
		}
		sum := summaryOf(buf)
		sum.References = referencesOf(buf.FindBodySection(refsSection))
		raw := buf.FindBodySection(rawSection)
		if job.body && raw != nil {
			b.raws = append(b.raws, localstore.RawMessage{UID: sum.UID, Raw: raw})
		} else {
			// Headers-only, over the size cap, or the server had no body
			// for it: the reader fetches it on demand.
			sum.RawOmitted = true
		}
		b.sums = append(b.sums, sum)
	}
	if err := cmd.Close(); err != nil {
		return storeBatch{}, err
	}
	return b, nil
}

// collectMessage reads all items of one FETCH response; it stops at a body
// it cannot read completely (errBrokenLiteral).
func collectMessage(msg *imapclient.FetchMessageData) (*imapclient.FetchMessageBuffer, error) {
	buf := &imapclient.FetchMessageBuffer{SeqNum: msg.SeqNum}
	for {
		switch item := msg.Next().(type) {
		case nil:
			return buf, nil
		case imapclient.FetchItemDataUID:
			buf.UID = item.UID
		case imapclient.FetchItemDataFlags:
			buf.Flags = item.Flags
		case imapclient.FetchItemDataEnvelope:
			buf.Envelope = item.Envelope
		case imapclient.FetchItemDataInternalDate:
			buf.InternalDate = item.Time
		case imapclient.FetchItemDataRFC822Size:
			buf.RFC822Size = item.Size
		case imapclient.FetchItemDataBodyStructure:
			buf.BodyStructure = item.BodyStructure
		case imapclient.FetchItemDataModSeq:
			buf.ModSeq = item.ModSeq
		case imapclient.FetchItemDataBodySection:
			var raw []byte
			if item.Literal != nil {
				var err error
				if raw, err = readLiteral(item.Literal); err != nil {
					return nil, fmt.Errorf("%w: %w", errBrokenLiteral, err)
				}
			}
			buf.BodySection = append(buf.BodySection, imapclient.FetchBodySectionBuffer{Section: item.Section, Bytes: raw})
		}
	}
}

// maxPrealloc bounds the buffer allocated up front for a message body from
// the size the server announces; a larger one grows as it is read.
const maxPrealloc = 64 << 20

// readLiteral reads a message body into a buffer of its announced size, not
// one that grows (and leaves garbage) as it is read.
func readLiteral(lit imap.LiteralReader) ([]byte, error) {
	n := lit.Size()
	if n < 0 || n > maxPrealloc {
		return io.ReadAll(lit)
	}
	raw := make([]byte, n)
	if _, err := io.ReadFull(lit, raw); err != nil {
		return nil, err
	}
	return raw, nil
}

func (s *Syncer) progress(folder string, done, total int) {
	if s.opts.Progress != nil {
		s.opts.Progress(Progress{Account: s.opts.Account, Folder: folder, Done: done, Total: total})
	}
}

// refreshOld updates the flags of the messages with UID <= prevMax and
// removes those expunged on the server.
func (s *Syncer) refreshOld(c *imapclient.Client, rec localstore.Folder, sel *imap.SelectData, prevMax uint32) error {
	acct, msgs := s.opts.Account, s.opts.Store.Messages()
	old := imap.UIDSet{imap.UIDRange{Start: 1, Stop: imap.UID(prevMax)}}
	if sel.NumMessages == 0 {
		// Everything was expunged.
		return msgs.DropFolderMessages(acct, rec.Name)
	}
	if sel.HighestModSeq == 0 || rec.HighestModSeq == 0 {
		// No CONDSTORE, or no complete sync to compare with: refetch every
		// flag. The UIDs answered are exactly the surviving messages.
		list, err := c.Fetch(old, &imap.FetchOptions{UID: true, Flags: true}).Collect()
		if err != nil {
			return fmt.Errorf("fetch flags: %w", err)
		}
		flags := make(map[uint32][]string, len(list))
		for _, m := range list {
			flags[uint32(m.UID)] = flagStrings(m.Flags)
		}
		if err := msgs.SetFlags(acct, rec.Name, flags); err != nil {
			return err
		}
		return s.removeExpunged(rec.Name, prevMax, func(uid uint32) bool { _, ok := flags[uid]; return ok })
	}
	if sel.HighestModSeq != rec.HighestModSeq {
		list, err := c.Fetch(old, &imap.FetchOptions{UID: true, Flags: true, ChangedSince: rec.HighestModSeq}).Collect()
		if err != nil {
			return fmt.Errorf("fetch changed flags: %w", err)
		}
		flags := make(map[uint32][]string, len(list))
		for _, m := range list {
			flags[uint32(m.UID)] = flagStrings(m.Flags)
		}
		if err := msgs.SetFlags(acct, rec.Name, flags); err != nil {
			return err
		}
	}
	return s.findExpunged(c, rec.Name, sel)
}

// findExpunged removes local messages that are gone on the server. When the
// message count of the SELECT response equals the number of local messages
// that existed then, nothing was expunged: every server message up to the
// highest stored UID is stored (UIDs only grow), unless a queued local action
// removed some locally, so the shortcut is not taken while actions are
// pending for the folder. (A message expunged during the sync itself can
// mask a stale one until the next sync, whose counts then differ.)
// Otherwise UID SEARCH ALL (with ESEARCH when offered) gives the surviving
// UIDs.
func (s *Syncer) findExpunged(c *imapclient.Client, folder string, sel *imap.SelectData) error {
	acct, store := s.opts.Account, s.opts.Store
	local, err := store.Messages().UIDs(acct, folder)
	if err != nil {
		return err
	}
	pending, err := s.pendingFor(folder)
	if err != nil {
		return err
	}
	// Only messages with UIDs below UIDNEXT existed when SELECT counted.
	// (go-imap's Client.Mailbox is not up to date when Select's Wait
	// returns, so the count from the SELECT response is used.)
	existed := len(local)
	if sel.UIDNext != 0 {
		existed, _ = slices.BinarySearch(local, uint32(sel.UIDNext))
	}
	if existed == int(sel.NumMessages) && !pending {
		return nil
	}
	var opts *imap.SearchOptions
	if caps := c.Caps(); caps.Has(imap.CapESearch) || caps.Has(imap.CapIMAP4rev2) {
		opts = &imap.SearchOptions{ReturnAll: true}
	}
	data, err := c.UIDSearch(&imap.SearchCriteria{}, opts).Wait()
	if err != nil {
		return fmt.Errorf("list messages: %w", err)
	}
	alive, _ := data.All.(imap.UIDSet)
	return s.removeExpunged(folder, ^uint32(0), func(uid uint32) bool { return alive.Contains(imap.UID(uid)) })
}

// removeExpunged deletes the local messages with UID <= upTo for which alive
// is false.
func (s *Syncer) removeExpunged(folder string, upTo uint32, alive func(uint32) bool) error {
	msgs := s.opts.Store.Messages()
	local, err := msgs.UIDs(s.opts.Account, folder)
	if err != nil {
		return err
	}
	var gone []uint32
	for _, uid := range local {
		if uid <= upTo && !alive(uid) {
			gone = append(gone, uid)
		}
	}
	if len(gone) == 0 {
		return nil
	}
	return msgs.DeleteSummaries(s.opts.Account, folder, gone...)
}

// pendingFor reports whether queued actions touch folder.
func (s *Syncer) pendingFor(folder string) (bool, error) {
	actions, err := s.opts.Store.Actions().List(s.opts.Account)
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(actions, func(a localstore.PendingAction) bool {
		return sameName(a.Folder, folder) || sameName(a.Dest, folder)
	}), nil
}

// sameName compares folder names (INBOX case-insensitively).
func sameName(a, b string) bool {
	if strings.EqualFold(a, "INBOX") {
		return strings.EqualFold(b, "INBOX")
	}
	return a == b
}

// FetchRaw returns the full message uid of folder, from the store if it is
// there, else from the server (for a message stored without it: headers-only
// sync or over the size cap), in which case it is stored too and
// fetchedOver is the TLS state of the connection that fetched it (nil if
// the Connector's Link does not report it, or the message was stored).
// Options.Examine is not called: how the message travelled is the
// caller's to record, which must not hold up reading it.
func (s *Syncer) FetchRaw(ctx context.Context, folder string, uid uint32) (raw []byte, fetchedOver *tls.ConnectionState, err error) {
	msgs := s.opts.Store.Messages()
	raw, err = msgs.Raw(s.opts.Account, folder, uid)
	if !errors.Is(err, localstore.ErrNotFound) {
		return raw, nil, err
	}
	rec, err := s.syncedFolder(folder)
	if err != nil {
		return nil, nil, err
	}
	var over *tls.ConnectionState
	err = s.withConnOf(ctx, func(cn *conn) error {
		c := cn.c
		over = cn.tlsState()
		sel, err := c.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait()
		if err != nil {
			return fmt.Errorf("open folder: %w", err)
		}
		if sel.UIDValidity != rec.UIDValidity {
			return ErrMessageGone
		}
		list, err := c.Fetch(imap.UIDSetNum(imap.UID(uid)), &imap.FetchOptions{
			UID: true, BodySection: []*imap.FetchItemBodySection{rawSection},
		}).Collect()
		if err != nil {
			return fmt.Errorf("fetch message: %w", err)
		}
		for _, m := range list {
			if uint32(m.UID) == uid {
				raw = m.FindBodySection(rawSection)
			}
		}
		if raw == nil {
			return ErrMessageGone
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	if err := msgs.PutFetchedRaw(s.opts.Account, folder, uid, raw); err != nil {
		return nil, nil, err
	}
	return raw, over, nil
}
