package testservers

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// errAddrInUse reports that a server could not bind a port picked for it,
// because something else took the port in between; the caller retries with
// new ports.
var errAddrInUse = errors.New("port taken by another process")

const (
	// readyTimeout bounds how long a server may take to accept connections.
	readyTimeout = 20 * time.Second
	// stopTimeout bounds how long a server's processes may take to
	// disappear after SIGKILL.
	stopTimeout = 10 * time.Second
	// pollInterval is how often readiness and exit are checked.
	pollInterval = 5 * time.Millisecond
)

// loopbackHost is the address the servers listen on.
const loopbackHost = "127.0.0.1"

// freePort returns a TCP port on host that was free a moment ago. Another
// process may take it before the server binds it, which the server start-up
// reports as errAddrInUse.
func freePort(host string) (int, error) {
	l, err := net.Listen("tcp4", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, fmt.Errorf("find a free port on %s: %w", host, err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// greeting is a server's listener that waitReady checks: it must greet
// with prefix, over TLS that verifies with roots if roots is not nil.
type greeting struct {
	addr   string
	roots  *x509.CertPool
	prefix string
}

// check connects once and reads the greeting.
func (g greeting) check() error {
	conn, err := net.DialTimeout("tcp4", g.addr, time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(time.Second))
	if g.roots != nil {
		tc := tls.Client(conn, &tls.Config{RootCAs: g.roots, ServerName: "localhost", MinVersion: tls.VersionTLS12})
		if err := tc.Handshake(); err != nil {
			return err
		}
		conn = tc
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return fmt.Errorf("read the greeting: %w", err)
	}
	if !strings.HasPrefix(line, g.prefix) {
		return fmt.Errorf("greeting %q, want %q", line, g.prefix)
	}
	return nil
}

// waitReady waits until every listener greets as the server does: a port
// that merely accepts may belong to another process that took it. It gives
// up when exited is closed (the server died) or after readyTimeout.
func waitReady(listeners []greeting, exited <-chan struct{}) error {
	deadline := time.Now().Add(readyTimeout)
	ticker := time.NewTicker(pollInterval)
	defer ticker.Stop()
	for _, l := range listeners {
		for {
			select {
			case <-exited:
				return errors.New("the server exited during start-up")
			default:
			}
			err := l.check()
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s is not ready after %v: %w", l.addr, readyTimeout, err)
			}
			select {
			case <-exited:
				return errors.New("the server exited during start-up")
			case <-ticker.C:
			}
		}
	}
	return nil
}

// daemon is a server's process group: a master process and the children it
// forks, which stay in the master's process group.
type daemon struct {
	name string
	pgid int // the master's pid
}

// becomeSubreaper makes this process adopt the orphans of the servers it
// starts (a daemonized master, a master's children after it dies), so that
// stop can reap them: otherwise they would stay zombies wherever init does
// not reap orphans, as in some containers.
func becomeSubreaper() error {
	const prSetChildSubreaper = 36 // PR_SET_CHILD_SUBREAPER from <linux/prctl.h>
	if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0); errno != 0 {
		return fmt.Errorf("become child subreaper: %w", errno)
	}
	return nil
}

// stop kills the server's whole process group and reaps it, waiting until
// none of it is left, not even a zombie. There is nothing to shut down
// gracefully: the server's state lives in the test's directory, which is
// removed next. (A SIGTERM costs Dovecot 1 to 6 s to exit here.)
func (d *daemon) stop() error {
	if d.pgid <= 1 || d.pgid == syscall.Getpgrp() {
		return fmt.Errorf("%s: refusing to kill process group %d, which is not the server's own", d.name, d.pgid)
	}
	if err := syscall.Kill(-d.pgid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("kill %s process group %d: %w", d.name, d.pgid, err)
	}
	gone := waitUntil(stopTimeout, func() bool {
		reap(d.pgid)
		return errors.Is(syscall.Kill(-d.pgid, 0), syscall.ESRCH)
	})
	if !gone {
		return fmt.Errorf("%s processes %v of group %d are still there %v after SIGKILL", d.name, groupMembers(d.pgid), d.pgid, stopTimeout)
	}
	return nil
}

// reap collects the exit status of every dead child of this process in
// process group pgid, without blocking.
func reap(pgid int) {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-pgid, &ws, syscall.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
	}
}

// waitUntil polls cond until it is true or timeout passes, and reports
// whether cond became true.
func waitUntil(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	ticker := time.NewTicker(pollInterval)
	defer ticker.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		<-ticker.C
	}
	return true
}

// groupMembers lists the processes of process group pgid, for error
// messages.
func groupMembers(pgid int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// "pid (comm) state ppid pgrp ...": comm may hold spaces and
		// parentheses.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		if f := bytes.Fields(b[i+1:]); len(f) >= 3 && string(f[2]) == strconv.Itoa(pgid) {
			pids = append(pids, pid)
		}
	}
	return pids
}
