package imapsync

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// Watch keeps INBOX up to date until ctx is done, and then returns ctx's
// error. On its own connection it syncs INBOX, then waits in IDLE; when the
// server announces new or expunged messages or changed flags it ends IDLE
// and syncs INBOX again. IDLE is re-issued every IdleRestart. After a lost
// connection (or any failed sync) it reconnects with exponential backoff
// from RetryMin to RetryMax, jittered, reporting each failure to
// Options.WatchError; failures to connect or log in are retried the same
// way. It returns ErrNoIdle at once if the server lacks IDLE. Close does not
// stop Watch: cancel ctx.
func (s *Syncer) Watch(ctx context.Context) error {
	wait := s.opts.RetryMin
	for {
		healthy, err := s.watchOnce(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if errors.Is(err, ErrNoIdle) {
			return err
		}
		if s.opts.WatchError != nil {
			s.opts.WatchError(err)
		}
		if healthy {
			wait = s.opts.RetryMin
		}
		// Full jitter over the upper half: [wait/2, wait).
		d := wait/2 + rand.N(wait/2+1)
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		wait = min(wait*2, s.opts.RetryMax)
	}
}

// watchOnce runs one connection of Watch until it fails or ctx is done.
// healthy reports whether the connection got as far as IDLE (so the backoff
// starts over).
func (s *Syncer) watchOnce(ctx context.Context) (healthy bool, err error) {
	defer recoverTo(&err)
	changed := make(chan struct{}, 1)
	notify := func() {
		select {
		case changed <- struct{}{}:
		default:
		}
	}
	// These run on go-imap's reader goroutine (Fetch on one it starts):
	// they only signal, and never call into the client.
	handler := &imapclient.UnilateralDataHandler{
		Mailbox: func(d *imapclient.UnilateralDataMailbox) {
			if d.NumMessages != nil {
				notify()
			}
		},
		Expunge: func(uint32) { notify() },
		Fetch: func(msg *imapclient.FetchMessageData) {
			_, _ = msg.Collect() // consume it so the reader goes on
			notify()
		},
	}
	cn, err := s.connect(ctx, &imapclient.Options{UnilateralDataHandler: handler})
	if err != nil {
		return false, fmt.Errorf("connect to the IMAP server: %w", err)
	}
	c := cn.c
	stop := context.AfterFunc(ctx, func() { _ = c.Close() })
	defer stop()
	defer c.Close()
	defer func() {
		broken := isDone(c.Closed()) || c.State() == imap.ConnStateLogout
		if err != nil && broken {
			err = brokenErr(cn, err)
		}
	}()
	if caps := c.Caps(); !caps.Has(imap.CapIdle) && !caps.Has(imap.CapIMAP4rev2) {
		return false, ErrNoIdle
	}
	for {
		if err := s.syncInbox(ctx, cn); err != nil {
			return healthy, err
		}
		if s.opts.WatchSynced != nil {
			s.opts.WatchSynced()
		}
		// A change announced during the sync (mail that arrived after its
		// SELECT) may be missing from it: such a signal stays, so IDLE
		// ends at once and INBOX is synced again.
		if err := s.idle(ctx, cn, changed); err != nil {
			return true, err
		}
		healthy = true
	}
}

func (s *Syncer) syncInbox(ctx context.Context, cn *conn) error {
	unlock, err := s.lockFolder(ctx, "INBOX")
	if err != nil {
		return err
	}
	defer unlock()
	return s.syncFolder(ctx, cn, "INBOX")
}

// idle runs IDLE, re-issued every IdleRestart, until changed fires (nil), ctx
// is done or the connection fails. The connection is idle for its stall
// guard while IDLE runs and busy while IDLE starts and ends: a server that
// died meanwhile is found when IDLE is re-issued, by the missing reply.
func (s *Syncer) idle(ctx context.Context, cn *conn, changed <-chan struct{}) error {
	c := cn.c
	for {
		cmd, err := c.Idle()
		if err != nil {
			return fmt.Errorf("start IDLE: %w", err)
		}
		cn.link.Idle()
		if s.opts.Idling != nil {
			s.opts.Idling()
		}
		t := time.NewTimer(s.opts.IdleRestart)
		var reason error
		restart := false
		select {
		case <-changed:
		case <-t.C:
			restart = true
		case <-ctx.Done():
			reason = ctx.Err()
		case <-c.Closed():
			reason = ErrConnectionLost
		}
		t.Stop()
		cn.link.Busy()
		if reason != nil {
			return reason
		}
		if err := cmd.Close(); err != nil {
			return fmt.Errorf("stop IDLE: %w", err)
		}
		if err := cmd.Wait(); err != nil {
			return fmt.Errorf("IDLE: %w", err)
		}
		if !restart {
			return nil
		}
	}
}
