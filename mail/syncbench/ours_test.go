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

// childRequest tells the child which profile to sync.
type childRequest struct {
	Dir         string
	CAPEM       []byte
	HeadersOnly bool
	// CPUProfile, if set, is the file the child writes a CPU profile of
	// the sync to.
	CPUProfile string
}

// childReport is what the child prints on its standard output.
type childReport struct {
	Seconds float64
	// StoredSeconds is when the sync's last progress event came: the new
	// messages were all fetched and stored then. What follows is the rest
	// of Profile.Sync (flag refresh, post-processing). 0 without new mail.
	StoredSeconds float64
	// PeakRSSKiB is the child's VmHWM. The rusage of a child says less:
	// Go starts children with vfork (CLONE_VM), and Linux carries the
	// parent's high-water RSS from the shared address space into the
	// child's ru_maxrss at exec, so a benchmark process that once held 180
	// MB would make every child look as big.
	PeakRSSKiB int64
}

// syncRun is one measured sync of ours.
type syncRun struct {
	elapsed time.Duration
	stored  time.Duration // until the last new message was stored
	peakRSS int64         // bytes, of the whole child process
}

// ours is a Sealpost profile with one account on the test servers, synced
// by child processes.
type ours struct {
	dir, account string
	caPEM        []byte
}

// newOurs creates a profile in dir with the account of user on srv (IMAP
// and SMTP over implicit TLS, the servers' CA trusted) and closes it again.
func newOurs(ctx context.Context, srv *testservers.Servers, user, dir string) (*ours, error) {
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
	_, err = p.AddAccount(ctx, mail.AccountSettings{
		Email: user, Secret: []byte(srv.Users[user]), IMAP: imapServer, SMTP: smtpServer,
	}, nil)
	if err != nil {
		return nil, fmt.Errorf("add account %s: %w", user, err)
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
// again with childEnv set) and returns the time the sync took, as the child
// measured it, and the child's peak RSS. A cpuProfile path makes the child
// write a CPU profile of the sync there.
func (o *ours) sync(headersOnly bool, cpuProfile string) (syncRun, error) {
	req, err := json.Marshal(childRequest{Dir: o.dir, CAPEM: o.caPEM, HeadersOnly: headersOnly, CPUProfile: cpuProfile})
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
		peakRSS: rep.PeakRSSKiB << 10,
	}, nil
}

// count returns how many messages of INBOX the profile holds and how many
// of them are stored offline.
func (o *ours) count() (total, offline int, err error) {
	p, err := openProfile(o.dir, o.caPEM)
	if err != nil {
		return 0, 0, err
	}
	defer p.Close()
	sums, err := p.ListMessages(o.account, "INBOX", 1<<30)
	if err != nil {
		return 0, 0, fmt.Errorf("list the synced messages: %w", err)
	}
	for _, s := range sums {
		if s.Offline {
			offline++
		}
	}
	return len(sums), offline, nil
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

// runChild is the child's work: unlock the profile, sync INBOX once, and
// print the sync's duration.
func runChild(reqJSON string) error {
	var req childRequest
	if err := json.Unmarshal([]byte(reqJSON), &req); err != nil {
		return fmt.Errorf("decode %s: %w", childEnv, err)
	}
	p, err := openProfile(req.Dir, req.CAPEM)
	if err != nil {
		return err
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), syncTimeout)
	defer cancel()
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
	var lastProgress atomic.Int64 // nanoseconds since start
	start := time.Now()
	err = p.Sync(ctx, mail.SyncRequest{
		Folder: "INBOX", HeadersOnly: req.HeadersOnly,
		Progress: func(imapsync.Progress) { lastProgress.Store(int64(time.Since(start))) },
	})
	elapsed := time.Since(start)
	if req.CPUProfile != "" {
		pprof.StopCPUProfile()
	}
	if err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	if err := p.Close(); err != nil {
		return fmt.Errorf("close profile: %w", err)
	}
	peak, err := peakRSSKiB()
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(childReport{
		Seconds: elapsed.Seconds(), StoredSeconds: time.Duration(lastProgress.Load()).Seconds(), PeakRSSKiB: peak,
	})
}

// errNoVmHWM means /proc/self/status has no VmHWM line (not Linux?).
var errNoVmHWM = errors.New("no VmHWM in /proc/self/status: peak RSS is measured on Linux only")

// peakRSSKiB returns the process's peak resident set size so far (VmHWM).
func peakRSSKiB() (int64, error) {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, fmt.Errorf("read peak RSS: %w", err)
	}
	for line := range strings.Lines(string(status)) {
		value, ok := strings.CutPrefix(line, "VmHWM:")
		if !ok {
			continue
		}
		kib, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(value), "kB")), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("parse VmHWM %q: %w", strings.TrimSpace(value), err)
		}
		return kib, nil
	}
	return 0, errNoVmHWM
}
