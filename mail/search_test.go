package mail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail/backend"
	"github.com/sealpost/sealpost/mail/testservers"
)

const (
	searchAlice = "alice@example.org"
	searchCarol = "carol@example.com"
)

// searchDay is the Date of the fixture messages: day n of November 2026.
func searchDay(n int) time.Time { return time.Date(2026, 11, n, 9, 0, 0, 0, time.UTC) }

// storedMail is one message stored as a sync stores it.
type storedMail struct {
	account, folder string
	sum             localstore.Summary
	raw             []byte // nil: headers only (RawOmitted)
}

// storeMail writes the accounts, folders, summaries and raw messages.
func storeMail(t testing.TB, p *Profile, mails []storedMail) {
	t.Helper()
	for _, m := range mails {
		if err := p.store.Accounts().Put(localstore.Account{Email: m.account}); err != nil {
			t.Fatal(err)
		}
		if err := p.store.Folders().Put(localstore.Folder{Account: m.account, Name: m.folder}); err != nil {
			t.Fatal(err)
		}
		sum := m.sum
		sum.RawOmitted = m.raw == nil
		var raws []localstore.RawMessage
		if m.raw != nil {
			raws = []localstore.RawMessage{{UID: sum.UID, Raw: m.raw}}
		}
		if err := p.store.Messages().PutBatch(m.account, m.folder, []localstore.Summary{sum}, raws); err != nil {
			t.Fatal(err)
		}
	}
}

// compose builds a message or fails the test.
func compose(t testing.TB, p *Profile, from string, d backend.Draft, mode string) []byte {
	t.Helper()
	raw, err := p.Composer().Compose(from, d, backend.Security{Mode: mode})
	if err != nil {
		t.Fatalf("compose %q: %v", d.Subject, err)
	}
	return raw
}

// searchFixture returns alice's profile (her key, bob's public key) and
// bob's, with this mail stored in alice's profile:
//
//	alice INBOX 1: encrypted to alice, protected subject "Quarterly plans", body "the secret word is zanzibar"
//	alice INBOX 2: plain "Lunch Friday", body "Café Müller at noon", attachment Budget-2027.xlsx
//	alice INBOX 3: encrypted to bob only (alice cannot read it), body "marzipan"
//	alice INBOX 4: headers only, subject "Travel receipt"
//	alice Archive 1: plain "Zanzibar trip photos"
//	carol INBOX 1: plain "Zanzibar invoice"
func searchFixture(t *testing.T) (alice, bob *Profile) {
	t.Helper()
	alice, bob = keyedPair(t)
	enc := compose(t, alice, searchAlice, backend.Draft{To: []string{searchAlice}, Subject: "Quarterly plans", Body: "The secret word is Zanzibar.\n"}, ModeEncrypt)
	plain := compose(t, alice, searchAlice, backend.Draft{To: []string{searchAlice}, Subject: "Lunch Friday", Body: "Café Müller at noon.\n",
		Attachments: []backend.Attachment{{Filename: "Budget-2027.xlsx", Data: []byte("numbers")}}}, ModePlain)
	foreign := compose(t, bob, "bob@example.net", backend.Draft{To: []string{"bob@example.net"}, Subject: "Bob's notes", Body: "marzipan\n"}, ModeEncrypt)
	archived := compose(t, alice, searchAlice, backend.Draft{To: []string{searchAlice}, Subject: "Zanzibar trip photos", Body: "see attached\n"}, ModePlain)
	invoice := compose(t, alice, searchCarol, backend.Draft{To: []string{searchCarol}, Subject: "Zanzibar invoice", Body: "please pay\n"}, ModePlain)
	storeMail(t, alice, []storedMail{
		{searchAlice, "INBOX", localstore.Summary{UID: 1, From: "Alice <alice@example.org>", Subject: "...", Date: searchDay(10), Encrypted: true}, enc},
		{searchAlice, "INBOX", localstore.Summary{UID: 2, From: "Alice <alice@example.org>", Subject: "Lunch Friday", Date: searchDay(11), HasAttachments: true}, plain},
		{searchAlice, "INBOX", localstore.Summary{UID: 3, From: "Bob Example <bob@example.net>", Subject: "...", Date: searchDay(12), Encrypted: true}, foreign},
		{searchAlice, "INBOX", localstore.Summary{UID: 4, From: "Dana <dana@example.net>", Subject: "Travel receipt", Date: searchDay(13)}, nil},
		{searchAlice, "Archive", localstore.Summary{UID: 1, From: "Alice <alice@example.org>", Subject: "Zanzibar trip photos", Date: searchDay(2)}, archived},
		{searchCarol, "INBOX", localstore.Summary{UID: 1, From: "Carol <carol@example.com>", Subject: "Zanzibar invoice", Date: searchDay(20)}, invoice},
	})
	return alice, bob
}

