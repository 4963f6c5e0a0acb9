package crypto

import (
	"bytes"
	stdcrypto "crypto"
	"crypto/aes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// recordingStaging records which of Commit and Discard were called.
type recordingStaging struct {
	BufferStaging
	commits, discards int
}

func (s *recordingStaging) Commit() error {
	s.commits++
	return s.BufferStaging.Commit()
}

func (s *recordingStaging) Discard() {
	s.discards++
	s.BufferStaging.Discard()
}

func TestEncryptDecryptToSeveralRecipients(t *testing.T) {
	alice := newKey(t, "Alice", "alice@example.org")
	bob := newKey(t, "Bob", "bob@example.org")
	rita := sharedRSAKey(t)
	plaintext := []byte("Q3 numbers: up.\r\nSecond line.\n")
	for _, armored := range []bool{false, true} {
		msg, err := EncryptBytes(plaintext, EncryptOptions{
			Recipients: []*Key{bob.Public(), rita.Public(), alice.Public()},
			Signer:     alice, Now: t0, Armor: armored, Filename: "q3.txt",
		})
		if err != nil {
			t.Fatalf("EncryptBytes(armor=%v): %v", armored, err)
		}
		if got := bytes.HasPrefix(msg, []byte("-----BEGIN PGP MESSAGE-----")); got != armored {
			t.Errorf("armor=%v: output has armor header = %v", armored, got)
		}
		for _, rcpt := range []*Key{alice, bob, rita} {
			t.Run(rcpt.UserIDs()[0]+map[bool]string{false: " binary", true: " armored"}[armored], func(t *testing.T) {
				st := &recordingStaging{}
				v, err := Decrypt(bytes.NewReader(msg), st, DecryptOptions{Keys: []*Key{rcpt}, Verifiers: []*Key{alice.Public()}, Now: t0})
				if err != nil {
					t.Fatalf("Decrypt: %v", err)
				}
				if got := st.Bytes(); !bytes.Equal(got, plaintext) {
					t.Errorf("plaintext = %q, want %q", got, plaintext)
				}
				want := Verdict{Encrypted: true, IntegrityProtected: true, Filename: "q3.txt"}
				if v.Encrypted != want.Encrypted || v.IntegrityProtected != want.IntegrityProtected || v.Symmetric || v.Filename != want.Filename {
					t.Errorf("verdict = %+v, want %+v", v, want)
				}
				if v.Signature.Status != SigValid || v.Signature.SignerFingerprint != alice.Fingerprint() || !v.Signature.SignedAt.Equal(t0) {
					t.Errorf("signature = %+v, want valid by %s at %v", v.Signature, alice.Fingerprint(), t0)
				}
				if st.commits != 1 || st.discards != 0 {
					t.Errorf("commits, discards = %d, %d, want 1, 0", st.commits, st.discards)
				}
			})
		}
	}
}

func TestEncryptUnsigned(t *testing.T) {
	bob := newKey(t, "Bob", "bob@example.org")
	msg, err := EncryptBytes([]byte("hi"), EncryptOptions{Recipients: []*Key{bob}, Now: t0})
	if err != nil {
		t.Fatalf("EncryptBytes: %v", err)
	}
	pt, v, err := DecryptBytes(msg, DecryptOptions{Keys: []*Key{bob}, Now: t0})
	if err != nil || string(pt) != "hi" {
		t.Fatalf("DecryptBytes = %q, %v, want %q, nil", pt, err, "hi")
	}
	if v.Signature.Status != SigNone {
		t.Errorf("signature status = %q, want %q", v.Signature.Status, SigNone)
	}
}

func TestEncryptIsUncompressedSEIPDv1AES256(t *testing.T) {
	bob := newKey(t, "Bob", "bob@example.org")
	msg, err := EncryptBytes(bytes.Repeat([]byte("a"), 1<<16), EncryptOptions{Recipients: []*Key{bob}, Signer: bob, Now: t0})
	if err != nil {
		t.Fatalf("EncryptBytes: %v", err)
	}
	if len(msg) < 1<<16 {
		t.Errorf("ciphertext of 64 KiB of 'a' is %d bytes: it was compressed", len(msg))
	}
	packets := packet.NewReader(bytes.NewReader(msg))
	var types []string
	// The SEIPD packet is the last one: its encrypted body is not read, so
	// reading on would parse random ciphertext as packet headers.
	for len(types) == 0 || types[len(types)-1] != "seipd" {
		p, err := packets.Next()
		if err != nil {
			break
		}
		switch p := p.(type) {
		case *packet.EncryptedKey:
			types = append(types, "pkesk")
			cf, _ := sessionCipher(t, p, bob)
			if cf != packet.CipherAES256 {
				t.Errorf("session cipher = %v, want AES-256", cf)
			}
		case *packet.SymmetricallyEncrypted:
			types = append(types, "seipd")
			if !p.IntegrityProtected || p.Version != 1 {
				t.Errorf("SEIPD IntegrityProtected, Version = %v, %d, want true, 1", p.IntegrityProtected, p.Version)
			}
		}
	}
	if want := []string{"pkesk", "seipd"}; !slices.Equal(types, want) {
		t.Errorf("packets = %q, want %q", types, want)
	}
}

// sessionCipher decrypts the session key of p with k.
func sessionCipher(t *testing.T, p *packet.EncryptedKey, k *Key) (packet.CipherFunction, []byte) {
	t.Helper()
	for _, key := range (openpgp.EntityList{k.entity}).KeysById(p.KeyId) {
		if err := p.Decrypt(key.PrivateKey, nil); err == nil {
			return p.CipherFunc, p.Key
		}
	}
	t.Fatalf("no key decrypts the PKESK")
	return 0, nil
}

func TestEncryptRefusesUnusableRecipients(t *testing.T) {
	good := newKey(t, "Good", "good@example.org")
	expiring, err := GenerateKey(GenerateOptions{Name: "Exp", Email: "exp@example.org", Lifetime: time.Hour, Now: t0})
	if err != nil {
		t.Fatalf("GenerateKey: %v", err)
	}
	revoked := newKey(t, "Rev", "rev@example.org")
	if err := revoked.Revoke("lost", t0); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	signOnly := newKey(t, "SignOnly", "so@example.org")
	signOnly.entity.Subkeys = nil
	tests := []struct {
		name string
		opts EncryptOptions
		want error
	}{
		{"expired", EncryptOptions{Recipients: []*Key{good, expiring}, Now: t0.Add(2 * time.Hour)}, ErrKeyExpired},
		{"revoked", EncryptOptions{Recipients: []*Key{good, revoked}, Now: t0.Add(time.Hour)}, ErrKeyRevoked},
		{"sign-only", EncryptOptions{Recipients: []*Key{signOnly}, Now: t0}, ErrNoEncryptionKey},
		{"no recipients", EncryptOptions{Now: t0}, ErrNoRecipients},
		{"signer is public", EncryptOptions{Recipients: []*Key{good}, Signer: good.Public(), Now: t0}, ErrNotSecretKey},
		{"signer expired", EncryptOptions{Recipients: []*Key{good}, Signer: expiring, Now: t0.Add(2 * time.Hour)}, ErrKeyExpired},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var dst bytes.Buffer
			w, err := Encrypt(&dst, tc.opts)
			if !errors.Is(err, tc.want) {
				t.Errorf("Encrypt error = %v, want %v", err, tc.want)
			}
			if w != nil || dst.Len() != 0 {
				t.Errorf("Encrypt wrote %d bytes before failing, want 0", dst.Len())
			}
		})
	}
}

