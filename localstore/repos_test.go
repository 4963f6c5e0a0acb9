package localstore

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"
)

// ts returns a fixed UTC time for round-trip comparisons.
func ts(sec int64) time.Time { return time.Unix(1_700_000_000+sec, 123456789).UTC() }

func TestAccountsRoundTrip(t *testing.T) {
	s := newTestStore(t)
	r := s.Accounts()
	a := Account{
		Email: "Alice@Example.org", DisplayName: "Alice",
		IMAP:     ServerConfig{Host: "imap.example.org", Port: 993, Security: "tls"},
		SMTP:     ServerConfig{Host: "smtp.example.org", Port: 587, Security: "starttls"},
		Username: "alice", Secret: Secret{Kind: "password", Value: "hunter2hunter2"},
		PinnedCerts: []PinnedCert{{Host: "imap.example.org", Port: 993, SHA256: "ab12", PinnedAt: ts(1)}},
		CreatedAt:   ts(0),
	}
	b := Account{Email: "bob@example.net", DisplayName: "Bob", CreatedAt: ts(2)}
	for _, acct := range []Account{a, b, a} { // a twice: re-put is an overwrite
		if err := r.Put(acct); err != nil {
			t.Fatalf("Put: %v", err)
		}
	}
	got, err := r.Get("alice@EXAMPLE.org")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if !reflect.DeepEqual(got, a) {
		t.Errorf("Get = %+v, want %+v", got, a)
	}
	list, err := r.List()
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if want := []Account{a, b}; !reflect.DeepEqual(list, want) {
		t.Errorf("List = %+v, want %+v", list, want)
	}
	a.DisplayName = "Alice Updated"
	if err := r.Put(a); err != nil {
		t.Fatal(err)
	}
	if got, _ := r.Get(a.Email); got.DisplayName != "Alice Updated" {
		t.Errorf("DisplayName after update = %q, want %q", got.DisplayName, "Alice Updated")
	}
	if err := r.Put(Account{}); err == nil {
		t.Errorf("Put without address: got nil error, want one")
	}

	// Deleting an account removes its folders and messages too.
	if err := s.Folders().Put(Folder{Account: a.Email, Name: "INBOX"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Messages().PutSummaries(a.Email, "INBOX", []Summary{{UID: 1}}); err != nil {
		t.Fatal(err)
	}
	if err := r.Delete(a.Email); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	_, err = r.Get(a.Email)
	wantErr(t, "Get after Delete", err, ErrNotFound)
	wantErr(t, "second Delete", r.Delete(a.Email), ErrNotFound)
	if fs, _ := s.Folders().List(a.Email); len(fs) != 0 {
		t.Errorf("folders after account Delete = %d, want 0", len(fs))
	}
	if n, _ := s.Messages().CountSummaries(a.Email, "INBOX"); n != 0 {
		t.Errorf("summaries after account Delete = %d, want 0", n)
	}
	s = reopen(t, s)
	if list, _ := s.Accounts().List(); !reflect.DeepEqual(list, []Account{b}) {
		t.Errorf("List after reopen = %+v, want %+v", list, []Account{b})
	}
}

func TestFoldersRoundTrip(t *testing.T) {
	s := newTestStore(t)
	r := s.Folders()
	inbox := Folder{Account: "a@example.org", Name: "INBOX", Delimiter: "/", UIDValidity: 7, UIDNext: 42,
		HighestModSeq: 1 << 40, Subscribed: true, Attributes: []string{`\HasNoChildren`}, LastSync: ts(3)}
	sent := Folder{Account: "a@example.org", Name: "Sent", Delimiter: "/", SpecialUse: `\Sent`}
	other := Folder{Account: "b@example.org", Name: "INBOX"}
	for _, f := range []Folder{inbox, sent, other, inbox} {
		if err := r.Put(f); err != nil {
			t.Fatalf("Put: %v", err)
		}
	}
	tests := []struct {
		name, account, folder string
		want                  Folder
	}{
		{"exact", "a@example.org", "INBOX", inbox},
		{"inbox is case-insensitive", "A@example.org", "inbox", inbox},
		{"other folder", "a@example.org", "Sent", sent},
		{"other account", "b@example.org", "INBOX", other},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := r.Get(tt.account, tt.folder)
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Get = %+v, want %+v", got, tt.want)
			}
		})
	}
	_, err := r.Get("a@example.org", "sent")
	wantErr(t, "Get with other case of a non-INBOX name", err, ErrNotFound)
	list, err := r.List("a@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if want := []Folder{inbox, sent}; !reflect.DeepEqual(list, want) {
		t.Errorf("List = %+v, want %+v", list, want)
	}
	if list, _ := r.List("nobody@example.org"); len(list) != 0 {
		t.Errorf("List of unknown account = %d folders, want 0", len(list))
	}
	if err := s.Messages().PutSummaries("a@example.org", "Sent", []Summary{{UID: 5}}); err != nil {
		t.Fatal(err)
	}
	if err := r.Delete("a@example.org", "Sent"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	wantErr(t, "second Delete", r.Delete("a@example.org", "Sent"), ErrNotFound)
	if n, _ := s.Messages().CountSummaries("a@example.org", "Sent"); n != 0 {
		t.Errorf("summaries after folder Delete = %d, want 0", n)
	}
}