// hitNames renders results as account/folder/uid.
func hitNames(sums []backend.MessageSummary) []string {
	out := make([]string, len(sums))
	for i, s := range sums {
		out[i] = fmt.Sprintf("%s/%s/%d", strings.SplitN(s.Account, "@", 2)[0], s.Folder, s.UID)
	}
	return out
}

func TestSearch(t *testing.T) {
	alice, _ := searchFixture(t)
	ctx := context.Background()
	tests := []struct {
		name string
		q    SearchQuery
		want []string
	}{
		{"word only inside an encrypted body", SearchQuery{Text: "secret word"}, []string{"alice/INBOX/1"}},
		{"case and white space do not matter", SearchQuery{Text: "  SECRET\tWord\n"}, []string{"alice/INBOX/1"}},
		{"protected subject", SearchQuery{Text: "quarterly"}, []string{"alice/INBOX/1"}},
		{"every account, newest first", SearchQuery{Text: "zanzibar"}, []string{"carol/INBOX/1", "alice/INBOX/1", "alice/Archive/1"}},
		{"limit", SearchQuery{Text: "zanzibar", Limit: 2}, []string{"carol/INBOX/1", "alice/INBOX/1"}},
		{"one account", SearchQuery{Account: "Alice@Example.org", Text: "zanzibar"}, []string{"alice/INBOX/1", "alice/Archive/1"}},
		{"one folder", SearchQuery{Account: searchAlice, Folder: "Archive", Text: "zanzibar"}, []string{"alice/Archive/1"}},
		{"one folder of every account", SearchQuery{Folder: "inbox", Text: "zanzibar"}, []string{"carol/INBOX/1", "alice/INBOX/1"}},
		{"all words must occur", SearchQuery{Text: "zanzibar photos"}, []string{"alice/Archive/1"}},
		{"word parts match", SearchQuery{Text: "zanzi oto"}, []string{"alice/Archive/1"}},
		{"accents are ignored", SearchQuery{Text: "cafe MULLER"}, []string{"alice/INBOX/2"}},
		{"accents in the query are ignored", SearchQuery{Text: "trïp phötos"}, []string{"alice/Archive/1"}},
		{"attachment name", SearchQuery{Text: "budget-2027.xlsx"}, []string{"alice/INBOX/2"}},
		{"address", SearchQuery{Text: "dana@example.net"}, []string{"alice/INBOX/4"}},
		{"headers-only message by subject", SearchQuery{Text: "travel receipt"}, []string{"alice/INBOX/4"}},
		{"undecryptable body is not searched", SearchQuery{Text: "marzipan"}, []string{}},
		{"undecryptable message by its summary", SearchQuery{Text: "bob@example.net"}, []string{"alice/INBOX/3"}},
		{"no match", SearchQuery{Text: "zanzibar marzipan"}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := alice.Index().Search(ctx, tt.q)
			if err != nil {
				t.Fatalf("Search(%+v): %v", tt.q, err)
			}
			if names := hitNames(got); !slices.Equal(names, tt.want) {
				t.Errorf("Search(%q) = %v, want %v", tt.q.Text, names, tt.want)
			}
		})
	}
	got, err := alice.Index().Search(ctx, SearchQuery{Text: "lunch"})
	if err != nil || len(got) != 1 {
		t.Fatalf("Search(lunch) = %v, %v; want one message", got, err)
	}
	if s := got[0]; s.Subject != "Lunch Friday" || !s.Date.Equal(searchDay(11)) || !s.HasAttachments || !s.Offline {
		t.Errorf("result = %+v, want the stored summary of INBOX 2", s)
	}
}

