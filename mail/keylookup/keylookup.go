// Package keylookup finds a correspondent's OpenPGP key on the network: the
// Web Key Directory of the address's domain (advanced method, then direct
// method) and then the keys.openpgp.org verifying keyserver (VKS, by
// e-mail). It only ever speaks HTTPS, every lookup is bounded in time and
// response size and cancellable through its context.
//
// A key found this way is only as trustworthy as the server that sent it:
// the caller stores it as an unverified contact key with Result.Source,
// until the user has compared fingerprints. Lookups happen only when the
// user asks for them, never because a message arrived.
package keylookup

import (
	"bytes"
	"context"
	"crypto/sha1"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"golang.org/x/net/idna"

	"github.com/sealpost/sealpost/crypto"
)

// Sources recorded in Result.Source (and, by the caller, in the contact
// key's source).
const (
	SourceWKD       = "wkd"
	SourceKeyserver = "keyserver"
)

// Defaults for the zero Client fields.
const (
	// DefaultKeyserverURL is keys.openpgp.org's base URL.
	DefaultKeyserverURL = "https://keys.openpgp.org"
	// DefaultTimeout bounds a whole Lookup.
	DefaultTimeout = 30 * time.Second
	// DefaultMaxResponseSize bounds each response body. Keys with one user
	// ID are a few KB; keys with many certifications rarely exceed 200 KB.
	DefaultMaxResponseSize = 1 << 20
	// maxRedirects bounds the redirects followed for one request.
	maxRedirects = 5
)

// Sentinel errors for callers to branch on.
var (
	// ErrInvalidAddress reports an e-mail address a key cannot be looked up for.
	ErrInvalidAddress = errors.New("not an e-mail address a key can be looked up for")
	// ErrNotFound reports that no method found a usable key for the address;
	// the wrapping error lists what each method answered.
	ErrNotFound = errors.New("no key found for the address")
	// ErrInsecureURL reports a URL (configured or a redirect target) that is
	// not HTTPS.
	ErrInsecureURL = errors.New("refusing a URL that is not HTTPS")
	// ErrTooLarge reports a response larger than Client.MaxResponseSize.
	ErrTooLarge = errors.New("response too large")
	// ErrNoMatchingUserID reports keys none of which carries the address as
	// a valid user ID.
	ErrNoMatchingUserID = errors.New("the key does not carry the address as a user ID")
)

// Result is the outcome of a successful Lookup.
type Result struct {
	// Keys are the public keys found, each reduced to the user IDs that
	// carry the looked-up address.
	Keys []*crypto.Key
	// Source is SourceWKD or SourceKeyserver.
	Source string
	// URL is the URL the keys were downloaded from.
	URL string
}

// Client looks up keys. The zero value is ready to use; a Client is safe for
// concurrent use as long as its fields are not changed.
type Client struct {
	// HTTP is the HTTP client; nil means one with conservative timeouts. Its
	// redirect policy is replaced by one that follows at most 5 redirects
	// and only to HTTPS URLs.
	HTTP *http.Client
	// KeyserverURL is the VKS base URL; "" means DefaultKeyserverURL. It must
	// be HTTPS.
	KeyserverURL string
	// Timeout bounds a whole Lookup; 0 means DefaultTimeout.
	Timeout time.Duration
	// MaxResponseSize bounds each response body; 0 means
	// DefaultMaxResponseSize.
	MaxResponseSize int64
}

// address is an e-mail address split for lookups.
type address struct {
	email  string // local@domain with the ASCII domain
	local  string // as given
	domain string // ASCII (IDNA), lower case
}

func parseAddress(email string) (address, error) {
	e := strings.TrimSpace(email)
	if !utf8.ValidString(e) || strings.IndexFunc(e, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return address{}, fmt.Errorf("%w: %q contains spaces or control characters", ErrInvalidAddress, e)
	}
	at := strings.LastIndexByte(e, '@')
	if at <= 0 || at == len(e)-1 {
		return address{}, fmt.Errorf("%w: %q needs a name, an @ and a domain", ErrInvalidAddress, e)
	}
	domain, err := idna.Lookup.ToASCII(e[at+1:])
	if err != nil || !strings.Contains(domain, ".") {
		return address{}, fmt.Errorf("%w: %q is not a full domain name", ErrInvalidAddress, e[at+1:])
	}
	domain = strings.ToLower(domain)
	return address{email: e[:at] + "@" + domain, local: e[:at], domain: domain}, nil
}

