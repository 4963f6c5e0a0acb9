package ui

import (
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail"
)

var cheapKDF = localstore.KDFParams{Time: 1, MemoryKiB: 8 * 1024, Threads: 1}

func newEngine(t *testing.T) *mail.Engine {
	t.Helper()
	e := mail.NewEngine(filepath.Join(t.TempDir(), "profile"), &mail.ProfileOptions{Store: &localstore.Options{KDF: &cheapKDF}})
	t.Cleanup(func() { _ = e.Lock() })
	return e
}

func TestFirstRunCreatesProfile(t *testing.T) {
	test.NewTempApp(t)
	engine := newEngine(t)
	ui := New(fyne.CurrentApp(), engine, nil)

	test.Type(ui.passphrase, "too short")
	test.Type(ui.repeat, "too short")
	test.Tap(ui.submit)
	if !strings.Contains(ui.status.Text, "at least 10") {
		t.Fatalf("status = %q, want the length rule", ui.status.Text)
	}
	if engine.ProfileExists() {
		t.Fatal("a profile was created with a short passphrase")
	}

	ui.passphrase.SetText("")
	ui.repeat.SetText("")
	test.Type(ui.passphrase, "a long enough passphrase")
	test.Type(ui.repeat, "a long enough passphrasE")
	test.Tap(ui.submit)
	if !strings.Contains(ui.status.Text, "differ") {
		t.Fatalf("status = %q, want the mismatch message", ui.status.Text)
	}

	ui.repeat.SetText("a long enough passphrase")
	test.Tap(ui.submit)
	ui.tasks.wait()
	if ui.keys == nil || !strings.Contains(ui.status.Text, "No keys yet") {
		t.Fatalf("status = %q, want the empty key list", ui.status.Text)
	}
	if !engine.ProfileExists() {
		t.Fatal("no profile after the first-run flow")
	}
}

func TestUnlockWrongThenRight(t *testing.T) {
	test.NewTempApp(t)
	engine := newEngine(t)
	if err := engine.CreateProfile([]byte("the right passphrase")); err != nil {
		t.Fatal(err)
	}
	if err := engine.Lock(); err != nil {
		t.Fatal(err)
	}
	ui := New(fyne.CurrentApp(), engine, nil)
	if ui.repeat != nil || ui.submit.Text != "Unlock" {
		t.Fatalf("an existing profile must open on the unlock screen, got button %q", ui.submit.Text)
	}

	test.Type(ui.passphrase, "the wrong passphrase")
	test.Tap(ui.submit)
	ui.tasks.wait()
	if !strings.Contains(ui.status.Text, "rong passphrase") {
		t.Fatalf("status = %q, want the wrong-passphrase message", ui.status.Text)
	}
	if ui.passphrase.Text != "" || ui.submit.Disabled() {
		t.Errorf("after a wrong passphrase the entry must be cleared and Unlock enabled again")
	}
	if _, err := engine.ListKeys(); err == nil {
		t.Fatal("the engine is unlocked after a wrong passphrase")
	}

	test.Type(ui.passphrase, "the right passphrase")
	test.Tap(ui.submit)
	ui.tasks.wait()
	if ui.keys == nil || !strings.Contains(ui.status.Text, "No keys yet") {
		t.Fatalf("status = %q, want the empty key list", ui.status.Text)
	}
}

func TestKeyListShowsKeys(t *testing.T) {
	test.NewTempApp(t)
	engine := newEngine(t)
	dir := engine.ProfileDir()
	p, err := mail.CreateProfile(dir, []byte("the right passphrase"), &mail.ProfileOptions{Store: &localstore.Options{KDF: &cheapKDF}})
	if err != nil {
		t.Fatal(err)
	}
	info, err := p.GenerateKey("Alice", "alice@example.org", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	p.Close()

	ui := New(fyne.CurrentApp(), engine, nil)
	test.Type(ui.passphrase, "the right passphrase")
	test.Tap(ui.submit)
	ui.tasks.wait()
	if !strings.Contains(ui.status.Text, "1 keys") {
		t.Fatalf("status = %q, want one key", ui.status.Text)
	}
	if len(ui.keyRows) != 1 || ui.keyRows[0].Fingerprint != info.Fingerprint {
		t.Fatalf("key rows = %+v, want Alice's key", ui.keyRows)
	}
}