func makeSummaries(from, to uint32, tag string) []Summary {
	out := make([]Summary, 0, to-from+1)
	for uid := from; uid <= to; uid++ {
		out = append(out, Summary{
			UID: uid, MessageID: fmt.Sprintf("<%d.%s@example.org>", uid, tag),
			From: "Bob <bob@example.net>", To: "alice@example.org", Subject: fmt.Sprintf("%s %d", tag, uid),
			Date: ts(int64(uid)), InternalDate: ts(int64(uid) + 1), Flags: []string{`\Seen`},
			Size: 1000 + uid, Encrypted: uid%2 == 0, Preview: "hello",
		})
	}
	return out
}

func uidsOf(ss []Summary) []uint32 {
	var out []uint32
	for _, s := range ss {
		out = append(out, s.UID)
	}
	return out
}

func TestSummariesRoundTrip(t *testing.T) {
	s := newTestStore(t)
	r := s.Messages()
	const acct, folder = "a@example.org", "INBOX"
	batch := makeSummaries(1, 50, "v1")
	if err := r.PutSummaries(acct, folder, batch); err != nil {
		t.Fatalf("PutSummaries: %v", err)
	}
	// Re-sync of an overlapping range overwrites instead of duplicating.
	if err := r.PutSummaries(acct, folder, makeSummaries(41, 60, "v2")); err != nil {
		t.Fatalf("PutSummaries overlap: %v", err)
	}
	if n, err := r.CountSummaries(acct, folder); err != nil || n != 60 {
		t.Errorf("CountSummaries = %d, %v, want 60, nil", n, err)
	}
	got, err := r.Summary(acct, folder, 7)
	if err != nil {
		t.Fatalf("Summary: %v", err)
	}
	if !reflect.DeepEqual(got, batch[6]) {
		t.Errorf("Summary(7) = %+v, want %+v", got, batch[6])
	}
	if got, _ := r.Summary(acct, folder, 45); got.Subject != "v2 45" {
		t.Errorf("Summary(45).Subject = %q, want %q", got.Subject, "v2 45")
	}
	_, err = r.Summary(acct, folder, 61)
	wantErr(t, "Summary of absent UID", err, ErrNotFound)
	_, err = r.Summary(acct, "Other", 1)
	wantErr(t, "Summary in absent folder", err, ErrNotFound)
	wantErr(t, "PutSummaries with UID 0", r.PutSummaries(acct, folder, []Summary{{UID: 0}}), errZeroUID)

	tests := []struct {
		name string
		n    int
		want []uint32
	}{
		{"three", 3, []uint32{60, 59, 58}},
		{"zero", 0, nil},
		{"negative", -1, nil},
	}
	for _, tt := range tests {
		t.Run("newest "+tt.name, func(t *testing.T) {
			got, err := r.Newest(acct, folder, tt.n)
			if err != nil {
				t.Fatal(err)
			}
			if uids := uidsOf(got); !reflect.DeepEqual(uids, tt.want) {
				t.Errorf("Newest(%d) UIDs = %v, want %v", tt.n, uids, tt.want)
			}
		})
	}
	if got, _ := r.Newest(acct, folder, 1000); len(got) != 60 {
		t.Errorf("Newest(1000) = %d summaries, want 60", len(got))
	}
	if got, err := r.Newest(acct, "Empty", 10); err != nil || len(got) != 0 {
		t.Errorf("Newest of absent folder = %d, %v, want 0, nil", len(got), err)
	}

	if err := r.PutRaw(acct, folder, 59, []byte("raw 59")); err != nil {
		t.Fatal(err)
	}
	if err := r.DeleteSummaries(acct, folder, 60, 59, 1000); err != nil {
		t.Fatalf("DeleteSummaries: %v", err)
	}
	if got, _ := r.Newest(acct, folder, 2); !reflect.DeepEqual(uidsOf(got), []uint32{58, 57}) {
		t.Errorf("Newest(2) after delete = %v, want [58 57]", uidsOf(got))
	}
	_, err = r.Raw(acct, folder, 59)
	wantErr(t, "Raw after DeleteSummaries", err, ErrNotFound)

	if err := r.DropFolderMessages(acct, folder); err != nil {
		t.Fatalf("DropFolderMessages: %v", err)
	}
	if n, _ := r.CountSummaries(acct, folder); n != 0 {
		t.Errorf("CountSummaries after drop = %d, want 0", n)
	}
	if err := r.PutSummaries(acct, folder, makeSummaries(1, 2, "v3")); err != nil {
		t.Fatalf("PutSummaries after drop: %v", err)
	}
	if n, _ := r.CountSummaries(acct, folder); n != 2 {
		t.Errorf("CountSummaries after refill = %d, want 2", n)
	}
}

