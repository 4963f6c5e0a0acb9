package testservers

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
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
)

// opendkimBin is where Debian's opendkim package installs the milter.
const opendkimBin = "/usr/sbin/opendkim"

// Signing is the DKIM signing of StartSigning.
type Signing struct {
	// Key signs; its public half is what a verifier must find in DNS at
	// <Selector>._domainkey.<Domain> (see dnstest's Zone.AddDKIM).
	Key *rsa.PrivateKey
	// Selector is the s= of the signatures.
	Selector string
}

// StartSigning is Start with OpenDKIM as Postfix's milter: every message
// submitted through Postfix is DKIM-signed (rsa-sha256, relaxed/relaxed,
// d=Domain) with sig before Dovecot receives it, as a provider's outgoing
// server would. A milter that does not answer makes Postfix refuse the
// message (temporary error), never pass it unsigned. It needs Debian's
// opendkim package besides the servers' (skip or failure as for Start).
func StartSigning(t testing.TB, sig Signing) *Servers {
	t.Helper()
	if _, err := os.Stat(opendkimBin); err != nil {
		reason := "opendkim is missing; install it with: apt-get install -y --no-install-recommends opendkim"
		if os.Getenv(requireEnv) == "1" {
			t.Fatalf("testservers: %s (%s=1 requires the servers)", reason, requireEnv)
		}
		t.Skipf("testservers: %s", reason)
	}
	return startWith(t, true, nil, &sig)
}

// startOpenDKIM runs opendkim for sig in st's directory, listening for
// Postfix on 127.0.0.1, and returns its address once it accepts
// connections; t.Cleanup stops it.
func startOpenDKIM(t testing.TB, st *setup, sig *Signing) string {
	t.Helper()
	dir := filepath.Join(st.dir, "opendkim")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatalf("testservers: %v", err)
	}
	keyFile := filepath.Join(dir, "key.pem")
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(sig.Key)})
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		t.Fatalf("testservers: %v", err)
	}
	var lastErr error
	for range attempts {
		port, err := freePort(loopbackHost)
		if err != nil {
			t.Fatalf("testservers: %v", err)
		}
		addr := net.JoinHostPort(loopbackHost, strconv.Itoa(port))
		conf := strings.Join([]string{
			"Syslog no",
			"LogWhy yes",
			"Mode s",
			"Canonicalization relaxed/relaxed",
			"SignatureAlgorithm rsa-sha256",
			"Domain " + Domain,
			"Selector " + sig.Selector,
			"KeyFile " + keyFile,
			"Socket inet:" + strconv.Itoa(port) + "@" + loopbackHost,
			"RequireSafeKeys no", // the key lives in the test's directory, owned by root
			"Background no",
			"",
		}, "\n")
		confFile := filepath.Join(dir, "opendkim.conf")
		if err := os.WriteFile(confFile, []byte(conf), 0o600); err != nil {
			t.Fatalf("testservers: %v", err)
		}
		logFile, err := os.Create(filepath.Join(dir, "opendkim.log"))
		if err != nil {
			t.Fatalf("testservers: %v", err)
		}
		cmd := exec.Command(opendkimBin, "-f", "-x", confFile)
		cmd.Stdout, cmd.Stderr = logFile, logFile
		inOwnProcessGroup(cmd)
		err = cmd.Start()
		logFile.Close()
		if err != nil {
			t.Fatalf("testservers: start opendkim: %v", err)
		}
		d := &daemon{name: "opendkim", pgid: cmd.Process.Pid}
		// The milter sends nothing first: ready is a connection accepted.
		// stop reaps the process (this one adopts and reaps its children).
		ready := waitUntil(readyTimeout, func() bool {
			c, err := net.DialTimeout("tcp4", addr, time.Second)
			if err == nil {
				c.Close()
				return true
			}
			return processGroupGone(d.pgid)
		})
		if c, err := net.DialTimeout("tcp4", addr, time.Second); ready && err == nil {
			c.Close()
			t.Cleanup(func() {
				if err := d.stop(); err != nil {
					t.Errorf("testservers: %v", err)
				}
			})
			return addr
		}
		lastErr = fmt.Errorf("opendkim did not start on %s: %s", addr, readTail(filepath.Join(dir, "opendkim.log")))
		if err := d.stop(); err != nil {
			lastErr = errors.Join(lastErr, err)
		}
	}
	t.Fatalf("testservers: %v", lastErr)
	return ""
}
