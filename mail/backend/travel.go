package backend

import "time"

// Travel is the transport evidence of one message, recorded when it was
// synced: the hops its Received header fields state, its DKIM signatures
// as checked then, the authentication results of the account's own
// provider, and how our own connection fetched it. A nil *Travel means
// nothing was recorded (mail stored before Sealpost recorded evidence, or
// fetched without its header).
type Travel struct {
	// Hops are the relays the Received header fields state, oldest first
	// (the sender's side first, the account's provider last).
	Hops []Hop `json:"hops"`
	// DKIM holds one check per DKIM-Signature field, top to bottom.
	DKIM []DKIMCheck `json:"dkim"`
	// Provider holds the results the account's own provider stated in its
	// Authentication-Results field; nil when it stated none that may be
	// trusted (see docs/security.md, "How it travelled").
	Provider *ProviderResults `json:"provider,omitempty"`
	// Fetch is how our own IMAP connection that fetched the message was
	// secured; nil if that was not known.
	Fetch *FetchTLS `json:"fetch,omitempty"`
	// CheckedAt is when the evidence was recorded.
	CheckedAt time.Time `json:"checked_at"`
	// RecheckAfter, when set, says a DKIM signature was left not checked
	// for a reason that may pass (the DNS failed, lookups were off or not
	// tried yet): from this time on, the checks are to be made again.
	// Pass and fail results are final and leave it zero.
	RecheckAfter time.Time `json:"recheck_after,omitzero"`
}

// Hop encryption as a Received field states it.
const (
	// HopTLS means the field states TLS: a TLS version or cipher, or a
	// protocol name that means TLS (ESMTPS, ESMTPSA, LMTPS, ...).
	HopTLS = "tls"
	// HopNotStated means the field states no TLS: the hop may have been
	// in the clear, or the server just did not say.
	HopNotStated = "not_stated"
)

// Hop is one relay of a message as a Received header field states it: a
// claim of the server that added the field, not something Sealpost
// checked.
type Hop struct {
	// From is the host the relay received the message from (its name as
	// announced, or an address), By the host that received it.
	From string `json:"from,omitempty"`
	By   string `json:"by,omitempty"`
	// With is the protocol named, upper case ("ESMTPS", "LMTP").
	With string `json:"with,omitempty"`
	// Encryption is HopTLS or HopNotStated.
	Encryption string `json:"encryption"`
	// TLSVersion ("TLS 1.3") and Cipher are set when the field names them.
	TLSVersion string `json:"tls_version,omitempty"`
	Cipher     string `json:"cipher,omitempty"`
	// Time is the field's date; zero when it has none that parses.
	Time time.Time `json:"time,omitzero"`
	// ByProvider means the field was added by the account's own provider
	// (it belongs to the run of fields at the top whose By host is in the
	// provider's domain), so no sender could have written it.
	ByProvider bool `json:"by_provider"`
}

// DKIM check results.
const (
	DKIMPass = "pass"
	DKIMFail = "fail"
	// DKIMNotChecked means the signature could not be checked: its key
	// could not be looked up (offline, DNS failure) or it was not tried.
	DKIMNotChecked = "not_checked"
)

// Reasons of a DKIMNotChecked check that say more than a DNS failure.
const (
	// DKIMLookupsOff means DKIM key lookups are turned off in the
	// settings (backend.Preferences.NoDKIMLookups).
	DKIMLookupsOff = "lookups off"
	// DKIMNotYet means the key was not looked up yet: the message was just
	// fetched to be read, and its check follows in the background.
	DKIMNotYet = "not checked yet"
)

// DKIMCheck is the check of one DKIM signature, made when the message was
// synced.
type DKIMCheck struct {
	// Domain is the signing domain (d=), as the signature states it.
	Domain string `json:"domain"`
	// Result is DKIMPass, DKIMFail or DKIMNotChecked.
	Result string `json:"result"`
	// Reason says why a signature failed or was not checked.
	Reason string `json:"reason,omitempty"`
	// AlignedWithFrom means Domain is the From address's domain or a
	// parent domain of it.
	AlignedWithFrom bool `json:"aligned_with_from"`
}

// ProviderResults are the SPF, DKIM, DMARC and ARC results the account's
// provider stated in its Authentication-Results field; a method it did
// not state is empty.
type ProviderResults struct {
	// AuthServID is the authserv-id of the field.
	AuthServID string `json:"authserv_id"`
	SPF        string `json:"spf,omitempty"`
	DKIM       string `json:"dkim,omitempty"`
	DMARC      string `json:"dmarc,omitempty"`
	ARC        string `json:"arc,omitempty"`
}

// FetchTLS is how our own IMAP connection that fetched a message was
// secured.
type FetchTLS struct {
	// Server is the host name the certificate was checked against.
	Server string `json:"server"`
	// Version ("TLS 1.3") and Cipher are the connection's.
	Version string `json:"version"`
	Cipher  string `json:"cipher"`
}
