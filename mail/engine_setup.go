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
// back as a *backend.CertificateError, one for each server (joined), and
// only the certificates in a.Trust are pinned, each for its own server.
func (e *Engine) AddAccount(ctx context.Context, a backend.NewAccount) (backend.AddedAccount, error) {
	return e.addAccount(ctx, AccountSettings{
		Email: a.Email, Name: a.Name, Secret: a.Password, TrustServers: trustedPins(a.Trust),
		IMAP: a.IMAP, SMTP: a.SMTP,
	})
}

// addAccount adds an account with settings and starts its session.
func (e *Engine) addAccount(ctx context.Context, settings AccountSettings) (added backend.AddedAccount, err error) {
	err = e.with(ctx, func(p *Profile) error {
		info, err := p.Accounts().Add(ctx, settings, nil)
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

// asBackendCertError returns the certificates in err that did not verify
// as *backend.CertificateError values, joined when there are several (the
// IMAP and the SMTP server's), else err itself.
func asBackendCertError(err error) error {
	found := backend.FindAll[*transport.CertificateError](err)
	if len(found) == 0 {
		return err
	}
	certErrs := make([]error, len(found))
	for i, c := range found {
		certErrs[i] = &backend.CertificateError{
			Host: c.Host, Port: c.Port, SHA256: c.SHA256,
			Subject: c.Subject, Issuer: c.Issuer, NotBefore: c.NotBefore, NotAfter: c.NotAfter,
			Changed: errors.Is(c, transport.ErrPinMismatch), Reason: fmt.Sprint(c.Reason),
		}
	}
	if len(certErrs) == 1 {
		return certErrs[0]
	}
	return errors.Join(certErrs...)
}

// trustedPins are the certificates the user trusted, each for its server.
func trustedPins(trust []backend.TrustedCert) []transport.Pin {
	pins := make([]transport.Pin, len(trust))
	for i, t := range trust {
		pins[i] = transport.Pin{Host: t.Host, Port: t.Port, SHA256: t.SHA256}
	}
	return pins
}

// addedAccount says, in the backend's terms, how info was set up and how
// its test logins were secured.
func addedAccount(info AccountInfo) backend.AddedAccount {
	added := backend.AddedAccount{
		Email: info.Email, IMAP: info.IMAP, SMTP: info.SMTP,
		Discovery: info.Discovery, DiscoveryDetail: info.DiscoveryDetail, Notes: info.Notes,
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
