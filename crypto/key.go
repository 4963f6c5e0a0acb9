package crypto

import (
	"bytes"
	stdcrypto "crypto"
	//lint:ignore SA1019 DSA keys are read only to be judged by their size, never made or used
	"crypto/dsa"
	"crypto/rsa"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/ProtonMail/go-crypto/openpgp/s2k"
	gopenpgp "github.com/ProtonMail/gopenpgp/v2/crypto"
)

// Algorithm names a key type for GenerateKey.
type Algorithm string

const (
	// AlgoCurve25519 is an Ed25519 primary key for signing with an X25519
	// (cv25519) encryption subkey, in the v4 format GnuPG 2.2 reads. It is the
	// default.
	AlgoCurve25519 Algorithm = "curve25519"
	// AlgoRSA4096 is an RSA-4096 primary key with an RSA-4096 encryption subkey.
	AlgoRSA4096 Algorithm = "rsa4096"
)

// DefaultKeyLifetime is the lifetime GenerateKey gives a key when
// GenerateOptions.Lifetime is zero.
const DefaultKeyLifetime = 3 * 365 * 24 * time.Hour

// secretS2KCount is the iterated-and-salted S2K count for exported secret keys
// and for password-encrypted messages: the largest count OpenPGP can encode,
// which GnuPG 2.2 reads (it cannot read Argon2).
const secretS2KCount = 65011712

// GenerateOptions describes a key to generate.
type GenerateOptions struct {
	// Name and Email form the user ID "Name <Email>". At least one is required.
	Name, Email string
	// Algorithm is the key type; "" means AlgoCurve25519.
	Algorithm Algorithm
	// Lifetime is how long the key stays valid after Now: 0 means
	// DefaultKeyLifetime (3 years), a negative value means the key never
	// expires. It is rounded down to whole seconds.
	Lifetime time.Duration
	// Now is the creation time; the zero value means time.Now().
	Now time.Time
}

// Key is an OpenPGP key (transferable public or secret key). It wraps a
// go-crypto *openpgp.Entity. A Key is not safe for concurrent mutation
// (UnlockKey, Revoke, Merge, ClearPrivate); concurrent read-only use
// (encrypting to it, verifying with it, decrypting with it) is safe.
type Key struct {
	entity *openpgp.Entity
}

