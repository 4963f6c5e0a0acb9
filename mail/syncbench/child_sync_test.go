package syncbench

import (
	"context"

	"github.com/sealpost/sealpost/mail"
)

// childSync returns how the child syncs in mode, and what ends it: as
// `sealpost sync` does, a sync of the folder, then indexing what arrived.
// There is no session yet that keeps a connection between syncs, so the
// session resync reconnects like every other.
func childSync(p *mail.Profile, mode string) (run func(context.Context, mail.SyncRequest) error, closeRun func(), err error) {
	return func(ctx context.Context, req mail.SyncRequest) error {
		if err := p.Sync(ctx, req); err != nil {
			return err
		}
		return p.UpdateSearchIndex(ctx, "", nil)
	}, func() {}, nil
}
