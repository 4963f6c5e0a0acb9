package mail

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/sealpost/sealpost/crypto"
	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail/backend"
	"github.com/sealpost/sealpost/mail/keylookup"
)

// Verification levels, as in the backend package.
const (
	VerificationOwn        = backend.VerificationOwn
	VerificationVerified   = backend.VerificationVerified
	VerificationUnverified = backend.VerificationUnverified
)

// Key sources recorded with a contact's key.
const (
	SourceGenerated = "generated"
	SourceImport    = "import"
)

var (
	// ErrKeyNotFound means no key in the profile matches what was asked for.
	ErrKeyNotFound = errors.New("no such key in this profile")
	// ErrBadFingerprint means a fingerprint was not written as 40 or 64 hex digits.
	ErrBadFingerprint = errors.New("a fingerprint is 40 (or 64) hexadecimal digits")
	// ErrOwnKeyNeedsConfirmation guards the deletion of an own secret key.
	ErrOwnKeyNeedsConfirmation = errors.New("this is one of your own secret keys: deleting it makes mail encrypted to it unreadable")
	// ErrKeyPassphraseNeeded means an imported secret key is protected and no passphrase was supplied.
	ErrKeyPassphraseNeeded = errors.New("the secret key is protected by a passphrase")
	// ErrKeyLacksAddress means a key cannot be the default for an address
	// that none of its user IDs carries.
	ErrKeyLacksAddress = errors.New("the key does not carry this address: add a user ID with it or choose another key")
	// ErrKeyNotUsable means a revoked or expired key, or one that cannot
	// both sign and encrypt, was chosen for a job it cannot do.
	ErrKeyNotUsable = errors.New("the key cannot sign and encrypt now")
)

// AuditKeyDefault records which own key became the default for an address.
const AuditKeyDefault = "key.default"

// Keyring is the profile's keys: the user's own key pairs and contacts'
// public keys, sealed in the store, with a cache of parsed public keys. It
// does no network I/O of its own (LookupKeys is given its client). The
// profile makes one (see Profile.Keys).
type Keyring struct {
	store *localstore.Store
	now   func() time.Time

	parsedMu sync.Mutex
	parsed   map[[32]byte][]*crypto.Key // parsed public keys by SHA-256 of their stored bytes
}

// KeyInfo describes one key in the profile; see backend.KeyInfo.
type KeyInfo = backend.KeyInfo

// ImportResult says what importing one key did.
type ImportResult struct {
	Key KeyInfo
	// Status is "new", "updated" or "unchanged".
	Status   string
	Warnings []string
}

// KeyPassphraseFunc supplies the passphrase of a protected secret key being
// imported; fingerprint and user IDs say which key it is for.
type KeyPassphraseFunc func(fingerprint string, userIDs []string) ([]byte, error)

// NormalizeFingerprint accepts a fingerprint with spaces, colons or a 0x
// prefix and returns it as upper-case hexadecimal.
func NormalizeFingerprint(s string) (string, error) {
	s = strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(s), "0x"), "0X")
	s = strings.ToUpper(strings.NewReplacer(" ", "", ":", "", "\t", "").Replace(s))
	if len(s) != 40 && len(s) != 64 {
		return "", fmt.Errorf("%q: %w", s, ErrBadFingerprint)
	}
	for _, r := range s {
		if !strings.ContainsRune("0123456789ABCDEF", r) {
			return "", fmt.Errorf("%q: %w", s, ErrBadFingerprint)
		}
	}
	return s, nil
}

