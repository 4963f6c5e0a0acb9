package demo

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sealpost/sealpost/crypto"
	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail"
	"github.com/sealpost/sealpost/mail/backend"
)

// cheapKDF keeps the tests fast; the demo command uses the defaults.
var cheapKDF = localstore.KDFParams{Time: 1, MemoryKiB: 8 * 1024, Threads: 1}

var testPassphrase = []byte("demo test passphrase")

// setup runs Setup in a temporary folder and closes the demo at the end.
func setup(t *testing.T) (*Demo, context.Context) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	d, err := Setup(ctx, Options{Dir: filepath.Join(t.TempDir(), "alice"), Passphrase: testPassphrase,
		Store: &localstore.Options{KDF: &cheapKDF}})
	if err != nil {
		t.Fatalf("Setup: %v", err)
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return d, ctx
}

// openAlice unlocks alice's demo profile.
func openAlice(t *testing.T, d *Demo) *mail.Profile {
	t.Helper()
	p, err := mail.OpenProfile(d.Dir, testPassphrase, nil)
	if err != nil {
		t.Fatalf("open alice's profile: %v", err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// inbox returns the verdicts on account's synchronised INBOX, by the
// subject the user sees.
func inbox(t *testing.T, p *mail.Profile, account string) map[string]mail.Verdict {
	t.Helper()
	msgs, err := p.Messages().List(account, "INBOX", 100)
	if err != nil {
		t.Fatalf("list %s's INBOX: %v", account, err)
	}
	out := make(map[string]mail.Verdict, len(msgs))
	for _, m := range msgs {
		raw, err := p.Messages().Raw(t.Context(), account, "INBOX", m.UID)
		if err != nil {
			t.Fatalf("read message %d: %v", m.UID, err)
		}
		v, err := p.Inspector().Inspect(raw)
		if err != nil {
			t.Fatalf("inspect message %d: %v", m.UID, err)
		}
		out[v.Subject] = v
	}
	return out
}

func TestSetupSeedsAliceInbox(t *testing.T) {
	d, _ := setup(t)
	alice := openAlice(t, d)
	got := inbox(t, alice, Alice)
	if len(got) != len(seeds) {
		t.Errorf("alice's INBOX has %d messages, want %d", len(got), len(seeds))
	}
	tests := []struct {
		name       string
		seed       int
		encrypted  bool
		sig        crypto.SignatureStatus
		protection bool
	}{
		{"encrypted and signed with attachment", 0, true, crypto.SigValid, true},
		{"signed only", 1, false, crypto.SigValid, false},
		{"plain", 2, false, crypto.SigNone, false},
		{"tampered after signing", 3, false, crypto.SigInvalid, false},
		{"encrypted subject", 4, true, crypto.SigValid, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := seeds[tt.seed]
			v, ok := got[s.Subject]
			if !ok {
				t.Fatalf("no message with subject %q in alice's INBOX", s.Subject)
			}
			if v.Encrypted != tt.encrypted || v.IntegrityProtected != tt.encrypted {
				t.Errorf("encrypted, integrity = %v, %v, want %v", v.Encrypted, v.IntegrityProtected, tt.encrypted)
			}
			if v.Signature.Status != tt.sig {
				t.Errorf("signature = %s, want %s", v.Signature.Status, tt.sig)
			}
			if tt.sig == crypto.SigValid && (!v.Signature.SignerMatchesFrom || !v.Signature.CoversWholeMessage) {
				t.Errorf("signature matches From, covers all = %v, %v, want true, true",
					v.Signature.SignerMatchesFrom, v.Signature.CoversWholeMessage)
			}
			if hp := v.HeaderProtection != "" && v.HeaderProtection != "none"; tt.protection && !hp {
				t.Errorf("header protection = %q, want one applied", v.HeaderProtection)
			}
			if !strings.Contains(v.From, Bob) {
				t.Errorf("From = %q, want bob's address", v.From)
			}
			var names []string
			for _, a := range v.Attachments {
				names = append(names, a.Filename)
			}
			if want := s.Attachment; strings.Join(names, ",") != want {
				t.Errorf("attachments = %q, want %q", names, want)
			}
			if tt.seed == 3 && !strings.Contains(v.BodyText, tamperTo) {
				t.Errorf("tampered body = %q, want the altered account %q", v.BodyText, tamperTo)
			}
		})
	}
}

func TestSetupPinsTheServerCertificate(t *testing.T) {
	d, _ := setup(t)
	alice := openAlice(t, d)
	accts, err := alice.Accounts().List()
	if err != nil {
		t.Fatal(err)
	}
	if len(accts) != 1 || accts[0].Email != Alice {
		t.Fatalf("accounts = %+v, want alice's only", accts)
	}
	if got := len(accts[0].Pins); got != 2 {
		t.Errorf("pinned certificates = %d, want 2 (IMAP and SMTP)", got)
	}
	for _, pin := range accts[0].Pins {
		if pin.SHA256 != d.Servers.CertSHA256 {
			t.Errorf("pin %s:%d = %s, want %s", pin.Host, pin.Port, pin.SHA256, d.Servers.CertSHA256)
		}
	}
	entries, err := alice.Audit().Entries()
	if err != nil {
		t.Fatal(err)
	}
	pins := 0
	for _, e := range entries {
		if e.Kind == mail.AuditCertPinned {
			pins++
		}
	}
	if pins != 2 {
		t.Errorf("audit entries %s = %d, want 2", mail.AuditCertPinned, pins)
	}
}

func TestAliceReplyArrivesAtBob(t *testing.T) {
	d, ctx := setup(t)
	alice := openAlice(t, d)
	const subject = "Re: Encrypted and signed: the plan for Friday"
	if _, err := alice.Outbox().Send(ctx, Alice, backend.Draft{To: []string{Bob}, Subject: subject, Body: "See you Friday.\r\n"},
		backend.Security{}); err != nil {
		t.Fatalf("alice's send: %v", err)
	}
	if err := d.bob.Syncer().Sync(ctx, mail.SyncRequest{Account: Bob}); err != nil {
		t.Fatalf("bob's sync: %v", err)
	}
	got := inbox(t, d.bob, Bob)
	v, ok := got[subject]
	if !ok || len(got) != 1 {
		t.Fatalf("bob's INBOX subjects = %v, want just %q", keys(got), subject)
	}
	if !v.Encrypted || v.Signature.Status != crypto.SigValid {
		t.Errorf("reply encrypted, signature = %v, %s, want true, %s", v.Encrypted, v.Signature.Status, crypto.SigValid)
	}
}

func TestSetupRefusesExistingDir(t *testing.T) {
	dir := t.TempDir()
	_, err := Setup(context.Background(), Options{Dir: dir, Passphrase: testPassphrase})
	if !errors.Is(err, ErrDirExists) {
		t.Errorf("Setup on an existing folder: err = %v, want %v", err, ErrDirExists)
	}
}

func TestSMTPRefusesWhatTheDemoDoesNotDeliver(t *testing.T) {
	srv, err := StartServers(Alice, Bob)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	alicePW, err := srv.Password(Alice)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		user, pw string
		from, to string
		wantCode int
	}{
		{"wrong password", Alice, "wrong", Alice, Bob, 535},
		{"sender is not the user", Alice, alicePW, Bob, Bob, 553},
		{"recipient outside the demo", Alice, alicePW, Alice, "carol@example.org", 550},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code := submit(t, srv, tt.user, tt.pw, tt.from, tt.to)
			if code != tt.wantCode {
				t.Errorf("SMTP reply code = %d, want %d", code, tt.wantCode)
			}
		})
	}
}

func TestPasswordUnknownUser(t *testing.T) {
	srv, err := StartServers(Alice)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	if _, err := srv.Password(Bob); !errors.Is(err, ErrUnknownUser) {
		t.Errorf("Password(%s) err = %v, want %v", Bob, err, ErrUnknownUser)
	}
}

// keys lists a map's keys.
func keys(m map[string]mail.Verdict) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