// GenerateKey generates a new secret key with one user ID, a signing primary
// key and an encryption subkey. The secret material is not passphrase
// protected; protect it with ExportSecret or store it sealed.
func GenerateKey(opts GenerateOptions) (*Key, error) {
	if opts.Name == "" && opts.Email == "" {
		return nil, fmt.Errorf("%w: a key needs a name or an e-mail address", ErrInvalidOptions)
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	now = now.Truncate(time.Second)
	cfg := baseConfig(now)
	switch opts.Algorithm {
	case "", AlgoCurve25519:
		cfg.Algorithm = packet.PubKeyAlgoEdDSA
		cfg.Curve = packet.Curve25519
	case AlgoRSA4096:
		cfg.Algorithm = packet.PubKeyAlgoRSA
		cfg.RSABits = 4096
	default:
		return nil, fmt.Errorf("%w: unknown key algorithm %q (use %q or %q)", ErrInvalidOptions,
			opts.Algorithm, AlgoCurve25519, AlgoRSA4096)
	}
	switch {
	case opts.Lifetime == 0:
		cfg.KeyLifetimeSecs = uint32(DefaultKeyLifetime / time.Second)
	case opts.Lifetime > 0:
		secs := int64(opts.Lifetime / time.Second)
		if secs < 1 || secs > math.MaxUint32 {
			return nil, fmt.Errorf("%w: key lifetime %v is out of range (1s to 136 years)", ErrInvalidOptions, opts.Lifetime)
		}
		cfg.KeyLifetimeSecs = uint32(secs)
	}
	e, err := openpgp.NewEntity(opts.Name, "", opts.Email, cfg)
	if err != nil {
		return nil, fmt.Errorf("%w: generate key: %w", ErrInvalidOptions, err)
	}
	// go-crypto gives the encryption subkey no expiry of its own; it expires
	// with the primary key, which is what GnuPG users expect too.
	return &Key{entity: e}, nil
}

// baseConfig is the go-crypto configuration for every operation: AES-256,
// SHA-256, no compression, no AEAD (SEIPDv1 for GnuPG 2.2) and a fixed clock.
func baseConfig(now time.Time) *packet.Config {
	return &packet.Config{
		DefaultHash:            stdcrypto.SHA256,
		DefaultCipher:          packet.CipherAES256,
		DefaultCompressionAlgo: packet.CompressionNone,
		Time:                   func() time.Time { return now },
		S2KConfig: &s2k.Config{
			S2KMode:  s2k.IteratedSaltedS2K,
			Hash:     stdcrypto.SHA256,
			S2KCount: secretS2KCount,
		},
	}
}

// ParseKeys parses one or more keys, public or secret, armored (one or several
// armor blocks) or binary. Passphrase-protected secret keys are returned
// locked; see UnlockKey. Any malformed key makes the whole input fail with
// ErrMalformedKey, with the position of the bad key.
func ParseKeys(data []byte) ([]*Key, error) {
	// Only leading whitespace is skipped: binary data may end in any byte.
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) == 0 {
		return nil, fmt.Errorf("%w: no key data", ErrMalformedKey)
	}
	if trimmed[0]&0x80 != 0 {
		return readKeyPackets(trimmed, "binary input")
	}
	const begin = "-----BEGIN PGP "
	starts := indexAll(trimmed, []byte(begin))
	if len(starts) == 0 {
		return nil, fmt.Errorf("%w: neither binary OpenPGP data nor an armored key block", ErrMalformedKey)
	}
	var keys []*Key
	for i, start := range starts {
		end := len(trimmed)
		if i+1 < len(starts) {
			end = starts[i+1]
		}
		block, err := armor.Decode(bytes.NewReader(trimmed[start:end]))
		if err != nil {
			return nil, fmt.Errorf("%w: armor block %d: %w", ErrMalformedKey, i+1, err)
		}
		if block.Type != openpgp.PublicKeyType && block.Type != openpgp.PrivateKeyType {
			return nil, fmt.Errorf("%w: armor block %d is a %q, not a key block", ErrMalformedKey, i+1, block.Type)
		}
		raw, err := io.ReadAll(block.Body)
		if err != nil {
			return nil, fmt.Errorf("%w: armor block %d: %w", ErrMalformedKey, i+1, err)
		}
		got, err := readKeyPackets(raw, fmt.Sprintf("armor block %d", i+1))
		if err != nil {
			return nil, err
		}
		keys = append(keys, got...)
	}
	return keys, nil
}

// Largest key parameters accepted. Self-signatures are verified while a key
// is parsed, and a DSA key with huge parameters (a 24 KB key block) costs
// minutes of CPU per signature: keys arrive from strangers (Autocrypt).
const (
	maxDSAPBits = 3072 // FIPS 186-4 maximum L
	maxDSAQBits = 256  // FIPS 186-4 maximum N
	maxRSABits  = 16384
)

// checkKeySizes rejects key packets whose parameters are too large to verify
// cheaply. Packets that do not parse are left to the real parse to report.
func checkKeySizes(data []byte) error {
	packets := packet.NewReader(bytes.NewReader(data))
	for {
		p, err := packets.Next()
		if err != nil {
			return nil
		}
		var pk *packet.PublicKey
		switch p := p.(type) {
		case *packet.PublicKey:
			pk = p
		case *packet.PrivateKey:
			pk = &p.PublicKey
		default:
			continue
		}
		switch k := pk.PublicKey.(type) {
		case *dsa.PublicKey:
			if k.P.BitLen() > maxDSAPBits || k.Q.BitLen() > maxDSAQBits {
				return fmt.Errorf("DSA key %X is too large (%d/%d bits, at most %d/%d)", pk.Fingerprint,
					k.P.BitLen(), k.Q.BitLen(), maxDSAPBits, maxDSAQBits)
			}
		case *rsa.PublicKey:
			if k.N.BitLen() > maxRSABits {
				return fmt.Errorf("RSA key %X is too large (%d bits, at most %d)", pk.Fingerprint, k.N.BitLen(), maxRSABits)
			}
		}
	}
}