// GenerateKey creates an own key for name and email and stores it sealed.
// The first own key for an address becomes that address's default.
func (kr *Keyring) GenerateKey(name, email string, algo crypto.Algorithm, lifetime time.Duration) (KeyInfo, error) {
	key, err := crypto.GenerateKey(crypto.GenerateOptions{
		Name: name, Email: email, Algorithm: algo, Lifetime: lifetime, Now: kr.now(),
	})
	if err != nil {
		return KeyInfo{}, err
	}
	defer key.ClearPrivate()
	own, err := kr.ownKeyRecord(key)
	if err != nil {
		return KeyInfo{}, err
	}
	if own.Default, err = kr.noDefaultFor(key.Emails()); err != nil {
		return KeyInfo{}, err
	}
	note := auditNote(AuditKeyGenerated, own.Fingerprint, fmt.Sprintf("%s key for %s", own.Algorithm, strings.Join(own.UserIDs, ", ")))
	if err := kr.store.OwnKeys().Put(own, note); err != nil {
		return KeyInfo{}, fmt.Errorf("store the new key: %w", err)
	}
	return kr.ownInfo(own), nil
}

// ImportKeys imports every key in data (armored or binary, public or
// secret). Secret keys become own keys; public keys become contacts' keys,
// unverified until the user compares fingerprints. A key that replaces
// another for the same address is imported with a warning, never silently.
func (kr *Keyring) ImportKeys(data []byte, passphrase KeyPassphraseFunc) ([]ImportResult, error) {
	keys, err := crypto.ParseKeys(data)
	if err != nil {
		return nil, err
	}
	results := make([]ImportResult, 0, len(keys))
	for _, key := range keys {
		var res ImportResult
		if key.IsSecret() {
			res, err = kr.importSecret(key, passphrase)
		} else {
			res, err = kr.importPublic(key, SourceImport)
		}
		key.ClearPrivate()
		if err != nil {
			return results, fmt.Errorf("import key %s: %w", key.Fingerprint(), err)
		}
		results = append(results, res)
	}
	return results, nil
}

func (kr *Keyring) importSecret(key *crypto.Key, passphrase KeyPassphraseFunc) (ImportResult, error) {
	if key.IsLocked() {
		if passphrase == nil {
			return ImportResult{}, ErrKeyPassphraseNeeded
		}
		pass, err := passphrase(key.Fingerprint(), key.UserIDs())
		if err != nil {
			return ImportResult{}, err
		}
		if err := crypto.UnlockKey(key, pass); err != nil {
			return ImportResult{}, err
		}
	}
	status := "new"
	existing, err := kr.store.OwnKeys().Get(key.Fingerprint())
	switch {
	case err == nil:
		old, err := kr.parseOwn(existing)
		if err != nil {
			return ImportResult{}, err
		}
		defer old.ClearPrivate()
		if err := old.Merge(key); err != nil {
			return ImportResult{}, err
		}
		key = old
		status = "updated"
	case !errors.Is(err, localstore.ErrNotFound):
		return ImportResult{}, err
	}
	own, err := kr.ownKeyRecord(key)
	if err != nil {
		return ImportResult{}, err
	}
	if status == "updated" {
		own.Default, own.AddedAt = existing.Default, existing.AddedAt
		if sameOwnKey(existing, own) {
			return ImportResult{Key: kr.ownInfo(existing), Status: "unchanged"}, nil
		}
	} else if own.Default, err = kr.noDefaultFor(key.Emails()); err != nil {
		return ImportResult{}, err
	}
	kind := AuditKeyImported
	if status == "updated" {
		kind = AuditKeyUpdated
	}
	if err := kr.store.OwnKeys().Put(own, auditNote(kind, own.Fingerprint, "own secret key "+strings.Join(own.UserIDs, ", "))); err != nil {
		return ImportResult{}, err
	}
	// The public half may have been known as a contact's key before.
	if err := kr.store.ContactKeys().Delete(own.Fingerprint); err != nil && !errors.Is(err, localstore.ErrNotFound) {
		return ImportResult{}, err
	}
	return ImportResult{Key: kr.ownInfo(own), Status: status}, nil
}