func TestSearchErrors(t *testing.T) {
	alice, _ := searchFixture(t)
	tests := []struct {
		name    string
		q       SearchQuery
		wantErr string
		is      error
	}{
		{"empty query", SearchQuery{Text: " \t "}, "nothing to search for", ErrEmptySearch},
		{"only combining marks", SearchQuery{Text: "\u0301"}, "nothing to search for", ErrEmptySearch},
		{"unknown folder", SearchQuery{Folder: "Nowhere", Text: "x"}, `folder "Nowhere" is not synchronised`, nil},
		{"unknown account", SearchQuery{Account: "nobody@example.org", Text: "x"}, "nobody@example.org", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := alice.Index().Search(context.Background(), tt.q)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || (tt.is != nil && !errors.Is(err, tt.is)) {
				t.Errorf("Search(%+v): got error = %v, want one containing %q", tt.q, err, tt.wantErr)
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := alice.Index().Search(ctx, SearchQuery{Text: "zanzibar"}); !errors.Is(err, context.Canceled) {
		t.Errorf("Search with a cancelled context: got error = %v, want context.Canceled", err)
	}
}

// TestSearchIndexFollowsTheStore: bodies that arrive later are indexed,
// deleted messages are gone, and undecryptable mail is tried again when
// the own keys change.
func TestSearchIndexFollowsTheStore(t *testing.T) {
	alice, bob := searchFixture(t)
	ctx := context.Background()
	search := func(text string) []string {
		t.Helper()
		got, err := alice.Index().Search(ctx, SearchQuery{Text: text})
		if err != nil {
			t.Fatalf("Search(%q): %v", text, err)
		}
		return hitNames(got)
	}
	steps := []struct {
		name   string
		change func(t *testing.T)
		text   string
		want   []string
	}{
		{"body not stored yet", nil, "kilimanjaro", []string{}},
		{
			name: "body arrives",
			change: func(t *testing.T) {
				raw := compose(t, alice, searchAlice, backend.Draft{To: []string{searchAlice}, Subject: "Travel receipt", Body: "Kilimanjaro lodge\n"}, ModeEncrypt)
				if err := alice.store.Messages().PutFetchedRaw(searchAlice, "INBOX", 4, raw); err != nil {
					t.Fatal(err)
				}
			},
			text: "kilimanjaro", want: []string{"alice/INBOX/4"},
		},
		{
			name: "expunged",
			change: func(t *testing.T) {
				if err := alice.store.Messages().DeleteSummaries(searchAlice, "INBOX", 1); err != nil {
					t.Fatal(err)
				}
			},
			text: "secret word", want: []string{},
		},
		{
			name: "folder dropped (UIDVALIDITY changed)",
			change: func(t *testing.T) {
				if err := alice.store.Messages().DropFolderMessages(searchAlice, "Archive"); err != nil {
					t.Fatal(err)
				}
			},
			text: "zanzibar", want: []string{"carol/INBOX/1"},
		},
		{
			name: "bob's secret key imported: his message decrypts now",
			change: func(t *testing.T) {
				armored, err := bob.Keys().ExportSecret("bob@example.net", []byte("export pass 123"))
				if err != nil {
					t.Fatal(err)
				}
				_, err = alice.Keys().ImportKeys([]byte(armored), func(string, []string) ([]byte, error) { return []byte("export pass 123"), nil })
				if err != nil {
					t.Fatal(err)
				}
			},
			text: "marzipan", want: []string{"alice/INBOX/3"},
		},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if st.change != nil {
				st.change(t)
			}
			if got := search(st.text); !slices.Equal(got, st.want) {
				t.Errorf("Search(%q) = %v, want %v", st.text, got, st.want)
			}
		})
	}
}

func TestUpdateSearchIndexProgress(t *testing.T) {
	p := newTestProfile(t)
	var mails []storedMail
	for uid := uint32(1); uid <= searchBatch+5; uid++ {
		mails = append(mails, storedMail{searchAlice, "INBOX", localstore.Summary{UID: uid, Subject: fmt.Sprintf("note %d", uid), Date: searchDay(1)}, nil})
	}
	storeMail(t, p, mails)
	var calls [][2]int
	record := func(done, total int) { calls = append(calls, [2]int{done, total}) }
	if err := p.Index().Update(context.Background(), searchAlice, record); err != nil {
		t.Fatal(err)
	}
	want := [][2]int{{searchBatch, searchBatch + 5}, {searchBatch + 5, searchBatch + 5}}
	if !slices.Equal(calls, want) {
		t.Errorf("progress calls = %v, want %v", calls, want)
	}
	calls = nil
	if err := p.Index().Update(context.Background(), "", record); err != nil {
		t.Fatal(err)
	}
	if len(calls) != 0 {
		t.Errorf("second run: progress calls = %v, want none (nothing left to index)", calls)
	}
}

// TestSearchThroughRealServers: alice sends bob encrypted mail through
// Postfix and Dovecot; after a sync bob finds a word of its encrypted body;
// deleting it (a queued move to the Trash) and an expunge on the server
// take the messages out of the results, and bob's profile file holds none
// of the words.
func TestSearchThroughRealServers(t *testing.T) {
	srv := testservers.Start(t)
	alice, bob := "alice@"+srv.Domain, "bob@"+srv.Domain
	pa := profileWithAccount(t, srv, alice, false)
	pb := profileWithAccount(t, srv, bob, false)
	exchangeKeys(t, pa, alice, pb, bob)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := pa.Outbox().Send(ctx, alice, backend.Draft{To: []string{bob}, Subject: "Merger plans", Body: "The password is tangerine.\n"}, backend.Security{}); err != nil {
		t.Fatalf("send encrypted: %v", err)
	}
	srv.Deliver(t, alice, bob, []byte("From: "+alice+"\r\nTo: "+bob+"\r\nSubject: Fruit order\r\n"+
		"Date: Mon, 2 Nov 2026 09:00:00 +0000\r\nMessage-ID: <fruit@example.org>\r\n\r\nTwelve crates of tangerine.\r\n"))
	srv.WaitForMessages(t, bob, "INBOX", 2, 30*time.Second)
	if err := pb.Syncer().Sync(ctx, SyncRequest{}); err != nil {
		t.Fatal(err)
	}
	search := func(text string) []backend.MessageSummary {
		t.Helper()
		got, err := pb.Index().Search(ctx, SearchQuery{Account: bob, Text: text})
		if err != nil {
			t.Fatalf("Search(%q): %v", text, err)
		}
		return got
	}
	subjects := func(sums []backend.MessageSummary) []string {
		var out []string
		for _, s := range sums {
			out = append(out, s.Folder+": "+s.Subject)
		}
		slices.Sort(out)
		return out
	}
	if got, want := subjects(search("tangerine")), []string{"INBOX: Fruit order", "INBOX: Merger plans"}; !slices.Equal(got, want) {
		t.Fatalf("after sync: Search(tangerine) = %q, want %q", got, want)
	}
	enc := search("password")
	if got, want := subjects(enc), []string{"INBOX: Merger plans"}; !slices.Equal(got, want) {
		t.Fatalf("Search(password) = %q, want %q", got, want)
	}

	if err := pb.Messages().Delete(bob, "INBOX", []uint32{enc[0].UID}); err != nil {
		t.Fatal(err)
	}
	if got := search("password"); len(got) != 0 {
		t.Errorf("after Delete: Search(password) = %q, want nothing", subjects(got))
	}
	if err := pb.Syncer().Sync(ctx, SyncRequest{}); err != nil {
		t.Fatal(err)
	}
	// The move reached the server; the sync stored the Trash copy with its
	// outer placeholder subject, and indexing showed the protected one.
	inTrash := func(text string) {
		t.Helper()
		got := search(text)
		if len(got) != 1 || got[0].Folder != "Trash" || got[0].MessageID != enc[0].MessageID || got[0].Subject != "Merger plans" {
			t.Errorf("Search(%q) = %+v, want only the encrypted message %s in Trash, subject %q", text, got, enc[0].MessageID, "Merger plans")
		}
	}
	inTrash("password")

	c := srv.DialIMAP(t, bob, nil)
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Store(imap.SeqSetNum(1), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagDeleted}, Silent: true}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Expunge().Close(); err != nil {
		t.Fatal(err)
	}
	if err := pb.Syncer().Sync(ctx, SyncRequest{}); err != nil {
		t.Fatal(err)
	}
	inTrash("tangerine")

	dir := pb.Dir()
	if err := pb.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, localstore.DBFileName))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"tangerine", "crates", "Merger plans", "password is"} {
		if bytes.Contains(bytes.ToLower(data), bytes.ToLower([]byte(w))) {
			t.Errorf("bob's profile file contains %q", w)
		}
	}
}

