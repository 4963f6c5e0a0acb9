package testservers

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/template"
)

// dovecotConfig fills testdata/dovecot.conf.tmpl.
type dovecotConfig struct {
	Dir          string // the instance's directory
	CertFile     string
	KeyFile      string
	UsersFile    string
	UID, GID     int    // mail storage owner
	TLSAddr      string // implicit TLS IMAP: 127.0.0.1
	TLSPort      int
	StartTLSAddr string // IMAP with STARTTLS: 127.0.0.2, see startTLSHost
	StartTLSPort int
	MTAUser      string
	// OAuth2File is the oauth2 passdb's configuration; empty without
	// OAuth2.
	OAuth2File string
}

// startTLSHost is the address of Dovecot's STARTTLS listener. Dovecot
// treats a connection whose remote and local addresses are equal as secure,
// whatever ssl= says: on 127.0.0.1 it would accept LOGIN before STARTTLS and
// not advertise LOGINDISABLED. A client that connects to 127.0.0.2 comes
// from 127.0.0.1, so the listener behaves as it would for a remote client.
// Both addresses are loopback.
const startTLSHost = "127.0.0.2"

// dovecot is a running Dovecot instance.
type dovecot struct {
	daemon
	imapTLS, imapStartTLS string // host:port
	lmtpSocket            string
	authSocket            string // for the MTA's SMTP AUTH
	log                   string
}

// passwdLine is one line of Dovecot's passwd-file: the address, a salted
// SHA-256 of the password, the mail owner and the home directory.
func passwdLine(address, password string, uid, gid int, home string) string {
	salt := make([]byte, 8)
	rand.Read(salt) // crypto/rand.Read never returns an error.
	sum := sha256.Sum256(append([]byte(password), salt...))
	hash := base64.StdEncoding.EncodeToString(append(sum[:], salt...))
	return fmt.Sprintf("%s:{SSHA256}%s:%d:%d::%s::\n", address, hash, uid, gid, home)
}

