// Package autoconfig finds the IMAP and SMTP submission settings of a mail
// account from its address alone, the way Thunderbird users expect, and
// never suggests a server without TLS.
//
// Discover asks five sources, in this order:
//
//  1. DNS SRV records (RFC 6186, RFC 8314): _imaps._tcp, else _imap._tcp, for
//     IMAP; _submissions._tcp, else _submission._tcp, for SMTP submission.
//     The implicit-TLS services are preferred; the others become mandatory
//     STARTTLS.
//  2. The autoconfig file (Thunderbird's clientConfig XML), over HTTPS only:
//     https://autoconfig.<domain>/mail/config-v1.1.xml?emailaddress=<address>
//     then https://<domain>/.well-known/autoconfig/mail/config-v1.1.xml.
//  3. Thunderbird's ISP database (ISPDB), over HTTPS only:
//     https://autoconfig.thunderbird.net/v1.1/<domain>, in the same format.
//  4. The mail provider named by the domain's MX records: the registrable
//     domain of the preferred MX host (aspmx.l.google.com gives google.com)
//     is looked up in the ISPDB, then at
//     https://autoconfig.<provider>/mail/config-v1.1.xml.
//  5. Guesses: imap.<domain> and mail.<domain> for IMAP, smtp.<domain> and
//     mail.<domain> for SMTP, each offered only after a Prober completed a
//     verified TLS connection to it.
//
// Sources 3 and 4 ask others than the domain and never send the address:
// the ISPDB's host learns the domain, the provider's hosts only that
// someone looks the provider up. Discoverer.NoThirdParty turns them off.
//
// After each source, the results so far are merged: IMAP and SMTP are each
// taken from the earliest source that found a confirmed one (see
// Settings.Confirmed for the rule), else from the earliest that found one
// at all. As soon as the merged result is complete (IMAP and SMTP) and
// confirmed, it is returned and the later sources are not asked; the
// guesses only probe the protocols still missing a confirmed server. So
// published settings (SRV, autoconfig) win over guesses, and a confirmed
// guess wins over an SRV target outside the domain.
//
// Nothing here ever offers a plaintext setting: SRV services without TLS do
// not exist in this package, autoconfig entries with socketType "plain" (or
// any socket type other than SSL and STARTTLS) are skipped, and guesses are
// only probed with implicit TLS or STARTTLS.
package autoconfig

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Security is how a suggested connection is protected. There is
// deliberately no plaintext value. The values are those of the transport
// layer's security setting.
type Security string

const (
	// SecurityTLS is implicit TLS (usually ports 993 and 465).
	SecurityTLS Security = "tls"
	// SecurityStartTLS is mandatory STARTTLS (usually ports 143 and 587): a
	// server that does not offer it must be refused.
	SecurityStartTLS Security = "starttls"
)

// Auth is an authentication method named by an autoconfig file, spelled as
// Thunderbird's clientConfig format spells it. Values other than the
// constants below ("NTLM", "GSSAPI", "client-IP-address", ...) are passed
// through as written.
type Auth string

const (
	// AuthPasswordCleartext is a password sent inside TLS (SASL PLAIN or
	// LOGIN).
	AuthPasswordCleartext Auth = "password-cleartext"
	// AuthOAuth2 is an OAuth2 bearer token (SASL XOAUTH2 or OAUTHBEARER).
	AuthOAuth2 Auth = "OAuth2"
)

// Server is one suggested server.
type Server struct {
	// Host is the server's host name: ASCII (IDNA), lower case, without a
	// trailing dot.
	Host string
	// Port is the TCP port, 1 to 65535.
	Port int
	// Security is SecurityTLS or SecurityStartTLS, never anything else.
	Security Security
	// Auth lists the authentication methods the autoconfig file names for
	// this server, in its order; nil when the source does not say (SRV
	// records and guesses).
	Auth []Auth
}

// Address is the server's "host:port", ready for dialling.
func (s Server) Address() string {
	return net.JoinHostPort(s.Host, strconv.Itoa(s.Port))
}

// String describes the server for people, for example
// "imap.example.com:993 (tls)".
func (s Server) String() string {
	return fmt.Sprintf("%s (%s)", s.Address(), s.Security)
}

