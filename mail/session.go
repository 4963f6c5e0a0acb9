package mail

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail/backend"
	"github.com/sealpost/sealpost/mail/imapsync"
)

// SessionOptions tune the per-account sessions an engine runs while its
// profile is unlocked. Zero fields mean the defaults.
type SessionOptions struct {
	// CheckInterval is how often the folders other than INBOX are checked
	// (and INBOX too when the server has no IDLE). 0 means the profile's
	// setting (Settings.CheckMinutes, default backend.DefaultCheckMinutes).
	CheckInterval time.Duration
	// RetryMin and RetryMax bound the reconnect backoff, which doubles
	// from RetryMin up to RetryMax with jitter (defaults 1 s and 5 min).
	RetryMin, RetryMax time.Duration
	// IdleRestart is how long one IDLE command runs before it is re-issued
	// (default imapsync.DefaultIdleRestart).
	IdleRestart time.Duration
}

// outboxMinWait is the shortest wait between two tries of the outbox
// sender, so a clock in the past cannot make it spin.
const outboxMinWait = time.Second

// sessions are the running sessions of one unlocked profile: one per
// account and one outbox sender. Cancelling ctx stops them all; nothing
// waits for them (their store calls hold the engine's read lock, which is
// what Lock waits for).
type sessions struct {
	e      *Engine
	opts   SessionOptions
	ctx    context.Context
	cancel context.CancelFunc

	mu       sync.Mutex
	accounts map[string]*accountSession

	outboxKick chan struct{} // try to send now
	outboxLate chan struct{} // a send failed: plan its retry
}

// accountSession keeps one account up to date. Its worker goroutine owns
// the Syncer's parked connection (initial sync, periodic checks, replayed
// actions, requested syncs); its watcher goroutine owns the IDLE
// connection on INBOX. Only the worker post-processes what arrived.
type accountSession struct {
	set     *sessions
	account string
	ctx     context.Context
	cancel  context.CancelFunc
	done    chan struct{}

	syncer  *imapsync.Syncer
	arrived newMail
	fresh   freshMail

	kick        chan struct{} // replay queued actions now
	inboxSynced chan struct{} // the watcher synced INBOX
	calls       chan syncCall // syncs asked for through Engine.SyncWith
	noIdle      atomic.Bool   // the server has no IDLE: INBOX is polled
	online      atomic.Bool

	callProgress atomic.Pointer[func(backend.SyncProgress)]
}

// syncCall is a sync asked for while the session runs; its result goes to
// done.
type syncCall struct {
	ctx      context.Context
	folder   string
	progress func(backend.SyncProgress)
	done     chan error
}

// freshMail collects the UIDs of the messages stored since it was last
// taken, per folder, up to backend.MaxEventUIDs each (counted beyond).
type freshMail struct {
	mu     sync.Mutex
	uids   map[string][]uint32
	counts map[string]int
}

func (f *freshMail) add(folder string, raws []localstore.RawMessage) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.uids == nil {
		f.uids, f.counts = map[string][]uint32{}, map[string]int{}
	}
	for _, r := range raws {
		if f.counts[folder] < backend.MaxEventUIDs {
			f.uids[folder] = append(f.uids[folder], r.UID)
		}
		f.counts[folder]++
	}
}

func (f *freshMail) take() (uids map[string][]uint32, counts map[string]int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	uids, counts = f.uids, f.counts
	f.uids, f.counts = nil, nil
	return uids, counts
}

// startSessions starts a session for every account of the unlocked
// profile, and the outbox sender. It returns nil when there is nothing to
// run (no profile).
func (e *Engine) startSessions(opts SessionOptions) *sessions {
	ctx, cancel := context.WithCancel(context.Background())
	set := &sessions{e: e, opts: opts, ctx: ctx, cancel: cancel,
		accounts: map[string]*accountSession{}, outboxKick: make(chan struct{}, 1), outboxLate: make(chan struct{}, 1)}
	var accts []localstore.Account
	err := e.with(ctx, func(p *Profile) (err error) {
		accts, err = p.store.Accounts().List()
		return err
	})
	if err != nil {
		e.events.publish(backend.Event{Kind: backend.EventError, Message: "cannot start fetching mail: " + err.Error(), Err: err})
	}
	for _, a := range accts {
		set.startAccount(a.Email)
	}
	set.goSafe("", "outbox", set.runOutbox)
	return set
}

// stop cancels every session; it does not wait for them.
func (set *sessions) stop() {
	set.cancel()
	set.mu.Lock()
	defer set.mu.Unlock()
	for _, s := range set.accounts {
		s.cancel()
	}
}