func indexAll(data, sep []byte) []int {
	var out []int
	for off := 0; ; {
		i := bytes.Index(data[off:], sep)
		if i < 0 {
			return out
		}
		out = append(out, off+i)
		off += i + len(sep)
	}
}

// readKeyPackets reads every entity from data, strictly: one bad key fails all.
func readKeyPackets(data []byte, where string) (keys []*Key, err error) {
	defer func() {
		// The packet parser handles attacker-controlled input; a parser bug
		// must surface as a malformed key, never crash the client.
		if p := recover(); p != nil {
			keys, err = nil, fmt.Errorf("%w: %s: parser failure: %v", ErrMalformedKey, where, p)
		}
	}()
	if err := checkKeySizes(data); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrMalformedKey, where, err)
	}
	packets := packet.NewReader(bytes.NewReader(data))
	for n := 1; ; n++ {
		e, err := openpgp.ReadEntity(packets)
		if errors.Is(err, io.EOF) && n > 1 {
			return keys, nil
		}
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: %s holds no key", ErrMalformedKey, where)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %s, key %d: %w", ErrMalformedKey, where, n, err)
		}
		if sig, _ := e.PrimarySelfSignature(); sig == nil {
			return nil, fmt.Errorf("%w: %s, key %d (%X): no valid self-signature", ErrMalformedKey, where, n, e.PrimaryKey.Fingerprint)
		}
		keys = append(keys, &Key{entity: e})
	}
}

// UnlockKey decrypts passphrase-protected secret key material in place. It
// does nothing for a key that is already unlocked, and returns ErrNotSecretKey
// for a public key and ErrWrongKeyPassphrase when the passphrase is wrong.
func UnlockKey(k *Key, passphrase []byte) error {
	if !k.IsSecret() {
		return fmt.Errorf("unlock key %s: %w", k.Fingerprint(), ErrNotSecretKey)
	}
	if !k.IsLocked() {
		return nil
	}
	if err := k.entity.DecryptPrivateKeys(passphrase); err != nil {
		return fmt.Errorf("unlock key %s: %w (%w)", k.Fingerprint(), ErrWrongKeyPassphrase, err)
	}
	return nil
}

// Fingerprint returns the primary key fingerprint in upper-case hex without spaces.
func (k *Key) Fingerprint() string {
	return strings.ToUpper(hex.EncodeToString(k.entity.PrimaryKey.Fingerprint))
}

// KeyID returns the 64-bit primary key ID in upper-case hex (16 digits).
func (k *Key) KeyID() string {
	return k.entity.PrimaryKey.KeyIdString()
}

// UserIDs returns the user IDs with a valid self-signature, the primary one first.
func (k *Key) UserIDs() []string {
	ids := k.identities()
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id.Name
	}
	return out
}

// identities returns the identities in a stable order: primary first, then by name.
func (k *Key) identities() []*openpgp.Identity {
	primary := k.entity.PrimaryIdentity()
	ids := make([]*openpgp.Identity, 0, len(k.entity.Identities))
	for _, id := range k.entity.Identities {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool {
		if (ids[i] == primary) != (ids[j] == primary) {
			return ids[i] == primary
		}
		return ids[i].Name < ids[j].Name
	})
	return ids
}

// Emails returns the lower-cased e-mail addresses of the user IDs that are not
// revoked, without duplicates, in UserIDs order.
func (k *Key) Emails() []string {
	var out []string
	now := time.Now()
	for _, id := range k.identities() {
		if id.Revoked(now) || id.UserId == nil || id.UserId.Email == "" {
			continue
		}
		addr := strings.ToLower(id.UserId.Email)
		if !slices.Contains(out, addr) {
			out = append(out, addr)
		}
	}
	return out
}

