package crypto

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/clearsign"
	pgperrors "github.com/ProtonMail/go-crypto/openpgp/errors"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// SignatureStatus is the outcome of a signature check.
type SignatureStatus string

// Signature statuses.
const (
	// SigNone: the data is not signed.
	SigNone SignatureStatus = "none"
	// SigValid: a good signature by a known key that is valid at verification time.
	SigValid SignatureStatus = "valid"
	// SigInvalid: the signature does not match the data (modified or forged),
	// or it is expired, dated in the future, or carries an unknown critical
	// notation.
	SigInvalid SignatureStatus = "invalid"
	// SigUnknownKey: the signer is not among the verifiers; SignerKeyID says who.
	SigUnknownKey SignatureStatus = "unknown_key"
	// SigExpiredKey: the signature is mathematically good but the signer's key
	// (or signing subkey) has expired by verification time.
	SigExpiredKey SignatureStatus = "expired_key"
	// SigRevokedKey: the signature is mathematically good but the signer's key
	// is revoked.
	SigRevokedKey SignatureStatus = "revoked_key"
	// SigError: the signature could not be checked (unsupported algorithm,
	// unreadable signature data).
	SigError SignatureStatus = "error"
)

// SignatureResult is the precise result of a signature check.
//
// Key expiry is judged at verification time, as GnuPG does (EXPKEYSIG): a
// signature whose creation time falls before the key's expiry is still
// reported as SigExpiredKey, because the creation time is written by the
// signer and anyone holding the expired key can backdate it. Detail then says
// whether the signature claims to predate the expiry, so that a reader can
// show an archived message as "signed while the key was valid".
type SignatureResult struct {
	// Status is the outcome.
	Status SignatureStatus
	// SignerFingerprint is the primary key fingerprint of the signer (upper-case
	// hex) when the signer's key is among the verifiers.
	SignerFingerprint string
	// SignerKeyID is the 16-digit upper-case hex ID of the signing (sub)key as
	// named in the signature; set whenever the data is signed.
	SignerKeyID string
	// SignedAt is the creation time the signature claims.
	SignedAt time.Time
	// Detail explains the status in words.
	Detail string
	// WeakKey names the signing key's algorithm and size ("rsa1024") when
	// it is an RSA or DSA key under MinKeyBits: someone with enough
	// computing power could have made such a signature. Empty otherwise.
	WeakKey string
}

// messageSignature evaluates the signature of a message read to EOF.
func messageSignature(md *openpgp.MessageDetails, now time.Time) SignatureResult {
	if !md.IsSigned {
		return SignatureResult{Status: SigNone}
	}
	res := SignatureResult{SignerKeyID: fmt.Sprintf("%016X", md.SignedByKeyId)}
	sig := md.Signature
	if sig == nil && len(md.UnverifiedSignatures) > 0 {
		sig = md.UnverifiedSignatures[0]
	}
	if sig != nil {
		res.SignedAt = sig.CreationTime
	}
	if md.SignedBy == nil {
		if md.SignatureError != nil {
			res.Status, res.Detail = SigError, "cannot check the signature: "+md.SignatureError.Error()
			return res
		}
		res.Status = SigUnknownKey
		res.Detail = fmt.Sprintf("signed by key ID %s, which is not among the known keys", res.SignerKeyID)
		return res
	}
	return judge(res, md.SignatureError, md.SignedBy.Entity, now)
}