// stopAccount cancels the session of account and waits until it has
// ended, so that nothing writes the account's records any more. The
// caller must not hold the engine's lock.
func (set *sessions) stopAccount(account string) {
	set.mu.Lock()
	s := set.accounts[account]
	delete(set.accounts, account)
	set.mu.Unlock()
	if s != nil {
		s.cancel()
		<-s.done
	}
}

// startAccount starts the session of account unless one runs.
func (set *sessions) startAccount(account string) {
	set.mu.Lock()
	defer set.mu.Unlock()
	if set.ctx.Err() != nil || set.accounts[account] != nil {
		return
	}
	ctx, cancel := context.WithCancel(set.ctx)
	s := &accountSession{set: set, account: account, ctx: ctx, cancel: cancel, done: make(chan struct{}),
		kick: make(chan struct{}, 1), inboxSynced: make(chan struct{}, 1), calls: make(chan syncCall)}
	set.accounts[account] = s
	set.goSafe(account, "session", func() {
		defer close(s.done)
		s.run()
	})
}

// session returns the running session of account, or nil.
func (set *sessions) session(account string) *accountSession {
	set.mu.Lock()
	defer set.mu.Unlock()
	return set.accounts[account]
}

// goSafe runs fn on a new goroutine that turns a panic into an error event
// instead of crashing the app.
func (set *sessions) goSafe(account, what string, fn func()) {
	go func() {
		defer func() {
			if r := recover(); r != nil {
				err := fmt.Errorf("internal error in the %s of %s (please report): %v\n%s", what, account, r, debug.Stack())
				set.e.events.publish(backend.Event{Kind: backend.EventError, Account: account,
					Message: fmt.Sprintf("internal error in the %s (please report): %v", what, r), Err: err})
				if account != "" {
					set.e.events.publish(backend.Event{Kind: backend.EventConnection, Account: account, State: backend.ConnStopped})
				}
			}
		}()
		fn()
	}()
}

// kickOutbox asks the outbox sender to try now.
func (set *sessions) kickOutbox() { signal(set.outboxKick) }

// signal sends on a channel of capacity one unless a signal is pending.
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

func (s *accountSession) publish(ev backend.Event) {
	ev.Account = s.account
	s.set.e.events.publish(ev)
}

// withProfile runs f with the unlocked profile unless the session ended.
func (s *accountSession) withProfile(f func(p *Profile) error) error {
	return s.set.e.with(s.ctx, f)
}

func (s *accountSession) setState(state string, err error, retry time.Duration) {
	ev := backend.Event{Kind: backend.EventConnection, State: state, RetryIn: retry, Err: err}
	if err != nil {
		ev.Message = err.Error()
	}
	s.online.Store(state == backend.ConnOnline)
	s.publish(ev)
}

// run is the worker: the first sync (retried with backoff until it
// works), then IDLE on INBOX in the watcher, and then, until the session
// ends, post-processing of what the watcher stored, periodic checks of the
// other folders, replays of queued actions and requested syncs.
func (s *accountSession) run() {
	defer s.publish(backend.Event{Kind: backend.EventConnection, State: backend.ConnStopped})
	if err := s.open(); err != nil {
		return
	}
	defer s.syncer.Close()
	s.setState(backend.ConnConnecting, nil, 0)
	backoff := newBackoff(s.set.opts.RetryMin, s.set.opts.RetryMax)
	for {
		err := s.syncStep(s.ctx, "", nil)
		if err == nil {
			break
		}
		if s.ctx.Err() != nil {
			return
		}
		if !s.wait(backoff.next(), err) {
			return
		}
	}
	s.set.kickOutbox()
	s.set.goSafe(s.account, "IDLE watcher", s.watch)
	check := time.NewTimer(s.checkInterval())
	defer check.Stop()
	for {
		var err error
		select {
		case <-s.ctx.Done():
			return
		case <-s.inboxSynced:
			err = s.process(s.ctx, nil, true)
		case <-s.kick:
			err = s.replay()
		case call := <-s.calls:
			err = s.runCall(call)
		case <-check.C:
			err = s.syncStep(s.ctx, s.checkScope(), nil)
		}
		if s.ctx.Err() != nil {
			return
		}
		next := s.checkInterval()
		if err != nil {
			next = backoff.next()
			s.setState(backend.ConnOffline, err, next)
			s.publish(backend.Event{Kind: backend.EventError, Message: err.Error(), Err: err})
		} else {
			backoff.reset()
			if !s.online.Load() && s.noIdle.Load() {
				s.setState(backend.ConnOnline, nil, 0)
			}
		}
		resetTimer(check, next)
	}
}

