package pgpmime

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"

	"github.com/sealpost/sealpost/crypto"
)

// maxHeaderLine is the longest header line Protect writes for Autocrypt
// fields (RFC 5322 recommends 78 characters).
const maxHeaderLine = 78

// keydataLine is the number of base64 characters per folded keydata line.
const keydataLine = 76

// autocryptKeydata returns the minimal transferable public key for an
// Autocrypt header (Autocrypt Level 1, section 2.1.1): the primary key, the
// one user ID that carries addr with its self-signature, and the encryption
// subkey valid at now with its binding signature. Nothing else (no other
// user IDs, certifications or old subkeys) is included.
func autocryptKeydata(k *crypto.Key, addr string, now time.Time) ([]byte, error) {
	if err := k.CanEncrypt(now); err != nil {
		return nil, fmt.Errorf("autocrypt key %s: %w", k.Fingerprint(), err)
	}
	raw, err := k.Public().MarshalPublic()
	if err != nil {
		return nil, fmt.Errorf("autocrypt key %s: %w", k.Fingerprint(), err)
	}
	e, err := openpgp.ReadEntity(packet.NewReader(bytes.NewReader(raw)))
	if err != nil {
		return nil, fmt.Errorf("autocrypt key %s: %w: %w", k.Fingerprint(), crypto.ErrMalformedKey, err)
	}
	id := identityFor(e, addr)
	if id == nil {
		return nil, fmt.Errorf("autocrypt key %s: %w: it has no user ID for %s; add one or use another key", k.Fingerprint(), crypto.ErrInvalidOptions, addr)
	}
	enc, ok := e.EncryptionKey(now)
	if !ok {
		return nil, fmt.Errorf("autocrypt key %s: %w", k.Fingerprint(), crypto.ErrNoEncryptionKey)
	}
	var b bytes.Buffer
	err = e.PrimaryKey.Serialize(&b)
	if err == nil && e.SelfSignature != nil {
		err = e.SelfSignature.Serialize(&b)
	}
	if err == nil {
		err = id.UserId.Serialize(&b)
	}
	if err == nil {
		err = id.SelfSignature.Serialize(&b)
	}
	if err == nil && enc.PublicKey != e.PrimaryKey {
		err = enc.PublicKey.Serialize(&b)
		if err == nil {
			err = enc.SelfSignature.Serialize(&b)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("autocrypt key %s: %w", k.Fingerprint(), err)
	}
	return b.Bytes(), nil
}

// identityFor returns the unrevoked user ID of e whose e-mail address is addr
// (case-insensitive), preferring the primary one, or nil.
func identityFor(e *openpgp.Entity, addr string) *openpgp.Identity {
	matches := func(id *openpgp.Identity) bool {
		return id != nil && id.SelfSignature != nil && len(id.Revocations) == 0 &&
			strings.EqualFold(id.UserId.Email, addr)
	}
	if p := e.PrimaryIdentity(); matches(p) {
		return p
	}
	names := make([]string, 0, len(e.Identities))
	for name := range e.Identities {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if id := e.Identities[name]; matches(id) {
			return id
		}
	}
	return nil
}

// autocryptField returns the header field name (Autocrypt or
// Autocrypt-Gossip) with the attributes attrs and the keydata of k for addr,
// folded so that no line exceeds 78 characters (unless addr alone is longer).
func autocryptField(name string, k *crypto.Key, addr string, preferMutual bool, now time.Time) ([]byte, error) {
	keydata, err := autocryptKeydata(k, addr, now)
	if err != nil {
		return nil, err
	}
	tokens := []string{"addr=" + strings.ToLower(addr) + ";"}
	if preferMutual {
		tokens = append(tokens, "prefer-encrypt=mutual;")
	}
	tokens = append(tokens, "keydata=")
	var b strings.Builder
	b.WriteString(name + ":")
	lineLen := b.Len()
	for _, t := range tokens {
		if lineLen+1+len(t) > maxHeaderLine {
			b.WriteString("\r\n")
			lineLen = 0
		}
		b.WriteString(" " + t)
		lineLen += 1 + len(t)
	}
	enc := base64.StdEncoding.EncodeToString(keydata)
	for len(enc) > 0 {
		n := min(keydataLine, len(enc))
		b.WriteString("\r\n " + enc[:n])
		enc = enc[n:]
	}
	b.WriteString("\r\n")
	return []byte(b.String()), nil
}