func TestDecryptKeyProblems(t *testing.T) {
	alice := newKey(t, "Alice", "alice@example.org")
	eve := newKey(t, "Eve", "eve@example.org")
	msg, err := EncryptBytes([]byte("secret"), EncryptOptions{Recipients: []*Key{alice}, Now: t0})
	if err != nil {
		t.Fatalf("EncryptBytes: %v", err)
	}
	tests := []struct {
		name string
		opts DecryptOptions
		want error
	}{
		{"wrong key", DecryptOptions{Keys: []*Key{eve}}, ErrNoMatchingKey},
		{"no keys", DecryptOptions{}, ErrNoMatchingKey},
		{"public key only", DecryptOptions{Keys: []*Key{alice.Public()}}, ErrNoMatchingKey},
		{"locked key", DecryptOptions{Keys: []*Key{protectedCopy(t, alice, "pw")}}, ErrKeyLocked},
		{"password for a key message", DecryptOptions{Password: []byte("pw")}, ErrNoMatchingKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := &recordingStaging{}
			_, err := Decrypt(bytes.NewReader(msg), st, tc.opts)
			if !errors.Is(err, tc.want) {
				t.Errorf("Decrypt error = %v, want %v", err, tc.want)
			}
			if st.commits != 0 || st.discards != 1 {
				t.Errorf("commits, discards = %d, %d, want 0, 1", st.commits, st.discards)
			}
		})
	}
}

