package keylookup

import (
	"bytes"
	"context"
	stdcrypto "crypto"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"

	"github.com/sealpost/sealpost/crypto"
	"github.com/sealpost/sealpost/mail/internal/testcert"
)

// testHosts are the names the test certificate is valid for.
var testHosts = []string{"openpgpkey.example.org", "example.org", "keys.openpgp.org"}

// reply is a canned HTTP response.
type reply struct {
	status   int
	body     []byte
	location string
}

// fakeWeb is one HTTPS server answering for several host names. Hosts not
// in resolvable do not exist (the dial fails as DNS would).
type fakeWeb struct {
	srv        *httptest.Server
	client     *http.Client
	resolvable map[string]bool

	mu       sync.Mutex
	routes   map[string]reply // "host/path?query" or "host/path"
	requests []string
}

func newFakeWeb(t *testing.T, hosts ...string) *fakeWeb {
	t.Helper()
	cert, pool := testcert.SelfSigned(t, testHosts...)
	w := &fakeWeb{resolvable: make(map[string]bool), routes: make(map[string]reply)}
	for _, h := range hosts {
		w.resolvable[h] = true
	}
	w.srv = httptest.NewUnstartedServer(http.HandlerFunc(w.serve))
	w.srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	w.srv.StartTLS()
	addr := w.srv.Listener.Addr().String()
	tr := &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
		DialContext: func(ctx context.Context, network, hostport string) (net.Conn, error) {
			host, _, err := net.SplitHostPort(hostport)
			if err != nil {
				return nil, err
			}
			if !w.resolvable[host] {
				return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
			}
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	}
	w.client = &http.Client{Transport: tr}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		w.srv.Close()
	})
	return w
}

func (w *fakeWeb) route(hostPath string, r reply) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.routes[hostPath] = r
}

func (w *fakeWeb) serve(rw http.ResponseWriter, r *http.Request) {
	host, _, err := net.SplitHostPort(r.Host)
	if err != nil {
		host = r.Host
	}
	full := host + r.URL.EscapedPath()
	w.mu.Lock()
	w.requests = append(w.requests, full)
	rep, ok := w.routes[full+"?"+r.URL.RawQuery]
	if !ok {
		rep, ok = w.routes[full]
	}
	w.mu.Unlock()
	switch {
	case !ok:
		http.NotFound(rw, r)
	case rep.location != "":
		http.Redirect(rw, r, rep.location, http.StatusFound)
	default:
		rw.WriteHeader(rep.status)
		_, _ = rw.Write(rep.body)
	}
}

// newPublicKey makes an Ed25519/Cv25519 key with one user ID per email and
// returns its binary public key.
func newPublicKey(t *testing.T, emails ...string) []byte {
	t.Helper()
	cfg := &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA, Curve: packet.Curve25519}
	e, err := openpgp.NewEntity("Test", "", emails[0], cfg)
	if err != nil {
		t.Fatalf("NewEntity: %v", err)
	}
	for _, em := range emails[1:] {
		if err := e.AddUserId("Test", "", em, cfg); err != nil {
			t.Fatalf("AddUserId: %v", err)
		}
	}
	var buf bytes.Buffer
	if err := e.Serialize(&buf); err != nil {
		t.Fatalf("Serialize: %v", err)
	}
	return buf.Bytes()
}

// revokedUserID makes a key with user IDs for email (revoked) and for
// other@example.org, and returns its binary public key.
func revokedUserID(t *testing.T, email string) []byte {
	t.Helper()
	cfg := &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA, Curve: packet.Curve25519}
	e, err := openpgp.NewEntity("Test", "", "other@example.org", cfg)
	if err != nil {
		t.Fatalf("NewEntity: %v", err)
	}
	if err := e.AddUserId("Test", "", email, cfg); err != nil {
		t.Fatalf("AddUserId: %v", err)
	}
	for _, id := range e.Identities {
		if id.UserId.Email != email {
			continue
		}
		sig := &packet.Signature{
			Version:           e.PrimaryKey.Version,
			SigType:           packet.SigTypeCertificationRevocation,
			PubKeyAlgo:        e.PrimaryKey.PubKeyAlgo,
			Hash:              stdcrypto.SHA256,
			CreationTime:      time.Now().Add(-time.Minute),
			IssuerKeyId:       &e.PrimaryKey.KeyId,
			IssuerFingerprint: e.PrimaryKey.Fingerprint,
		}
		if err := sig.SignUserId(id.UserId.Id, e.PrimaryKey, e.PrivateKey, cfg); err != nil {
			t.Fatalf("SignUserId: %v", err)
		}
		id.Revocations = append(id.Revocations, sig)
		id.Signatures = append(id.Signatures, sig)
	}
	var buf bytes.Buffer
	if err := e.Serialize(&buf); err != nil {
		t.Fatalf("Serialize: %v", err)
	}
	return buf.Bytes()
}