// wkdMethod is one WKD method: its policy file and key URL.
type wkdMethod struct {
	name      string
	policyURL string
	keyURL    string
}

func wkdMethods(a address) [2]wkdMethod {
	sum := sha1.Sum([]byte(asciiLower(a.local)))
	hu := zbase32(sum[:])
	query := "?l=" + url.QueryEscape(a.local)
	adv := "https://openpgpkey." + a.domain + "/.well-known/openpgpkey/" + a.domain + "/"
	dir := "https://" + a.domain + "/.well-known/openpgpkey/"
	return [2]wkdMethod{
		{name: "WKD advanced method", policyURL: adv + "policy", keyURL: adv + "hu/" + hu + query},
		{name: "WKD direct method", policyURL: dir + "policy", keyURL: dir + "hu/" + hu + query},
	}
}

// asciiLower maps only A-Z to lower case, as the WKD hash requires.
func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return r
	}, s)
}

const zbase32Alphabet = "ybndrfg8ejkmcpqxot1uwisza345h769"

// zbase32 encodes b in z-base-32 (RFC 6189 §5.1.6), 5 bits per character,
// most significant first.
func zbase32(b []byte) string {
	var out strings.Builder
	var acc uint32
	bits := 0
	for _, c := range b {
		acc = acc<<8 | uint32(c)
		bits += 8
		for bits >= 5 {
			bits -= 5
			out.WriteByte(zbase32Alphabet[(acc>>bits)&31])
		}
	}
	if bits > 0 {
		out.WriteByte(zbase32Alphabet[(acc<<(5-bits))&31])
	}
	return out.String()
}

// Lookup finds the keys for email: the WKD advanced method, then the direct
// method, then the keyserver. A WKD method is used only if its policy file
// exists; once one exists the domain runs that method and the other is not
// tried. The first method that returns a key carrying the address wins.
// Error messages do not contain the address. It fails with
// ErrInvalidAddress, ErrInsecureURL, the context's error when ctx is
// cancelled or the Timeout passes, or ErrNotFound with what each method
// answered.
func (c *Client) Lookup(ctx context.Context, email string) (Result, error) {
	a, err := parseAddress(email)
	if err != nil {
		return Result{}, err
	}
	base := c.KeyserverURL
	if base == "" {
		base = DefaultKeyserverURL
	}
	if u, err := url.Parse(base); err != nil || u.Scheme != "https" || u.Host == "" {
		return Result{}, fmt.Errorf("%w: keyserver %q", ErrInsecureURL, base)
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	hc := c.httpClient()

	var problems []error
	for _, m := range wkdMethods(a) {
		res, published, err := c.tryWKD(ctx, hc, a, m)
		if err == nil {
			return res, nil
		}
		if ctx.Err() != nil {
			return Result{}, fmt.Errorf("look up key: %w", context.Cause(ctx))
		}
		problems = append(problems, fmt.Errorf("%s: %w", m.name, err))
		if published {
			// The domain runs this method: the other would be stale or absent.
			break
		}
	}
	keyURL := strings.TrimSuffix(base, "/") + "/vks/v1/by-email/" + url.PathEscape(a.email)
	keys, err := c.fetchKeys(ctx, hc, keyURL, a)
	if err == nil {
		return Result{Keys: keys, Source: SourceKeyserver, URL: keyURL}, nil
	}
	if ctx.Err() != nil {
		return Result{}, fmt.Errorf("look up key: %w", context.Cause(ctx))
	}
	problems = append(problems, fmt.Errorf("keyserver: %w", err))
	return Result{}, fmt.Errorf("%w: %w", ErrNotFound, methodErrors(problems))
}

// methodErrors is what each method answered, on one line.
type methodErrors []error

func (m methodErrors) Error() string {
	msgs := make([]string, len(m))
	for i, err := range m {
		msgs[i] = err.Error()
	}
	return strings.Join(msgs, "; ")
}

func (m methodErrors) Unwrap() []error { return m }

// tryWKD uses method m if its policy file exists (published reports that
// it does) and returns the keys it publishes for a.
func (c *Client) tryWKD(ctx context.Context, hc *http.Client, a address, m wkdMethod) (res Result, published bool, err error) {
	if _, err := c.get(ctx, hc, m.policyURL); err != nil {
		return Result{}, false, fmt.Errorf("policy file: %w", err)
	}
	keys, err := c.fetchKeys(ctx, hc, m.keyURL, a)
	if err != nil {
		return Result{}, true, fmt.Errorf("key: %w", err)
	}
	return Result{Keys: keys, Source: SourceWKD, URL: m.keyURL}, true, nil
}

// fetchKeys downloads keyURL and returns its keys reduced to a's user IDs.
func (c *Client) fetchKeys(ctx context.Context, hc *http.Client, keyURL string, a address) ([]*crypto.Key, error) {
	body, err := c.get(ctx, hc, keyURL)
	if err != nil {
		return nil, err
	}
	keys, err := crypto.ParseKeys(body)
	if err != nil {
		return nil, err
	}
	addr := strings.ToLower(a.email)
	var out []*crypto.Key
	for _, k := range keys {
		stripped, err := onlyUserID(k.Public(), addr)
		if errors.Is(err, ErrNoMatchingUserID) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, stripped)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w (%d key(s) received)", ErrNoMatchingUserID, len(keys))
	}
	return out, nil
}

