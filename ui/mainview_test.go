package ui

import (
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/sealpost/sealpost/mail/backend"
)

func TestMainWindowListsInbox(t *testing.T) {
	test.NewTempApp(t)
	app, _ := openFixture(t)
	v := app.main

	if got := app.Window().Title(); !strings.Contains(got, "Sealpost") {
		t.Errorf("title = %q, want it to contain Sealpost", got)
	}
	if got := v.treeChildren(""); len(got) != 1 || got[0] != alice {
		t.Fatalf("accounts in the tree = %q, want [%s]", got, alice)
	}
	if got := v.treeChildren(alice); len(got) != 1 || !strings.HasSuffix(got[0], "INBOX") {
		t.Fatalf("folders of %s = %q, want the inbox", alice, got)
	}
	if v.account != alice || v.folder != "INBOX" {
		t.Fatalf("open folder = %s/%s, want the first account's inbox", v.account, v.folder)
	}
	if got := v.rows.len(); got != len(inbox) {
		t.Fatalf("list rows = %d, want %d", got, len(inbox))
	}
	if got := v.rows.at(0).Subject; got != "Q3 numbers" {
		t.Errorf("first row = %q, want the newest message, Q3 numbers", got)
	}
	if got := v.status.Text; got != "Inbox: 4 messages" {
		t.Errorf("status = %q, want %q", got, "Inbox: 4 messages")
	}
	if got := v.unread[alice+folderSep+"INBOX"]; got != 2 {
		t.Errorf("unread in the inbox = %d, want 2", got)
	}
}

// TestLocalFilterWithoutSearch: without backend.Search the search box
// filters the loaded folder as the user types, and Esc clears it.
func TestLocalFilterWithoutSearch(t *testing.T) {
	test.NewTempApp(t)
	app := unlocked(t, newApp(struct{ backend.Backend }{fixtureEngine(t)}))
	v := app.main
	if v.searcher != nil || v.scope != nil {
		t.Fatal("searcher got = non-nil for a backend without backend.Search, want the local filter")
	}
	test.Type(v.search, "lunch")
	if got := v.rows.len(); got != 1 || v.rows.at(0).Subject != "Lunch on Friday?" {
		t.Errorf("after typing lunch: %d rows, want only Lunch on Friday?", got)
	}
	if want := "Inbox: 1 of 4 messages match"; v.status.Text != want {
		t.Errorf("status got = %q, want %q", v.status.Text, want)
	}
	v.search.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if got := v.rows.len(); got != len(inbox) || v.search.Text != "" {
		t.Errorf("after Esc: %d rows, search %q; want %d rows and an empty box", got, v.search.Text, len(inbox))
	}
}