func TestRawRoundTrip(t *testing.T) {
	s := newTestStore(t)
	r := s.Messages()
	const acct, folder = "a@example.org", "INBOX"
	big := bytes.Repeat([]byte("0123456789abcdef"), (2*rawChunkSize+100)/16)
	tests := []struct {
		name string
		uid  uint32
		raw  []byte
	}{
		{"empty", 1, []byte{}},
		{"small", 2, []byte("Subject: hi\r\n\r\nbody\r\n")},
		{"exactly one chunk", 3, bytes.Repeat([]byte{'x'}, rawChunkSize)},
		{"three chunks", 4, big},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := r.PutRaw(acct, folder, tt.uid, tt.raw); err != nil {
				t.Fatalf("PutRaw: %v", err)
			}
			got, err := r.Raw(acct, folder, tt.uid)
			if err != nil {
				t.Fatalf("Raw: %v", err)
			}
			if !bytes.Equal(got, tt.raw) {
				t.Errorf("Raw = %d bytes, want %d bytes (equal content)", len(got), len(tt.raw))
			}
		})
	}
	// Overwriting a three-chunk message with a small one removes the old chunks.
	if err := r.PutRawBatch(acct, folder, []RawMessage{{UID: 4, Raw: []byte("short")}, {UID: 5, Raw: []byte("five")}}); err != nil {
		t.Fatalf("PutRawBatch: %v", err)
	}
	for uid, want := range map[uint32]string{4: "short", 5: "five"} {
		got, err := r.Raw(acct, folder, uid)
		if err != nil || string(got) != want {
			t.Errorf("Raw(%d) = %q, %v, want %q, nil", uid, got, err, want)
		}
	}
	_, err := r.Raw(acct, folder, 99)
	wantErr(t, "Raw of absent UID", err, ErrNotFound)
	wantErr(t, "PutRaw UID 0", r.PutRaw(acct, folder, 0, nil), errZeroUID)
}

func TestOwnKeysRoundTrip(t *testing.T) {
	s := newTestStore(t)
	r := s.OwnKeys()
	k1 := OwnKey{Fingerprint: "AAAA1111", SecretKey: []byte{1, 2, 3}, UserIDs: []string{"Alice <a@example.org>"},
		Algorithm: "ed25519", CreatedAt: ts(1), ExpiresAt: ts(1000), Default: true, AddedAt: ts(2)}
	k2 := OwnKey{Fingerprint: "BBBB2222", SecretKey: []byte{4, 5}, Algorithm: "rsa4096", AddedAt: ts(3)}
	for _, k := range []OwnKey{k1, k2, k1} {
		if err := r.Put(k); err != nil {
			t.Fatalf("Put: %v", err)
		}
	}
	got, err := r.Get("aaaa 1111")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if !reflect.DeepEqual(got, k1) {
		t.Errorf("Get = %+v, want %+v", got, k1)
	}
	list, err := r.List()
	if err != nil {
		t.Fatal(err)
	}
	if want := []OwnKey{k1, k2}; !reflect.DeepEqual(list, want) {
		t.Errorf("List = %+v, want %+v", list, want)
	}
	// Default is stored as given: the engine decides one default per address.
	k2.Default = true
	if err := r.Put(k2, AuditNote{Kind: "key-default", Subject: k2.Fingerprint}); err != nil {
		t.Fatal(err)
	}
	list, _ = r.List()
	if len(list) != 2 || !list[0].Default || !list[1].Default {
		t.Errorf("List after setting a second default = %+v, want both stored as default", list)
	}
	if err := r.Delete("AAAA1111", AuditNote{Kind: "key-deleted", Subject: "AAAA1111"}); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	wantErr(t, "second Delete", r.Delete("AAAA1111"), ErrNotFound)
	kinds := kindsIn(t, s)
	if want := []string{"key-default", "key-deleted"}; !reflect.DeepEqual(kinds, want) {
		t.Errorf("audit kinds = %v, want %v", kinds, want)
	}
}

