package delivery

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/miekg/dns"

	"github.com/sealpost/sealpost/mail/backend"
)

// errNoDomain is an NXDOMAIN answer for the recipient domain itself.
var errNoDomain = errors.New("the domain does not exist")

// querier asks one recursive resolver, with the DO and AD bits set so that
// a validating resolver reports in the AD bit whether DNSSEC validated the
// answer (RFC 6840 section 5.7).
type querier struct {
	server string
}

// query asks for name's records of type qtype. NXDOMAIN and an empty
// answer are no error; the caller reads the Rcode.
func (q querier) query(ctx context.Context, name string, qtype uint16) (*dns.Msg, error) {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	m.AuthenticatedData = true
	m.SetEdns0(4096, true)
	r, _, err := (&dns.Client{Net: "udp"}).ExchangeContext(ctx, m, q.server)
	if err == nil && r.Truncated {
		r, _, err = (&dns.Client{Net: "tcp"}).ExchangeContext(ctx, m, q.server)
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("look up %s %s: %w", name, dns.TypeToString[qtype], ctx.Err())
		}
		return nil, fmt.Errorf("look up %s %s: %w", name, dns.TypeToString[qtype], err)
	}
	if r.Rcode != dns.RcodeSuccess && r.Rcode != dns.RcodeNameError {
		return nil, fmt.Errorf("%w: %s %s: %s", ErrDNSFailed, name, dns.TypeToString[qtype], dns.RcodeToString[r.Rcode])
	}
	return r, nil
}

// mx returns domain's mail servers, most preferred first ([""] for a null
// MX, RFC 7505; none when the domain has no MX records), and whether the
// answer was validated.
func (q querier) mx(ctx context.Context, domain string) ([]string, bool, error) {
	r, err := q.query(ctx, domain, dns.TypeMX)
	if err != nil {
		return nil, false, err
	}
	if r.Rcode == dns.RcodeNameError {
		return nil, false, errNoDomain
	}
	var recs []*dns.MX
	for _, rr := range r.Answer {
		if mx, ok := rr.(*dns.MX); ok {
			recs = append(recs, mx)
		}
	}
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].Preference < recs[j].Preference })
	var out []string
	for _, mx := range recs {
		host := backend.NormDomain(mx.Mx)
		if host == "" && len(recs) == 1 {
			return []string{""}, r.AuthenticatedData, nil
		}
		if host != "" && !slices.Contains(out, host) {
			out = append(out, host)
		}
	}
	return out, r.AuthenticatedData, nil
}

// stsID returns the id of domain's _mta-sts TXT record, "" when there is
// none. More than one MTA-STS record is an invalid policy (RFC 8461
// section 3.1).
func (q querier) stsID(ctx context.Context, domain string) (string, error) {
	r, err := q.query(ctx, "_mta-sts."+domain, dns.TypeTXT)
	if err != nil {
		return "", err
	}
	var ids []string
	for _, rr := range r.Answer {
		txt, ok := rr.(*dns.TXT)
		if !ok {
			continue
		}
		id, ok, err := parseTXT(strings.Join(txt.Txt, ""))
		if err != nil {
			return "", err
		}
		if ok {
			ids = append(ids, id)
		}
	}
	if len(ids) > 1 {
		return "", fmt.Errorf("%w: %d MTA-STS TXT records", ErrInvalidPolicy, len(ids))
	}
	if len(ids) == 0 {
		return "", nil
	}
	return ids[0], nil
}

// dane looks up the TLSA records of each mail server's SMTP port (RFC 7672
// section 2.2: _25._tcp.<mx>) and says what was found: validated only when
// every server has records and the resolver validated them and the MX
// answer.
func (q querier) dane(ctx context.Context, mx []string, mxAD bool) string {
	found, validated := 0, mxAD
	for _, host := range mx[:min(len(mx), maxMX)] {
		r, err := q.query(ctx, "_25._tcp."+host, dns.TypeTLSA)
		if err != nil {
			return backend.DANENotChecked
		}
		n := 0
		for _, rr := range r.Answer {
			if _, ok := rr.(*dns.TLSA); ok {
				n++
			}
		}
		if n > 0 {
			found++
			validated = validated && r.AuthenticatedData
		}
	}
	switch {
	case found == 0:
		return backend.DANENone
	case found == min(len(mx), maxMX) && validated:
		return backend.DANEValidated
	}
	return backend.DANEUnvalidated
}
