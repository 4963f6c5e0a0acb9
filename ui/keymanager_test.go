package ui

import (
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

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
	if err := engine.CreateProfile(t.Context(), []byte(fixturePassphrase)); err != nil {
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
	keys, err := engine.ListKeys(t.Context())
	if err != nil || len(keys) != 1 || keys[0].Verification != backend.VerificationVerified {
		t.Errorf("engine keys = %+v (%v), want Bob's key stored as verified", keys, err)
	}

	if !row.history.Visible() || row.warning.Visible() {
		t.Fatalf("Bob's row: History shown %v, key-change warning shown %v; want History only", row.history.Visible(), row.warning.Visible())
	}
	test.Tap(row.history)
	if km.historyDialog == nil {
		t.Fatal("History… opened no dialog")
	}
	got := labelsIn(km.window.Canvas().Overlays().Top())
	if verified, added := strings.Index(got, "verified: fingerprint compared"), strings.Index(got, "added: imported"); verified < 0 || added < verified {
		t.Errorf("history dialog says %q, want the verification, then (older) the import", got)
	}
}

func TestKeyChangeWarning(t *testing.T) {
	bob := backend.KeyInfo{Fingerprint: "B1", Emails: []string{"bob@example.net"}}
	bobNew := backend.KeyInfo{Fingerprint: "B2", Emails: []string{"Bob@Example.net", "bob@work.example"}}
	carol := backend.KeyInfo{Fingerprint: "C1", Emails: []string{"carol@example.com"}}
	ownBob := backend.KeyInfo{Fingerprint: "O1", Emails: []string{"bob@example.net"}, Own: true}
	for _, tt := range []struct {
		name string
		key  backend.KeyInfo
		all  []backend.KeyInfo
		want string
	}{
		{"alone", bob, []backend.KeyInfo{bob, carol}, ""},
		{"a second key for the address", bob, []backend.KeyInfo{bob, bobNew, carol}, "bob@example.net also has another key"},
		{"the new key, case aside", bobNew, []backend.KeyInfo{bob, bobNew}, "Bob@Example.net also has another key"},
		{"an own key is no rival", bob, []backend.KeyInfo{bob, ownBob}, ""},
		{"own keys never warn", ownBob, []backend.KeyInfo{bob, ownBob}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := keyChangeWarning(tt.key, tt.all)
			if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
				t.Errorf("got = %q, want %q in it", got, tt.want)
			}
		})
	}
}

// renderedKeyRowOf finds the rendered row of the key with fingerprint fpr.
func renderedKeyRowOf(t *testing.T, km *keyManager, fpr string) *keyRow {
	t.Helper()
	for _, o := range test.LaidOutObjects(km.list) {
		if r, ok := o.(*keyRow); ok && r.Visible() && r.fingerprint.Text == backend.GroupFingerprint(fpr) {
			return r
		}
	}
	t.Fatalf("no rendered key row for %s", fpr)
	return nil
}

// makeDefaultButtons returns the labels of a row's make-default buttons.
func makeDefaultButtons(r *keyRow) []string {
	var out []string
	for _, o := range r.makeDefault.Objects {
		out = append(out, o.(*widget.Button).Text)
	}
	return out
}

// defaultMarker is the row's "Default for …" marker, or "" when hidden.
func defaultMarker(r *keyRow) string {
	if !r.defaultFor.Visible() {
		return ""
	}
	return r.defaultFor.Text
}

func TestKeyManagerMakeDefault(t *testing.T) {
	test.NewTempApp(t)
	app, e := openFixture(t)
	keys, err := e.ListKeys(t.Context())
	if err != nil || len(keys) == 0 || !keys[0].Own || !keys[0].Default {
		t.Fatalf("fixture keys = %+v (%v), want Alice's default key first", keys, err)
	}
	first := keys[0].Fingerprint
	second, err := e.GenerateKey(t.Context(), "Alice Example", alice, backend.AlgorithmCurve25519)
	if err != nil {
		t.Fatal(err)
	}
	test.Tap(app.main.keysButton)
	app.tasks.wait()
	km := app.keyManager

	type state struct {
		marker  string
		buttons []string
	}
	check := func(t *testing.T, want map[string]state) {
		t.Helper()
		for fpr, w := range want {
			r := renderedKeyRowOf(t, km, fpr)
			if got := defaultMarker(r); got != w.marker {
				t.Errorf("key %s: marker got = %q, want %q", fpr, got, w.marker)
			}
			if got := makeDefaultButtons(r); !slices.Equal(got, w.buttons) {
				t.Errorf("key %s: buttons got = %q, want %q", fpr, got, w.buttons)
			}
		}
	}
	const marker, button = "Default for " + alice, "Make default for " + alice
	check(t, map[string]state{first: {marker, nil}, second.Fingerprint: {"", []string{button}}})

	test.Tap(renderedKeyRowOf(t, km, second.Fingerprint).makeDefault.Objects[0].(*widget.Button))
	app.tasks.wait()
	check(t, map[string]state{first: {"", []string{button}}, second.Fingerprint: {marker, nil}})
	if want := "Mail from " + alice + " is now signed with " + backend.GroupFingerprint(second.Fingerprint); !strings.HasPrefix(km.status.Text, want) {
		t.Errorf("status got = %q, want it to start with %q", km.status.Text, want)
	}
	stored, err := e.ListKeys(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range stored {
		if k.Own && k.Default != (k.Fingerprint == second.Fingerprint) {
			t.Errorf("stored key %s: Default got = %v, want %v", k.Fingerprint, k.Default, k.Fingerprint == second.Fingerprint)
		}
	}
}

func TestKeyManagerWithoutKeyDefaults(t *testing.T) {
	test.NewTempApp(t)
	e := fixtureEngine(t)
	app := unlocked(t, newApp(struct{ backend.Backend }{e}))
	if _, err := e.GenerateKey(t.Context(), "Alice Example", alice, backend.AlgorithmCurve25519); err != nil {
		t.Fatal(err)
	}
	test.Tap(app.main.keysButton)
	app.tasks.wait()
	km := app.keyManager
	if km.defaults != nil {
		t.Fatal("defaults got = non-nil for a backend without backend.KeyDefaults, want nil")
	}
	for _, k := range km.keys {
		if k.Own {
			if got := makeDefaultButtons(renderedKeyRowOf(t, km, k.Fingerprint)); len(got) != 0 {
				t.Errorf("key %s: buttons got = %q, want none", k.Fingerprint, got)
			}
		}
	}
}
