package mail

import (
	"context"
	"fmt"

	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail/backend"
	"github.com/sealpost/sealpost/mail/imapsync"
)

// AuditTrail reads the profile's audit trail, newest first, and verifies
// its hash chain. When an entry fails authentication the trail cannot be
// read: the result then holds no entries and the problems found.
func (e *Engine) AuditTrail(ctx context.Context) (trail backend.AuditTrail, err error) {
	err = e.with(ctx, func(p *Profile) (err error) { trail, err = p.Audit().Trail(); return err })
	return trail, err
}

// SyncWith fetches new mail of account (every account when empty) as
// opts say, then indexes what arrived for search, then sends what is due
// in the outbox (of every account, as the command line's sync does). A
// failed send does not fail the sync: progress gets a warning saying how
// many messages still wait and why.
//
// While sessions run, the sync runs on the sessions' own connections (and
// reports its events there too).
func (e *Engine) SyncWith(ctx context.Context, account string, opts backend.SyncOptions, progress func(backend.SyncProgress)) error {
	if handled, err := e.syncInSessions(ctx, account, opts.Folder, progress); handled {
		e.flushOutbox(ctx, progress)
		return err
	}
	err := e.with(ctx, func(p *Profile) error {
		req := SyncRequest{Account: account, Folder: opts.Folder, HeadersOnly: opts.HeadersOnly}
		if progress != nil {
			req.Progress = func(pr imapsync.Progress) {
				progress(backend.SyncProgress{Account: pr.Account, Folder: pr.Folder, Done: pr.Done, Total: pr.Total})
			}
			req.Warn = func(w string) { progress(backend.SyncProgress{Account: account, Warning: w}) }
		}
		return p.Syncer().Sync(ctx, req)
	})
	if err != nil {
		// The submission server may be reachable when the IMAP server is
		// not: mail waiting to go is sent all the same.
		e.flushOutbox(ctx, progress)
		return err
	}
	indexErr := e.updateSearchIndex(ctx, account, "", opts.IndexProgress)
	e.flushOutbox(ctx, progress) // mail waiting to go matters more than the index
	if indexErr != nil {
		return fmt.Errorf("mail synchronised, but indexing it for search failed: %w", indexErr)
	}
	return nil
}

// Preferences reads the settings window's choices from the profile.
func (e *Engine) Preferences(ctx context.Context) (prefs backend.Preferences, err error) {
	err = e.with(ctx, func(p *Profile) error {
		s, err := p.Settings().Get()
		prefs = backend.Preferences{AutoLockMinutes: s.AutoLockMinutes, PrivateNotifications: !s.NotificationDetails, OfflineBodies: !s.HeadersOnlySync,
			MaxMessageMB: s.MaxMessageMB, CheckMinutes: s.CheckMinutes, Theme: s.Theme, CompactList: s.CompactList,
			NoProviderLookup: s.NoProviderLookup, NoDKIMLookups: s.NoDKIMLookups}
		if len(s.ListViews) > 0 {
			prefs.ListViews = make(map[string]backend.ListView, len(s.ListViews))
			for k, v := range s.ListViews {
				prefs.ListViews[k] = backend.ListView(v)
			}
		}
		return err
	})
	return prefs, err
}

// SavePreferences stores the settings window's choices in the profile,
// keeping its other settings. The size cap applies from the next sync on;
// running sessions start over when a choice about syncing changed.
func (e *Engine) SavePreferences(ctx context.Context, prefs backend.Preferences) error {
	if prefs.MaxMessageMB < 0 {
		return fmt.Errorf("the size cap for offline messages must be 0 (the default, %d MB) or more MB, not %d",
			backend.DefaultMaxMessageMB, prefs.MaxMessageMB)
	}
	if prefs.CheckMinutes < 0 {
		return fmt.Errorf("the interval for checking folders must be 0 (the default, %d minutes) or more minutes, not %d", backend.DefaultCheckMinutes, prefs.CheckMinutes)
	}
	if prefs.Theme != "" && prefs.Theme != backend.ThemeLight && prefs.Theme != backend.ThemeDark {
		return fmt.Errorf("the theme must be %q, %q or empty (follow the desktop), not %q", backend.ThemeLight, backend.ThemeDark, prefs.Theme)
	}
	if len(prefs.ListViews) > backend.MaxListViews {
		return fmt.Errorf("the list orders of at most %d folders are kept, not %d", backend.MaxListViews, len(prefs.ListViews))
	}
	syncChanged := false
	err := e.with(ctx, func(p *Profile) error {
		s, err := p.Settings().Get()
		if err != nil {
			return err
		}
		old := s
		s.AutoLockMinutes, s.NotificationDetails, s.HeadersOnlySync = prefs.AutoLockMinutes, !prefs.PrivateNotifications, !prefs.OfflineBodies
		s.MaxMessageMB, s.CheckMinutes, s.Theme = prefs.MaxMessageMB, prefs.CheckMinutes, prefs.Theme
		s.NoProviderLookup, s.NoDKIMLookups = prefs.NoProviderLookup, prefs.NoDKIMLookups
		s.CompactList, s.ListViews = prefs.CompactList, nil
		if len(prefs.ListViews) > 0 {
			s.ListViews = make(map[string]localstore.ListView, len(prefs.ListViews))
			for k, v := range prefs.ListViews {
				s.ListViews[k] = localstore.ListView(v)
			}
		}
		syncChanged = old.HeadersOnlySync != s.HeadersOnlySync || old.MaxMessageMB != s.MaxMessageMB || old.CheckMinutes != s.CheckMinutes
		return p.Settings().Save(s)
	})
	if err == nil && syncChanged {
		e.restartSessions()
	}
	return err
}

// The engine offers the optional settings interface.
var _ backend.Settings = (*Engine)(nil)
