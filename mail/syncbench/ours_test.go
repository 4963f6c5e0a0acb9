//go:build linux

package syncbench

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail"
	"github.com/sealpost/sealpost/mail/imapsync"
	"github.com/sealpost/sealpost/mail/testservers"
)

// childEnv names the environment variable that turns the test binary into
// the child that runs one sync (see TestMain); it holds a childRequest in
// JSON.
const childEnv = "SEALPOST_SYNCBENCH_CHILD"

// syncTimeout bounds one sync of ours.
const syncTimeout = 30 * time.Minute

// cheapKDF keeps profile creation and unlocking out of the measurements.
var cheapKDF = localstore.KDFParams{Time: 1, MemoryKiB: 1 << 10, Threads: 1}

// benchPassphrase protects the throwaway profiles.
var benchPassphrase = []byte("syncbench passphrase 42")

// Modes of the child.
const (
	// modeSync is a sync as `sealpost sync` runs it, indexing included.
	modeSync = "sync"
	// modeSessionResync times a sync inside a running session: through the
	// session's logged-in connection, after a first one (see childSync).
	modeSessionResync = "session-resync"
)

// childRequest tells the child which profile to sync, and how.
type childRequest struct {
	Dir         string
	CAPEM       []byte
	HeadersOnly bool
	Mode        string
	// CPUProfile, if set, is the file the child writes a CPU profile of
	// the sync to.
	CPUProfile string
	// MemProfile, if set, is the file the child writes heap profiles to,
	// each time its anonymous RSS grew by memProfileStep since the last.
	MemProfile string
}

// childReport is what the child prints on its standard output.
type childReport struct {
	Seconds float64
	// StoredSeconds is when the sync's last progress event came: the new
	// messages were all fetched and stored then. What follows is the rest
	// of the sync (flag refresh, post-processing). 0 without new mail.
	StoredSeconds float64
	// PeakRSSKiB is the child's VmHWM. The rusage of a child says less:
	// Go starts children with vfork (CLONE_VM), and Linux carries the
	// parent's high-water RSS from the shared address space into the
	// child's ru_maxrss at exec, so a benchmark process that once held 180
	// MB would make every child look as big.
	PeakRSSKiB int64
	// PeakAnonKiB and PeakFileKiB are the largest anonymous (heap, stacks)
	// and file-backed (the profile's memory-mapped file, the binary) RSS
	// seen by sampling every rssSampleEvery: what the peak is made of.
	PeakAnonKiB, PeakFileKiB int64
}

// syncRun is one measured sync of ours.
type syncRun struct {
	elapsed time.Duration
	stored  time.Duration // until the last new message was stored
	peakRSS int64         // bytes, of the whole child process
	// peakAnon and peakFile are the sampled peaks of the anonymous and
	// file-backed RSS, in bytes.
	peakAnon, peakFile int64
}

// ours is a Sealpost profile with one account on the test servers, synced
// by child processes.
type ours struct {
	dir, account string
	caPEM        []byte
}

// newOurs creates a profile in dir with the account of user on srv (IMAP
// and SMTP over implicit TLS, the servers' CA trusted) and the secret key
// ownKey (if any), and closes it again.
func newOurs(ctx context.Context, srv *testservers.Servers, user, dir string, ownKey []byte) (*ours, error) {
	p, err := mail.CreateProfile(dir, benchPassphrase, &mail.ProfileOptions{
		Store: &localstore.Options{KDF: &cheapKDF}, RootCAs: srv.CA,
	})
	if err != nil {
		return nil, fmt.Errorf("create profile: %w", err)
	}
	defer p.Close()
	imapServer, err := serverOf(srv.IMAPTLS)
	if err != nil {
		return nil, err
	}
	smtpServer, err := serverOf(srv.SMTPTLS)
	if err != nil {
		return nil, err
	}
	_, err = p.Accounts().Add(ctx, mail.AccountSettings{
		Email: user, Secret: []byte(srv.Users[user]), IMAP: imapServer, SMTP: smtpServer,
	}, nil)
	if err != nil {
		return nil, fmt.Errorf("add account %s: %w", user, err)
	}
	if ownKey != nil {
		if _, err := p.Keys().ImportKeys(ownKey, nil); err != nil {
			return nil, fmt.Errorf("import the own key: %w", err)
		}
	}
	if err := p.Close(); err != nil {
		return nil, fmt.Errorf("close profile: %w", err)
	}
	return &ours{dir: dir, account: user, caPEM: srv.CAPEM}, nil
}