func armored(t *testing.T, raw []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := armor.Encode(&buf, openpgp.PublicKeyType, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(raw); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func fingerprint(t *testing.T, raw []byte) string {
	t.Helper()
	keys, err := crypto.ParseKeys(raw)
	if err != nil || len(keys) != 1 {
		t.Fatalf("ParseKeys: %d keys, %v", len(keys), err)
	}
	return keys[0].Fingerprint()
}

const (
	hu       = "/hu/kei1q4tipxxu1yj79k9kfukdhfy631xe" // z-base-32 SHA-1 of "alice"
	advPath  = "openpgpkey.example.org/.well-known/openpgpkey/example.org"
	dirPath  = "example.org/.well-known/openpgpkey"
	vksPath  = "keys.openpgp.org/vks/v1/by-email/Alice@example.org"
	advURL   = "https://" + advPath + hu + "?l=Alice"
	dirURL   = "https://" + dirPath + hu + "?l=Alice"
	vksURL   = "https://keys.openpgp.org/vks/v1/by-email/Alice@example.org"
	lookedUp = "Alice@Example.ORG"
)

func TestLookup(t *testing.T) {
	alice := newPublicKey(t, "alice@example.org", "alice@elsewhere.net", "alias@example.org")
	alice2 := newPublicKey(t, "alice@example.org")
	bob := newPublicKey(t, "bob@example.org")
	revokedAlice := revokedUserID(t, "alice@example.org")
	ok := func(b []byte) reply { return reply{status: http.StatusOK, body: b} }
	policy := ok(nil)

	tests := []struct {
		name       string
		hosts      []string
		routes     map[string]reply
		maxSize    int64
		wantSource string
		wantURL    string
		wantKey    []byte
		wantErr    []error
	}{
		{
			name:       "advanced method",
			hosts:      testHosts,
			routes:     map[string]reply{advPath + "/policy": policy, advPath + hu + "?l=Alice": ok(alice)},
			wantSource: SourceWKD, wantURL: advURL, wantKey: alice,
		},
		{
			name:       "direct method without the openpgpkey subdomain",
			hosts:      []string{"example.org", "keys.openpgp.org"},
			routes:     map[string]reply{dirPath + "/policy": policy, dirPath + hu: ok(alice)},
			wantSource: SourceWKD, wantURL: dirURL, wantKey: alice,
		},
		{
			name:       "direct method when the subdomain has no policy file",
			hosts:      testHosts,
			routes:     map[string]reply{dirPath + "/policy": policy, dirPath + hu: ok(armored(t, alice))},
			wantSource: SourceWKD, wantURL: dirURL, wantKey: alice,
		},
		{
			name:    "no key file without a policy file",
			hosts:   testHosts,
			routes:  map[string]reply{advPath + hu: ok(alice), dirPath + hu: ok(alice)},
			wantErr: []error{ErrNotFound},
		},
		{
			name:  "advanced method without the key is not bypassed",
			hosts: testHosts,
			routes: map[string]reply{advPath + "/policy": policy, dirPath + "/policy": policy,
				dirPath + hu: ok(alice2)},
			wantErr: []error{ErrNotFound},
		},
		{
			name:       "keyserver",
			hosts:      testHosts,
			routes:     map[string]reply{vksPath: ok(armored(t, alice))},
			wantSource: SourceKeyserver, wantURL: vksURL, wantKey: alice,
		},
		{
			name:       "keyserver after a WKD key for other addresses",
			hosts:      testHosts,
			routes:     map[string]reply{advPath + "/policy": policy, advPath + hu: ok(bob), vksPath: ok(alice2)},
			wantSource: SourceKeyserver, wantURL: vksURL, wantKey: alice2,
		},
		{
			name:    "key for other addresses only",
			hosts:   testHosts,
			routes:  map[string]reply{advPath + "/policy": policy, advPath + hu: ok(bob), vksPath: ok(bob)},
			wantErr: []error{ErrNotFound, ErrNoMatchingUserID},
		},
		{
			name:    "malformed key",
			hosts:   testHosts,
			routes:  map[string]reply{advPath + "/policy": policy, advPath + hu: ok([]byte("<html>not a key</html>"))},
			wantErr: []error{ErrNotFound, crypto.ErrMalformedKey},
		},
		{
			name:    "response too large",
			hosts:   testHosts,
			routes:  map[string]reply{advPath + "/policy": policy, advPath + hu: ok(alice), vksPath: ok(alice)},
			maxSize: 64,
			wantErr: []error{ErrNotFound, ErrTooLarge},
		},
		{
			name:    "server error",
			hosts:   testHosts,
			routes:  map[string]reply{vksPath: {status: http.StatusInternalServerError}},
			wantErr: []error{ErrNotFound},
		},
		{
			name:  "redirect to HTTPS",
			hosts: testHosts,
			routes: map[string]reply{vksPath: {location: "https://keys.openpgp.org/moved"},
				"keys.openpgp.org/moved": ok(alice)},
			wantSource: SourceKeyserver, wantURL: vksURL, wantKey: alice,
		},
		{
			name:  "redirect to plain HTTP",
			hosts: testHosts,
			routes: map[string]reply{vksPath: {location: "http://keys.openpgp.org/moved"},
				"keys.openpgp.org/moved": ok(alice)},
			wantErr: []error{ErrNotFound, ErrInsecureURL},
		},
		{
			name:    "redirect loop",
			hosts:   testHosts,
			routes:  map[string]reply{vksPath: {location: vksURL}},
			wantErr: []error{ErrNotFound},
		},
		{
			name:    "revoked user ID for the address",
			hosts:   testHosts,
			routes:  map[string]reply{vksPath: ok(revokedAlice)},
			wantErr: []error{ErrNotFound, ErrNoMatchingUserID},
		},
		{
			name:    "nothing anywhere",
			hosts:   nil,
			wantErr: []error{ErrNotFound},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			web := newFakeWeb(t, tt.hosts...)
			for p, r := range tt.routes {
				web.route(p, r)
			}
			c := &Client{HTTP: web.client, MaxResponseSize: tt.maxSize}
			res, err := c.Lookup(context.Background(), lookedUp)
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatalf("Lookup: got %d keys from %s, want an error", len(res.Keys), res.URL)
				}
				for _, want := range tt.wantErr {
					if !errors.Is(err, want) {
						t.Errorf("Lookup: got error = %v, want %v", err, want)
					}
				}
				if msg := err.Error(); strings.Contains(strings.ToLower(msg), "alice") || strings.Contains(msg, "\n") {
					t.Errorf("Lookup: error %q names the address or spans several lines, want one line without it", msg)
				}
				t.Log(err)
				return
			}
			if err != nil {
				t.Fatalf("Lookup: got error = %v, want nil", err)
			}
			if res.Source != tt.wantSource || res.URL != tt.wantURL {
				t.Errorf("Lookup: got source %q, URL %q; want %q, %q", res.Source, res.URL, tt.wantSource, tt.wantURL)
			}
			if len(res.Keys) != 1 {
				t.Fatalf("Lookup: got %d keys, want 1", len(res.Keys))
			}
			k := res.Keys[0]
			if got, want := k.Fingerprint(), fingerprint(t, tt.wantKey); got != want {
				t.Errorf("key fingerprint = %s, want %s", got, want)
			}
			if got, want := k.Emails(), []string{"alice@example.org"}; !slices.Equal(got, want) {
				t.Errorf("key addresses = %q, want %q (other user IDs stripped)", got, want)
			}
			if k.IsSecret() {
				t.Errorf("key is secret, want public")
			}
			if err := k.CanEncrypt(time.Now()); err != nil {
				t.Errorf("stripped key cannot encrypt: %v", err)
			}
		})
	}
}

