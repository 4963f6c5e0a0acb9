package mail

import (
	"bytes"
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-message"
	gomail "github.com/emersion/go-message/mail"

	"github.com/sealpost/sealpost/crypto"
	"github.com/sealpost/sealpost/mail/backend"
	"github.com/sealpost/sealpost/mail/testservers"
)

// serverDraft is a draft as the Drafts folder holds it: the outer header
// and the decrypted payload.
type serverDraft struct {
	outer   gomail.Header
	inner   gomail.Header
	text    string
	files   []string
	signed  crypto.SignatureStatus
	rawSize int
}

// openServerDraft decrypts raw, a message of the Drafts folder, with p's own keys.
func openServerDraft(t *testing.T, p *Profile, raw []byte) serverDraft {
	t.Helper()
	e, err := message.Read(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("parse draft: %v", err)
	}
	sd := serverDraft{outer: gomail.Header{Header: e.Header}, rawSize: len(raw)}
	if mt, params, _ := e.Header.ContentType(); mt != "multipart/encrypted" || params["protocol"] != "application/pgp-encrypted" {
		t.Fatalf("draft Content-Type = %s %v, want multipart/encrypted (PGP/MIME)", mt, params)
	}
	mr := e.MultipartReader()
	var parts [][]byte
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(part.Body)
		parts = append(parts, body)
	}
	if len(parts) != 2 {
		t.Fatalf("draft has %d parts, want 2", len(parts))
	}
	keys, err := p.keys.ownSecretKeys()
	if err != nil {
		t.Fatal(err)
	}
	verifiers := make([]*crypto.Key, len(keys))
	for i, k := range keys {
		verifiers[i] = k.Public()
	}
	plain, v, err := crypto.DecryptBytes(parts[1], crypto.DecryptOptions{Keys: keys, Verifiers: verifiers})
	if err != nil {
		t.Fatalf("decrypt the draft with the own key: %v", err)
	}
	sd.signed = v.Signature.Status
	inner, err := gomail.CreateReader(bytes.NewReader(plain))
	if err != nil {
		t.Fatalf("parse the decrypted draft: %v", err)
	}
	sd.inner = inner.Header
	for {
		part, err := inner.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(part.Body)
		switch h := part.Header.(type) {
		case *gomail.InlineHeader:
			sd.text = string(body)
		case *gomail.AttachmentHeader:
			name, _ := h.Filename()
			sd.files = append(sd.files, name+"="+string(body))
		}
	}
	return sd
}

// draftsOnServer returns the drafts in alice's Drafts folder and their flags.
func draftsOnServer(t *testing.T, srv *testservers.Servers, user string) ([][]byte, map[string][]string) {
	t.Helper()
	return srv.Messages(t, user, draftsFolderName), srv.Flags(t, user, draftsFolderName)
}

