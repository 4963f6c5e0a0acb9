package mail

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/sealpost/sealpost/crypto"
	"github.com/sealpost/sealpost/mail/backend"
)

// heapPeak samples the heap every step bytes of I/O and keeps the peak
// growth over the heap at its start.
type heapPeak struct {
	base, peak uint64
	step, acc  int64
}

func newHeapPeak(step int64) *heapPeak {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return &heapPeak{base: ms.HeapAlloc, step: step}
}

func (h *heapPeak) add(n int) {
	h.acc += int64(n)
	if h.acc < h.step {
		return
	}
	h.acc = 0
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	if ms.HeapAlloc > h.base {
		h.peak = max(h.peak, ms.HeapAlloc-h.base)
	}
}

// pattern is size bytes of a fixed non-repeating pattern, sampling the heap
// as it is read.
type pattern struct {
	n, size int64
	heap    *heapPeak
}

func (r *pattern) Read(p []byte) (int, error) {
	if r.n >= r.size {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), r.size-r.n)]
	for i := range p {
		x := uint64(r.n + int64(i))
		p[i] = byte(x*2654435761>>13) ^ byte(x>>20)
	}
	r.n += int64(len(p))
	if r.heap != nil {
		r.heap.add(len(p))
	}
	return len(p), nil
}

func (r *pattern) Close() error { return nil }

// sampledFile samples the heap as the message is read back.
type sampledFile struct {
	f    *os.File
	heap *heapPeak
}

func (s sampledFile) ReadAt(p []byte, off int64) (int, error) {
	n, err := s.f.ReadAt(p, off)
	s.heap.add(n)
	return n, err
}

// TestLargeMessagePeakHeap composes an encrypted and signed message with a
// 100 MiB attachment (8 MiB with -short or -race) into a file and inspects
// it, sampling the heap as data flows: the attachment is never held in
// memory, and the verdict on the valid message is integrity protected with
// a valid signature and the attachment's exact size and SHA-256.
func TestLargeMessagePeakHeap(t *testing.T) {
	size := int64(100 << 20)
	if testing.Short() || raceEnabled {
		size = 8 << 20
	}
	const limit = 32 << 20
	p := newTestProfile(t)
	if _, err := p.Keys().GenerateKey("Alice", "alice@example.org", crypto.AlgoCurve25519, 0); err != nil {
		t.Fatal(err)
	}
	sum := sha256.New()
	if _, err := io.Copy(sum, &pattern{size: size}); err != nil {
		t.Fatal(err)
	}
	want := hex.EncodeToString(sum.Sum(nil))

	path := filepath.Join(t.TempDir(), "big.eml")
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	composing := newHeapPeak(4 << 20)
	d := backend.Draft{To: []string{"alice@example.org"}, Subject: "the data", Body: "Here it is.\n", Attachments: []backend.Attachment{{
		Filename: "data.bin", Open: func() (io.ReadCloser, error) { return &pattern{size: size, heap: composing}, nil },
	}}}
	if err := p.Composer().ComposeTo(out, "alice@example.org", d, backend.Security{}); err != nil {
		t.Fatalf("ComposeTo: %v", err)
	}
	st, err := out.Stat()
	if err != nil {
		t.Fatal(err)
	}

	inspecting := newHeapPeak(4 << 20)
	v, err := p.Inspector().InspectFrom(sampledFile{out, inspecting}, st.Size())
	if err != nil {
		t.Fatalf("InspectFrom: %v", err)
	}
	t.Logf("%d MiB attachment, %d MB message: peak heap growth composing %.1f MB, inspecting %.1f MB",
		size>>20, st.Size()>>20, float64(composing.peak)/1e6, float64(inspecting.peak)/1e6)
	if !v.Encrypted || !v.IntegrityProtected || v.Signature.Status != crypto.SigValid || !v.Signature.SignerMatchesFrom {
		t.Errorf("verdict = encrypted %v, integrity %v, signature %+v, warnings %q; want encrypted, integrity protected, signed by the sender",
			v.Encrypted, v.IntegrityProtected, v.Signature, v.Warnings)
	}
	if v.BodyText != "Here it is." || v.Subject != "the data" || len(v.Attachments) != 1 {
		t.Fatalf("body %q, subject %q, attachments %+v", v.BodyText, v.Subject, v.Attachments)
	}
	if a := v.Attachments[0]; a.Filename != "data.bin" || a.Size != size || a.SHA256 != want || a.Data != nil {
		t.Errorf("attachment = %s, %d bytes, SHA-256 %s, %d bytes of data; want data.bin, %d bytes, %s, no data",
			a.Filename, a.Size, a.SHA256, len(a.Data), size, want)
	}
	if composing.peak > limit || inspecting.peak > limit {
		t.Errorf("peak heap growth = %d bytes composing, %d inspecting; want each under %d", composing.peak, inspecting.peak, limit)
	}
}

// failingReader fails after n bytes.
type failingReader struct{ n int }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errAttachmentGone
	}
	k := min(len(p), f.n)
	clear(p[:k])
	f.n -= k
	return k, nil
}

func (f *failingReader) Close() error { return nil }

var errAttachmentGone = errors.New("the attachment went away")

// TestComposeToAttachmentFails: an attachment that cannot be read to its end
// fails the composition with that error, in every mode.
func TestComposeToAttachmentFails(t *testing.T) {
	p := newTestProfile(t)
	if _, err := p.Keys().GenerateKey("Alice", "alice@example.org", crypto.AlgoCurve25519, 0); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{ModeEncrypt, ModeSign, ModePlain} {
		t.Run(mode, func(t *testing.T) {
			d := backend.Draft{To: []string{"alice@example.org"}, Subject: "x", Attachments: []backend.Attachment{{Filename: "a.bin",
				Open: func() (io.ReadCloser, error) { return &failingReader{n: 1 << 20}, nil }}}}
			err := p.Composer().ComposeTo(io.Discard, "alice@example.org", d, backend.Security{Mode: mode})
			if !errors.Is(err, errAttachmentGone) || !strings.Contains(err.Error(), "a.bin") {
				t.Errorf("ComposeTo error = %v, want the attachment's error naming it", err)
			}
		})
	}
}
