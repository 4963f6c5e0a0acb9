package crypto

import (
	"bytes"
	"crypto/sha256"
	"io"
	"runtime"
	"sync"
	"testing"
)

// heapSampler records the peak HeapAlloc seen at its sample points.
type heapSampler struct {
	mu   sync.Mutex
	peak uint64
}

func (s *heapSampler) sample() {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	s.mu.Lock()
	s.peak = max(s.peak, ms.HeapAlloc)
	s.mu.Unlock()
}

// sampleEvery calls sample after every step bytes passed through.
type sampleEvery struct {
	s         *heapSampler
	step, acc int64
}

func (c *sampleEvery) add(n int) {
	c.acc += int64(n)
	if c.acc >= c.step {
		c.acc = 0
		c.s.sample()
	}
}

type sampledReader struct {
	r io.Reader
	c *sampleEvery
}

func (r sampledReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.c.add(n)
	return n, err
}

type sampledStaging struct {
	*hashStaging
	c *sampleEvery
}

func (s sampledStaging) Write(p []byte) (int, error) {
	s.c.add(len(p))
	return s.hashStaging.Write(p)
}

// streamRoundTrip encrypts size pattern bytes through a pipe into Decrypt and
// returns the peak heap growth seen while streaming.
func streamRoundTrip(tb testing.TB, size int64, armored bool) uint64 {
	tb.Helper()
	alice := newKey(tb, "Alice", "alice@example.org")
	want := sha256.New()
	if _, err := io.Copy(want, &patternReader{n: size, state: 3}); err != nil {
		tb.Fatalf("hash pattern: %v", err)
	}
	sampler := &heapSampler{}
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)

	pr, pw := io.Pipe()
	encErr := make(chan error, 1)
	go func() {
		w, err := Encrypt(pw, EncryptOptions{Recipients: []*Key{alice}, Signer: alice, Now: t0, Binary: true, Armor: armored})
		if err == nil {
			_, err = io.Copy(w, sampledReader{&patternReader{n: size, state: 3}, &sampleEvery{s: sampler, step: 4 << 20}})
			if err == nil {
				err = w.Close()
			}
		}
		pw.CloseWithError(err) // nil closes with io.EOF
		encErr <- err
	}()
	st := sampledStaging{newHashStaging(), &sampleEvery{s: sampler, step: 4 << 20}}
	v, err := Decrypt(pr, st, DecryptOptions{Keys: []*Key{alice}, Verifiers: []*Key{alice}, Now: t0})
	if err != nil {
		tb.Fatalf("Decrypt: %v", err)
	}
	// Decrypt stops after the last packet; let the writer finish the armor.
	if _, err := io.Copy(io.Discard, pr); err != nil {
		tb.Fatalf("drain: %v", err)
	}
	if err := <-encErr; err != nil {
		tb.Fatalf("Encrypt: %v", err)
	}
	if st.n != size || !bytes.Equal(st.h.Sum(nil), want.Sum(nil)) || !st.committed {
		tb.Fatalf("decrypted %d bytes (committed %v), hash match %v, want %d bytes, committed, matching",
			st.n, st.committed, bytes.Equal(st.h.Sum(nil), want.Sum(nil)), size)
	}
	if v.Signature.Status != SigValid || !v.IntegrityProtected {
		tb.Fatalf("verdict = %+v, want a valid signature and integrity", v)
	}
	if sampler.peak < base.HeapAlloc {
		return 0
	}
	return sampler.peak - base.HeapAlloc
}

// TestStreamingPeakHeap streams 100 MB (8 MB with -short or -race) through
// encryption and decryption and checks the heap stays well under 64 MB.
func TestStreamingPeakHeap(t *testing.T) {
	size := int64(100 << 20)
	if testing.Short() || raceEnabled {
		size = 8 << 20
	}
	for _, armored := range []bool{false, true} {
		name := map[bool]string{false: "binary", true: "armored"}[armored]
		t.Run(name, func(t *testing.T) {
			peak := streamRoundTrip(t, size, armored)
			t.Logf("%d MB %s: peak heap growth %.1f MB", size>>20, name, float64(peak)/(1<<20))
			if limit := uint64(16 << 20); peak > limit {
				t.Errorf("peak heap growth = %d bytes, want under %d", peak, limit)
			}
		})
	}
}
