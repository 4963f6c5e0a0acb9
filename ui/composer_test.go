package ui

import (
	"context"
	"strings"
	"sync"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"

	"github.com/sealpost/sealpost/mail"
	"github.com/sealpost/sealpost/mail/backend"
)

// sendRecorder is the real engine with Send replaced by a recorder, so that
// the test sees exactly what the composer asks to send without an SMTP
// server. Key states, accounts and everything else are the engine's.
type sendRecorder struct {
	*mail.Engine
	mu   sync.Mutex
	sent []backend.Security
}

func (r *sendRecorder) Send(_ context.Context, _ string, _ backend.Draft, sec backend.Security) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, sec)
	return nil
}

func (r *sendRecorder) modes() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, s := range r.sent {
		out = append(out, s.Mode)
	}
	return out
}

func openComposer(t *testing.T) (*App, *sendRecorder, *composer) {
	t.Helper()
	rec := &sendRecorder{Engine: fixtureEngine(t)}
	app := unlocked(t, newApp(rec))
	test.Tap(app.main.newButton)
	app.tasks.wait()
	if len(app.extra) != 1 {
		t.Fatalf("open windows besides the main one = %d, want the composer", len(app.extra))
	}
	return app, rec, app.main.lastComposer
}

func chipStates(c *composer) []string {
	var out []string
	for _, ch := range c.chips {
		out = append(out, ch.email+" "+ch.state)
	}
	return out
}

func pressCtrlEnter(c *composer) {
	c.window.Canvas().Focus(c.body)
	c.window.Canvas().Focused().(fyne.Shortcutable).TypedShortcut(
		&desktop.CustomShortcut{KeyName: fyne.KeyReturn, Modifier: fyne.KeyModifierShortcutDefault})
}

func TestComposerNeverSendsPlaintextWithoutChoice(t *testing.T) {
	test.NewTempApp(t)
	app, rec, c := openComposer(t)

	test.Type(c.to, "carol@example.com")
	test.Type(c.subject, "Hello")
	test.Type(c.body, "Hi Carol")
	app.tasks.wait()
	if got := chipStates(c); len(got) != 1 || got[0] != "carol@example.com "+chipNoKey {
		t.Fatalf("chips = %q, want carol with no key", got)
	}
	if c.encrypt.Checked {
		t.Errorf("Encrypt is on for a recipient without a key")
	}
	if !strings.Contains(c.summary.Text, "No key for carol@example.com") && !strings.Contains(c.summary.Text, "Not encrypted") {
		t.Errorf("summary = %q, want it to say the message would not be encrypted", c.summary.Text)
	}

	test.Tap(c.sendButton)
	app.tasks.wait()
	pressCtrlEnter(c)
	app.tasks.wait()
	if got := rec.modes(); len(got) != 0 {
		t.Fatalf("sent %q without an explicit choice", got)
	}
	if !c.offer.Visible() || !strings.Contains(c.status.Text, "No key for carol@example.com") || !strings.Contains(c.status.Text, "nothing was sent") {
		t.Fatalf("status = %q (offer shown %v), want the missing key reported and the choices offered", c.status.Text, c.offer.Visible())
	}
	if c.passwordButton.Disabled() || c.plainButton.Disabled() {
		t.Fatalf("the password and plain choices must be offered")
	}

	test.Tap(c.passwordButton)
	test.Tap(c.sendPasswordButton)
	if got := rec.modes(); len(got) != 0 || !strings.Contains(c.status.Text, "Enter the password") {
		t.Fatalf("sent %q with an empty password; status %q", got, c.status.Text)
	}
	test.Type(c.password, "correct horse")
	test.Tap(c.sendPasswordButton)
	app.tasks.wait()
	if got := rec.modes(); len(got) != 1 || got[0] != backend.ModePassword {
		t.Fatalf("sent modes = %q, want one password-encrypted message", got)
	}
	if string(rec.sent[0].Password) != "correct horse" {
		t.Errorf("password = %q, want the one typed", rec.sent[0].Password)
	}
	if len(app.extra) != 0 {
		t.Errorf("the composer stayed open after sending")
	}
}