func TestSignatureStatuses(t *testing.T) {
	alice := newKey(t, "Alice", "alice@example.org")
	bob := newKey(t, "Bob", "bob@example.org")
	shortLived, err := GenerateKey(GenerateOptions{Name: "Short", Email: "short@example.org", Lifetime: time.Hour, Now: t0})
	if err != nil {
		t.Fatalf("GenerateKey: %v", err)
	}
	revoker := newKey(t, "Revoker", "revoker@example.org")
	revokedPublic := func() *Key {
		msgKey := revoker.Public()
		r := newKeyCopy(t, revoker)
		if err := r.Revoke("compromised?", t0.Add(time.Hour)); err != nil {
			t.Fatalf("Revoke: %v", err)
		}
		if err := msgKey.Merge(r.Public()); err != nil {
			t.Fatalf("Merge: %v", err)
		}
		return msgKey
	}()
	enc := func(signer *Key) []byte {
		t.Helper()
		msg, err := EncryptBytes([]byte("signed text"), EncryptOptions{Recipients: []*Key{bob}, Signer: signer, Now: t0})
		if err != nil {
			t.Fatalf("EncryptBytes: %v", err)
		}
		return msg
	}
	tests := []struct {
		name      string
		msg       []byte
		verifiers []*Key
		now       time.Time
		want      SignatureStatus
		wantFpr   string
		wantKeyID string
	}{
		{"none", mustEncrypt(t, bob, nil), []*Key{alice}, t0, SigNone, "", ""},
		{"valid", enc(alice), []*Key{alice.Public()}, t0, SigValid, alice.Fingerprint(), ""},
		{"unknown key", enc(alice), []*Key{bob.Public()}, t0, SigUnknownKey, "", signingKeyID(t, alice)},
		{"decryption key does not verify", enc(bob), nil, t0, SigUnknownKey, "", signingKeyID(t, bob)},
		{"expired key", enc(shortLived), []*Key{shortLived.Public()}, t0.Add(2 * time.Hour), SigExpiredKey, shortLived.Fingerprint(), ""},
		{"revoked key", enc(revoker), []*Key{revokedPublic}, t0.Add(2 * time.Hour), SigRevokedKey, revoker.Fingerprint(), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, v, err := DecryptBytes(tc.msg, DecryptOptions{Keys: []*Key{bob}, Verifiers: tc.verifiers, Now: tc.now})
			if err != nil {
				t.Fatalf("DecryptBytes: %v", err)
			}
			got := v.Signature
			if got.Status != tc.want || got.SignerFingerprint != tc.wantFpr {
				t.Errorf("signature = %+v, want status %q by %q", got, tc.want, tc.wantFpr)
			}
			if tc.wantKeyID != "" && got.SignerKeyID != tc.wantKeyID {
				t.Errorf("SignerKeyID = %q, want %q", got.SignerKeyID, tc.wantKeyID)
			}
			if tc.want != SigNone && got.Detail == "" {
				t.Errorf("Detail is empty for status %q", got.Status)
			}
		})
	}
}

