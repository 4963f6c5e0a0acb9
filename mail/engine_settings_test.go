package mail

import (
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail/backend"
)

func TestEngineAuditTrail(t *testing.T) {
	opts := &ProfileOptions{Store: &localstore.Options{KDF: &cheapKDF}}
	e := NewEngine(filepath.Join(t.TempDir(), "p"), opts)
	t.Cleanup(func() { _ = e.Lock() })
	if _, err := e.AuditTrail(t.Context()); !errors.Is(err, ErrProfileLocked) {
		t.Fatalf("locked: got = %v, want ErrProfileLocked", err)
	}
	if err := e.CreateProfile(t.Context(), []byte(enginePass)); err != nil {
		t.Fatal(err)
	}
	if err := e.with(t.Context(), func(p *Profile) error {
		return p.ChangePassphrase([]byte(enginePass), []byte(enginePass+" changed"))
	}); err != nil {
		t.Fatal(err)
	}

	trail, err := e.AuditTrail(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, en := range trail.Entries {
		kinds = append(kinds, en.Kind)
	}
	if got, want := strings.Join(kinds, ","), AuditPassphraseChange+","+AuditProfileCreated; got != want {
		t.Errorf("kinds got = %s, want %s (newest first)", got, want)
	}
	if !trail.Intact || len(trail.Problems) != 0 {
		t.Errorf("intact got = %v (%v), want true", trail.Intact, trail.Problems)
	}

	// Alter the newest entry's sealed value on disk.
	if err := e.Lock(); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(filepath.Join(e.ProfileDir(), localstore.DBFileName), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("audit"))
		if b == nil {
			return errors.New("no audit bucket")
		}
		k, v := b.Cursor().Last()
		v = append([]byte(nil), v...)
		v[len(v)-1] ^= 1
		return b.Put(k, v)
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Unlock(t.Context(), []byte(enginePass+" changed")); err != nil {
		t.Fatal(err)
	}
	trail, err = e.AuditTrail(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if trail.Intact || len(trail.Problems) == 0 || !strings.Contains(trail.Problems[0], "entry 2") {
		t.Errorf("after tampering got = intact %v, problems %q; want entry 2 reported", trail.Intact, trail.Problems)
	}
	// The exported report says so too, and lists nothing it cannot read.
	var report []byte
	if err := e.with(t.Context(), func(p *Profile) (err error) { report, err = p.Audit().Report(""); return err }); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(report), "Hash chain: BROKEN") || !strings.Contains(string(report), "entry 2") ||
		!strings.Contains(string(report), "The entries cannot be read") {
		t.Errorf("report of a tampered trail:\n%s", report)
	}
}

func TestEnginePreferencesSizeCap(t *testing.T) {
	e := newSetupEngine(t)
	tests := []struct {
		name    string
		mb      int
		wantErr bool
	}{
		{"default", 0, false},
		{"five", 5, false},
		{"negative", -1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := e.SavePreferences(t.Context(), backend.Preferences{AutoLockMinutes: 5, OfflineBodies: true, MaxMessageMB: tt.mb})
			if (err != nil) != tt.wantErr {
				t.Fatalf("SavePreferences got = %v, want error %v", err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			got, err := e.Preferences(t.Context())
			if want := (backend.Preferences{AutoLockMinutes: 5, OfflineBodies: true, MaxMessageMB: tt.mb}); err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("Preferences got = %+v, %v, want %+v", got, err, want)
			}
		})
	}
}

// TestEnginePreferencesProviderLookup: the choice about the ISPDB and MX
// lookups is stored and read back, and lookups are on in a new profile.
func TestEnginePreferencesProviderLookup(t *testing.T) {
	e := newSetupEngine(t)
	if got, err := e.Preferences(t.Context()); err != nil || got.NoProviderLookup {
		t.Fatalf("new profile: NoProviderLookup = %v, %v; want false", got.NoProviderLookup, err)
	}
	for _, off := range []bool{true, false} {
		if err := e.SavePreferences(t.Context(), backend.Preferences{AutoLockMinutes: 5, NoProviderLookup: off}); err != nil {
			t.Fatal(err)
		}
		if got, err := e.Preferences(t.Context()); err != nil || got.NoProviderLookup != off {
			t.Errorf("after saving %v: NoProviderLookup = %v, %v", off, got.NoProviderLookup, err)
		}
	}
}

// TestEnginePreferencesListViews: the message list's choices are kept and
// read back; more folders' orders than MaxListViews are refused, keeping
// what was stored.
func TestEnginePreferencesListViews(t *testing.T) {
	e := newSetupEngine(t)
	views := map[string]backend.ListView{backend.ListViewKey("alice@example.org", "Lists/Go"): {Column: backend.ListBySubject, Threaded: true}}
	if err := e.SavePreferences(t.Context(), backend.Preferences{CompactList: true, ListViews: views}); err != nil {
		t.Fatal(err)
	}
	tooMany := map[string]backend.ListView{}
	for i := range backend.MaxListViews + 1 {
		tooMany[backend.ListViewKey("alice@example.org", fmt.Sprint("F", i))] = backend.ListView{Column: backend.ListBySize}
	}
	if err := e.SavePreferences(t.Context(), backend.Preferences{ListViews: tooMany}); err == nil {
		t.Error("SavePreferences took the orders of more folders than MaxListViews")
	}
	got, err := e.Preferences(t.Context())
	if err != nil || !got.CompactList || !reflect.DeepEqual(got.ListViews, views) {
		t.Errorf("Preferences got = %+v, %v; want compact rows and %+v", got, err, views)
	}
}
