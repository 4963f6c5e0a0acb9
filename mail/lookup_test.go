package mail

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sealpost/sealpost/crypto"
	"github.com/sealpost/sealpost/mail/keylookup"
)

// TestLookupKeysImportsUnverified serves Dana's key from a local keyserver
// (WKD is unreachable) and checks that it is only stored when asked, as an
// unverified key with its source.
func TestLookupKeysImportsUnverified(t *testing.T) {
	dana, err := crypto.GenerateKey(crypto.GenerateOptions{Name: "Dana", Email: "dana@example.net"})
	if err != nil {
		t.Fatal(err)
	}
	armored, err := dana.ArmorPublic()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/vks/v1/by-email/") {
			w.Write([]byte(armored))
			return
		}
		http.NotFound(w, r)
	}))
	defer srv.Close()
	client := srv.Client()
	tr := client.Transport.(*http.Transport)
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if !strings.HasPrefix(addr, "127.0.0.1:") {
			return nil, &net.DNSError{Err: "no such host", Name: addr, IsNotFound: true}
		}
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	lookup := &keylookup.Client{HTTP: client, KeyserverURL: srv.URL}
	p := newTestProfile(t)

	found, source, err := p.Keys().LookupKeys(context.Background(), "dana@example.net", lookup, false)
	if err != nil || source != keylookup.SourceKeyserver || len(found) != 1 || found[0].Status != "found" ||
		found[0].Key.Fingerprint != dana.Fingerprint() {
		t.Fatalf("lookup = %+v, %q, %v", found, source, err)
	}
	if keys, _ := p.Keys().ListKeys(); len(keys) != 0 {
		t.Fatal("a looked-up key was stored without --import")
	}
	if _, _, err := p.Keys().LookupKeys(context.Background(), "dana@example.net", lookup, true); err != nil {
		t.Fatal(err)
	}
	keys, _ := p.Keys().ListKeys()
	if len(keys) != 1 || keys[0].Source != keylookup.SourceKeyserver || keys[0].Verification != VerificationUnverified {
		t.Fatalf("stored keys = %+v, want Dana's key, unverified, from the keyserver", keys)
	}
}