func TestExpiredKeyDetail(t *testing.T) {
	bob := newKey(t, "Bob", "bob@example.org")
	short, err := GenerateKey(GenerateOptions{Name: "Short", Email: "short@example.org", Lifetime: time.Hour, Now: t0})
	if err != nil {
		t.Fatalf("GenerateKey: %v", err)
	}
	msg, err := EncryptBytes([]byte("x"), EncryptOptions{Recipients: []*Key{bob}, Signer: short, Now: t0.Add(time.Minute)})
	if err != nil {
		t.Fatalf("EncryptBytes: %v", err)
	}
	tests := []struct {
		name       string
		now        time.Time
		want       SignatureStatus
		wantDetail string
	}{
		{"verified while valid", t0.Add(30 * time.Minute), SigValid, "good signature"},
		{"verified after expiry", t0.Add(48 * time.Hour), SigExpiredKey, "before the key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, v, err := DecryptBytes(msg, DecryptOptions{Keys: []*Key{bob}, Verifiers: []*Key{short}, Now: tc.now})
			if err != nil {
				t.Fatalf("DecryptBytes: %v", err)
			}
			if v.Signature.Status != tc.want || !strings.Contains(v.Signature.Detail, tc.wantDetail) {
				t.Errorf("signature = %q (%s), want %q containing %q", v.Signature.Status, v.Signature.Detail, tc.want, tc.wantDetail)
			}
		})
	}
}

// newKeyCopy returns an independent copy of the secret key k.
func newKeyCopy(t *testing.T, k *Key) *Key {
	t.Helper()
	raw, err := k.MarshalSecret()
	if err != nil {
		t.Fatalf("MarshalSecret: %v", err)
	}
	keys, err := ParseKeys(raw)
	if err != nil {
		t.Fatalf("ParseKeys: %v", err)
	}
	return keys[0]
}

func mustEncrypt(t *testing.T, to, signer *Key) []byte {
	t.Helper()
	msg, err := EncryptBytes([]byte("text"), EncryptOptions{Recipients: []*Key{to}, Signer: signer, Now: t0})
	if err != nil {
		t.Fatalf("EncryptBytes: %v", err)
	}
	return msg
}

// signingKeyID is the key ID of k's signing key (the primary key here).
func signingKeyID(t *testing.T, k *Key) string {
	t.Helper()
	sk, ok := k.entity.SigningKey(t0)
	if !ok {
		t.Fatalf("no signing key")
	}
	return sk.PublicKey.KeyIdString()
}

