package main

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/sealpost/sealpost/mail/mailtest"
)

// folderNames runs `folder list --json` and returns the names.
func folderNames(t *testing.T, dir, pass string, extra ...string) []folderJSON {
	t.Helper()
	r := mustSucceed(t, sealpost(t, dir, pass, append([]string{"folder", "list", "--json"}, extra...)...))
	var out []folderJSON
	if err := json.Unmarshal([]byte(r.out), &out); err != nil {
		t.Fatalf("folder list --json is not JSON: %v\n%s", err, r.out)
	}
	return out
}

func TestFolderCommands(t *testing.T) {
	for _, kind := range mailtest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			srv := mailtest.StartKind(t, kind)
			alice := srv.Alice
			dir, pass := mailtestProfile(t, srv, alice)
			srv.Deliver(t, srv.Bob, alice, mailtest.Message(srv.Bob, alice, "Unread", "Hi."))
			mustSucceed(t, sealpost(t, dir, pass, "sync"))
			names := func() []string {
				var out []string
				for _, f := range folderNames(t, dir, pass) {
					out = append(out, f.Name)
				}
				return out
			}
			infos := folderNames(t, dir, pass, "--account", alice)
			if len(infos) == 0 || infos[0].Name != "INBOX" || infos[0].Unread != 1 || infos[0].Total != 1 {
				t.Fatalf("folder list = %+v, want INBOX first with 1 unread of 1", infos)
			}
			if r := mustSucceed(t, sealpost(t, dir, pass, "folder", "list")); !slices.Contains(names(), "Sent") || r.out == "" {
				t.Errorf("folder list: %q", r.out)
			}

			mustSucceed(t, sealpost(t, dir, pass, "folder", "create", "Receipts"))
			failsWith(t, sealpost(t, dir, pass, "folder", "create", "Receipts"), 1, "exists already")
			failsWith(t, sealpost(t, dir, pass, "folder", "create", "a*b"), 1, "not allowed")
			mustSucceed(t, sealpost(t, dir, pass, "folder", "rename", "Receipts", "Bills", "--account", alice))
			failsWith(t, sealpost(t, dir, pass, "folder", "rename", "INBOX", "Old"), 1, "Inbox cannot be renamed")
			if got := names(); !slices.Contains(got, "Bills") || slices.Contains(got, "Receipts") {
				t.Errorf("after rename: %q", got)
			}
			failsWith(t, sealpost(t, dir, pass, "folder", "delete", "Bills"), 2, "--yes")
			mustSucceed(t, sealpost(t, dir, pass, "folder", "delete", "Bills", "--yes"))
			if got := names(); slices.Contains(got, "Bills") {
				t.Errorf("after delete: %q", got)
			}
			failsWith(t, sealpost(t, dir, pass, "folder", "rename", "OnlyOne"), 2, "unexpected arguments")
			failsWith(t, sealpost(t, dir, pass, "folder", "create", "--account", "nobody@example.org", "X"), 1, "nobody@example.org")
		})
	}
}
