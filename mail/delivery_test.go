package mail

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail/backend"
	"github.com/sealpost/sealpost/mail/internal/dnstest"
	"github.com/sealpost/sealpost/mail/submit"
	"github.com/sealpost/sealpost/mail/testservers"
)

// TestSendRecordsDelivery: a message sent through Postfix gets an audit entry with its security mode and the delivery
// security of each domain, looked up on a real DNS server (the MTA-STS
// policy over HTTPS), and the trail still verifies. The policy is cached
// sealed: the profile file does not name the domain, and the composer's check
// serves the send.
func TestSendRecordsDelivery(t *testing.T) {
	srv := testservers.Start(t)
	alice, bob := "alice@"+srv.Domain, "bob@"+srv.Domain
	zone := dnstest.NewZone(t, srv.Domain)
	zone.Add("@ MX 10 mail")
	zone.Add(`_mta-sts TXT "v=STSv1; id=42"`)
	zone.Add("_25._tcp.mail TLSA 3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
	dnsSrv := dnstest.Start(t, zone)
	policy := dnstest.StartPolicyHost(t, srv.Domain)
	policy.Serve(srv.Domain, "version: STSv1\nmode: enforce\nmx: mail."+srv.Domain+"\nmax_age: 86400\n")
	roots := srv.CA.Clone()
	roots.AddCert(policy.Cert)

	dir := filepath.Join(t.TempDir(), "p")
	e := NewEngine(dir, &ProfileOptions{Store: &localstore.Options{KDF: &cheapKDF}, RootCAs: roots, Dialer: policy, Resolver: dnsSrv.Addr})
	t.Cleanup(func() { _ = e.Lock() })
	if err := e.CreateProfile(t.Context(), []byte(enginePass)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// The account's servers are reached by address, so the policy host's
	// dialer (which maps only mta-sts.* names) does not stand in the way.
	if _, err := e.AddAccount(ctx, backend.NewAccount{Email: alice, Name: "Alice", Password: []byte(srv.Users[alice]),
		IMAP: backend.ServerSettings(serverOf(t, srv.IMAPTLS, "tls")), SMTP: backend.ServerSettings(serverOf(t, srv.SMTPTLS, "tls"))}); err != nil {
		t.Fatalf("add account: %v\n%s", err, srv.Log())
	}

	// What the composer shows first.
	f := e.CheckDelivery(ctx, srv.Domain)
	const want = "delivered over enforced TLS (MTA-STS); DANE: TLSA records found but the resolver did not validate them (no DNSSEC)"
	if f.Text() != want {
		t.Fatalf("CheckDelivery = %q (%+v)", f.Text(), f)
	}
	err := e.Send(ctx, alice, backend.Draft{To: []string{"Bob <" + bob + ">"}, Subject: "s", Body: "Hello\r\n"},
		backend.Security{Mode: backend.ModePlain})
	if err != nil {
		t.Fatalf("Send: %v\n%s", err, srv.Log())
	}
	if n := policy.Requests(srv.Domain); n != 1 {
		t.Errorf("the policy was fetched %d times, want once (the composer's check serves the send)", n)
	}

	trail, err := e.AuditTrail(ctx)
	if err != nil || !trail.Intact {
		t.Fatalf("AuditTrail: intact %v, %v, problems %v", trail.Intact, err, trail.Problems)
	}
	i := slices.IndexFunc(trail.Entries, func(en backend.AuditEntry) bool { return en.Kind == submit.AuditSent })
	if i < 0 {
		t.Fatalf("no %s entry in %+v", submit.AuditSent, trail.Entries)
	}
	sent := trail.Entries[i]
	if sent.Mode != backend.ModePlain || len(sent.Delivery) != 1 || sent.Delivery[0].Domain != srv.Domain || sent.Delivery[0].Text() != want {
		t.Fatalf("sent entry: mode %q, delivery %+v", sent.Mode, sent.Delivery)
	}

	if err := e.Lock(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, localstore.DBFileName))
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{srv.Domain, "mta-sts", "STSv1", "enforce"} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("the profile file holds %q in plaintext", secret)
		}
	}
}

func TestRecipientDomains(t *testing.T) {
	got := recipientDomains([]string{"Bob <bob@B.example>", "carol@a.example.", "no-domain", "dave@b.example", "\"x@y\" <e@c.example>", "f@",
		"g@d.example, Eve <e@E.example>"})
	if want := []string{"a.example", "b.example", "c.example", "d.example", "e.example"}; !slices.Equal(got, want) {
		t.Errorf("recipientDomains = %v, want %v", got, want)
	}
}
