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