// Algorithm returns a human-readable algorithm: the primary key's and, when
// different, the encryption subkey's, e.g. "ed25519/cv25519" or "rsa4096".
func (k *Key) Algorithm() string {
	primary := algoName(k.entity.PrimaryKey)
	var enc string
	if sub, ok := k.entity.EncryptionKey(k.entity.PrimaryKey.CreationTime); ok {
		enc = algoName(sub.PublicKey)
	} else {
		for _, s := range k.entity.Subkeys {
			if s.PublicKey.PubKeyAlgo.CanEncrypt() {
				enc = algoName(s.PublicKey)
				break
			}
		}
	}
	if enc == "" || enc == primary {
		return primary
	}
	return primary + "/" + enc
}

// CouldBeWeak reports whether a key whose Algorithm() is algorithm may be
// below MinKeyBits; false means it certainly is not, so callers can skip
// parsing the key to find out (elliptic-curve keys, RSA of MinKeyBits or
// more).
func CouldBeWeak(algorithm string) bool {
	for _, part := range strings.Split(algorithm, "/") {
		switch {
		case part == "ed25519" || part == "cv25519" || part == "ed448" || part == "cv448":
		case strings.HasPrefix(part, "rsa"):
			if bits, err := strconv.Atoi(strings.TrimPrefix(part, "rsa")); err != nil || bits < MinKeyBits {
				return true
			}
		default:
			return true // DSA, ElGamal and anything unknown: look at the key
		}
	}
	return false
}

// strongEnough refuses an RSA, DSA or ElGamal key below MinKeyBits.
func strongEnough(pk *packet.PublicKey) error {
	switch pk.PubKeyAlgo {
	case packet.PubKeyAlgoRSA, packet.PubKeyAlgoRSAEncryptOnly, packet.PubKeyAlgoRSASignOnly,
		packet.PubKeyAlgoDSA, packet.PubKeyAlgoElGamal:
		if bits, err := pk.BitLength(); err == nil && int(bits) < MinKeyBits {
			return fmt.Errorf("%w: %s, at least %d bits are needed", ErrWeakKey, algoName(pk), MinKeyBits)
		}
	}
	return nil
}

func algoName(pk *packet.PublicKey) string {
	switch pk.PubKeyAlgo {
	case packet.PubKeyAlgoRSA, packet.PubKeyAlgoRSAEncryptOnly, packet.PubKeyAlgoRSASignOnly:
		bits, err := pk.BitLength()
		if err != nil {
			return "rsa"
		}
		return fmt.Sprintf("rsa%d", bits)
	case packet.PubKeyAlgoEdDSA, packet.PubKeyAlgoECDH, packet.PubKeyAlgoECDSA:
		curve, err := pk.Curve()
		if err != nil {
			return "ecc"
		}
		switch curve {
		case packet.Curve25519:
			if pk.PubKeyAlgo == packet.PubKeyAlgoEdDSA {
				return "ed25519"
			}
			return "cv25519"
		case packet.Curve448:
			if pk.PubKeyAlgo == packet.PubKeyAlgoEdDSA {
				return "ed448"
			}
			return "cv448"
		default:
			return strings.ToLower(string(curve))
		}
	case packet.PubKeyAlgoEd25519:
		return "ed25519"
	case packet.PubKeyAlgoX25519:
		return "cv25519"
	case packet.PubKeyAlgoEd448:
		return "ed448"
	case packet.PubKeyAlgoX448:
		return "cv448"
	case packet.PubKeyAlgoDSA:
		return "dsa"
	case packet.PubKeyAlgoElGamal:
		return "elgamal"
	default:
		return fmt.Sprintf("algo%d", pk.PubKeyAlgo)
	}
}

// IsSecret reports whether the key holds real secret material for its primary
// key or a subkey (GnuPG stubs for offline primary keys do not count).
func (k *Key) IsSecret() bool {
	return len(k.privateKeys()) > 0
}

// IsLocked reports whether some secret material is still passphrase-protected.
func (k *Key) IsLocked() bool {
	for _, pk := range k.privateKeys() {
		if pk.Encrypted {
			return true
		}
	}
	return false
}

// privateKeys returns the primary and subkey private keys that hold real
// material (no GnuPG stubs).
func (k *Key) privateKeys() []*packet.PrivateKey {
	var out []*packet.PrivateKey
	if pk := k.entity.PrivateKey; pk != nil && !pk.Dummy() {
		out = append(out, pk)
	}
	for _, s := range k.entity.Subkeys {
		if s.PrivateKey != nil && !s.PrivateKey.Dummy() {
			out = append(out, s.PrivateKey)
		}
	}
	return out
}

