package ui

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/sealpost/sealpost/mail"
	"github.com/sealpost/sealpost/mail/backend"
)

// plainWriter is a writer that cannot restrict permissions, like a
// content URI that is not a local file.
type plainWriter struct{ bytes.Buffer }

func (*plainWriter) Close() error { return nil }

func TestWritePrivate(t *testing.T) {
	dir := t.TempDir()
	data := []byte("a,b\n1,2\n")
	tests := []struct {
		name     string
		writer   func(t *testing.T) (io.WriteCloser, string)
		wantErr  error
		wantMode os.FileMode
	}{
		{
			name: "new local file",
			writer: func(t *testing.T) (io.WriteCloser, string) {
				path := filepath.Join(dir, "new.csv")
				f, err := os.Create(path) // as Fyne's dialog creates it: 0666 before umask
				if err != nil {
					t.Fatal(err)
				}
				return f, path
			},
			wantMode: 0o600,
		},
		{
			name: "existing world-readable file",
			writer: func(t *testing.T) (io.WriteCloser, string) {
				path := filepath.Join(dir, "old.csv")
				if err := os.WriteFile(path, []byte("older and longer content"), 0o644); err != nil {
					t.Fatal(err)
				}
				f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
				if err != nil {
					t.Fatal(err)
				}
				return f, path
			},
			wantMode: 0o600,
		},
		{
			name: "not a local file",
			writer: func(*testing.T) (io.WriteCloser, string) {
				return &plainWriter{}, ""
			},
			wantErr: errNotLocalFile,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w, path := tc.writer(t)
			err := writePrivate(w, data)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("writePrivate error = %v, want %v", err, tc.wantErr)
			}
			if pw, ok := w.(*plainWriter); ok {
				if pw.Len() != 0 {
					t.Errorf("got = %d bytes written, want none", pw.Len())
				}
				return
			}
			info, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if got := info.Mode().Perm(); got != tc.wantMode {
				t.Errorf("mode got = %v, want %v", got, tc.wantMode)
			}
			if got, _ := os.ReadFile(path); !bytes.Equal(got, data) {
				t.Errorf("content got = %q, want %q", got, data)
			}
		})
	}
}

