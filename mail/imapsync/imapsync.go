// Package imapsync keeps a sealed local copy (localstore) of an IMAP account:
// the folder list, each folder's messages (summaries and, for offline
// reading, the raw bytes), their flags and expunges, and the user's local
// actions (read, flag, move, delete), which are queued in the store and
// replayed to the server.
//
// A Syncer never dials: it gets logged-in clients from an injected
// Connector (mail/transport enforces the TLS policy there). go-imap types stay
// inside this package, except in the Connector's signature.
//
// Stalls: the Connector also hands over the Link to the connection's stall
// guard (mail/transport's *Conn). The Syncer marks a connection busy while
// it waits for the server and idle while it is parked or in IDLE, so a
// server that stops answering fails the call (with the Link's error, which
// wraps transport.ErrServerStalled) instead of hanging it; Watch keeps IDLE
// alive by re-issuing it every IdleRestart while busy, which also finds a
// dead peer.
//
// Connections: each one is owned by exactly one goroutine at a time, the
// only one that sends commands on it. Calls like SyncFolder take the
// Syncer's parked connection (or connect), use it on the calling goroutine
// and park it again; Watch owns its own connection for IDLE. The responses
// of pipelined FETCH commands are drained by one helper goroutine per
// command (see runJobs), and the store is written by another. Cancellation: go-imap has no context, so a cancelled context closes
// the connection in use (see withConn and Watch), which ends every command
// on it; the call then returns the context's error.
//
// Sync protocol (per folder): EXAMINE (with CONDSTORE when offered), a
// UIDVALIDITY check, new messages by UID from the highest stored UID + 1 in
// pipelined FETCH batches written one store transaction per batch, then flag
// changes and expunges of the older messages (FETCH CHANGEDSINCE with
// CONDSTORE, else a full FLAGS refetch whose UIDs also reveal expunges). The
// folder's UIDNEXT and HIGHESTMODSEQ are stored only after the whole folder
// synced, so an interrupted sync resumes from the stored messages and
// neither loses nor duplicates one (puts are idempotent by UID).
//
// QRESYNC (RFC 7162) is not used: go-imap v2.0.0-beta.8's client refuses to
// ENABLE it and cannot parse VANISHED responses. CONDSTORE covers flag
// changes; expunges are found by message count and, when that differs,
// UID SEARCH.
package imapsync

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/sealpost/sealpost/localstore"
)

// Connector returns a new, logged-in IMAP client built with opts (which carry
// the Syncer's handler for unsolicited server data; pass them to
// imapclient.New unchanged), and the Link to its connection's stall guard,
// busy (nil if the connection has no guard). It must honour ctx while
// dialing and logging in.
type Connector func(ctx context.Context, opts *imapclient.Options) (*imapclient.Client, Link, error)

// Link steers the stall guard of one connection; mail/transport's *Conn
// implements it.
type Link interface {
	// Busy says the Syncer now waits for the server: a silence of the
	// stall timeout fails the connection.
	Busy()
	// Idle says the server owes nothing (the connection is parked or in
	// IDLE): silence is fine.
	Idle()
	// Stalled returns the error that closed the connection because the
	// server stopped responding, or nil.
	Stalled() error
}

// noLink is the Link of a connection without a stall guard.
type noLink struct{}

func (noLink) Busy()          {}
func (noLink) Idle()          {}
func (noLink) Stalled() error { return nil }

// conn is a client and the Link to its connection.
type conn struct {
	c    *imapclient.Client
	link Link
}

// secured is a Link that knows its connection's TLS state; mail/transport's
// *Conn is one.
type secured interface {
	ConnectionState() tls.ConnectionState
}

// tlsState returns the TLS state of cn's connection, or nil if its Link
// does not know it.
func (cn *conn) tlsState() *tls.ConnectionState {
	s, ok := cn.link.(secured)
	if !ok {
		return nil
	}
	st := s.ConnectionState()
	return &st
}

// connect gets a new connection from the Connector.
func (s *Syncer) connect(ctx context.Context, opts *imapclient.Options) (*conn, error) {
	c, link, err := s.opts.Connect(ctx, opts)
	if err != nil {
		return nil, err
	}
	if link == nil {
		link = noLink{}
	}
	return &conn{c: c, link: link}, nil
}

