package backend

import (
	"context"
	"strings"
	"time"
)

// NormDomain is the domain or host name name as findings are kept and
// compared: in lower case, without surrounding space or a final dot. It
// checks nothing (see CheckDelivery for what is a domain).
func NormDomain(name string) string {
	return strings.ToLower(strings.TrimSuffix(strings.TrimSpace(name), "."))
}

// AddressDomain is the domain of the e-mail address addr (what follows its
// last "@") as NormDomain gives it; "" when addr has no "@".
func AddressDomain(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return ""
	}
	return NormDomain(addr[at+1:])
}

// DeliveryChecker is what a backend may offer beyond Backend to tell, before
// a message is sent, how it will travel from the provider to each
// recipient's domain. It is optional: without it the composer shows no
// delivery security.
type DeliveryChecker interface {
	// CheckDelivery looks up domain's mail servers, MTA-STS policy and DANE
	// records. It never fails: what could not be checked is said in the
	// finding (DeliveryNotChecked), never guessed.
	CheckDelivery(ctx context.Context, domain string) DeliveryFinding
}

// Delivery statuses: whether mail to a domain is delivered over enforced
// TLS.
const (
	// DeliveryEnforced: the domain publishes an MTA-STS policy in enforce
	// mode that covers its mail servers, so the provider's server must
	// deliver over verified TLS or not at all.
	DeliveryEnforced = "enforced"
	// DeliveryTesting: an MTA-STS policy in testing mode: failures are
	// reported, TLS is not enforced.
	DeliveryTesting = "testing"
	// DeliveryNotEnforced: no usable MTA-STS policy (none published, mode
	// none, or the policy could not be fetched or did not cover the mail
	// servers): a server may deliver without TLS.
	DeliveryNotEnforced = "not_enforced"
	// DeliveryNotChecked: DNS did not answer (offline, a failure or a
	// timeout): nothing is known.
	DeliveryNotChecked = "not_checked"
)

// DANE findings for a domain's mail servers (RFC 7672).
const (
	// DANEValidated: every mail server has TLSA records and the resolver
	// validated them and the MX records with DNSSEC.
	DANEValidated = "validated"
	// DANEUnvalidated: TLSA records exist, but the resolver did not
	// validate them (no DNSSEC, or a resolver that does not check).
	DANEUnvalidated = "unvalidated"
	// DANENone: no mail server has TLSA records.
	DANENone = "none"
	// DANENotChecked: the TLSA lookup did not answer.
	DANENotChecked = "not_checked"
)

// DeliveryFinding is what was found about one recipient domain.
type DeliveryFinding struct {
	Domain string `json:"domain"`
	// Status is one of the Delivery… constants.
	Status string `json:"status"`
	// MX are the domain's mail servers, most preferred first.
	MX []string `json:"mx,omitempty"`
	// PolicyMode is the MTA-STS policy's mode ("enforce", "testing",
	// "none"), empty without a usable policy.
	PolicyMode string `json:"mta_sts_mode,omitempty"`
	// PolicyID is the policy's id from the _mta-sts TXT record.
	PolicyID string `json:"mta_sts_id,omitempty"`
	// PolicyCached is true when the policy came from the sealed cache.
	PolicyCached bool `json:"mta_sts_cached,omitempty"`
	// DANE is one of the DANE… constants.
	DANE string `json:"dane"`
	// Reason says why TLS is not enforced or what could not be checked.
	Reason string `json:"reason,omitempty"`
	// Checked is when the lookups ran.
	Checked time.Time `json:"checked"`
}

// Text is the finding in a few plain words, for the composer and the
// audit trail: "delivered over enforced TLS (MTA-STS)", "TLS not enforced
// by example.com", "not checked (offline)".
func (f DeliveryFinding) Text() string {
	var s string
	switch f.Status {
	case DeliveryEnforced:
		s = "delivered over enforced TLS (MTA-STS)"
	case DeliveryTesting:
		s = "TLS not enforced by " + f.Domain + " (MTA-STS in testing mode)"
	case DeliveryNotEnforced:
		s = "TLS not enforced by " + f.Domain
	default:
		s = "not checked"
		if f.Reason != "" {
			s += " (" + f.Reason + ")"
		}
		return s
	}
	if f.Reason != "" {
		s += " (" + f.Reason + ")"
	}
	if d := f.DANEText(); d != "" {
		s += "; " + d
	}
	return s
}

// DANEText says what was found about DANE, empty when there were no TLSA
// records or they were not looked up.
func (f DeliveryFinding) DANEText() string {
	switch f.DANE {
	case DANEValidated:
		return "DANE: TLSA records validated with DNSSEC"
	case DANEUnvalidated:
		return "DANE: TLSA records found but the resolver did not validate them (no DNSSEC)"
	}
	return ""
}
