package autocrypt

import (
	"bufio"
	"bytes"
	"errors"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/textproto"
	"github.com/sealpost/sealpost/crypto"
	"github.com/sealpost/sealpost/crypto/internal/testenv"
)

// mailHeader reads the top-level header of an .eml file.
func mailHeader(t *testing.T, path string) textproto.Header {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer f.Close()
	br := bufio.NewReader(f)
	// Some files are mbox entries: skip the "From " separator line.
	if peek, _ := br.Peek(5); string(peek) == "From " {
		if _, err := br.ReadString('\n'); err != nil {
			t.Fatalf("read %s: %v", path, err)
		}
	}
	h, err := textproto.ReadHeader(br)
	if err != nil {
		t.Fatalf("read header of %s: %v", path, err)
	}
	return h
}

func fromAddr(t *testing.T, h textproto.Header) string {
	t.Helper()
	a, err := mail.ParseAddress(h.Get("From"))
	if err != nil {
		t.Fatalf("parse From %q: %v", h.Get("From"), err)
	}
	return a.Address
}

func dateOf(t *testing.T, h textproto.Header) time.Time {
	t.Helper()
	d, err := mail.ParseDate(h.Get("Date"))
	if err != nil {
		t.Fatalf("parse Date %q: %v", h.Get("Date"), err)
	}
	return d
}

func fileFingerprint(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	keys, err := crypto.ParseKeys(data)
	if err != nil || len(keys) != 1 {
		t.Fatalf("ParseKeys(%s): %d keys, error %v", path, len(keys), err)
	}
	return keys[0].Fingerprint()
}

