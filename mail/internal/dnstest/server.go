package dnstest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// unboundBin is where Debian installs unbound.
const unboundBin = "/usr/sbin/unbound"

// requireEnv turns a skip for a missing server into a failure.
const requireEnv = "SEALPOST_REQUIRE_SERVERS"

// readyTimeout bounds unbound's start-up.
const readyTimeout = 20 * time.Second

// Server is a running unbound that answers for the test's zones on
// loopback, as a recursive resolver would: with the AD bit for answers
// from signed zones that validate. It stops when the test ends.
type Server struct {
	// Addr is the resolver's host:port (UDP and TCP) on 127.0.0.1.
	Addr string
}

// Start runs unbound for zones. It skips the test when unbound is not
// installed, unless SEALPOST_REQUIRE_SERVERS=1.
func Start(t testing.TB, zones ...*Zone) *Server {
	t.Helper()
	if _, err := os.Stat(unboundBin); err != nil {
		msg := "dnstest: unbound is not installed (apt-get install -y --no-install-recommends unbound)"
		if os.Getenv(requireEnv) == "1" {
			t.Fatalf("%s; %s=1 requires it", msg, requireEnv)
		}
		t.Skip(msg)
	}
	dir := t.TempDir()
	var conf bytes.Buffer
	var auth bytes.Buffer
	var anchors []string
	for _, z := range zones {
		rrs, ds, err := z.records()
		if err != nil {
			t.Fatalf("dnstest: zone %s: %v", z.origin, err)
		}
		var zf bytes.Buffer
		for _, r := range rrs {
			zf.WriteString(r.String())
			zf.WriteByte('\n')
		}
		file := filepath.Join(dir, strings.TrimSuffix(z.origin, ".")+".zone")
		if err := os.WriteFile(file, zf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&auth, "auth-zone:\n  name: %q\n  zonefile: %q\n  for-downstream: no\n  for-upstream: yes\n  fallback-enabled: no\n", z.origin, file)
		if ds != nil {
			anchors = append(anchors, ds.String())
		}
	}
	for attempt := 0; ; attempt++ {
		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		conf.Reset()
		writeServerConf(&conf, dir, port, anchors)
		conf.Write(auth.Bytes())
		confFile := filepath.Join(dir, "unbound.conf")
		if err := os.WriteFile(confFile, conf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		err = run(t, confFile, addr, zones)
		if err == nil {
			return &Server{Addr: addr}
		}
		if attempt == 2 {
			t.Fatalf("dnstest: unbound did not start: %v", err)
		}
	}
}

// writeServerConf writes unbound's server section: loopback only, no
// privileges dropped, no chroot, no daemon, small caches, the
// names RFC 6761 reserves for tests (test., invalid.) served, validation with the signed zones' keys as the
// only trust anchors (names outside them are insecure, never bogus).
func writeServerConf(w *bytes.Buffer, dir string, port int, anchors []string) {
	fmt.Fprintf(w, `server:
  interface: 127.0.0.1
  port: %d
  do-ip6: no
  do-not-query-localhost: no
  access-control: 127.0.0.0/8 allow
  username: ""
  chroot: ""
  directory: %q
  pidfile: ""
  use-syslog: no
  logfile: ""
  verbosity: 1
  do-daemonize: no
  module-config: "validator iterator"
  qname-minimisation: no
  local-zone: "test." nodefault
  local-zone: "invalid." nodefault
  msg-cache-size: 1m
  rrset-cache-size: 1m
  key-cache-size: 1m
  neg-cache-size: 1m
  val-log-level: 2
`, port, dir)
	for _, a := range anchors {
		fmt.Fprintf(w, "  trust-anchor: %q\n", strings.ReplaceAll(a, "\t", " "))
	}
}

// freePort returns a port free on 127.0.0.1 for both UDP and TCP a moment
// ago; another process may take it before unbound binds it, which run
// reports and Start retries.
func freePort() (int, error) {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	u, err := net.ListenPacket("udp4", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	u.Close()
	return port, nil
}

// run starts unbound with confFile and waits until it answers for the
// first zone (or the root, without zones). The process is killed when the
// test ends.
func run(t testing.TB, confFile, addr string, zones []*Zone) error {
	var stderr bytes.Buffer
	cmd := exec.Command(unboundBin, "-d", "-c", confFile)
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start unbound: %w", err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	stop := func() {
		cmd.Process.Kill()
		<-exited
	}
	probe := "."
	if len(zones) > 0 {
		probe = zones[0].origin
	}
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	if err := waitAnswers(ctx, addr, probe, exited); err != nil {
		stop()
		return fmt.Errorf("%w; unbound said: %s", err, strings.TrimSpace(stderr.String()))
	}
	t.Cleanup(stop)
	return nil
}

// waitAnswers asks addr for the SOA of name until it answers, the process
// exits or ctx ends. Each try waits for its answer (up to 200 ms), so the
// loop waits on the server, not on a clock.
func waitAnswers(ctx context.Context, addr, name string, exited <-chan struct{}) error {
	c := &dns.Client{Timeout: 200 * time.Millisecond}
	m := new(dns.Msg)
	m.SetQuestion(name, dns.TypeSOA)
	for {
		select {
		case <-exited:
			return errors.New("unbound exited during start-up")
		case <-ctx.Done():
			return fmt.Errorf("unbound did not answer on %s within %v", addr, readyTimeout)
		default:
		}
		r, _, err := c.ExchangeContext(ctx, m, addr)
		if err == nil && r.Rcode == dns.RcodeSuccess {
			return nil
		}
		var ne net.Error
		if err == nil || !(errors.As(err, &ne) && ne.Timeout()) {
			// Refused (not listening yet) or not serving the zone yet:
			// give the process a moment.
			select {
			case <-exited:
				return errors.New("unbound exited during start-up")
			case <-time.After(10 * time.Millisecond):
			}
		}
	}
}

// Stalled returns the address of a "resolver" on 127.0.0.1 that reads
// queries (UDP and TCP) and never answers, for tests of deadlines.
func Stalled(t testing.TB) string {
	t.Helper()
	u, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := u.LocalAddr().(*net.UDPAddr).Port
	l, err := net.Listen("tcp4", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		u.Close()
		t.Skipf("dnstest: the TCP port of the stalled resolver is taken: %v", err)
	}
	done := make(chan struct{})
	go func() {
		buf := make([]byte, 512)
		for {
			if _, _, err := u.ReadFrom(buf); err != nil {
				return
			}
		}
	}()
	go func() {
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
			close(done)
		}()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c) // held open, never answered
		}
	}()
	t.Cleanup(func() {
		u.Close()
		l.Close()
		<-done
	})
	return u.LocalAddr().String()
}
