package crypto

import "errors"

// Sentinel errors. Callers branch on them with errors.Is; the wrapping error
// adds a detail a user can act on.
var (
	// ErrMalformedKey reports key data that is not a well-formed OpenPGP key.
	ErrMalformedKey = errors.New("malformed OpenPGP key")
	// ErrKeyExpired reports a key (or every usable subkey) past its expiry.
	ErrKeyExpired = errors.New("key expired")
	// ErrKeyRevoked reports a key revoked by its owner.
	ErrKeyRevoked = errors.New("key revoked")
	// ErrNoEncryptionKey reports a key without any subkey usable for encryption,
	// for example a sign-only key.
	ErrNoEncryptionKey = errors.New("key has no encryption subkey")
	// ErrNoSigningKey reports a key without any key usable for signing.
	ErrNoSigningKey = errors.New("key has no signing key")
	// ErrNotSecretKey reports an operation that needs secret key material on a
	// public key.
	ErrNotSecretKey = errors.New("not a secret key")
	// ErrKeyLocked reports secret key material that is still protected by a
	// passphrase; call UnlockKey first.
	ErrKeyLocked = errors.New("secret key is locked")
	// ErrWrongKeyPassphrase reports a passphrase that does not unlock a key.
	ErrWrongKeyPassphrase = errors.New("wrong key passphrase")
	// ErrNoMatchingKey reports a message that none of the given secret keys can
	// decrypt (it was not encrypted to us).
	ErrNoMatchingKey = errors.New("message is not encrypted to any of our keys")
	// ErrIntegrity reports ciphertext without integrity protection (no MDC or
	// AEAD), or whose integrity check failed (tampered or truncated).
	ErrIntegrity = errors.New("message integrity check failed")
	// ErrBadPassword reports a password that does not decrypt a
	// password-encrypted message, or an empty password.
	ErrBadPassword = errors.New("wrong password")
	// ErrMalformedMessage reports input that is not a well-formed OpenPGP message.
	ErrMalformedMessage = errors.New("malformed OpenPGP message")
	// ErrDamagedArmor reports an armored message whose armor cannot be
	// read: no "BEGIN PGP MESSAGE" header, broken header lines or data that
	// does not decode. It always comes with ErrMalformedMessage.
	ErrDamagedArmor = errors.New("damaged armor")
	// ErrNoRecipients reports an encryption request without recipients.
	ErrNoRecipients = errors.New("no recipients")
	// ErrFingerprintMismatch reports a Merge of two different keys.
	ErrFingerprintMismatch = errors.New("keys have different fingerprints")
	// ErrInvalidOptions reports options that cannot be used (for example a user
	// ID with forbidden characters or an unsupported algorithm).
	ErrInvalidOptions = errors.New("invalid options")
	// ErrWeakKey reports an RSA, DSA or ElGamal key smaller than MinKeyBits:
	// Sealpost does not encrypt to it.
	ErrWeakKey = errors.New("key too weak to encrypt to")
)
