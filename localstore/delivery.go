package localstore

import (
	"fmt"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// bktDelivery holds cached MTA-STS policies. It is made by the first
// write: a profile that never looked one up has no such bucket.
var bktDelivery = []byte("delivery")

// labelMTASTS blinds the domain of a cached MTA-STS policy.
const labelMTASTS = "mta-sts"

// MTASTSPolicy is a recipient domain's MTA-STS policy as fetched (RFC
// 8461), kept for its max_age.
type MTASTSPolicy struct {
	Domain  string // lower-case
	ID      string // the id of the TXT record it was fetched for
	Mode    string
	MX      []string
	MaxAge  time.Duration
	Fetched time.Time
}

// MTASTSPolicies is the cache of MTA-STS policies: one sealed record per
// domain under its blinded name, so the file shows neither which domains
// were written to nor their policies.
type MTASTSPolicies struct{ s *Store }

// MTASTSPolicies returns the MTA-STS policy cache.
func (s *Store) MTASTSPolicies() MTASTSPolicies { return MTASTSPolicies{s} }

func (r MTASTSPolicies) key(domain string) []byte {
	return r.s.keys.blind(labelMTASTS, strings.ToLower(strings.TrimSuffix(domain, ".")))
}

// Get returns the cached policy of domain, or ErrNotFound.
func (r MTASTSPolicies) Get(domain string) (MTASTSPolicy, error) {
	var p MTASTSPolicy
	err := r.s.view(func(tx *bolt.Tx) error {
		return r.s.getJSON(tx, [][]byte{bktDelivery}, r.key(domain), &p)
	})
	if err != nil {
		return MTASTSPolicy{}, fmt.Errorf("read cached MTA-STS policy: %w", err)
	}
	return p, nil
}

// Put stores p as the policy of p.Domain, replacing the one cached before.
func (r MTASTSPolicies) Put(p MTASTSPolicy) error {
	p.Domain = strings.ToLower(strings.TrimSuffix(p.Domain, "."))
	err := r.s.update(func(tx *bolt.Tx) error {
		return r.s.putJSON(tx, [][]byte{bktDelivery}, r.key(p.Domain), &p)
	})
	if err != nil {
		return fmt.Errorf("cache MTA-STS policy: %w", err)
	}
	return nil
}