// onlyUserID returns k without the user IDs whose address is not addr, or
// ErrNoMatchingUserID if no valid, unrevoked user ID for addr remains.
func onlyUserID(k *crypto.Key, addr string) (*crypto.Key, error) {
	raw, err := k.MarshalPublic()
	if err != nil {
		return nil, err
	}
	e, err := openpgp.ReadEntity(packet.NewReader(bytes.NewReader(raw)))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", crypto.ErrMalformedKey, err)
	}
	for name, id := range e.Identities {
		if id.UserId == nil || strings.ToLower(id.UserId.Email) != addr {
			delete(e.Identities, name)
		}
	}
	if len(e.Identities) == 0 {
		return nil, fmt.Errorf("key %s: %w", k.Fingerprint(), ErrNoMatchingUserID)
	}
	var buf bytes.Buffer
	if err := e.Serialize(&buf); err != nil {
		return nil, fmt.Errorf("key %s: reduce to the address's user ID: %w", k.Fingerprint(), err)
	}
	keys, err := crypto.ParseKeys(buf.Bytes())
	if err != nil {
		return nil, fmt.Errorf("key %s: reduce to the address's user ID: %w", k.Fingerprint(), err)
	}
	if len(keys) != 1 || !slices.Contains(keys[0].Emails(), addr) {
		return nil, fmt.Errorf("key %s: %w: its user ID for the address is revoked or not self-signed", k.Fingerprint(), ErrNoMatchingUserID)
	}
	return keys[0], nil
}

// get fetches rawURL and returns its body, bounded by MaxResponseSize.
func (c *Client) get(ctx context.Context, hc *http.Client, rawURL string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	resp, err := hc.Do(req)
	if uerr := (*url.Error)(nil); errors.As(err, &uerr) {
		// The URL holds the local part; keep it out of error messages.
		return nil, fmt.Errorf("request failed: %w", uerr.Err)
	}
	if err != nil {
		return nil, fmt.Errorf("request failed: %w", err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return nil, fmt.Errorf("not published (HTTP %d)", resp.StatusCode)
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("unexpected HTTP status %s", resp.Status)
	}
	limit := c.MaxResponseSize
	if limit <= 0 {
		limit = DefaultMaxResponseSize
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read response: %w", err)
	}
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, limit)
	}
	return body, nil
}

// httpClient returns a copy of c.HTTP (or a default client) whose redirect
// policy allows only HTTPS targets.
func (c *Client) httpClient() *http.Client {
	var hc http.Client
	if c.HTTP != nil {
		hc = *c.HTTP
	} else {
		hc.Timeout = 20 * time.Second
	}
	hc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Scheme != "https" {
			return fmt.Errorf("%w: redirect to a %s URL", ErrInsecureURL, req.URL.Scheme)
		}
		if len(via) >= maxRedirects {
			return fmt.Errorf("stopped after %d redirects", maxRedirects)
		}
		return nil
	}
	return &hc
}