// runCall runs a sync asked for through Engine.SyncWith: it ends when the
// caller or the session stops it. A sync the caller cancelled is no
// failure of the connection.
func (s *accountSession) runCall(call syncCall) error {
	ctx, cancel := context.WithCancel(s.ctx)
	defer cancel()
	stop := context.AfterFunc(call.ctx, cancel)
	defer stop()
	err := s.syncStep(ctx, call.folder, call.progress)
	call.done <- err
	if call.ctx.Err() != nil && s.ctx.Err() == nil {
		return nil
	}
	return err
}

// open makes the session's Syncer, which keeps its connection between
// syncs.
func (s *accountSession) open() error {
	opts := s.set.opts
	return s.withProfile(func(p *Profile) error {
		acct, err := p.accounts.get(s.account)
		if err != nil {
			return err
		}
		settings, err := p.Settings().Get()
		if err != nil {
			return err
		}
		so, err := p.syncer.options(acct, SyncRequest{HeadersOnly: settings.HeadersOnlySync, Progress: s.onProgress}, &s.arrived)
		if err != nil {
			return err
		}
		so.Stored = s.fresh.add
		so.RetryMin, so.RetryMax, so.IdleRestart = opts.RetryMin, opts.RetryMax, opts.IdleRestart
		so.Idling = func() {
			if !s.online.Load() {
				s.setState(backend.ConnOnline, nil, 0)
			}
		}
		so.WatchSynced = func() { signal(s.inboxSynced) }
		so.WatchError = func(err error) {
			s.setState(backend.ConnOffline, err, 0)
			s.publish(backend.Event{Kind: backend.EventError, Message: err.Error(), Err: err})
		}
		s.syncer, err = imapsync.New(so)
		return err
	})
}

func (s *accountSession) onProgress(pr imapsync.Progress) {
	s.publish(backend.Event{Kind: backend.EventProgress, Folder: pr.Folder, Done: pr.Done, Total: pr.Total})
	if f := s.callProgress.Load(); f != nil {
		(*f)(backend.SyncProgress{Account: pr.Account, Folder: pr.Folder, Done: pr.Done, Total: pr.Total})
	}
}

// warn reports something the user should check: to the caller of a sync
// asked for through SyncWith, which shows it, else as an event.
func (s *accountSession) warn(w string) {
	if f := s.callProgress.Load(); f != nil {
		(*f)(backend.SyncProgress{Account: s.account, Warning: w})
		return
	}
	s.publish(backend.Event{Kind: backend.EventWarning, Message: w})
}

// watch waits in IDLE on INBOX until the session ends. A server without
// IDLE makes the worker poll INBOX with its periodic check instead.
func (s *accountSession) watch() {
	err := s.withProfile(func(p *Profile) error { return s.syncer.Watch(s.ctx) })
	if errors.Is(err, imapsync.ErrNoIdle) {
		s.noIdle.Store(true)
		s.publish(backend.Event{Kind: backend.EventWarning, Message: err.Error()})
		s.setState(backend.ConnOnline, nil, 0)
	}
}

// checkScope is what a periodic check syncs: every folder when the server
// has no IDLE, else every folder but INBOX, which the watcher keeps.
func (s *accountSession) checkScope() string {
	if s.noIdle.Load() {
		return ""
	}
	return allButInbox
}

// allButInbox asks syncStep for every folder except INBOX.
const allButInbox = "\x00all-but-inbox"

func (s *accountSession) checkInterval() time.Duration {
	if d := s.set.opts.CheckInterval; d > 0 {
		return d
	}
	minutes := backend.DefaultCheckMinutes
	_ = s.withProfile(func(p *Profile) error {
		if st, err := p.Settings().Get(); err == nil && st.CheckMinutes > 0 {
			minutes = st.CheckMinutes
		}
		return nil
	})
	return time.Duration(minutes) * time.Minute
}

// replay sends the queued local actions to the server now.
func (s *accountSession) replay() error {
	var n int
	err := s.withProfile(func(p *Profile) (err error) {
		n, err = s.syncer.ReplayActions(s.ctx)
		return err
	})
	if err != nil || n == 0 {
		return err
	}
	// A move shows up in its destination: check the other folders now.
	return s.syncStep(s.ctx, s.checkScope(), nil)
}

