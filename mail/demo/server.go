package demo

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/mail"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Host is the loopback address the demo servers listen on.
const Host = "127.0.0.1"

// maxMessageBytes caps one message submitted to the demo SMTP server.
const maxMessageBytes = 25 << 20

// folders are the mailboxes every demo user starts with, and their
// special-use attributes.
var folders = []struct {
	name string
	use  imap.MailboxAttr
}{
	{"INBOX", ""},
	{"Sent", imap.MailboxAttrSent},
	{"Drafts", imap.MailboxAttrDrafts},
	{"Trash", imap.MailboxAttrTrash},
	{"Junk", imap.MailboxAttrJunk},
	{"Archive", imap.MailboxAttrArchive},
}

// ErrUnknownUser means an address is not one of the demo server's users.
var ErrUnknownUser = errors.New("no such demo user")

// Servers is an in-process IMAP server (implicit TLS) holding the users'
// mailboxes in memory and an SMTP submission server (implicit TLS, AUTH
// PLAIN required) that delivers into their INBOX. Both listen on Host on
// free ports. A demo CA made at start signs their certificate; nothing
// else trusts it, so clients pin the certificate (CertSHA256).
type Servers struct {
	// IMAPPort and SMTPPort are the ports the servers listen on.
	IMAPPort, SMTPPort int
	// CertSHA256 is the hex SHA-256 of the servers' certificate (DER), the
	// value to pin.
	CertSHA256 string
	// CA holds the demo CA, for clients (tests) that trust it instead of
	// pinning the certificate.
	CA *x509.CertPool

	passwords map[string]string
	mem       *imapmemserver.Server
	users     map[string]*imapmemserver.User
	imap      *imapserver.Server
	smtp      *smtp.Server
	listeners []net.Listener
	done      sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

// StartServers starts the servers for the given addresses, each with a
// random password, and an INBOX, Sent, Drafts, Trash, Junk and Archive
// folder (with their special uses).
func StartServers(addresses ...string) (*Servers, error) {
	cert, err := newCertificate(time.Now())
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(cert.Certificate[0])
	ca, err := x509.ParseCertificate(cert.Certificate[1]) // newCertificate puts the CA second
	if err != nil {
		return nil, fmt.Errorf("parse the demo CA certificate: %w", err)
	}
	s := &Servers{
		CertSHA256: hex.EncodeToString(sum[:]),
		CA:         x509.NewCertPool(),
		passwords:  make(map[string]string, len(addresses)),
		mem:        imapmemserver.New(),
		users:      make(map[string]*imapmemserver.User, len(addresses)),
	}
	s.CA.AddCert(ca)
	for _, addr := range addresses {
		addr = strings.ToLower(addr)
		s.passwords[addr] = rand.Text()
		u := imapmemserver.NewUser(addr, s.passwords[addr])
		for _, f := range folders {
			var opts *imap.CreateOptions
			if f.use != "" {
				opts = &imap.CreateOptions{SpecialUse: []imap.MailboxAttr{f.use}}
			}
			if err := u.Create(f.name, opts); err != nil {
				return nil, fmt.Errorf("create folder %s for %s: %w", f.name, addr, err)
			}
		}
		s.mem.AddUser(u)
		s.users[addr] = u
	}
	tlsConfig := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	quiet := log.New(io.Discard, "", 0) // server errors could name users; the demo keeps no logs

	imapLn, err := net.Listen("tcp", net.JoinHostPort(Host, "0"))
	if err != nil {
		return nil, fmt.Errorf("listen for IMAP: %w", err)
	}
	smtpLn, err := net.Listen("tcp", net.JoinHostPort(Host, "0"))
	if err != nil {
		imapLn.Close()
		return nil, fmt.Errorf("listen for SMTP: %w", err)
	}
	s.IMAPPort = imapLn.Addr().(*net.TCPAddr).Port
	s.SMTPPort = smtpLn.Addr().(*net.TCPAddr).Port

	s.imap = imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return recheckingIdle{s.mem.NewSession().(imapserver.SessionIMAP4rev2)}, nil, nil
		},
		Caps:   imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}},
		Logger: quiet,
	})
	s.smtp = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &smtpSession{s: s}, nil
	}))
	s.smtp.Domain = "demo.sealpost.test"
	s.smtp.MaxMessageBytes = maxMessageBytes
	s.smtp.MaxRecipients = 50
	s.smtp.ReadTimeout = time.Minute
	s.smtp.WriteTimeout = time.Minute
	s.smtp.ErrorLog = quiet

	s.listeners = []net.Listener{imapLn, smtpLn}
	s.done.Add(2)
	go func() {
		defer s.done.Done()
		s.imap.Serve(tls.NewListener(imapLn, tlsConfig)) // returns when the listener closes
	}()
	go func() {
		defer s.done.Done()
		s.smtp.Serve(tls.NewListener(smtpLn, tlsConfig)) // returns when the listener closes
	}()
	return s, nil
}

// Password returns the password of the demo user address.
func (s *Servers) Password(address string) (string, error) {
	pw, ok := s.passwords[strings.ToLower(address)]
	if !ok {
		return "", fmt.Errorf("%s: %w", address, ErrUnknownUser)
	}
	return pw, nil
}