// lostTo is the error of a connection that broke for a reason that says it
// all (the server stopped responding): its text is the reason's, and it
// also wraps ErrConnectionLost.
type lostTo struct{ reason error }

func (e lostTo) Error() string   { return e.reason.Error() }
func (e lostTo) Unwrap() []error { return []error{e.reason, ErrConnectionLost} }

// Progress reports how far the sync of one folder is: Done of Total new
// messages are stored.
type Progress struct {
	Account, Folder string
	Done, Total     int
}

// Special-use attributes (RFC 6154) as stored in localstore.Folder.SpecialUse.
const (
	SpecialSent    = `\Sent`
	SpecialDrafts  = `\Drafts`
	SpecialTrash   = `\Trash`
	SpecialJunk    = `\Junk`
	SpecialArchive = `\Archive`
	SpecialAll     = `\All`
	SpecialFlagged = `\Flagged`
)

// Folder is one mailbox of the account as the sync engine reports it.
type Folder struct {
	Name       string
	Delimiter  string // hierarchy delimiter, "" if the server has none
	SpecialUse string // one of the Special* constants, or ""
	Selectable bool   // false for \Noselect and \NonExistent folders
}

// Defaults for Options fields left zero.
const (
	DefaultMaxRawSize = 32 << 20
	DefaultBatchSize  = 500
	DefaultInFlight   = 2
	// DefaultBatchBytes bounds the raw bytes of one FETCH batch, so a folder
	// of large messages does not hold hundreds of megabytes in memory.
	DefaultBatchBytes  = 16 << 20
	DefaultIdleRestart = 25 * time.Minute
	DefaultRetryMin    = time.Second
	DefaultRetryMax    = 5 * time.Minute
)

// Options configure a Syncer. Account, Store and Connect are required.
type Options struct {
	// Account is the account's address: the key of its records in Store.
	Account string
	Store   *localstore.Store
	Connect Connector
	// HeadersOnly skips the raw messages: only summaries are stored, each
	// marked RawOmitted.
	HeadersOnly bool
	// MaxRawSize is the size cap in bytes: larger messages are stored as
	// summaries marked RawOmitted. 0 means DefaultMaxRawSize; negative means
	// no cap.
	MaxRawSize int64
	// BatchSize is the number of messages per FETCH command (and per store
	// transaction); 0 means DefaultBatchSize.
	BatchSize int
	// InFlight is the number of FETCH commands kept in flight; 0 means
	// DefaultInFlight.
	InFlight int
	// BatchBytes bounds the raw bytes fetched by one FETCH command (a
	// single larger message still makes a batch of its own); 0 means
	// DefaultBatchBytes.
	BatchBytes int64
	// Progress, if set, is called after each stored batch, from a goroutine
	// of the Syncer; it must return quickly (forward to a channel).
	Progress func(Progress)
	// Stored, if set, is called after each batch of new messages was
	// stored, with their full bytes, from a goroutine of the Syncer; it
	// must return quickly and must not keep raws' slices beyond the call
	// without copying what it needs.
	Stored func(folder string, raws []localstore.RawMessage)
	// Examine, if set, is called with each batch of new messages a sync
	// fetches (not by FetchRaw) before Index, from a goroutine of the
	// Syncer, one batch at a time, in UID order: it may edit the summaries
	// (to record how each message travelled), which are stored as edited,
	// and must not keep raws. While it runs, the fetching waits on a busy
	// connection, so it must stay well inside the stall timeout.
	// fetchedOver is the TLS state of the connection that fetched the
	// batch (nil if the Connector's Link does not report it); ctx is the
	// sync's.
	Examine func(ctx context.Context, folder string, fetchedOver *tls.ConnectionState, sums []localstore.Summary, raws []localstore.RawMessage)
	// Index, if set, makes the search records of each batch of new
	// messages before the batch is stored: they are stored with it, in
	// the same transaction (see fetchNew). It is called from a goroutine
	// of the Syncer, one batch at a time, in UID order; it may edit the
	// summaries, which are stored as edited, and must not keep raws.
	Index func(folder string, sums []localstore.Summary, raws []localstore.RawMessage) ([]localstore.SearchDoc, error)
	// IdleRestart is how long Watch lets one IDLE command run before it
	// re-issues it (servers may drop IDLE after 30 minutes); 0 means
	// DefaultIdleRestart.
	IdleRestart time.Duration
	// RetryMin and RetryMax bound Watch's reconnect backoff, which doubles
	// from RetryMin up to RetryMax with random jitter; 0 means the defaults.
	RetryMin, RetryMax time.Duration
	// WatchError, if set, is called with each failure that Watch recovers
	// from by reconnecting (a lost connection, a failed login or sync), from
	// Watch's goroutine; it must return quickly.
	WatchError func(error)
	// Idling, if set, is called each time Watch has an IDLE running: the
	// account is online and waiting for mail. It is called from Watch's
	// goroutine and must return quickly.
	Idling func()
	// WatchSynced, if set, is called after each sync of INBOX that Watch
	// ran, from Watch's goroutine; it must return quickly.
	WatchSynced func()
}

