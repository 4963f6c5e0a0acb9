package autoconfig

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"

	"golang.org/x/net/publicsuffix"

	"github.com/sealpost/sealpost/mail/internal/hostname"
)

// ispdbBase returns the ISPDB base URL to use, ending in "/", or an error
// when it is not an https:// URL.
func (s *search) ispdbBase() (string, error) {
	base := s.d.ISPDB
	if base == "" {
		base = DefaultISPDB
	}
	u, err := url.Parse(base)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("the ISPDB address %q is not an https:// URL", base)
	}
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	return base, nil
}

// ispdb downloads the domain's entry from the ISP database. The address
// itself is not sent, only its domain.
func (s *search) ispdb(ctx context.Context) result {
	if s.d.NoThirdParty {
		s.try("ISPDB: skipped, lookups outside the domain are turned off")
		return result{}
	}
	base, err := s.ispdbBase()
	if err != nil {
		s.try("ISPDB: %v", err)
		return result{}
	}
	u := base + s.addr.domain
	r := s.fetchConfig(ctx, httpsOnlyClient(s.d.HTTPClient), "ISPDB", u, u, SourceISPDB,
		fmt.Sprintf("Thunderbird's ISPDB entry for %s (%s)", s.addr.domain, u))
	// The entry is curated and came over verified HTTPS.
	for _, f := range []*found{r.imap, r.smtp} {
		if f != nil {
			f.confirmed = true
		}
	}
	return r
}

// mx finds the provider that receives the domain's mail from its MX
// records and asks the ISPDB for the provider's entry, then the provider's
// own autoconfig file (without the address). An ISPDB entry is confirmed
// (see Settings.Confirmed); the provider's file is not, unless its servers
// are within the address's domain.
func (s *search) mx(ctx context.Context) result {
	if s.d.NoThirdParty {
		s.try("DNS MX %s: skipped, lookups outside the domain are turned off", s.addr.domain)
		return result{}
	}
	provider, host, ok := s.mxProvider(ctx)
	if !ok {
		return result{}
	}
	client := httpsOnlyClient(s.d.HTTPClient)
	via := fmt.Sprintf("the provider of %s's MX host %s", s.addr.domain, host)
	var r result
	// An unusable ISPDB address was reported by ispdb already.
	if base, err := s.ispdbBase(); err == nil {
		u := base + provider
		r = s.fetchConfig(ctx, client, "ISPDB", u, u, SourceMXISPDB,
			fmt.Sprintf("Thunderbird's ISPDB entry for %s, %s", provider, via))
		for _, f := range []*found{r.imap, r.smtp} {
			if f != nil {
				f.confirmed = true
			}
		}
	}
	if r.complete() || ctx.Err() != nil {
		return r
	}
	u := "https://autoconfig." + provider + "/mail/config-v1.1.xml"
	got := s.fetchConfig(ctx, client, "autoconfig", u, u, SourceMXAutoconfig,
		fmt.Sprintf("the autoconfig file of %s, %s", provider, via))
	for _, pf := range []struct {
		f    *found
		what string
	}{{got.imap, "IMAP"}, {got.smtp, "SMTP"}} {
		f := pf.f
		if f == nil {
			continue
		}
		f.confirmed = withinDomain(f.server.Host, s.addr.domain)
		if !f.confirmed {
			f.notes = append(f.notes, fmt.Sprintf("The DNS MX record of %s points to %s, whose autoconfig file names %s as the %s server. DNS answers can be forged: make sure this really is your provider's %s server before entering your password.", s.addr.domain, host, f.server.Host, pf.what, pf.what))
		}
	}
	return r.fill(got)
}

// mxProvider looks up the domain's MX records and returns the registrable
// domain (public suffix plus one label) of the most preferred usable MX
// host, and that host. ok is false, and the log says why, when there is
// none, when the domain receives no mail (a null MX, RFC 7505) and when the
// provider is the domain itself, whose files were asked already.
func (s *search) mxProvider(ctx context.Context) (provider, host string, ok bool) {
	resolver := s.d.Resolver
	if resolver == nil {
		resolver = net.DefaultResolver
	}
	name := "DNS MX " + s.addr.domain
	var records []*net.MX
	err := safely(func() error {
		lctx, cancel := context.WithTimeout(ctx, s.stepTimeout())
		defer cancel()
		var err error
		records, err = resolver.LookupMX(lctx, s.addr.domain)
		return err
	})
	records = slices.DeleteFunc(slices.Clone(records), func(r *net.MX) bool { return r == nil })
	if err != nil && len(records) == 0 {
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
			s.try("%s: no record", name)
		} else {
			s.try("%s: %v", name, s.stepError(ctx, err))
		}
		return "", "", false
	}
	slices.SortStableFunc(records, func(a, b *net.MX) int { return cmp.Compare(a.Pref, b.Pref) })
	why := "no record"
	for _, r := range records {
		if r.Host == "." || r.Host == "" {
			s.try("%s: the domain receives no mail (null MX)", name)
			return "", "", false
		}
		h, err := hostname.Normalize(r.Host)
		if err != nil {
			why = err.Error()
			continue
		}
		p, err := publicsuffix.EffectiveTLDPlusOne(h)
		if err != nil {
			why = fmt.Sprintf("no provider domain for %s: %v", h, err)
			continue
		}
		if p == s.addr.domain {
			s.try("%s: %s, the domain's own, whose files were asked already", name, h)
			return "", "", false
		}
		s.try("%s: %s, provider %s", name, h, p)
		return p, h, true
	}
	s.try("%s: %s", name, why)
	return "", "", false
}