// Sources of a suggestion, as found in Settings.Source.
const (
	// SourceSRV means DNS SRV records (RFC 6186, RFC 8314).
	SourceSRV = "srv"
	// SourceAutoconfig means an autoconfig file fetched over HTTPS.
	SourceAutoconfig = "autoconfig"
	// SourceISPDB means the domain's entry in Thunderbird's ISPDB.
	SourceISPDB = "ispdb"
	// SourceMXISPDB means the ISPDB entry of the provider that the
	// domain's MX records point to.
	SourceMXISPDB = "mx-ispdb"
	// SourceMXAutoconfig means the autoconfig file of the provider that
	// the domain's MX records point to.
	SourceMXAutoconfig = "mx-autoconfig"
	// SourceGuess means a guessed host name confirmed by a Prober.
	SourceGuess = "guess"
)

// Settings are the suggested account settings.
type Settings struct {
	// IMAP is the incoming server. In a result of Discover it is always set.
	IMAP Server
	// SMTP is the submission server, set like IMAP.
	SMTP Server
	// Username is the login name for IMAP (and SMTP, unless a Note says
	// otherwise): the autoconfig file's, with its placeholders replaced, or
	// the e-mail address itself.
	Username string
	// Source is where the settings came from: one of the Source constants;
	// for a merged result, the IMAP source and the SMTP source joined by
	// "+", for example "srv+guess".
	Source string
	// SourceDetail says the same in words for people, naming the record,
	// file or database entry, for example "Thunderbird's ISPDB entry for
	// google.com (the provider of example.com's MX host
	// aspmx.l.google.com)".
	SourceDetail string
	// Confirmed is true when every server in the settings is vouched for by
	// the address's domain itself, so it may be used without asking the
	// user:
	//   - an SRV target whose host is the address's domain, a subdomain of
	//     it, or shares its registrable domain (public suffix + 1 label, so
	//     mail.example.com may use imap.example.com, but example.co.uk may
	//     not use evil.co.uk). Plain DNS can be spoofed, and an attacker can
	//     get a valid certificate for a name they own, so a target outside
	//     the domain (a hosted domain pointing at its provider, or a spoof)
	//     is unconfirmed: the user must confirm it before sending a password
	//     (RFC 6186, section 6);
	//   - every server named by an autoconfig file fetched over verified
	//     HTTPS from the domain (the domain's owner published it);
	//   - every server named by an ISPDB entry, for the domain or for the
	//     provider its MX records name: the entries are curated and come
	//     over verified HTTPS, so a forged MX record can only point to a
	//     listed provider's real servers, never to the forger's;
	//   - a server named by the autoconfig file of the provider that the MX
	//     records name only when it is within the address's domain, as for
	//     SRV: a forged MX record could name any provider's file;
	//   - every guess (a host under the domain whose certificate verified).
	Confirmed bool
	// Notes explain, in words for the user, anything worth knowing about the
	// result: skipped plaintext servers, unconfirmed SRV targets, a different
	// SMTP user name.
	Notes []string
}

// Protocols a Prober is asked to check.
const (
	// ProtocolIMAP is IMAP (the STARTTLS exchange, if any, is IMAP's).
	ProtocolIMAP = "imap"
	// ProtocolSMTP is SMTP submission.
	ProtocolSMTP = "smtp"
)

// Prober checks a guessed server: it must complete a TLS connection to s
// (implicit TLS or STARTTLS, as s.Security says, speaking protocol, which is
// ProtocolIMAP or ProtocolSMTP) whose certificate verifies for s.Host, and
// return nil only then. It must return promptly once ctx is done. It never
// sends a credential. Discover calls it from several goroutines at once.
type Prober func(ctx context.Context, protocol string, s Server) error

// Resolver looks up SRV and MX records; *net.Resolver implements it. Like
// net.Resolver's methods, its methods may return usable records together
// with an error.
type Resolver interface {
	LookupSRV(ctx context.Context, service, proto, name string) (cname string, addrs []*net.SRV, err error)
	LookupMX(ctx context.Context, name string) ([]*net.MX, error)
}