// TestDraftsReachTheDraftsFolder saves, replaces and deletes a draft and
// checks Dovecot's Drafts folder each time: one encrypted message whose
// outside says nothing, readable with the own key.
func TestDraftsReachTheDraftsFolder(t *testing.T) {
	srv := testservers.Start(t)
	alice := "alice@" + srv.Domain
	p := profileWithAccount(t, srv, alice, false)
	if _, err := p.Keys().GenerateKey("Alice", alice, "", 0); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	d := backend.Draft{
		To: []string{"Bob <bob@example.net>"}, Cc: []string{"carol@example.com"}, Bcc: []string{"dave@example.com"},
		Subject: "Secret plans ünïcode", Body: "Meet at noon.\n", InReplyTo: "orig@example.net",
		References:  []string{"root@example.net", "orig@example.net"},
		Attachments: []backend.Attachment{{Filename: "map.txt", ContentType: "text/plain", Data: []byte("X marks the spot")}},
	}
	id, err := p.Drafts().Save(alice, "", d, ModeEncrypt)
	if err != nil {
		t.Fatalf("SaveDraft: %v", err)
	}
	if list, _ := p.Drafts().List(alice); len(list) != 1 || list[0].Uploaded {
		t.Fatalf("Drafts before upload = %+v, want one not uploaded", list)
	}
	if err := p.Drafts().Upload(ctx, alice); err != nil {
		t.Fatalf("UploadDrafts: %v\n%s", err, srv.Log())
	}
	raws, flags := draftsOnServer(t, srv, alice)
	if len(raws) != 1 {
		t.Fatalf("Drafts folder holds %d messages, want 1", len(raws))
	}
	if f := flags[hiddenDraftSubject]; !slices.Contains(f, string(imap.FlagDraft)) || !slices.Contains(f, string(imap.FlagSeen)) {
		t.Errorf("draft flags = %v, want \\Draft and \\Seen", f)
	}
	for _, secret := range []string{"bob@", "carol@", "dave@", "Secret plans", "Meet at noon", "X marks", "orig@example.net", "map.txt"} {
		if bytes.Contains(raws[0], []byte(secret)) {
			t.Errorf("the server copy shows %q:\n%s", secret, raws[0])
		}
	}
	sd := openServerDraft(t, p, raws[0])
	for _, name := range []string{"To", "Cc", "Bcc", "In-Reply-To", "References"} {
		if sd.outer.Has(name) {
			t.Errorf("outer header has %s: %q", name, sd.outer.Get(name))
		}
	}
	outerID, _ := sd.outer.MessageID()
	if s, _ := sd.outer.Subject(); s != hiddenDraftSubject || outerID == "" || !strings.Contains(sd.outer.Get("From"), alice) {
		t.Errorf("outer Subject %q, Message-ID %q, From %q; want the placeholder, an id and alice", s, outerID, sd.outer.Get("From"))
	}
	innerSubject, _ := sd.inner.Subject()
	innerID, _ := sd.inner.MessageID()
	refs, _ := sd.inner.MsgIDList("References")
	for _, tt := range []struct{ name, got, want string }{
		{"Subject", innerSubject, d.Subject},
		{"To", sd.inner.Get("To"), `"Bob" <bob@example.net>`},
		{"Cc", sd.inner.Get("Cc"), "<carol@example.com>"},
		{"Bcc", sd.inner.Get("Bcc"), "<dave@example.com>"},
		{"In-Reply-To", sd.inner.Get("In-Reply-To"), "<orig@example.net>"},
		{"References", strings.Join(refs, " "), "root@example.net orig@example.net"},
		{"Message-ID", innerID, outerID},
		{"text", sd.text, "Meet at noon.\r\n"},
		{"attachments", strings.Join(sd.files, ";"), "map.txt=X marks the spot"},
		{"signature", string(sd.signed), string(crypto.SigValid)},
	} {
		if tt.got != tt.want {
			t.Errorf("decrypted %s = %q, want %q", tt.name, tt.got, tt.want)
		}
	}

	// Saving again replaces the server copy.
	d.Subject = "Secret plans, v2"
	if again, err := p.Drafts().Save(alice, id, d, ModeEncrypt); err != nil || again != id {
		t.Fatalf("second SaveDraft = %q, %v; want %q", again, err, id)
	}
	if err := p.Drafts().Upload(ctx, alice); err != nil {
		t.Fatalf("second UploadDrafts: %v", err)
	}
	raws, _ = draftsOnServer(t, srv, alice)
	if len(raws) != 1 {
		t.Fatalf("Drafts folder after a second save holds %d messages, want 1", len(raws))
	}
	second := openServerDraft(t, p, raws[0])
	if s, _ := second.inner.Subject(); s != d.Subject {
		t.Errorf("server draft subject after second save = %q, want %q", s, d.Subject)
	}
	if list, _ := p.Drafts().List(alice); len(list) != 1 || !list[0].Uploaded {
		t.Errorf("Drafts after upload = %+v, want one uploaded", list)
	}

	if err := p.Drafts().Delete(ctx, alice, id); err != nil {
		t.Fatalf("DeleteDraft: %v", err)
	}
	if raws, _ = draftsOnServer(t, srv, alice); len(raws) != 0 {
		t.Errorf("Drafts folder after delete holds %d messages, want 0", len(raws))
	}
	if recs, _ := p.store.Drafts().Records(""); len(recs) != 0 {
		t.Errorf("records after delete = %+v, want none (no tombstone left)", recs)
	}
}

