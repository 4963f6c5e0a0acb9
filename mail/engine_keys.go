package mail

import (
	"context"

	"github.com/sealpost/sealpost/mail/backend"
)

// SetDefaultKey makes the own key with fingerprint the default for the
// address of account; see Keyring.SetDefaultKey.
func (e *Engine) SetDefaultKey(ctx context.Context, fingerprint, account string) error {
	return e.with(ctx, func(p *Profile) error { return p.Keys().SetDefaultKey(fingerprint, account) })
}

// The engine lets the user choose the default key per address.
var _ backend.KeyDefaults = (*Engine)(nil)
