package mail

import "github.com/sealpost/sealpost/localstore"

// Settings are the profile's settings (sync, notifications, auto-lock),
// sealed in the store.
type Settings struct {
	store *localstore.Store
}

// Get returns the settings (the defaults when none were saved yet).
func (s *Settings) Get() (localstore.Settings, error) { return s.store.GetSettings() }

// Save stores the settings, sealed.
func (s *Settings) Save(settings localstore.Settings) error { return s.store.PutSettings(settings) }