func TestContactKeysAndEmailIndex(t *testing.T) {
	s := newTestStore(t)
	r := s.ContactKeys()
	bob := ContactKey{Fingerprint: "B0B0", Emails: []string{"bob@example.net", "Bob@Work.example"},
		UserIDs: []string{"Bob <bob@example.net>"}, PublicKey: []byte{9, 9}, Algorithm: "ed25519",
		Source: "autocrypt", Verification: "unverified", AddedAt: ts(1), UpdatedAt: ts(1),
		History: []KeyEvent{{At: ts(1), Event: "added", Detail: "autocrypt header"}}}
	bob2 := ContactKey{Fingerprint: "B0B1", Emails: []string{"bob@example.net"}, Source: "wkd", Verification: "verified"}
	for _, k := range []ContactKey{bob, bob2, bob} {
		if err := r.Put(k); err != nil {
			t.Fatalf("Put: %v", err)
		}
	}
	fprs := func(email string) []string {
		t.Helper()
		ks, err := r.ByEmail(email)
		if err != nil {
			t.Fatalf("ByEmail(%q): %v", email, err)
		}
		var out []string
		for _, k := range ks {
			out = append(out, k.Fingerprint)
		}
		return out
	}
	tests := []struct {
		name, email string
		want        []string
	}{
		{"shared address", "bob@example.net", []string{"B0B0", "B0B1"}},
		{"case-insensitive", "BOB@work.example", []string{"B0B0"}},
		{"unknown", "eve@example.org", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fprs(tt.email); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ByEmail(%q) = %v, want %v", tt.email, got, tt.want)
			}
		})
	}
	got, err := r.Get("b0b0")
	if err != nil || !reflect.DeepEqual(got, bob) {
		t.Errorf("Get = %+v, %v, want %+v, nil", got, err, bob)
	}
	// Changing the addresses moves the index entries.
	bob.Emails = []string{"robert@example.com"}
	if err := r.Put(bob); err != nil {
		t.Fatal(err)
	}
	if got := fprs("bob@work.example"); got != nil {
		t.Errorf("ByEmail(old address) = %v, want none", got)
	}
	if got := fprs("bob@example.net"); !reflect.DeepEqual(got, []string{"B0B1"}) {
		t.Errorf("ByEmail(shared address) = %v, want [B0B1]", got)
	}
	if got := fprs("robert@example.com"); !reflect.DeepEqual(got, []string{"B0B0"}) {
		t.Errorf("ByEmail(new address) = %v, want [B0B0]", got)
	}
	if err := r.Delete("B0B1"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if got := fprs("bob@example.net"); got != nil {
		t.Errorf("ByEmail after Delete = %v, want none", got)
	}
	wantErr(t, "second Delete", r.Delete("B0B1"), ErrNotFound)
	list, err := r.List()
	if err != nil || len(list) != 1 || list[0].Fingerprint != "B0B0" {
		t.Errorf("List = %+v, %v, want only B0B0", list, err)
	}
}

func TestOutboxRoundTrip(t *testing.T) {
	s := newTestStore(t)
	r := s.Outbox()
	first, err := r.Add(OutboxItem{Account: "a@example.org", From: "a@example.org", Recipients: []string{"b@example.net"},
		Raw: []byte("msg one"), CreatedAt: ts(10)})
	if err != nil {
		t.Fatalf("Add: %v", err)
	}
	second, err := r.Add(OutboxItem{Account: "a@example.org", Raw: []byte("msg two"), CreatedAt: ts(5)})
	if err != nil {
		t.Fatalf("Add: %v", err)
	}
	if len(first.ID) != 32 || first.ID == second.ID {
		t.Errorf("IDs = %q, %q, want two distinct 32-digit IDs", first.ID, second.ID)
	}
	got, err := r.Get(first.ID)
	if err != nil || !reflect.DeepEqual(got, first) {
		t.Errorf("Get = %+v, %v, want %+v, nil", got, err, first)
	}
	list, err := r.List()
	if err != nil {
		t.Fatal(err)
	}
	if want := []OutboxItem{second, first}; !reflect.DeepEqual(list, want) {
		t.Errorf("List = %+v, want oldest first %+v", list, want)
	}
	first.Attempts, first.LastError, first.NextAttempt = 1, "451 try later", ts(20)
	if err := r.Update(first); err != nil {
		t.Fatalf("Update: %v", err)
	}
	if got, _ := r.Get(first.ID); !reflect.DeepEqual(got, first) {
		t.Errorf("Get after Update = %+v, want %+v", got, first)
	}
	if err := r.Delete(first.ID, AuditNote{Kind: "sent", Subject: "b@example.net", Detail: "encrypted"}); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	wantErr(t, "Update after Delete", r.Update(first), ErrNotFound)
	wantErr(t, "second Delete", r.Delete(first.ID), ErrNotFound)
	_, err = r.Get(first.ID)
	wantErr(t, "Get after Delete", err, ErrNotFound)
	if entries, _ := s.AuditEntries(); len(entries) != 1 || entries[0].Kind != "sent" {
		t.Errorf("audit after send = %+v, want one \"sent\" entry", entries)
	}
}

