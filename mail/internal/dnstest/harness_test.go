package dnstest

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

func query(t *testing.T, addr, name string, qtype uint16) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	m.AuthenticatedData = true
	m.SetEdns0(4096, true)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r, _, err := (&dns.Client{}).ExchangeContext(ctx, m, addr)
	if err != nil {
		t.Fatalf("query %s %s: %v", name, dns.TypeToString[qtype], err)
	}
	return r
}

// TestServerAnswersAndValidates starts unbound with a plain and a signed
// zone: both answer, only the signed one with the AD bit; a missing name
// in the signed zone is proven absent (NXDOMAIN, validated), not bogus.
func TestServerAnswersAndValidates(t *testing.T) {
	plain := NewZone(t, "plain.test")
	plain.Add("plain.test. 300 IN MX 10 mx.plain.test.")
	plain.Add("_mta-sts 300 IN TXT \"v=STSv1; id=1\"")
	plain.Add("_25._tcp.mx 300 IN TLSA 3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
	plain.Add("sel._domainkey 300 IN TXT \"v=DKIM1; k=ed25519; p=AAAA\"")
	signed := NewZone(t, "signed.test")
	signed.Add("signed.test. 300 IN MX 10 mx.signed.test.")
	signed.Add("_25._tcp.mx 300 IN TLSA 3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
	signed.Sign()
	srv := Start(t, plain, signed)

	for _, tc := range []struct {
		name   string
		qtype  uint16
		rcode  int
		answer int
		ad     bool
	}{
		{"plain.test", dns.TypeMX, dns.RcodeSuccess, 1, false},
		{"_mta-sts.plain.test", dns.TypeTXT, dns.RcodeSuccess, 1, false},
		{"_25._tcp.mx.plain.test", dns.TypeTLSA, dns.RcodeSuccess, 1, false},
		{"sel._domainkey.plain.test", dns.TypeTXT, dns.RcodeSuccess, 1, false},
		{"signed.test", dns.TypeMX, dns.RcodeSuccess, 1, true},
		{"_25._tcp.mx.signed.test", dns.TypeTLSA, dns.RcodeSuccess, 1, true},
		{"_mta-sts.signed.test", dns.TypeTXT, dns.RcodeNameError, 0, true},
		{"signed.test", dns.TypeTXT, dns.RcodeSuccess, 0, true},
	} {
		t.Run(tc.name+"/"+dns.TypeToString[tc.qtype], func(t *testing.T) {
			r := query(t, srv.Addr, tc.name, tc.qtype)
			n := 0
			for _, rr := range r.Answer {
				if rr.Header().Rrtype == tc.qtype {
					n++
				}
			}
			if r.Rcode != tc.rcode || n != tc.answer || r.AuthenticatedData != tc.ad {
				t.Errorf("got rcode %s, %d answers, AD %v; want %s, %d, %v\n%v", dns.RcodeToString[r.Rcode], n, r.AuthenticatedData,
					dns.RcodeToString[tc.rcode], tc.answer, tc.ad, r)
			}
		})
	}
}

// TestDKIMRecords: DKIM keys published with AddDKIM come back from unbound
// whole, an RSA key split over several TXT strings.
func TestDKIMRecords(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	edPub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	z := NewZone(t, "dkim.test")
	z.AddDKIM("rsa2048", &rsaKey.PublicKey)
	z.AddDKIM("ed", edPub)
	srv := Start(t, z)

	txt := func(name string) (string, int) {
		r := query(t, srv.Addr, name, dns.TypeTXT)
		if len(r.Answer) != 1 {
			t.Fatalf("%s: %d answers", name, len(r.Answer))
		}
		strs := r.Answer[0].(*dns.TXT).Txt
		return strings.Join(strs, ""), len(strs)
	}
	value, n := txt("rsa2048._domainkey.dkim.test")
	p, ok := strings.CutPrefix(value, "v=DKIM1; k=rsa; p=")
	if !ok || n < 2 {
		t.Fatalf("RSA record %q in %d strings", value, n)
	}
	der, err := base64.StdEncoding.DecodeString(p)
	if err != nil {
		t.Fatal(err)
	}
	got, err := x509.ParsePKIXPublicKey(der)
	if err != nil || !rsaKey.PublicKey.Equal(got) {
		t.Errorf("RSA key back from DNS: %v, %v", got, err)
	}
	value, _ = txt("ed._domainkey.dkim.test")
	if want := "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(edPub); value != want {
		t.Errorf("Ed25519 record %q, want %q", value, want)
	}
}
