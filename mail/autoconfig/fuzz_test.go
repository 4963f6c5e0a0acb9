package autoconfig

import (
	"bytes"
	"errors"
	"testing"

	"github.com/sealpost/sealpost/mail/internal/hostname"
)

// FuzzParseClientConfig checks that no input makes parseClientConfig panic
// or offer a setting without TLS. Seeds: testdata/fuzz/FuzzParseClientConfig.
func FuzzParseClientConfig(f *testing.F) {
	f.Fuzz(func(t *testing.T, doc []byte, email string) {
		got, err := parseClientConfig(bytes.NewReader(doc), email)
		if err != nil {
			for _, sentinel := range []error{ErrInvalidAddress, ErrMalformedConfig, ErrConfigTooLarge, ErrNoUsableServer} {
				if errors.Is(err, sentinel) {
					return
				}
			}
			t.Fatalf("parseClientConfig() error = %v, want one of the sentinel errors", err)
		}
		if got.IMAP.Host == "" && got.SMTP.Host == "" {
			t.Fatalf("parseClientConfig() = %+v, nil; want at least one server or an error", got)
		}
		if got.Source != SourceAutoconfig || got.Confirmed {
			t.Errorf("Source, Confirmed = %q, %v; want %q, false", got.Source, got.Confirmed, SourceAutoconfig)
		}
		if got.Username == "" {
			t.Errorf("Username is empty, want the address or the file's user name")
		}
		for _, s := range []Server{got.IMAP, got.SMTP} {
			if s.Host == "" {
				if s.Port != 0 || s.Security != "" || s.Auth != nil {
					t.Errorf("server without host = %+v, want the zero Server", s)
				}
				continue
			}
			if s.Security != SecurityTLS && s.Security != SecurityStartTLS {
				t.Errorf("server %+v: Security = %q, want %q or %q", s, s.Security, SecurityTLS, SecurityStartTLS)
			}
			if s.Port < 1 || s.Port > 65535 {
				t.Errorf("server %+v: Port = %d, want 1 to 65535", s, s.Port)
			}
			if h, err := hostname.Normalize(s.Host); err != nil || h != s.Host {
				t.Errorf("server %+v: Host not normalised: hostname.Normalize() = %q, %v", s, h, err)
			}
		}
	})
}