func (kr *Keyring) importPublic(key *crypto.Key, source string) (ImportResult, error) {
	fpr := key.Fingerprint()
	// An update of one of our own keys (say, its revocation) merges into it.
	if existing, err := kr.store.OwnKeys().Get(fpr); err == nil {
		own, err := kr.parseOwn(existing)
		if err != nil {
			return ImportResult{}, err
		}
		defer own.ClearPrivate()
		if err := own.Merge(key); err != nil {
			return ImportResult{}, err
		}
		rec, err := kr.ownKeyRecord(own)
		if err != nil {
			return ImportResult{}, err
		}
		rec.Default, rec.AddedAt = existing.Default, existing.AddedAt
		if sameOwnKey(existing, rec) {
			return ImportResult{Key: kr.ownInfo(existing), Status: "unchanged"}, nil
		}
		if err := kr.store.OwnKeys().Put(rec, auditNote(AuditKeyUpdated, fpr, "public update merged into own key")); err != nil {
			return ImportResult{}, err
		}
		return ImportResult{Key: kr.ownInfo(rec), Status: "updated"}, nil
	} else if !errors.Is(err, localstore.ErrNotFound) {
		return ImportResult{}, err
	}

	now := kr.now()
	existing, err := kr.store.ContactKeys().Get(fpr)
	switch {
	case err == nil:
		old, err := crypto.ParseKeys(existing.PublicKey)
		if err != nil || len(old) != 1 {
			return ImportResult{}, fmt.Errorf("stored key %s is unreadable: %w", fpr, err)
		}
		if err := old[0].Merge(key); err != nil {
			return ImportResult{}, err
		}
		rec, err := contactRecord(old[0], existing)
		if err != nil {
			return ImportResult{}, err
		}
		if string(rec.PublicKey) == string(existing.PublicKey) {
			return ImportResult{Key: kr.contactInfo(existing), Status: "unchanged"}, nil
		}
		rec.UpdatedAt = now
		rec.History = append(rec.History, localstore.KeyEvent{At: now, Event: "updated", Detail: "merged from " + source + changeNote(existing, rec)})
		if err := kr.store.ContactKeys().Put(rec, auditNote(AuditKeyUpdated, fpr, "contact key updated from "+source)); err != nil {
			return ImportResult{}, err
		}
		return ImportResult{Key: kr.contactInfo(rec), Status: "updated"}, nil
	case !errors.Is(err, localstore.ErrNotFound):
		return ImportResult{}, err
	}

	rec, err := contactRecord(key, localstore.ContactKey{
		Source: source, Verification: VerificationUnverified, AddedAt: now, UpdatedAt: now,
	})
	if err != nil {
		return ImportResult{}, err
	}
	rec.History = []localstore.KeyEvent{{At: now, Event: "added", Detail: "imported from " + source}}
	var warnings []string
	for _, email := range rec.Emails {
		others, err := kr.store.ContactKeys().ByEmail(email)
		if err != nil {
			return ImportResult{}, err
		}
		for _, other := range others {
			if other.Fingerprint == fpr {
				continue
			}
			warnings = append(warnings, fmt.Sprintf("%s already had key %s (%s); the new key %s is unverified until you compare fingerprints",
				email, GroupFingerprint(other.Fingerprint), other.Verification, GroupFingerprint(fpr)))
		}
	}
	detail := "contact key " + strings.Join(rec.UserIDs, ", ") + " from " + source
	if len(warnings) > 0 {
		detail += "; key change: " + strings.Join(warnings, "; ")
	}
	if err := kr.store.ContactKeys().Put(rec, auditNote(AuditKeyImported, fpr, detail)); err != nil {
		return ImportResult{}, err
	}
	return ImportResult{Key: kr.contactInfo(rec), Status: "new", Warnings: warnings}, nil
}