func TestWKDURLs(t *testing.T) {
	tests := []struct {
		email         string
		advanced, dir string
		wantErr       error
	}{
		{ // the example of draft-koch-openpgp-webkey-service
			email:    "Joe.Doe@Example.ORG",
			advanced: "https://openpgpkey.example.org/.well-known/openpgpkey/example.org/hu/iy9q119eutrkn8s1mk4r39qejnbu3n5q?l=Joe.Doe",
			dir:      "https://example.org/.well-known/openpgpkey/hu/iy9q119eutrkn8s1mk4r39qejnbu3n5q?l=Joe.Doe",
		},
		{
			email:    "alice@bücher.example",
			advanced: "https://openpgpkey.xn--bcher-kva.example/.well-known/openpgpkey/xn--bcher-kva.example/hu/kei1q4tipxxu1yj79k9kfukdhfy631xe?l=alice",
			dir:      "https://xn--bcher-kva.example/.well-known/openpgpkey/hu/kei1q4tipxxu1yj79k9kfukdhfy631xe?l=alice",
		},
		{email: "a+b&c@example.org",
			advanced: "https://openpgpkey.example.org/.well-known/openpgpkey/example.org/hu/" + zbase32Of("a+b&c") + "?l=a%2Bb%26c",
			dir:      "https://example.org/.well-known/openpgpkey/hu/" + zbase32Of("a+b&c") + "?l=a%2Bb%26c"},
		{email: "no-at-sign", wantErr: ErrInvalidAddress},
		{email: "@example.org", wantErr: ErrInvalidAddress},
		{email: "alice@localhost", wantErr: ErrInvalidAddress},
		{email: "al ice@example.org", wantErr: ErrInvalidAddress},
	}
	for _, tt := range tests {
		t.Run(tt.email, func(t *testing.T) {
			adv, dir, err := wkdURLs(tt.email)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Errorf("wkdURLs: got error = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("wkdURLs: %v", err)
			}
			if adv != tt.advanced {
				t.Errorf("advanced:\ngot  = %s\nwant = %s", adv, tt.advanced)
			}
			if dir != tt.dir {
				t.Errorf("direct:\ngot  = %s\nwant = %s", dir, tt.dir)
			}
		})
	}
}