func TestSettingsRoundTrip(t *testing.T) {
	s := newTestStore(t)
	got, err := s.GetSettings()
	if err != nil {
		t.Fatal(err)
	}
	if want := (Settings{AutoLockMinutes: 15}); !reflect.DeepEqual(got, want) {
		t.Errorf("GetSettings on new profile = %+v, want %+v", got, want)
	}
	want := Settings{AutoLockMinutes: 0, DefaultAccount: "a@example.org", Signature: "-- \nA",
		CompactList: true, ListViews: map[string]ListView{"a@example.org\nINBOX": {Column: "subject", Threaded: true}},
		SignIn: map[string]SignInClient{"google": {ClientID: "id.apps.example", ClientSecret: "not-so-secret"}}}
	if err := s.PutSettings(want); err != nil {
		t.Fatal(err)
	}
	s = reopen(t, s)
	if got, err := s.GetSettings(); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("GetSettings after reopen = %+v, %v, want %+v, nil", got, err, want)
	}
}

func TestAuditNotesAreAtomic(t *testing.T) {
	s := newTestStore(t)
	// A failing change must not leave its audit entry behind.
	err := s.Accounts().Put(Account{}, AuditNote{Kind: "account-added"})
	if err == nil {
		t.Fatal("Put without address: got nil error, want one")
	}
	err = s.Outbox().Delete("nonexistent", AuditNote{Kind: "sent"})
	wantErr(t, "Delete of absent outbox item", err, ErrNotFound)
	if entries, err := s.AuditEntries(); err != nil || len(entries) != 0 {
		t.Errorf("audit entries = %d, %v, want 0, nil", len(entries), err)
	}
	if err := s.Accounts().Put(Account{Email: "a@example.org"}, AuditNote{Kind: "account-added", Subject: "a@example.org"}); err != nil {
		t.Fatal(err)
	}
	if entries, _ := s.AuditEntries(); len(entries) != 1 || entries[0].Kind != "account-added" {
		t.Errorf("audit = %+v, want one account-added entry", entries)
	}
	if err := s.Accounts().Delete("a@example.org", AuditNote{Kind: "account-removed"}); err != nil {
		t.Fatal(err)
	}
	if rep, err := s.VerifyAudit(); err != nil || !rep.OK || rep.Entries != 2 {
		t.Errorf("VerifyAudit = %+v, %v, want OK with 2 entries", rep, err)
	}
	if !errors.Is(s.Accounts().Delete("a@example.org"), ErrNotFound) {
		t.Errorf("Delete of removed account: want ErrNotFound")
	}
}

// TestOwnKeysPutAll stores several keys and the audit note together, and
// refuses the whole batch when one key has no fingerprint.
func TestOwnKeysPutAll(t *testing.T) {
	s := newTestStore(t)
	if err := s.OwnKeys().PutAll([]OwnKey{{Fingerprint: "AAAA"}, {Fingerprint: ""}}); err == nil {
		t.Fatal("PutAll with a key without fingerprint succeeded")
	}
	if list, err := s.OwnKeys().List(); err != nil || len(list) != 0 {
		t.Fatalf("List after the refused batch = %v, %v; want nothing stored", list, err)
	}
	err := s.OwnKeys().PutAll([]OwnKey{{Fingerprint: "AAAA"}, {Fingerprint: "BBBB", Default: true}}, AuditNote{Kind: "key.default", Subject: "BBBB"})
	if err != nil {
		t.Fatal(err)
	}
	if list, err := s.OwnKeys().List(); err != nil || len(list) != 2 || list[0].Fingerprint != "BBBB" {
		t.Errorf("List = %+v, %v; want both keys, the default first", list, err)
	}
	entries, err := s.AuditEntries()
	if err != nil || len(entries) == 0 || entries[len(entries)-1].Kind != "key.default" {
		t.Errorf("newest audit entry = %+v, %v; want the batch's note", entries, err)
	}
}
