package imapsync

import (
	"context"
	"errors"
	"testing"

	"github.com/sealpost/sealpost/localstore"
)

func TestFolderOps(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *testServer) {
		ctx := context.Background()
		admin := srv.admin(t)
		for _, name := range []string{"Projects", "Projects/Alpha"} {
			if err := admin.Create(name, nil).Wait(); err != nil {
				t.Fatalf("create %s: %v", name, err)
			}
		}
		fill(t, admin, "Projects", 1, 2, 300)
		st := newStore(t)
		s := newSyncer(t, st, srv.connector("", nil), nil)
		if _, err := s.SyncFolders(ctx); err != nil {
			t.Fatal(err)
		}
		// The connection has Projects selected: rename and delete leave it.
		if err := s.SyncFolder(ctx, "Projects"); err != nil {
			t.Fatal(err)
		}

		if err := s.CreateFolder(ctx, "Receipts"); err != nil {
			t.Fatalf("CreateFolder: %v", err)
		}
		if err := s.CreateFolder(ctx, "Receipts"); err == nil {
			t.Error("CreateFolder of an existing folder: no error")
		}
		if err := s.RenameFolder(ctx, "Projects", "Done"); err != nil {
			t.Fatalf("RenameFolder: %v", err)
		}
		if err := s.DeleteFolder(ctx, "Receipts"); err != nil {
			t.Fatalf("DeleteFolder: %v", err)
		}
		if err := s.DeleteFolder(ctx, "Nowhere"); err == nil {
			t.Error("DeleteFolder of a missing folder: no error")
		}
		list, err := admin.List("", "*", nil).Collect()
		if err != nil {
			t.Fatal(err)
		}
		onServer := map[string]bool{}
		for _, d := range list {
			onServer[d.Mailbox] = true
		}
		// imapmemserver renames no subfolders (RFC 9051 says it should):
		// what counts is that the store mirrors the server.
		for name, want := range map[string]bool{
			"Receipts": false, "Projects": false, "Done": true,
			"Projects/Alpha": !srv.special, "Done/Alpha": srv.special,
		} {
			_, err := st.Folders().Get(testUser, name)
			if local := err == nil; local != want || onServer[name] != want {
				t.Errorf("%s: on server = %v, stored = %v; want both %v", name, onServer[name], local, want)
			}
		}
		if n, _ := st.Messages().CountSummaries(testUser, "Projects"); n != 0 {
			t.Errorf("renamed folder: %d messages stay under the old name", n)
		}
		if err := s.SyncFolder(ctx, "Done"); err != nil {
			t.Fatal(err)
		}
		if n, _ := st.Messages().CountSummaries(testUser, "Done"); n != 2 {
			t.Errorf("renamed folder after a sync: %d messages, want 2", n)
		}
		if _, err := st.Folders().Get(testUser, "Receipts"); !errors.Is(err, localstore.ErrNotFound) {
			t.Errorf("deleted folder: Get error = %v, want ErrNotFound", err)
		}
	})
}

func TestFolderOpsOffline(t *testing.T) {
	st := newStore(t)
	if err := st.Folders().Put(localstore.Folder{Account: testUser, Name: "Work"}); err != nil {
		t.Fatal(err)
	}
	s := newSyncer(t, st, offline, nil)
	ctx := context.Background()
	for name, op := range map[string]func() error{
		"create": func() error { return s.CreateFolder(ctx, "New") },
		"rename": func() error { return s.RenameFolder(ctx, "Work", "Play") },
		"delete": func() error { return s.DeleteFolder(ctx, "Work") },
	} {
		if err := op(); err == nil {
			t.Errorf("%s offline: no error", name)
		}
	}
	if _, err := st.Folders().Get(testUser, "Work"); err != nil {
		t.Errorf("offline rename or delete changed the store: %v", err)
	}
}