// TestReaderSavesAttachment opens the encrypted fixture message and saves
// its attachment through the reader's Save button.
func TestReaderSavesAttachment(t *testing.T) {
	test.NewTempApp(t)
	app, e := openFixture(t)
	v := app.main
	want, err := e.Inspect(t.Context(), readFixture(t, "good.eml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(want.Attachments) != 1 || len(want.Attachments[0].Data) == 0 {
		t.Fatalf("fixture attachments = %+v, want one with content", want.Attachments)
	}

	dir := t.TempDir()
	var asked []string
	v.reader.save = func(name string, data []byte, done func(string, error)) {
		asked = append(asked, name)
		path := filepath.Join(dir, name)
		done(path, os.WriteFile(path, data, 0o600))
	}
	v.list.Select(rowOf(t, v, "Q3 numbers"))
	app.tasks.wait()
	if got := len(v.reader.saves.Objects); got != 1 {
		t.Fatalf("save buttons got = %d, want 1", got)
	}
	test.Tap(v.reader.saveButtons[0])
	if len(asked) != 1 || asked[0] != "q3.csv" {
		t.Fatalf("save asked for got = %q, want [q3.csv]", asked)
	}
	got, err := os.ReadFile(filepath.Join(dir, "q3.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Attachments[0].Data) {
		t.Errorf("saved got = %q, want %q", got, want.Attachments[0].Data)
	}
	if !strings.Contains(v.reader.saveStatus.Text, "Saved q3.csv") {
		t.Errorf("status got = %q, want it to say where q3.csv was saved", v.reader.saveStatus.Text)
	}

	v.list.Select(rowOf(t, v, "Parking notice"))
	app.tasks.wait()
	if got := len(v.reader.saves.Objects); got != 0 {
		t.Errorf("save buttons of a message without attachments got = %d, want 0", got)
	}
}

// realSender is the real engine; it records how many sends it saw.
type realSender struct {
	*mail.Engine
	mu    sync.Mutex
	sends int
}

func (s *realSender) Send(ctx context.Context, account string, d backend.Draft, sec backend.Security) error {
	s.mu.Lock()
	s.sends++
	s.mu.Unlock()
	return s.Engine.Send(ctx, account, d, sec)
}

// TestComposerSendsAttachments attaches files with the Attach… action and
// by dropping them, removes one, sends an encrypted message to self
// through the real engine and checks what the outbox holds.
func TestComposerSendsAttachments(t *testing.T) {
	test.NewTempApp(t)
	e := fixtureEngine(t)
	s := &realSender{Engine: e}
	app := unlocked(t, newApp(s))
	test.Tap(app.main.newButton)
	app.tasks.wait()
	c := app.main.lastComposer

	dir := t.TempDir()
	dropped := filepath.Join(dir, "photo.jpg")
	photo := []byte{0xff, 0xd8, 0xff, 0xe0, 0, 1, 2, 3}
	if err := os.WriteFile(dropped, photo, 0o600); err != nil {
		t.Fatal(err)
	}
	notes := []byte("meeting notes\n")
	c.open = func(done func(string, []byte, error)) { done("notes.txt", notes, nil) }

	test.Type(c.to, alice)
	test.Type(c.subject, "Files")
	test.Type(c.body, "Here they are.")
	test.Tap(c.attachButton)
	c.open = func(done func(string, []byte, error)) { done("draft.txt", []byte("not this one"), nil) }
	test.Tap(c.attachButton)
	c.dropped(fyne.NewPos(10, 10), []fyne.URI{storage.NewFileURI(dropped)})
	app.tasks.wait()
	if got := len(c.attachList.Objects); got != 3 {
		t.Fatalf("attachment rows got = %d, want 3", got)
	}
	remove := c.attachList.Objects[1].(*fyne.Container).Objects[1].(*widget.Button)
	test.Tap(remove)
	var names []string
	for _, a := range c.attached {
		names = append(names, a.Filename)
	}
	if strings.Join(names, ",") != "notes.txt,photo.jpg" {
		t.Fatalf("attachments got = %q, want notes.txt and photo.jpg", names)
	}
	if !c.encrypt.Checked {
		t.Fatalf("Encrypt is off for a message to self; summary %q", c.summary.Text)
	}

	test.Tap(c.sendButton)
	app.tasks.wait()
	if s.sends != 1 {
		t.Fatalf("sends got = %d, want 1; status %q", s.sends, c.status.Text)
	}
	// There is no mail server: the message stays in the outbox, as sent.
	if got := app.main.status.Text; !strings.Contains(got, "kept in the outbox") || app.main.outboxButton.Text != "Outbox (1)" {
		t.Errorf("main window got = %q, %q, want it to say the message is kept in the outbox and count it", got, app.main.outboxButton.Text)
	}
	if err := e.Lock(); err != nil {
		t.Fatal(err)
	}
	p, err := mail.OpenProfile(e.ProfileDir(), []byte(fixturePassphrase), profileOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	items, err := p.Outbox().List()
	if err != nil || len(items) != 1 {
		t.Fatalf("outbox got = %d items (%v), want 1", len(items), err)
	}
	if bytes.Contains(items[0].Raw, notes) {
		t.Errorf("the queued message holds the attachment in plaintext, want it encrypted")
	}
	got, err := p.Inspector().Inspect(items[0].Raw)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Encrypted || !got.IntegrityProtected {
		t.Errorf("encrypted = %v, integrity = %v, want both", got.Encrypted, got.IntegrityProtected)
	}
	want := map[string][]byte{"notes.txt": notes, "photo.jpg": photo}
	if len(got.Attachments) != len(want) {
		t.Fatalf("attachments got = %d, want %d", len(got.Attachments), len(want))
	}
	for _, a := range got.Attachments {
		if !bytes.Equal(a.Data, want[a.Filename]) {
			t.Errorf("%s got = %q, want %q", a.Filename, a.Data, want[a.Filename])
		}
	}
}

func TestComposerRefusesTooLargeAttachments(t *testing.T) {
	test.NewTempApp(t)
	_, _, c := openComposer(t)
	tests := []struct {
		name      string
		size      int
		wantCount int
	}{
		{name: "up to the limit", size: maxAttachments - 1, wantCount: 1},
		{name: "one byte more", size: 2, wantCount: 1},
		{name: "the last byte", size: 1, wantCount: 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c.open = func(done func(string, []byte, error)) { done(tc.name, make([]byte, tc.size), nil) }
			test.Tap(c.attachButton)
			if got := len(c.attached); got != tc.wantCount {
				t.Errorf("attachments got = %d, want %d; status %q", got, tc.wantCount, c.status.Text)
			}
		})
	}
	if !strings.Contains(c.status.Text, "at most 18 MB") {
		t.Errorf("status got = %q, want it to name the limit", c.status.Text)
	}
}
