package crypto

import (
	"bytes"
	"io"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// Benchmarks against GnuPG, in one run:
//
//	go test -run XXX -bench . ./crypto
//
// Both sides use an ed25519/cv25519 key, sign then encrypt, no compression,
// binary output; gpg runs as a process with the data on stdin and stdout.

const (
	largeSize  = 10 << 20 // one large message
	smallSize  = 5 << 10  // each small message
	smallCount = 1000     // small messages per "ours" iteration
	gpgSmallN  = 50       // gpg processes per small-message iteration
)

// discardStaging counts and drops plaintext (the benchmark's gpg output is
// drained the same way).
type discardStaging struct{ n int64 }

func (s *discardStaging) Write(p []byte) (int, error) { s.n += int64(len(p)); return len(p), nil }
func (s *discardStaging) Commit() error               { return nil }
func (s *discardStaging) Discard()                    {}

// benchKeys is the key pair for our side, made once.
type benchKeys struct {
	secret, public *Key
}

var (
	benchOnce sync.Once
	benchK    benchKeys
)

func ourKeys(b *testing.B) benchKeys {
	benchOnce.Do(func() {
		k, err := GenerateKey(GenerateOptions{Name: "Bench", Email: "bench@sealpost.test", Now: t0})
		if err != nil {
			panic(err)
		}
		benchK = benchKeys{secret: k, public: k.Public()}
	})
	return benchK
}

// gpgBench is a GnuPG home with an unprotected ed25519/cv25519 key.
type gpgBench struct {
	g   *gpgHome
	fpr string
}

func newGPGBench(b *testing.B) gpgBench {
	g := newGPG(b)
	fpr := g.genKey("GPG Bench <gpgbench@sealpost.test>", "")
	return gpgBench{g: g, fpr: fpr}
}

func (gb gpgBench) encryptArgs() []string {
	return []string{"--quiet", "--trust-model", "always", "--compress-algo", "none", "-u", gb.fpr, "-r", gb.fpr, "--sign", "--encrypt"}
}

// runGPG runs gpg with in on stdin and out on stdout and fails on a non-zero exit.
func (gb gpgBench) runGPG(b *testing.B, in []byte, out io.Writer, args ...string) {
	var stderr bytes.Buffer
	c := gb.g.cmd(bytes.NewReader(in), out, args...)
	c.Stderr = &stderr
	if err := c.Run(); err != nil {
		b.Fatalf("gpg %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	if args[len(args)-1] == "--decrypt" && !strings.Contains(stderr.String(), "[GNUPG:] GOODSIG") {
		b.Fatalf("gpg --decrypt did not report a good signature:\n%s", stderr.String())
	}
}

// oursEncrypt encrypts and signs data to the bench key.
func oursEncrypt(b *testing.B, k benchKeys, dst io.Writer, data []byte) {
	w, err := Encrypt(dst, EncryptOptions{Recipients: []*Key{k.public}, Signer: k.secret, Now: t0, Binary: true})
	if err != nil {
		b.Fatalf("Encrypt: %v", err)
	}
	if _, err := w.Write(data); err != nil {
		b.Fatalf("Write: %v", err)
	}
	if err := w.Close(); err != nil {
		b.Fatalf("Close: %v", err)
	}
}

// oursDecrypt decrypts and verifies msg.
func oursDecrypt(b *testing.B, k benchKeys, msg []byte) {
	st := &discardStaging{}
	v, err := Decrypt(bytes.NewReader(msg), st, DecryptOptions{Keys: []*Key{k.secret}, Verifiers: []*Key{k.public}, Now: t0})
	if err != nil || v.Signature.Status != SigValid {
		b.Fatalf("Decrypt = %+v, %v, want a valid signature", v.Signature, err)
	}
}

// speeds keeps the measured ns per operation so that the gpg benchmarks can
// report the ratio to ours.
var speeds sync.Map

func record(b *testing.B, name string) float64 {
	ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	speeds.Store(name, ns)
	return ns
}

// reportRatio reports how many times faster ours is than gpg.
func reportRatio(b *testing.B, ours string, gpgNs float64) {
	if v, ok := speeds.Load(ours); ok {
		b.ReportMetric(gpgNs/v.(float64), "x-ours-vs-gpg")
	}
}

func BenchmarkLarge(b *testing.B) {
	data := payload(largeSize)
	b.Run("encrypt-sign/ours", func(b *testing.B) {
		k := ourKeys(b)
		var out bytes.Buffer
		out.Grow(largeSize + 1<<20)
		b.SetBytes(largeSize)
		for b.Loop() {
			out.Reset()
			oursEncrypt(b, k, &out, data)
		}
		record(b, "large-enc")
	})
	b.Run("decrypt-verify/ours", func(b *testing.B) {
		k := ourKeys(b)
		var msg bytes.Buffer
		oursEncrypt(b, k, &msg, data)
		b.SetBytes(largeSize)
		for b.Loop() {
			oursDecrypt(b, k, msg.Bytes())
		}
		record(b, "large-dec")
	})
	if _, err := exec.LookPath("gpg"); err != nil {
		b.Skip("gpg is not installed: no comparison")
	}
	gb := newGPGBench(b)
	b.Run("encrypt-sign/gpg", func(b *testing.B) {
		var out bytes.Buffer
		out.Grow(largeSize + 1<<20)
		b.SetBytes(largeSize)
		for b.Loop() {
			out.Reset()
			gb.runGPG(b, data, &out, gb.encryptArgs()...)
		}
		reportRatio(b, "large-enc", record(b, "gpg-large-enc"))
	})
	b.Run("decrypt-verify/gpg", func(b *testing.B) {
		var msg bytes.Buffer
		gb.runGPG(b, data, &msg, gb.encryptArgs()...)
		b.SetBytes(largeSize)
		for b.Loop() {
			gb.runGPG(b, msg.Bytes(), io.Discard, "--quiet", "--decrypt")
		}
		reportRatio(b, "large-dec", record(b, "gpg-large-dec"))
	})
}

// reportMsgs reports messages per second for n messages per iteration.
func reportMsgs(b *testing.B, n int) float64 {
	perMsg := float64(b.Elapsed().Nanoseconds()) / float64(b.N) / float64(n)
	b.ReportMetric(float64(time.Second)/perMsg, "msgs/s")
	return perMsg
}

func BenchmarkSmall(b *testing.B) {
	data := payload(smallSize)
	b.Run("encrypt-sign/ours", func(b *testing.B) {
		k := ourKeys(b)
		var out bytes.Buffer
		for b.Loop() {
			for range smallCount {
				out.Reset()
				oursEncrypt(b, k, &out, data)
			}
		}
		speeds.Store("small-enc", reportMsgs(b, smallCount))
	})
	b.Run("decrypt-verify/ours", func(b *testing.B) {
		k := ourKeys(b)
		var msg bytes.Buffer
		oursEncrypt(b, k, &msg, data)
		for b.Loop() {
			for range smallCount {
				oursDecrypt(b, k, msg.Bytes())
			}
		}
		speeds.Store("small-dec", reportMsgs(b, smallCount))
	})
	if _, err := exec.LookPath("gpg"); err != nil {
		b.Skip("gpg is not installed: no comparison")
	}
	gb := newGPGBench(b)
	b.Run("encrypt-sign/gpg", func(b *testing.B) {
		var out bytes.Buffer
		for b.Loop() {
			for range gpgSmallN {
				out.Reset()
				gb.runGPG(b, data, &out, gb.encryptArgs()...)
			}
		}
		reportRatio(b, "small-enc", reportMsgs(b, gpgSmallN))
	})
	b.Run("decrypt-verify/gpg", func(b *testing.B) {
		var msg bytes.Buffer
		gb.runGPG(b, data, &msg, gb.encryptArgs()...)
		for b.Loop() {
			for range gpgSmallN {
				gb.runGPG(b, msg.Bytes(), io.Discard, "--quiet", "--decrypt")
			}
		}
		reportRatio(b, "small-dec", reportMsgs(b, gpgSmallN))
	})
}

// BenchmarkStream100MB encrypts 100 MB into a pipe and decrypts it on the
// other end, reporting the peak heap growth.
func BenchmarkStream100MB(b *testing.B) {
	b.SetBytes(100 << 20)
	var peak uint64
	for b.Loop() {
		peak = max(peak, streamRoundTrip(b, 100<<20, false))
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}

// BenchmarkArmored10MB measures our armored (ASCII) messages, the form
// PGP/MIME mail uses.
func BenchmarkArmored10MB(b *testing.B) {
	data := payload(largeSize)
	k := ourKeys(b)
	b.Run("encrypt-sign", func(b *testing.B) {
		var out bytes.Buffer
		out.Grow(largeSize * 14 / 10)
		b.SetBytes(largeSize)
		for b.Loop() {
			out.Reset()
			w, err := Encrypt(&out, EncryptOptions{Recipients: []*Key{k.public}, Signer: k.secret, Now: t0, Binary: true, Armor: true})
			if err != nil {
				b.Fatalf("Encrypt: %v", err)
			}
			if _, err := w.Write(data); err != nil {
				b.Fatalf("Write: %v", err)
			}
			if err := w.Close(); err != nil {
				b.Fatalf("Close: %v", err)
			}
		}
	})
	b.Run("decrypt-verify", func(b *testing.B) {
		msg, err := EncryptBytes(data, EncryptOptions{Recipients: []*Key{k.public}, Signer: k.secret, Now: t0, Binary: true, Armor: true})
		if err != nil {
			b.Fatalf("EncryptBytes: %v", err)
		}
		b.SetBytes(largeSize)
		for b.Loop() {
			oursDecrypt(b, k, msg)
		}
	})
}
