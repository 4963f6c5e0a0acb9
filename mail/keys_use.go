package mail

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/sealpost/sealpost/crypto"
)

// The keyring's keys put to use: which key signs for an address, which one
// encrypts to it, and the keys that decrypt and verify incoming mail.

// signingKey loads the default own key for address (else a usable one).
func (kr *Keyring) signingKey(address string, now time.Time) (*crypto.Key, error) {
	owns, err := kr.store.OwnKeys().List()
	if err != nil {
		return nil, err
	}
	sort.SliceStable(owns, func(i, j int) bool { return owns[i].Default && !owns[j].Default })
	for _, rec := range owns {
		if !containsFold(emailsOf(rec.UserIDs), address) {
			continue
		}
		key, err := kr.parseOwn(rec)
		if err != nil {
			return nil, err
		}
		if key.CanSign(now) == nil && key.CanEncrypt(now) == nil {
			return key, nil
		}
		key.ClearPrivate()
	}
	return nil, fmt.Errorf("%s: %w", address, ErrNoOwnKey)
}

// encryptionKeyFor returns the key to encrypt to email: its own key when it
// is one of the user's addresses, else a usable contact key, verified ones
// first, then the newest; nil when there is none.
func (kr *Keyring) encryptionKeyFor(email string, now time.Time) (*crypto.Key, error) {
	if own, err := kr.signingKey(email, now); err == nil {
		defer own.ClearPrivate()
		return own.Public(), nil
	} else if !errors.Is(err, ErrNoOwnKey) {
		return nil, err
	}
	contacts, err := kr.store.ContactKeys().ByEmail(email)
	if err != nil {
		return nil, err
	}
	sort.SliceStable(contacts, func(i, j int) bool {
		vi, vj := contacts[i].Verification == VerificationVerified, contacts[j].Verification == VerificationVerified
		if vi != vj {
			return vi
		}
		return contacts[i].CreatedAt.After(contacts[j].CreatedAt)
	})
	for _, c := range contacts {
		keys, err := kr.parsePublic(c.PublicKey)
		if err != nil || len(keys) != 1 {
			return nil, fmt.Errorf("stored key %s is unreadable: %w", c.Fingerprint, err)
		}
		if keys[0].CanEncrypt(now) == nil {
			return keys[0], nil
		}
	}
	return nil, nil
}

// verifierKeys loads every contact key, to verify incoming signatures with
// (own keys are verifiers too: they come with ownSecretKeys).
func (kr *Keyring) verifierKeys() ([]*crypto.Key, error) {
	var out []*crypto.Key
	contacts, err := kr.store.ContactKeys().List()
	if err != nil {
		return nil, err
	}
	for _, c := range contacts {
		keys, err := kr.parsePublic(c.PublicKey)
		if err != nil {
			return nil, fmt.Errorf("stored key %s is unreadable: %w", c.Fingerprint, err)
		}
		out = append(out, keys...)
	}
	return out, nil
}

// ownSecretKeys loads every own key, for decryption. The caller clears them.
func (kr *Keyring) ownSecretKeys() ([]*crypto.Key, error) {
	owns, err := kr.store.OwnKeys().List()
	if err != nil {
		return nil, err
	}
	var out []*crypto.Key
	for _, rec := range owns {
		key, err := kr.parseOwn(rec)
		if err != nil {
			return nil, err
		}
		out = append(out, key)
	}
	return out, nil
}
