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
)

const enginePass = "engine test passphrase"

// engineWithMail returns an unlocked engine whose profile has an own key
// for alice@example.org, an unverified contact key for bob@example.net, an
// account for Alice and one message to herself, encrypted and signed, in
// her INBOX (stored as a sync would store it).
func engineWithMail(t *testing.T) *Engine {
	t.Helper()
	opts := &ProfileOptions{Store: &localstore.Options{KDF: &cheapKDF}}
	e := NewEngine(filepath.Join(t.TempDir(), "p"), opts)
	t.Cleanup(func() { _ = e.Lock() })
	if err := e.CreateProfile(t.Context(), []byte(enginePass)); err != nil {
		t.Fatal(err)
	}
	var raw []byte
	err := e.with(t.Context(), func(p *Profile) error {
		if _, err := p.Keys().GenerateKey("Alice Example", "alice@example.org", "", 0); err != nil {
			return err
		}
		other, err := CreateProfile(filepath.Join(t.TempDir(), "bob"), []byte(enginePass), opts)
		if err != nil {
			return err
		}
		defer other.Close()
		if _, err := other.Keys().GenerateKey("Bob Example", "bob@example.net", "", 0); err != nil {
			return err
		}
		pub, err := other.Keys().ExportPublic("bob@example.net")
		if err != nil {
			return err
		}
		if _, err := p.Keys().ImportKeys([]byte(pub), nil); err != nil {
			return err
		}
		raw, err = p.Composer().Compose("alice@example.org", backend.Draft{To: []string{"alice@example.org"}, Subject: "Note to self", Body: "remember\n"},
			backend.Security{Mode: ModeEncrypt})
		if err != nil {
			return err
		}
		st := p.store
		if err := st.Accounts().Put(localstore.Account{Email: "alice@example.org", DisplayName: "Alice Example"}); err != nil {
			return err
		}
		if err := st.Folders().Put(localstore.Folder{Account: "alice@example.org", Name: "INBOX"}); err != nil {
			return err
		}
		if err := st.Messages().PutSummaries("alice@example.org", "INBOX", []localstore.Summary{{
			UID: 7, From: "Alice Example <alice@example.org>", Subject: "...", Date: time.Now(), Flags: []string{`\Seen`}, Encrypted: true,
		}}); err != nil {
			return err
		}
		return st.Messages().PutRawBatch("alice@example.org", "INBOX", []localstore.RawMessage{{UID: 7, Raw: raw}})
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestEngineKeyStates(t *testing.T) {
	e := engineWithMail(t)
	states, err := e.KeyStates(t.Context(), []string{"alice@example.org", "Bob Example <BOB@example.net>", "carol@example.com", "not an address"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{backend.VerificationOwn, backend.VerificationUnverified, "", ""}
	for i, s := range states {
		if s.Verification != want[i] || (want[i] == "") != (s.Fingerprint == "") {
			t.Errorf("state %d (%s): got = %q with fingerprint %q, want %q", i, s.Address, s.Verification, s.Fingerprint, want[i])
		}
	}
}

func TestEngineListsAndOpensMail(t *testing.T) {
	e := engineWithMail(t)
	accts, err := e.Accounts(t.Context())
	if err != nil || len(accts) != 1 || accts[0].Email != "alice@example.org" {
		t.Fatalf("accounts = %+v, %v; want Alice's", accts, err)
	}
	folders, err := e.Folders(t.Context(), "alice@example.org")
	if err != nil || len(folders) != 1 || folders[0].Name != "INBOX" {
		t.Fatalf("folders = %+v, %v; want only INBOX (the only one stored)", folders, err)
	}
	msgs, err := e.Messages(t.Context(), "alice@example.org", "INBOX", 10)
	if err != nil || len(msgs) != 1 || msgs[0].UID != 7 || !msgs[0].Seen || !msgs[0].Encrypted {
		t.Fatalf("messages = %+v, %v; want UID 7, seen and encrypted", msgs, err)
	}
	m, err := e.Open(t.Context(), "alice@example.org", "INBOX", 7)
	if err != nil {
		t.Fatal(err)
	}
	if !m.Encrypted || !m.Decrypted || m.Subject != "Note to self" || strings.TrimSpace(m.Body) != "remember" {
		t.Errorf("message = %+v, want the decrypted note", m)
	}
	if !m.Signature.Counts() || m.Signature.Verification != backend.VerificationOwn || m.Signature.Signer != "Alice Example <alice@example.org>" {
		t.Errorf("signature = %+v, want a valid signature by Alice's own key", m.Signature)
	}
	if m.Transport != nil {
		t.Errorf("transport = %+v, want none without a connection", m.Transport)
	}
	if _, err := e.Open(t.Context(), "alice@example.org", "INBOX", 8); err == nil {
		t.Error("opening a missing message succeeded")
	}
}

func TestEngineSendFailsClosed(t *testing.T) {
	e := engineWithMail(t)
	ctx := context.Background()
	d := backend.Draft{To: []string{"carol@example.com"}, Subject: "hi", Body: "hi"}
	err := e.Send(ctx, "alice@example.org", d, backend.Security{Mode: backend.ModeEncrypt})
	var missing *backend.MissingKeysError
	if !errors.As(err, &missing) || len(missing.Addresses) != 1 || missing.Addresses[0] != "carol@example.com" {
		t.Fatalf("send to a recipient without a key: got = %v, want a *backend.MissingKeysError naming carol", err)
	}
	if err := e.Send(ctx, "alice@example.org", d, backend.Security{Mode: "auto"}); !errors.Is(err, ErrUnknownMode) {
		t.Errorf("send with mode auto: got = %v, want ErrUnknownMode (the UI always chooses explicitly)", err)
	}
	var items []OutboxItem
	if err := e.with(t.Context(), func(p *Profile) (err error) { items, err = p.Outbox().List(); return err }); err != nil || len(items) != 0 {
		t.Errorf("outbox = %d items, %v; want nothing queued", len(items), err)
	}
}

func TestEngineLocked(t *testing.T) {
	e := NewEngine(filepath.Join(t.TempDir(), "p"), nil)
	calls := map[string]func() error{
		"ListKeys":   func() error { _, err := e.ListKeys(t.Context()); return err },
		"ImportKeys": func() error { _, err := e.ImportKeys(t.Context(), nil); return err },
		"VerifyKey":  func() error { _, err := e.VerifyKey(t.Context(), "00"); return err },
		"KeyStates":  func() error { _, err := e.KeyStates(t.Context(), nil); return err },
		"Accounts":   func() error { _, err := e.Accounts(t.Context()); return err },
		"Folders":    func() error { _, err := e.Folders(t.Context(), "a@example.org"); return err },
		"Messages":   func() error { _, err := e.Messages(t.Context(), "a@example.org", "INBOX", 1); return err },
		"Open":       func() error { _, err := e.Open(t.Context(), "a@example.org", "INBOX", 1); return err },
		"Inspect":    func() error { _, err := e.Inspect(t.Context(), nil); return err },
		"Reply":      func() error { _, err := e.Reply(t.Context(), "a@example.org", "INBOX", 1, false); return err },
		"Sync":       func() error { return e.Sync(context.Background(), "", nil) },
		"Send": func() error {
			return e.Send(context.Background(), "a@example.org", backend.Draft{}, backend.Security{Mode: backend.ModePlain})
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			if err := call(); !errors.Is(err, ErrProfileLocked) {
				t.Errorf("got = %v, want ErrProfileLocked", err)
			}
		})
	}
}

func TestEngineReply(t *testing.T) {
	e := engineWithMail(t)
	r, err := e.Reply(t.Context(), "alice@example.org", "INBOX", 7, false)
	if err != nil {
		t.Fatal(err)
	}
	d := r.Draft
	if len(d.To) != 1 || !strings.Contains(d.To[0], "alice@example.org") || d.Subject != "Re: Note to self" {
		t.Errorf("draft to %q, subject %q; want a reply to Alice about Note to self", d.To, d.Subject)
	}
	if !strings.Contains(d.Body, "> remember") || d.InReplyTo == "" || len(d.References) == 0 || d.References[len(d.References)-1] != d.InReplyTo {
		t.Errorf("draft = %+v, want the quoted text and the thread's Message-IDs", d)
	}
	if _, err := e.Reply(t.Context(), "alice@example.org", "INBOX", 8, false); err == nil {
		t.Error("replying to a missing message succeeded")
	}
}
