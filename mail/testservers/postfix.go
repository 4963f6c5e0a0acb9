package testservers

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// postfixConfig fills testdata/main.cf.tmpl and testdata/master.cf.tmpl.
type postfixConfig struct {
	Dir          string // the instance's directory
	Domain       string
	Users        []string // addresses that receive mail
	CertFile     string
	KeyFile      string
	LMTPSocket   string // Dovecot's LMTP listener
	AuthSocket   string // Dovecot's auth listener for SMTP AUTH
	TLSPort      int    // submission with implicit TLS
	StartTLSPort int    // submission with mandatory STARTTLS
	Milter       string // OpenDKIM's host:port, or empty for no milter
}

// postfix is a running Postfix instance.
type postfix struct {
	daemon
	smtpTLS, smtpStartTLS string // host:port
	log                   string
}

// postfixFiles is Postfix's own list of the directories and files it
// installs, with owners and modes.
const postfixFiles = "/etc/postfix/postfix-files"

// startPostfix writes a configuration directory into dir and starts Postfix
// from it with "postfix -c DIR start", which returns once the master daemon
// has initialised (bound its listeners) or failed.
func startPostfix(st *setup, dc *dovecot, tlsPort, startTLSPort int) (*postfix, error) {
	dir := filepath.Join(st.dir, "postfix")
	etc := filepath.Join(dir, "etc")
	if err := os.MkdirAll(etc, 0o755); err != nil {
		return nil, fmt.Errorf("create Postfix configuration directory: %w", err)
	}
	if err := makeQueue(dir); err != nil {
		return nil, err
	}
	cfg := postfixConfig{
		Dir:          dir,
		Domain:       Domain,
		Users:        slices.Sorted(maps.Keys(st.users)),
		CertFile:     st.certs.certFile,
		KeyFile:      st.certs.keyFile,
		LMTPSocket:   dc.lmtpSocket,
		AuthSocket:   dc.authSocket,
		TLSPort:      tlsPort,
		StartTLSPort: startTLSPort,
		Milter:       st.milter,
	}
	if err := renderTemplate("main.cf.tmpl", filepath.Join(etc, "main.cf"), cfg); err != nil {
		return nil, err
	}
	if err := renderTemplate("master.cf.tmpl", filepath.Join(etc, "master.cf"), cfg); err != nil {
		return nil, err
	}
	// Postfix rereads a main.cf changed in the last second or two, every
	// 300 ms until it is older: 2.2 s for every command on a fresh one.
	past := time.Now().Add(-time.Hour)
	if err := os.Chtimes(filepath.Join(etc, "main.cf"), past, past); err != nil {
		return nil, fmt.Errorf("date back main.cf: %w", err)
	}

	p := &postfix{
		smtpTLS:      net.JoinHostPort(loopbackHost, strconv.Itoa(cfg.TLSPort)),
		smtpStartTLS: net.JoinHostPort(loopbackHost, strconv.Itoa(cfg.StartTLSPort)),
		log:          filepath.Join(dir, "maillog"),
	}
	// A log of an earlier attempt must not explain this one's failure.
	if err := os.Remove(p.log); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("remove old Postfix log: %w", err)
	}
	out, err := exec.Command(postfixBin, "-c", etc, "start").CombinedOutput()
	if err != nil {
		logText := string(out) + readTail(p.log)
		if strings.Contains(logText, "Address already in use") {
			return nil, errAddrInUse
		}
		return nil, fmt.Errorf("postfix -c %s start: %w\n%s", etc, err, logText)
	}

	pidFile := filepath.Join(dir, "queue", "pid", "master.pid")
	b, err := os.ReadFile(pidFile)
	if err != nil {
		return nil, fmt.Errorf("postfix started but left no pid file (stop it by hand: postfix -c %s stop): %w", etc, err)
	}
	pid, err := strconv.Atoi(string(bytes.TrimSpace(b)))
	if err != nil {
		return nil, fmt.Errorf("postfix pid file %s: %w", pidFile, err)
	}
	// The master calls setsid(), so its children share its process group.
	p.daemon = daemon{name: "postfix", pgid: pid}

	ready := []greeting{{p.smtpTLS, st.certs.pool, "220 "}, {p.smtpStartTLS, nil, "220 "}}
	if err := waitReady(ready, nil); err != nil {
		stopErr := p.stop()
		return nil, fmt.Errorf("postfix did not start: %w\n%s", errors.Join(err, stopErr), readTail(p.log))
	}
	return p, nil
}

// makeQueue creates the queue and data directories of a Postfix instance in
// dir, as postfixFiles describes them, and marks the queue for a quick start:
// "postfix start" then skips its integrity checks (post-install, postsuper,
// find over /etc/postfix), which take over 2 s and find nothing to fix in a
// queue made a moment ago.
func makeQueue(dir string) error {
	list, err := os.ReadFile(postfixFiles)
	if err != nil {
		return fmt.Errorf("read the Postfix directory list: %w", err)
	}
	// Owner and group names as postfixFiles writes them; -1 keeps the
	// group of the creating process (root).
	ids := map[string]int{"root": 0, "-": -1}
	u, err := user.Lookup("postfix")
	if err != nil {
		return fmt.Errorf("the Postfix user (is postfix installed?): %w", err)
	}
	g, err := user.LookupGroup("postdrop")
	if err != nil {
		return fmt.Errorf("the Postfix group postdrop (is postfix installed?): %w", err)
	}
	for key, id := range map[string]string{"$mail_owner": u.Uid, "$setgid_group": g.Gid} {
		if ids[key], err = strconv.Atoi(id); err != nil {
			return fmt.Errorf("id of %s: %w", key, err)
		}
	}
	vars := map[string]string{
		"$queue_directory": filepath.Join(dir, "queue"),
		"$data_directory":  filepath.Join(dir, "data"),
	}

	made := 0
	for _, line := range strings.Split(string(list), "\n") {
		// path:type:owner:group:mode:flags
		f := strings.Split(line, ":")
		if len(f) < 5 || f[1] != "d" {
			continue
		}
		root, rest, _ := strings.Cut(f[0], "/")
		base, ok := vars[root]
		if !ok {
			continue
		}
		uid, okU := ids[f[2]]
		gid, okG := ids[f[3]]
		mode, err := strconv.ParseUint(f[4], 8, 32)
		if !okU || !okG || err != nil {
			return fmt.Errorf("%s: unexpected line %q", postfixFiles, line)
		}
		path := filepath.Join(base, rest)
		if err := os.Mkdir(path, os.FileMode(mode)); err != nil && !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("create Postfix directory: %w", err)
		}
		// Mkdir applies the umask.
		if err := os.Chmod(path, os.FileMode(mode)); err != nil {
			return fmt.Errorf("set mode of Postfix directory: %w", err)
		}
		if err := os.Chown(path, uid, gid); err != nil {
			return fmt.Errorf("set owner of Postfix directory: %w", err)
		}
		made++
	}
	if made == 0 {
		return fmt.Errorf("%s lists no queue directories", postfixFiles)
	}
	if err := os.WriteFile(filepath.Join(dir, "queue", "quick-start"), nil, 0o644); err != nil {
		return fmt.Errorf("mark the Postfix queue for a quick start: %w", err)
	}
	return nil
}
