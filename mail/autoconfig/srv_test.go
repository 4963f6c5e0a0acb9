package autoconfig

import (
	"errors"
	"net"
	"strings"
	"testing"
)

func TestParseAddress(t *testing.T) {
	tests := []struct {
		name    string
		email   string
		want    address
		wantErr bool
	}{
		{name: "plain", email: "alice@example.test", want: address{email: "alice@example.test", local: "alice", given: "example.test", domain: "example.test"}},
		{name: "spaces trimmed, domain lower-cased", email: " Alice@Example.TEST. ", want: address{email: "Alice@Example.TEST", local: "Alice", given: "Example.TEST", domain: "example.test"}},
		{name: "last @ splits", email: `"a@b"@example.test`, want: address{email: `"a@b"@example.test`, local: `"a@b"`, given: "example.test", domain: "example.test"}},
		{name: "international domain", email: "anna@Bücher.test", want: address{email: "anna@Bücher.test", local: "anna", given: "Bücher.test", domain: "xn--bcher-kva.test"}},
		{name: "no @", email: "alice", wantErr: true},
		{name: "no local part", email: "@example.test", wantErr: true},
		{name: "no domain", email: "alice@", wantErr: true},
		{name: "single-label domain", email: "alice@localhost", wantErr: true},
		{name: "address literal", email: "alice@[192.0.2.1]", wantErr: true},
		{name: "inner space", email: "alice smith@example.test", wantErr: true},
		{name: "control character", email: "alice@example.test\x00", wantErr: true},
		{name: "empty label", email: "alice@example..test", wantErr: true},
		{name: "underscore", email: "alice@ex_ample.test", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseAddress(tt.email)
			if tt.wantErr {
				if !errors.Is(err, ErrInvalidAddress) {
					t.Fatalf("parseAddress(%q) = %+v, %v; want ErrInvalidAddress", tt.email, got, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseAddress(%q) error = %v, want nil", tt.email, err)
			}
			if got != tt.want {
				t.Errorf("parseAddress(%q) = %+v, want %+v", tt.email, got, tt.want)
			}
		})
	}
}

func TestWithinDomain(t *testing.T) {
	tests := []struct {
		name         string
		host, domain string
		want         bool
	}{
		{name: "the domain itself", host: "example.com", domain: "example.com", want: true},
		{name: "subdomain", host: "imap.example.com", domain: "example.com", want: true},
		{name: "same registrable domain", host: "imap.example.com", domain: "mail.example.com", want: true},
		{name: "sibling under a public suffix", host: "evil.co.uk", domain: "example.co.uk", want: false},
		{name: "same registrable domain under a two-label suffix", host: "imap.example.co.uk", domain: "lists.example.co.uk", want: true},
		{name: "suffix without a dot", host: "badexample.com", domain: "example.com", want: false},
		{name: "provider elsewhere", host: "imap.gmail.com", domain: "example.com", want: false},
		{name: "private suffix", host: "evil.github.io", domain: "alice.github.io", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := withinDomain(tt.host, tt.domain); got != tt.want {
				t.Errorf("withinDomain(%q, %q) = %v, want %v", tt.host, tt.domain, got, tt.want)
			}
		})
	}
}

func TestPickSRV(t *testing.T) {
	tests := []struct {
		name     string
		records  []*net.SRV
		wantHost string
		wantPort int
		wantWhy  string // when no record is usable
	}{
		{
			name:     "lowest priority wins",
			records:  []*net.SRV{srvRecord("b.example.test.", 993, 20, 100), srvRecord("a.example.test.", 994, 10, 0)},
			wantHost: "a.example.test", wantPort: 994,
		},
		{
			name:     "highest weight within a priority",
			records:  []*net.SRV{srvRecord("light.example.test.", 993, 10, 5), srvRecord("heavy.example.test.", 993, 10, 50), srvRecord("later.example.test.", 993, 20, 100)},
			wantHost: "heavy.example.test", wantPort: 993,
		},
		{
			name:     "unusable records skipped",
			records:  []*net.SRV{nil, srvRecord("zero.example.test.", 0, 0, 0), srvRecord("bad_name.example.test.", 993, 1, 0), srvRecord("IMAP.Example.Test.", 993, 2, 0)},
			wantHost: "imap.example.test", wantPort: 993,
		},
		{
			name:    "service not offered",
			records: []*net.SRV{srvRecord(".", 0, 0, 0)},
			wantWhy: "not offered",
		},
		{
			name:    "only port 0",
			records: []*net.SRV{srvRecord("imap.example.test.", 0, 0, 0)},
			wantWhy: "invalid port 0",
		},
		{
			name:    "no records",
			wantWhy: "no record",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			host, port, ok, why := pickSRV(tt.records)
			if tt.wantWhy != "" {
				if ok || !strings.Contains(why, tt.wantWhy) {
					t.Fatalf("pickSRV() = %q, %d, %v, %q; want not ok and a reason containing %q", host, port, ok, why, tt.wantWhy)
				}
				return
			}
			if !ok || host != tt.wantHost || port != tt.wantPort {
				t.Errorf("pickSRV() = %q, %d, %v, %q; want %q, %d, true", host, port, ok, why, tt.wantHost, tt.wantPort)
			}
		})
	}
}