func zbase32Of(local string) string {
	_, dir, _ := wkdURLs(local + "@example.org")
	i := strings.Index(dir, "/hu/")
	return dir[i+4 : i+4+32]
}

func TestZbase32(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, ""},
		{"zero byte", []byte{0x00}, "yy"},
		{"padded high bits", []byte{0xF0}, "6y"},
		{"full 40 bits", []byte{0xFF, 0xFF, 0xFF, 0xFF, 0xFF}, "99999999"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := zbase32(tt.in); got != tt.want {
				t.Errorf("zbase32(%x) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestLookupCancel cancels the context while the server holds a request.
func TestLookupCancel(t *testing.T) {
	web := newFakeWeb(t, testHosts...)
	entered := make(chan struct{}, 1)
	web.srv.Config.Handler = http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		<-r.Context().Done()
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := (&Client{HTTP: web.client}).Lookup(ctx, lookedUp)
		done <- err
	}()
	<-entered
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Lookup: got error = %v, want %v", err, context.Canceled)
	}
}

// TestLookupTimeout lets Client.Timeout end a lookup the server never answers.
func TestLookupTimeout(t *testing.T) {
	web := newFakeWeb(t, testHosts...)
	web.srv.Config.Handler = http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	})
	start := time.Now()
	_, err := (&Client{HTTP: web.client, Timeout: 200 * time.Millisecond}).Lookup(context.Background(), lookedUp)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Lookup: got error = %v, want %v", err, context.DeadlineExceeded)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Lookup took %v, want about the 200ms timeout", d)
	}
}

func TestLookupRefusesInsecureKeyserver(t *testing.T) {
	web := newFakeWeb(t, testHosts...)
	for _, base := range []string{"http://keys.openpgp.org", "keys.openpgp.org", "https://"} {
		t.Run(base, func(t *testing.T) {
			_, err := (&Client{HTTP: web.client, KeyserverURL: base}).Lookup(context.Background(), lookedUp)
			if !errors.Is(err, ErrInsecureURL) {
				t.Errorf("Lookup: got error = %v, want %v", err, ErrInsecureURL)
			}
		})
	}
	web.mu.Lock()
	defer web.mu.Unlock()
	if len(web.requests) != 0 {
		t.Errorf("requests made = %q, want none", web.requests)
	}
}

// wkdURLs returns the Web Key Directory key URLs for email: the advanced
// method's and the direct method's.
func wkdURLs(email string) (advanced, direct string, err error) {
	a, err := parseAddress(email)
	if err != nil {
		return "", "", err
	}
	m := wkdMethods(a)
	return m[0].keyURL, m[1].keyURL, nil
}