// Sentinel errors.
var (
	// ErrInvalidAddress means the e-mail address cannot be used to look up
	// settings.
	ErrInvalidAddress = errors.New("not a usable e-mail address: enter it as name@example.com")
	// ErrNotFound means no source found a complete set of settings. The
	// error is a *NotFoundError listing what was tried.
	ErrNotFound = errors.New("no mail server settings found")
	// ErrMalformedConfig means an autoconfig file is not a well-formed
	// clientConfig document.
	ErrMalformedConfig = errors.New("the autoconfig file is not a valid clientConfig document")
	// ErrConfigTooLarge means an autoconfig file is larger than
	// MaxConfigSize.
	ErrConfigTooLarge = errors.New("the autoconfig file is too large")
	// ErrNoUsableServer means an autoconfig file names no IMAP and no SMTP
	// server that can be used with TLS.
	ErrNoUsableServer = errors.New("the autoconfig file names no IMAP or SMTP server that can be used with TLS")
	// ErrInsecureRedirect means an HTTPS request was redirected to a URL
	// that is not HTTPS; the redirect was not followed.
	ErrInsecureRedirect = errors.New("refused a redirect away from HTTPS")
)

// NotFoundError is the error of a Discover that found no complete settings.
// It matches ErrNotFound with errors.Is, and context.DeadlineExceeded too
// when the time limit ended the search.
type NotFoundError struct {
	// Domain is the (ASCII) domain of the address.
	Domain string
	// Tried lists every lookup, download and probe with its outcome, in
	// order.
	Tried []string
	// Partial holds what was found, if anything (IMAP or SMTP, not both), so
	// that a form can be pre-filled.
	Partial Settings
	// TimedOut is true when Discoverer.Timeout ended the search.
	TimedOut bool
}

// Error implements error.
func (e *NotFoundError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%v for %s", ErrNotFound, e.Domain)
	if e.TimedOut {
		b.WriteString(" before the time limit")
	}
	b.WriteString("; enter the server settings by hand")
	if len(e.Tried) > 0 {
		b.WriteString(" (tried: ")
		b.WriteString(strings.Join(e.Tried, "; "))
		b.WriteString(")")
	}
	return b.String()
}

// Unwrap lets errors.Is match ErrNotFound, and context.DeadlineExceeded
// when the search timed out.
func (e *NotFoundError) Unwrap() []error {
	if e.TimedOut {
		return []error{ErrNotFound, context.DeadlineExceeded}
	}
	return []error{ErrNotFound}
}

// Defaults of a Discoverer.
const (
	// DefaultTimeout bounds a whole Discover.
	DefaultTimeout = 60 * time.Second
	// DefaultStepTimeout bounds each DNS lookup, each download and each
	// probe.
	DefaultStepTimeout = 10 * time.Second
	// DefaultISPDB is the base URL of Thunderbird's ISP database.
	DefaultISPDB = "https://autoconfig.thunderbird.net/v1.1/"
)

// Discoverer finds account settings. The zero value uses the system
// resolver, a default HTTPS client, no guesses (no Prober) and the default
// time limits. A Discoverer is safe for concurrent use.
type Discoverer struct {
	// Resolver looks up SRV and MX records; nil means
	// net.DefaultResolver.
	Resolver Resolver
	// HTTPClient downloads autoconfig files and ISPDB entries; nil means
	// a client with
	// http.DefaultTransport. Whatever client is given, Discover only asks
	// for https:// URLs and refuses (ErrInsecureRedirect) any redirect to
	// another scheme, before following it.
	HTTPClient *http.Client
	// Probe confirms guesses; nil means no guessing.
	Probe Prober
	// Timeout bounds the whole Discover; zero means DefaultTimeout.
	Timeout time.Duration
	// StepTimeout bounds each DNS lookup, each download and each probe;
	// zero means DefaultStepTimeout.
	StepTimeout time.Duration
	// ISPDB is the base URL of the ISP database, to which the domain is
	// appended; empty means DefaultISPDB. It must be an https:// URL.
	ISPDB string
	// NoThirdParty skips the ISPDB and the MX-based provider lookup, the
	// sources that ask others than the domain itself.
	NoThirdParty bool
}