// Sentinel errors that callers branch on with errors.Is.
var (
	// ErrNoTrash means a delete was asked for but the account has no Trash
	// folder (none has the \Trash attribute or a usual Trash name).
	ErrNoTrash = errors.New("the account has no Trash folder: create one, or move the messages instead")
	// ErrNotSynced means an action names a folder that has not been synced
	// yet, so its message UIDs cannot be trusted.
	ErrNotSynced = errors.New("the folder has not been synchronised yet: sync it first")
	// ErrNoIdle means the server does not offer IDLE, so Watch cannot wait
	// for new mail.
	ErrNoIdle = errors.New("the server does not support IDLE: new mail is only seen on the next sync")
	// ErrConnectionLost means the server connection ended during an operation.
	ErrConnectionLost = errors.New("the connection to the mail server was lost")
	// ErrProtocol means the server sent something the sync cannot accept.
	ErrProtocol = errors.New("the mail server sent an unexpected response")
	// ErrMessageGone means the server no longer has the requested message
	// (it was expunged, or the folder's UIDVALIDITY changed).
	ErrMessageGone = errors.New("the message is no longer on the server: sync the folder")
)

var errBadOptions = errors.New("imapsync: Options need Account, Store and Connect")

// Syncer synchronises one account. Its methods are safe for concurrent use;
// syncs of the same folder run one at a time.
type Syncer struct {
	opts Options

	parked chan *conn // holds at most one idle connection

	mu      sync.Mutex
	folders map[string]chan struct{} // per-folder sync locks
	closed  bool
}

// New returns a Syncer for opts.
func New(opts Options) (*Syncer, error) {
	if opts.Account == "" || opts.Store == nil || opts.Connect == nil {
		return nil, errBadOptions
	}
	if opts.MaxRawSize == 0 {
		opts.MaxRawSize = DefaultMaxRawSize
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = DefaultBatchSize
	}
	if opts.BatchBytes <= 0 {
		opts.BatchBytes = DefaultBatchBytes
	}
	if opts.InFlight <= 0 {
		opts.InFlight = DefaultInFlight
	}
	if opts.IdleRestart <= 0 {
		opts.IdleRestart = DefaultIdleRestart
	}
	if opts.RetryMin <= 0 {
		opts.RetryMin = DefaultRetryMin
	}
	if opts.RetryMax <= 0 {
		opts.RetryMax = DefaultRetryMax
	}
	opts.RetryMax = max(opts.RetryMax, opts.RetryMin)
	return &Syncer{
		opts:    opts,
		parked:  make(chan *conn, 1),
		folders: make(map[string]chan struct{}),
	}, nil
}

// Close logs out of the parked connection, if any. Calls running meanwhile
// close their connection when they end.
func (s *Syncer) Close() error {
	s.mu.Lock()
	s.closed = true
	var cn *conn
	select {
	case cn = <-s.parked:
	default:
	}
	s.mu.Unlock()
	if cn == nil {
		return nil
	}
	return closeClient(cn)
}

// closeClient logs out politely (bounded by the stall guard) and closes
// the connection.
func closeClient(cn *conn) error {
	cn.link.Busy()
	_ = cn.c.Logout().Wait()
	if err := cn.c.Close(); err != nil && !isClosedErr(err) {
		return fmt.Errorf("close IMAP connection: %w", err)
	}
	return nil
}