// ListKeys returns own keys first, then contacts' keys, each group sorted by
// user ID.
func (kr *Keyring) ListKeys() ([]KeyInfo, error) {
	owns, err := kr.store.OwnKeys().List()
	if err != nil {
		return nil, err
	}
	contacts, err := kr.store.ContactKeys().List()
	if err != nil {
		return nil, err
	}
	var own, theirs []KeyInfo
	for _, k := range owns {
		own = append(own, kr.ownInfo(k))
	}
	for _, k := range contacts {
		theirs = append(theirs, kr.contactInfo(k))
	}
	sortKeys(own)
	sortKeys(theirs)
	return append(own, theirs...), nil
}

// FindKeys returns the keys whose fingerprint equals selector, or whose
// addresses include it.
func (kr *Keyring) FindKeys(selector string) ([]KeyInfo, error) {
	all, err := kr.ListKeys()
	if err != nil {
		return nil, err
	}
	fpr, fprErr := NormalizeFingerprint(selector)
	email := strings.ToLower(strings.TrimSpace(selector))
	var found []KeyInfo
	for _, k := range all {
		if (fprErr == nil && k.Fingerprint == fpr) || containsFold(k.Emails, email) {
			found = append(found, k)
		}
	}
	if len(found) == 0 {
		return nil, fmt.Errorf("%s: %w", selector, ErrKeyNotFound)
	}
	return found, nil
}

// ExportPublic returns the armored, minimal public key for selector (an
// address or a fingerprint). For an address, the default own key wins, then
// a usable own key, then a verified contact key, then any contact key.
func (kr *Keyring) ExportPublic(selector string) (string, error) {
	info, err := kr.pick(selector, false)
	if err != nil {
		return "", err
	}
	key, err := kr.loadKey(info)
	if err != nil {
		return "", err
	}
	defer key.ClearPrivate()
	return key.ArmorPublic()
}

// ExportSecret returns the own secret key for selector, armored and
// protected with exportPassphrase, and records the export in the audit trail.
func (kr *Keyring) ExportSecret(selector string, exportPassphrase []byte) (string, error) {
	info, err := kr.pick(selector, true)
	if err != nil {
		return "", err
	}
	if err := localstore.CheckPassphrase(exportPassphrase); err != nil {
		return "", err
	}
	key, err := kr.loadKey(info)
	if err != nil {
		return "", err
	}
	defer key.ClearPrivate()
	armored, err := key.ExportSecret(exportPassphrase)
	if err != nil {
		return "", err
	}
	return armored, writeAudit(kr.store, AuditKeyExported, info.Fingerprint, "secret key exported, protected by a passphrase")
}

// VerifyKey marks a contact's key as verified after the user compared its
// fingerprint out of band.
func (kr *Keyring) VerifyKey(fingerprint string) (KeyInfo, error) {
	fpr, err := NormalizeFingerprint(fingerprint)
	if err != nil {
		return KeyInfo{}, err
	}
	if own, err := kr.store.OwnKeys().Get(fpr); err == nil {
		return kr.ownInfo(own), nil
	}
	rec, err := kr.store.ContactKeys().Get(fpr)
	if errors.Is(err, localstore.ErrNotFound) {
		return KeyInfo{}, fmt.Errorf("%s: %w", GroupFingerprint(fpr), ErrKeyNotFound)
	} else if err != nil {
		return KeyInfo{}, err
	}
	if rec.Verification == VerificationVerified {
		return kr.contactInfo(rec), nil
	}
	now := kr.now()
	rec.Verification = VerificationVerified
	rec.UpdatedAt = now
	rec.History = append(rec.History, localstore.KeyEvent{At: now, Event: "verified", Detail: "fingerprint compared by the user"})
	if err := kr.store.ContactKeys().Put(rec, auditNote(AuditKeyVerified, fpr, "fingerprint verified for "+strings.Join(rec.Emails, ", "))); err != nil {
		return KeyInfo{}, err
	}
	return kr.contactInfo(rec), nil
}

