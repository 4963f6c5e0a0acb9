package ui

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail"
	"github.com/sealpost/sealpost/mail/backend"
)

// fixtureNow is the time the fixtures were made at (see testdata/gen).
var fixtureNow = time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)

const (
	fixturePassphrase = "the right passphrase"
	fixtureSecretPass = "fixture passphrase only" // protects testdata/alice.sec.asc
	alice             = "alice@example.org"
)

// fixtureMessage is one message of Alice's inbox in the fixture.
type fixtureMessage struct {
	file, from, subject string
	encrypted, signed   bool
	seen, flagged       bool
	attachments         bool
}

var inbox = []fixtureMessage{
	{file: "good.eml", from: `"Bob Example" <bob@example.net>`, subject: "Q3 numbers", encrypted: true, signed: true, attachments: true},
	{file: "spoofed.eml", from: `"Bob Example" <bob@example.net>`, subject: "Urgent: new bank details", signed: true, flagged: true},
	{file: "signed.eml", from: `"Bob Example" <bob@example.net>`, subject: "Lunch on Friday?", signed: true, seen: true},
	{file: "plain.eml", from: `"Bob Example" <bob@example.net>`, subject: "Parking notice", seen: true},
}

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// fixtureEngine returns a locked engine whose profile holds Alice's key,
// Bob's verified key, Alice's account and her inbox with the fixture
// messages, as a sync would have stored them. The profile is built once
// per test run and copied for each test.
func fixtureEngine(t *testing.T) *mail.Engine {
	t.Helper()
	template.once.Do(func() {
		dir, err := os.MkdirTemp("", "sealpost-ui-fixture")
		if err != nil {
			template.err = err
			return
		}
		template.dir = filepath.Join(dir, "profile")
		template.err = buildFixture(template.dir)
	})
	if template.err != nil {
		t.Fatalf("building the fixture profile: %v", template.err)
	}
	e := newEngine(t)
	if err := os.CopyFS(e.ProfileDir(), os.DirFS(template.dir)); err != nil {
		t.Fatal(err)
	}
	return e
}

// template is the fixture profile every test copies.
var template struct {
	once sync.Once
	dir  string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if template.dir != "" {
		os.RemoveAll(filepath.Dir(template.dir))
	}
	os.Exit(code)
}

func buildFixture(dir string) error {
	read := func(name string) []byte {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			panic(err) // the fixtures are part of the source tree
		}
		return data
	}
	p, err := mail.CreateProfile(dir, []byte(fixturePassphrase), profileOptions())
	if err != nil {
		return err
	}
	defer p.Close()
	if _, err := p.Keys().ImportKeys(read("alice.sec.asc"), func(string, []string) ([]byte, error) {
		return []byte(fixtureSecretPass), nil
	}); err != nil {
		return err
	}
	res, err := p.Keys().ImportKeys(read("bob.pub.asc"), nil)
	if err != nil {
		return err
	}
	if _, err := p.Keys().VerifyKey(res[0].Key.Fingerprint); err != nil {
		return err
	}
	if err := p.Close(); err != nil {
		return err
	}

	st, err := localstore.Open(dir, []byte(fixturePassphrase), profileOptions().Store)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Accounts().Put(localstore.Account{Email: alice, DisplayName: "Alice Example"}); err != nil {
		return err
	}
	if err := st.Folders().Put(localstore.Folder{Account: alice, Name: "INBOX", Delimiter: "/", UIDValidity: 1, UIDNext: uint32(len(inbox) + 1)}); err != nil {
		return err
	}
	var sums []localstore.Summary
	var raws []localstore.RawMessage
	for i, m := range inbox {
		uid := uint32(len(inbox) - i) // newest first in the list
		var flags []string
		if m.seen {
			flags = append(flags, `\Seen`)
		}
		if m.flagged {
			flags = append(flags, `\Flagged`)
		}
		raw := read(m.file)
		sums = append(sums, localstore.Summary{
			UID: uid, From: m.from, To: "Alice Example <alice@example.org>", Subject: m.subject,
			Date: fixtureNow.Add(-time.Duration(i) * 26 * time.Hour), Flags: flags, Size: uint32(len(raw)),
			Encrypted: m.encrypted, Signed: m.signed, HasAttachments: m.attachments,
		})
		raws = append(raws, localstore.RawMessage{UID: uid, Raw: raw})
	}
	if err := st.Messages().PutSummaries(alice, "INBOX", sums); err != nil {
		return err
	}
	if err := st.Messages().PutRawBatch(alice, "INBOX", raws); err != nil {
		return err
	}
	return st.Close()
}

