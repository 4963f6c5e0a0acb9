//go:build linux

package syncbench

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// Pipelining of the limit client: UIDs per FETCH command and commands in
// flight.
const (
	limitBatch    = 500
	limitInFlight = 4
)

// errMissingLiteral means the server sent no body for a message.
var errMissingLiteral = errors.New("the server sent a message without its body")

// fetchResult is what the limit client received.
type fetchResult struct {
	messages int
	bytes    int64 // raw message bytes read
}

// limitFetch is the limit: a minimal go-imap v2 client that logs in to
// addr over TLS, opens INBOX read-only and UID FETCHes every message with
// what the sync needs (envelope, flags, internal date, size, body
// structure, and with body also BODY.PEEK[]), limitInFlight commands of
// limitBatch UIDs in flight, throwing everything away.
func limitFetch(addr string, tlsConfig *tls.Config, user, password string, body bool) (fetchResult, error) {
	c, err := imapclient.DialTLS(addr, &imapclient.Options{TLSConfig: tlsConfig})
	if err != nil {
		return fetchResult{}, fmt.Errorf("limit: connect to %s: %w", addr, err)
	}
	defer c.Close()
	if err := c.Login(user, password).Wait(); err != nil {
		return fetchResult{}, fmt.Errorf("limit: log in as %s: %w", user, err)
	}
	sel, err := c.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		return fetchResult{}, fmt.Errorf("limit: examine INBOX: %w", err)
	}
	opts := &imap.FetchOptions{
		UID: true, Flags: true, Envelope: true, InternalDate: true, RFC822Size: true,
		BodyStructure: &imap.FetchItemBodyStructure{Extended: true},
	}
	if body {
		opts.BodySection = []*imap.FetchItemBodySection{{Peek: true}}
	}

	type drained struct {
		r   fetchResult
		err error
	}
	var inflight []chan drained
	defer func() {
		for _, ch := range inflight {
			<-ch
		}
	}()
	var total fetchResult
	next := imap.UID(1)
	for next < sel.UIDNext || len(inflight) > 0 {
		// Dovecot interleaves the answers to pipelined commands, so each
		// is drained by its own goroutine.
		for len(inflight) < limitInFlight && next < sel.UIDNext {
			var uids imap.UIDSet
			stop := min(next+limitBatch-1, sel.UIDNext-1)
			uids.AddRange(next, stop)
			next = stop + 1
			cmd := c.Fetch(uids, opts)
			ch := make(chan drained, 1)
			go func() {
				r, err := drain(cmd, body)
				ch <- drained{r, err}
			}()
			inflight = append(inflight, ch)
		}
		d := <-inflight[0]
		inflight = inflight[1:]
		if d.err != nil {
			return fetchResult{}, fmt.Errorf("limit: fetch: %w", d.err)
		}
		total.messages += d.r.messages
		total.bytes += d.r.bytes
	}
	if err := c.Logout().Wait(); err != nil {
		return fetchResult{}, fmt.Errorf("limit: log out: %w", err)
	}
	return total, nil
}

// drain reads one FETCH command to its end, discarding the data.
func drain(cmd *imapclient.FetchCommand, body bool) (fetchResult, error) {
	var r fetchResult
	for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
		r.messages++
		gotBody := false
		for item := msg.Next(); item != nil; item = msg.Next() {
			sec, ok := item.(imapclient.FetchItemDataBodySection)
			if !ok || sec.Literal == nil {
				continue
			}
			n, err := io.Copy(io.Discard, sec.Literal)
			if err != nil {
				cmd.Close()
				return r, fmt.Errorf("read a message body: %w", err)
			}
			r.bytes += n
			gotBody = true
		}
		if body && !gotBody {
			cmd.Close()
			return r, errMissingLiteral
		}
	}
	return r, cmd.Close()
}
