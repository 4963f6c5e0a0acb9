//go:build linux

package syncbench

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/sealpost/sealpost/mail/testservers"
)

// mbsyncBin is where Debian's isync package installs mbsync.
const mbsyncBin = "/usr/bin/mbsync"

// mbsyncInstall installs mbsync.
const mbsyncInstall = "apt-get install -y --no-install-recommends isync"

// errMbsyncMissing means mbsync is not installed.
var errMbsyncMissing = errors.New("mbsync is not installed: run `" + mbsyncInstall + "`")

// mbsync is the peer: mbsync configured to sync the INBOX of one user on
// the test Dovecot into a Maildir of its own.
type mbsync struct {
	dir     string // holds everything of this mbsync
	config  string // the mbsyncrc
	maildir string // the near side's INBOX
}

// newMbsync writes an mbsyncrc into dir that syncs user's INBOX over
// implicit TLS, trusting only the servers' CA, into dir/mail.
func newMbsync(srv *testservers.Servers, user, dir string) (*mbsync, error) {
	if _, err := os.Stat(mbsyncBin); err != nil {
		return nil, fmt.Errorf("%w (%w)", errMbsyncMissing, err)
	}
	_, port, err := net.SplitHostPort(srv.IMAPTLS)
	if err != nil {
		return nil, fmt.Errorf("IMAP address %q: %w", srv.IMAPTLS, err)
	}
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, srv.CAPEM, 0o600); err != nil {
		return nil, fmt.Errorf("write the CA for mbsync: %w", err)
	}
	// mbsync creates the INBOX Maildir but not the store's root.
	if err := os.Mkdir(filepath.Join(dir, "mail"), 0o700); err != nil {
		return nil, fmt.Errorf("create mbsync's Maildir root: %w", err)
	}
	m := &mbsync{dir: dir, config: filepath.Join(dir, "mbsyncrc"), maildir: filepath.Join(dir, "mail", "INBOX")}
	// "localhost" is a name in the server certificate that mbsync checks;
	// the servers listen on 127.0.0.1.
	rc := strings.Join([]string{
		"IMAPAccount far",
		"Host localhost",
		"Port " + port,
		"User " + strconv.Quote(user),
		"Pass " + strconv.Quote(srv.Users[user]),
		"SSLType IMAPS", // mbsync 1.4 (Debian 12); 1.5 calls it TLSType
		"CertificateFile " + strconv.Quote(caFile),
		"",
		"IMAPStore far",
		"Account far",
		"",
		"MaildirStore near",
		"Path " + strconv.Quote(filepath.Join(dir, "mail")+"/"),
		"Inbox " + strconv.Quote(m.maildir),
		"",
		"Channel inbox",
		"Far :far:",
		"Near :near:",
		"Patterns INBOX",
		"Create Near",
		"SyncState *",
		"",
	}, "\n")
	if err := os.WriteFile(m.config, []byte(rc), 0o600); err != nil {
		return nil, fmt.Errorf("write the mbsyncrc: %w", err)
	}
	return m, nil
}

// run runs mbsync once and returns how long it took.
func (m *mbsync) run() (time.Duration, error) {
	var out bytes.Buffer
	cmd := exec.Command(mbsyncBin, "-q", "-c", m.config, "inbox")
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	elapsed := time.Since(start)
	if err != nil {
		return 0, fmt.Errorf("mbsync: %w\n%s", err, out.Bytes())
	}
	return elapsed, nil
}

// count returns how many messages mbsync stored.
func (m *mbsync) count() (int, error) {
	n := 0
	for _, sub := range []string{"cur", "new"} {
		entries, err := os.ReadDir(filepath.Join(m.maildir, sub))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("count mbsync's messages: %w", err)
		}
		n += len(entries)
	}
	return n, nil
}
