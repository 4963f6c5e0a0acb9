package crypto

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// chunkSize bounds every write into the go-crypto packet writers (they buffer
// a whole Write call) and every read while decrypting.
const chunkSize = 64 << 10

// peekSize is the buffer for detecting the format of the input; large reads
// bypass it.
const peekSize = 4 << 10

// chunkPool recycles the chunk buffers of encryption and decryption, which
// would otherwise dominate the garbage of small messages. Buffers are wiped
// before they go back.
var chunkPool = sync.Pool{New: func() any { return new([chunkSize]byte) }}

func getChunk() *[chunkSize]byte { return chunkPool.Get().(*[chunkSize]byte) }

func putChunk(b *[chunkSize]byte) {
	clear(b[:])
	chunkPool.Put(b)
}

// EncryptOptions configures Encrypt, EncryptWithPassword and EncryptBytes.
type EncryptOptions struct {
	// Recipients are public keys to encrypt to; the caller includes its own
	// key to keep a readable copy. EncryptWithPassword accepts none or some.
	Recipients []*Key
	// HiddenRecipients are encrypted to without naming their keys: their
	// PKESKs carry the wildcard key ID (RFC 9580 section 5.1), so the other
	// recipients cannot tell who they are (blind copies). A recipient's
	// software tries its keys on such a packet. A key also in Recipients is
	// named.
	HiddenRecipients []*Key
	// Signer, when not nil, is an unlocked secret key that signs the message
	// (one-pass signature inside the encryption).
	Signer *Key
	// Now is the time for key validity and the signature; zero means time.Now().
	Now time.Time
	// Armor selects ASCII armor ("-----BEGIN PGP MESSAGE-----") output.
	Armor bool
	// Filename is stored in the literal data packet.
	Filename string
	// Binary marks the literal data as binary ('b') rather than UTF-8 text ('u').
	// The bytes are never altered either way.
	Binary bool
}

// Staging receives decrypted bytes. Decrypt calls Commit only after the whole
// message was read, its integrity check (MDC or AEAD) passed and its signature
// was evaluated; in every other case it calls Discard. A Staging must release
// nothing before Commit.
type Staging interface {
	io.Writer
	// Commit releases the staged plaintext.
	Commit() error
	// Discard drops (and should wipe) the staged plaintext.
	Discard()
}

// DecryptOptions configures Decrypt.
type DecryptOptions struct {
	// Keys are unlocked secret keys to decrypt with.
	Keys []*Key
	// Verifiers are the public keys whose signatures count; a signature by any
	// other key is reported as SigUnknownKey even if it is in Keys.
	Verifiers []*Key
	// Password decrypts password-encrypted (SKESK) messages.
	Password []byte
	// Now is the time at which the signer's key validity is judged; zero means
	// time.Now().
	Now time.Time
}

// Verdict reports what Decrypt verified about a message.
type Verdict struct {
	// Encrypted is true when the input was an encrypted message.
	Encrypted bool
	// Unencrypted is true when the input is positively an OpenPGP message
	// that is not encrypted: its first packet is a signature, one-pass
	// signature, compressed or literal data packet. With an error, neither
	// Encrypted nor Unencrypted means the input could not be read far
	// enough to tell (damaged armor, say): a caller that was told the
	// message is encrypted must keep treating it as encrypted.
	Unencrypted bool
	// IntegrityProtected is true when the integrity check (MDC or AEAD)
	// passed; Decrypt never returns plaintext from encrypted data without it.
	IntegrityProtected bool
	// Symmetric is true when the message was decrypted with the password.
	Symmetric bool
	// Signature is the signature status; SigNone when unsigned.
	Signature SignatureResult
	// Filename is the name stored in the message, as the sender wrote it
	// (untrusted: sanitise before any use).
	Filename string
}

// nowOr returns t, or time.Now() when t is zero.
func nowOr(t time.Time) time.Time {
	if t.IsZero() {
		return time.Now()
	}
	return t
}

