package mail

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sealpost/sealpost/mail/backend"
	"github.com/sealpost/sealpost/mail/testservers"
	"github.com/sealpost/sealpost/mail/transport"
)

// trustAll approves every certificate err reports, each for its server,
// as a user ticking every box of the consent dialog.
func trustAll(err error) []backend.TrustedCert {
	var trust []backend.TrustedCert
	for _, c := range backend.FindAll[*backend.CertificateError](err) {
		trust = append(trust, backend.TrustedCert{Host: c.Host, Port: c.Port, SHA256: c.SHA256})
	}
	return trust
}

// TestEnginePinsOnlyApprovedServers: Dovecot and Postfix present the same
// untrusted certificate. Adding the account names both servers at once;
// trusting the certificate for IMAP only pins nothing for SMTP (the setup
// fails on SMTP alone and stores nothing); trusting both pins both, each
// recorded with its server.
func TestEnginePinsOnlyApprovedServers(t *testing.T) {
	srv := testservers.Start(t)
	e := newSetupEngine(t)
	user := "bob@" + srv.Domain
	acct := backend.NewAccount{Email: user, Password: []byte(srv.Users[user]),
		IMAP: backend.ServerSettings(serverOf(t, srv.IMAPTLS, "tls")),
		SMTP: backend.ServerSettings(serverOf(t, srv.SMTPTLS, "tls"))}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	imapAt, smtpAt := fmt.Sprintf("%s:%d", acct.IMAP.Host, acct.IMAP.Port), fmt.Sprintf("%s:%d", acct.SMTP.Host, acct.SMTP.Port)

	_, err := e.AddAccount(ctx, acct)
	both := servers(err)
	if len(both) != 2 || both[0] != imapAt || both[1] != smtpAt {
		t.Fatalf("AddAccount = %v, want the certificates of %s and %s", err, imapAt, smtpAt)
	}
	all := trustAll(err)
	if all[0].SHA256 != all[1].SHA256 {
		t.Fatalf("fingerprints %s and %s, want the one certificate both servers share", all[0].SHA256, all[1].SHA256)
	}

	acct.Trust = all[:1] // the IMAP server only
	_, err = e.AddAccount(ctx, acct)
	if got := servers(err); len(got) != 1 || got[0] != smtpAt {
		t.Fatalf("AddAccount trusting IMAP only = %v, want only %s's certificate refused", err, smtpAt)
	}
	if accts, err := e.Accounts(t.Context()); err != nil || len(accts) != 0 {
		t.Fatalf("accounts = %v, %v, want none: nothing is stored half-trusted", accts, err)
	}

	acct.Trust = all
	if _, err := e.AddAccount(ctx, acct); err != nil {
		t.Fatalf("AddAccount trusting both: %v", err)
	}
	d, err := e.AccountDetails(t.Context(), user)
	if err != nil {
		t.Fatal(err)
	}
	var pinned []string
	for _, p := range d.Pins {
		pinned = append(pinned, fmt.Sprintf("%s:%d", p.Host, p.Port))
	}
	if len(pinned) != 2 || pinned[0] != imapAt || pinned[1] != smtpAt {
		t.Errorf("pins = %v, want %s and %s", pinned, imapAt, smtpAt)
	}
}

// servers names the servers whose certificates err reports, in order.
func servers(err error) []string {
	var out []string
	for _, c := range backend.FindAll[*backend.CertificateError](err) {
		out = append(out, fmt.Sprintf("%s:%d", c.Host, c.Port))
	}
	return out
}

// TestCertTrustAllows: an approval holds for exactly its host, port and
// fingerprint (host names compared as DNS does), the command line's
// fingerprint for any server, and never for a changed pin.
func TestCertTrustAllows(t *testing.T) {
	const fp = "aa00000000000000000000000000000000000000000000000000000000000000"
	untrusted := func(host string, port int, kind error) error {
		return fmt.Errorf("IMAP: %w", &transport.CertificateError{Host: host, Port: port, SHA256: fp, Kind: kind, Reason: errors.New("x")})
	}
	exact, err := newCertTrust("", []transport.Pin{{Host: "Mail.Example.org.", Port: 993, SHA256: "AA:" + fp[2:]}})
	if err != nil {
		t.Fatal(err)
	}
	anyServer, err := newCertTrust(fp, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name  string
		trust certTrust
		err   error
		want  bool
	}{
		{"same server", exact, untrusted("mail.example.org", 993, transport.ErrUntrustedCertificate), true},
		{"other port", exact, untrusted("mail.example.org", 465, transport.ErrUntrustedCertificate), false},
		{"other host", exact, untrusted("smtp.example.org", 993, transport.ErrUntrustedCertificate), false},
		{"changed pin", exact, untrusted("mail.example.org", 993, transport.ErrPinMismatch), false},
		{"any server", anyServer, untrusted("smtp.example.org", 465, transport.ErrUntrustedCertificate), true},
		{"no trust", certTrust{}, untrusted("mail.example.org", 993, transport.ErrUntrustedCertificate), false},
		{"not a certificate", exact, errors.New("refused"), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, got := tt.trust.allows(tt.err); got != tt.want {
				t.Errorf("allows = %v, want %v", got, tt.want)
			}
		})
	}
	if _, err := newCertTrust("", []transport.Pin{{Host: "h", Port: 1, SHA256: "zz"}}); !errors.Is(err, transport.ErrInvalidFingerprint) {
		t.Errorf("bad fingerprint = %v, want ErrInvalidFingerprint", err)
	}
}

// TestServerErrorsOneLine: the certificates of both servers come back as
// one error of one line (the command line prints one line), and each is
// still found by errors.As.
func TestServerErrorsOneLine(t *testing.T) {
	a := &transport.CertificateError{Host: "imap.example.org", Port: 993, Kind: transport.ErrUntrustedCertificate, Reason: errors.New("x")}
	b := &transport.CertificateError{Host: "smtp.example.org", Port: 465, Kind: transport.ErrUntrustedCertificate, Reason: errors.New("y")}
	err := joinServerErrors([]error{fmt.Errorf("IMAP: %w", a), fmt.Errorf("SMTP: %w", b)})
	if strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "smtp.example.org:465") {
		t.Errorf("error = %q, want both servers on one line", err)
	}
	if got := backend.FindAll[*transport.CertificateError](err); len(got) != 2 || got[0] != a || got[1] != b {
		t.Errorf("FindAll = %v, want both certificate errors in order", got)
	}
	if one := joinServerErrors([]error{a}); joinServerErrors(nil) != nil || !errors.Is(one, a) || one.Error() != a.Error() {
		t.Error("joinServerErrors of none or one, want nil or that one")
	}
}
