package mail

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail/backend"
	"github.com/sealpost/sealpost/mail/delivery"
)

// Bounds of the delivery checks.
const (
	// deliveryCheckTimeout bounds the checks of one message's recipient
	// domains before it is queued; what does not answer by then is
	// recorded as not checked.
	deliveryCheckTimeout = 8 * time.Second
	// deliveryRecent is how long a finding is reused without asking DNS
	// again (the composer's check, then the send's).
	deliveryRecent = 10 * time.Minute
)

// Delivery finds out how mail to recipient domains will travel from the
// provider (MX, MTA-STS, DANE; see package delivery). MTA-STS policies are
// cached sealed in the profile for their max_age; findings are reused
// for a few minutes in memory, so the composer's check serves the send.
type Delivery struct {
	checker *delivery.Checker
	now     func() time.Time

	mu     sync.Mutex
	recent map[string]backend.DeliveryFinding // by domain; only checked ones
}

// newDelivery makes the service over store's policy cache.
func newDelivery(store *localstore.Store, opts delivery.Options, now func() time.Time) *Delivery {
	opts.Cache, opts.Now = policyCache{store}, now
	return &Delivery{checker: delivery.New(opts), now: now, recent: map[string]backend.DeliveryFinding{}}
}

// Check looks up domain (see delivery.Checker.Check), or returns what was
// found for it in the last few minutes. A finding that is not checked is
// never reused.
func (d *Delivery) Check(ctx context.Context, domain string) backend.DeliveryFinding {
	key := backend.NormDomain(domain)
	d.mu.Lock()
	f, ok := d.recent[key]
	d.mu.Unlock()
	if ok && d.now().Sub(f.Checked) < deliveryRecent {
		return f
	}
	f = d.checker.Check(ctx, domain)
	if f.Status != backend.DeliveryNotChecked {
		d.mu.Lock()
		for k, old := range d.recent {
			if d.now().Sub(old.Checked) >= deliveryRecent {
				delete(d.recent, k)
			}
		}
		d.recent[key] = f
		d.mu.Unlock()
	}
	return f
}

// CheckRecipients checks the domains of addrs, each once and all at once,
// within deliveryCheckTimeout, in the order of the domains' names.
func (d *Delivery) CheckRecipients(ctx context.Context, addrs []string) []backend.DeliveryFinding {
	domains := recipientDomains(addrs)
	ctx, cancel := context.WithTimeout(ctx, deliveryCheckTimeout)
	defer cancel()
	out := make([]backend.DeliveryFinding, len(domains))
	var wg sync.WaitGroup
	for i, dom := range domains {
		wg.Go(func() { out[i] = d.Check(ctx, dom) })
	}
	wg.Wait()
	return out
}

// recipientDomains are the distinct lower-case domains of addrs, sorted.
// An entry may hold several addresses ("a@x.example, Bob <b@y.example>"),
// as a draft's fields do; an address without a domain is left out.
func recipientDomains(addrs []string) []string {
	var out []string
	add := func(addr string) {
		dom := backend.AddressDomain(addr)
		if dom != "" && !slices.Contains(out, dom) {
			out = append(out, dom)
		}
	}
	for _, entry := range addrs {
		if list, err := parseAddresses([]string{entry}); err == nil {
			for _, a := range list {
				add(a.Address)
			}
			continue
		}
		// Not a valid list (the composer refuses it before sending):
		// its last address, if it has one.
		if i := strings.LastIndexByte(entry, '>'); i >= 0 {
			entry = entry[:i]
		}
		add(entry)
	}
	slices.Sort(out)
	return out
}

// auditDeliveries are findings as the audit trail keeps them.
func auditDeliveries(fs []backend.DeliveryFinding) []localstore.AuditDelivery {
	out := make([]localstore.AuditDelivery, len(fs))
	for i, f := range fs {
		out[i] = localstore.AuditDelivery{Domain: f.Domain, Status: f.Status, DANE: f.DANE, Reason: f.Reason}
	}
	return out
}

// policyCache keeps MTA-STS policies sealed in the profile (blinded by
// domain).
type policyCache struct{ store *localstore.Store }

// Policy reads domain's cached policy.
func (c policyCache) Policy(domain string) (delivery.Policy, bool, error) {
	p, err := c.store.MTASTSPolicies().Get(domain)
	if errors.Is(err, localstore.ErrNotFound) {
		return delivery.Policy{}, false, nil
	}
	if err != nil {
		return delivery.Policy{}, false, err
	}
	return delivery.Policy{ID: p.ID, Mode: p.Mode, MX: p.MX, MaxAge: p.MaxAge, Fetched: p.Fetched}, true, nil
}

// SavePolicy seals p as domain's policy.
func (c policyCache) SavePolicy(domain string, p delivery.Policy) error {
	return c.store.MTASTSPolicies().Put(localstore.MTASTSPolicy{
		Domain: domain, ID: p.ID, Mode: p.Mode, MX: p.MX, MaxAge: p.MaxAge, Fetched: p.Fetched,
	})
}
