// Package travel records how a message travelled: the relays its Received
// header fields state, whether its DKIM signatures verify, what the
// account's own provider stated in its Authentication-Results field, and
// how our own connection fetched it. The sync records this once, when it
// stores a message, and seals it with the message (see docs/security.md,
// "How it travelled", for what is trusted and why).
//
// The parsing is pure; the only network use is the DNS lookups of DKIM
// keys, through the LookupTXT a Resolver is given.
package travel

import (
	"context"
	"crypto/tls"
	"slices"
	"strings"
	"time"

	"golang.org/x/net/publicsuffix"

	"github.com/sealpost/sealpost/mail/backend"
)

// Options say how to examine a message.
type Options struct {
	// ProviderDomain is the account's provider: Received fields by hosts
	// in it and Authentication-Results fields whose authserv-id is in it
	// are the provider's. Empty trusts no Authentication-Results field.
	ProviderDomain string
	// Resolver looks up DKIM keys; nil leaves every signature not checked,
	// for the reason NotChecked gives.
	Resolver *Resolver
	// NotChecked is the Reason of each signature when Resolver is nil
	// (such as backend.DKIMLookupsOff); empty says no lookups were allowed.
	NotChecked string
	// RetryAfter, when set, asks for the record's RecheckAfter when a
	// signature is left not checked: RetryAfter after Now when the DNS
	// failed, Now itself when no key was looked up (Resolver is nil, or
	// ctx ended first), as nothing then argues for waiting. Zero records
	// no RecheckAfter.
	RetryAfter time.Duration
	// Fetch is how our own connection fetched the message, if known.
	Fetch *backend.FetchTLS
	// Now is the time recorded; zero means time.Now.
	Now time.Time
}

// Examine records the transport evidence of the raw message (its full
// bytes: DKIM signs the body too).
func Examine(ctx context.Context, raw []byte, opts Options) *backend.Travel {
	fields := headerFields(raw)
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	t := &backend.Travel{
		Hops:      hops(fields, opts.ProviderDomain),
		DKIM:      checkDKIM(ctx, raw, fields, fromDomainOf(fields), opts),
		Provider:  providerResults(fields, opts.ProviderDomain),
		Fetch:     opts.Fetch,
		CheckedAt: now.UTC().Truncate(time.Second),
	}
	if opts.RetryAfter > 0 && slices.ContainsFunc(t.DKIM, func(c backend.DKIMCheck) bool { return c.Result == backend.DKIMNotChecked }) {
		t.RecheckAfter = t.CheckedAt
		if opts.Resolver != nil && ctx.Err() == nil {
			t.RecheckAfter = t.CheckedAt.Add(opts.RetryAfter)
		}
	}
	return t
}

// headerDomains maps the registrable domain of a large provider's IMAP
// host to the domain of the servers that write its Received and
// Authentication-Results fields, where the two differ: Gmail's mail
// servers are Google's (mx.google.com), Microsoft 365's are outlook.com
// hosts, Fastmail's are messagingengine.com hosts.
var headerDomains = map[string]string{
	"gmail.com":      "google.com",
	"googlemail.com": "google.com",
	"office365.com":  "outlook.com",
	"fastmail.com":   "messagingengine.com",
}

// ProviderDomainOf is the default provider domain of an account whose
// IMAP server is host: the registrable domain of host ("example.net" for
// "imap.mail.example.net"), or, for the few large providers whose mail
// servers live in another domain, that domain ("google.com" for
// "imap.gmail.com"); host itself when it has none (an address, a name
// like "localhost").
func ProviderDomainOf(host string) string {
	h := strings.ToLower(strings.TrimSuffix(strings.TrimSpace(host), "."))
	if domainOf(h) == "" {
		return h
	}
	d, err := publicsuffix.EffectiveTLDPlusOne(h)
	if err != nil {
		return h
	}
	if other, ok := headerDomains[d]; ok {
		return other
	}
	return d
}

// FetchOf describes a TLS connection to host as FetchTLS; nil for nil.
// The server named is the one the certificate was checked against: the
// name the connection asked for, else host (a connection to an address
// asks for none).
func FetchOf(cs *tls.ConnectionState, host string) *backend.FetchTLS {
	if cs == nil || !cs.HandshakeComplete {
		return nil
	}
	server := cs.ServerName
	if server == "" {
		server = host
	}
	return &backend.FetchTLS{
		Server:  server,
		Version: tls.VersionName(cs.Version),
		Cipher:  tls.CipherSuiteName(cs.CipherSuite),
	}
}