// judge fills Status and Detail from go-crypto's verification error for a
// signature by the known key e.
func judge(res SignatureResult, err error, e *openpgp.Entity, now time.Time) SignatureResult {
	k := &Key{entity: e}
	res.SignerFingerprint = k.Fingerprint()
	res.WeakKey = weakSigningKey(e, res.SignerKeyID)
	var unsupported pgperrors.UnsupportedError
	switch {
	case err == nil:
		res.Status, res.Detail = SigValid, "good signature by "+k.describe()
	case errors.Is(err, pgperrors.ErrKeyRevoked):
		res.Status = SigRevokedKey
		res.Detail = "the signature matches, but the key of " + k.describe() + " is revoked"
	case errors.Is(err, pgperrors.ErrKeyExpired):
		res.Status = SigExpiredKey
		exp := k.ExpiresAt()
		switch {
		case exp.IsZero():
			res.Detail = "the signature matches, but the signing subkey of " + k.describe() + " has expired"
		case !res.SignedAt.IsZero() && res.SignedAt.Before(exp):
			res.Detail = fmt.Sprintf("the signature matches and is dated %s, before the key of %s expired on %s",
				res.SignedAt.UTC().Format(time.RFC3339), k.describe(), exp.UTC().Format(time.RFC3339))
		default:
			res.Detail = fmt.Sprintf("the signature matches, but it is dated after the key of %s expired on %s",
				k.describe(), exp.UTC().Format(time.RFC3339))
		}
	case errors.Is(err, pgperrors.ErrSignatureExpired):
		res.Status = SigInvalid
		res.Detail = fmt.Sprintf("the signature has expired or is dated in the future (checked at %s)", now.UTC().Format(time.RFC3339))
	case errors.As(err, &unsupported):
		res.Status, res.Detail = SigError, "cannot check the signature: "+err.Error()
	default:
		res.Status = SigInvalid
		res.Detail = "bad signature: the data was modified or the signature is forged (" + err.Error() + ")"
	}
	return res
}

// describe names the key for messages: its primary user ID and fingerprint.
func (k *Key) describe() string {
	if ids := k.UserIDs(); len(ids) > 0 {
		return fmt.Sprintf("%s (%s)", ids[0], k.Fingerprint())
	}
	return k.Fingerprint()
}

// requiredSigner is signerEntity for a signer that must be given.
func requiredSigner(signer *Key, now time.Time) (*openpgp.Entity, error) {
	if signer == nil {
		return nil, fmt.Errorf("sign: %w: no signing key", ErrInvalidOptions)
	}
	return signerEntity(signer, now)
}

// SignDetached returns a detached binary-document signature (SHA-256) over
// data by signer, an unlocked secret key, made at now (zero: time.Now()),
// armored when armored is true.
func SignDetached(data io.Reader, signer *Key, armored bool, now time.Time) ([]byte, error) {
	now = nowOr(now)
	e, err := requiredSigner(signer, now)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if armored {
		err = openpgp.ArmoredDetachSign(&buf, e, data, baseConfig(now))
	} else {
		err = openpgp.DetachSign(&buf, e, data, baseConfig(now))
	}
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	if armored {
		buf.WriteByte('\n')
	}
	return buf.Bytes(), nil
}