// CreatedAt returns the creation time of the primary key.
func (k *Key) CreatedAt() time.Time {
	return k.entity.PrimaryKey.CreationTime
}

// ExpiresAt returns when the primary key expires; the zero time means never.
func (k *Key) ExpiresAt() time.Time {
	sig, _ := k.entity.PrimarySelfSignature()
	if sig == nil || sig.KeyLifetimeSecs == nil || *sig.KeyLifetimeSecs == 0 {
		return time.Time{}
	}
	return k.entity.PrimaryKey.CreationTime.Add(time.Duration(*sig.KeyLifetimeSecs) * time.Second)
}

// IsRevoked reports whether the primary key carries a revocation signature
// that is in effect now.
func (k *Key) IsRevoked() bool {
	return k.entity.Revoked(time.Now())
}

// MinKeyBits is the smallest RSA, DSA or ElGamal key Sealpost encrypts to.
// 1024-bit keys are within reach of a well-funded attacker, and NIST has
// deprecated them since 2013; elliptic-curve keys have no such minimum.
const MinKeyBits = 2048

// CanEncrypt reports whether a message can be encrypted to the key at now:
// nil, or ErrKeyRevoked, ErrKeyExpired, ErrNoEncryptionKey or ErrWeakKey.
func (k *Key) CanEncrypt(now time.Time) error {
	if err := k.primaryUsable(now); err != nil {
		return err
	}
	if sub, ok := k.entity.EncryptionKey(now); ok {
		return strongEnough(sub.PublicKey)
	}
	return k.subkeyProblem(now, func(s openpgp.Subkey) bool {
		return s.Sig.FlagsValid && (s.Sig.FlagEncryptCommunications || s.Sig.FlagEncryptStorage) &&
			s.PublicKey.PubKeyAlgo.CanEncrypt()
	}, ErrNoEncryptionKey)
}

// CanSign reports whether the key can make signatures at now: nil, or
// ErrKeyRevoked, ErrKeyExpired or ErrNoSigningKey. It does not check that the
// secret material is present; signing does.
func (k *Key) CanSign(now time.Time) error {
	if err := k.primaryUsable(now); err != nil {
		return err
	}
	if _, ok := k.entity.SigningKey(now); ok {
		return nil
	}
	return k.subkeyProblem(now, func(s openpgp.Subkey) bool {
		return s.Sig.FlagsValid && s.Sig.FlagSign && s.PublicKey.PubKeyAlgo.CanSign()
	}, ErrNoSigningKey)
}

// primaryUsable checks revocation and expiry of the primary key and its
// primary user ID at now.
func (k *Key) primaryUsable(now time.Time) error {
	sig, id := k.entity.PrimarySelfSignature()
	switch {
	case sig == nil:
		return fmt.Errorf("key %s: %w: no valid self-signature", k.Fingerprint(), ErrMalformedKey)
	case k.entity.Revoked(now):
		return fmt.Errorf("key %s: %w", k.Fingerprint(), ErrKeyRevoked)
	case id != nil && id.Revoked(now):
		return fmt.Errorf("key %s: %w: its user ID %q is revoked", k.Fingerprint(), ErrKeyRevoked, id.Name)
	case now.Before(k.CreatedAt()):
		return fmt.Errorf("key %s: %w: it is not valid before %s", k.Fingerprint(), ErrKeyExpired,
			k.CreatedAt().UTC().Format(time.RFC3339))
	case k.entity.PrimaryKey.KeyExpired(sig, now):
		return fmt.Errorf("key %s: %w on %s", k.Fingerprint(), ErrKeyExpired, k.ExpiresAt().UTC().Format(time.RFC3339))
	case sig.SigExpired(now):
		return fmt.Errorf("key %s: %w: its self-signature expired", k.Fingerprint(), ErrKeyExpired)
	}
	return nil
}

