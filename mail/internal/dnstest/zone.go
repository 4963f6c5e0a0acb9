// Package dnstest runs a real DNS server for tests: Debian's unbound on
// 127.0.0.1 serving test zones (MX, MTA-STS TXT, TLSA, DKIM TXT or any
// other record a test adds), optionally DNSSEC-signed so that unbound
// validates them and sets the AD bit; and an HTTPS host that serves MTA-STS
// policies with a throwaway certificate.
//
// A test builds its zones with NewZone and Add, then calls Start. Without
// the unbound binary Start skips the test, saying how to install it; with
// SEALPOST_REQUIRE_SERVERS=1 it fails instead.
package dnstest

import (
	"bytes"
	"crypto"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// Zone is one DNS zone for the test server: its records, and whether it is
// DNSSEC-signed.
type Zone struct {
	t      testing.TB
	origin string
	rrs    []dns.RR
	signed bool
}

// NewZone returns an empty zone for origin (for example "example.test").
// The server adds an SOA and NS record when the test adds none.
func NewZone(t testing.TB, origin string) *Zone {
	t.Helper()
	return &Zone{t: t, origin: dns.CanonicalName(origin)}
}

// Origin is the zone's apex, fully qualified and lower-case.
func (z *Zone) Origin() string { return z.origin }

// Add adds one record in zone-file syntax, for example
// "example.test. 300 IN MX 10 mx.example.test."; a name without the final
// dot is relative to the origin. A record that does not parse, or that lies
// outside the zone, fails the test.
func (z *Zone) Add(rr string) {
	z.t.Helper()
	parser := dns.NewZoneParser(strings.NewReader(rr), z.origin, "")
	parser.SetDefaultTTL(300)
	n := 0
	for r, ok := parser.Next(); ok; r, ok = parser.Next() {
		if !dns.IsSubDomain(z.origin, r.Header().Name) {
			z.t.Fatalf("dnstest: record %q is outside the zone %s", rr, z.origin)
		}
		z.rrs = append(z.rrs, r)
		n++
	}
	if err := parser.Err(); err != nil {
		z.t.Fatalf("dnstest: record %q: %v", rr, err)
	}
	if n == 0 {
		z.t.Fatalf("dnstest: no record in %q", rr)
	}
}

// Sign makes the server serve the zone DNSSEC-signed (ECDSA P-256, with an
// NSEC chain) and trust its key, so that answers from it carry the AD bit.
func (z *Zone) Sign() { z.signed = true }

// records returns the zone's records with an SOA and NS added where the
// test gave none, and for a signed zone its DNSKEY, NSEC and RRSIG records,
// with the DS record the server is to trust.
func (z *Zone) records() ([]dns.RR, *dns.DS, error) {
	rrs := slices.Clone(z.rrs)
	has := func(t uint16) bool {
		return slices.ContainsFunc(rrs, func(r dns.RR) bool { return r.Header().Rrtype == t && r.Header().Name == z.origin })
	}
	if !has(dns.TypeSOA) {
		soa, err := dns.NewRR(fmt.Sprintf("%s 300 IN SOA ns.%s hostmaster.%s 1 3600 600 86400 300", z.origin, z.origin, z.origin))
		if err != nil {
			return nil, nil, err
		}
		rrs = append(rrs, soa)
	}
	if !has(dns.TypeNS) {
		ns, err := dns.NewRR(fmt.Sprintf("%s 300 IN NS ns.%s", z.origin, z.origin))
		if err != nil {
			return nil, nil, err
		}
		rrs = append(rrs, ns)
	}
	if !z.signed {
		return rrs, nil, nil
	}
	return sign(z.origin, rrs)
}

// sign adds a DNSKEY, an NSEC chain and an RRSIG over every RRset, all made
// with one fresh key, and returns the DS record of that key.
func sign(origin string, rrs []dns.RR) ([]dns.RR, *dns.DS, error) {
	key := &dns.DNSKEY{
		Hdr:       dns.RR_Header{Name: origin, Rrtype: dns.TypeDNSKEY, Class: dns.ClassINET, Ttl: 300},
		Flags:     257, // zone key, secure entry point
		Protocol:  3,
		Algorithm: dns.ECDSAP256SHA256,
	}
	priv, err := key.Generate(256)
	if err != nil {
		return nil, nil, fmt.Errorf("generate the zone key: %w", err)
	}
	rrs = append(rrs, key)
	rrs = append(rrs, nsecChain(origin, rrs)...)

	sets := map[[2]string][]dns.RR{}
	var order [][2]string
	for _, r := range rrs {
		k := [2]string{strings.ToLower(r.Header().Name), dns.TypeToString[r.Header().Rrtype]}
		if _, ok := sets[k]; !ok {
			order = append(order, k)
		}
		sets[k] = append(sets[k], r)
	}
	now := time.Now()
	for _, k := range order {
		set := sets[k]
		sig := &dns.RRSIG{
			Hdr:        dns.RR_Header{Name: set[0].Header().Name, Rrtype: dns.TypeRRSIG, Class: dns.ClassINET, Ttl: set[0].Header().Ttl},
			Inception:  uint32(now.Add(-time.Hour).Unix()),
			Expiration: uint32(now.Add(24 * time.Hour).Unix()),
			KeyTag:     key.KeyTag(),
			SignerName: origin,
			Algorithm:  key.Algorithm,
		}
		if err := sig.Sign(priv.(crypto.Signer), set); err != nil {
			return nil, nil, fmt.Errorf("sign %s %s: %w", k[0], k[1], err)
		}
		rrs = append(rrs, sig)
	}
	return rrs, key.ToDS(dns.SHA256), nil
}

// nsecChain links the zone's names in canonical order (RFC 4034 section
// 6.1), each NSEC listing the types present at its name.
func nsecChain(origin string, rrs []dns.RR) []dns.RR {
	types := map[string][]uint16{}
	for _, r := range rrs {
		name := strings.ToLower(r.Header().Name)
		if !slices.Contains(types[name], r.Header().Rrtype) {
			types[name] = append(types[name], r.Header().Rrtype)
		}
	}
	names := make([]string, 0, len(types))
	for n := range types {
		names = append(names, n)
	}
	slices.SortFunc(names, canonicalCompare)
	out := make([]dns.RR, 0, len(names))
	for i, n := range names {
		bitmap := append(types[n], dns.TypeRRSIG, dns.TypeNSEC)
		slices.Sort(bitmap)
		out = append(out, &dns.NSEC{
			Hdr:        dns.RR_Header{Name: n, Rrtype: dns.TypeNSEC, Class: dns.ClassINET, Ttl: 300},
			NextDomain: names[(i+1)%len(names)],
			TypeBitMap: bitmap,
		})
	}
	return out
}

// canonicalCompare orders names as RFC 4034 section 6.1 does: by their
// labels from the rightmost, each compared as lower-case bytes.
func canonicalCompare(a, b string) int {
	la, lb := dns.SplitDomainName(a), dns.SplitDomainName(b)
	for i, j := len(la)-1, len(lb)-1; i >= 0 || j >= 0; i, j = i-1, j-1 {
		switch {
		case i < 0:
			return -1
		case j < 0:
			return 1
		}
		if c := bytes.Compare([]byte(strings.ToLower(la[i])), []byte(strings.ToLower(lb[j]))); c != 0 {
			return c
		}
	}
	return 0
}