// serverOf turns host:port into an implicit-TLS server.
func serverOf(addr string) (mail.Server, error) {
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		return mail.Server{}, fmt.Errorf("server address %q: %w", addr, err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return mail.Server{}, fmt.Errorf("server port %q: %w", portText, err)
	}
	return mail.Server{Host: host, Port: port, Security: "tls"}, nil
}

// sync syncs INBOX of the profile in a child process (the test binary run
// again with childEnv set) as mode says, and returns the time the sync took,
// as the child measured it, and the child's peak RSS. Profile paths make the
// child write CPU and heap profiles there.
func (o *ours) sync(mode string, headersOnly bool, cpuProfile, memProfile string) (syncRun, error) {
	req, err := json.Marshal(childRequest{Dir: o.dir, CAPEM: o.caPEM, HeadersOnly: headersOnly, Mode: mode,
		CPUProfile: cpuProfile, MemProfile: memProfile})
	if err != nil {
		return syncRun{}, fmt.Errorf("encode the child's request: %w", err)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+string(req))
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return syncRun{}, fmt.Errorf("child sync: %w\n%s", err, stderr.Bytes())
	}
	var rep childReport
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		return syncRun{}, fmt.Errorf("child sync printed %q: %w", stdout.Bytes(), err)
	}
	return syncRun{
		elapsed: time.Duration(rep.Seconds * float64(time.Second)),
		stored:  time.Duration(rep.StoredSeconds * float64(time.Second)),
		peakRSS: rep.PeakRSSKiB << 10, peakAnon: rep.PeakAnonKiB << 10, peakFile: rep.PeakFileKiB << 10,
	}, nil
}

// stored is what a profile of ours holds of INBOX.
type stored struct {
	total, offline int
	// indexed is how many messages have a search record; placeholders how
	// many summaries still show the "[...]" subject of header protection.
	indexed, placeholders int
}

// count returns what the profile holds of INBOX.
func (o *ours) count() (stored, error) {
	p, err := openProfile(o.dir, o.caPEM)
	if err != nil {
		return stored{}, err
	}
	sums, err := p.Messages().List(o.account, "INBOX", 1<<30)
	p.Close()
	if err != nil {
		return stored{}, fmt.Errorf("list the synced messages: %w", err)
	}
	st := stored{total: len(sums)}
	for _, s := range sums {
		if s.Offline {
			st.offline++
		}
		if s.Subject == "[...]" {
			st.placeholders++
		}
	}
	store, err := localstore.Open(o.dir, benchPassphrase, nil)
	if err != nil {
		return stored{}, fmt.Errorf("open the store: %w", err)
	}
	defer store.Close()
	indexed, err := store.SearchIndex().Indexed(o.account, "INBOX")
	if err != nil {
		return stored{}, err
	}
	st.indexed = len(indexed)
	return st, nil
}

// openProfile unlocks the profile in dir, trusting the CA in caPEM.
func openProfile(dir string, caPEM []byte) (*mail.Profile, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, errors.New("the test CA is not PEM")
	}
	p, err := mail.OpenProfile(dir, benchPassphrase, &mail.ProfileOptions{RootCAs: pool})
	if err != nil {
		return nil, fmt.Errorf("open profile %s: %w", filepath.Base(dir), err)
	}
	return p, nil
}