// subkeyProblem explains why no subkey with the wanted capability is usable:
// revoked, expired, or none exists (none).
func (k *Key) subkeyProblem(now time.Time, capable func(openpgp.Subkey) bool, none error) error {
	var revoked, expired bool
	for _, s := range k.entity.Subkeys {
		if !capable(s) {
			continue
		}
		switch {
		case s.Revoked(now):
			revoked = true
		case s.PublicKey.KeyExpired(s.Sig, now) || s.Sig.SigExpired(now):
			expired = true
		}
	}
	switch {
	case expired:
		return fmt.Errorf("key %s: %w: every suitable subkey has expired", k.Fingerprint(), ErrKeyExpired)
	case revoked:
		return fmt.Errorf("key %s: %w: every suitable subkey is revoked", k.Fingerprint(), ErrKeyRevoked)
	}
	return fmt.Errorf("key %s: %w", k.Fingerprint(), none)
}

// Public returns a copy of the key without any secret material. The copy
// shares the (immutable) public packets with k.
func (k *Key) Public() *Key {
	e := k.entity
	pub := &openpgp.Entity{
		PrimaryKey:    e.PrimaryKey,
		Identities:    make(map[string]*openpgp.Identity, len(e.Identities)),
		Revocations:   slices.Clone(e.Revocations),
		Subkeys:       make([]openpgp.Subkey, len(e.Subkeys)),
		SelfSignature: e.SelfSignature,
		Signatures:    slices.Clone(e.Signatures),
	}
	for name, id := range e.Identities {
		cp := *id
		cp.Revocations = slices.Clone(id.Revocations)
		cp.Signatures = slices.Clone(id.Signatures)
		pub.Identities[name] = &cp
	}
	for i, s := range e.Subkeys {
		s.PrivateKey = nil
		s.Revocations = slices.Clone(s.Revocations)
		pub.Subkeys[i] = s
	}
	return &Key{entity: pub}
}

// MarshalPublic returns the binary public key with every signature it carries
// (including third-party certifications), for storage.
func (k *Key) MarshalPublic() ([]byte, error) {
	var buf bytes.Buffer
	if err := k.serialize(&buf, false, true); err != nil {
		return nil, fmt.Errorf("marshal public key %s: %w", k.Fingerprint(), err)
	}
	return buf.Bytes(), nil
}

// MarshalSecret returns the binary secret key WITHOUT passphrase protection.
// Store it only inside the sealed store. It returns ErrNotSecretKey for a
// public key and ErrKeyLocked while the key is locked.
func (k *Key) MarshalSecret() ([]byte, error) {
	if !k.IsSecret() {
		return nil, fmt.Errorf("marshal secret key %s: %w", k.Fingerprint(), ErrNotSecretKey)
	}
	if k.IsLocked() {
		return nil, fmt.Errorf("marshal secret key %s: %w", k.Fingerprint(), ErrKeyLocked)
	}
	var buf bytes.Buffer
	if err := k.serialize(&buf, true, true); err != nil {
		return nil, fmt.Errorf("marshal secret key %s: %w", k.Fingerprint(), err)
	}
	return buf.Bytes(), nil
}

// ArmorPublic returns the armored public key in minimal form: the primary key
// and its revocations, each user ID with its newest self-signature and its
// revocations, and each subkey with its newest binding signature and its
// revocations. Third-party certifications are left out. Revoked subkeys are
// kept with their revocations so that holders of an older copy learn of them.
func (k *Key) ArmorPublic() (string, error) {
	var buf bytes.Buffer
	w, err := armor.Encode(&buf, openpgp.PublicKeyType, nil)
	if err != nil {
		return "", fmt.Errorf("armor public key %s: %w", k.Fingerprint(), err)
	}
	if err := k.serialize(w, false, false); err != nil {
		return "", fmt.Errorf("armor public key %s: %w", k.Fingerprint(), err)
	}
	if err := w.Close(); err != nil {
		return "", fmt.Errorf("armor public key %s: %w", k.Fingerprint(), err)
	}
	buf.WriteByte('\n')
	return buf.String(), nil
}

