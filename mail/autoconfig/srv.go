package autoconfig

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"

	"github.com/sealpost/sealpost/mail/internal/hostname"
)

// srvService is one SRV service name and the security it implies.
type srvService struct {
	name     string
	security Security
}

// The SRV services in order of preference: implicit TLS first (RFC 8314),
// then the STARTTLS ones of RFC 6186, which become mandatory STARTTLS. The
// plaintext-only services (_pop3, _smtp on 25) are never asked.
var (
	imapServices = []srvService{{"imaps", SecurityTLS}, {"imap", SecurityStartTLS}}
	smtpServices = []srvService{{"submissions", SecurityTLS}, {"submission", SecurityStartTLS}}
)

// srvAnswer is the outcome of one SRV lookup.
type srvAnswer struct {
	svc     srvService
	records []*net.SRV
	err     error
}

// srv looks up the four SRV services of the address's domain at once (so
// that a slow resolver costs one step time limit, not four) and takes, for
// IMAP and for SMTP, the first service in order of preference with a
// usable record.
func (s *search) srv(ctx context.Context) result {
	resolver := s.d.Resolver
	if resolver == nil {
		resolver = net.DefaultResolver
	}
	services := slices.Concat(imapServices, smtpServices)
	answers := make([]srvAnswer, len(services))
	var wg sync.WaitGroup
	for i, svc := range services {
		wg.Go(func() {
			a := srvAnswer{svc: svc}
			a.err = safely(func() error {
				lctx, cancel := context.WithTimeout(ctx, s.stepTimeout())
				defer cancel()
				var err error
				_, a.records, err = resolver.LookupSRV(lctx, svc.name, "tcp", s.addr.domain)
				return err
			})
			answers[i] = a
		})
	}
	wg.Wait()
	return result{
		imap: s.srvFirst("IMAP", answers[:len(imapServices)]),
		smtp: s.srvFirst("SMTP", answers[len(imapServices):]),
	}
}

// srvFirst returns the server of the first answer with a usable record, or
// nil, and logs every answer.
func (s *search) srvFirst(what string, answers []srvAnswer) *found {
	var first *found
	for _, a := range answers {
		name := fmt.Sprintf("_%s._tcp.%s", a.svc.name, s.addr.domain)
		if a.err != nil && len(a.records) == 0 {
			var dnsErr *net.DNSError
			if errors.As(a.err, &dnsErr) && dnsErr.IsNotFound {
				s.try("DNS SRV %s: no record", name)
			} else {
				s.try("DNS SRV %s: %v", name, a.err)
			}
			continue
		}
		host, port, ok, why := pickSRV(a.records)
		if !ok {
			s.try("DNS SRV %s: %s", name, why)
			continue
		}
		server := Server{Host: host, Port: port, Security: a.svc.security}
		if first != nil {
			s.try("DNS SRV %s: %s, not used: a preferred service is offered", name, server)
			continue
		}
		s.try("DNS SRV %s: %s", name, server)
		first = &found{server: server, username: s.addr.email, source: SourceSRV, detail: "the DNS SRV record " + name, confirmed: withinDomain(host, s.addr.domain)}
		if !first.confirmed {
			first.notes = append(first.notes, fmt.Sprintf("The DNS SRV record for %s points to %s, which is outside %s. DNS answers can be forged: make sure this really is your provider's %s server before entering your password.", s.addr.domain, host, s.addr.domain, what))
		}
	}
	return first
}

// pickSRV chooses among the records of one service: the lowest priority
// first and, within one priority, the highest weight (the settings are
// stored, so the choice is deterministic rather than RFC 2782's weighted
// random pick per connection). Records with the target "." (the service is
// decidedly not offered), a port of 0 or an invalid target are dropped; ok
// is false, with the reason, when none is left.
func pickSRV(records []*net.SRV) (host string, port int, ok bool, why string) {
	sorted := slices.DeleteFunc(slices.Clone(records), func(r *net.SRV) bool { return r == nil })
	slices.SortStableFunc(sorted, func(a, b *net.SRV) int {
		if c := cmp.Compare(a.Priority, b.Priority); c != 0 {
			return c
		}
		return cmp.Compare(b.Weight, a.Weight)
	})
	why = "no record"
	for _, r := range sorted {
		if r.Target == "." || r.Target == "" {
			why = "the domain says the service is not offered (target \".\")"
			continue
		}
		if r.Port == 0 {
			why = fmt.Sprintf("invalid port 0 for %s", r.Target)
			continue
		}
		h, err := hostname.Normalize(r.Target)
		if err != nil {
			why = err.Error()
			continue
		}
		return h, int(r.Port), true, ""
	}
	return "", 0, false, why
}