// Encrypt returns a writer that encrypts (and, with opts.Signer, signs) what
// is written to it into dst; Close finishes the message. Every recipient is
// checked with CanEncrypt and the signer with CanSign before anything is
// written. The message is SEIPDv1 (MDC) with AES-256, uncompressed.
func Encrypt(dst io.Writer, opts EncryptOptions) (io.WriteCloser, error) {
	if len(opts.Recipients)+len(opts.HiddenRecipients) == 0 {
		return nil, fmt.Errorf("encrypt: %w", ErrNoRecipients)
	}
	return encrypt(dst, nil, opts)
}

// EncryptWithPassword is Encrypt for a password shared out of band: the
// session key is encrypted with the password (SKESK v4, iterated and salted
// S2K, SHA-256) and, if opts.Recipients is not empty, also to each recipient.
// The data is SEIPDv1 with AES-256, optionally signed by opts.Signer; GnuPG
// 2.2 opens it with the password.
func EncryptWithPassword(dst io.Writer, password []byte, opts EncryptOptions) (io.WriteCloser, error) {
	if len(password) == 0 {
		return nil, fmt.Errorf("encrypt with password: %w: the password is empty", ErrBadPassword)
	}
	return encrypt(dst, password, opts)
}

// encrypt writes PKESKs for opts.Recipients, an SKESK for password (if any),
// and returns the writer for the SEIPDv1 packet with the (signed) literal data.
//
// The public-key encryptions of the session key (an X25519 or RSA operation
// each, the costliest step for small messages) run concurrently with the
// encryption of the data: the data's ciphertext is held back in a gate until
// the PKESKs are written first.
func encrypt(dst io.Writer, password []byte, opts EncryptOptions) (io.WriteCloser, error) {
	now := nowOr(opts.Now)
	to, err := recipientEntities(opts.Recipients, now)
	if err != nil {
		return nil, err
	}
	hidden, err := recipientEntities(opts.HiddenRecipients, now)
	if err != nil {
		return nil, err
	}
	named := len(to)
	for _, e := range hidden {
		if !slices.ContainsFunc(to[:named], func(n *openpgp.Entity) bool { return bytes.Equal(n.PrimaryKey.Fingerprint, e.PrimaryKey.Fingerprint) }) {
			to = append(to, e)
		}
	}
	signer, err := signerEntity(opts.Signer, now)
	if err != nil {
		return nil, err
	}
	cfg := baseConfig(now)
	out, armorW, err := outerWriter(dst, opts.Armor)
	if err != nil {
		return nil, err
	}
	sessionKey := make([]byte, packet.CipherAES256.KeySize())
	if _, err := io.ReadFull(cfg.Random(), sessionKey); err != nil {
		return nil, fmt.Errorf("encrypt: session key: %w", err)
	}
	gate := newKeyGate(out, len(to)+1)
	for i, e := range to {
		k, _ := e.EncryptionKey(now) // checked by recipientEntities
		go gate.produce(i, func(w io.Writer) error {
			if err := packet.SerializeEncryptedKeyAEADwithHiddenOption(w, k.PublicKey, packet.CipherAES256, false, sessionKey, i >= named, cfg); err != nil {
				return fmt.Errorf("encrypt: session key for %X: %w", e.PrimaryKey.Fingerprint, err)
			}
			return nil
		})
	}
	// The SKESK (an S2K of tens of milliseconds) runs concurrently too; it
	// is the last key packet.
	go gate.produce(len(to), func(w io.Writer) error {
		if password == nil {
			return nil
		}
		if err := packet.SerializeSymmetricKeyEncryptedAEADReuseKey(w, sessionKey, password, false, cfg); err != nil {
			return fmt.Errorf("encrypt: password: %w", err)
		}
		return nil
	})
	payload, err := newSEIPDWriter(gate, sessionKey)
	if err != nil {
		gate.wait()
		return nil, fmt.Errorf("encrypt: %w", err)
	}
	if signer == nil {
		lit, err := packet.SerializeLiteral(payload, opts.Binary, opts.Filename, 0)
		if err != nil {
			gate.wait()
			return nil, fmt.Errorf("encrypt: %w", err)
		}
		return &messageWriter{w: lit, closers: closers(gate, armorW)}, nil
	}
	// openpgp.Sign never closes its output: close the encrypted packet after it.
	hints := &openpgp.FileHints{IsBinary: opts.Binary, FileName: opts.Filename}
	signed, err := openpgp.Sign(payload, signer, hints, cfg)
	if err != nil {
		gate.wait()
		return nil, fmt.Errorf("encrypt: sign: %w", err)
	}
	return &messageWriter{w: signed, closers: closers(payload, gate, armorW)}, nil
}

