package mail

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail/backend"
	"github.com/sealpost/sealpost/mail/travel"
)

// providerDomain is the domain whose Received and Authentication-Results
// fields are trusted as the account's provider's: the account's setting,
// else the registrable domain of its IMAP host.
func providerDomain(acct localstore.Account) string {
	if acct.ProviderDomain != "" {
		return acct.ProviderDomain
	}
	return travel.ProviderDomainOf(acct.IMAP.Host)
}

// errProviderDomain means a provider domain is not a domain name.
var errProviderDomain = errors.New("the provider domain must be a domain name such as example.net")

// normProviderDomain checks a provider domain the user gave and returns it
// in lower case without a trailing dot ("" stays "": the default).
func normProviderDomain(d string) (string, error) {
	d = backend.NormDomain(d)
	if d == "" {
		return "", nil
	}
	if len(d) > 253 || strings.Trim(d, "abcdefghijklmnopqrstuvwxyz0123456789.-") != "" || strings.Contains(d, "..") ||
		strings.HasPrefix(d, ".") || strings.HasPrefix(d, "-") {
		return "", fmt.Errorf("%w, not %q", errProviderDomain, d)
	}
	return d, nil
}

// dkimRetry is how long after a DNS failure a DKIM signature left not
// checked waits before it is checked again (when its message is opened).
const dkimRetry = 6 * time.Hour

// examiner returns the sync's Examine hook for acct (see
// imapsync.Options.Examine): it records in each new message's summary how
// the message travelled, checking DKIM signatures with keys looked up
// through the Syncer's Resolver, unless the settings turn DKIM lookups off.
// While it runs the sync's connection waits, busy, for the next batch to
// be taken, so the lookups of one batch get a quarter of the stall
// timeout: a slow DNS must not make a healthy IMAP server look stalled.
// The messages whose keys were not looked up in that time are noted in
// arrived (if set) and checked after the sync (see finish). Messages
// stored without their bytes get no record here (see recordFetched).
func (sy *Syncer) examiner(acct localstore.Account, arrived *newMail) func(context.Context, string, *tls.ConnectionState, []localstore.Summary, []localstore.RawMessage) {
	domain := providerDomain(acct)
	budget := sy.connections.stallTimeout() / 4
	return func(ctx context.Context, folder string, over *tls.ConnectionState, sums []localstore.Summary, raws []localstore.RawMessage) {
		bodies := make(map[uint32][]byte, len(raws))
		for _, r := range raws {
			bodies[r.UID] = r.Raw
		}
		opts := sy.travelOptions(domain)
		opts.Fetch = travel.FetchOf(over, acct.IMAP.Host)
		lookups, cancel := context.WithTimeout(ctx, budget)
		defer cancel()
		var later []travelCheck
		for i := range sums {
			raw := bodies[sums[i].UID]
			if raw == nil {
				continue
			}
			t := travel.Examine(lookups, raw, opts)
			if opts.Resolver != nil && dueNow(t) {
				later = append(later, travelCheck{account: acct.Email, folder: folder, uid: sums[i].UID})
			}
			enc, err := json.Marshal(t)
			if err == nil {
				sums[i].Transport = enc
			}
		}
		if arrived != nil && len(later) > 0 {
			arrived.leftUnchecked(later...)
		}
	}
}

// travelOptions are the options of travel.Examine for an account whose
// provider is domain, at this time: the Syncer's Resolver, or none when
// the settings turn DKIM lookups off (or cannot be read).
func (sy *Syncer) travelOptions(domain string) travel.Options {
	opts := travel.Options{ProviderDomain: domain, Resolver: sy.resolver, Now: sy.now(), RetryAfter: dkimRetry}
	if !sy.dkimLookups() {
		opts.Resolver, opts.NotChecked = nil, backend.DKIMLookupsOff
	}
	return opts
}

// dkimLookups reports whether the settings allow looking DKIM keys up
// (settings that cannot be read allow none).
func (sy *Syncer) dkimLookups() bool {
	s, err := sy.settings.Get()
	return err == nil && !s.NoDKIMLookups
}

// dueNow reports whether a record asks for its DKIM checks to be made
// again at once: no key was looked up (see travel.Options.RetryAfter).
func dueNow(t *backend.Travel) bool {
	return !t.RecheckAfter.IsZero() && !t.RecheckAfter.After(t.CheckedAt)
}

// recordFetched records how a message fetched to be read travelled,
// without waiting on the DNS: the hops, the provider's results and our
// fetch's TLS now, and each DKIM signature not checked yet, to be checked
// in the background (see checkLater). A record that cannot be stored is
// logged, not returned: the message is read all the same.
func (sy *Syncer) recordFetched(acct localstore.Account, folder string, uid uint32, over *tls.ConnectionState, raw []byte) {
	opts := sy.travelOptions(providerDomain(acct))
	if opts.Resolver != nil {
		opts.Resolver, opts.NotChecked = nil, backend.DKIMNotYet
	}
	opts.Fetch = travel.FetchOf(over, acct.IMAP.Host)
	enc, err := json.Marshal(travel.Examine(context.Background(), raw, opts))
	if err == nil {
		_, err = sy.updateTransports(acct.Email, folder, []localstore.TransportUpdate{{UID: uid, New: enc}})
	}
	if err != nil {
		sy.logf("sealpost: how a fetched message travelled could not be recorded: %s", redactedStoreError(err))
	}
}

