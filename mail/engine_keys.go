package mail

import "github.com/sealpost/sealpost/mail/backend"

// SetDefaultKey makes the own key with fingerprint the default for the
// address of account; see Keyring.SetDefaultKey.
func (e *Engine) SetDefaultKey(fingerprint, account string) error {
	return e.with(func(p *Profile) error { return p.Keys().SetDefaultKey(fingerprint, account) })
}

// The engine lets the user choose the default key per address.
var _ backend.KeyDefaults = (*Engine)(nil)