// ClearSign returns text as a cleartext-signed message ("-----BEGIN PGP
// SIGNED MESSAGE-----", RFC 9580 section 7) by signer, an unlocked secret
// key, made at now (zero: time.Now()), with SHA-256. Lines that begin with
// a dash are dash-escaped; trailing white space is not covered by the
// signature, as the standard says. GnuPG checks it with "gpg --verify".
func ClearSign(text []byte, signer *Key, now time.Time) ([]byte, error) {
	now = nowOr(now)
	e, err := requiredSigner(signer, now)
	if err != nil {
		return nil, err
	}
	sk, ok := e.SigningKey(now)
	if !ok {
		return nil, fmt.Errorf("sign: key %s has no usable signing key", signer.Fingerprint())
	}
	var buf bytes.Buffer
	w, err := clearsign.Encode(&buf, sk.PrivateKey, baseConfig(now))
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	if _, err := w.Write(text); err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

// VerifyDetached checks a detached signature (armored or binary) over data
// against verifiers at now (zero: time.Now()). It never fails: problems are
// reported in the result.
func VerifyDetached(data io.Reader, signature []byte, verifiers []*Key, now time.Time) SignatureResult {
	now = nowOr(now)
	raw, err := signatureBody(signature)
	if err != nil {
		return SignatureResult{Status: SigError, Detail: err.Error()}
	}
	first, err := firstSignature(raw)
	if err != nil {
		return SignatureResult{Status: SigError, Detail: err.Error()}
	}
	res := SignatureResult{SignedAt: first.CreationTime}
	switch {
	case first.IssuerKeyId != nil:
		res.SignerKeyID = fmt.Sprintf("%016X", *first.IssuerKeyId)
	case len(first.IssuerFingerprint) >= 8:
		res.SignerKeyID = strings.ToUpper(hex.EncodeToString(first.IssuerFingerprint[len(first.IssuerFingerprint)-8:]))
	}
	ring := entityList(verifiers)
	sig, signer, err := openpgp.VerifyDetachedSignature(ring, data, bytes.NewReader(raw), baseConfig(now))
	if sig != nil {
		res.SignedAt = sig.CreationTime
		if sig.IssuerKeyId != nil {
			res.SignerKeyID = fmt.Sprintf("%016X", *sig.IssuerKeyId)
		}
	}
	switch {
	case errors.Is(err, pgperrors.ErrUnknownIssuer):
		res.Status = SigUnknownKey
		res.Detail = fmt.Sprintf("signed by key ID %s, which is not among the known keys", res.SignerKeyID)
		return res
	case signer == nil && err != nil:
		// go-crypto names no signer when the signature does not verify.
		if ks := ring.KeysByIdUsage(issuerID(first), packet.KeyFlagSign); len(ks) > 0 {
			return judge(res, err, ks[0].Entity, now)
		}
		res.Status, res.Detail = SigError, "cannot check the signature: "+err.Error()
		return res
	}
	return judge(res, err, signer, now)
}

// weakSigningKey names the (sub)key of e with key ID id ("rsa1024") when
// it is below MinKeyBits, else returns "".
func weakSigningKey(e *openpgp.Entity, id string) string {
	keys := []*packet.PublicKey{e.PrimaryKey}
	for _, s := range e.Subkeys {
		keys = append(keys, s.PublicKey)
	}
	for _, pk := range keys {
		if pk.KeyIdString() == id && strongEnough(pk) != nil {
			return algoName(pk)
		}
	}
	return ""
}

func issuerID(sig *packet.Signature) uint64 {
	if sig.IssuerKeyId != nil {
		return *sig.IssuerKeyId
	}
	return 0
}

// signatureBody returns the binary signature packets from armored or binary input.
func signatureBody(signature []byte) ([]byte, error) {
	trimmed := bytes.TrimLeft(signature, " \t\r\n")
	if len(trimmed) == 0 {
		return nil, errors.New("empty signature")
	}
	if trimmed[0]&0x80 != 0 {
		return trimmed, nil
	}
	block, err := armor.Decode(bytes.NewReader(trimmed))
	if err != nil {
		return nil, fmt.Errorf("unreadable signature armor: %w", err)
	}
	if block.Type != openpgp.SignatureType {
		return nil, fmt.Errorf("armor block is a %q, not a %q", block.Type, openpgp.SignatureType)
	}
	raw, err := io.ReadAll(block.Body)
	if err != nil {
		return nil, fmt.Errorf("unreadable signature armor: %w", err)
	}
	return raw, nil
}

// firstSignature parses the first signature packet of raw.
func firstSignature(raw []byte) (sig *packet.Signature, err error) {
	defer func() {
		if p := recover(); p != nil {
			sig, err = nil, fmt.Errorf("unreadable signature: parser failure: %v", p)
		}
	}()
	p, err := packet.Read(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("unreadable signature: %w", err)
	}
	sig, ok := p.(*packet.Signature)
	if !ok {
		return nil, fmt.Errorf("not a signature: the data starts with a %T packet", p)
	}
	return sig, nil
}