// gateLimit is how much ciphertext keyGate holds back before it waits for
// the key packets.
const gateLimit = 1 << 20

// keyGate writes the key packets (made concurrently, written in order) to out
// before any data that is written to the gate.
type keyGate struct {
	out     io.Writer
	packets []bytes.Buffer
	errs    []error
	pending sync.WaitGroup
	done    chan struct{}
	held    bytes.Buffer
	open    bool
	err     error
}

func newKeyGate(out io.Writer, n int) *keyGate {
	g := &keyGate{out: out, packets: make([]bytes.Buffer, n), errs: make([]error, n), done: make(chan struct{})}
	g.pending.Add(n)
	go func() {
		g.pending.Wait()
		close(g.done)
	}()
	return g
}

// produce runs build for key packet i.
func (g *keyGate) produce(i int, build func(io.Writer) error) {
	defer g.pending.Done()
	g.errs[i] = build(&g.packets[i])
}

// wait blocks until every key packet is made (used on early failure so that
// no goroutine outlives the call).
func (g *keyGate) wait() { <-g.done }

// release writes the key packets and the held data once they are all made.
func (g *keyGate) release() error {
	if g.open || g.err != nil {
		return g.err
	}
	<-g.done
	g.open = true
	for i := range g.packets {
		if g.errs[i] != nil {
			g.err = g.errs[i]
			return g.err
		}
		if _, err := g.packets[i].WriteTo(g.out); err != nil {
			g.err = err
			return err
		}
	}
	if _, err := g.held.WriteTo(g.out); err != nil {
		g.err = err
	}
	g.held = bytes.Buffer{}
	return g.err
}

// Write passes p on once the key packets are out, and holds it until then.
func (g *keyGate) Write(p []byte) (int, error) {
	if !g.open {
		select {
		case <-g.done:
		default:
			if g.held.Len()+len(p) <= gateLimit {
				return g.held.Write(p)
			}
		}
		if err := g.release(); err != nil {
			return 0, err
		}
	}
	return g.out.Write(p)
}

// Close releases everything held; it does not close out.
func (g *keyGate) Close() error {
	return g.release()
}

// recipientEntities checks every recipient with CanEncrypt and returns the
// go-crypto entities, without duplicates.
func recipientEntities(keys []*Key, now time.Time) ([]*openpgp.Entity, error) {
	seen := make(map[string]bool, len(keys))
	out := make([]*openpgp.Entity, 0, len(keys))
	for _, k := range keys {
		if k == nil {
			return nil, fmt.Errorf("encrypt: %w: nil recipient key", ErrInvalidOptions)
		}
		if err := k.CanEncrypt(now); err != nil {
			return nil, fmt.Errorf("encrypt: recipient: %w", err)
		}
		if fp := k.Fingerprint(); !seen[fp] {
			seen[fp] = true
			out = append(out, k.entity)
		}
	}
	return out, nil
}

// signerEntity checks that k (if not nil) can sign at now with unlocked
// secret material.
func signerEntity(k *Key, now time.Time) (*openpgp.Entity, error) {
	if k == nil {
		return nil, nil
	}
	if err := k.CanSign(now); err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	sk, _ := k.entity.SigningKey(now)
	switch {
	case sk.PrivateKey == nil || sk.PrivateKey.Dummy():
		return nil, fmt.Errorf("sign: key %s: %w", k.Fingerprint(), ErrNotSecretKey)
	case sk.PrivateKey.Encrypted:
		return nil, fmt.Errorf("sign: key %s: %w", k.Fingerprint(), ErrKeyLocked)
	}
	return k.entity, nil
}

// outerWriter returns the writer the OpenPGP packets go to: dst itself or an
// armor encoder over dst (returned too, to be closed last).
func outerWriter(dst io.Writer, armored bool) (io.Writer, io.WriteCloser, error) {
	if !armored {
		return dst, nil, nil
	}
	w, err := newArmorWriter(dst)
	if err != nil {
		return nil, nil, fmt.Errorf("encrypt: armor: %w", err)
	}
	return w, w, nil
}