// signedOnly makes a signed, unencrypted message with go-crypto directly.
func signedOnly(t *testing.T, signer *Key, text string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := openpgp.Sign(&buf, signer.entity, nil, baseConfig(t0))
	if err != nil {
		t.Fatalf("openpgp.Sign: %v", err)
	}
	if _, err := io.WriteString(w, text); err != nil {
		t.Fatalf("write: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	return buf.Bytes()
}

func TestSignedOnlyMessage(t *testing.T) {
	alice := newKey(t, "Alice", "alice@example.org")
	good := signedOnly(t, alice, "hello world")
	modified := bytes.Replace(good, []byte("hello"), []byte("jello"), 1)
	// A one-pass signature of a type no message may carry (0x13, a user ID
	// certification), then literal data: the signature cannot be checked.
	badType := []byte{0xc4, 0x0d, 3, 0x13, 8, 22, 1, 2, 3, 4, 5, 6, 7, 8, 1, 0xcb, 0x08, 'b', 0, 0, 0, 0, 0, 'h', 'i'}
	tests := []struct {
		name     string
		msg      []byte
		want     SignatureStatus
		wantText string
	}{
		{"valid", good, SigValid, "hello world"},
		{"modified data", modified, SigInvalid, "jello world"},
		{"unsupported signature type", badType, SigError, "hi"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pt, v, err := DecryptBytes(tc.msg, DecryptOptions{Verifiers: []*Key{alice}, Now: t0})
			if err != nil {
				t.Fatalf("DecryptBytes: %v", err)
			}
			if v.Encrypted || v.IntegrityProtected {
				t.Errorf("Encrypted, IntegrityProtected = %v, %v, want false, false", v.Encrypted, v.IntegrityProtected)
			}
			if v.Signature.Status != tc.want || string(pt) != tc.wantText {
				t.Errorf("status, text = %q, %q, want %q, %q (%s)", v.Signature.Status, pt, tc.want, tc.wantText, v.Signature.Detail)
			}
		})
	}
}

func TestDetachedSignatures(t *testing.T) {
	alice := newKey(t, "Alice", "alice@example.org")
	bob := newKey(t, "Bob", "bob@example.org")
	data := "Content-Type: text/plain\r\n\r\nsigned body\r\n"
	sigBin, err := SignDetached(strings.NewReader(data), alice, false, t0)
	if err != nil {
		t.Fatalf("SignDetached: %v", err)
	}
	sigArm, err := SignDetached(strings.NewReader(data), alice, true, t0)
	if err != nil {
		t.Fatalf("SignDetached(armor): %v", err)
	}
	if !bytes.HasPrefix(sigArm, []byte("-----BEGIN PGP SIGNATURE-----")) {
		t.Errorf("armored signature starts %q", sigArm[:30])
	}
	short, err := GenerateKey(GenerateOptions{Name: "Short", Email: "s@example.org", Lifetime: time.Hour, Now: t0})
	if err != nil {
		t.Fatalf("GenerateKey: %v", err)
	}
	sigShort, err := SignDetached(strings.NewReader(data), short, false, t0)
	if err != nil {
		t.Fatalf("SignDetached: %v", err)
	}
	tests := []struct {
		name      string
		data      string
		sig       []byte
		verifiers []*Key
		now       time.Time
		want      SignatureStatus
		wantFpr   string
	}{
		{"valid binary", data, sigBin, []*Key{alice.Public()}, t0, SigValid, alice.Fingerprint()},
		{"valid armored", data, sigArm, []*Key{bob, alice.Public()}, t0, SigValid, alice.Fingerprint()},
		{"modified data", data + "x", sigBin, []*Key{alice}, t0, SigInvalid, alice.Fingerprint()},
		{"unknown key", data, sigBin, []*Key{bob}, t0, SigUnknownKey, ""},
		{"expired key", data, sigShort, []*Key{short}, t0.Add(2 * time.Hour), SigExpiredKey, short.Fingerprint()},
		{"garbage signature", data, []byte("not a signature"), []*Key{alice}, t0, SigError, ""},
		{"empty signature", data, nil, []*Key{alice}, t0, SigError, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := VerifyDetached(strings.NewReader(tc.data), tc.sig, tc.verifiers, tc.now)
			if got.Status != tc.want || got.SignerFingerprint != tc.wantFpr {
				t.Errorf("VerifyDetached = %+v, want status %q by %q", got, tc.want, tc.wantFpr)
			}
			if tc.want == SigUnknownKey && got.SignerKeyID != signingKeyID(t, alice) {
				t.Errorf("SignerKeyID = %q, want %q", got.SignerKeyID, signingKeyID(t, alice))
			}
		})
	}
}

