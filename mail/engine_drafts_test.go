package mail

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail/backend"
	"github.com/sealpost/sealpost/mail/testservers"
)

// TestEngineDraftsWithoutServer saves a draft for an account whose server
// cannot be reached: it is kept, reported as not uploaded, listed, opened
// with everything restored, and deleted without a connection.
func TestEngineDraftsWithoutServer(t *testing.T) {
	e := engineWithMail(t)
	ctx := context.Background()
	d := backend.Draft{
		To: []string{"Bob <bob@example.net>"}, Cc: []string{"carol@example.com"}, Bcc: []string{"dave@example.com"},
		Subject: "Plans", Body: "text\n", InReplyTo: "orig@example.net", References: []string{"orig@example.net"},
		Attachments: []backend.Attachment{{Filename: "a.txt", ContentType: "text/plain", Size: 3, Data: []byte("abc")}},
	}
	id, err := e.SaveDraft(ctx, "alice@example.org", "", d, backend.ModePassword)
	if !errors.Is(err, backend.ErrDraftNotUploaded) || id == "" {
		t.Fatalf("SaveDraft without a server = %q, %v; want an id and ErrDraftNotUploaded", id, err)
	}
	list, err := e.Drafts(t.Context(), "")
	if err != nil || len(list) != 1 || list[0].ID != id || list[0].Uploaded || list[0].Draft.Subject != "Plans" {
		t.Fatalf("Drafts = %+v, %v; want the draft, not uploaded", list, err)
	}
	got, err := e.OpenDraft(t.Context(), "alice@example.org", id)
	if err != nil {
		t.Fatalf("OpenDraft: %v", err)
	}
	if !reflect.DeepEqual(got.Draft, d) || got.Mode != backend.ModePassword || got.Account != "alice@example.org" {
		t.Errorf("OpenDraft = %+v (mode %q), want %+v in password mode", got.Draft, got.Mode, d)
	}
	if err := e.DeleteDraft(ctx, "alice@example.org", id); err != nil {
		t.Fatalf("DeleteDraft of a draft never uploaded: %v", err)
	}
	_, err = e.OpenDraft(t.Context(), "alice@example.org", id)
	if !errors.Is(err, localstore.ErrNotFound) {
		t.Errorf("OpenDraft after delete: got error = %v, want ErrNotFound", err)
	}
	if _, err := e.SaveDraft(ctx, "nobody@example.org", "", d, backend.ModeEncrypt); err == nil || errors.Is(err, backend.ErrDraftNotUploaded) {
		t.Errorf("SaveDraft for an unknown account: got error = %v, want a refusal", err)
	}
	if err := e.Lock(); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Drafts(t.Context(), ""); !errors.Is(err, ErrProfileLocked) {
		t.Errorf("Drafts while locked: got error = %v, want ErrProfileLocked", err)
	}
}

// TestEngineDraftsThroughTheServer saves a draft through the engine with a
// reachable server: no error, one copy in the Drafts folder, marked
// uploaded; deleting it removes the copy.
func TestEngineDraftsThroughTheServer(t *testing.T) {
	srv := testservers.Start(t)
	alice := "alice@" + srv.Domain
	p := profileWithAccount(t, srv, alice, false)
	if _, err := p.Keys().GenerateKey("Alice", alice, "", 0); err != nil {
		t.Fatal(err)
	}
	e := NewEngine(p.Dir(), nil)
	e.swap(p)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	id, err := e.SaveDraft(ctx, alice, "", backend.Draft{To: []string{"bob@example.net"}, Subject: "hello"}, backend.ModeEncrypt)
	if err != nil {
		t.Fatalf("SaveDraft: %v\n%s", err, srv.Log())
	}
	if list, _ := e.Drafts(t.Context(), alice); len(list) != 1 || !list[0].Uploaded {
		t.Errorf("Drafts = %+v, want one uploaded", list)
	}
	if raws, _ := draftsOnServer(t, srv, alice); len(raws) != 1 {
		t.Fatalf("Drafts folder holds %d messages, want 1", len(raws))
	}
	if err := e.DeleteDraft(ctx, alice, id); err != nil {
		t.Fatalf("DeleteDraft: %v", err)
	}
	if raws, _ := draftsOnServer(t, srv, alice); len(raws) != 0 {
		t.Errorf("Drafts folder after delete holds %d messages, want 0", len(raws))
	}
}

// TestEngineSaveDraftWithDoneContext is how the app keeps what composers
// hold when it locks: the context is already done, yet the draft is saved
// on this computer and only its upload is skipped.
func TestEngineSaveDraftWithDoneContext(t *testing.T) {
	e := engineWithMail(t)
	done, cancel := context.WithCancel(t.Context())
	cancel()
	id, err := e.SaveDraft(done, "alice@example.org", "", backend.Draft{Subject: "Kept at lock"}, backend.ModeEncrypt)
	if !errors.Is(err, backend.ErrDraftNotUploaded) || id == "" {
		t.Fatalf("SaveDraft with a done context = %q, %v; want an id and ErrDraftNotUploaded", id, err)
	}
	list, err := e.Drafts(t.Context(), "")
	if err != nil || len(list) != 1 || list[0].ID != id || list[0].Uploaded {
		t.Fatalf("Drafts = %+v, %v; want the draft kept, not uploaded", list, err)
	}
}
