package mail

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail/backend"
	"github.com/sealpost/sealpost/mail/travel"
)

// providerDomain is the domain whose Received and Authentication-Results
// fields are trusted as the account's provider's: the account's setting,
// else the registrable domain of its IMAP host.
func providerDomain(acct localstore.Account) string {
	if acct.ProviderDomain != "" {
		return acct.ProviderDomain
	}
	return travel.ProviderDomainOf(acct.IMAP.Host)
}

// errProviderDomain means a provider domain is not a domain name.
var errProviderDomain = errors.New("the provider domain must be a domain name such as example.net")

// normProviderDomain checks a provider domain the user gave and returns it
// in lower case without a trailing dot ("" stays "": the default).
func normProviderDomain(d string) (string, error) {
	d = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(d), "."))
	if d == "" {
		return "", nil
	}
	if len(d) > 253 || strings.Trim(d, "abcdefghijklmnopqrstuvwxyz0123456789.-") != "" || strings.Contains(d, "..") ||
		strings.HasPrefix(d, ".") || strings.HasPrefix(d, "-") {
		return "", fmt.Errorf("%w, not %q", errProviderDomain, d)
	}
	return d, nil
}

// examiner returns the sync's Examine hook for acct (see
// imapsync.Options.Examine): it records in each new message's summary how
// the message travelled, checking DKIM signatures with keys looked up
// through one Resolver for the Syncer's lifetime. Messages stored without
// their bytes get no record (they get one when they are fetched).
func (sy *Syncer) examiner(acct localstore.Account) func(context.Context, string, *tls.ConnectionState, []localstore.Summary, []localstore.RawMessage) {
	res := travel.NewResolver(sy.lookupTXT)
	domain := providerDomain(acct)
	return func(ctx context.Context, _ string, over *tls.ConnectionState, sums []localstore.Summary, raws []localstore.RawMessage) {
		bodies := make(map[uint32][]byte, len(raws))
		for _, r := range raws {
			bodies[r.UID] = r.Raw
		}
		opts := travel.Options{ProviderDomain: domain, Resolver: res, Fetch: travel.FetchOf(over, acct.IMAP.Host), Now: sy.now()}
		for i := range sums {
			raw := bodies[sums[i].UID]
			if raw == nil {
				continue
			}
			enc, err := json.Marshal(travel.Examine(ctx, raw, opts))
			if err == nil {
				sums[i].Transport = enc
			}
		}
	}
}

// travelOf decodes the transport evidence stored in a summary; nil when
// none was recorded (or it does not decode, which the store's
// authentication makes a bug, not an attack).
func travelOf(enc []byte) *backend.Travel {
	if len(enc) == 0 {
		return nil
	}
	var t backend.Travel
	if err := json.Unmarshal(enc, &t); err != nil {
		return nil
	}
	return &t
}

// TravelOffline records how a message travelled from the start of it (its
// header; see travel.MaxHeaderBytes), with no network use: the hops and the
// provider's results as for a synced message, with providerDomain as the
// provider ("" trusts no provider's fields), and every DKIM signature not
// checked, as no key is looked up.
func TravelOffline(head []byte, providerDomain string) (*backend.Travel, error) {
	d, err := normProviderDomain(providerDomain)
	if err != nil {
		return nil, err
	}
	return travel.Examine(context.Background(), head, travel.Options{ProviderDomain: d}), nil
}