// ExportSecret returns the armored secret key protected with passphrase
// (iterated and salted S2K, SHA-256, AES-256, SHA-1 checksum: the format
// GnuPG 2.2 imports). The key itself stays unchanged.
func (k *Key) ExportSecret(passphrase []byte) (string, error) {
	if len(passphrase) == 0 {
		return "", fmt.Errorf("export secret key %s: %w: the passphrase is empty", k.Fingerprint(), ErrInvalidOptions)
	}
	raw, err := k.MarshalSecret()
	if err != nil {
		return "", fmt.Errorf("export: %w", err)
	}
	defer clear(raw)
	copies, err := readKeyPackets(raw, "secret copy")
	if err != nil {
		return "", fmt.Errorf("export secret key %s: %w", k.Fingerprint(), err)
	}
	cp := copies[0]
	defer cp.ClearPrivate()
	if err := cp.entity.EncryptPrivateKeys(passphrase, baseConfig(time.Now())); err != nil {
		return "", fmt.Errorf("export secret key %s: protect: %w", k.Fingerprint(), err)
	}
	var buf bytes.Buffer
	w, err := armor.Encode(&buf, openpgp.PrivateKeyType, nil)
	if err != nil {
		return "", fmt.Errorf("export secret key %s: %w", k.Fingerprint(), err)
	}
	if err := cp.serialize(w, true, false); err != nil {
		return "", fmt.Errorf("export secret key %s: %w", k.Fingerprint(), err)
	}
	if err := w.Close(); err != nil {
		return "", fmt.Errorf("export secret key %s: %w", k.Fingerprint(), err)
	}
	buf.WriteByte('\n')
	return buf.String(), nil
}

// Revoke adds a key revocation signature ("no reason specified", with reason
// as its text) made at now. It needs the unlocked secret key.
func (k *Key) Revoke(reason string, now time.Time) error {
	if k.entity.PrivateKey == nil || k.entity.PrivateKey.Dummy() {
		return fmt.Errorf("revoke key %s: %w: the primary secret key is not available", k.Fingerprint(), ErrNotSecretKey)
	}
	if k.entity.PrivateKey.Encrypted {
		return fmt.Errorf("revoke key %s: %w", k.Fingerprint(), ErrKeyLocked)
	}
	if now.IsZero() {
		now = time.Now()
	}
	if err := k.entity.RevokeKey(packet.NoReason, reason, baseConfig(now)); err != nil {
		return fmt.Errorf("revoke key %s: %w", k.Fingerprint(), err)
	}
	return nil
}

// Merge adds to k what other (the same key, e.g. a refreshed copy) carries and
// k lacks: user IDs, newer self-signatures, subkeys, newer binding signatures,
// revocations and certifications, and secret material if k has none. All of
// other's signatures were verified when it was parsed or made.
func (k *Key) Merge(other *Key) error {
	if k.Fingerprint() != other.Fingerprint() {
		return fmt.Errorf("merge %s into %s: %w", other.Fingerprint(), k.Fingerprint(), ErrFingerprintMismatch)
	}
	e, o := k.entity, other.entity
	e.Revocations = mergeSigs(e.Revocations, o.Revocations)
	e.Signatures = mergeSigs(e.Signatures, o.Signatures)
	if o.SelfSignature != nil && (e.SelfSignature == nil || o.SelfSignature.CreationTime.After(e.SelfSignature.CreationTime)) {
		e.SelfSignature = o.SelfSignature
	}
	for name, oid := range o.Identities {
		id, ok := e.Identities[name]
		if !ok {
			cp := *oid
			cp.Revocations = slices.Clone(oid.Revocations)
			cp.Signatures = slices.Clone(oid.Signatures)
			e.Identities[name] = &cp
			continue
		}
		if oid.SelfSignature != nil && (id.SelfSignature == nil || oid.SelfSignature.CreationTime.After(id.SelfSignature.CreationTime)) {
			id.SelfSignature = oid.SelfSignature
		}
		id.Revocations = mergeSigs(id.Revocations, oid.Revocations)
		id.Signatures = mergeSigs(id.Signatures, oid.Signatures)
	}
	for _, osub := range o.Subkeys {
		i := slices.IndexFunc(e.Subkeys, func(s openpgp.Subkey) bool {
			return bytes.Equal(s.PublicKey.Fingerprint, osub.PublicKey.Fingerprint)
		})
		if i < 0 {
			osub.Revocations = slices.Clone(osub.Revocations)
			e.Subkeys = append(e.Subkeys, osub)
			continue
		}
		s := &e.Subkeys[i]
		if osub.Sig.CreationTime.After(s.Sig.CreationTime) {
			s.Sig = osub.Sig
		}
		s.Revocations = mergeSigs(s.Revocations, osub.Revocations)
	}
	if e.PrivateKey == nil && o.PrivateKey != nil {
		e.PrivateKey = o.PrivateKey
		e.PrimaryKey = &o.PrivateKey.PublicKey
		for i := range e.Subkeys {
			if e.Subkeys[i].PrivateKey != nil {
				continue
			}
			j := slices.IndexFunc(o.Subkeys, func(s openpgp.Subkey) bool {
				return bytes.Equal(s.PublicKey.Fingerprint, e.Subkeys[i].PublicKey.Fingerprint)
			})
			if j >= 0 {
				e.Subkeys[i].PrivateKey = o.Subkeys[j].PrivateKey
			}
		}
	}
	return nil
}