// TestSpecExamples runs the Autocrypt specification's example messages
// through SelectHeader, SelectGossip and Update.
func TestSpecExamples(t *testing.T) {
	dir := testenv.SharedTestdata(t, "interop", "autocrypt", "doc", "appendix")
	simple := mailHeader(t, filepath.Join(dir, "example-simple-autocrypt.eml"))
	date := dateOf(t, simple)
	alice := fileFingerprint(t, filepath.Join(dir, "alice@autocrypt.example.pub.asc"))

	h, err := SelectHeader(simple.Values("Autocrypt"), fromAddr(t, simple), date)
	if err != nil || h == nil {
		t.Fatalf("SelectHeader(example-simple-autocrypt.eml) = %v, %v; want alice's header", h, err)
	}
	if h.Fingerprint() != alice || h.PreferEncrypt != Mutual || h.Addr != "alice@autocrypt.example" {
		t.Errorf("header = {%s %s %s}, want {alice@autocrypt.example mutual %s}", h.Addr, h.PreferEncrypt, h.Fingerprint(), alice)
	}

	// The example keys expired in 2021: such a header is no longer usable.
	_, err = SelectHeader(simple.Values("Autocrypt"), fromAddr(t, simple), time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if !errors.Is(err, crypto.ErrKeyExpired) {
		t.Errorf("SelectHeader in 2026: got error = %v, want %v", err, crypto.ErrKeyExpired)
	}

	outer := mailHeader(t, filepath.Join(dir, "example-gossip.eml"))
	inner := mailHeader(t, filepath.Join(dir, "example-gossip-cleartext.eml"))
	to, err := mail.ParseAddressList(outer.Get("To"))
	if err != nil {
		t.Fatalf("parse To: %v", err)
	}
	var recipients []string
	for _, a := range to {
		recipients = append(recipients, a.Address)
	}
	gdate := dateOf(t, outer)
	gossip, err := SelectGossip(inner.Values("Autocrypt-Gossip"), recipients, gdate)
	if err != nil {
		t.Fatalf("SelectGossip: %v", err)
	}
	want := map[string]string{
		"bob@autocrypt.example":   fileFingerprint(t, filepath.Join(dir, "bob@autocrypt.example.pub.asc")),
		"carol@autocrypt.example": fileFingerprint(t, filepath.Join(dir, "carol@autocrypt.example.pub.asc")),
	}
	if len(gossip) != len(want) {
		t.Fatalf("SelectGossip: got %d headers, want %d", len(gossip), len(want))
	}
	for _, g := range gossip {
		if g.Fingerprint() != want[g.Addr] {
			t.Errorf("gossip for %s: fingerprint = %s, want %s", g.Addr, g.Fingerprint(), want[g.Addr])
		}
	}

	// Alice's two messages, then Bob's key gossiped by Alice.
	var st PeerState
	st, ch := Update(st, Observation{From: "alice@autocrypt.example", Date: date, Header: h}, gdate)
	if ch.Key != KeyFirst || st.PublicKeyFingerprint != alice || st.PreferEncrypt != Mutual {
		t.Errorf("first Update: change %+v, state key %s %s; want first, %s mutual", ch, st.PublicKeyFingerprint, st.PreferEncrypt, alice)
	}
	gh, err := SelectHeader(outer.Values("Autocrypt"), fromAddr(t, outer), gdate)
	if err != nil {
		t.Fatalf("SelectHeader(example-gossip.eml): %v", err)
	}
	st, ch = Update(st, Observation{From: "alice@autocrypt.example", Date: gdate, Header: gh}, gdate)
	if ch.Key != KeySame || !st.AutocryptTimestamp.Equal(gdate) {
		t.Errorf("second Update: change %+v, timestamp %v; want same key, %v", ch, st.AutocryptTimestamp, gdate)
	}
	var bob PeerState
	bob, ch = Update(bob, Observation{From: gossip[0].Addr, Date: gdate, Header: gossip[0], Gossip: true}, gdate)
	if ch.Key != KeyFirst || !ch.Gossip || bob.GossipKeyFingerprint != want[gossip[0].Addr] || bob.Fingerprint() != bob.GossipKeyFingerprint {
		t.Errorf("gossip Update: change %+v, gossip key %s; want first gossip key %s", ch, bob.GossipKeyFingerprint, want[gossip[0].Addr])
	}
}

// TestRealClientHeaders parses the Autocrypt headers that Thunderbird and
// Delta Chat wrote, at each message's date.
func TestRealClientHeaders(t *testing.T) {
	root := testenv.SharedTestdata(t, "interop")
	tests := []struct {
		file string
		want PreferEncrypt
	}{
		{"deltachat-core-rust/test-data/message/thunderbird_with_autocrypt.eml", NoPreference},
		{"deltachat-core-rust/test-data/message/thunderbird_with_autocrypt_unencrypted.eml", NoPreference},
		{"deltachat-core-rust/test-data/message/thunderbird_encrypted_signed_with_pubkey.eml", NoPreference},
		{"deltachat-core-rust/test-data/message/encrypted_with_received_headers.eml", Mutual},
		{"thunderbird/eml/signed-encrypted-autocrypt-gossip.eml", NoPreference},
		{"thunderbird/eml/unsigned-unencrypted-0x3099ff1238852b9f-autocrypt.eml", NoPreference},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			h := mailHeader(t, filepath.Join(root, tt.file))
			from := fromAddr(t, h)
			got, err := SelectHeader(h.Values("Autocrypt"), from, dateOf(t, h))
			if err != nil || got == nil {
				t.Fatalf("SelectHeader: got %v, error = %v; want a header", got, err)
			}
			if got.Addr != strings.ToLower(from) || got.PreferEncrypt != tt.want {
				t.Errorf("header = {%s %s}, want {%s %s}", got.Addr, got.PreferEncrypt, strings.ToLower(from), tt.want)
			}
		})
	}
}

