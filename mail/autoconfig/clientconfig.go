package autoconfig

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sealpost/sealpost/mail/internal/hostname"
)

// MaxConfigSize is the largest autoconfig file accepted, in bytes. Real
// files are a few kilobytes.
const MaxConfigSize = 1 << 20

// The XML shape of Thunderbird's clientConfig format, as far as it matters
// here.
type xmlClientConfig struct {
	XMLName   xml.Name      `xml:"clientConfig"`
	Providers []xmlProvider `xml:"emailProvider"`
}

type xmlProvider struct {
	Incoming []xmlServer `xml:"incomingServer"`
	Outgoing []xmlServer `xml:"outgoingServer"`
}

type xmlServer struct {
	Type       string   `xml:"type,attr"`
	Hostname   string   `xml:"hostname"`
	Port       string   `xml:"port"`
	SocketType string   `xml:"socketType"`
	Username   string   `xml:"username"`
	Auth       []string `xml:"authentication"`
}

// noUsableServer is ErrNoUsableServer with the reasons in notes.
func noUsableServer(notes []string) error {
	if len(notes) == 0 {
		return ErrNoUsableServer
	}
	return fmt.Errorf("%w: %s", ErrNoUsableServer, strings.Join(notes, " "))
}

// maxSkipNotes caps the notes about skipped entries, so that a hostile
// file cannot fill them with a megabyte of text.
const maxSkipNotes = 5

// parseResult picks the first usable IMAP and SMTP entries of doc, an
// autoconfig file in Thunderbird's clientConfig format (config-v1.1.xml)
// for addr. Of the incomingServer entries of type "imap" and the
// outgoingServer entries of type "smtp", the first usable one of each wins
// (the format lists them in order of preference). An entry is usable when
// its socketType is "SSL" (implicit TLS) or "STARTTLS" (mandatory
// STARTTLS), its port is 1 to 65535 and its hostname is a valid host name
// once the placeholders are replaced; entries with socketType "plain" or
// anything else are skipped, never offered, and a note says so. The
// placeholders %EMAILADDRESS%, %EMAILLOCALPART% and %EMAILDOMAIN% are
// replaced in hostname and username; an empty username means the e-mail
// address. The servers are marked unconfirmed; the caller decides.
func parseResult(doc xmlClientConfig, addr address) result {
	var r result
	skips := 0
	pick := func(dst **found, protocol, what string, x xmlServer) {
		if *dst != nil || !strings.EqualFold(strings.TrimSpace(x.Type), protocol) {
			return
		}
		f, why := x.server(addr)
		if f != nil {
			*dst = f
			return
		}
		if skips++; skips <= maxSkipNotes {
			r.notes = append(r.notes, fmt.Sprintf("Skipped the %s server %s in the autoconfig file: %s.", what, why.host, why.reason))
		}
	}
	for _, p := range doc.Providers {
		for _, x := range p.Incoming {
			pick(&r.imap, ProtocolIMAP, "IMAP", x)
		}
		for _, x := range p.Outgoing {
			pick(&r.smtp, ProtocolSMTP, "SMTP", x)
		}
	}
	if skips > maxSkipNotes {
		r.notes = append(r.notes, fmt.Sprintf("Skipped %d more servers in the autoconfig file.", skips-maxSkipNotes))
	}
	return r
}

// clip shortens s to at most n bytes, on a rune boundary, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// skipped says which entry was skipped and why.
type skipped struct{ host, reason string }

// server turns one entry into a found server, or says why it is unusable.
func (x xmlServer) server(addr address) (*found, skipped) {
	placeholders := strings.NewReplacer(
		"%EMAILADDRESS%", addr.email,
		"%EMAILLOCALPART%", addr.local,
		"%EMAILDOMAIN%", addr.given,
	)
	rawHost := placeholders.Replace(strings.TrimSpace(x.Hostname))
	skip := func(format string, args ...any) (*found, skipped) {
		return nil, skipped{host: strconv.Quote(clip(rawHost, 80)), reason: clip(fmt.Sprintf(format, args...), 200)}
	}
	var sec Security
	switch st := strings.TrimSpace(x.SocketType); {
	case strings.EqualFold(st, "SSL"):
		sec = SecurityTLS
	case strings.EqualFold(st, "STARTTLS"):
		sec = SecurityStartTLS
	case strings.EqualFold(st, "plain"):
		return skip("it has no encryption (socketType plain)")
	default:
		return skip("unknown socketType %q", st)
	}
	host, err := hostname.Normalize(rawHost)
	if err != nil {
		return skip("%v", err)
	}
	port, err := strconv.Atoi(strings.TrimSpace(x.Port))
	if err != nil || port < 1 || port > 65535 {
		return skip("invalid port %q", strings.TrimSpace(x.Port))
	}
	username := placeholders.Replace(strings.TrimSpace(x.Username))
	if username == "" {
		username = addr.email
	}
	var auth []Auth
	for _, a := range x.Auth {
		if a = strings.TrimSpace(a); a != "" {
			auth = append(auth, Auth(a))
		}
	}
	return &found{
		server:   Server{Host: host, Port: port, Security: sec, Auth: auth},
		username: username,
		source:   SourceAutoconfig,
	}, skipped{}
}