func TestPasswordEncryption(t *testing.T) {
	alice := newKey(t, "Alice", "alice@example.org")
	bob := newKey(t, "Bob", "bob@example.org")
	var buf bytes.Buffer
	w, err := EncryptWithPassword(&buf, []byte("shared secret"), EncryptOptions{Recipients: []*Key{alice}, Signer: alice, Now: t0, Armor: true})
	if err != nil {
		t.Fatalf("EncryptWithPassword: %v", err)
	}
	if _, err := io.WriteString(w, "for your eyes only"); err != nil {
		t.Fatalf("write: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	msg := buf.Bytes()
	tests := []struct {
		name          string
		opts          DecryptOptions
		wantErr       error
		wantSymmetric bool
	}{
		{"right password", DecryptOptions{Password: []byte("shared secret"), Verifiers: []*Key{alice}}, nil, true},
		{"self copy by key", DecryptOptions{Keys: []*Key{alice}, Verifiers: []*Key{alice}}, nil, false},
		{"wrong password", DecryptOptions{Password: []byte("guess")}, ErrBadPassword, false},
		{"wrong key and no password", DecryptOptions{Keys: []*Key{bob}}, ErrNoMatchingKey, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.Now = t0
			st := &recordingStaging{}
			v, err := Decrypt(bytes.NewReader(msg), st, tc.opts)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Decrypt error = %v, want %v", err, tc.wantErr)
			}
			if err != nil {
				if st.commits != 0 {
					t.Errorf("commits = %d after an error, want 0", st.commits)
				}
				return
			}
			if string(st.Bytes()) != "for your eyes only" || v.Symmetric != tc.wantSymmetric || v.Signature.Status != SigValid {
				t.Errorf("text, Symmetric, status = %q, %v, %q, want %q, %v, valid", st.Bytes(), v.Symmetric, v.Signature.Status,
					"for your eyes only", tc.wantSymmetric)
			}
		})
	}
	if _, err := EncryptWithPassword(&buf, nil, EncryptOptions{}); !errors.Is(err, ErrBadPassword) {
		t.Errorf("EncryptWithPassword(empty) = %v, want %v", err, ErrBadPassword)
	}
}

func TestWrongPasswordManyTimes(t *testing.T) {
	// A wrong password yields a random session key; whichever way go-crypto
	// notices, the error must be ErrBadPassword and nothing committed.
	msgs := make([][]byte, 0, 8)
	for range 8 {
		var buf bytes.Buffer
		w, err := EncryptWithPassword(&buf, []byte("right"), EncryptOptions{Now: t0})
		if err != nil {
			t.Fatalf("EncryptWithPassword: %v", err)
		}
		if _, err := io.WriteString(w, "x"); err != nil {
			t.Fatalf("write: %v", err)
		}
		if err := w.Close(); err != nil {
			t.Fatalf("close: %v", err)
		}
		msgs = append(msgs, buf.Bytes())
	}
	for i, msg := range msgs {
		st := &recordingStaging{}
		if _, err := Decrypt(bytes.NewReader(msg), st, DecryptOptions{Password: []byte("wrong"), Now: t0}); !errors.Is(err, ErrBadPassword) || st.commits != 0 {
			t.Errorf("message %d: Decrypt error = %v, commits = %d, want %v, 0", i, err, st.commits, ErrBadPassword)
		}
	}
}