// Close stops both servers, closes their connections and waits for them.
// The mailboxes are gone afterwards.
func (s *Servers) Close() error {
	s.closeOnce.Do(func() {
		errs := []error{s.imap.Close(), s.smtp.Close()}
		// The servers close only the listeners Serve has registered; a
		// Close right after StartServers may come first.
		for _, ln := range s.listeners {
			if err := ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
				errs = append(errs, err)
			}
		}
		s.done.Wait()
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// Deliver appends raw to the INBOX of the demo user address, as mail
// arriving from elsewhere would.
func (s *Servers) Deliver(address string, raw []byte) error {
	u, ok := s.users[address]
	if !ok {
		return fmt.Errorf("%s: %w", address, ErrUnknownUser)
	}
	_, err := u.Append("INBOX", bytes.NewReader(raw), &imap.AppendOptions{Time: time.Now()})
	return err
}

// idleRecheck is how often an IDLE session of the demo server looks for
// updates that its in-memory backend did not signal.
const idleRecheck = 200 * time.Millisecond

// recheckingIdle is a session of the in-memory server whose IDLE does not
// lose updates. go-imap v2.0.0-beta.8's memory server registers for
// updates only after it sent "+ idling", so mail that arrives in between
// waits in its queue, unannounced, until the next change (a client that
// started IDLE then never hears of it). Here IDLE polls that queue first
// and again every idleRecheck.
type recheckingIdle struct {
	imapserver.SessionIMAP4rev2
}

// Idle writes updates until stop is closed.
func (s recheckingIdle) Idle(w *imapserver.UpdateWriter, stop <-chan struct{}) error {
	for {
		if err := s.Poll(w, true); err != nil {
			return err
		}
		inner, done := make(chan struct{}), make(chan error, 1)
		go func() { done <- s.SessionIMAP4rev2.Idle(w, inner) }()
		t := time.NewTimer(idleRecheck)
		select {
		case <-stop:
			t.Stop()
			close(inner)
			return <-done
		case <-t.C:
			close(inner)
			if err := <-done; err != nil {
				return err
			}
		case err := <-done:
			t.Stop()
			close(inner)
			return err
		}
	}
}

// smtpSession is one SMTP connection: authenticate, then MAIL, RCPT, DATA.
type smtpSession struct {
	s    *Servers
	user string // authenticated address; empty before AUTH
	rcpt []string
}

var _ smtp.AuthSession = (*smtpSession)(nil)

// AuthMechanisms offers PLAIN only (the connection is TLS from the start).
func (c *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }

// Auth checks the user's password in constant time.
func (c *smtpSession) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain {
		return nil, smtp.ErrAuthUnsupported
	}
	return sasl.NewPlainServer(func(identity, username, password string) error {
		username = strings.ToLower(username)
		want, ok := c.s.passwords[username]
		if (identity != "" && !strings.EqualFold(identity, username)) || !ok || !equalSecret(password, want) {
			return smtp.ErrAuthFailed
		}
		c.user = username
		return nil
	}), nil
}

// Mail accepts the sender only after authentication, and only as the
// authenticated user.
func (c *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if c.user == "" {
		return smtp.ErrAuthRequired
	}
	if !strings.EqualFold(from, c.user) {
		return &smtp.SMTPError{Code: 553, EnhancedCode: smtp.EnhancedCode{5, 7, 1},
			Message: "the sender must be the authenticated user"}
	}
	return nil
}

// Rcpt accepts the demo server's users only: it delivers nowhere else.
func (c *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if c.user == "" {
		return smtp.ErrAuthRequired
	}
	addr := strings.ToLower(to)
	if _, ok := c.s.users[addr]; !ok {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1},
			Message: "the demo server delivers only to its own users"}
	}
	c.rcpt = append(c.rcpt, addr)
	return nil
}

// Data delivers the message to every recipient before it answers, so a
// successful submission means the mail is in the INBOX.
func (c *smtpSession) Data(r io.Reader) error {
	if c.user == "" {
		return smtp.ErrAuthRequired
	}
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if _, err := mail.ReadMessage(bytes.NewReader(raw)); err != nil {
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0},
			Message: "the message is not a valid Internet message"}
	}
	for _, to := range c.rcpt {
		if err := c.s.Deliver(to, raw); err != nil {
			return fmt.Errorf("deliver to %s: %w", to, err)
		}
	}
	return nil
}

// Reset forgets the recipients of an aborted transaction.
func (c *smtpSession) Reset() { c.rcpt = nil }

// Logout ends the session.
func (c *smtpSession) Logout() error { return nil }

// equalSecret compares two secrets in constant time.
func equalSecret(a, b string) bool {
	x, y := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return x == y
}

// newCertificate makes a demo CA and, signed by it, a certificate for Host
// and localhost valid from an hour before now for a week. Everything stays
// in memory.
func newCertificate(now time.Time) (tls.Certificate, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("generate the demo CA key: %w", err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "Sealpost demo CA (trusted by nothing)"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(7 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("create the demo CA certificate: %w", err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("parse the demo CA certificate: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("generate the demo server key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: "Sealpost demo mail server"},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.ParseIP(Host)},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(7 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("create the demo server certificate: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{der, caDER}, PrivateKey: key}, nil
}

// serial returns a random positive 128-bit certificate serial number.
func serial() *big.Int {
	b := make([]byte, 16)
	rand.Read(b) // crypto/rand.Read never fails
	return new(big.Int).SetBytes(b)
}
