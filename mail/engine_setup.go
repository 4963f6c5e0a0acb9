package mail

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/sealpost/sealpost/crypto"
	"github.com/sealpost/sealpost/mail/backend"
	"github.com/sealpost/sealpost/mail/transport"
)

// AddAccount sets up an account as Accounts.Add does and reports how
// each test login was secured. A certificate that does not verify comes
// back as a *backend.CertificateError.
func (e *Engine) AddAccount(ctx context.Context, a backend.NewAccount) (added backend.AddedAccount, err error) {
	err = e.with(ctx, func(p *Profile) error {
		info, err := p.Accounts().Add(ctx, AccountSettings{
			Email: a.Email, Name: a.Name, Secret: a.Password, TrustCert: a.TrustCert,
			IMAP: a.IMAP, SMTP: a.SMTP,
		}, nil)
		if err != nil {
			return asBackendCertError(err)
		}
		added = addedAccount(info)
		return nil
	})
	if err == nil {
		e.accountsChanged(added.Email, true)
	}
	return added, err
}

// asBackendCertError returns err as a *backend.CertificateError when it is
// a certificate that does not verify, else err itself.
func asBackendCertError(err error) error {
	var certErr *transport.CertificateError
	if !errors.As(err, &certErr) {
		return err
	}
	return &backend.CertificateError{
		Host: certErr.Host, Port: certErr.Port, SHA256: certErr.SHA256,
		Subject: certErr.Subject, Issuer: certErr.Issuer, NotBefore: certErr.NotBefore, NotAfter: certErr.NotAfter,
		Changed: errors.Is(certErr, transport.ErrPinMismatch), Reason: fmt.Sprint(certErr.Reason),
	}
}

// addedAccount says, in the backend's terms, how info was set up and how
// its test logins were secured.
func addedAccount(info AccountInfo) backend.AddedAccount {
	added := backend.AddedAccount{
		Email: info.Email, IMAP: info.IMAP, SMTP: info.SMTP,
		Discovery: info.Discovery, Notes: info.Notes,
	}
	for _, c := range info.Tested {
		added.Tested = append(added.Tested, backend.Transport{
			Server: c.Server.String(), Version: c.Version, CipherSuite: c.CipherSuite, CertSHA256: c.CertSHA256, Pinned: c.Pinned,
		})
	}
	return added
}

// GenerateKey creates an own key for name and email.
func (e *Engine) GenerateKey(ctx context.Context, name, email, algorithm string) (key KeyInfo, err error) {
	algo := map[string]crypto.Algorithm{
		backend.AlgorithmCurve25519: crypto.AlgoCurve25519, backend.AlgorithmRSA4096: crypto.AlgoRSA4096,
	}[algorithm]
	if algo == "" {
		return KeyInfo{}, fmt.Errorf("unknown key algorithm %q: choose %s or %s", algorithm, backend.AlgorithmCurve25519, backend.AlgorithmRSA4096)
	}
	err = e.with(ctx, func(p *Profile) error { key, err = p.Keys().GenerateKey(name, email, algo, 0); return err })
	return key, err
}

// ExportPublicKey returns the armored public key with fingerprint.
func (e *Engine) ExportPublicKey(ctx context.Context, fingerprint string) (armored string, err error) {
	err = e.with(ctx, func(p *Profile) error { armored, err = p.Keys().ExportPublic(fingerprint); return err })
	return armored, err
}

// BackupSecretKey returns an own secret key protected with passphrase; the
// export is recorded in the audit trail.
func (e *Engine) BackupSecretKey(ctx context.Context, fingerprint string, passphrase []byte) (armored string, err error) {
	err = e.with(ctx, func(p *Profile) error { armored, err = p.Keys().ExportSecret(fingerprint, passphrase); return err })
	return armored, err
}

// RevokeKey revokes an own key and returns the revoked public key.
func (e *Engine) RevokeKey(ctx context.Context, fingerprint, reason string) (armored string, err error) {
	err = e.with(ctx, func(p *Profile) error { armored, err = p.Keys().RevokeKey(fingerprint, reason); return err })
	return armored, err
}

// LookupKeys asks the Web Key Directory of address's domain, then
// keys.openpgp.org, for its keys and imports nothing.
func (e *Engine) LookupKeys(ctx context.Context, address string) (found backend.KeyLookup, err error) {
	err = e.with(ctx, func(p *Profile) error {
		res, source, err := p.Keys().LookupKeys(ctx, address, nil, false)
		if err != nil {
			return err
		}
		found.Source = source
		for _, r := range res {
			found.Keys = append(found.Keys, r.Key)
		}
		return nil
	})
	return found, err
}

// ImportLookedUpKeys imports the keys of address that the user confirmed.
// It looks them up again first and imports only when exactly the confirmed
// fingerprints come back.
func (e *Engine) ImportLookedUpKeys(ctx context.Context, address string, fingerprints []string) (keys []KeyInfo, err error) {
	err = e.with(ctx, func(p *Profile) error {
		again, _, err := p.Keys().LookupKeys(ctx, address, nil, false)
		if err != nil {
			return err
		}
		if !sameFingerprints(again, fingerprints) {
			return fmt.Errorf("%w: nothing was imported; look the address up again", backend.ErrLookupChanged)
		}
		res, _, err := p.Keys().LookupKeys(ctx, address, nil, true)
		for _, r := range res {
			keys = append(keys, r.Key)
		}
		if err != nil {
			return err
		}
		if !sameFingerprints(res, fingerprints) {
			return fmt.Errorf("%w (the keys just imported are listed unverified in the key manager)", backend.ErrLookupChanged)
		}
		return nil
	})
	return keys, err
}

// ImportSecretKey imports own secret keys, unlocking protected ones with
// passphrase. Public keys in data are imported as contacts' keys.
func (e *Engine) ImportSecretKey(ctx context.Context, data, passphrase []byte) (keys []KeyInfo, err error) {
	err = e.with(ctx, func(p *Profile) error {
		res, err := p.Keys().ImportKeys(data, func(string, []string) ([]byte, error) {
			if len(passphrase) == 0 {
				return nil, ErrKeyPassphraseNeeded
			}
			return passphrase, nil
		})
		for _, r := range res {
			keys = append(keys, r.Key)
		}
		return err
	})
	return keys, err
}

func sameFingerprints(res []ImportResult, want []string) bool {
	got := make([]string, len(res))
	for i, r := range res {
		got[i] = r.Key.Fingerprint
	}
	want = slices.Clone(want)
	slices.Sort(got)
	slices.Sort(want)
	return slices.Equal(got, want)
}

// The engine can set up accounts and keys.
var _ backend.Setup = (*Engine)(nil)
