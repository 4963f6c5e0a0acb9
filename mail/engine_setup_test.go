package mail

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail/backend"
	"github.com/sealpost/sealpost/mail/testservers"
)

// newSetupEngine returns an unlocked engine on a new profile that trusts
// only the system's certificate authorities.
func newSetupEngine(t *testing.T) *Engine {
	t.Helper()
	e := NewEngine(filepath.Join(t.TempDir(), "p"), &ProfileOptions{Store: &localstore.Options{KDF: &cheapKDF}})
	t.Cleanup(func() { _ = e.Lock() })
	if err := e.CreateProfile(t.Context(), []byte(enginePass)); err != nil {
		t.Fatal(err)
	}
	return e
}

// TestEngineAddAccountCertificate checks that an untrusted certificate
// comes back as a *backend.CertificateError with what the pin dialog shows,
// that nothing is stored then, and that trusting exactly it adds the
// account with pinned connections.
func TestEngineAddAccountCertificate(t *testing.T) {
	srv := testservers.Start(t)
	e := newSetupEngine(t)
	user := "bob@" + srv.Domain
	acct := backend.NewAccount{Email: user, Name: "Bob", Password: []byte(srv.Users[user]),
		IMAP: backend.ServerSettings(serverOf(t, srv.IMAPStartTLS, "starttls")),
		SMTP: backend.ServerSettings(serverOf(t, srv.SMTPTLS, "tls"))}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	_, refused := e.AddAccount(ctx, acct)
	err := refused
	var certErr *backend.CertificateError
	if !errors.As(err, &certErr) {
		t.Fatalf("AddAccount = %v, want a *backend.CertificateError", err)
	}
	if certErr.Changed || len(certErr.SHA256) != 64 || certErr.Subject == "" || certErr.Issuer == "" || certErr.Reason == "" ||
		certErr.Host != acct.IMAP.Host || certErr.Port != acct.IMAP.Port {
		t.Errorf("certificate error = %+v, want the IMAP server's certificate, not changed", certErr)
	}
	if accts, err := e.Accounts(t.Context()); err != nil || len(accts) != 0 {
		t.Fatalf("accounts after the refusal = %v, %v, want none", accts, err)
	}

	acct.Trust = trustAll(refused)
	added, err := e.AddAccount(ctx, acct)
	if err != nil {
		t.Fatalf("AddAccount trusting the certificate: %v\n%s", err, srv.Log())
	}
	if len(added.Tested) != 2 {
		t.Fatalf("tested connections = %+v, want IMAP and SMTP", added.Tested)
	}
	for i, c := range added.Tested {
		if !c.Pinned || c.CertSHA256 != certErr.SHA256 || !strings.HasPrefix(c.Version, "TLS 1.") || c.CipherSuite == "" {
			t.Errorf("connection %d = %+v, want pinned TLS with certificate %s", i, c, certErr.SHA256)
		}
	}
	if added.Email != user || added.IMAP.Security != backend.SecurityStartTLS || added.SMTP.Security != backend.SecurityTLS {
		t.Errorf("added = %+v, want %s with IMAP STARTTLS and SMTP TLS", added, user)
	}
	if accts, err := e.Accounts(t.Context()); err != nil || len(accts) != 1 {
		t.Errorf("accounts = %v, %v, want %s", accts, err, user)
	}
}

func TestEngineKeySetup(t *testing.T) {
	e := newSetupEngine(t)
	if _, err := e.GenerateKey(t.Context(), "Alice", "alice@example.org", "dsa1024"); err == nil || !strings.Contains(err.Error(), "curve25519") {
		t.Errorf("GenerateKey with an unknown algorithm = %v, want the choices named", err)
	}
	key, err := e.GenerateKey(t.Context(), "Alice", "alice@example.org", backend.AlgorithmCurve25519)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := e.ExportPublicKey(t.Context(), key.Fingerprint)
	if err != nil || !strings.Contains(pub, "PUBLIC KEY BLOCK") {
		t.Fatalf("ExportPublicKey = %q, %v, want an armored public key", pub, err)
	}
	if _, err := e.BackupSecretKey(t.Context(), key.Fingerprint, []byte("short")); err == nil {
		t.Error("BackupSecretKey accepted a short passphrase")
	}
	if _, err := e.RevokeKey(t.Context(), strings.Repeat("AB", 20), "gone"); !errors.Is(err, ErrKeyNotFound) {
		t.Errorf("RevokeKey of an unknown key = %v, want ErrKeyNotFound", err)
	}
	if _, err := e.RevokeKey(t.Context(), key.Fingerprint, "gone"); err != nil {
		t.Fatal(err)
	}
	keys, err := e.ListKeys(t.Context())
	if err != nil || len(keys) != 1 || !keys[0].Revoked {
		t.Errorf("keys after revoking = %+v, %v, want the key revoked", keys, err)
	}
}

func TestSameFingerprints(t *testing.T) {
	res := func(fprs ...string) []ImportResult {
		var out []ImportResult
		for _, f := range fprs {
			out = append(out, ImportResult{Key: KeyInfo{Fingerprint: f}})
		}
		return out
	}
	for _, tt := range []struct {
		name string
		got  []ImportResult
		want []string
		same bool
	}{
		{"same order", res("A", "B"), []string{"A", "B"}, true},
		{"other order", res("B", "A"), []string{"A", "B"}, true},
		{"one more found", res("A", "B"), []string{"A"}, false},
		{"other key", res("C"), []string{"A"}, false},
		{"none found", nil, []string{"A"}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := sameFingerprints(tt.got, tt.want); got != tt.same {
				t.Errorf("sameFingerprints = %v, want %v", got, tt.same)
			}
		})
	}
}