func isClosedErr(err error) bool { return errors.Is(err, net.ErrClosed) }

// withConn runs fn with a connection owned by the calling goroutine: the
// parked one or a new one. This is the one place where ctx cancellation is
// mapped onto go-imap: it closes the connection, which fails the running
// command. A connection that is still healthy afterwards is parked again.
//
// A parked connection may have died while it waited (Dovecot, for one, ends
// a session whose selected folder another client deleted); if it breaks
// during fn, fn runs once more on a new connection. Every fn of this package
// is safe to repeat: syncs are idempotent and queued actions leave the
// queue only once confirmed. A server that stopped responding is not tried
// again: the call fails with the stall after one stall timeout.
func (s *Syncer) withConn(ctx context.Context, fn func(c *imapclient.Client) error) error {
	return s.withConnOf(ctx, func(cn *conn) error { return fn(cn.c) })
}

// withConnOf is withConn for a fn that needs the connection's Link too.
func (s *Syncer) withConnOf(ctx context.Context, fn func(cn *conn) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var cn *conn
	select {
	case cn = <-s.parked:
		if isDone(cn.c.Closed()) {
			cn = nil
		}
	default:
	}
	if cn != nil {
		cn.link.Busy()
		err := s.runOn(ctx, cn, fn)
		if !errors.Is(err, ErrConnectionLost) || ctx.Err() != nil || cn.link.Stalled() != nil {
			return err
		}
	}
	cn, err := s.connect(ctx, &imapclient.Options{})
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("connect to the IMAP server: %w", err)
	}
	return s.runOn(ctx, cn, fn)
}

// runOn runs fn on cn, closing it if ctx ends meanwhile, and parks it
// afterwards unless it broke (then the error wraps ErrConnectionLost, and
// is the stall guard's error if the server stopped responding).
func (s *Syncer) runOn(ctx context.Context, cn *conn, fn func(cn *conn) error) error {
	c := cn.c
	stop := context.AfterFunc(ctx, func() { _ = c.Close() })
	err := fn(cn)
	if !stop() {
		_ = c.Close()
		return ctx.Err()
	}
	// go-imap marks the client logged out before it fails the pending
	// commands of a broken connection, so this also holds right after fn
	// saw such a failure.
	if isDone(c.Closed()) || c.State() == imap.ConnStateLogout || errors.Is(err, ErrConnectionLost) {
		_ = c.Close()
		return brokenErr(cn, err)
	}
	s.park(cn)
	return err
}

// brokenErr is the error of a call whose connection broke with err (which
// may be nil): the stall guard's error if the server stopped responding
// (go-imap keeps only the text of read errors), else err wrapped in
// ErrConnectionLost.
func brokenErr(cn *conn, err error) error {
	switch {
	case cn.link.Stalled() != nil:
		return lostTo{cn.link.Stalled()}
	case err == nil:
		return ErrConnectionLost
	case errors.Is(err, ErrConnectionLost):
		return err
	default:
		return fmt.Errorf("%w: %w", ErrConnectionLost, err)
	}
}

// park keeps cn for the next call, idle, or closes it if one is parked
// already or the Syncer is closed.
func (s *Syncer) park(cn *conn) {
	s.mu.Lock()
	parked := false
	if !s.closed {
		cn.link.Idle()
		select {
		case s.parked <- cn:
			parked = true
		default:
		}
	}
	s.mu.Unlock()
	if !parked {
		_ = closeClient(cn)
	}
}

func isDone(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// lockFolder serialises syncs of one folder; it returns the unlock function.
func (s *Syncer) lockFolder(ctx context.Context, name string) (func(), error) {
	key := name
	if strings.EqualFold(key, "INBOX") {
		key = "INBOX"
	}
	s.mu.Lock()
	ch, ok := s.folders[key]
	if !ok {
		ch = make(chan struct{}, 1)
		s.folders[key] = ch
	}
	s.mu.Unlock()
	select {
	case ch <- struct{}{}:
		return func() { <-ch }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// recoverTo turns a panic in a goroutine started by this package into an
// error stored in *err. Use as: defer recoverTo(&err).
func recoverTo(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("imapsync: internal error (please report): %v", r)
	}
}