// DeleteKey removes a key. Deleting an own secret key needs force, because
// mail encrypted to it becomes unreadable.
func (kr *Keyring) DeleteKey(fingerprint string, force bool) error {
	fpr, err := NormalizeFingerprint(fingerprint)
	if err != nil {
		return err
	}
	if own, err := kr.store.OwnKeys().Get(fpr); err == nil {
		if !force {
			return ErrOwnKeyNeedsConfirmation
		}
		return kr.store.OwnKeys().Delete(fpr, auditNote(AuditKeyDeleted, fpr, "own secret key deleted: "+strings.Join(own.UserIDs, ", ")))
	} else if !errors.Is(err, localstore.ErrNotFound) {
		return err
	}
	rec, err := kr.store.ContactKeys().Get(fpr)
	if errors.Is(err, localstore.ErrNotFound) {
		return fmt.Errorf("%s: %w", GroupFingerprint(fpr), ErrKeyNotFound)
	} else if err != nil {
		return err
	}
	return kr.store.ContactKeys().Delete(fpr, auditNote(AuditKeyDeleted, fpr, "contact key deleted: "+strings.Join(rec.UserIDs, ", ")))
}

// RevokeKey revokes an own key and returns the armored revoked public key,
// which the user should send to their contacts.
func (kr *Keyring) RevokeKey(fingerprint, reason string) (string, error) {
	fpr, err := NormalizeFingerprint(fingerprint)
	if err != nil {
		return "", err
	}
	rec, err := kr.store.OwnKeys().Get(fpr)
	if errors.Is(err, localstore.ErrNotFound) {
		return "", fmt.Errorf("%s is not one of your own keys: %w", GroupFingerprint(fpr), ErrKeyNotFound)
	} else if err != nil {
		return "", err
	}
	key, err := kr.parseOwn(rec)
	if err != nil {
		return "", err
	}
	defer key.ClearPrivate()
	if err := key.Revoke(reason, kr.now()); err != nil {
		return "", err
	}
	updated, err := kr.ownKeyRecord(key)
	if err != nil {
		return "", err
	}
	updated.Default, updated.AddedAt = false, rec.AddedAt
	if err := kr.store.OwnKeys().Put(updated, auditNote(AuditKeyRevoked, fpr, "own key revoked: "+reason)); err != nil {
		return "", err
	}
	return key.ArmorPublic()
}

// SetDefaultKey makes the own key with fingerprint the default for email:
// the key that signs mail from that address and that the sender's own copy
// is encrypted to. The key must carry email and be able to sign and
// encrypt now; otherwise nothing changes.
//
// The store keeps one default flag per key, so the key becomes the default
// for every address it carries: any other own key that was the default for
// one of them stops being a default (addresses left without a default fall
// back to a usable key that carries them). The change is recorded in the
// audit trail.
func (kr *Keyring) SetDefaultKey(fingerprint, email string) error {
	fpr, err := NormalizeFingerprint(fingerprint)
	if err != nil {
		return err
	}
	email = strings.ToLower(strings.TrimSpace(email))
	rec, err := kr.store.OwnKeys().Get(fpr)
	if errors.Is(err, localstore.ErrNotFound) {
		return fmt.Errorf("%s is not one of your own keys: %w", GroupFingerprint(fpr), ErrKeyNotFound)
	} else if err != nil {
		return err
	}
	emails := emailsOf(rec.UserIDs)
	if !containsFold(emails, email) {
		return fmt.Errorf("key %s carries %s, not %s: %w", GroupFingerprint(fpr), strings.Join(emails, ", "), email, ErrKeyLacksAddress)
	}
	if err := kr.checkSignAndEncrypt(rec); err != nil {
		return fmt.Errorf("key %s cannot be the default for %s: %w", GroupFingerprint(fpr), email, err)
	}
	owns, err := kr.store.OwnKeys().List()
	if err != nil {
		return err
	}
	var changed []localstore.OwnKey
	var previous []string
	for _, other := range owns {
		if other.Fingerprint == fpr || !other.Default || !sharesAddress(emailsOf(other.UserIDs), emails) {
			continue
		}
		other.Default = false
		changed = append(changed, other)
		previous = append(previous, GroupFingerprint(other.Fingerprint))
	}
	if rec.Default && len(previous) == 0 {
		return nil // already the only default for its addresses
	}
	detail := "default own key for " + strings.Join(emails, ", ") + ", chosen for " + email
	if len(previous) > 0 {
		detail += "; was " + strings.Join(previous, ", ")
	}
	rec.Default = true
	// The old defaults, the new one and the audit note in one transaction.
	if err := kr.store.OwnKeys().PutAll(append(changed, rec), auditNote(AuditKeyDefault, fpr, detail)); err != nil {
		return fmt.Errorf("store the default key: %w", err)
	}
	return nil
}