// TestHistoricalVectors uses the pre-Level-1 header vectors (to=, key=,
// type=). As they are, Level 1 must ignore every one of them; rewritten to
// Level 1 names they exercise the unknown-attribute and base64 rules.
func TestHistoricalVectors(t *testing.T) {
	dir := testenv.SharedTestdata(t, "interop", "autocrypt", "src-tests-data-historical")
	tests := []struct {
		file    string
		wantErr error // after rewriting to Level 1 names; nil: valid
	}{
		{"rsa2048-simple.eml", nil},
		{"rsa4096-simple.eml", nil},
		{"25519-simple.eml", nil},
		{"rsa2048-unknown-non-critical.eml", nil},
		{"rsa2048-unknown-critical.eml", ErrUnknownCritical},
		{"rsa2048-explicit-type.eml", ErrUnknownCritical},
		{"unknown-type.eml", ErrUnknownCritical},
		{"rsa2048-broken-base64.eml", ErrBadKeyData},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			h := mailHeader(t, filepath.Join(dir, tt.file))
			values := h.Values("Autocrypt")
			if len(values) != 1 {
				t.Fatalf("got %d Autocrypt headers, want 1", len(values))
			}
			// The messages are dated before their keys were made.
			now := time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC)
			if _, err := Parse(values[0], now); !errors.Is(err, ErrUnknownCritical) {
				t.Errorf("Parse(pre-Level-1 header): got error = %v, want %v", err, ErrUnknownCritical)
			}
			level1 := strings.NewReplacer("to=", "addr=", "key=", "keydata=").Replace(values[0])
			got, err := Parse(level1, now)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Errorf("Parse: got error = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: got error = %v, want nil", err)
			}
			if want := "alice@testsuite.autocrypt.org"; got.Addr != want {
				t.Errorf("Addr = %q, want %q", got.Addr, want)
			}
		})
	}
	h := mailHeader(t, filepath.Join(dir, "no-autocrypt.eml"))
	if got, err := SelectHeader(h.Values("Autocrypt"), fromAddr(t, h), time.Now()); got != nil || err != nil {
		t.Errorf("SelectHeader(no-autocrypt.eml) = %v, %v; want nil, nil", got, err)
	}
}

// TestThunderbirdGossip decrypts Thunderbird's message to two recipients and
// reads the Autocrypt-Gossip headers from its encrypted part.
func TestThunderbirdGossip(t *testing.T) {
	dir := testenv.SharedTestdata(t, "interop", "thunderbird")
	path := filepath.Join(dir, "eml", "signed-encrypted-autocrypt-gossip.eml")
	outer := mailHeader(t, path)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	begin := bytes.Index(raw, []byte("-----BEGIN PGP MESSAGE-----"))
	end := bytes.Index(raw, []byte("-----END PGP MESSAGE-----"))
	if begin < 0 || end < begin {
		t.Fatal("no armored PGP message in the file")
	}
	armoredMsg := raw[begin : end+len("-----END PGP MESSAGE-----")]

	keyData, err := os.ReadFile(filepath.Join(dir, "keys", "alice@openpgp.example-0xf231550c4f47e38e-secret-with-pp.asc"))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := crypto.ParseKeys(keyData)
	if err != nil || len(keys) != 1 {
		t.Fatalf("ParseKeys: %d keys, %v", len(keys), err)
	}
	if err := crypto.UnlockKey(keys[0], []byte("alice-passphrase")); err != nil {
		t.Fatalf("UnlockKey: %v", err)
	}
	date := dateOf(t, outer)
	plain, _, err := crypto.DecryptBytes(armoredMsg, crypto.DecryptOptions{Keys: keys, Now: date})
	if err != nil {
		t.Fatalf("DecryptBytes: %v", err)
	}
	inner, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(plain)))
	if err != nil {
		t.Fatalf("read decrypted header: %v", err)
	}
	list, err := mail.ParseAddressList(outer.Get("To"))
	if err != nil {
		t.Fatalf("parse To: %v", err)
	}
	var recipients []string
	for _, a := range list {
		recipients = append(recipients, a.Address)
	}
	gossip, err := SelectGossip(inner.Values("Autocrypt-Gossip"), recipients, date)
	if err != nil {
		t.Fatalf("SelectGossip: %v", err)
	}
	want := map[string]string{
		"alice@openpgp.example": keys[0].Fingerprint(),
		"carol@example.com":     fileFingerprint(t, filepath.Join(dir, "keys", "carol@example.com-0x3099ff1238852b9f-pub.asc")),
	}
	if len(gossip) != len(want) {
		t.Fatalf("SelectGossip: got %d headers, want %d", len(gossip), len(want))
	}
	for _, g := range gossip {
		if g.Fingerprint() != want[g.Addr] {
			t.Errorf("gossip for %s: fingerprint = %s, want %s", g.Addr, g.Fingerprint(), want[g.Addr])
		}
	}
}
