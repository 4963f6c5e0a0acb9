package mail

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/sealpost/sealpost/localstore"
)

// TestSearchReportsADamagedRecord alters one sealed search record of
// alice's profile on disk and expects every search to fail with
// localstore.ErrSearchDamaged, not to answer with fewer messages, and the
// next search to fail again (nothing was rebuilt behind the user's back).
func TestSearchReportsADamagedRecord(t *testing.T) {
	alice, _ := searchFixture(t)
	ctx := context.Background()
	if got, err := alice.Index().Search(ctx, SearchQuery{Text: "zanzibar"}); err != nil || len(got) != 3 {
		t.Fatalf("Search before the damage = %d results, %v; want 3", len(got), err)
	}
	dir := alice.Dir()
	if err := alice.Close(); err != nil {
		t.Fatal(err)
	}
	var damaged []byte
	db, err := bolt.Open(filepath.Join(dir, localstore.DBFileName), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		// search/<account>/<folder>/<uid>: alter the first record found.
		return tx.Bucket([]byte("search")).ForEachBucket(func(acct []byte) error {
			return tx.Bucket([]byte("search")).Bucket(acct).ForEachBucket(func(fold []byte) error {
				b := tx.Bucket([]byte("search")).Bucket(acct).Bucket(fold)
				k, v := b.Cursor().First()
				if damaged != nil || k == nil {
					return nil
				}
				damaged = bytes.Clone(v)
				damaged[len(damaged)-1] ^= 0x40
				return b.Put(bytes.Clone(k), damaged)
			})
		})
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil || damaged == nil {
		t.Fatalf("alter a search record: %v (found one: %v)", err, damaged != nil)
	}
	p, err := OpenProfile(dir, []byte("test passphrase 123"), &ProfileOptions{Store: &localstore.Options{KDF: &cheapKDF}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	for range 2 {
		got, err := p.Index().Search(ctx, SearchQuery{Text: "zanzibar"})
		if !errors.Is(err, localstore.ErrSearchDamaged) {
			t.Fatalf("Search over a damaged record = %d results, %v; want %v", len(got), err, localstore.ErrSearchDamaged)
		}
	}
}