// TestReaderSecurityBar opens each fixture message through the list and
// checks what the security bar says.
func TestReaderSecurityBar(t *testing.T) {
	test.NewTempApp(t)
	app, _ := openFixture(t)
	v := app.main

	tests := []struct {
		subject   string
		level     level
		want      []string // phrases that must appear in the bar
		forbidden []string // phrases that must not
	}{
		{"Q3 numbers", levelGood, []string{"Encrypted", "Signed by Bob Example <bob@example.net>", ", verified"}, []string{"NOT"}},
		{"Urgent: new bank details", levelCaution, []string{"Not encrypted"}, []string{"Signed by"}},
		{"Lunch on Friday?", levelNeutral, []string{"Not encrypted", "Signed by Bob Example"}, nil},
		{"Parking notice", levelNeutral, []string{"Not encrypted", "Not signed"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.subject, func(t *testing.T) {
			v.list.Select(rowOf(t, v, tt.subject))
			app.tasks.wait()
			if v.message == nil {
				t.Fatalf("reader shows %q, want the message", v.reader.placeholder.Text)
			}
			bar := v.reader.bar
			var text []string
			for _, l := range bar.state.lines {
				text = append(text, l.text)
			}
			all := strings.Join(text, "\n")
			if bar.state.level != tt.level {
				t.Errorf("level = %s, want %s; bar:\n%s", bar.state.level, tt.level, all)
			}
			for _, w := range tt.want {
				if !strings.Contains(all, w) {
					t.Errorf("bar lacks %q; bar:\n%s", w, all)
				}
			}
			for _, f := range tt.forbidden {
				if strings.Contains(all, f) {
					t.Errorf("bar says %q; bar:\n%s", f, all)
				}
			}
			if !bar.object.Visible() || len(bar.lines.Objects) != len(bar.state.lines) {
				t.Errorf("bar visible = %v with %d lines, want visible with %d", bar.object.Visible(), len(bar.lines.Objects), len(bar.state.lines))
			}
			if v.reader.subject.Text != tt.subject {
				t.Errorf("reader subject = %q, want %q", v.reader.subject.Text, tt.subject)
			}
		})
	}

	v.list.Select(rowOf(t, v, "Q3 numbers"))
	app.tasks.wait()
	if got := v.reader.body.Text; !strings.Contains(got, "Revenue is up") {
		t.Errorf("body = %q, want the decrypted text", got)
	}
	if got := attachmentLabels(v.reader); !v.reader.attachments.Visible() || !strings.Contains(got, "q3.csv") {
		t.Errorf("attachments = %q (visible %v), want q3.csv", got, v.reader.attachments.Visible())
	}
}

func TestSpoofedMessageWarns(t *testing.T) {
	test.NewTempApp(t)
	app, e := openFixture(t)
	m, err := e.Inspect(t.Context(), readFixture(t, "spoofed.eml"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Signature.Counts() {
		t.Fatalf("signature %+v counts as Bob's, want it refused", m.Signature)
	}
	app.main.showMessage(m)
	bar := app.main.reader.bar.state
	var warnings []string
	for _, l := range bar.lines {
		if l.icon == theme.WarningIcon() || l.icon == theme.ErrorIcon() {
			warnings = append(warnings, l.text)
		}
		if strings.HasPrefix(l.text, "Signed by") {
			t.Errorf("bar line %q presents the forged message as signed by its sender", l.text)
		}
	}
	if len(warnings) == 0 {
		t.Errorf("bar = %+v, want a warning", bar.lines)
	}
	if bar.level < levelCaution {
		t.Errorf("level = %s, want caution or bad", bar.level)
	}
}

func TestDescribe(t *testing.T) {
	verified := backend.Signature{Status: backend.SigValid, Fingerprint: "AAAABBBBCCCCDDDD", Signer: "Bob <bob@example.net>",
		Verification: backend.VerificationVerified, MatchesFrom: true, WholeMessage: true}
	unverified := verified
	unverified.Verification = backend.VerificationUnverified
	other := verified
	other.MatchesFrom = false
	part := verified
	part.WholeMessage = false
	mismatch := verified
	mismatch.DateMismatch = true
	otherMismatch := other
	otherMismatch.DateMismatch = true
	tests := []struct {
		name  string
		msg   backend.Message
		level level
		want  string
	}{
		{"encrypted and verified", backend.Message{Encrypted: true, Decrypted: true, Signature: verified}, levelGood, "AAAA BBBB CCCC DDDD, verified"},
		{"unverified key", backend.Message{Encrypted: true, Decrypted: true, Signature: unverified}, levelCaution, "not verified yet"},
		{"signer is not the sender", backend.Message{From: "bob@example.net", Signature: other}, levelBad, "NOT by bob@example.net"},
		{"partly signed", backend.Message{Signature: part}, levelCaution, "Only part"},
		{"invalid", backend.Message{Signature: backend.Signature{Status: backend.SigInvalid}}, levelBad, "INVALID"},
		{"unknown key", backend.Message{Signature: backend.Signature{Status: backend.SigUnknownKey}}, levelCaution, "do not have"},
		{"undecryptable", backend.Message{Encrypted: true}, levelBad, "Encrypted, but Sealpost could not decrypt it: nothing of it is shown"},
		{"s/mime", backend.Message{SMIMEEncrypted: true}, levelCaution, "Encrypted with S/MIME, which Sealpost cannot read"},
		{"date mismatch", backend.Message{Encrypted: true, Decrypted: true, Signature: mismatch}, levelCaution, "Date mismatch: signed by Bob"},
		{"date mismatch, signer is not the sender", backend.Message{From: "bob@example.net", Signature: otherMismatch}, levelBad, "Date mismatch: signed by Bob"},
		{"plain", backend.Message{Signature: backend.Signature{Status: backend.SigNone}}, levelNeutral, "Not signed"},
		{"warning lowers good", backend.Message{Encrypted: true, Decrypted: true, Signature: verified, Warnings: []string{"date in the future"}}, levelCaution, "date in the future"},
		{"transport", backend.Message{Transport: &backend.Transport{Server: "imap.example.org", Version: "TLS 1.3", CipherSuite: "TLS_AES_128_GCM_SHA256",
			CertSHA256: "0123456789abcdef0123", Pinned: true}}, levelNeutral, "This session's connection to imap.example.org: TLS 1.3 (TLS_AES_128_GCM_SHA256), certificate SHA-256 0123 4567 89ab cdef…, pinned by you"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := describe(tt.msg)
			var lines []string
			for _, l := range s.lines {
				lines = append(lines, l.text)
			}
			all := strings.Join(lines, "\n")
			if s.level != tt.level {
				t.Errorf("level = %s, want %s", s.level, tt.level)
			}
			if !strings.Contains(all, tt.want) {
				t.Errorf("lines = %q, want one containing %q", all, tt.want)
			}
		})
	}
}

func TestMainWindowShortcuts(t *testing.T) {
	test.NewTempApp(t)
	app, _ := openFixture(t)
	v := app.main
	press := func(key fyne.KeyName) {
		typeShortcut(app.window.Canvas(), &desktop.CustomShortcut{KeyName: key, Modifier: fyne.KeyModifierShortcutDefault})
		app.tasks.wait()
	}

	press(fyne.KeyR)
	if len(app.extra) != 0 {
		t.Fatalf("Ctrl+R with no message open opened %d windows", len(app.extra))
	}
	v.list.Select(rowOf(t, v, "Q3 numbers"))
	app.tasks.wait()
	press(fyne.KeyR)
	c := v.lastComposer
	if len(app.extra) != 1 || c.subject.Text != "Re: Q3 numbers" || !strings.Contains(c.body.Text, "> the Q3 numbers are attached") {
		t.Fatalf("Ctrl+R: %d windows, subject %q; want a reply quoting the message", len(app.extra), c.subject.Text)
	}
	if got := chipStates(c); len(got) != 1 || got[0] != "bob@example.net "+chipVerified {
		t.Errorf("reply chips = %q, want Bob with his verified key", got)
	}

	press(fyne.KeyN)
	if len(app.extra) != 2 || v.lastComposer.to.Text != "" {
		t.Fatalf("Ctrl+N: %d windows; want a second, empty composer", len(app.extra))
	}
	press(fyne.KeyF)
	if app.window.Canvas().Focused() != v.search {
		t.Errorf("Ctrl+F did not focus the search box")
	}

	test.Tap(v.lockButton)
	app.tasks.wait()
	if len(app.extra) != 0 || app.main != nil || app.submit.Text != "Unlock" {
		t.Errorf("after Lock: %d extra windows, main view kept %v; want every window closed and the unlock screen", len(app.extra), app.main != nil)
	}
	press(fyne.KeyN)
	if len(app.extra) != 0 {
		t.Errorf("Ctrl+N on the unlock screen opened a composer")
	}
}

// TestMailtoOpensComposerAfterUnlock: started for a mailto: link, the app
// asks for the passphrase first and then opens a composer with the link's
// recipient and subject.
func TestMailtoOpensComposerAfterUnlock(t *testing.T) {
	test.NewTempApp(t)
	app := newApp(fixtureEngine(t))
	app.ComposeWhenOpen(backend.Draft{To: []string{"bob@example.net"}, Subject: "From a link"})
	if app.main != nil {
		t.Fatal("the main window opened before unlocking")
	}
	unlocked(t, app)
	app.tasks.wait()
	c := app.main.lastComposer
	if c == nil || c.to.Text != "bob@example.net" || c.subject.Text != "From a link" {
		t.Fatalf("composer after unlock = %+v", c)
	}
}

// subjects lists the rows' subjects.
func subjects(v *mainView) []string {
	var out []string
	for i := 0; i < v.rows.len(); i++ {
		out = append(out, v.rows.at(i).Subject)
	}
	return out
}

// renderedRows returns the message rows the list has laid out, by row.
func renderedRows(v *mainView) map[int]*messageRow {
	out := map[int]*messageRow{}
	for _, o := range test.LaidOutObjects(v.list) {
		if r, ok := o.(*messageRow); ok && r.Visible() && r.row < v.rows.len() && r.subject.Text == v.rows.at(r.row).Subject {
			out[r.row] = r
		}
	}
	return out
}

// TestSearchFindsInsideEncryptedMail types a word that only an encrypted
// body holds, runs the search with Enter, opens the result, widens the
// scope to all folders and leaves the results with Esc and by clearing
// the box.
func TestSearchFindsInsideEncryptedMail(t *testing.T) {
	test.NewTempApp(t)
	app, s := openSearchFixture(t)
	v := app.main
	if v.searcher == nil || v.scope.Selected != scopeFolder {
		t.Fatalf("searcher %v, scope %q; want the backend's search, in this folder", v.searcher, v.scope.Selected)
	}
	enter := func() {
		v.search.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
		app.tasks.wait()
	}

	test.Type(v.search, "REVENUE")
	if got := v.rows.len(); got != len(inbox) || len(s.queries) != 0 {
		t.Fatalf("while typing: %d rows, %d searches; want the folder unchanged until Enter", got, len(s.queries))
	}
	enter()
	if want := (backend.SearchQuery{Text: "REVENUE", Account: alice, Folder: "INBOX"}); len(s.queries) != 1 || s.queries[0] != want {
		t.Fatalf("queries got = %+v, want [%+v]", s.queries, want)
	}
	if got := subjects(v); !slices.Equal(got, []string{"Q3 numbers"}) {
		t.Fatalf("rows got = %q, want only the encrypted Q3 numbers", got)
	}
	if want := "1 message in Inbox match “REVENUE”. Esc returns to the folder."; v.status.Text != want {
		t.Errorf("status got = %q, want %q", v.status.Text, want)
	}
	if r := renderedRows(v)[0]; r == nil || r.where.Visible() {
		t.Errorf("the result row shows its folder although all results are in one folder")
	}

	v.list.Select(0)
	app.tasks.wait()
	if v.reader.subject.Text != "Q3 numbers" || !strings.Contains(v.reader.body.Text, "Revenue is up") {
		t.Errorf("reader got = %q / %q, want the decrypted Q3 numbers", v.reader.subject.Text, v.reader.body.Text)
	}

	v.scope.SetSelected(scopeAll)
	app.tasks.wait()
	if want := (backend.SearchQuery{Text: "REVENUE"}); len(s.queries) != 2 || s.queries[1] != want {
		t.Fatalf("queries got = %+v, want a second one for all folders, %+v", s.queries, want)
	}
	if got := subjects(v); !slices.Equal(got, []string{"Q3 numbers", "Annual report"}) {
		t.Fatalf("rows in all folders got = %q, want Q3 numbers and Annual report", got)
	}
	if v.opened == nil || !v.rows.isSelected(0) || v.actions.deleteButton.Disabled() {
		t.Errorf("the open message is a result again but is not selected with its actions (opened %v)", v.opened)
	}
	rows := renderedRows(v)
	for i, want := range []string{"Inbox", "Archive"} {
		if r := rows[i]; r == nil || !r.where.Visible() || r.where.Text != want {
			t.Errorf("row %d folder got = %v, want %q shown", i, r, want)
		}
	}

	v.search.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	app.tasks.wait()
	if got := v.rows.len(); got != len(inbox) || v.inResults || v.search.Text != "" {
		t.Errorf("after Esc: %d rows, in results %v, search %q; want the inbox back", got, v.inResults, v.search.Text)
	}
	if want := "Inbox: 4 messages"; v.status.Text != want {
		t.Errorf("status after Esc got = %q, want %q", v.status.Text, want)
	}

	test.Type(v.search, "lunch")
	enter()
	if got := subjects(v); !slices.Equal(got, []string{"Lunch on Friday?"}) {
		t.Fatalf("rows for lunch got = %q, want Lunch on Friday?", got)
	}
	if v.opened != nil || v.reader.subject.Text != "" || !v.replyButton.Disabled() {
		t.Errorf("results without the open message left it in the reader (%q) with Reply enabled", v.reader.subject.Text)
	}
	v.search.SetText("")
	app.tasks.wait()
	if got := v.rows.len(); got != len(inbox) || v.inResults {
		t.Errorf("after clearing the box: %d rows, in results %v; want the inbox back", got, v.inResults)
	}

	// Esc with the focus on the list (or nowhere) leaves results too.
	test.Type(v.search, "parking")
	enter()
	app.window.Canvas().Unfocus()
	app.window.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyEscape})
	app.tasks.wait()
	if got := v.rows.len(); got != len(inbox) || v.inResults {
		t.Errorf("after Esc on the list: %d rows, in results %v; want the inbox back", got, v.inResults)
	}
}

