package backend

import "context"

// KeyDefaults is what a backend may offer beyond Backend to choose which own
// key is the default for an address: the key that signs its mail and that
// its mail is encrypted to for the sender's own copy. It is optional: the
// key manager offers the choice only when the backend implements it.
type KeyDefaults interface {
	// SetDefaultKey makes the own key with fingerprint the default for the
	// address of account. The key must carry that address and be usable;
	// the previous default for the address stops being one.
	SetDefaultKey(ctx context.Context, fingerprint, account string) error
}