// Discover finds the IMAP and SMTP settings for email. It returns a
// complete Settings, or a *NotFoundError (matching ErrNotFound) listing
// what was tried, or ErrInvalidAddress, or the context's error when ctx was
// cancelled or its deadline passed (Discover then returns as soon as the
// lookups, download or probes in flight have noticed). Reaching d.Timeout
// is not a cancellation: Discover then returns the best complete result
// found so far, possibly unconfirmed, else a *NotFoundError with TimedOut
// set.
func (d *Discoverer) Discover(ctx context.Context, email string) (Settings, error) {
	addr, err := parseAddress(email)
	if err != nil {
		return Settings{}, err
	}
	timeout := d.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	runCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	s := &search{d: d, addr: addr}
	var merged result
	for _, phase := range []func(context.Context) result{s.srv, s.autoconfig, s.ispdb, s.mx, s.guess} {
		if runCtx.Err() != nil {
			break
		}
		s.results = append(s.results, phase(runCtx))
		merged = merge(s.results)
		if merged.complete() && merged.imap.confirmed && merged.smtp.confirmed {
			return merged.settings(), nil
		}
	}
	if err := ctx.Err(); err != nil {
		return Settings{}, fmt.Errorf("looking up the mail settings for %s: %w", addr.domain, err)
	}
	if merged.complete() {
		return merged.settings(), nil
	}
	timedOut := runCtx.Err() != nil
	if timedOut {
		s.tried = append(s.tried, fmt.Sprintf("stopped at the time limit of %v", timeout))
	}
	return Settings{}, &NotFoundError{
		Domain:   addr.domain,
		Tried:    s.tried,
		Partial:  merged.settings(),
		TimedOut: timedOut,
	}
}

// search is the state of one Discover.
type search struct {
	d       *Discoverer
	addr    address
	results []result // of the sources asked so far, in order
	tried   []string // written by the Discover goroutine only
}

func (s *search) stepTimeout() time.Duration {
	if s.d.StepTimeout > 0 {
		return s.d.StepTimeout
	}
	return DefaultStepTimeout
}

func (s *search) try(format string, args ...any) {
	s.tried = append(s.tried, fmt.Sprintf(format, args...))
}

// found is one server found by one source.
type found struct {
	server    Server
	username  string
	source    string
	detail    string // source, in words for people
	confirmed bool
	notes     []string
}

// result is what one source (or the merge of several) found.
type result struct {
	imap, smtp *found
	notes      []string // notes that concern the source as a whole
}

func (r result) complete() bool { return r.imap != nil && r.smtp != nil }

// merge takes IMAP and SMTP each from the earliest result that has a
// confirmed one, else from the earliest that has one at all.
func merge(results []result) result {
	pick := func(get func(result) *found) *found {
		var first *found
		for _, r := range results {
			f := get(r)
			if f == nil {
				continue
			}
			if f.confirmed {
				return f
			}
			if first == nil {
				first = f
			}
		}
		return first
	}
	m := result{
		imap: pick(func(r result) *found { return r.imap }),
		smtp: pick(func(r result) *found { return r.smtp }),
	}
	for _, r := range results {
		if (r.imap != nil && r.imap == m.imap) || (r.smtp != nil && r.smtp == m.smtp) {
			m.notes = append(m.notes, r.notes...)
		}
	}
	return m
}

// settings turns r into Settings; r may be partial.
func (r result) settings() Settings {
	var st Settings
	st.Notes = append(st.Notes, r.notes...)
	var sources, details []string
	confirmed := true
	for _, f := range []*found{r.imap, r.smtp} {
		if f == nil {
			confirmed = false
			continue
		}
		if len(sources) == 0 || sources[0] != f.source {
			sources = append(sources, f.source)
		}
		if f.detail != "" && (len(details) == 0 || details[0] != f.detail) {
			details = append(details, f.detail)
		}
		confirmed = confirmed && f.confirmed
		st.Notes = append(st.Notes, f.notes...)
	}
	if r.imap != nil {
		st.IMAP = r.imap.server
		st.Username = r.imap.username
	}
	if r.smtp != nil {
		st.SMTP = r.smtp.server
		if st.Username == "" {
			st.Username = r.smtp.username
		} else if r.smtp.username != st.Username {
			st.Notes = append(st.Notes, fmt.Sprintf("The SMTP server expects the user name %q, which differs from the IMAP user name %q.", r.smtp.username, st.Username))
		}
	}
	st.Source = strings.Join(sources, "+")
	switch {
	case len(details) == 2:
		st.SourceDetail = "IMAP from " + details[0] + "; SMTP from " + details[1]
	case len(details) == 1 && r.complete():
		st.SourceDetail = details[0]
	case len(details) == 1 && r.imap != nil:
		st.SourceDetail = "IMAP from " + details[0]
	case len(details) == 1:
		st.SourceDetail = "SMTP from " + details[0]
	}
	st.Confirmed = confirmed
	return st
}