// checkSignAndEncrypt reports why an own key cannot sign and encrypt now,
// or nil when it can: signingKey skips a default that fails this test.
func (kr *Keyring) checkSignAndEncrypt(rec localstore.OwnKey) error {
	if why := kr.ownInfo(rec).Usable; why != "" {
		return fmt.Errorf("it is %s: %w", why, ErrKeyNotUsable)
	}
	key, err := kr.parseOwn(rec)
	if err != nil {
		return err
	}
	defer key.ClearPrivate()
	now := kr.now()
	if err := key.CanSign(now); err != nil {
		return fmt.Errorf("%w: %w", ErrKeyNotUsable, err)
	}
	if err := key.CanEncrypt(now); err != nil {
		return fmt.Errorf("%w: %w", ErrKeyNotUsable, err)
	}
	return nil
}

func sharesAddress(a, b []string) bool {
	for _, e := range a {
		if containsFold(b, e) {
			return true
		}
	}
	return false
}

// GroupFingerprint writes a fingerprint in groups of four for people to
// compare.
func GroupFingerprint(fpr string) string { return backend.GroupFingerprint(fpr) }

func (kr *Keyring) pick(selector string, ownOnly bool) (KeyInfo, error) {
	found, err := kr.FindKeys(selector)
	if err != nil {
		return KeyInfo{}, err
	}
	rank := func(k KeyInfo) int {
		switch {
		case k.Own && k.Default:
			return 0
		case k.Own && k.Usable == "":
			return 1
		case k.Own:
			return 2
		case k.Verification == VerificationVerified:
			return 3
		default:
			return 4
		}
	}
	sort.SliceStable(found, func(i, j int) bool { return rank(found[i]) < rank(found[j]) })
	if ownOnly && !found[0].Own {
		return KeyInfo{}, fmt.Errorf("%s: no own secret key: %w", selector, ErrKeyNotFound)
	}
	return found[0], nil
}

func (kr *Keyring) loadKey(info KeyInfo) (*crypto.Key, error) {
	if info.Own {
		rec, err := kr.store.OwnKeys().Get(info.Fingerprint)
		if err != nil {
			return nil, err
		}
		return kr.parseOwn(rec)
	}
	rec, err := kr.store.ContactKeys().Get(info.Fingerprint)
	if err != nil {
		return nil, err
	}
	keys, err := crypto.ParseKeys(rec.PublicKey)
	if err != nil || len(keys) != 1 {
		return nil, fmt.Errorf("stored key %s is unreadable: %w", info.Fingerprint, err)
	}
	return keys[0], nil
}

func (kr *Keyring) parseOwn(rec localstore.OwnKey) (*crypto.Key, error) {
	keys, err := crypto.ParseKeys(rec.SecretKey)
	if err != nil || len(keys) != 1 {
		return nil, fmt.Errorf("stored own key %s is unreadable: %w", rec.Fingerprint, err)
	}
	return keys[0], nil
}

