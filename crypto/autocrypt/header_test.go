package autocrypt

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sealpost/sealpost/crypto"
)

var t0 = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

// newKey generates a Curve25519 key for email, valid from t0 for lifetime
// (0: the default lifetime).
func newKey(t *testing.T, email string, lifetime time.Duration) *crypto.Key {
	t.Helper()
	k, err := crypto.GenerateKey(crypto.GenerateOptions{Name: "Test", Email: email, Now: t0, Lifetime: lifetime})
	if err != nil {
		t.Fatalf("GenerateKey: %v", err)
	}
	return k
}

func keydata(t *testing.T, k *crypto.Key) string {
	t.Helper()
	raw, err := k.Public().MarshalPublic()
	if err != nil {
		t.Fatalf("MarshalPublic: %v", err)
	}
	return base64.StdEncoding.EncodeToString(raw)
}

// fold breaks s into 76-character lines joined by CRLF and a space, as a
// mail header folds them.
func fold(s string) string {
	var b strings.Builder
	for len(s) > 76 {
		b.WriteString(s[:76])
		b.WriteString("\r\n ")
		s = s[76:]
	}
	b.WriteString(s)
	return b.String()
}

func TestParse(t *testing.T) {
	alice := newKey(t, "alice@example.org", 0)
	other := newKey(t, "mallory@example.org", 0)
	expiring := newKey(t, "alice@example.org", time.Hour)
	kd := keydata(t, alice)
	secret, err := alice.MarshalSecret()
	if err != nil {
		t.Fatalf("MarshalSecret: %v", err)
	}
	pub, _ := base64.StdEncoding.DecodeString(kd)
	otherPub, _ := base64.StdEncoding.DecodeString(keydata(t, other))
	two := base64.StdEncoding.EncodeToString(append(append([]byte(nil), pub...), otherPub...))

	tests := []struct {
		name    string
		value   string
		now     time.Time
		want    PreferEncrypt
		wantErr []error
	}{
		{name: "mutual", value: "addr=alice@example.org; prefer-encrypt=mutual; keydata=" + kd, want: Mutual},
		{name: "no preference", value: "addr=alice@example.org; keydata=" + kd, want: NoPreference},
		{name: "explicit nopreference", value: "addr=alice@example.org; prefer-encrypt=nopreference; keydata=" + kd, want: NoPreference},
		{name: "unknown preference value", value: "addr=alice@example.org; prefer-encrypt=always; keydata=" + kd, want: NoPreference},
		{name: "folded keydata", value: "addr=alice@example.org; prefer-encrypt=mutual; keydata=\r\n " + fold(kd), want: Mutual},
		{name: "upper-case addr", value: "addr=Alice@Example.ORG; keydata=" + kd, want: NoPreference},
		{name: "trailing semicolon", value: "addr=alice@example.org; keydata=" + kd + ";", want: NoPreference},
		{name: "non-critical attribute", value: "addr=alice@example.org; _monkey=ignore; keydata=" + kd, want: NoPreference},
		{name: "unknown critical attribute", value: "addr=alice@example.org; danger=yes; keydata=" + kd,
			wantErr: []error{ErrInvalidHeader, ErrUnknownCritical}},
		{name: "pre-Level-1 type attribute", value: "addr=alice@example.org; type=1; keydata=" + kd,
			wantErr: []error{ErrInvalidHeader, ErrUnknownCritical}},
		{name: "missing addr", value: "prefer-encrypt=mutual; keydata=" + kd, wantErr: []error{ErrInvalidHeader}},
		{name: "missing keydata", value: "addr=alice@example.org", wantErr: []error{ErrInvalidHeader}},
		{name: "duplicate addr", value: "addr=alice@example.org; addr=alice@example.org; keydata=" + kd,
			wantErr: []error{ErrInvalidHeader}},
		{name: "attribute without value", value: "addr=alice@example.org; mutual; keydata=" + kd,
			wantErr: []error{ErrInvalidHeader}},
		{name: "addr with display name", value: "addr=Alice <alice@example.org>; keydata=" + kd,
			wantErr: []error{ErrInvalidHeader}},
		{name: "empty addr", value: "addr=; keydata=" + kd, wantErr: []error{ErrInvalidHeader}},
		{name: "broken base64", value: "addr=alice@example.org; keydata=m!@#$" + kd,
			wantErr: []error{ErrInvalidHeader, ErrBadKeyData}},
		{name: "empty keydata", value: "addr=alice@example.org; keydata=", wantErr: []error{ErrInvalidHeader, ErrBadKeyData}},
		{name: "not a key", value: "addr=alice@example.org; keydata=" + base64.StdEncoding.EncodeToString([]byte("hello")),
			wantErr: []error{ErrInvalidHeader, ErrBadKeyData}},
		{name: "two keys", value: "addr=alice@example.org; keydata=" + two, wantErr: []error{ErrInvalidHeader, ErrBadKeyData}},
		{name: "secret key", value: "addr=alice@example.org; keydata=" + base64.StdEncoding.EncodeToString(secret),
			wantErr: []error{ErrInvalidHeader, ErrBadKeyData}},
		{name: "expired key", value: "addr=alice@example.org; keydata=" + keydata(t, expiring), now: t0.Add(2 * time.Hour),
			wantErr: []error{ErrInvalidHeader, ErrBadKeyData, crypto.ErrKeyExpired}},
		{name: "key for another address", value: "addr=alice@example.org; keydata=" + keydata(t, other),
			wantErr: []error{ErrInvalidHeader, ErrAddrMismatch}},
		{name: "too large", value: "addr=alice@example.org; _pad=" + strings.Repeat("a", MaxHeaderSize) + "; keydata=" + kd,
			wantErr: []error{ErrInvalidHeader}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := tt.now
			if now.IsZero() {
				now = t0.Add(time.Minute)
			}
			h, err := Parse(tt.value, now)
			if len(tt.wantErr) > 0 {
				for _, want := range tt.wantErr {
					if !errors.Is(err, want) {
						t.Errorf("Parse: got error = %v, want %v", err, want)
					}
				}
				if h != nil {
					t.Errorf("Parse: got header = %+v, want nil", h)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: got error = %v, want nil", err)
			}
			if got, want := h.Addr, "alice@example.org"; got != want {
				t.Errorf("Addr = %q, want %q", got, want)
			}
			if h.PreferEncrypt != tt.want {
				t.Errorf("PreferEncrypt = %q, want %q", h.PreferEncrypt, tt.want)
			}
			if got, want := h.Fingerprint(), alice.Fingerprint(); got != want {
				t.Errorf("Fingerprint() = %s, want %s", got, want)
			}
			if got, want := base64.StdEncoding.EncodeToString(h.KeyData), kd; got != want {
				t.Errorf("KeyData differs from the keydata attribute")
			}
		})
	}
}

