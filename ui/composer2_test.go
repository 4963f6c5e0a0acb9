package ui

import (
	"context"
	"strings"
	"sync"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/sealpost/sealpost/mail/backend"
)

// composerLookupDouble is the real engine (through sendRecorder) with the network
// key lookup replaced: it "finds" found for any address, and an imported
// address then has an unverified key. It also keeps the drafts sent.
type composerLookupDouble struct {
	*sendRecorder
	found    backend.KeyLookup
	mu       sync.Mutex
	imported map[string][]string // address -> fingerprints confirmed
	drafts   []backend.Draft
}

func (d *composerLookupDouble) Send(ctx context.Context, account string, dr backend.Draft, sec backend.Security) error {
	d.mu.Lock()
	d.drafts = append(d.drafts, dr)
	d.mu.Unlock()
	return d.sendRecorder.Send(ctx, account, dr, sec)
}

func (d *composerLookupDouble) LookupKeys(context.Context, string) (backend.KeyLookup, error) {
	return d.found, nil
}

func (d *composerLookupDouble) ImportLookedUpKeys(_ context.Context, address string, fingerprints []string) ([]backend.KeyInfo, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.imported[address] = fingerprints
	return d.found.Keys, nil
}

func (d *composerLookupDouble) KeyStates(ctx context.Context, addresses []string) ([]backend.KeyState, error) {
	states, err := d.sendRecorder.KeyStates(ctx, addresses)
	d.mu.Lock()
	defer d.mu.Unlock()
	for i := range states {
		if fps := d.imported[strings.ToLower(states[i].Address)]; len(fps) > 0 {
			states[i].Fingerprint, states[i].Verification = fps[0], backend.VerificationUnverified
		}
	}
	return states, err
}

const foundFingerprint = "0123456789ABCDEF0123456789ABCDEF01234567"

func openComposerWithLookup(t *testing.T) (*App, *composerLookupDouble, *composer) {
	t.Helper()
	d := &composerLookupDouble{sendRecorder: &sendRecorder{Engine: fixtureEngine(t)}, imported: map[string][]string{},
		found: backend.KeyLookup{Source: "the Web Key Directory of example.com", Keys: []backend.KeyInfo{
			{Fingerprint: foundFingerprint, UserIDs: []string{"Carol <carol@example.com>"}, Emails: []string{"carol@example.com"}}}}}
	app := unlocked(t, newApp(d))
	test.Tap(app.main.newButton)
	app.tasks.wait()
	if len(app.extra) != 1 {
		t.Fatalf("open windows besides the main one = %d, want the composer", len(app.extra))
	}
	return app, d, app.main.lastComposer
}

// button finds the button labelled text in box.
func button(t *testing.T, box *fyne.Container, text string) *widget.Button {
	t.Helper()
	for _, o := range box.Objects {
		if b, ok := o.(*widget.Button); ok && b.Text == text {
			return b
		}
	}
	t.Fatalf("no %q button among %d objects", text, len(box.Objects))
	return nil
}

func TestComposerBccIsSentAndNeedsAKey(t *testing.T) {
	test.NewTempApp(t)
	app, d, c := openComposerWithLookup(t)
	test.Type(c.bcc, "bob@example.net")
	app.tasks.wait()
	if got := chipStates(c); len(got) != 1 || got[0] != "bob@example.net "+chipVerified {
		t.Fatalf("chips = %q, want bob in Bcc with his verified key", got)
	}
	if !c.encrypt.Checked {
		t.Fatalf("Encrypt is off although the Bcc recipient has a key")
	}
	test.Type(c.cc, "carol@example.com")
	app.tasks.wait()
	pressCtrlEnter(c)
	app.tasks.wait()
	if got := d.modes(); len(got) != 0 {
		t.Fatalf("sent %q although carol has no key", got)
	}

	c.cc.SetText("")
	app.tasks.wait()
	pressCtrlEnter(c)
	app.tasks.wait()
	if got := d.modes(); len(got) != 1 || got[0] != backend.ModeEncrypt {
		t.Fatalf("sent modes = %q, want one encrypted message", got)
	}
	if got := d.drafts[0]; len(got.To)+len(got.Cc) != 0 || len(got.Bcc) != 1 || got.Bcc[0] != "bob@example.net" {
		t.Errorf("draft To = %q, Cc = %q, Bcc = %q; want only Bcc bob@example.net", got.To, got.Cc, got.Bcc)
	}
}