// noMDCMessage builds a message encrypted to k in a Symmetrically Encrypted
// Data packet (tag 9, no integrity protection), as old software made them.
func noMDCMessage(t *testing.T, k *Key, text string) []byte {
	t.Helper()
	cfg := baseConfig(t0)
	sessionKey := bytes.Repeat([]byte{7}, 32)
	var out bytes.Buffer
	ek, _ := k.entity.EncryptionKey(t0)
	if err := packet.SerializeEncryptedKeyAEAD(&out, ek.PublicKey, packet.CipherAES256, false, sessionKey, cfg); err != nil {
		t.Fatalf("SerializeEncryptedKeyAEAD: %v", err)
	}
	var lit bytes.Buffer
	lw, err := packet.SerializeLiteral(nopCloser{&lit}, true, "", 0)
	if err != nil {
		t.Fatalf("SerializeLiteral: %v", err)
	}
	if _, err := io.WriteString(lw, text); err != nil {
		t.Fatalf("write: %v", err)
	}
	if err := lw.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	block, err := aes.NewCipher(sessionKey)
	if err != nil {
		t.Fatalf("aes: %v", err)
	}
	stream, prefix := packet.NewOCFBEncrypter(block, bytes.Repeat([]byte{9}, 16), packet.OCFBResync)
	body := slices.Clone(prefix)
	enc := make([]byte, lit.Len())
	stream.XORKeyStream(enc, lit.Bytes())
	body = append(body, enc...)
	if len(body) > 191 {
		t.Fatalf("test message too long for a one-octet length")
	}
	out.Write([]byte{0xc0 | 9, byte(len(body))})
	out.Write(body)
	return out.Bytes()
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

func TestDecryptRefusesNoMDC(t *testing.T) {
	bob := newKey(t, "Bob", "bob@example.org")
	st := &recordingStaging{}
	_, err := Decrypt(bytes.NewReader(noMDCMessage(t, bob, "attack at dawn")), st, DecryptOptions{Keys: []*Key{bob}, Now: t0})
	if !errors.Is(err, ErrIntegrity) {
		t.Errorf("Decrypt(no MDC) error = %v, want %v", err, ErrIntegrity)
	}
	if st.commits != 0 || st.discards != 1 {
		t.Errorf("commits, discards = %d, %d, want 0, 1", st.commits, st.discards)
	}
}

func TestTamperedCiphertextNeverCommitted(t *testing.T) {
	alice := newKey(t, "Alice", "alice@example.org")
	bob := newKey(t, "Bob", "bob@example.org")
	plaintext := payload(200 << 10)
	for _, signer := range []*Key{nil, alice} {
		msg, err := EncryptBytes(plaintext, EncryptOptions{Recipients: []*Key{bob}, Signer: signer, Now: t0, Binary: true})
		if err != nil {
			t.Fatalf("EncryptBytes: %v", err)
		}
		tests := []struct {
			name   string
			mutate func([]byte) []byte
		}{
			{"flip a byte in the middle", func(b []byte) []byte { b[len(b)/2] ^= 1; return b }},
			{"flip a byte near the start of the data", func(b []byte) []byte { b[len(b)-len(plaintext)+100] ^= 0x80; return b }},
			{"flip the last byte (MDC)", func(b []byte) []byte { b[len(b)-1] ^= 1; return b }},
			{"flip a byte of the MDC hash", func(b []byte) []byte { b[len(b)-10] ^= 4; return b }},
			{"truncate by one byte", func(b []byte) []byte { return b[:len(b)-1] }},
			{"truncate in the middle", func(b []byte) []byte { return b[:len(b)/2] }},
		}
		for _, tc := range tests {
			t.Run(tc.name+map[bool]string{true: " signed", false: ""}[signer != nil], func(t *testing.T) {
				st := &recordingStaging{}
				_, err := Decrypt(bytes.NewReader(tc.mutate(slices.Clone(msg))), st, DecryptOptions{Keys: []*Key{bob}, Verifiers: []*Key{alice}, Now: t0})
				if !errors.Is(err, ErrIntegrity) {
					t.Errorf("Decrypt error = %v, want %v", err, ErrIntegrity)
				}
				if st.commits != 0 || st.discards != 1 || st.Bytes() != nil {
					t.Errorf("commits, discards = %d, %d, want 0, 1", st.commits, st.discards)
				}
			})
		}
	}
}

func TestDecryptMalformedInput(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
	}{
		{"empty", nil},
		{"text", []byte("hello")},
		{"armored key instead of message", []byte("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQ==\n=AAAA\n-----END PGP PUBLIC KEY BLOCK-----\n")},
		{"garbage packet", []byte{0xc1, 0x05, 1, 2, 3, 4, 5}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := &recordingStaging{}
			_, err := Decrypt(bytes.NewReader(tc.in), st, DecryptOptions{Now: t0})
			if !errors.Is(err, ErrMalformedMessage) {
				t.Errorf("Decrypt error = %v, want %v", err, ErrMalformedMessage)
			}
			if st.commits != 0 {
				t.Errorf("commits = %d, want 0", st.commits)
			}
		})
	}
}

