package imapsync

import (
	"context"
	"errors"
	"testing"

	"github.com/emersion/go-imap/v2"

	"github.com/sealpost/sealpost/localstore"
)

func TestFolderFromList(t *testing.T) {
	tests := []struct {
		name string
		in   imap.ListData
		want Folder
	}{
		{"inbox any case", imap.ListData{Mailbox: "Inbox", Delim: '/'}, Folder{Name: "INBOX", Delimiter: "/", Selectable: true}},
		{"special use", imap.ListData{Mailbox: "Sent Items", Delim: '.', Attrs: []imap.MailboxAttr{imap.MailboxAttrHasNoChildren, `\sent`}},
			Folder{Name: "Sent Items", Delimiter: ".", SpecialUse: SpecialSent, Selectable: true}},
		{"noselect", imap.ListData{Mailbox: "[Gmail]", Delim: '/', Attrs: []imap.MailboxAttr{imap.MailboxAttrNoSelect}},
			Folder{Name: "[Gmail]", Delimiter: "/"}},
		{"no delimiter", imap.ListData{Mailbox: "Work"}, Folder{Name: "Work", Selectable: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := folderFromList(&tt.in); got != tt.want {
				t.Errorf("folderFromList = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestGuessSpecialUse(t *testing.T) {
	folders := []Folder{
		{Name: "INBOX", Delimiter: "/", Selectable: true},
		{Name: "INBOX/Trash", Delimiter: "/", Selectable: true},
		{Name: "Junk", Delimiter: "/", Selectable: true, SpecialUse: SpecialArchive},
		{Name: "Sent Items", Delimiter: "/", Selectable: true},
		{Name: "Spam", Delimiter: "/", Selectable: true},
		{Name: "[Gmail]/All Mail", Delimiter: "/", Selectable: true},
		{Name: "Archive", Delimiter: "/", Selectable: true},
	}
	guessSpecialUse(folders)
	want := map[string]string{
		"INBOX": "", "INBOX/Trash": SpecialTrash, "Sent Items": SpecialSent,
		// Junk claims \Archive from the server, so the name Archive stays plain.
		"Junk": SpecialArchive, "Spam": SpecialJunk, "[Gmail]/All Mail": SpecialAll, "Archive": "",
	}
	for _, f := range folders {
		if f.SpecialUse != want[f.Name] {
			t.Errorf("%s: got special use = %q, want %q", f.Name, f.SpecialUse, want[f.Name])
		}
	}
}

func TestSyncFoldersAndFolderOps(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *testServer) {
		ctx := context.Background()
		admin := srv.admin(t)
		for _, name := range []string{"Sent", "Trash", "Old", "Projects", "Projects/Alpha"} {
			if err := admin.Create(name, nil).Wait(); err != nil && !srv.special {
				t.Fatalf("create %s: %v", name, err)
			}
		}
		fill(t, admin, "Old", 1, 2, 300)
		st := newStore(t)
		s := newSyncer(t, st, srv.connector("", nil), nil)
		if _, err := s.SyncFolders(ctx); err != nil {
			t.Fatalf("SyncFolders: %v", err)
		}
		if err := s.SyncFolder(ctx, "Old"); err != nil {
			t.Fatal(err)
		}
		for name, use := range map[string]string{"INBOX": "", "Sent": SpecialSent, "Trash": SpecialTrash, "Projects/Alpha": ""} {
			f, err := st.Folders().Get(testUser, name)
			if err != nil {
				t.Fatalf("folder %s: %v", name, err)
			}
			if f.SpecialUse != use || f.Delimiter != "/" {
				t.Errorf("%s: got special use %q, delimiter %q; want %q, /", name, f.SpecialUse, f.Delimiter, use)
			}
		}

		// A folder deleted on the server goes, with its messages.
		if err := admin.Delete("Old").Wait(); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SyncFolders(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Folders().Get(testUser, "Old"); !errors.Is(err, localstore.ErrNotFound) {
			t.Errorf("vanished folder: Get error = %v, want ErrNotFound", err)
		}
		if n, _ := st.Messages().CountSummaries(testUser, "Old"); n != 0 {
			t.Errorf("vanished folder still has %d messages", n)
		}
	})
}