// unlocked opens the app on b's profile through the unlock screen and
// waits until the main window has loaded.
func unlocked(t *testing.T, app *App) *App {
	t.Helper()
	app.now = func() time.Time { return fixtureNow }
	test.Type(app.passphrase, fixturePassphrase)
	test.Tap(app.submit)
	app.tasks.wait()
	if app.main == nil {
		t.Fatalf("the main window did not open; status %q", app.status.Text)
	}
	return app
}

// newApp builds the app on b in the current test app, with UI updates
// queued for tasks.wait.
func newApp(b backend.Backend) *App {
	app := New(fyne.CurrentApp(), b, nil)
	app.tasks.queueUpdates()
	app.window.Resize(fyne.NewSize(1200, 720))
	return app
}

// openFixture builds the app on the fixture profile and unlocks it.
func openFixture(t *testing.T) (*App, *mail.Engine) {
	t.Helper()
	e := fixtureEngine(t)
	app := newApp(e)
	return unlocked(t, app), e
}

// rowOf returns the list row whose subject contains subject.
func rowOf(t *testing.T, v *mainView, subject string) int {
	t.Helper()
	for i := 0; i < v.rows.len(); i++ {
		if strings.Contains(v.rows.at(i).Subject, subject) {
			return i
		}
	}
	t.Fatalf("no row with subject %q", subject)
	return -1
}

// searchFixture is the fixture engine with a backend.Search of its own: a
// plain substring match over the stored summaries and bodies, a stand-in
// for the decrypted text of each message (keyed by subject), so that a
// test can find a word that only an encrypted body holds. It reports
// progress as given, and records the queries.
type searchFixture struct {
	*mail.Engine
	bodies   map[string]string
	progress []backend.IndexProgress
	queries  []backend.SearchQuery // written by Search, read after tasks.wait
}

// fixtureBodies are the texts the search fixture searches: Q3 numbers is
// encrypted, so only its decrypted text says "revenue".
var fixtureBodies = map[string]string{
	"Q3 numbers":    "Hi Alice, the Q3 numbers are attached. Revenue is up.",
	"Annual report": "The revenue of the year, as promised.",
}

// Search returns the stored messages that hold every word of q.
func (s *searchFixture) Search(ctx context.Context, q backend.SearchQuery, progress func(backend.IndexProgress)) ([]backend.MessageSummary, error) {
	s.queries = append(s.queries, q)
	for _, p := range s.progress {
		progress(p)
	}
	accounts, err := s.Accounts(ctx)
	if err != nil {
		return nil, err
	}
	words := strings.Fields(strings.ToLower(q.Text))
	var out []backend.MessageSummary
	for _, a := range accounts {
		if q.Account != "" && a.Email != q.Account {
			continue
		}
		folders, err := s.Folders(ctx, a.Email)
		if err != nil {
			return nil, err
		}
		for _, f := range folders {
			if q.Folder != "" && f.Name != q.Folder {
				continue
			}
			msgs, err := s.Messages(ctx, a.Email, f.Name, listLimit)
			if err != nil {
				return nil, err
			}
			for _, m := range msgs {
				if matches(strings.ToLower(m.From+" "+m.Subject+" "+s.bodies[m.Subject]), words) {
					out = append(out, m)
				}
			}
		}
	}
	return out, ctx.Err()
}

// openSearchFixture opens the fixture profile, with an Archive folder that
// holds "Annual report" and an empty Trash, on a searchFixture.
func openSearchFixture(t *testing.T, progress ...backend.IndexProgress) (*App, *searchFixture) {
	t.Helper()
	e, st := fixtureWithFolders(t, 2)
	raw := readFixture(t, "plain.eml")
	if err := st.Messages().PutSummaries(alice, "Archive", []localstore.Summary{{UID: 1, From: "Carol <carol@example.com>", Subject: "Annual report",
		Date: fixtureNow.Add(-30 * 24 * time.Hour), Flags: []string{`\Seen`}, Size: uint32(len(raw))}}); err != nil {
		t.Fatal(err)
	}
	if err := st.Messages().PutRawBatch(alice, "Archive", []localstore.RawMessage{{UID: 1, Raw: raw}}); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	s := &searchFixture{Engine: e, bodies: fixtureBodies, progress: progress}
	return unlocked(t, newApp(s)), s
}
