package travel

import (
	"strings"

	"github.com/emersion/go-msgauth/authres"

	"github.com/sealpost/sealpost/mail/backend"
)

// providerResults returns the results the account's provider stated in
// its Authentication-Results (or ARC-Authentication-Results) fields, or
// nil. Anyone can write such fields into a message they send, so only one
// place counts (docs/security.md, "How it travelled"): the provider's part
// of the header, the fields above its entry point. Reading top down, the
// entry point is the first Received field by a provider host whose From
// host is outside the provider; every relay adds its fields above those it
// received, so nothing above the entry point can be the sender's. A
// Received field by a host outside the provider, or one that does not
// parse, ends the provider's part early, and a header without a Received
// field of the provider has no such part. Of the fields in that part, the
// topmost whose authserv-id is providerDomain or a name under it counts,
// with those of the same kind right after it (Fastmail writes one per
// method); a field that says nothing about a method leaves it empty.
func providerResults(fields []field, providerDomain string) *backend.ProviderResults {
	if providerDomain == "" {
		return nil
	}
	var found *backend.ProviderResults
	sawProvider, merging := false, false
	for _, f := range fields {
		kind := resultsKind(f)
		if kind == "" {
			merging = false
		}
		switch {
		case f.is("Received"):
			hop, ok := f.received()
			if !ok || !(inDomain(hop.By, providerDomain) || (hop.By != "" && domainOf(hop.By) == "")) {
				return confirmed(found, sawProvider)
			}
			sawProvider = true
			if hop.From != "" && !inDomain(hop.From, providerDomain) {
				return found // the entry point
			}
		case kind != "" && found == nil:
			found = resultsOf(f.value, kind, providerDomain)
			merging = found != nil
		case kind != "" && merging:
			if more := resultsOf(f.value, kind, providerDomain); more != nil {
				merge(found, more)
			} else {
				merging = false
			}
		}
	}
	return confirmed(found, sawProvider)
}

// resultsKind returns the name of a results field ("Authentication-Results"
// or "ARC-Authentication-Results"), or "".
func resultsKind(f field) string {
	switch {
	case f.is("Authentication-Results"):
		return "Authentication-Results"
	case f.is("ARC-Authentication-Results"):
		return "ARC-Authentication-Results"
	}
	return ""
}

// confirmed returns found if the header holds a Received field of the
// provider: without one, the message did not come through the provider's
// servers (it was stored over IMAP, as drafts and sent copies are), and
// every field in it is its author's.
func confirmed(found *backend.ProviderResults, sawProvider bool) *backend.ProviderResults {
	if !sawProvider {
		return nil
	}
	return found
}

// resultsOf parses one results field's value (of kind, see resultsKind)
// and returns its SPF, DKIM, DMARC and ARC results if its authserv-id is
// in providerDomain. Results after a part that does not parse are dropped.
func resultsOf(value, kind, providerDomain string) *backend.ProviderResults {
	if len(value) > maxFieldBytes {
		return nil
	}
	if kind == "ARC-Authentication-Results" {
		// RFC 8617: the instance tag "i=N;" comes first.
		instance, rest, ok := strings.Cut(value, ";")
		if !ok || !strings.HasPrefix(strings.TrimSpace(instance), "i=") {
			return nil
		}
		value = rest
	}
	id, results, _ := authres.Parse(value)
	if !inDomain(id, providerDomain) {
		return nil
	}
	pr := &backend.ProviderResults{AuthServID: strings.ToLower(id)}
	for _, r := range results {
		switch r := r.(type) {
		case *authres.SPFResult:
			pr.SPF = firstOr(pr.SPF, string(r.Value))
		case *authres.DKIMResult:
			// Of several signatures, one that passed is what DMARC uses.
			if pr.DKIM == "" || r.Value == authres.ResultPass {
				pr.DKIM = string(r.Value)
			}
		case *authres.DMARCResult:
			pr.DMARC = firstOr(pr.DMARC, string(r.Value))
		case *authres.ARCResult:
			pr.ARC = firstOr(pr.ARC, string(r.Value))
		}
	}
	return pr
}

// merge adds to r the results of more for the methods r does not state.
func merge(r, more *backend.ProviderResults) {
	r.SPF = firstOr(r.SPF, more.SPF)
	r.DKIM = firstOr(r.DKIM, more.DKIM)
	r.DMARC = firstOr(r.DMARC, more.DMARC)
	r.ARC = firstOr(r.ARC, more.ARC)
}

// firstOr returns cur unless it is empty, else v.
func firstOr(cur, v string) string {
	if cur != "" {
		return cur
	}
	return v
}