func (kr *Keyring) ownKeyRecord(key *crypto.Key) (localstore.OwnKey, error) {
	secret, err := key.MarshalSecret()
	if err != nil {
		return localstore.OwnKey{}, err
	}
	return localstore.OwnKey{
		Fingerprint: key.Fingerprint(),
		SecretKey:   secret,
		UserIDs:     key.UserIDs(),
		Algorithm:   key.Algorithm(),
		CreatedAt:   key.CreatedAt(),
		ExpiresAt:   key.ExpiresAt(),
		Revoked:     key.IsRevoked(),
		AddedAt:     kr.now(),
	}, nil
}

func contactRecord(key *crypto.Key, base localstore.ContactKey) (localstore.ContactKey, error) {
	public, err := key.MarshalPublic()
	if err != nil {
		return localstore.ContactKey{}, err
	}
	base.Fingerprint = key.Fingerprint()
	base.Emails = key.Emails()
	base.UserIDs = key.UserIDs()
	base.PublicKey = public
	base.Algorithm = key.Algorithm()
	base.CreatedAt = key.CreatedAt()
	base.ExpiresAt = key.ExpiresAt()
	base.Revoked = key.IsRevoked()
	return base, nil
}

// noDefaultFor reports whether none of emails has a default own key yet.
func (kr *Keyring) noDefaultFor(emails []string) (bool, error) {
	owns, err := kr.store.OwnKeys().List()
	if err != nil {
		return false, err
	}
	for _, k := range owns {
		if !k.Default {
			continue
		}
		for _, e := range emails {
			if containsFold(emailsOf(k.UserIDs), e) {
				return false, nil
			}
		}
	}
	return true, nil
}

func (kr *Keyring) ownInfo(k localstore.OwnKey) KeyInfo {
	info := KeyInfo{
		Fingerprint: k.Fingerprint, UserIDs: k.UserIDs, Emails: emailsOf(k.UserIDs), Own: true,
		Default: k.Default, Verification: VerificationOwn, Source: SourceGenerated, Algorithm: k.Algorithm,
		CreatedAt: k.CreatedAt, ExpiresAt: k.ExpiresAt, Revoked: k.Revoked,
	}
	info.Usable = usability(info, kr.now())
	if info.Usable == "" && crypto.CouldBeWeak(k.Algorithm) { // only such keys are parsed to find out
		if key, err := kr.parseOwn(k); err == nil {
			info.Usable = weakness(key, kr.now())
			key.ClearPrivate()
		}
	}
	return info
}

func (kr *Keyring) contactInfo(k localstore.ContactKey) KeyInfo {
	info := KeyInfo{
		Fingerprint: k.Fingerprint, UserIDs: k.UserIDs, Emails: k.Emails, Verification: k.Verification,
		Source: k.Source, Algorithm: k.Algorithm, CreatedAt: k.CreatedAt, ExpiresAt: k.ExpiresAt,
		Revoked: k.Revoked, History: historyOf(k.History),
	}
	info.Usable = usability(info, kr.now())
	if info.Usable == "" && crypto.CouldBeWeak(k.Algorithm) {
		if keys, err := kr.parsePublic(k.PublicKey); err == nil && len(keys) == 1 {
			info.Usable = weakness(keys[0], kr.now())
		}
	}
	return info
}

// weakness says why a key is too weak to encrypt to ("too weak: rsa1024, at
// least 2048 bits are needed"), or "" when it is not.
func weakness(k *crypto.Key, now time.Time) string {
	if err := k.CanEncrypt(now); errors.Is(err, crypto.ErrWeakKey) {
		return "too weak: " + strings.TrimPrefix(err.Error(), crypto.ErrWeakKey.Error()+": ")
	}
	return ""
}

func historyOf(events []localstore.KeyEvent) []backend.KeyEvent {
	out := make([]backend.KeyEvent, len(events))
	for i, e := range events {
		out[i] = backend.KeyEvent{At: e.At, Event: e.Event, Detail: e.Detail}
	}
	return out
}