// TestDraftsOfflineThenSync saves and deletes drafts without a connection,
// then lets a sync catch up.
func TestDraftsOfflineThenSync(t *testing.T) {
	srv := testservers.Start(t)
	alice := "alice@" + srv.Domain
	p := profileWithAccount(t, srv, alice, true)
	if _, err := p.Keys().GenerateKey("Alice", alice, "", 0); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	offline, stop := context.WithCancel(ctx)
	stop()

	// An uploaded draft deleted while offline leaves a tombstone.
	gone, err := p.Drafts().Save(alice, "", backend.Draft{To: []string{"bob@example.net"}, Subject: "gone"}, ModeEncrypt)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Drafts().Upload(ctx, alice); err != nil {
		t.Fatal(err)
	}
	if err := p.Drafts().Delete(offline, alice, gone); !errors.Is(err, backend.ErrDraftCopyKept) {
		t.Errorf("DeleteDraft offline: got error = %v, want ErrDraftCopyKept", err)
	}
	if list, _ := p.Drafts().List(alice); len(list) != 0 {
		t.Errorf("Drafts after deleting offline = %+v, want none", list)
	}

	id, err := p.Drafts().Save(alice, "", backend.Draft{Subject: "no recipients yet", Body: "later"}, ModePassword)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Drafts().Upload(offline, alice); err == nil {
		t.Fatal("UploadDrafts with a cancelled context succeeded")
	}
	list, err := p.Drafts().List(alice)
	if err != nil || len(list) != 1 || list[0].ID != id || list[0].Uploaded || list[0].Mode != ModePassword {
		t.Fatalf("Drafts after a failed upload = %+v, %v; want the draft, pending, in password mode", list, err)
	}

	var warnings []string
	if err := p.Syncer().Sync(ctx, SyncRequest{Warn: func(w string) { warnings = append(warnings, w) }}); err != nil {
		t.Fatalf("sync: %v", err)
	}
	if len(warnings) != 0 {
		t.Errorf("sync warnings = %q, want none", warnings)
	}
	raws, _ := draftsOnServer(t, srv, alice)
	if len(raws) != 1 {
		t.Fatalf("Drafts folder after sync holds %d messages, want 1 (the new draft, not the deleted one)", len(raws))
	}
	uploaded := openServerDraft(t, p, raws[0])
	if s, _ := uploaded.inner.Subject(); s != "no recipients yet" {
		t.Errorf("server draft subject = %q, want the pending draft", s)
	}
	if list, _ := p.Drafts().List(alice); len(list) != 1 || !list[0].Uploaded {
		t.Errorf("Drafts after sync = %+v, want one uploaded", list)
	}
}

// TestDraftsSyncWarnsWithoutOwnKey checks that a draft that cannot be
// uploaded (no own key to encrypt to) does not fail the sync but warns, and
// stays pending.
func TestDraftsSyncWarnsWithoutOwnKey(t *testing.T) {
	srv := testservers.Start(t)
	alice := "alice@" + srv.Domain
	p := profileWithAccount(t, srv, alice, false)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := p.Drafts().Save(alice, "", backend.Draft{Subject: "x"}, ModeEncrypt); err != nil {
		t.Fatal(err)
	}
	var warnings []string
	if err := p.Syncer().Sync(ctx, SyncRequest{Warn: func(w string) { warnings = append(warnings, w) }}); err != nil {
		t.Fatalf("sync: %v", err)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "own key") {
		t.Errorf("sync warnings = %q, want one about the missing own key", warnings)
	}
	if list, _ := p.Drafts().List(alice); len(list) != 1 || list[0].Uploaded {
		t.Errorf("Drafts = %+v, want the draft kept, pending", list)
	}
}

func TestSaveDraftRefusesUnknownMode(t *testing.T) {
	p := newTestProfile(t)
	if _, err := p.Drafts().Save("a@example.org", "", backend.Draft{}, "loud"); !errors.Is(err, ErrDraftMode) {
		t.Errorf("SaveDraft with mode loud: got error = %v, want ErrDraftMode", err)
	}
}
