package mail_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/sealpost/sealpost/mail"
	"github.com/sealpost/sealpost/mail/backend"
	"github.com/sealpost/sealpost/mail/mailtest"
)

// folderNames lists the names of e's folders of account.
func folderNames(t *testing.T, e *mail.Engine, account string) []string {
	t.Helper()
	infos, err := e.FolderInfos(t.Context(), account)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range infos {
		names = append(names, f.Name)
	}
	return names
}

// onServer reports which folders a fresh profile of account finds after a
// sync: what the server holds.
func onServer(t *testing.T, srv *mailtest.Servers, account string) []string {
	t.Helper()
	fresh := mailtest.NewEngine(t, srv, account, nil)
	if err := fresh.Sync(t.Context(), account, nil); err != nil {
		t.Fatalf("sync a fresh profile: %v", err)
	}
	return folderNames(t, fresh, account)
}

// TestFolderManagement creates, renames and deletes folders through the
// engine against each kind of test server, and checks the counts the
// folder tree shows.
func TestFolderManagement(t *testing.T) {
	for _, kind := range mailtest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			srv := mailtest.StartKind(t, kind)
			alice := srv.Alice
			e := mailtest.NewEngine(t, srv, alice, nil)
			ctx := t.Context()
			for _, s := range []string{"one", "two", "three"} {
				srv.Deliver(t, srv.Bob, alice, mailtest.Message(srv.Bob, alice, s, "Hi."))
			}
			if err := e.Sync(ctx, alice, nil); err != nil {
				t.Fatalf("sync: %v", err)
			}
			msgs, err := e.Messages(ctx, alice, "INBOX", 10)
			if err != nil || len(msgs) != 3 {
				t.Fatalf("INBOX = %d messages, %v; want 3", len(msgs), err)
			}
			if err := e.MarkRead(ctx, alice, "INBOX", []uint32{msgs[0].UID}, true); err != nil {
				t.Fatal(err)
			}
			infos, err := e.FolderInfos(ctx, alice)
			if err != nil || len(infos) == 0 || infos[0].Name != "INBOX" || infos[0].Unread != 2 || infos[0].Total != 3 {
				t.Fatalf("FolderInfos = %+v, %v; want INBOX first with 2 of 3 unread", infos, err)
			}
			if i := slices.IndexFunc(infos, func(f backend.FolderInfo) bool { return f.Role == backend.RoleSent }); i < 0 {
				t.Errorf("no folder has the Sent role: %+v", infos)
			}

			events := e.Subscribe(ctx)
			if err := e.CreateFolder(ctx, alice, "Receipts"); err != nil {
				t.Fatalf("CreateFolder: %v", err)
			}
			waitFoldersChanged(t, events, alice)
			if err := e.CreateFolder(ctx, alice, "Receipts"); !errors.Is(err, backend.ErrFolderExists) {
				t.Errorf("create it again: got %v, want ErrFolderExists", err)
			}
			for _, bad := range []string{"", " padded", "a*b", "INBOX", "Tab\there"} {
				if err := e.CreateFolder(ctx, alice, bad); !errors.Is(err, backend.ErrFolderName) {
					t.Errorf("CreateFolder(%q) = %v, want ErrFolderName", bad, err)
				}
			}
			if err := e.RenameFolder(ctx, alice, "Receipts", "Bills"); err != nil {
				t.Fatalf("RenameFolder: %v", err)
			}
			if err := e.RenameFolder(ctx, alice, "INBOX", "Old"); !errors.Is(err, backend.ErrInboxFixed) {
				t.Errorf("rename INBOX: got %v, want ErrInboxFixed", err)
			}
			if err := e.RenameFolder(ctx, alice, "Bills", "Sent"); !errors.Is(err, backend.ErrFolderExists) {
				t.Errorf("rename onto Sent: got %v, want ErrFolderExists", err)
			}
			if got := folderNames(t, e, alice); !slices.Contains(got, "Bills") || slices.Contains(got, "Receipts") {
				t.Errorf("after the rename the folders are %q, want Bills and no Receipts", got)
			}
			if got := onServer(t, srv, alice); !slices.Contains(got, "Bills") || slices.Contains(got, "Receipts") {
				t.Errorf("after the rename the server has %q, want Bills and no Receipts", got)
			}
			if err := e.DeleteFolder(ctx, alice, "INBOX"); !errors.Is(err, backend.ErrInboxFixed) {
				t.Errorf("delete INBOX: got %v, want ErrInboxFixed", err)
			}
			if err := e.DeleteFolder(ctx, alice, "Nowhere"); !errors.Is(err, mail.ErrFolderNotSynced) {
				t.Errorf("delete a missing folder: got %v, want ErrFolderNotSynced", err)
			}
			if err := e.DeleteFolder(ctx, alice, "Bills"); err != nil {
				t.Fatalf("DeleteFolder: %v", err)
			}
			if got := folderNames(t, e, alice); slices.Contains(got, "Bills") {
				t.Errorf("after the delete the folders are %q, want no Bills", got)
			}
			if got := onServer(t, srv, alice); slices.Contains(got, "Bills") {
				t.Errorf("after the delete the server has %q, want no Bills", got)
			}
		})
	}
}

// waitFoldersChanged waits for the folders_changed event of account.
func waitFoldersChanged(t *testing.T, events <-chan backend.Event, account string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case ev := <-events:
			if ev.Kind == backend.EventFoldersChanged && ev.Account == account {
				return
			}
		case <-deadline:
			t.Fatal("no folders_changed event")
		}
	}
}

// TestFolderManagementNeedsUnlockedProfile: a locked engine refuses.
func TestFolderManagementNeedsUnlockedProfile(t *testing.T) {
	e := mail.NewEngine(t.TempDir()+"/p", nil)
	ctx := context.Background()
	for name, call := range map[string]func() error{
		"infos":  func() error { _, err := e.FolderInfos(ctx, "a@example.org"); return err },
		"create": func() error { return e.CreateFolder(ctx, "a@example.org", "X") },
		"rename": func() error { return e.RenameFolder(ctx, "a@example.org", "X", "Y") },
		"delete": func() error { return e.DeleteFolder(ctx, "a@example.org", "X") },
	} {
		if err := call(); !errors.Is(err, mail.ErrProfileLocked) {
			t.Errorf("%s: got %v, want ErrProfileLocked", name, err)
		}
	}
}
