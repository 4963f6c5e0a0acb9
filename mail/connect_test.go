package mail

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail/backend"
	"github.com/sealpost/sealpost/mail/testservers"
)

// TestConnectionErrorsPointToSettings checks that a refused password and an
// untrusted certificate come back as the sentinels the UI turns into an
// "Open settings" action, for IMAP and SMTP, and that other failures do not.
func TestConnectionErrorsPointToSettings(t *testing.T) {
	srv := testservers.Start(t)
	user := "alice@" + srv.Domain
	trusting := profileWithAccount(t, srv, user, false)
	acct, err := trusting.accounts.get(user)
	if err != nil {
		t.Fatal(err)
	}
	untrusting, err := CreateProfile(filepath.Join(t.TempDir(), "p"), []byte("test passphrase 123"),
		&ProfileOptions{Store: &localstore.Options{KDF: &cheapKDF}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { untrusting.Close() })

	wrongPassword := acct
	wrongPassword.Secret.Value = "not the password"
	closedPort := acct
	closedPort.IMAP.Port, closedPort.SMTP.Port = 1, 1

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, tt := range []struct {
		name    string
		p       *Profile
		acct    localstore.Account
		want    error
		notWant error
	}{
		{"wrong password", trusting, wrongPassword, backend.ErrLoginRejected, backend.ErrCertificateRejected},
		{"untrusted certificate", untrusting, acct, backend.ErrCertificateRejected, backend.ErrLoginRejected},
		{"closed port", trusting, closedPort, nil, nil},
	} {
		for _, proto := range []string{"imap", "smtp"} {
			t.Run(tt.name+"/"+proto, func(t *testing.T) {
				_, err := tt.p.connections.login(ctx, tt.acct, proto)
				if err == nil {
					t.Fatal("login succeeded, want an error")
				}
				if tt.want != nil && !errors.Is(err, tt.want) {
					t.Errorf("login error = %v, want it to wrap %v", err, tt.want)
				}
				for _, not := range []error{tt.notWant, backend.ErrLoginRejected, backend.ErrCertificateRejected} {
					if not != nil && !errors.Is(not, tt.want) && errors.Is(err, not) {
						t.Errorf("login error = %v, should not wrap %v", err, not)
					}
				}
			})
		}
	}
}

// TestSendWithRefusedPasswordPointsToSettings: a real send whose password
// the submission server refuses is kept in the outbox and says so with
// backend.ErrLoginRejected, both on the first try and on a retry.
func TestSendWithRefusedPasswordPointsToSettings(t *testing.T) {
	srv := testservers.Start(t)
	user := "alice@" + srv.Domain
	p := profileWithAccount(t, srv, user, false)
	acct, err := p.accounts.get(user)
	if err != nil {
		t.Fatal(err)
	}
	acct.Secret.Value = "not the password"
	if err := p.store.Accounts().Put(acct); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	raw := []byte("From: " + user + "\r\nTo: " + user + "\r\nSubject: refused\r\nMessage-ID: <refused@test>\r\n\r\nhello\r\n")
	id, err := p.Outbox().SendRaw(ctx, user, raw)
	if !errors.Is(err, ErrKeptInOutbox) || !errors.Is(err, backend.ErrLoginRejected) {
		t.Fatalf("SendRaw = %v, want it kept in the outbox and marked ErrLoginRejected", err)
	}
	if err := p.Outbox().Retry(ctx, id); !errors.Is(err, backend.ErrLoginRejected) {
		t.Errorf("RetryOutbox = %v, want ErrLoginRejected", err)
	}
}
