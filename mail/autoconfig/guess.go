package autoconfig

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// guessCandidates lists the guessed servers for protocol, best first:
// implicit TLS on every host name before STARTTLS on any (RFC 8314 prefers
// implicit TLS), and the protocol's own host name before mail.<domain>.
func guessCandidates(protocol, domain string) []Server {
	first, tlsPort, startTLSPort := "imap.", 993, 143
	if protocol == ProtocolSMTP {
		first, tlsPort, startTLSPort = "smtp.", 465, 587
	}
	return []Server{
		{Host: first + domain, Port: tlsPort, Security: SecurityTLS},
		{Host: "mail." + domain, Port: tlsPort, Security: SecurityTLS},
		{Host: first + domain, Port: startTLSPort, Security: SecurityStartTLS},
		{Host: "mail." + domain, Port: startTLSPort, Security: SecurityStartTLS},
	}
}

// guess probes at once all guessed servers of the protocols that have no
// confirmed server yet, and keeps, for each protocol, the best candidate
// whose probe succeeded.
func (s *search) guess(ctx context.Context) result {
	if s.d.Probe == nil {
		s.try("guesses: skipped, no prober configured")
		return result{}
	}
	have := merge(s.results)
	var (
		wg               sync.WaitGroup
		imap, smtp       *found
		imapLog, smtpLog []string
	)
	if have.imap == nil || !have.imap.confirmed {
		wg.Go(func() {
			imap, imapLog = s.probeInOrder(ctx, ProtocolIMAP, guessCandidates(ProtocolIMAP, s.addr.domain))
		})
	}
	if have.smtp == nil || !have.smtp.confirmed {
		wg.Go(func() {
			smtp, smtpLog = s.probeInOrder(ctx, ProtocolSMTP, guessCandidates(ProtocolSMTP, s.addr.domain))
		})
	}
	wg.Wait()
	s.tried = append(s.tried, imapLog...)
	s.tried = append(s.tried, smtpLog...)
	return result{imap: imap, smtp: smtp}
}

// notNeeded describes a probe cancelled because a preferred candidate had
// already succeeded.
const notNeeded = "not needed, a preferred server answered"

// probeInOrder probes every candidate concurrently and returns the first
// one, in the order given, whose probe succeeded, as soon as every
// candidate before it has failed; the probes still running are then
// cancelled. It waits for all of its probes to return, so no goroutine
// outlives it. log describes every probe's outcome, in order.
func (s *search) probeInOrder(ctx context.Context, protocol string, cands []Server) (best *found, log []string) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type outcome struct {
		i   int
		err error
	}
	out := make(chan outcome, len(cands)) // buffered: senders never block
	for i, c := range cands {
		go func() { out <- outcome{i, s.probeOne(ctx, protocol, c)} }()
	}
	errs := make([]error, len(cands))
	done := make([]bool, len(cands))
	winner, next := -1, 0
	for range cands {
		o := <-out
		done[o.i], errs[o.i] = true, o.err
		for next < len(cands) && done[next] && errs[next] != nil {
			next++
		}
		if winner < 0 && next < len(cands) && done[next] {
			winner = next
			cancel()
		}
	}
	for i, c := range cands {
		switch {
		case i == winner:
			log = append(log, fmt.Sprintf("guess %s %s: TLS verified", protocol, c))
		case winner >= 0 && i > winner && errors.Is(errs[i], context.Canceled):
			log = append(log, fmt.Sprintf("guess %s %s: %s", protocol, c, notNeeded))
		case errs[i] != nil:
			log = append(log, fmt.Sprintf("guess %s %s: %v", protocol, c, errs[i]))
		default:
			log = append(log, fmt.Sprintf("guess %s %s: TLS verified, but a preferred server answered", protocol, c))
		}
	}
	if winner < 0 {
		return nil, log
	}
	return &found{
		server:    cands[winner],
		username:  s.addr.email,
		source:    SourceGuess,
		detail:    fmt.Sprintf("a guess, confirmed by a verified TLS connection to %s", cands[winner]),
		confirmed: true,
	}, log
}

// probeOne runs the Prober on one candidate within the step time limit.
func (s *search) probeOne(ctx context.Context, protocol string, c Server) error {
	return safely(func() error {
		ctx, cancel := context.WithTimeout(ctx, s.stepTimeout())
		defer cancel()
		return s.d.Probe(ctx, protocol, c)
	})
}

// safely runs fn, which calls injected code (a Resolver, a Prober) on a
// goroutine of ours, and turns a panic in it into an error.
func safely(fn func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("internal error: %v", p)
		}
	}()
	return fn()
}
