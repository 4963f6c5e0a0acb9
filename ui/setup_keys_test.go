package ui

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/sealpost/sealpost/mail"
	"github.com/sealpost/sealpost/mail/backend"
)

// openKeyManager opens the key manager of app and waits for its keys.
func openKeyManager(t *testing.T, app *App) (*keyManager, *keyActions) {
	t.Helper()
	test.Tap(app.main.keysButton)
	app.tasks.wait()
	km := app.keyManager
	if km == nil || km.actions == nil {
		t.Fatal("the key manager has no key actions")
	}
	return km, km.actions
}

// saveToDir replaces the save dialog with writes into dir.
func saveToDir(ka *keyActions, dir string) {
	ka.save = func(name string, data []byte, done func(string, error)) {
		path := filepath.Join(dir, name)
		done(path, os.WriteFile(path, data, 0o600))
	}
}

// selectOwnKey opens the actions of the first own key.
func selectOwnKey(t *testing.T, km *keyManager) backend.KeyInfo {
	t.Helper()
	for i, k := range km.keys {
		if k.Own {
			km.list.Select(i)
			return k
		}
	}
	t.Fatal("no own key listed")
	return backend.KeyInfo{}
}

func TestGenerateKey(t *testing.T) {
	test.NewTempApp(t)
	app, _ := emptyProfile(t)
	km, ka := openKeyManager(t, app)
	for _, tt := range []struct {
		name, email string
		wantStatus  string
		wantKeys    int
	}{
		{name: "Alice Test", email: "", wantStatus: "Enter the e-mail address", wantKeys: 0},
		{name: "Alice Test", email: "alice@example.test", wantStatus: "Generated Alice Test <alice@example.test>", wantKeys: 1},
	} {
		t.Run(tt.wantStatus, func(t *testing.T) {
			test.Tap(ka.generateButton)
			test.Type(ka.genName, tt.name)
			test.Type(ka.genEmail, tt.email)
			test.Tap(ka.genButton)
			app.tasks.wait()
			ka.close()
			if !strings.Contains(km.status.Text, tt.wantStatus) {
				t.Errorf("status = %q, want it to contain %q", km.status.Text, tt.wantStatus)
			}
			if got := len(km.keys); got != tt.wantKeys {
				t.Fatalf("keys = %d, want %d", got, tt.wantKeys)
			}
		})
	}
	k := km.keys[0]
	if !k.Own || !k.Default || k.Usable != "" || !strings.Contains(k.Algorithm, "ed25519") {
		t.Errorf("generated key = %+v, want a usable default own Ed25519 key", k)
	}
}

func TestExportPublicKey(t *testing.T) {
	test.NewTempApp(t)
	app, engine := openFixture(t)
	km, ka := openKeyManager(t, app)
	dir := t.TempDir()
	saveToDir(ka, dir)
	own := selectOwnKey(t, km)
	want, err := engine.ExportPublicKey(t.Context(), own.Fingerprint)
	if err != nil {
		t.Fatal(err)
	}

	test.Tap(ka.exportButton)
	app.tasks.wait()
	path := filepath.Join(dir, keyFileName(own, ""))
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("export: %v (status %q)", err, km.status.Text)
	}
	if string(got) != want || strings.Contains(string(got), "PRIVATE") {
		t.Errorf("exported file = %q, want the armored public key %q", got, want)
	}
	if !strings.Contains(km.status.Text, path) {
		t.Errorf("status = %q, want it to name %s", km.status.Text, path)
	}

	selectOwnKey(t, km)
	test.Tap(ka.copyButton)
	app.tasks.wait()
	if got := fyne.CurrentApp().Clipboard().Content(); got != want {
		t.Errorf("clipboard = %q, want the armored public key", got)
	}
}

func TestBackupSecretKey(t *testing.T) {
	test.NewTempApp(t)
	app, _ := openFixture(t)
	km, ka := openKeyManager(t, app)
	dir := t.TempDir()
	saveToDir(ka, dir)
	const pass = "backup passphrase 42"
	for _, tt := range []struct {
		name, pass, repeat string
		wantStatus         string
	}{
		{"too short", "short", "short", "at least 10"},
		{"differ", pass, pass + "!", "differ"},
		{"saved", pass, pass, "Backed up the secret key"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			selectOwnKey(t, km)
			test.Tap(ka.backupButton)
			test.Type(ka.backupPass, tt.pass)
			test.Type(ka.backupRepeat, tt.repeat)
			test.Tap(ka.backupSave)
			app.tasks.wait()
			ka.close()
			if !strings.Contains(km.status.Text, tt.wantStatus) {
				t.Errorf("status = %q, want it to contain %q", km.status.Text, tt.wantStatus)
			}
		})
	}
	own := selectOwnKey(t, km)
	ka.close()
	data, err := os.ReadFile(filepath.Join(dir, keyFileName(own, "-secret-backup")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "PGP PRIVATE KEY BLOCK") {
		t.Fatalf("backup = %q, want an armored secret key", data)
	}

	// The backup opens with its passphrase in a new profile, and only with it.
	other := newEngine(t)
	if err := other.CreateProfile(t.Context(), []byte(fixturePassphrase)); err != nil {
		t.Fatal(err)
	}
	if _, err := other.ImportSecretKey(t.Context(), data, []byte("wrong passphrase")); err == nil {
		t.Error("the backup opened with a wrong passphrase")
	}
	keys, err := other.ImportSecretKey(t.Context(), data, []byte(pass))
	if err != nil || len(keys) != 1 || keys[0].Fingerprint != own.Fingerprint || !keys[0].Own {
		t.Errorf("restoring the backup = %+v, %v, want own key %s", keys, err, own.Fingerprint)
	}
}