func TestComposerLooksUpAndImportsAKey(t *testing.T) {
	test.NewTempApp(t)
	app, d, c := openComposerWithLookup(t)
	test.Type(c.to, "carol@example.com")
	app.tasks.wait()
	if got := chipStates(c); len(got) != 1 || got[0] != "carol@example.com "+chipNoKey {
		t.Fatalf("chips = %q, want carol with no key", got)
	}
	test.Tap(button(t, c.toChips, "Look up key"))
	app.tasks.wait()
	if c.found == nil || !c.found.Visible() {
		t.Fatalf("nothing shown after the lookup; status %q", c.status.Text)
	}
	for _, want := range []string{"Web Key Directory of example.com", backend.GroupFingerprint(foundFingerprint), "Unverified"} {
		if !strings.Contains(c.foundText.Text, want) {
			t.Errorf("lookup result = %q, want it to contain %q", c.foundText.Text, want)
		}
	}
	if len(d.imported) != 0 {
		t.Fatalf("imported %v before the user confirmed", d.imported)
	}
	test.Tap(c.importButton)
	app.tasks.wait()
	if got := d.imported["carol@example.com"]; len(got) != 1 || got[0] != foundFingerprint {
		t.Fatalf("imported fingerprints = %q, want the one shown", got)
	}
	if got := chipStates(c); len(got) != 1 || got[0] != "carol@example.com "+chipUnverified {
		t.Errorf("chips after the import = %q, want carol with an unverified key", got)
	}
	if !c.encrypt.Checked {
		t.Errorf("Encrypt stayed off after every recipient got a key")
	}
}

func TestComposerRemovesARecipientWithoutKey(t *testing.T) {
	test.NewTempApp(t)
	app, _, c := openComposerWithLookup(t)
	c.to.SetText("bob@example.net, carol@example.com")
	app.tasks.wait()
	test.Tap(button(t, c.toChips, "Remove"))
	app.tasks.wait()
	if c.to.Text != "bob@example.net" {
		t.Errorf("To = %q, want only bob left", c.to.Text)
	}
	if got := chipStates(c); len(got) != 1 || got[0] != "bob@example.net "+chipVerified {
		t.Errorf("chips = %q, want bob's only", got)
	}
}

func TestSuggestions(t *testing.T) {
	known := []contact{
		{email: "alice@example.org", display: "alice@example.org"},
		{email: "bob@example.net", display: "Bob Example <bob@example.net>"},
		{email: "bea@example.net", display: "bea@example.net"},
	}
	tests := []struct {
		name, field string
		want        []string
	}{
		{"empty field", "", nil},
		{"after a separator", "alice@example.org, ", nil},
		{"prefix of two", "b", []string{"bob@example.net", "bea@example.net"}},
		{"by name", "exam", []string{"alice@example.org", "bob@example.net", "bea@example.net"}},
		{"case-insensitive name", "BOB EX", []string{"bob@example.net"}},
		{"second address", "alice@example.org; be", []string{"bea@example.net"}},
		{"already present", "bob@example.net, bo", nil},
		{"complete address", "bea@example.net", nil},
		{"no match", "zed", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, k := range suggestions(known, tt.field) {
				got = append(got, k.email)
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("suggestions(%q) = %q, want %q", tt.field, got, tt.want)
			}
		})
	}
}

func TestComposerCompletesAddresses(t *testing.T) {
	test.NewTempApp(t)
	app, _, c := openComposerWithLookup(t)
	own := app.main.accounts[0].Email

	tests := []struct {
		name  string
		field *sendEntry
		typed string
		key   fyne.KeyName // "" taps the suggestion
		want  string
	}{
		{"tab in To", c.to, own[:3], fyne.KeyTab, own + ", "},
		{"enter in Cc", c.cc, "bob@", fyne.KeyReturn, ", "},
		{"click in Bcc", c.bcc, own[:2], "", own + ", "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.window.Canvas().Focus(tt.field)
			test.Type(tt.field, tt.typed)
			app.tasks.wait()
			box := c.boxes[tt.field]
			if len(box.Objects) == 0 {
				t.Fatalf("no suggestion for %q", tt.typed)
			}
			if tt.key == "" {
				test.Tap(box.Objects[0].(*widget.Button))
			} else {
				tt.field.TypedKey(&fyne.KeyEvent{Name: tt.key})
			}
			app.tasks.wait()
			if !strings.HasSuffix(tt.field.Text, tt.want) || !strings.Contains(strings.ToLower(tt.field.Text), strings.ToLower(tt.typed)) {
				t.Errorf("field = %q, want the completed address followed by %q", tt.field.Text, tt.want)
			}
			if len(box.Objects) != 0 {
				t.Errorf("%d suggestions still shown after completing", len(box.Objects))
			}
		})
	}
	if got := parseRecipients(c.cc.Text); len(got) != 1 || got[0].email != "bob@example.net" {
		t.Errorf("Cc recipients = %v, want bob completed from his key", got)
	}
}