// runChild is the child's work: unlock the profile, sync INBOX as the
// request's mode says, and print the sync's duration and peak RSS.
func runChild(reqJSON string) error {
	var req childRequest
	if err := json.Unmarshal([]byte(reqJSON), &req); err != nil {
		return fmt.Errorf("decode %s: %w", childEnv, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), syncTimeout)
	defer cancel()
	sampler := startRSSSampler(req.MemProfile)
	var lastProgress atomic.Int64 // nanoseconds since start
	var start time.Time
	sreq := mail.SyncRequest{
		Folder: "INBOX", HeadersOnly: req.HeadersOnly,
		Progress: func(imapsync.Progress) { lastProgress.Store(int64(time.Since(start))) },
	}
	run, closeRun, err := childSync(req)
	if err != nil {
		return err
	}
	if req.CPUProfile != "" {
		f, err := os.Create(req.CPUProfile)
		if err != nil {
			return fmt.Errorf("create CPU profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("start CPU profile: %w", err)
		}
	}
	start = time.Now()
	err = run(ctx, sreq)
	elapsed := time.Since(start)
	if req.CPUProfile != "" {
		pprof.StopCPUProfile()
	}
	if err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	anon, file := sampler.stop()
	closeRun()
	peak, err := peakRSSKiB()
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(childReport{
		Seconds: elapsed.Seconds(), StoredSeconds: time.Duration(lastProgress.Load()).Seconds(), PeakRSSKiB: peak,
		PeakAnonKiB: anon, PeakFileKiB: file,
	})
}

// rssSampleEvery is how often the child samples its RSS.
const rssSampleEvery = 20 * time.Millisecond

// memProfileStep is how much the anonymous RSS must grow before the child
// writes another heap profile.
const memProfileStep = 8 << 10 // KiB

// rssSampler records the largest anonymous and file-backed RSS of the
// process, and writes heap profiles as the anonymous RSS grows.
type rssSampler struct {
	done       chan struct{}
	stopped    chan struct{}
	anon, file int64 // KiB
}

// startRSSSampler starts sampling; memProfile, if set, is the heap profile
// file.
func startRSSSampler(memProfile string) *rssSampler {
	s := &rssSampler{done: make(chan struct{}), stopped: make(chan struct{})}
	go func() {
		defer close(s.stopped)
		tick := time.NewTicker(rssSampleEvery)
		defer tick.Stop()
		var profiled int64
		for {
			anon, file := rssParts()
			s.anon, s.file = max(s.anon, anon), max(s.file, file)
			if memProfile != "" && anon > profiled+memProfileStep {
				profiled = anon
				writeHeapProfile(memProfile)
			}
			select {
			case <-s.done:
				return
			case <-tick.C:
			}
		}
	}()
	return s
}

// stop ends the sampling and returns the peaks in KiB.
func (s *rssSampler) stop() (anon, file int64) {
	close(s.done)
	<-s.stopped
	return s.anon, s.file
}

// writeHeapProfile writes the heap profile to path, replacing it; failures
// only cost the diagnosis.
func writeHeapProfile(path string) {
	f, err := os.Create(path)
	if err != nil {
		return
	}
	defer f.Close()
	_ = pprof.WriteHeapProfile(f)
}

// rssParts returns RssAnon and RssFile of /proc/self/status in KiB (0 when
// unknown).
func rssParts() (anon, file int64) {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, 0
	}
	anon, _ = statusKiB(status, "RssAnon:")
	file, _ = statusKiB(status, "RssFile:")
	return anon, file
}

// errNoVmHWM means /proc/self/status has no VmHWM line (not Linux?).
var errNoVmHWM = errors.New("no VmHWM in /proc/self/status: peak RSS is measured on Linux only")

// peakRSSKiB returns the process's peak resident set size so far (VmHWM).
func peakRSSKiB() (int64, error) {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, fmt.Errorf("read peak RSS: %w", err)
	}
	return statusKiB(status, "VmHWM:")
}

// statusKiB returns the value in KiB of the field of /proc/self/status.
func statusKiB(status []byte, field string) (int64, error) {
	for line := range strings.Lines(string(status)) {
		value, ok := strings.CutPrefix(line, field)
		if !ok {
			continue
		}
		kib, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(value), "kB")), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("parse %s %q: %w", field, strings.TrimSpace(value), err)
		}
		return kib, nil
	}
	if field == "VmHWM:" {
		return 0, errNoVmHWM
	}
	return 0, fmt.Errorf("no %s in /proc/self/status", field)
}