func usability(k KeyInfo, now time.Time) string {
	switch {
	case k.Revoked:
		return "revoked"
	case !k.ExpiresAt.IsZero() && !now.Before(k.ExpiresAt):
		return "expired"
	}
	return ""
}

func sameOwnKey(a, b localstore.OwnKey) bool {
	return string(a.SecretKey) == string(b.SecretKey) && a.Revoked == b.Revoked && a.ExpiresAt.Equal(b.ExpiresAt)
}

func changeNote(old, updated localstore.ContactKey) string {
	var notes []string
	if updated.Revoked && !old.Revoked {
		notes = append(notes, "key revoked")
	}
	if !updated.ExpiresAt.Equal(old.ExpiresAt) {
		notes = append(notes, "expiry changed")
	}
	if len(updated.UserIDs) != len(old.UserIDs) {
		notes = append(notes, "user IDs changed")
	}
	if len(notes) == 0 {
		return ""
	}
	return " (" + strings.Join(notes, ", ") + ")"
}

func emailsOf(userIDs []string) []string {
	var out []string
	for _, uid := range userIDs {
		if i, j := strings.LastIndexByte(uid, '<'), strings.LastIndexByte(uid, '>'); i >= 0 && j > i {
			out = append(out, strings.ToLower(uid[i+1:j]))
		} else if strings.Contains(uid, "@") && !strings.ContainsAny(uid, " <>") {
			out = append(out, strings.ToLower(uid))
		}
	}
	return out
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

func sortKeys(keys []KeyInfo) {
	sort.Slice(keys, func(i, j int) bool {
		a, b := firstOr(keys[i].UserIDs), firstOr(keys[j].UserIDs)
		if a != b {
			return strings.ToLower(a) < strings.ToLower(b)
		}
		return keys[i].Fingerprint < keys[j].Fingerprint
	})
}

func firstOr(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// LookupKeys asks the network for address's key when the user requests it:
// the domain's Web Key Directory, then keys.openpgp.org. With save, the
// keys found are imported as unverified contact keys with their source.
// client nil means the default client.
func (kr *Keyring) LookupKeys(ctx context.Context, address string, client *keylookup.Client, save bool) ([]ImportResult, string, error) {
	if client == nil {
		client = &keylookup.Client{}
	}
	res, err := client.Lookup(ctx, address)
	if err != nil {
		return nil, "", err
	}
	var out []ImportResult
	for _, key := range res.Keys {
		if !save {
			rec, err := contactRecord(key, localstore.ContactKey{Source: res.Source, Verification: VerificationUnverified})
			if err != nil {
				return nil, "", err
			}
			out = append(out, ImportResult{Key: kr.contactInfo(rec), Status: "found"})
			continue
		}
		r, err := kr.importPublic(key, res.Source)
		if err != nil {
			return out, res.Source, err
		}
		out = append(out, r)
	}
	return out, res.Source, nil
}

// parsePublic parses stored public key bytes, reusing the result of an
// earlier parse of the same bytes: opening a message would otherwise parse
// every contact's key again. Only public keys are kept; secret keys are
// parsed per use and wiped afterwards.
func (kr *Keyring) parsePublic(data []byte) ([]*crypto.Key, error) {
	sum := sha256.Sum256(data)
	kr.parsedMu.Lock()
	keys, ok := kr.parsed[sum]
	kr.parsedMu.Unlock()
	if ok {
		return keys, nil
	}
	keys, err := crypto.ParseKeys(data)
	if err != nil {
		return nil, err
	}
	kr.parsedMu.Lock()
	if kr.parsed == nil {
		kr.parsed = make(map[[32]byte][]*crypto.Key)
	}
	kr.parsed[sum] = keys
	kr.parsedMu.Unlock()
	return keys, nil
}
