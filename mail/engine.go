package mail

import (
	"errors"
	"sync"

	"github.com/sealpost/sealpost/mail/backend"
)

// ErrProfileLocked means an operation needs the unlocked profile.
var ErrProfileLocked = errors.New("the profile is locked: unlock it with your passphrase")

// Engine is what the desktop app talks to: one profile folder, locked or
// unlocked. Its methods are safe to call from any goroutine; the UI calls
// them off the UI goroutine because unlocking takes a noticeable moment.
type Engine struct {
	dir  string
	opts *ProfileOptions

	mu      sync.Mutex
	profile *Profile
}

// NewEngine returns an engine for the profile in dir, locked.
func NewEngine(dir string, opts *ProfileOptions) *Engine {
	return &Engine{dir: dir, opts: opts}
}

// ProfileDir is the folder of the engine's profile.
func (e *Engine) ProfileDir() string { return e.dir }

// ProfileExists reports whether the profile has been created.
func (e *Engine) ProfileExists() bool { return ProfileExists(e.dir) }

// CreateProfile creates the profile and leaves it unlocked.
func (e *Engine) CreateProfile(passphrase []byte) error {
	p, err := CreateProfile(e.dir, passphrase, e.opts)
	if err != nil {
		return err
	}
	e.swap(p)
	return nil
}

// Unlock opens the profile with passphrase.
func (e *Engine) Unlock(passphrase []byte) error {
	p, err := OpenProfile(e.dir, passphrase, e.opts)
	if err != nil {
		return err
	}
	e.swap(p)
	return nil
}

// Lock closes the profile; decrypted state held by the engine is dropped.
func (e *Engine) Lock() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.profile == nil {
		return nil
	}
	err := e.profile.Close()
	e.profile = nil
	return err
}

// ListKeys lists own and contacts' keys of the unlocked profile.
func (e *Engine) ListKeys() ([]KeyInfo, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.profile == nil {
		return nil, ErrProfileLocked
	}
	return e.profile.ListKeys()
}

func (e *Engine) swap(p *Profile) {
	e.mu.Lock()
	old := e.profile
	e.profile = p
	e.mu.Unlock()
	if old != nil {
		old.Close()
	}
}

// The engine is the desktop app's backend.
var _ backend.Backend = (*Engine)(nil)
