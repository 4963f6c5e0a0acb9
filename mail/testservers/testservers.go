// Package testservers runs real mail servers for tests: Dovecot for IMAP
// (implicit TLS and STARTTLS) and LMTP delivery, and Postfix for SMTP
// submission (implicit TLS and mandatory STARTTLS, AUTH through Dovecot),
// which delivers the test domain into Dovecot.
//
// Each Start runs private instances, from configurations generated out of
// testdata/*.tmpl, in a fresh directory, listening on loopback only
// (127.0.0.1, and 127.0.0.2 for Dovecot's STARTTLS listener), with a
// throwaway CA that the returned Servers carries and nothing installs
// system-wide. t.Cleanup kills every process and removes the directory.
// Start takes about 0.2 s, StartDovecot 0.1 s.
//
// The servers need Linux, root (they switch to their own system users, and
// the mail is stored as the system user "mail") and the Debian packages
// dovecot-imapd, dovecot-lmtpd and postfix. Without them Start skips the
// test with the command that installs them; with SEALPOST_REQUIRE_SERVERS=1
// in the environment (set it in CI) it fails the test instead.
package testservers

import (
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"os/user"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// Domain is the mail domain the servers receive for.
const Domain = "example.test"

// installCommand installs the Debian packages the servers need.
const installCommand = "apt-get install -y --no-install-recommends dovecot-imapd dovecot-lmtpd postfix"

// requireEnv names the environment variable that turns a skip for missing
// servers into a test failure.
const requireEnv = "SEALPOST_REQUIRE_SERVERS"

// Paths of the server programs, as Debian installs them.
const (
	dovecotBin = "/usr/sbin/dovecot"
	imapBin    = "/usr/lib/dovecot/imap"
	lmtpBin    = "/usr/lib/dovecot/lmtp"
	postfixBin = "/usr/sbin/postfix"
)

// attempts is how often a server start is tried with new ports when another
// process took a port picked for it.
const attempts = 3

//go:embed testdata/*.tmpl
var templates embed.FS

// Servers are running mail servers for one test. Addresses are host:port on
// loopback; the certificate names "localhost", "mail.example.test",
// 127.0.0.1 and 127.0.0.2.
type Servers struct {
	// IMAPTLS is Dovecot's implicit-TLS IMAP listener (like port 993).
	IMAPTLS string
	// IMAPStartTLS is Dovecot's IMAP listener that requires STARTTLS before
	// LOGIN (it advertises LOGINDISABLED until then). It is on 127.0.0.2:
	// Dovecot trusts connections from its own address, so on 127.0.0.1 it
	// would allow LOGIN without TLS.
	IMAPStartTLS string
	// SMTPTLS is Postfix's implicit-TLS submission listener (like 465);
	// empty when only Dovecot runs (StartDovecot).
	SMTPTLS string
	// SMTPStartTLS is Postfix's submission listener with mandatory STARTTLS
	// (like 587); empty when only Dovecot runs.
	SMTPStartTLS string
	// LMTP is the path of Dovecot's LMTP socket, which Deliver uses.
	LMTP string
	// CA holds the throwaway CA that signed the servers' certificate.
	CA *x509.CertPool
	// CAPEM is that CA certificate in PEM.
	CAPEM []byte
	// CertSHA256 is the hex SHA-256 of the servers' certificate (DER),
	// which Dovecot and Postfix share: the value to pin for a client that
	// does not trust CA.
	CertSHA256 string
	// Domain is the mail domain of the users.
	Domain string
	// Users maps each address (alice@example.test, bob@example.test) to
	// its generated password; the address is also the login name.
	Users map[string]string
	// Dir is the directory holding the configurations, logs and mail
	// storage; it is removed at cleanup.
	Dir string

	dovecot *dovecot
	postfix *postfix
}

// setup is what the servers of one Start share.
type setup struct {
	dir   string // the Start's directory; each server has a subdirectory
	certs *certs
	users map[string]string
	owner mailOwner
	// oauth2, when set, enables Dovecot's oauth2 passdb.
	oauth2 *OAuth2
	// milter is OpenDKIM's host:port when Postfix is to sign, else empty.
	milter string
}

// Start starts Dovecot and Postfix for t and returns them once they accept
// connections; t.Cleanup stops them. It skips t when the servers cannot run
// here (see the package documentation) and fails t when they do not start.
func Start(t testing.TB) *Servers {
	t.Helper()
	return startWith(t, true, nil, nil)
}

// StartDovecot is Start without Postfix, for tests that need only IMAP and
// delivery with Deliver: the SMTP addresses stay empty.
func StartDovecot(t testing.TB) *Servers {
	t.Helper()
	return startWith(t, false, nil, nil)
}

// OAuth2 makes Dovecot (and through it Postfix's submission AUTH) accept
// OAuth2 access tokens with SASL XOAUTH2 and OAUTHBEARER: Dovecot's oauth2
// passdb asks the provider's token introspection endpoint (RFC 7662) about
// each token, over verified TLS, and accepts it when the answer says
// "active" and names the user who logs in. Passwords keep working.
type OAuth2 struct {
	// IntrospectionURL is the endpoint, https, with the credentials
	// Dovecot presents to it in its user information part
	// (https://id:secret@host:port/path); Dovecot POSTs token=....
	IntrospectionURL string
	// CAPEM is the certificate (PEM) that the endpoint's certificate must
	// chain to.
	CAPEM []byte
}

// StartOAuth2 is Start with Dovecot's oauth2 passdb enabled as o says.
func StartOAuth2(t testing.TB, o OAuth2) *Servers {
	t.Helper()
	return startWith(t, true, &o, nil)
}

// TLSConfig returns a new TLS client configuration that trusts only the
// servers' CA and requires TLS 1.2 or later.
func (s *Servers) TLSConfig() *tls.Config {
	return &tls.Config{RootCAs: s.CA, MinVersion: tls.VersionTLS12}
}

// Log returns the end of the servers' logs, for failure messages.
func (s *Servers) Log() string {
	text := readTail(s.dovecot.log)
	if s.postfix != nil {
		text += readTail(s.postfix.log)
	}
	return text
}

// mailOwner is the system user that owns the mail storage, and the group
// of Dovecot's internal user, which reads the users file.
type mailOwner struct{ uid, gid, dovecotGID int }

// startWith starts the servers: with oauth, Dovecot's oauth2 passdb is
// on; with sig, Postfix signs through OpenDKIM.
func startWith(t testing.TB, withMTA bool, oauth *OAuth2, sig *Signing) *Servers {
	t.Helper()
	if reason := unavailable(withMTA); reason != "" {
		if os.Getenv(requireEnv) == "1" {
			t.Fatalf("testservers: %s (%s=1 requires the servers)", reason, requireEnv)
		}
		t.Skipf("testservers: %s", reason)
	}
	st := newSetup(t)
	st.oauth2 = oauth
	s := &Servers{CA: st.certs.pool, CAPEM: st.certs.caPEM, CertSHA256: st.certs.sha256, Domain: Domain, Users: st.users, Dir: st.dir}

	var err error
	s.dovecot, err = withFreePorts(loopbackHost, startTLSHost, func(tlsPort, startTLSPort int) (*dovecot, error) {
		return startDovecot(st, withMTA, tlsPort, startTLSPort)
	})
	if err != nil {
		t.Fatalf("testservers: %v", err)
	}
	t.Cleanup(func() {
		if err := s.dovecot.stop(); err != nil {
			t.Errorf("testservers: %v", err)
		}
	})
	s.IMAPTLS, s.IMAPStartTLS, s.LMTP = s.dovecot.imapTLS, s.dovecot.imapStartTLS, s.dovecot.lmtpSocket

	if withMTA {
		if sig != nil {
			st.milter = startOpenDKIM(t, st, sig)
		}
		s.postfix, err = withFreePorts(loopbackHost, loopbackHost, func(tlsPort, startTLSPort int) (*postfix, error) {
			return startPostfix(st, s.dovecot, tlsPort, startTLSPort)
		})
		if err != nil {
			t.Fatalf("testservers: %v\n%s", err, readTail(s.dovecot.log))
		}
		t.Cleanup(func() {
			if err := s.postfix.stop(); err != nil {
				t.Errorf("testservers: %v", err)
			}
		})
		s.SMTPTLS, s.SMTPStartTLS = s.postfix.smtpTLS, s.postfix.smtpStartTLS
	}
	return s
}

// newSetup prepares what the servers share: a directory that t.Cleanup
// removes, the certificates and the users.
func newSetup(t testing.TB) *setup {
	t.Helper()
	owner, err := lookupMailOwner()
	if err != nil {
		t.Fatalf("testservers: %v", err)
	}
	if err := becomeSubreaper(); err != nil {
		t.Fatalf("testservers: %v", err)
	}
	// Not t.TempDir: that is mode 0700, and the servers' own users must
	// reach their sockets and queues below it.
	dir, err := os.MkdirTemp("", "sealpost-servers-")
	if err != nil {
		t.Fatalf("testservers: create directory: %v", err)
	}
	t.Cleanup(func() {
		if err := os.RemoveAll(dir); err != nil {
			t.Errorf("testservers: remove %s: %v", dir, err)
		}
	})
	if err := os.Chmod(dir, 0o711); err != nil {
		t.Fatalf("testservers: %v", err)
	}
	c, err := newCerts(dir, time.Now())
	if err != nil {
		t.Fatalf("testservers: %v", err)
	}
	return &setup{dir: dir, certs: c, users: newUsers(), owner: owner}
}

// withFreePorts runs start with a free port on each of two hosts, and again
// with new ports while it fails because one was taken meanwhile.
func withFreePorts[T any](host1, host2 string, start func(port1, port2 int) (T, error)) (T, error) {
	var v T
	var err error
	for range attempts {
		var p1, p2 int
		if p1, err = freePort(host1); err != nil {
			return v, err
		}
		for p2 == 0 || host1 == host2 && p2 == p1 {
			if p2, err = freePort(host2); err != nil {
				return v, err
			}
		}
		if v, err = start(p1, p2); !errors.Is(err, errAddrInUse) {
			return v, err
		}
	}
	return v, fmt.Errorf("%d attempts: %w", attempts, err)
}

// unavailable says why the servers cannot run here, or "" if they can.
func unavailable(withMTA bool) string {
	if runtime.GOOS != "linux" {
		return "the servers run on Linux (Debian packages) only"
	}
	if os.Geteuid() != 0 {
		return "the servers need root (they switch to their own system users); run the tests as root, as CI does"
	}
	bins := []string{dovecotBin, imapBin, lmtpBin}
	if withMTA {
		bins = append(bins, postfixBin)
	}
	for _, bin := range bins {
		if _, err := os.Stat(bin); err != nil {
			return fmt.Sprintf("%s is missing; install the servers with: %s", bin, installCommand)
		}
	}
	return ""
}

// lookupMailOwner finds the system user "mail", which owns the mail storage
// (Dovecot refuses to access mail as root), and the group "dovecot".
func lookupMailOwner() (mailOwner, error) {
	u, err := user.Lookup("mail")
	if err != nil {
		return mailOwner{}, fmt.Errorf("the system user that owns test mail: %w", err)
	}
	g, err := user.LookupGroup("dovecot")
	if err != nil {
		return mailOwner{}, fmt.Errorf("the group of Dovecot's internal user (is dovecot-core installed?): %w", err)
	}
	var o mailOwner
	for _, f := range []struct {
		dst *int
		val string
	}{{&o.uid, u.Uid}, {&o.gid, u.Gid}, {&o.dovecotGID, g.Gid}} {
		if *f.dst, err = strconv.Atoi(f.val); err != nil {
			return mailOwner{}, fmt.Errorf("system user or group id %q: %w", f.val, err)
		}
	}
	return o, nil
}

// newUsers generates the users alice and bob of Domain with random
// passwords.
func newUsers() map[string]string {
	users := make(map[string]string)
	for _, name := range []string{"alice", "bob"} {
		b := make([]byte, 18)
		rand.Read(b) // crypto/rand.Read never returns an error.
		users[name+"@"+Domain] = base64.RawURLEncoding.EncodeToString(b)
	}
	return users
}