func TestRevokeKey(t *testing.T) {
	test.NewTempApp(t)
	app, _ := openFixture(t)
	km, ka := openKeyManager(t, app)
	own := selectOwnKey(t, km)
	if !ka.revokeButton.Visible() {
		t.Fatal("no revoke action for a usable own key")
	}
	test.Tap(ka.revokeButton)
	ka.revokeReason.SetSelected(revokeReasons[1])
	test.Tap(ka.revokeConfirm)
	app.tasks.wait()
	if !strings.Contains(km.status.Text, "Revoked") {
		t.Errorf("status = %q, want the revocation confirmed", km.status.Text)
	}
	for _, k := range km.keys {
		if k.Fingerprint == own.Fingerprint && (!k.Revoked || k.Usable == "") {
			t.Errorf("key after revoking = revoked %v, usable %q; want revoked and not usable", k.Revoked, k.Usable)
		}
	}
	revoked := selectOwnKey(t, km)
	defer ka.close()
	if revoked.Fingerprint != own.Fingerprint {
		t.Fatalf("selected %s, want %s", revoked.Fingerprint, own.Fingerprint)
	}
	if ka.revokeButton.Visible() {
		t.Error("a revoked key still offers Revoke")
	}
}

// lookupDouble is the real engine with the network lookup replaced: it
// "finds" Bob's fixture key and counts what the UI asked for.
type lookupDouble struct {
	*mail.Engine
	bob      []byte
	lookups  int
	imported []string
}

func (d *lookupDouble) LookupKeys(_ context.Context, address string) (backend.KeyLookup, error) {
	d.lookups++
	return backend.KeyLookup{Source: "wkd", Keys: []backend.KeyInfo{{
		Fingerprint: bobFingerprint, UserIDs: []string{"Bob Example <" + address + ">"}, Emails: []string{address},
	}}}, nil
}

func (d *lookupDouble) ImportLookedUpKeys(ctx context.Context, _ string, fingerprints []string) ([]backend.KeyInfo, error) {
	d.imported = append(d.imported, fingerprints...)
	return d.ImportKeys(ctx, d.bob)
}

// bobFingerprint is the fingerprint of testdata/bob.pub.asc.
const bobFingerprint = "EEE772889CE57117BD7D6C12DDFB66979E15B17C"

func TestLookupImportsOnlyOnConfirmation(t *testing.T) {
	test.NewTempApp(t)
	engine := newEngine(t)
	if err := engine.CreateProfile(t.Context(), []byte(fixturePassphrase)); err != nil {
		t.Fatal(err)
	}
	if err := engine.Lock(); err != nil {
		t.Fatal(err)
	}
	d := &lookupDouble{Engine: engine, bob: readFixture(t, "bob.pub.asc")}
	app := unlocked(t, newApp(d))
	km, ka := openKeyManager(t, app)

	test.Tap(ka.lookupButton)
	test.Type(ka.lookupAddress, "bob")
	test.Tap(ka.lookupGo)
	app.tasks.wait()
	if d.lookups != 0 || !strings.Contains(ka.lookupResult.Text, "Enter an e-mail address") {
		t.Errorf("lookup of %q: %d lookups, result %q; want none and the address asked for", "bob", d.lookups, ka.lookupResult.Text)
	}
	ka.lookupAddress.SetText("bob@example.net")
	test.Tap(ka.lookupGo)
	app.tasks.wait()
	if d.lookups != 1 || !strings.Contains(ka.lookupResult.Text, backend.GroupFingerprint(bobFingerprint)) ||
		!strings.Contains(ka.lookupResult.Text, "wkd") || ka.lookupImport.Disabled() {
		t.Fatalf("after the lookup: %d lookups, result %q, import disabled %v; want the key, its source and Import",
			d.lookups, ka.lookupResult.Text, ka.lookupImport.Disabled())
	}
	if len(km.keys) != 0 || len(d.imported) != 0 {
		t.Fatalf("keys = %d, imported %v before confirming, want none", len(km.keys), d.imported)
	}

	test.Tap(ka.lookupImport)
	app.tasks.wait()
	if len(d.imported) != 1 || d.imported[0] != bobFingerprint {
		t.Errorf("imported = %v, want exactly the confirmed %s", d.imported, bobFingerprint)
	}
	if len(km.keys) != 1 || km.keys[0].Verification != backend.VerificationUnverified {
		t.Errorf("keys = %+v (status %q), want Bob's key, unverified", km.keys, km.status.Text)
	}
}