// startDovecot writes a configuration into the directory "dovecot" of the
// setup and runs Dovecot from it in the foreground, in its own process
// group, until both IMAP listeners greet. withMTA opens its LMTP and auth
// sockets to Postfix.
func startDovecot(st *setup, withMTA bool, tlsPort, startTLSPort int) (*dovecot, error) {
	dir, owner := filepath.Join(st.dir, "dovecot"), st.owner
	for _, sub := range []string{"run", "state"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return nil, fmt.Errorf("create Dovecot directory: %w", err)
		}
	}
	mailDir := filepath.Join(dir, "mail")
	if err := os.MkdirAll(mailDir, 0o700); err != nil {
		return nil, fmt.Errorf("create Dovecot mail directory: %w", err)
	}
	if err := os.Chown(mailDir, owner.uid, owner.gid); err != nil {
		return nil, fmt.Errorf("give the mail directory to uid %d: %w", owner.uid, err)
	}

	var passwd strings.Builder
	for _, addr := range slices.Sorted(maps.Keys(st.users)) {
		passwd.WriteString(passwdLine(addr, st.users[addr], owner.uid, owner.gid, filepath.Join(mailDir, addr)))
	}
	usersFile := filepath.Join(dir, "users")
	// Dovecot's auth process reads it as the group dovecot.
	if err := os.WriteFile(usersFile, []byte(passwd.String()), 0o640); err != nil {
		return nil, fmt.Errorf("write Dovecot users: %w", err)
	}
	if err := os.Chown(usersFile, 0, owner.dovecotGID); err != nil {
		return nil, fmt.Errorf("give the Dovecot users file to group dovecot: %w", err)
	}

	var err error
	mtaUser := ""
	if withMTA {
		mtaUser = "postfix"
	}
	cfg := dovecotConfig{
		Dir:          dir,
		CertFile:     st.certs.certFile,
		KeyFile:      st.certs.keyFile,
		UsersFile:    usersFile,
		UID:          owner.uid,
		GID:          owner.gid,
		TLSAddr:      loopbackHost,
		TLSPort:      tlsPort,
		StartTLSAddr: startTLSHost,
		StartTLSPort: startTLSPort,
		MTAUser:      mtaUser,
	}
	if st.oauth2 != nil {
		if cfg.OAuth2File, err = writeOAuth2Config(dir, st.oauth2, owner); err != nil {
			return nil, err
		}
	}
	confFile := filepath.Join(dir, "dovecot.conf")
	if err := renderTemplate("dovecot.conf.tmpl", confFile, cfg); err != nil {
		return nil, err
	}

	d := &dovecot{
		imapTLS:      net.JoinHostPort(cfg.TLSAddr, strconv.Itoa(cfg.TLSPort)),
		imapStartTLS: net.JoinHostPort(cfg.StartTLSAddr, strconv.Itoa(cfg.StartTLSPort)),
		lmtpSocket:   filepath.Join(dir, "run", "lmtp"),
		authSocket:   filepath.Join(dir, "run", "auth-mta"),
		log:          filepath.Join(dir, "dovecot.log"),
	}
	// A log of an earlier attempt must not explain this one's failure.
	if err := os.Remove(d.log); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("remove old Dovecot log: %w", err)
	}
	// A file, not a pipe, takes the output: a pipe would tie cmd.Wait to
	// every child that inherited it.
	outFile := filepath.Join(dir, "dovecot.out")
	out, err := os.Create(outFile)
	if err != nil {
		return nil, fmt.Errorf("create Dovecot output file: %w", err)
	}
	defer out.Close()
	cmd := exec.Command(dovecotBin, "-F", "-c", confFile)
	cmd.Stdout = out
	cmd.Stderr = out
	inOwnProcessGroup(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("run %s: %w", dovecotBin, err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	d.daemon = daemon{name: "dovecot", pgid: cmd.Process.Pid}

	ready := []greeting{{d.imapTLS, st.certs.pool, "* OK"}, {d.imapStartTLS, nil, "* OK"}}
	if err := waitReady(ready, exited); err != nil {
		stopErr := d.stop()
		logText := readTail(d.log) + readTail(outFile)
		if strings.Contains(logText, "Address already in use") {
			return nil, errAddrInUse
		}
		return nil, fmt.Errorf("dovecot did not start: %w\n%s", errors.Join(err, stopErr), logText)
	}
	return d, nil
}

// renderTemplate fills the template testdata/name with data into file.
func renderTemplate(name, file string, data any) error {
	tmpl, err := template.ParseFS(templates, "testdata/"+name)
	if err != nil {
		return fmt.Errorf("parse %s: %w", name, err)
	}
	var b bytes.Buffer
	if err := tmpl.Execute(&b, data); err != nil {
		return fmt.Errorf("fill %s: %w", name, err)
	}
	if err := os.WriteFile(file, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", file, err)
	}
	return nil
}

// readTail returns the last 8 KiB of a log file, or a note that it is
// unreadable, for failure messages.
func readTail(file string) string {
	b, err := os.ReadFile(file)
	if err != nil {
		return fmt.Sprintf("(no log: %v)\n", err)
	}
	const max = 8 << 10
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return fmt.Sprintf("--- %s ---\n%s", file, b)
}

// oauth2Config fills testdata/dovecot-oauth2.conf.tmpl.
type oauth2Config struct {
	IntrospectionURL, CAFile string
}

// writeOAuth2Config writes the oauth2 passdb's configuration and the CA
// its introspection requests trust into dir, readable by Dovecot's auth
// process (group dovecot), and returns the configuration's path.
func writeOAuth2Config(dir string, o *OAuth2, owner mailOwner) (string, error) {
	caFile := filepath.Join(dir, "oauth2-ca.pem")
	if err := os.WriteFile(caFile, o.CAPEM, 0o644); err != nil {
		return "", fmt.Errorf("write the OAuth2 provider's CA: %w", err)
	}
	file := filepath.Join(dir, "dovecot-oauth2.conf.ext")
	if err := renderTemplate("dovecot-oauth2.conf.tmpl", file, oauth2Config{IntrospectionURL: o.IntrospectionURL, CAFile: caFile}); err != nil {
		return "", err
	}
	// It holds the introspection credentials: readable by group dovecot only.
	if err := os.Chmod(file, 0o640); err != nil {
		return "", fmt.Errorf("protect the oauth2 passdb configuration: %w", err)
	}
	if err := os.Chown(file, 0, owner.dovecotGID); err != nil {
		return "", fmt.Errorf("give the oauth2 passdb configuration to group dovecot: %w", err)
	}
	return file, nil
}