// autoconfig downloads and parses the autoconfig file from the two
// well-known HTTPS locations, in order, and keeps the first usable IMAP and
// SMTP server it finds; a complete file ends the search.
func (s *search) autoconfig(ctx context.Context) result {
	client := httpsOnlyClient(s.d.HTTPClient)
	q := url.Values{"emailaddress": {s.addr.email}}.Encode()
	locations := []struct{ url, shown string }{
		{
			url:   "https://autoconfig." + s.addr.domain + "/mail/config-v1.1.xml?" + q,
			shown: "https://autoconfig." + s.addr.domain + "/mail/config-v1.1.xml",
		},
		{
			url:   "https://" + s.addr.domain + "/.well-known/autoconfig/mail/config-v1.1.xml",
			shown: "https://" + s.addr.domain + "/.well-known/autoconfig/mail/config-v1.1.xml",
		},
	}
	var r result
	for _, loc := range locations {
		if ctx.Err() != nil || r.complete() {
			break
		}
		got := s.fetchConfig(ctx, client, "autoconfig", loc.url, loc.shown, SourceAutoconfig, "the autoconfig file "+loc.shown)
		r = r.fill(got)
	}
	// The file came over verified HTTPS from the domain itself.
	for _, f := range []*found{r.imap, r.smtp} {
		if f != nil {
			f.confirmed = true
		}
	}
	return r
}

// fill takes from got the servers r lacks, and got's notes.
func (r result) fill(got result) result {
	r.notes = append(r.notes, got.notes...)
	if r.imap == nil {
		r.imap = got.imap
	}
	if r.smtp == nil {
		r.smtp = got.smtp
	}
	return r
}

// fetchConfig downloads the clientConfig document at rawURL, parses it for
// the address and logs the outcome as label and shown (rawURL without what
// the log must not repeat, such as the address). The servers it returns
// are unconfirmed and carry source and detail.
func (s *search) fetchConfig(ctx context.Context, client *http.Client, label, rawURL, shown, source, detail string) result {
	doc, err := s.fetch(ctx, client, rawURL)
	if err != nil {
		// The *url.Error around err repeats the URL, and with it the
		// address in the query: leave it out.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		s.try("%s %s: %v", label, shown, s.stepError(ctx, err))
		return result{}
	}
	got := parseResult(doc, s.addr)
	switch {
	case got.imap == nil && got.smtp == nil:
		s.try("%s %s: %v", label, shown, noUsableServer(got.notes))
	case got.complete():
		s.try("%s %s: found IMAP and SMTP", label, shown)
	case got.imap != nil:
		s.try("%s %s: found IMAP only", label, shown)
	default:
		s.try("%s %s: found SMTP only", label, shown)
	}
	for _, f := range []*found{got.imap, got.smtp} {
		if f != nil {
			f.source, f.detail = source, detail
		}
	}
	return got
}

// stepError says that err, from one step run under ctx, means the step's
// time limit passed, when it does.
func (s *search) stepError(ctx context.Context, err error) error {
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
		return fmt.Errorf("no answer within %v: %w", s.stepTimeout(), err)
	}
	return err
}

// fetch downloads and decodes one autoconfig file.
func (s *search) fetch(ctx context.Context, client *http.Client, rawURL string) (xmlClientConfig, error) {
	ctx, cancel := context.WithTimeout(ctx, s.stepTimeout())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return xmlClientConfig{}, fmt.Errorf("building the request: %w", err)
	}
	req.Header.Set("Accept", "application/xml, text/xml;q=0.9, */*;q=0.1")
	resp, err := client.Do(req)
	if err != nil {
		return xmlClientConfig{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return xmlClientConfig{}, fmt.Errorf("HTTP status %s", resp.Status)
	}
	return decodeClientConfig(resp.Body)
}

// decodeClientConfig reads at most MaxConfigSize bytes of a clientConfig
// document.
func decodeClientConfig(r io.Reader) (xmlClientConfig, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxConfigSize+1))
	if err != nil {
		return xmlClientConfig{}, fmt.Errorf("reading the autoconfig file: %w", err)
	}
	if len(data) > MaxConfigSize {
		return xmlClientConfig{}, fmt.Errorf("%w: more than %d bytes", ErrConfigTooLarge, MaxConfigSize)
	}
	var doc xmlClientConfig
	if err := xml.Unmarshal(data, &doc); err != nil {
		if errors.Is(err, io.EOF) {
			return xmlClientConfig{}, fmt.Errorf("%w: the file is empty", ErrMalformedConfig)
		}
		return xmlClientConfig{}, fmt.Errorf("%w: %w", ErrMalformedConfig, err)
	}
	if len(doc.Providers) == 0 {
		return xmlClientConfig{}, fmt.Errorf("%w: no emailProvider element", ErrMalformedConfig)
	}
	return doc, nil
}

// httpsOnlyClient returns a copy of c (or of a default client) that refuses
// every redirect to a URL that is not https://, and more than 5 redirects.
func httpsOnlyClient(c *http.Client) *http.Client {
	var cp http.Client
	if c != nil {
		cp = *c
	}
	next := cp.CheckRedirect
	cp.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Scheme != "https" {
			return fmt.Errorf("%w: to %s://%s", ErrInsecureRedirect, req.URL.Scheme, req.URL.Host)
		}
		if len(via) >= 5 {
			return errors.New("stopped after 5 redirects")
		}
		if next != nil {
			return next(req, via)
		}
		return nil
	}
	return &cp
}
