package demo

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strconv"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// pinnedTLS trusts exactly the certificate whose SHA-256 is sum.
func pinnedTLS(sum string) *tls.Config {
	return &tls.Config{
		InsecureSkipVerify: true, // replaced by the pin check below
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			if len(raw) == 0 {
				return errors.New("no certificate")
			}
			got := sha256.Sum256(raw[0])
			if hex.EncodeToString(got[:]) != sum {
				return fmt.Errorf("certificate %x is not the pinned one", got)
			}
			return nil
		},
	}
}

// submit authenticates as user and starts a transaction from from to to.
// It returns the SMTP code of the first refused step, or 0 when every step
// was accepted.
func submit(t *testing.T, srv *Servers, user, pw, from, to string) int {
	t.Helper()
	c, err := smtp.DialTLS(net.JoinHostPort(Host, strconv.Itoa(srv.SMTPPort)), pinnedTLS(srv.CertSHA256))
	if err != nil {
		t.Fatalf("dial the demo SMTP server: %v", err)
	}
	defer c.Close()
	steps := []func() error{
		func() error { return c.Auth(sasl.NewPlainClient("", user, pw)) },
		func() error { return c.Mail(from, nil) },
		func() error { return c.Rcpt(to, nil) },
	}
	for _, step := range steps {
		err := step()
		var smtpErr *smtp.SMTPError
		if errors.As(err, &smtpErr) {
			return smtpErr.Code
		}
		if err != nil {
			t.Fatalf("SMTP: %v", err)
		}
	}
	return 0
}
