//go:build linux

package syncbench

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"github.com/sealpost/sealpost/mail"
	"github.com/sealpost/sealpost/mail/backend"
)

// sessionOnlineTimeout bounds the wait for a session to come online.
const sessionOnlineTimeout = 2 * time.Minute

// childSync returns how the child syncs in mode, and what ends it:
//
//   - modeSync: Syncer.Sync as `sealpost sync` runs it, which indexes what
//     it stores;
//   - modeSessionResync: an engine whose sessions run (as in the app), once
//     its account is online and one sync through it has run, a sync
//     through it: a resync on the session's logged-in connection.
func childSync(req childRequest) (run func(context.Context, mail.SyncRequest) error, closeRun func(), err error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(req.CAPEM) {
		return nil, nil, errors.New("the test CA is not PEM")
	}
	if req.Mode != modeSessionResync {
		p, err := openProfile(req.Dir, req.CAPEM)
		if err != nil {
			return nil, nil, err
		}
		return p.Syncer().Sync, func() { p.Close() }, nil
	}
	e := mail.NewEngine(req.Dir, &mail.ProfileOptions{RootCAs: pool, Sessions: &mail.SessionOptions{CheckInterval: time.Hour}})
	ctx, cancel := context.WithTimeout(context.Background(), sessionOnlineTimeout)
	defer cancel()
	events := e.Subscribe(ctx)
	if err := e.Unlock(ctx, benchPassphrase); err != nil {
		return nil, nil, fmt.Errorf("unlock: %w", err)
	}
	closeRun = func() { e.Lock() }
	for ev := range events {
		if ev.Kind == backend.EventConnection && ev.State == backend.ConnOnline {
			break
		}
		if ev.Kind == backend.EventError || (ev.Kind == backend.EventConnection && ev.State == backend.ConnOffline) {
			closeRun()
			return nil, nil, fmt.Errorf("session: %s", ev.Message)
		}
	}
	if err := ctx.Err(); err != nil {
		closeRun()
		return nil, nil, fmt.Errorf("session never came online: %w", err)
	}
	run = func(ctx context.Context, _ mail.SyncRequest) error {
		return e.SyncWith(ctx, "", backend.SyncOptions{}, nil)
	}
	if err := run(ctx, mail.SyncRequest{}); err != nil {
		closeRun()
		return nil, nil, fmt.Errorf("first sync in the session: %w", err)
	}
	return run, closeRun, nil
}
