package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/sealpost/sealpost/mail/backend"
)

// chipText returns the text of the chip in a rendered key row.
func chipText(r *keyRow) string {
	return r.chip.label.Text
}

// renderedKeyRow finds the rendered row of the key named name.
func renderedKeyRow(t *testing.T, km *keyManager, name string) *keyRow {
	t.Helper()
	for _, o := range test.LaidOutObjects(km.list) {
		if r, ok := o.(*keyRow); ok && r.Visible() && strings.HasPrefix(chipText(r), name) {
			return r
		}
	}
	t.Fatalf("no rendered key row for %s", name)
	return nil
}

func TestKeyManagerImportThenVerify(t *testing.T) {
	test.NewTempApp(t)
	engine := newEngine(t)
	if err := engine.CreateProfile([]byte(fixturePassphrase)); err != nil {
		t.Fatal(err)
	}
	if err := engine.Lock(); err != nil {
		t.Fatal(err)
	}
	app := unlocked(t, newApp(engine))
	test.Tap(app.main.keysButton)
	app.tasks.wait()
	km := app.keyManager
	if km == nil || !strings.Contains(km.status.Text, "No keys yet") {
		t.Fatalf("key manager not open or not empty")
	}

	test.Tap(km.pasteButton)
	if !strings.Contains(km.status.Text, "clipboard is empty") {
		t.Errorf("status = %q, want the empty clipboard explained", km.status.Text)
	}
	fyne.CurrentApp().Clipboard().SetContent(string(readFixture(t, "bob.pub.asc")))
	test.Tap(km.pasteButton)
	app.tasks.wait()
	if len(km.keys) != 1 || km.keys[0].Verification != backend.VerificationUnverified {
		t.Fatalf("keys after import = %+v (status %q), want Bob's key, unverified", km.keys, km.status.Text)
	}
	fpr := km.keys[0].Fingerprint
	row := renderedKeyRow(t, km, "Bob Example")
	if got, want := chipText(row), "Bob Example <bob@example.net> · "+chipUnverified; got != want {
		t.Errorf("chip = %q, want %q", got, want)
	}
	if got, want := row.fingerprint.Text, backend.GroupFingerprint(fpr); got != want || len(strings.Fields(got)) != 10 {
		t.Errorf("fingerprint = %q, want %q in ten groups of four", got, want)
	}

	test.Tap(row.verify)
	if km.verifying == nil || km.verifying.Fingerprint != fpr {
		t.Fatalf("the comparison dialog is not open for Bob's key")
	}
	if km.verifyQR == nil || km.verifyQR.Image == nil || !km.verifyQR.Visible() {
		t.Errorf("the comparison dialog shows no fingerprint QR code")
	}
	test.Tap(km.ditchButton)
	app.tasks.wait()
	if km.keys[0].Verification != backend.VerificationUnverified {
		t.Fatalf("closing the dialog without a match changed the key to %s", km.keys[0].Verification)
	}

	test.Tap(row.verify)
	test.Tap(km.matchButton)
	app.tasks.wait()
	if km.keys[0].Verification != backend.VerificationVerified {
		t.Fatalf("verification = %s, want verified", km.keys[0].Verification)
	}
	row = renderedKeyRow(t, km, "Bob Example")
	if got, want := chipText(row), "Bob Example <bob@example.net> · "+chipVerified; got != want {
		t.Errorf("chip after verifying = %q, want %q", got, want)
	}
	if row.verify.Visible() {
		t.Errorf("the verify action is still offered for a verified key")
	}
	if !strings.Contains(km.status.Text, "now verified") {
		t.Errorf("status = %q, want the change confirmed", km.status.Text)
	}
	keys, err := engine.ListKeys()
	if err != nil || len(keys) != 1 || keys[0].Verification != backend.VerificationVerified {
		t.Errorf("engine keys = %+v (%v), want Bob's key stored as verified", keys, err)
	}
}