func closers(cs ...io.Closer) []io.Closer {
	out := cs[:0]
	for _, c := range cs {
		if c != nil {
			out = append(out, c)
		}
	}
	return out
}

// messageWriter feeds the go-crypto writer in bounded chunks (its packet
// writers buffer a whole Write call) and closes the outer layers in order.
type messageWriter struct {
	w       io.WriteCloser
	closers []io.Closer
	closed  bool
}

// Write encrypts p.
func (m *messageWriter) Write(p []byte) (int, error) {
	if m.closed {
		return 0, errors.New("crypto: write to a closed message writer")
	}
	n := 0
	for len(p) > 0 {
		c := min(len(p), chunkSize)
		k, err := m.w.Write(p[:c])
		n += k
		if err != nil {
			return n, fmt.Errorf("encrypt: %w", err)
		}
		p = p[c:]
	}
	return n, nil
}

// Close writes the signature, the MDC and the armor trailer.
func (m *messageWriter) Close() error {
	if m.closed {
		return nil
	}
	m.closed = true
	if err := m.w.Close(); err != nil {
		return fmt.Errorf("encrypt: finish message: %w", err)
	}
	for _, c := range m.closers {
		if err := c.Close(); err != nil {
			return fmt.Errorf("encrypt: finish message: %w", err)
		}
	}
	return nil
}

// decryptRing decrypts with the secret keys and verifies only with the
// verifiers.
type decryptRing struct {
	dec, ver openpgp.EntityList
}

func (r decryptRing) KeysById(id uint64) []openpgp.Key { return r.dec.KeysById(id) }
func (r decryptRing) KeysByIdUsage(id uint64, usage byte) []openpgp.Key {
	return r.ver.KeysByIdUsage(id, usage)
}
func (r decryptRing) DecryptionKeys() []openpgp.Key { return r.dec.DecryptionKeys() }

func entityList(keys []*Key) openpgp.EntityList {
	out := make(openpgp.EntityList, 0, len(keys))
	for _, k := range keys {
		if k != nil {
			out = append(out, k.entity)
		}
	}
	return out
}