// syncStep syncs folder (every folder when empty, or allButInbox) on the
// session's connection, then post-processes and reports what changed.
func (s *accountSession) syncStep(ctx context.Context, folder string, progress func(backend.SyncProgress)) error {
	if progress != nil {
		s.callProgress.Store(&progress)
		defer s.callProgress.Store(nil)
	}
	var before []localstore.Folder
	err := s.withProfile(func(p *Profile) (err error) {
		if before, err = p.store.Folders().List(s.account); err != nil {
			return err
		}
		switch folder {
		case "":
			return s.syncer.SyncAll(ctx)
		case allButInbox:
			return s.syncAllBut(ctx, inbox)
		default:
			return runSyncRequest(ctx, s.syncer, folder)
		}
	})
	if err != nil {
		return err
	}
	return s.process(ctx, before, false)
}

// syncAllBut is SyncAll without the folder skip.
func (s *accountSession) syncAllBut(ctx context.Context, skip string) error {
	if _, err := s.syncer.ReplayActions(ctx); err != nil {
		return err
	}
	folders, err := s.syncer.SyncFolders(ctx)
	if err != nil {
		return err
	}
	for _, f := range folders {
		if !f.Selectable || f.Name == skip {
			continue
		}
		if err := s.syncer.SyncFolder(ctx, f.Name); err != nil {
			return fmt.Errorf("sync folder %q: %w", f.Name, err)
		}
	}
	return nil
}

// process finishes a sync: Autocrypt and drafts as after any sync, the
// search index, then events for the new mail and the changed folders,
// compared with before, the folder records ahead of the sync (unknown
// when the watcher synced INBOX, which then counts as changed).
func (s *accountSession) process(ctx context.Context, before []localstore.Folder, watcher bool) error {
	var after []localstore.Folder
	err := s.withProfile(func(p *Profile) (err error) {
		if err := p.syncer.finish(ctx, s.account, &s.arrived, s.warn); err != nil {
			return err
		}
		after, err = p.store.Folders().List(s.account)
		return err
	})
	if err != nil {
		return err
	}
	if err := s.set.e.updateSearchIndex(ctx, s.account, "", nil); err != nil && ctx.Err() == nil {
		s.publish(backend.Event{Kind: backend.EventError, Message: "mail synchronised, but indexing it for search failed: " + err.Error(), Err: err})
	}
	uids, counts := s.fresh.take()
	var changed []string
	if !watcher {
		changed = changedFolders(before, after)
		if !sameNames(before, after) {
			s.publish(backend.Event{Kind: backend.EventFoldersChanged})
		}
	}
	for _, name := range sortedKeys(counts) {
		s.publish(backend.Event{Kind: backend.EventNewMail, Folder: name, UIDs: uids[name], Count: counts[name],
			FirstSync: !watcher && !syncedBefore(before, name)})
		if !slices.Contains(changed, name) {
			changed = append(changed, name)
		}
	}
	if watcher && !slices.Contains(changed, inbox) {
		changed = append(changed, inbox) // flags or expunges the watcher saw
	}
	for _, name := range changed {
		s.publish(backend.Event{Kind: backend.EventFolderChanged, Folder: name})
	}
	return nil
}

// changedFolders lists the folders whose server state (UIDVALIDITY,
// UIDNEXT, HIGHESTMODSEQ) moved between the two listings. Without
// CONDSTORE a flag change leaves no trace there, so such folders count as
// changed whenever they were synced.
func changedFolders(before, after []localstore.Folder) []string {
	old := make(map[string]localstore.Folder, len(before))
	for _, f := range before {
		old[f.Name] = f
	}
	var out []string
	for _, f := range after {
		o, ok := old[f.Name]
		switch {
		case !ok:
			out = append(out, f.Name)
		case o.UIDValidity != f.UIDValidity || o.UIDNext != f.UIDNext || o.HighestModSeq != f.HighestModSeq:
			out = append(out, f.Name)
		case f.HighestModSeq == 0 && f.LastSync.After(o.LastSync):
			out = append(out, f.Name)
		}
	}
	return out
}

// sameNames reports whether two folder listings name the same folders.
func sameNames(a, b []localstore.Folder) bool {
	return slices.EqualFunc(a, b, func(x, y localstore.Folder) bool { return x.Name == y.Name })
}