func TestComposerExplicitPlainChoice(t *testing.T) {
	test.NewTempApp(t)
	app, rec, c := openComposer(t)
	test.Type(c.to, "carol@example.com")
	app.tasks.wait()
	test.Tap(c.sendButton)
	test.Tap(c.plainButton)
	app.tasks.wait()
	if got := rec.modes(); len(got) != 1 || got[0] != backend.ModeSign {
		t.Fatalf("sent modes = %q, want one signed, unencrypted message after the explicit choice", got)
	}
}

func TestComposerEncryptsToKnownKeys(t *testing.T) {
	test.NewTempApp(t)
	app, rec, c := openComposer(t)
	test.Type(c.to, "Bob Example <bob@example.net>, alice@example.org")
	app.tasks.wait()
	want := []string{"bob@example.net " + chipVerified, "alice@example.org " + chipOwn}
	if got := chipStates(c); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("chips = %q, want %q", got, want)
	}
	if !c.encrypt.Checked || !c.sign.Checked || !c.sign.Disabled() {
		t.Errorf("encrypt = %v, sign = %v (disabled %v), want both on with sign locked", c.encrypt.Checked, c.sign.Checked, c.sign.Disabled())
	}
	if !strings.HasPrefix(c.summary.Text, "Encrypted to 2 recipients and you, signed with your key ") {
		t.Errorf("summary = %q, want the encrypted plan in words", c.summary.Text)
	}
	pressCtrlEnter(c)
	app.tasks.wait()
	if got := rec.modes(); len(got) != 1 || got[0] != backend.ModeEncrypt {
		t.Fatalf("Ctrl+Enter sent %q, want one encrypted message", got)
	}
}

func TestComposerTurningEncryptionOffAsks(t *testing.T) {
	test.NewTempApp(t)
	app, rec, c := openComposer(t)
	test.Type(c.to, "bob@example.net")
	app.tasks.wait()
	test.Tap(c.encrypt) // off, on purpose
	if c.encrypt.Checked {
		t.Fatal("Encrypt is still on after tapping it")
	}
	test.Tap(c.sendButton)
	if got := rec.modes(); len(got) != 0 || !c.offer.Visible() {
		t.Fatalf("sent %q after turning encryption off, want a confirmation first", got)
	}
	test.Type(c.to, ", dave@example.com")
	app.tasks.wait()
	if c.encrypt.Checked {
		t.Errorf("a later recipient change turned Encrypt back on against the user's choice")
	}
}

func TestParseRecipients(t *testing.T) {
	tests := []struct {
		name, field string
		want        []chip
	}{
		{"empty", " , ", nil},
		{"bare and named", "a@example.org; Bob <BOB@example.net>", []chip{
			{address: "a@example.org", email: "a@example.org", state: chipChecking},
			{address: "Bob <BOB@example.net>", email: "bob@example.net", state: chipChecking}}},
		{"invalid", "carol", []chip{{address: "carol", state: chipInvalid}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseRecipients(tt.field)
			if len(got) != len(tt.want) {
				t.Fatalf("got = %+v, want %+v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("chip %d: got = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

// TestComposerWindowIsTitledBySubject: an empty composer is "New message";
// typing a subject names the window after it, so that open composers can
// be told apart.
func TestComposerWindowIsTitledBySubject(t *testing.T) {
	test.NewTempApp(t)
	_, _, c := openComposer(t)
	if got := c.window.Title(); got != "New message – Sealpost" {
		t.Errorf("empty composer titled %q", got)
	}
	test.Type(c.subject, "Budget\tfor  2027")
	if got := c.window.Title(); got != "Budget for 2027 – Sealpost" {
		t.Errorf("composer titled %q after typing a subject", got)
	}
}