// TestSearchLeavesNoPlaintextOnDisk indexes and searches encrypted mail,
// then looks for its words in every file of the closed profile.
func TestSearchLeavesNoPlaintextOnDisk(t *testing.T) {
	alice, _ := searchFixture(t)
	if got, err := alice.Index().Search(context.Background(), SearchQuery{Text: "zanzibar"}); err != nil || len(got) != 3 {
		t.Fatalf("Search = %v, %v; want 3 results", hitNames(got), err)
	}
	dir := alice.Dir()
	if err := alice.Close(); err != nil {
		t.Fatal(err)
	}
	words := []string{"zanzibar", "quarterly plans", "marzipan", "müller", "muller", "budget-2027", "secret word"}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		lower := bytes.ToLower(data)
		for _, w := range words {
			if bytes.Contains(lower, []byte(w)) {
				t.Errorf("%s contains %q", filepath.Base(path), w)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestAppendSearchText(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"lower case", "Hello WORLD", "hello world"},
		{"white space collapsed", " a\t\tb\r\n\u00a0c ", "a b c"},
		{"Latin-1 accents", "Ça Été À Øre Ñandú Ÿ", "ca ete a ore nandu y"},
		{"Latin Extended-A", "Łódź Žluťoučký Ő ſ", "lodz zlutoucky o s"},
		{"combining marks", "e\u0301te\u0301", "ete"},
		{"kept letters", "Æsop Œuvre ß Þ", "æsop œuvre ß þ"},
		{"other scripts lower-cased", "ΑΘΗΝΑ Москва", "αθηνα москва"},
		{"punctuation kept", "Re: <bob@example.net>", "re: <bob@example.net>"},
		{"every ASCII space", "a\v\fb\x20\x20c\td", "a b c d"},
		{"invalid UTF-8 as U+FFFD", "a\xffB\xc3", "a\ufffdb\ufffd"},
		{"ASCII between others", "Zürich ZOO über", "zurich zoo uber"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(appendSearchText(nil, tt.in)); got != tt.want {
				t.Errorf("appendSearchText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
	if got := string(appendSearchText([]byte("from"), "Subject")); got != "from subject" {
		t.Errorf("appending to text = %q, want %q", got, "from subject")
	}
	if got := len(appendSearchText(nil, strings.Repeat("ab ", localstore.MaxSearchText))); got != localstore.MaxSearchText {
		t.Errorf("long text normalised to %d bytes, want the cap %d", got, localstore.MaxSearchText)
	}
}

func TestFoldTables(t *testing.T) {
	if len(latin1Fold) != 0x100-0xE0 || len(latinAFold) != 0x180-0x100 {
		t.Fatalf("table lengths = %d, %d; want 32, 128", len(latin1Fold), len(latinAFold))
	}
	tests := []struct{ in, want rune }{
		{'à', 'a'}, {'ç', 'c'}, {'ñ', 'n'}, {'ø', 'o'}, {'ÿ', 'y'}, {'æ', 'æ'}, {'÷', '÷'},
		{'Ā', 'a'}, {'č', 'c'}, {'đ', 'd'}, {'ě', 'e'}, {'ğ', 'g'}, {'ħ', 'h'}, {'ı', 'i'}, {'ĳ', 'ĳ'}, {'ĵ', 'j'},
		{'ĸ', 'k'}, {'ł', 'l'}, {'ŋ', 'n'}, {'ő', 'o'}, {'œ', 'œ'}, {'ř', 'r'}, {'š', 's'}, {'ŧ', 't'},
		{'ų', 'u'}, {'ŵ', 'w'}, {'Ÿ', 'y'}, {'ž', 'z'}, {'ſ', 's'}, {'z', 'z'}, {'Ж', 'Ж'},
	}
	for _, tt := range tests {
		if got := foldAccent(tt.in); got != tt.want {
			t.Errorf("foldAccent(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSortedMinus(t *testing.T) {
	tests := []struct {
		name    string
		a, b    []uint32
		wantOut []uint32
	}{
		{"nothing indexed", []uint32{1, 2, 3}, nil, []uint32{1, 2, 3}},
		{"all indexed", []uint32{1, 2}, []uint32{1, 2}, nil},
		{"gaps", []uint32{1, 3, 5, 7}, []uint32{2, 3, 7, 9}, []uint32{1, 5}},
		{"stale records", nil, []uint32{4}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sortedMinus(tt.a, tt.b); !slices.Equal(got, tt.wantOut) {
				t.Errorf("sortedMinus(%v, %v) = %v, want %v", tt.a, tt.b, got, tt.wantOut)
			}
		})
	}
}

// BenchmarkSearch indexes 10,000 stored plain messages of about 2 KB, then
// compares a search that scans them all (a word found nowhere) with listing
// the newest 10,000 summaries.
func BenchmarkSearch(b *testing.B) {
	const n = 10_000
	p, err := CreateProfile(filepath.Join(b.TempDir(), "p"), []byte("test passphrase 123"), &ProfileOptions{Store: &localstore.Options{KDF: &cheapKDF}})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	words := strings.Fields("the quarterly numbers lunch meeting report draft invoice travel budget " +
		"schedule review contract update project deadline holiday office")
	var mails []storedMail
	for uid := uint32(1); uid <= n; uid++ {
		var body strings.Builder
		for i := 0; body.Len() < 2000; i++ {
			body.WriteString(words[(int(uid)*7+i*13)%len(words)])
			body.WriteString(" ")
			if i%12 == 11 {
				body.WriteString("\r\n")
			}
		}
		subject := fmt.Sprintf("Report %d", uid)
		raw := fmt.Sprintf("From: Bob <bob@example.net>\r\nTo: alice@example.org\r\nSubject: %s\r\nDate: Mon, 2 Nov 2026 09:00:00 +0000\r\n"+
			"Message-ID: <%d@example.net>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n", subject, uid, body.String())
		mails = append(mails, storedMail{searchAlice, "INBOX", localstore.Summary{UID: uid, From: "Bob <bob@example.net>",
			To: searchAlice, Subject: subject, Date: searchDay(1).Add(time.Duration(uid) * time.Minute)}, []byte(raw)})
	}
	if err := p.store.Accounts().Put(localstore.Account{Email: searchAlice}); err != nil {
		b.Fatal(err)
	}
	if err := p.store.Folders().Put(localstore.Folder{Account: searchAlice, Name: "INBOX"}); err != nil {
		b.Fatal(err)
	}
	for start := 0; start < n; start += 1000 {
		var sums []localstore.Summary
		var raws []localstore.RawMessage
		for _, m := range mails[start : start+1000] {
			sums = append(sums, m.sum)
			raws = append(raws, localstore.RawMessage{UID: m.sum.UID, Raw: m.raw})
		}
		if err := p.store.Messages().PutBatch(searchAlice, "INBOX", sums, raws); err != nil {
			b.Fatal(err)
		}
	}
	ctx := context.Background()
	start := time.Now()
	if err := p.Index().Update(ctx, "", nil); err != nil {
		b.Fatal(err)
	}
	b.Logf("indexing %d messages took %v (%v per message)", n, time.Since(start), time.Since(start)/n)
	b.Run("search10k", func(b *testing.B) {
		for b.Loop() {
			got, err := p.Index().Search(ctx, SearchQuery{Text: "zebra"})
			if err != nil || len(got) != 0 {
				b.Fatalf("Search = %d results, %v; want 0, nil", len(got), err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/record")
	})
	b.Run("search10k_50hits", func(b *testing.B) {
		for b.Loop() {
			got, err := p.Index().Search(ctx, SearchQuery{Text: "report", Limit: 50})
			if err != nil || len(got) != 50 {
				b.Fatalf("Search = %d results, %v; want 50, nil", len(got), err)
			}
		}
	})
	b.Run("newest10k", func(b *testing.B) {
		for b.Loop() {
			got, err := p.store.Messages().Newest(searchAlice, "INBOX", n)
			if err != nil || len(got) != n {
				b.Fatalf("Newest = %d, %v; want %d", len(got), err, n)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/record")
	})
}

// BenchmarkIndexEncrypted measures indexing encrypted and signed messages
// (decrypting each): 100 messages per iteration, reported per message.
func BenchmarkIndexEncrypted(b *testing.B) {
	const n = 100
	p, err := CreateProfile(filepath.Join(b.TempDir(), "p"), []byte("test passphrase 123"), &ProfileOptions{Store: &localstore.Options{KDF: &cheapKDF}})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	if _, err := p.Keys().GenerateKey("Alice", searchAlice, "", 0); err != nil {
		b.Fatal(err)
	}
	body := strings.Repeat("The quarterly numbers are in the report. ", 50)
	var mails []storedMail
	for uid := uint32(1); uid <= n; uid++ {
		raw := compose(b, p, searchAlice, backend.Draft{To: []string{searchAlice}, Subject: fmt.Sprintf("Report %d", uid), Body: body}, ModeEncrypt)
		mails = append(mails, storedMail{searchAlice, "INBOX", localstore.Summary{UID: uid, Subject: "...", Date: searchDay(1)}, raw})
	}
	storeMail(b, p, mails)
	ctx := context.Background()
	for b.Loop() {
		if err := p.store.SearchIndex().DropFolder(searchAlice, "INBOX"); err != nil {
			b.Fatal(err)
		}
		if err := p.Index().Update(ctx, searchAlice, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/message")
}

// TestIndexShowsProtectedHeaders: indexing puts the protected Subject and
// From of encrypted mail into the summaries of every folder (the list and
// search results show them), only for mail that decrypted with integrity
// protection, keeping the rest of the summary; mail that does not decrypt
// keeps its placeholder until the own keys change.
func TestIndexShowsProtectedHeaders(t *testing.T) {
	alice, bob := keyedPair(t)
	ctx := context.Background()
	const bobAddr = "bob@example.net"
	sent := compose(t, alice, searchAlice, backend.Draft{To: []string{bobAddr}, Subject: "Hazelnut shipment", Body: "Twelve sacks of walnuts.\n"}, ModeEncrypt)
	draft, _, err := alice.drafts.buildMessage(localstore.Account{Email: searchAlice, DisplayName: "Alice Example"},
		localstore.Draft{To: []string{bobAddr}, Subject: "Pistachio plans", Body: "Unfinished cashew thoughts.\n"})
	if err != nil {
		t.Fatal(err)
	}
	foreign := compose(t, bob, bobAddr, backend.Draft{To: []string{bobAddr}, Subject: "Almond ledger", Body: "Not for alice.\n"}, ModeEncrypt)
	signed := compose(t, alice, searchAlice, backend.Draft{To: []string{bobAddr}, Subject: "Pecan report", Body: "Signed only.\n"}, ModeSign)
	inbox := compose(t, bob, bobAddr, backend.Draft{To: []string{searchAlice}, Subject: "Macadamia news", Body: "Opened later.\n"}, ModeEncrypt)
	const outerAlice, outerBob = "Alice <alice@example.org>", "Bob Example <bob@example.net>"
	storeMail(t, alice, []storedMail{
		{searchAlice, "Sent", localstore.Summary{UID: 4, From: outerAlice, Subject: "...", Date: searchDay(3), Flags: []string{`\Seen`}, Encrypted: true}, sent},
		{searchAlice, "Drafts", localstore.Summary{UID: 9, From: outerAlice, Subject: "[...]", Date: searchDay(4), Flags: []string{`\Draft`}}, draft},
		{searchAlice, "Archive", localstore.Summary{UID: 1, From: outerBob, Subject: "...", Date: searchDay(5), Encrypted: true}, foreign},
		{searchAlice, "Archive", localstore.Summary{UID: 2, From: outerAlice, Subject: "[...]", Date: searchDay(6), Signed: true}, signed},
		// INBOX mail the sync's Autocrypt pass did not see: its body was
		// fetched after a headers-only sync.
		{searchAlice, "INBOX", localstore.Summary{UID: 7, From: outerBob, Subject: "...", Date: searchDay(7), Encrypted: true}, inbox},
	})
	if err := alice.Index().Update(ctx, "", nil); err != nil {
		t.Fatal(err)
	}
	type shown struct {
		subject, from string
		flags         []string
		encrypted     bool
	}
	listed := func(t *testing.T, folder string, uid uint32) shown {
		t.Helper()
		sums, err := alice.Messages().List(searchAlice, folder, 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range sums {
			if s.UID == uid {
				return shown{s.Subject, s.From, s.Flags, s.Encrypted}
			}
		}
		t.Fatalf("ListMessages(%s) = %v, want UID %d in it", folder, hitNames(sums), uid)
		return shown{}
	}
	tests := []struct {
		name   string
		folder string
		uid    uint32
		want   shown
	}{
		{"Sent: encrypted to bob and self", "Sent", 4, shown{"Hazelnut shipment", searchAlice, []string{`\Seen`}, true}},
		{"Drafts: own encrypted draft", "Drafts", 9, shown{"Pistachio plans", "Alice Example <alice@example.org>", []string{`\Draft`}, true}},
		{"does not decrypt: placeholder stays", "Archive", 1, shown{"...", outerBob, nil, true}},
		{"signed only: its header protection is not encryption", "Archive", 2, shown{"[...]", outerAlice, nil, false}},
		{"INBOX mail the sync did not reveal", "INBOX", 7, shown{"Macadamia news", bobAddr, nil, true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := listed(t, tt.folder, tt.uid)
			if got.subject != tt.want.subject || got.from != tt.want.from || !slices.Equal(got.flags, tt.want.flags) || got.encrypted != tt.want.encrypted {
				t.Errorf("listed %s/%d = %+v, want %+v", tt.folder, tt.uid, got, tt.want)
			}
		})
	}
	t.Run("search results show the protected subject", func(t *testing.T) {
		got, err := alice.Index().Search(ctx, SearchQuery{Text: "walnuts"})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Folder != "Sent" || got[0].Subject != "Hazelnut shipment" {
			t.Errorf("Search(walnuts) = %+v, want Sent/4 with subject %q", got, "Hazelnut shipment")
		}
	})
	t.Run("revealed once the own keys can decrypt it", func(t *testing.T) {
		armored, err := bob.Keys().ExportSecret(bobAddr, []byte("export pass 123"))
		if err != nil {
			t.Fatal(err)
		}
		_, err = alice.Keys().ImportKeys([]byte(armored), func(string, []string) ([]byte, error) { return []byte("export pass 123"), nil })
		if err != nil {
			t.Fatal(err)
		}
		if err := alice.Index().Update(ctx, "", nil); err != nil {
			t.Fatal(err)
		}
		if got, want := listed(t, "Archive", 1), (shown{"Almond ledger", bobAddr, nil, true}); got.subject != want.subject || got.from != want.from {
			t.Errorf("listed Archive/1 = %+v, want %+v", got, want)
		}
	})
}

// TestProtectedSubjectsLeaveNoPlaintextOnDisk: the summaries that show
// protected subjects are sealed like every record; the profile file holds
// none of them.
func TestProtectedSubjectsLeaveNoPlaintextOnDisk(t *testing.T) {
	alice, _ := keyedPair(t)
	sent := compose(t, alice, searchAlice, backend.Draft{To: []string{"bob@example.net"}, Subject: "Canary tamarind", Body: "quokka\n"}, ModeEncrypt)
	draft, _, err := alice.drafts.buildMessage(localstore.Account{Email: searchAlice},
		localstore.Draft{To: []string{"bob@example.net"}, Subject: "Canary rambutan", Body: "wombat\n"})
	if err != nil {
		t.Fatal(err)
	}
	storeMail(t, alice, []storedMail{
		{searchAlice, "Sent", localstore.Summary{UID: 1, Subject: "...", Date: searchDay(3)}, sent},
		{searchAlice, "Drafts", localstore.Summary{UID: 1, Subject: "[...]", Date: searchDay(4)}, draft},
	})
	if err := alice.Index().Update(context.Background(), "", nil); err != nil {
		t.Fatal(err)
	}
	for _, folder := range []string{"Sent", "Drafts"} {
		sums, err := alice.Messages().List(searchAlice, folder, 1)
		if err != nil || len(sums) != 1 || !strings.HasPrefix(sums[0].Subject, "Canary ") {
			t.Fatalf("ListMessages(%s) = %+v, %v; want the protected subject", folder, sums, err)
		}
	}
	dir := alice.Dir()
	if err := alice.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, localstore.DBFileName))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"canary", "tamarind", "rambutan", "quokka", "wombat"} {
		if bytes.Contains(bytes.ToLower(data), []byte(w)) {
			t.Errorf("the profile file contains %q", w)
		}
	}
}

func TestProtectedOf(t *testing.T) {
	protected := Verdict{From: "Bob <bob@example.net>", Subject: "Real subject", Encrypted: true, IntegrityProtected: true,
		HeaderProtection: "rfc9788", BodyText: "body text"}
	tests := []struct {
		name   string
		change func(v *Verdict)
		wantOK bool
	}{
		{"RFC 9788 inside encryption", func(*Verdict) {}, true},
		{"legacy protected headers", func(v *Verdict) { v.HeaderProtection = "legacy" }, true},
		{"no header protection", func(v *Verdict) { v.HeaderProtection = "none" }, false},
		{"no verdict on header protection", func(v *Verdict) { v.HeaderProtection = "" }, false},
		{"not decrypted", func(v *Verdict) { v.IntegrityProtected = false }, false},
		{"signed only", func(v *Verdict) { v.Encrypted = false }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := protected
			tt.change(&v)
			got, ok := protectedOf(3, v)
			want := localstore.ProtectedHeaders{}
			if tt.wantOK {
				want = localstore.ProtectedHeaders{UID: 3, Subject: "Real subject", From: "Bob <bob@example.net>"}
			}
			if ok != tt.wantOK || got != want {
				t.Errorf("protectedOf = %+v, %v; want %+v, %v", got, ok, want, tt.wantOK)
			}
		})
	}
}

// TestSearchTextWordsAtTheCap: normalising ASCII a word at a time keeps
// the cap exactly where letter by letter put it: a letter (and the space
// before it) starts only below localstore.MaxSearchText bytes.
func TestSearchTextWordsAtTheCap(t *testing.T) {
	const capText = localstore.MaxSearchText
	tests := []struct {
		name      string
		have      int    // bytes of "x" already there
		spaced    bool   // they end with a space
		in, after string // what is appended, and what the end of the text must be
		length    int
	}{
		{"word cut at the cap", capText - 3, false, "ABCDEF", "x ab", capText},
		{"separator and one letter over", capText - 1, false, "AB", "x a", capText + 1},
		{"one letter to the cap", capText - 1, true, "AB", "x a", capText},
		{"at the cap nothing", capText, false, "AB", "xx", capText},
		{"words across", capText - 6, false, "Ab\tCd ef", "x ab cd", capText},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := bytes.Repeat([]byte("x"), tt.have)
			if tt.spaced {
				dst[len(dst)-1] = ' '
			}
			got := appendSearchText(dst, tt.in)
			if len(got) != tt.length || !bytes.HasSuffix(got, []byte(tt.after)) {
				t.Errorf("appendSearchText = %d bytes ending %q, want %d ending %q", len(got), got[max(len(got)-10, 0):], tt.length, tt.after)
			}
		})
	}
}

// BenchmarkAppendSearchText measures normalising a mostly ASCII body for
// the search index.
func BenchmarkAppendSearchText(b *testing.B) {
	text := strings.Repeat("Dear Team,\r\nThe QUARTERLY numbers are in the report; see the   attached PDF.\r\nRegards, Zoë\r\n\r\n", 100)
	dst := make([]byte, 0, len(text)+16)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		dst = appendSearchText(dst[:0], text)
	}
}