// Decrypt reads an OpenPGP message from src (armored or binary, detected),
// decrypts it with opts.Keys or opts.Password, checks its integrity, evaluates
// its signature against opts.Verifiers and streams the plaintext into dst.
// dst.Commit is called only when everything was read and the integrity check
// passed; on any error dst.Discard is called and nothing is released.
//
// Encrypted data without integrity protection (SED, no MDC) is refused with
// ErrIntegrity; a modified or truncated ciphertext fails with ErrIntegrity.
// A message that is signed but not encrypted is accepted (Encrypted false).
// Errors: ErrNoMatchingKey, ErrKeyLocked, ErrBadPassword, ErrIntegrity,
// ErrMalformedMessage. A bad signature is not an error: see Verdict.Signature.
// With an error, the Verdict says only whether the input is an encrypted
// OpenPGP message (its first packet is a key or an encrypted data packet)
// or positively an unencrypted one (Unencrypted), so that a signed message
// that failed for another reason (too large, say) is not reported as
// encrypted. Armor that cannot be read fails with ErrDamagedArmor and
// neither.
func Decrypt(src io.Reader, dst Staging, opts DecryptOptions) (v Verdict, err error) {
	committed := false
	defer func() {
		if p := recover(); p != nil {
			v, err = Verdict{}, fmt.Errorf("decrypt: %w: parser failure: %v", ErrMalformedMessage, p)
		}
		if !committed {
			dst.Discard()
		}
	}()
	now := nowOr(opts.Now)
	cfg := baseConfig(now)
	ring := decryptRing{dec: entityList(opts.Keys), ver: entityList(opts.Verifiers)}
	body, err := messageBody(src)
	if err != nil {
		return Verdict{}, err
	}
	bufs := [3]*[chunkSize]byte{getChunk(), getChunk(), getChunk()}
	defer func() {
		for _, b := range bufs {
			putChunk(b)
		}
	}()
	tag, tagged := firstPacket(body)
	failed := Verdict{Encrypted: tagged && startsEncrypted(tag), Unencrypted: tagged && startsUnencrypted(tag)}
	inner, enc, err := openEncrypted(body, ring, opts.Password, cfg, bufs[1], bufs[2])
	if err != nil {
		return failed, err
	}
	md, err := openpgp.ReadMessage(inner, ring, nil, cfg)
	if err != nil {
		switch {
		case enc == nil:
			return failed, fmt.Errorf("decrypt: %w: %w", ErrMalformedMessage, err)
		case enc.symmetric:
			// A wrong password yields a random session key whose "plaintext"
			// does not parse.
			return failed, fmt.Errorf("decrypt: %w (or the message is damaged: %w)", ErrBadPassword, err)
		}
		return failed, fmt.Errorf("decrypt: %w: the decrypted data is not a valid message (%w)", ErrIntegrity, err)
	}
	if md.LiteralData != nil {
		v.Filename = md.LiteralData.FileName
	}
	buf := bufs[0][:]
	for {
		n, rerr := md.UnverifiedBody.Read(buf)
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return failed, fmt.Errorf("decrypt: staging: %w", werr)
			}
		}
		if errors.Is(rerr, io.EOF) {
			break
		}
		if rerr != nil {
			if enc != nil {
				return failed, fmt.Errorf("decrypt: %w: the message was modified or is incomplete (%w)", ErrIntegrity, rerr)
			}
			return failed, fmt.Errorf("decrypt: %w: %w", ErrMalformedMessage, rerr)
		}
	}
	if enc != nil {
		if err := enc.finish(); err != nil {
			return failed, fmt.Errorf("decrypt: %w: the message was modified or is incomplete (%w)", ErrIntegrity, err)
		}
		v.Encrypted, v.IntegrityProtected, v.Symmetric = true, true, enc.symmetric
	} else {
		v.Unencrypted = true
	}
	v.Signature = messageSignature(md, now)
	committed = true
	if err := dst.Commit(); err != nil {
		dst.Discard()
		return failed, fmt.Errorf("decrypt: commit: %w", err)
	}
	return v, nil
}

// encrypted describes the encryption layer of a message being read.
type encrypted struct {
	symmetric bool
	// finish checks the integrity (MDC or the final AEAD tag) after the
	// plaintext was read to its end.
	finish func() error
}

// messageBody detects armor and returns the binary OpenPGP stream.
func messageBody(src io.Reader) (*bufio.Reader, error) {
	br := bufio.NewReaderSize(src, peekSize)
	for {
		b, err := br.Peek(1)
		if err != nil {
			return nil, fmt.Errorf("decrypt: %w: empty input", ErrMalformedMessage)
		}
		if b[0] != ' ' && b[0] != '\t' && b[0] != '\r' && b[0] != '\n' {
			break
		}
		if _, err := br.ReadByte(); err != nil {
			return nil, fmt.Errorf("decrypt: %w", err)
		}
	}
	if b, _ := br.Peek(1); b[0]&0x80 != 0 {
		return br, nil
	}
	body, err := newArmorReader(br)
	if err != nil {
		return nil, fmt.Errorf("decrypt: %w: %w: neither binary OpenPGP nor a readable armored message (%w)", ErrMalformedMessage, ErrDamagedArmor, err)
	}
	out := bufio.NewReaderSize(body, peekSize)
	if _, err := out.Peek(1); err != nil {
		return nil, fmt.Errorf("decrypt: %w: %w: the armored data cannot be decoded (%w)", ErrMalformedMessage, ErrDamagedArmor, err)
	}
	return out, nil
}

// packetTag returns the packet type of the header starting with b.
func packetTag(b byte) byte {
	if b&0x40 != 0 {
		return b & 0x3f
	}
	return (b >> 2) & 0x0f
}

// firstPacket returns the type of the first OpenPGP packet in body without
// consuming anything; false when body does not begin with a packet header.
func firstPacket(body *bufio.Reader) (byte, bool) {
	first, err := body.Peek(1)
	if err != nil || first[0]&0x80 == 0 {
		return 0, false
	}
	return packetTag(first[0]), true
}