func TestSearchIndexProgress(t *testing.T) {
	test.NewTempApp(t)
	app, _ := openSearchFixture(t, backend.IndexProgress{Done: 0, Total: 2}, backend.IndexProgress{Done: 1, Total: 2})
	v := app.main
	steps := []struct {
		name    string
		p       backend.IndexProgress
		visible bool
		value   float64
	}{
		{"started", backend.IndexProgress{Done: 0, Total: 4}, true, 0},
		{"half", backend.IndexProgress{Done: 2, Total: 4}, true, 0.5},
		{"caught up", backend.IndexProgress{Done: 4, Total: 4}, false, 0.5},
	}
	for _, tt := range steps {
		t.Run(tt.name, func(t *testing.T) {
			v.indexProgress(v.searchGen, tt.p)
			if v.searchProgress.Visible() != tt.visible || v.searchProgress.Value != tt.value {
				t.Errorf("progress got = visible %v at %v, want visible %v at %v", v.searchProgress.Visible(), v.searchProgress.Value, tt.visible, tt.value)
			}
		})
	}
	v.indexProgress(v.searchGen-1, backend.IndexProgress{Done: 1, Total: 4})
	if v.searchProgress.Visible() {
		t.Error("progress of an older search got = shown, want ignored")
	}
	// A search that reports progress hides the bar when its results come.
	test.Type(v.search, "lunch")
	v.search.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	app.tasks.wait()
	if v.searchProgress.Visible() || v.rows.len() != 1 {
		t.Errorf("after the search: progress visible %v, %d rows; want hidden and one row", v.searchProgress.Visible(), v.rows.len())
	}
}