func TestBufferStaging(t *testing.T) {
	s := NewBufferStaging()
	if _, err := s.Write([]byte("abc")); err != nil {
		t.Fatalf("Write: %v", err)
	}
	if got := s.Bytes(); got != nil {
		t.Errorf("Bytes() before Commit = %q, want nil", got)
	}
	if err := s.Commit(); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	if got := string(s.Bytes()); got != "abc" {
		t.Errorf("Bytes() after Commit = %q, want %q", got, "abc")
	}
	if _, err := s.Write([]byte("d")); err == nil {
		t.Errorf("Write after Commit = nil error, want an error")
	}
	d := NewBufferStaging()
	if _, err := d.Write([]byte("secret")); err != nil {
		t.Fatalf("Write: %v", err)
	}
	d.Discard()
	if err := d.Commit(); err == nil || d.Bytes() != nil {
		t.Errorf("Commit after Discard = %v with %q, want an error and nil", err, d.Bytes())
	}
}

func TestDefaultHashIsSHA256(t *testing.T) {
	alice := newKey(t, "Alice", "alice@example.org")
	sig, err := SignDetached(strings.NewReader("x"), alice, false, t0)
	if err != nil {
		t.Fatalf("SignDetached: %v", err)
	}
	p, err := packet.Read(bytes.NewReader(sig))
	if err != nil {
		t.Fatalf("packet.Read: %v", err)
	}
	if got := p.(*packet.Signature).Hash; got != stdcrypto.SHA256 {
		t.Errorf("signature hash = %v, want SHA-256", got)
	}
}

func TestDecryptLimitsKeyPackets(t *testing.T) {
	bob := newKey(t, "Bob", "bob@example.org")
	eve := newKey(t, "Eve", "eve@example.org")
	msg := mustEncrypt(t, eve, nil)
	if msg[0] != 0xC1 || msg[1] >= 192 {
		t.Fatalf("first packet header %x, want a new-format PKESK with a one-octet length", msg[:2])
	}
	pkesk := msg[:2+int(msg[1])]
	tests := []struct {
		name   string
		copies int
		want   error
	}{
		{"within the limit", 50, ErrNoMatchingKey},
		{"over the limit", 120, ErrMalformedMessage},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := slices.Concat(bytes.Repeat(pkesk, tc.copies), msg)
			_, _, err := DecryptBytes(in, DecryptOptions{Keys: []*Key{bob}, Now: t0})
			if !errors.Is(err, tc.want) {
				t.Errorf("DecryptBytes error = %v, want %v", err, tc.want)
			}
		})
	}
}

// TestConcurrentUse encrypts, signs, decrypts and verifies with the same keys
// from several goroutines (run with -race).
func TestConcurrentUse(t *testing.T) {
	alice := newKey(t, "Alice", "alice@example.org")
	bob := newKey(t, "Bob", "bob@example.org")
	errs := make(chan error, 4)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 5 {
				text := []byte(fmt.Sprintf("goroutine %d message %d", g, i))
				msg, err := EncryptBytes(text, EncryptOptions{Recipients: []*Key{bob, alice}, Signer: alice, Now: t0, Armor: i%2 == 0})
				if err != nil {
					errs <- err
					return
				}
				pt, v, err := DecryptBytes(msg, DecryptOptions{Keys: []*Key{bob}, Verifiers: []*Key{alice}, Now: t0})
				if err != nil {
					errs <- fmt.Errorf("decrypt: %w", err)
					return
				}
				if !bytes.Equal(pt, text) || v.Signature.Status != SigValid {
					errs <- fmt.Errorf("decrypt = %q, %q; want %q, valid", pt, v.Signature.Status, text)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