func syncedBefore(folders []localstore.Folder, name string) bool {
	for _, f := range folders {
		if f.Name == name {
			return !f.LastSync.IsZero()
		}
	}
	return false
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// wait reports err as the connection's state and waits d; false when the
// session ended meanwhile.
func (s *accountSession) wait(d time.Duration, err error) bool {
	s.setState(backend.ConnOffline, err, d)
	s.publish(backend.Event{Kind: backend.EventError, Message: err.Error(), Err: err})
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-s.ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// request runs a sync on the session's worker and waits for it.
func (s *accountSession) request(ctx context.Context, folder string, progress func(backend.SyncProgress)) error {
	call := syncCall{ctx: ctx, folder: folder, progress: progress, done: make(chan error, 1)}
	select {
	case s.calls <- call:
	case <-ctx.Done():
		return ctx.Err()
	case <-s.done:
		return ErrProfileLocked
	}
	select {
	case err := <-call.done:
		return err
	case <-s.done:
		return ErrProfileLocked
	}
}

// kickReplay asks the worker to replay queued actions now.
func (s *accountSession) kickReplay() { signal(s.kick) }

// runOutbox sends what waits in the outbox when kicked (a session came
// online) and whenever the earliest waiting message is due again: the
// outbox's own schedule (after a temporary failure a minute, doubling up
// to an hour) decides when, so the app, Sync and this loop agree. A held
// or possibly sent message waits for the user.
func (set *sessions) runOutbox() {
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	defer retry.Stop()
	for {
		flush := true
		select {
		case <-set.ctx.Done():
			return
		case <-set.outboxLate:
			flush = false // it just failed: only plan the retry
		case <-set.outboxKick:
		case <-retry.C:
		}
		waiting, next, err := set.tryOutbox(flush)
		if set.ctx.Err() != nil {
			return
		}
		retry.Stop()
		ev := backend.Event{Kind: backend.EventOutbox, Count: waiting}
		if !next.IsZero() {
			ev.RetryIn = max(time.Until(next), outboxMinWait)
			resetTimer(retry, ev.RetryIn)
		}
		if err != nil {
			ev.Message, ev.Err = flushWarning(waiting, err), err
		}
		if flush || err != nil {
			set.e.events.publish(ev)
		}
	}
}

// tryOutbox sends what is due (when flush is set) and returns how many
// messages still wait and when the earliest one that is retried by
// itself is due (zero: none is).
func (set *sessions) tryOutbox(flush bool) (waiting int, next time.Time, err error) {
	// As after a sync, a started submission is not cut off when the
	// session stops: locking waits for it, bounded by flushTimeout.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(set.ctx), flushTimeout)
	defer cancel()
	lerr := set.e.with(set.ctx, func(p *Profile) error {
		if flush {
			err = p.Outbox().Flush(ctx)
		}
		items, lerr := p.Outbox().List()
		waiting = len(items)
		for _, it := range items {
			if it.Held || !it.SubmittingSince.IsZero() {
				continue
			}
			if next.IsZero() || it.NextAttempt.Before(next) {
				next = it.NextAttempt
			}
		}
		return lerr
	})
	if err == nil {
		err = lerr
	}
	return waiting, next, err
}

// backoff doubles a wait from lo up to hi, with jitter over its upper half.
type backoff struct {
	lo, hi, cur time.Duration
}

func newBackoff(lo, hi time.Duration) *backoff {
	if lo <= 0 {
		lo = imapsync.DefaultRetryMin
	}
	if hi <= 0 {
		hi = imapsync.DefaultRetryMax
	}
	return &backoff{lo: lo, hi: max(lo, hi), cur: lo}
}

func (b *backoff) next() time.Duration {
	d := b.cur/2 + rand.N(b.cur/2+1)
	b.cur = min(b.cur*2, b.hi)
	return d
}

func (b *backoff) reset() { b.cur = b.lo }

func resetTimer(t *time.Timer, d time.Duration) {
	t.Stop()
	t.Reset(d)
}

// syncInSessions runs a sync of folder (every folder when empty) of account
// (every account when empty) on the running sessions; handled is false
// when no session runs for it.
func (e *Engine) syncInSessions(ctx context.Context, account, folder string, progress func(backend.SyncProgress)) (handled bool, err error) {
	live := e.sessions()
	if live == nil {
		return false, nil
	}
	var targets []*accountSession
	live.mu.Lock()
	if account == "" {
		for _, s := range live.accounts {
			targets = append(targets, s)
		}
	} else if s := live.accounts[strings.ToLower(account)]; s != nil {
		targets = append(targets, s)
	}
	live.mu.Unlock()
	if len(targets) == 0 {
		return false, nil
	}
	slices.SortFunc(targets, func(a, b *accountSession) int { return strings.Compare(a.account, b.account) })
	for _, s := range targets {
		if err := s.request(ctx, folder, progress); err != nil {
			return true, fmt.Errorf("%s: %w", s.account, err)
		}
	}
	return true, nil
}
