package mail

import (
	"context"

	"github.com/sealpost/sealpost/mail/backend"
)

// AccountDetails returns how the account with address email is set up,
// without its password.
func (e *Engine) AccountDetails(ctx context.Context, email string) (d backend.AccountDetails, err error) {
	err = e.with(ctx, func(p *Profile) error {
		info, err := p.Accounts().Info(email)
		d = info.AccountDetails
		return err
	})
	return d, err
}

// UpdateAccount changes an account as Accounts.Update does: a.Name
// always replaces the display name, servers with an empty Host and an empty
// password stay as they are. A certificate that does not verify comes back
// as a *backend.CertificateError.
func (e *Engine) UpdateAccount(ctx context.Context, a backend.NewAccount) (updated backend.AddedAccount, err error) {
	err = e.with(ctx, func(p *Profile) error {
		info, err := p.Accounts().Update(ctx, AccountChange{
			Email: a.Email, Name: &a.Name, IMAP: a.IMAP, SMTP: a.SMTP, Secret: a.Password, TrustServers: trustedPins(a.Trust),
			SwitchToPassword: a.SwitchToPassword, ProviderDomain: a.ProviderDomain,
		})
		if err != nil {
			return asBackendCertError(err)
		}
		updated = addedAccount(info)
		return nil
	})
	if err == nil {
		e.accountsChanged(updated.Email, true)
	}
	return updated, err
}

// RemoveAccount deletes an account and its local mail, search index and
// drafts; it fails with backend.ErrAccountHasOutbox while its messages wait
// in the outbox.
//
// The account's session is stopped first, so nothing writes its records
// while they are removed; it starts again if the removal is refused.
func (e *Engine) RemoveAccount(ctx context.Context, email string) error {
	e.accountsChanged(email, false)
	err := e.with(ctx, func(p *Profile) error { return p.Accounts().Remove(email) })
	if err != nil {
		e.accountsChanged(email, true)
	}
	return err
}

// The engine can change and remove accounts.
var _ backend.AccountSettings = (*Engine)(nil)