// startsEncrypted reports whether a message whose first packet is of type
// tag is encrypted: a key packet (PKESK, SKESK) or encrypted data (SED,
// SEIPD, AEAD).
func startsEncrypted(tag byte) bool {
	switch tag {
	case tagPKESK, tagSKESK, tagSED, tagSEIPD, tagAEAD:
		return true
	}
	return false
}

// startsUnencrypted reports whether a message whose first packet is of
// type tag is positively not encrypted (signed, compressed or literal
// data), as openEncrypted reads it.
func startsUnencrypted(tag byte) bool {
	switch tag {
	case tagSignature, tagOnePassSig, tagCompressed, tagLiteral:
		return true
	}
	return false
}

// Packet types that start an encrypted message.
const (
	tagPKESK = 1
	tagSKESK = 3
	tagSED   = 9
	tagAEAD  = 20 // tagSEIPD (18) is in seipd.go
)

// Packet types that start an unencrypted message.
const (
	tagSignature  = 2
	tagOnePassSig = 4
	tagCompressed = 8
	tagLiteral    = 11
)

// openEncrypted reads the key packets and opens the encrypted data packet.
// It returns the plaintext packet stream, or body itself (and nil) for an
// unencrypted message.
// buf and scratch are working buffers for the AES fast path.
func openEncrypted(body *bufio.Reader, ring decryptRing, password []byte, cfg *packet.Config, buf, scratch *[chunkSize]byte) (io.Reader, *encrypted, error) {
	first, err := body.Peek(1)
	if err != nil {
		return nil, nil, fmt.Errorf("decrypt: %w: empty message", ErrMalformedMessage)
	}
	if startsUnencrypted(packetTag(first[0])) {
		return body, nil, nil
	}
	var pkesks []*packet.EncryptedKey
	var skesks []*packet.SymmetricKeyEncrypted
	var data packet.EncryptedDataPacket
	packets := packet.NewReader(body)
	for data == nil {
		p, err := packets.Next()
		if errors.Is(err, io.EOF) {
			return nil, nil, fmt.Errorf("decrypt: %w: no encrypted data", ErrMalformedMessage)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("decrypt: %w: %w", ErrMalformedMessage, err)
		}
		if len(pkesks)+len(skesks) > maxKeyPackets {
			return nil, nil, fmt.Errorf("decrypt: %w: more than %d key packets", ErrMalformedMessage, maxKeyPackets)
		}
		switch p := p.(type) {
		case *packet.EncryptedKey:
			pkesks = append(pkesks, p)
		case *packet.SymmetricKeyEncrypted:
			skesks = append(skesks, p)
		case *packet.SymmetricallyEncrypted:
			if !p.IntegrityProtected {
				return nil, nil, fmt.Errorf("decrypt: %w: the message has no integrity protection (no MDC) and is refused", ErrIntegrity)
			}
			data = p
		case *packet.AEADEncrypted:
			data = p
		case *packet.LiteralData, *packet.Compressed, *packet.OnePassSignature:
			return nil, nil, fmt.Errorf("decrypt: %w: key packets not followed by encrypted data", ErrMalformedMessage)
		}
	}
	key, cf, symmetric, err := sessionKey(pkesks, skesks, ring, password, cfg)
	if err != nil {
		return nil, nil, err
	}
	enc := &encrypted{symmetric: symmetric}
	if se, ok := data.(*packet.SymmetricallyEncrypted); ok && se.Version == 1 && isAES(cf) && len(key) == cf.KeySize() {
		r, err := newMDCReader(se.Contents, key, buf[:], scratch[:])
		if err != nil {
			return nil, nil, fmt.Errorf("decrypt: %w: %w", ErrIntegrity, err)
		}
		enc.finish = r.verify
		return r, enc, nil
	}
	rc, err := data.Decrypt(cf, key)
	if err != nil {
		if symmetric {
			return nil, nil, fmt.Errorf("decrypt: %w (%w)", ErrBadPassword, err)
		}
		return nil, nil, fmt.Errorf("decrypt: %w: %w", ErrMalformedMessage, err)
	}
	enc.finish = func() error {
		// Drain what the parser left, then check the MDC or final AEAD tag.
		if _, err := io.Copy(io.Discard, rc); err != nil {
			return err
		}
		return rc.Close()
	}
	return rc, enc, nil
}