// mergeSigs appends the signatures of add that are not already in sigs
// (compared by their serialized form).
func mergeSigs(sigs, add []*packet.Signature) []*packet.Signature {
	seen := make(map[string]bool, len(sigs))
	for _, s := range sigs {
		seen[sigKey(s)] = true
	}
	for _, s := range add {
		if key := sigKey(s); !seen[key] {
			seen[key] = true
			sigs = append(sigs, s)
		}
	}
	return sigs
}

func sigKey(s *packet.Signature) string {
	var buf bytes.Buffer
	if err := s.Serialize(&buf); err != nil {
		// A signature that cannot be serialized cannot be exported either;
		// identify it by pointer so that it is kept once.
		return fmt.Sprintf("%p", s)
	}
	return buf.String()
}

// ClearPrivate wipes the private key parameters from memory and drops the
// secret material; the key is public afterwards. Call it when done.
func (k *Key) ClearPrivate() {
	// NewKeyFromEntity fails only for a nil entity, which a Key never has.
	if gk, err := gopenpgp.NewKeyFromEntity(k.entity); err == nil {
		gk.ClearPrivateParams()
	}
}

// serialize writes the key deterministically: the primary key, its
// revocations and direct signatures, the user IDs (primary first) and the
// subkeys. withSecret writes secret-key packets, full keeps third-party
// certifications and superseded self-signatures.
func (k *Key) serialize(w io.Writer, withSecret, full bool) error {
	e := k.entity
	if withSecret && e.PrivateKey != nil {
		if err := e.PrivateKey.Serialize(w); err != nil {
			return err
		}
	} else if err := e.PrimaryKey.Serialize(w); err != nil {
		return err
	}
	if err := writeSigs(w, e.Revocations); err != nil {
		return err
	}
	if err := writeSigs(w, e.Signatures); err != nil {
		return err
	}
	for _, id := range k.identities() {
		if err := id.UserId.Serialize(w); err != nil {
			return err
		}
		sigs := append([]*packet.Signature{id.SelfSignature}, id.Revocations...)
		if full {
			sigs = mergeSigs(sigs, id.Signatures)
		}
		if err := writeSigs(w, sigs); err != nil {
			return err
		}
	}
	for _, s := range e.Subkeys {
		var err error
		if withSecret && s.PrivateKey != nil {
			err = s.PrivateKey.Serialize(w)
		} else {
			err = s.PublicKey.Serialize(w)
		}
		if err != nil {
			return err
		}
		if err := writeSigs(w, s.Revocations); err != nil {
			return err
		}
		if err := s.Sig.Serialize(w); err != nil {
			return err
		}
	}
	return nil
}

func writeSigs(w io.Writer, sigs []*packet.Signature) error {
	for _, s := range sigs {
		if s == nil {
			continue
		}
		if err := s.Serialize(w); err != nil {
			return err
		}
	}
	return nil
}