func TestSelectHeader(t *testing.T) {
	alice := keydata(t, newKey(t, "alice@example.org", 0))
	alice2 := keydata(t, newKey(t, "alice@example.org", 0))
	bob := keydata(t, newKey(t, "bob@example.org", 0))
	valid := "addr=alice@example.org; keydata=" + alice
	now := t0.Add(time.Minute)
	tests := []struct {
		name    string
		values  []string
		wantNil bool
		wantErr error
	}{
		{name: "no header", values: nil, wantNil: true},
		{name: "one valid", values: []string{valid}},
		{name: "valid and invalid", values: []string{"addr=alice@example.org; x=1; keydata=" + alice, valid}},
		{name: "only for another address", values: []string{"addr=bob@example.org; keydata=" + bob},
			wantNil: true, wantErr: ErrAddrMismatch},
		{name: "only invalid", values: []string{"addr=alice@example.org"}, wantNil: true, wantErr: ErrInvalidHeader},
		{name: "two valid", values: []string{valid, "addr=alice@example.org; keydata=" + alice2},
			wantNil: true, wantErr: ErrMultipleHeaders},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := SelectHeader(tt.values, "Alice@example.org", now)
			if (h == nil) != tt.wantNil {
				t.Fatalf("SelectHeader: got header = %v, want nil: %v", h, tt.wantNil)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("SelectHeader: got error = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr == nil && tt.wantNil && err != nil {
				t.Errorf("SelectHeader: got error = %v, want nil", err)
			}
		})
	}
}

func TestSelectGossip(t *testing.T) {
	bob := keydata(t, newKey(t, "bob@example.org", 0))
	carol := keydata(t, newKey(t, "carol@example.org", 0))
	carol2 := keydata(t, newKey(t, "carol@example.org", 0))
	dave := keydata(t, newKey(t, "dave@example.org", 0))
	now := t0.Add(time.Minute)
	values := []string{
		"addr=bob@example.org; keydata=" + bob,
		"addr=carol@example.org; keydata=" + carol,
		"addr=carol@example.org; keydata=" + carol2, // gossiped twice: ignored
		"addr=dave@example.org; keydata=" + dave,    // not a recipient: ignored
		"addr=bob@example.org; danger=1; keydata=" + bob,
	}
	got, err := SelectGossip(values, []string{"BOB@example.org", "carol@example.org"}, now)
	if len(got) != 1 || got[0].Addr != "bob@example.org" {
		t.Fatalf("SelectGossip: got %d headers, want only bob@example.org's", len(got))
	}
	for _, want := range []error{ErrMultipleHeaders, ErrAddrMismatch, ErrUnknownCritical} {
		if !errors.Is(err, want) {
			t.Errorf("SelectGossip: got error = %v, want it to include %v", err, want)
		}
	}
}