// Limits on what one message may make us compute: each key packet costs a
// public-key operation per matching key, each SKESK a full S2K.
const (
	maxKeyPackets    = 100
	maxPasswordTries = 4
)

func isAES(cf packet.CipherFunction) bool {
	return cf == packet.CipherAES128 || cf == packet.CipherAES192 || cf == packet.CipherAES256
}

// sessionKey finds the session key: first with an unlocked secret key for a
// PKESK, then with the password for an SKESK.
func sessionKey(pkesks []*packet.EncryptedKey, skesks []*packet.SymmetricKeyEncrypted, ring decryptRing, password []byte, cfg *packet.Config) (key []byte, cf packet.CipherFunction, symmetric bool, err error) {
	var locked *openpgp.Entity
	for _, pk := range pkesks {
		if !pk.Algo.CanEncrypt() {
			continue
		}
		candidates := ring.dec.DecryptionKeys()
		if pk.KeyId != 0 {
			candidates = ring.dec.KeysById(pk.KeyId)
		}
		for _, k := range candidates {
			switch {
			case k.PrivateKey == nil || k.PrivateKey.Dummy():
				continue
			case k.PrivateKey.Encrypted:
				locked = k.Entity
				continue
			}
			if pk.Decrypt(k.PrivateKey, cfg) == nil {
				return pk.Key, pk.CipherFunc, false, nil
			}
		}
	}
	if len(password) > 0 {
		for _, sk := range skesks[:min(len(skesks), maxPasswordTries)] {
			if key, cf, err := sk.Decrypt(password); err == nil {
				return key, cf, true, nil
			}
		}
		if len(skesks) > 0 {
			return nil, 0, false, fmt.Errorf("decrypt: %w", ErrBadPassword)
		}
	}
	if locked != nil {
		return nil, 0, false, fmt.Errorf("decrypt: %w: unlock key %X first", ErrKeyLocked, locked.PrimaryKey.Fingerprint)
	}
	return nil, 0, false, fmt.Errorf("decrypt: %w", ErrNoMatchingKey)
}

// EncryptBytes encrypts plaintext in memory; see Encrypt.
func EncryptBytes(plaintext []byte, opts EncryptOptions) ([]byte, error) {
	var buf bytes.Buffer
	w, err := Encrypt(&buf, opts)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(plaintext); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// DecryptBytes decrypts a message in memory; see Decrypt. The plaintext is
// returned only when Decrypt committed it.
func DecryptBytes(message []byte, opts DecryptOptions) ([]byte, Verdict, error) {
	st := NewBufferStaging()
	v, err := Decrypt(bytes.NewReader(message), st, opts)
	if err != nil {
		return nil, Verdict{}, err
	}
	return st.Bytes(), v, nil
}

// BufferStaging is an in-memory Staging. Discard overwrites the staged bytes.
// Memory from earlier, smaller buffers (before growth) is left to the
// garbage collector without wiping.
type BufferStaging struct {
	buf       bytes.Buffer
	committed bool
	discarded bool
}

// NewBufferStaging returns an empty in-memory Staging.
func NewBufferStaging() *BufferStaging {
	return &BufferStaging{}
}

// Write stages p; it fails after Commit or Discard.
func (s *BufferStaging) Write(p []byte) (int, error) {
	if s.committed || s.discarded {
		return 0, errors.New("crypto: write to a finished staging buffer")
	}
	return s.buf.Write(p)
}

// Commit releases the staged bytes to Bytes.
func (s *BufferStaging) Commit() error {
	if s.discarded {
		return errors.New("crypto: commit of a discarded staging buffer")
	}
	s.committed = true
	return nil
}

// Discard wipes and drops the staged bytes.
func (s *BufferStaging) Discard() {
	clear(s.buf.Bytes())
	s.buf.Reset()
	s.committed = false
	s.discarded = true
}

// Bytes returns the plaintext after Commit, and nil before.
func (s *BufferStaging) Bytes() []byte {
	if !s.committed {
		return nil
	}
	return s.buf.Bytes()
}