// TestLockInSearchResultsKeepsNothing: locking while search results are
// shown leaves no decrypted summary behind in the main view (leaving the
// search must not list the folder again).
func TestLockInSearchResultsKeepsNothing(t *testing.T) {
	test.NewTempApp(t)
	app, _ := openSearchFixture(t)
	v := app.main
	test.Type(v.search, "revenue")
	v.search.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	app.tasks.wait()
	if !v.inResults || v.rows.len() != 1 {
		t.Fatalf("in results %v with %d rows, want one result shown", v.inResults, v.rows.len())
	}
	test.Tap(v.lockButton)
	app.tasks.wait()
	if app.main != nil || v.rows.len() != 0 || len(v.rows.all) != 0 || v.opened != nil {
		t.Errorf("after Lock: main view kept %v, %d rows (%d loaded), opened %v; want nothing", app.main != nil, v.rows.len(), len(v.rows.all), v.opened)
	}
}

// TestSearchWithTheEngine runs the search box against the real engine: a
// word only the encrypted message's text holds finds it.
func TestSearchWithTheEngine(t *testing.T) {
	test.NewTempApp(t)
	app, _ := openFixture(t)
	v := app.main
	if v.searcher == nil {
		t.Fatal("searcher got = nil with the real engine, want its backend.Search")
	}
	test.Type(v.search, "revenue")
	v.search.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	app.tasks.wait()
	if got := subjects(v); !slices.Equal(got, []string{"Q3 numbers"}) {
		t.Fatalf("rows got = %q (status %q), want only the encrypted Q3 numbers", got, v.status.Text)
	}
}

// TestFolderCountSingular: a folder with one message says so in words.
func TestFolderCountSingular(t *testing.T) {
	test.NewTempApp(t)
	app, _ := openSearchFixture(t) // its Archive holds one message
	app.main.openFolder(alice, "Archive")
	app.tasks.wait()
	if got, want := app.main.status.Text, "Archive: 1 message"; got != want {
		t.Errorf("status got = %q, want %q", got, want)
	}
}
