package localstore

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

const (
	damageAcct  = "damage@example.org"
	damageMsgs  = 300
	damageRawKB = 6
)

var damageFolders = []string{"INBOX", "Archive"}

// filledProfile makes a closed profile whose records span many pages:
// an account, two folders with summaries, raw messages and search records,
// and audit entries. It returns the profile folder and the file's bytes.
func filledProfile(t testing.TB) (string, []byte) {
	t.Helper()
	s := newTestStore(t)
	if err := s.Accounts().Put(Account{Email: damageAcct, DisplayName: "Damage"}); err != nil {
		t.Fatal(err)
	}
	for _, f := range damageFolders {
		if err := s.Folders().Put(Folder{Account: damageAcct, Name: f, UIDValidity: 7}); err != nil {
			t.Fatal(err)
		}
		var sums []Summary
		var raws []RawMessage
		var docs []SearchDoc
		for uid := uint32(1); uid <= damageMsgs; uid++ {
			sums = append(sums, Summary{UID: uid, Subject: fmt.Sprintf("subject %d", uid), From: "x@example.org",
				Date: time.Unix(int64(uid)*3600, 0).UTC(), Preview: strings.Repeat("p", 200)})
			if uid%3 == 0 {
				raws = append(raws, RawMessage{UID: uid, Raw: bytes.Repeat([]byte{'r'}, damageRawKB<<10)})
			}
			docs = append(docs, SearchDoc{UID: uid, Date: time.Unix(int64(uid), 0), HasBody: uid%3 == 0, Text: fmt.Appendf(nil, "word%d text", uid)})
		}
		if err := s.Messages().PutBatch(damageAcct, f, sums, raws); err != nil {
			t.Fatal(err)
		}
		if err := s.SearchIndex().PutBatch(damageAcct, f, docs); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 20 {
		if _, err := s.AppendAudit("test.entry", "", fmt.Sprintf("entry %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	dir := s.Dir()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(dbPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	return dir, data
}

// exercise reads every record of a filled profile, then writes one, and
// returns the first error.
func exercise(s *Store) error {
	if _, err := s.Accounts().List(); err != nil {
		return err
	}
	if _, err := s.Folders().List(damageAcct); err != nil {
		return err
	}
	for _, f := range damageFolders {
		if _, err := s.Messages().Newest(damageAcct, f, 0); err != nil {
			return err
		}
		for uid := uint32(3); uid <= damageMsgs; uid += 3 {
			if _, err := s.Messages().Raw(damageAcct, f, uid); err != nil {
				return err
			}
		}
	}
	if err := s.SearchIndex().Scan(damageAcct, "", func(*SearchRecord) bool { return true }); err != nil {
		return err
	}
	if _, err := s.VerifyAudit(); err != nil {
		return err
	}
	return s.Messages().PutSummaries(damageAcct, "INBOX", []Summary{{UID: damageMsgs + 1, Subject: "new"}})
}

// openAndExercise opens the profile in dir and exercises it.
func openAndExercise(dir string) error {
	s, err := Open(dir, testPass, testOpts())
	if err != nil {
		return err
	}
	defer s.Close()
	return exercise(s)
}

// writeProfile replaces the profile file in dir with data.
func writeProfile(t testing.TB, dir string, data []byte) {
	t.Helper()
	if err := os.WriteFile(dbPath(dir), data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestDamagedFileGivesErrDamaged cuts the profile file short and overwrites
// the pages bbolt relies on, and expects ErrDamaged, never a crash.
func TestDamagedFileGivesErrDamaged(t *testing.T) {
	dir, good := filledProfile(t)
	if err := openAndExercise(dir); err != nil {
		t.Fatalf("undamaged profile: %v", err)
	}
	// The undamaged file again: exercise wrote to it.
	writeProfile(t, dir, good)
	m := currentMeta(bytes.NewReader(good))
	ps, used := int(m.pageSize), int(m.pages)*int(m.pageSize)
	if !m.valid || used < 64*ps || used > len(good) {
		t.Fatalf("filled profile: meta %+v, %d bytes", m, len(good))
	}
	fill := func(off, n int, b byte) func([]byte) []byte {
		return func(d []byte) []byte {
			copy(d[off:off+n], bytes.Repeat([]byte{b}, n))
			return d
		}
	}
	cut := func(n int) func([]byte) []byte { return func(d []byte) []byte { return d[:n] } }
	tests := []struct {
		name   string
		damage func([]byte) []byte
	}{
		{"cut to 50% of its pages", cut(used / 2)},
		{"cut to 90% of its pages", cut(used * 9 / 10)},
		{"cut one byte short of its pages", cut(used - 1)},
		{"cut to three pages", cut(3 * ps)},
		{"cut inside the second meta page", cut(ps + 100)},
		{"cut to 100 bytes", cut(100)},
		{"both meta pages zeroed", func(d []byte) []byte { return fill(ps, ps, 0)(fill(0, ps, 0)(d)) }},
		{"root page zeroed", fill(int(m.root)*ps, ps, 0)},
		{"root page filled with 0xff", fill(int(m.root)*ps, ps, 0xff)},
		{"freelist page filled with 0xff", fill(int(m.freelist)*ps, ps, 0xff)},
		{"every page but the metas, the root and the freelist zeroed", func(d []byte) []byte {
			for id := 2; id < int(m.pages); id++ {
				if id != int(m.root) && id != int(m.freelist) {
					clear(d[id*ps : (id+1)*ps])
				}
			}
			return d
		}},
		{"every data page header filled with 0xff", func(d []byte) []byte {
			for off := 2 * ps; off < used; off += ps {
				copy(d[off:off+16], bytes.Repeat([]byte{0xff}, 16))
			}
			return d
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			writeProfile(t, dir, tt.damage(bytes.Clone(good)))
			err := openAndExercise(dir)
			wantErr(t, "damaged profile", err, ErrDamaged)
			if msg := err.Error(); !strings.Contains(msg, ErrDamaged.Error()) || strings.Contains(msg, "\n") {
				t.Errorf("message %q: want one line that says %q", msg, ErrDamaged)
			}
		})
	}
}

// TestRandomByteFlipsNeverCrash alters random bytes of a filled profile
// (fixed seed) and expects every Open and read to end in an error the
// callers know, or none when the bytes were not in use, never a crash.
func TestRandomByteFlipsNeverCrash(t *testing.T) {
	dir, good := filledProfile(t)
	ps := int(currentMeta(bytes.NewReader(good)).pageSize)
	rng := rand.New(rand.NewPCG(12, 2026))
	rounds := 60
	if testing.Short() {
		rounds = 20
	}
	counts := map[string]int{}
	for round := range rounds {
		d := bytes.Clone(good)
		for range 1 + rng.IntN(8) {
			off := rng.IntN(len(d))
			if round%2 == 1 {
				// Where bbolt keeps page headers and element offsets.
				off = rng.IntN(len(d)/ps)*ps + rng.IntN(64)
			}
			d[off] ^= byte(1 + rng.IntN(255))
		}
		writeProfile(t, dir, d)
		err := openAndExercise(dir)
		switch {
		case err == nil:
			counts["no error"]++
		case errors.Is(err, ErrDamaged):
			counts["damaged"]++
		case errors.Is(err, ErrTampered), errors.Is(err, ErrCorrupt), errors.Is(err, ErrWrongPassphrase),
			errors.Is(err, ErrNewerSchema), errors.Is(err, ErrSearchDamaged):
			counts["record failed"]++
		case errors.Is(err, ErrNotFound):
			// An altered lookup key: its record is not found under the
			// key it was stored with.
			counts["record missing"]++
		default:
			t.Errorf("round %d: unexpected error %v", round, err)
		}
	}
	t.Logf("outcomes of %d rounds: %v", rounds, counts)
}

// TestDamagedStoreRefusesLaterCalls finds damage in one call on an open
// store and expects every later call, from several goroutines, to fail
// with ErrDamaged without blocking, and Close to work.
func TestDamagedStoreRefusesLaterCalls(t *testing.T) {
	dir, good := filledProfile(t)
	s, err := Open(dir, testPass, testOpts())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// Damage the pages under the open store, as a disk error would.
	m := currentMeta(bytes.NewReader(good))
	f, err := os.OpenFile(dbPath(dir), os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	ps := int64(m.pageSize)
	for off := 2 * ps; off < int64(m.pages)*ps; off += ps {
		if _, err := f.WriteAt(bytes.Repeat([]byte{0xff}, 16), off); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	// A write that meets the damage writes nothing.
	damaged := fileSum(t, dir)
	err = s.Messages().PutSummaries(damageAcct, "INBOX", []Summary{{UID: 999, Subject: "x"}})
	wantErr(t, "write to a damaged store", err, ErrDamaged)
	if fileSum(t, dir) != damaged {
		t.Error("the failed write changed the file")
	}
	wantErr(t, "exercise of a damaged store", exercise(s), ErrDamaged)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%2 == 0 {
				errs <- s.Messages().PutSummaries(damageAcct, "INBOX", []Summary{{UID: 999, Subject: "x"}})
			} else {
				_, err := s.Accounts().List()
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		wantErr(t, "call on a damaged store", err, ErrDamaged)
	}
	// The freelist page was damaged too, so bbolt could not roll the
	// failed write back: Close says so instead of waiting for its lock.
	if err := s.Close(); err != nil && !errors.Is(err, ErrDamaged) {
		t.Fatalf("Close of a damaged store: %v", err)
	}
}

// TestEmptyFileIsInterruptedInit expects Open and Create on the empty file
// an interrupted Create leaves to say so, and to leave it empty.
func TestEmptyFileIsInterruptedInit(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "profile")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	writeProfile(t, dir, nil)
	if !Exists(dir) || !Interrupted(dir) {
		t.Errorf("Exists, Interrupted = %v, %v; want true, true", Exists(dir), Interrupted(dir))
	}
	_, err := Open(dir, testPass, testOpts())
	wantErr(t, "Open of an empty file", err, ErrInterruptedInit)
	_, err = Create(dir, testPass, testOpts())
	wantErr(t, "Create over an empty file", err, ErrInterruptedInit)
	if fi, err := os.Stat(dbPath(dir)); err != nil || fi.Size() != 0 {
		t.Errorf("profile file after refused calls: %v, %v; want it empty", fi, err)
	}
}

// TestKDFHeaderTamperRefused writes key-derivation costs into the header
// that Sealpost never writes, and expects Open to refuse them at once with
// ErrKDFBounds (which is ErrDamaged), without deriving anything.
func TestKDFHeaderTamperRefused(t *testing.T) {
	tests := []struct {
		name         string
		time, memKiB uint32
		threads      uint8
		want         error
	}{
		{name: "20 s and 2 GiB", time: 40, memKiB: 2 << 20, threads: 4, want: ErrKDFBounds},
		{name: "too many passes", time: maxKDFTime + 1, memKiB: 64, threads: 1, want: ErrKDFBounds},
		{name: "too much memory", time: 1, memKiB: maxKDFMemoryKiB + 1, threads: 1, want: ErrKDFBounds},
		{name: "too much work", time: maxKDFTime, memKiB: maxKDFMemoryKiB, threads: 2, want: ErrKDFBounds},
		{name: "too many threads", time: 1, memKiB: 1024, threads: maxKDFThreads + 1, want: ErrKDFBounds},
		{name: "no passes", time: 0, memKiB: 64, threads: 1, want: ErrKDFBounds},
		{name: "no threads", time: 1, memKiB: 64, threads: 0, want: ErrKDFBounds},
		// Within bounds, the altered parameters derive another key.
		{name: "default costs", time: 4, memKiB: 128 << 10, threads: 2, want: ErrWrongPassphrase},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestStore(t)
			dir := s.Dir()
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			rawUpdate(t, dir, func(tx *bolt.Tx) error {
				h := bytes.Clone(tx.Bucket(bktMeta).Get(keyHeader))
				p := h[len(headerMagic)+1:]
				binary.BigEndian.PutUint32(p[0:4], tt.time)
				binary.BigEndian.PutUint32(p[4:8], tt.memKiB)
				p[8] = tt.threads
				return tx.Bucket(bktMeta).Put(keyHeader, h)
			})
			_, err := Open(dir, testPass, testOpts())
			wantErr(t, "Open with altered KDF parameters", err, tt.want)
			if errors.Is(tt.want, ErrKDFBounds) {
				wantErr(t, "Open with altered KDF parameters", err, ErrDamaged)
			}
		})
	}
	_, err := Create(filepath.Join(t.TempDir(), "p"), testPass, &Options{KDF: &KDFParams{Time: 1, MemoryKiB: maxKDFMemoryKiB * 2, Threads: 1}})
	if err == nil {
		t.Error("Create with costs above the bounds succeeded")
	}
}

// TestGuardPassesOtherPanicsOn expects a panic outside bbolt (a bug) to go
// on rather than be reported as damage, and errors to pass through.
func TestGuardPassesOtherPanicsOn(t *testing.T) {
	plain := errors.New("plain")
	wantErr(t, "guard of an error", guard(func() error { return plain }), plain)
	defer func() {
		if r := recover(); r != "a bug" {
			t.Errorf("recovered %v, want the bug's panic", r)
		}
	}()
	_ = guard(func() error { panic("a bug") })
	t.Error("guard swallowed a panic outside bbolt")
}

// TestDamagedWriteReleasesTheFile damages the data pages (not the
// freelist) under an open store, and expects the failed write to be
// rolled back so that Close releases the file: opening it again finds the
// damage instead of a lock.
func TestDamagedWriteReleasesTheFile(t *testing.T) {
	dir, good := filledProfile(t)
	s, err := Open(dir, testPass, testOpts())
	if err != nil {
		t.Fatal(err)
	}
	m := currentMeta(bytes.NewReader(good))
	ps := int64(m.pageSize)
	overflow := int64(binary.NativeEndian.Uint32(good[int64(m.freelist)*ps+12:]))
	f, err := os.OpenFile(dbPath(dir), os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	for id := int64(2); id < int64(m.pages); id++ {
		if id >= int64(m.freelist) && id <= int64(m.freelist)+overflow {
			continue
		}
		if _, err := f.WriteAt(bytes.Repeat([]byte{0xff}, 16), id*ps); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	err = s.Messages().PutSummaries(damageAcct, "INBOX", []Summary{{UID: 999, Subject: "x"}})
	wantErr(t, "write to a damaged store", err, ErrDamaged)
	if err := s.Close(); err != nil {
		t.Fatalf("Close after a damaged write: %v", err)
	}
	_, err = Open(dir, testPass, &Options{KDF: &cheapKDF, LockTimeout: time.Second})
	wantErr(t, "Open after the damaged write", err, ErrDamaged)
}

// TestVerifyFindsDamagedBranchPages points the first child of each branch
// page far beyond the file, one page at a time: Open or Verify (as backup
// and restore run it) says the file is damaged, and nothing crashes.
func TestVerifyFindsDamagedBranchPages(t *testing.T) {
	dir, good := filledProfile(t)
	m := currentMeta(bytes.NewReader(good))
	ps := int(m.pageSize)
	const branchPage = 0x01 // bbolt's page flag
	tried := 0
	for id := 2; id < int(m.pages); id++ {
		off := id * ps
		if binary.NativeEndian.Uint16(good[off+8:off+10]) != branchPage {
			continue
		}
		tried++
		d := bytes.Clone(good)
		// The first branch element: pos and ksize (uint32 each), then the
		// child's page id.
		binary.NativeEndian.PutUint64(d[off+boltPageHeader+8:off+boltPageHeader+16], 1<<36)
		writeProfile(t, dir, d)
		s, err := Open(dir, testPass, testOpts())
		if err == nil {
			err = s.Verify()
			_ = s.Close()
		}
		if !errors.Is(err, ErrDamaged) {
			t.Errorf("branch page %d pointing beyond the file: %v, want ErrDamaged", id, err)
		}
	}
	if tried == 0 {
		t.Fatal("the filled profile has no branch page: the test proves nothing")
	}
}