// redactedStoreError says what kind of store error err is, in words that
// carry no mail content, address, folder name or path: the text of the
// store's sentinel error it wraps, else a fixed phrase.
func redactedStoreError(err error) string {
	for _, known := range []error{localstore.ErrClosed, localstore.ErrDamaged, localstore.ErrTampered,
		localstore.ErrCorrupt, localstore.ErrNotFound} {
		if errors.Is(err, known) {
			return known.Error()
		}
	}
	return "the profile could not be written"
}

// travelCheck names one message whose DKIM checks are to be made again.
type travelCheck struct {
	account, folder string
	uid             uint32
}

// maxQueuedChecks bounds the messages waiting for a check in the
// background; those beyond it are checked when they are opened.
const maxQueuedChecks = 10000

// travelChecks makes DKIM checks in the background, one message at a
// time on one goroutine, for a Syncer: those a sync had no time for, and
// those of a message opened whose record asks for it (see checkLater). It
// is safe for concurrent use; close stops it.
type travelChecks struct {
	sy     *Syncer
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	queue   []travelCheck
	queued  map[travelCheck]bool
	running bool
}

func newTravelChecks(sy *Syncer) *travelChecks {
	ctx, cancel := context.WithCancel(context.Background())
	return &travelChecks{sy: sy, ctx: ctx, cancel: cancel, queued: make(map[travelCheck]bool)}
}

// add queues checks (those queued already once) and starts the goroutine
// that makes them if it is not running.
func (tc *travelChecks) add(checks ...travelCheck) {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if tc.ctx.Err() != nil {
		return
	}
	for _, c := range checks {
		if !tc.queued[c] && len(tc.queue) < maxQueuedChecks {
			tc.queued[c] = true
			tc.queue = append(tc.queue, c)
		}
	}
	if tc.running || len(tc.queue) == 0 {
		return
	}
	tc.running = true
	tc.wg.Go(tc.run)
}

// run makes the queued checks until none is left or tc is closed.
func (tc *travelChecks) run() {
	for {
		tc.mu.Lock()
		if len(tc.queue) == 0 || tc.ctx.Err() != nil {
			tc.running = false
			tc.mu.Unlock()
			return
		}
		c := tc.queue[0]
		tc.queue = tc.queue[1:]
		delete(tc.queued, c)
		tc.mu.Unlock()
		if err := tc.sy.recheck(tc.ctx, c); err != nil && tc.ctx.Err() == nil {
			tc.sy.logf("sealpost: a DKIM check made again could not be recorded: %s", redactedStoreError(err))
		}
	}
}

// close stops the checks (one being made is abandoned) and waits for the
// goroutine; later adds do nothing.
func (tc *travelChecks) close() {
	tc.mu.Lock()
	tc.cancel()
	tc.mu.Unlock()
	tc.wg.Wait()
}

// checkLater queues the DKIM checks of a message opened, whose record is
// t, if t asks for them now and the settings allow lookups.
func (sy *Syncer) checkLater(account, folder string, uid uint32, t *backend.Travel) {
	if t == nil || t.RecheckAfter.IsZero() || sy.now().Before(t.RecheckAfter) || !sy.dkimLookups() {
		return
	}
	sy.checks.add(travelCheck{account: strings.ToLower(account), folder: folder, uid: uid})
}

// recheck makes the record of message c again, with the DKIM keys looked
// up now, if its record still asks for that and lookups are allowed; the
// record of our fetch is kept. A message gone meanwhile is no error, and
// a record changed meanwhile is kept.
func (sy *Syncer) recheck(ctx context.Context, c travelCheck) error {
	msgs := sy.store.Messages()
	sum, err := msgs.Summary(c.account, c.folder, c.uid)
	if errors.Is(err, localstore.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	old := travelOf(sum.Transport)
	if old == nil || old.RecheckAfter.IsZero() || sy.now().Before(old.RecheckAfter) || !sy.dkimLookups() {
		return nil
	}
	raw, err := msgs.Raw(c.account, c.folder, c.uid)
	if errors.Is(err, localstore.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	acct, err := sy.accounts.get(c.account)
	if err != nil {
		return nil // the account was removed
	}
	opts := sy.travelOptions(providerDomain(acct))
	opts.Fetch = old.Fetch
	t := travel.Examine(ctx, raw, opts)
	if ctx.Err() != nil {
		return nil // stopped: the old record stays, and asks again
	}
	enc, err := json.Marshal(t)
	if err != nil {
		return err
	}
	n, err := sy.updateTransports(c.account, c.folder, []localstore.TransportUpdate{{UID: c.uid, Old: sum.Transport, New: enc}})
	if err == nil && n > 0 && sy.checked != nil {
		sy.checked(c.account, c.folder, c.uid)
	}
	return err
}

// travelOf decodes the transport evidence stored in a summary; nil when
// none was recorded (or it does not decode, which the store's
// authentication makes a bug, not an attack).
func travelOf(enc []byte) *backend.Travel {
	if len(enc) == 0 {
		return nil
	}
	var t backend.Travel
	if err := json.Unmarshal(enc, &t); err != nil {
		return nil
	}
	return &t
}

// TravelOffline records how a message travelled from the start of it (its
// header; see travel.MaxHeaderBytes), with no network use: the hops and the
// provider's results as for a synced message, with providerDomain as the
// provider ("" trusts no provider's fields), and every DKIM signature not
// checked, as no key is looked up.
func TravelOffline(head []byte, providerDomain string) (*backend.Travel, error) {
	d, err := normProviderDomain(providerDomain)
	if err != nil {
		return nil, err
	}
	return travel.Examine(context.Background(), head, travel.Options{ProviderDomain: d}), nil
}
