package ui

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail"
)

var cheapKDF = localstore.KDFParams{Time: 1, MemoryKiB: 8 * 1024, Threads: 1}

// profileOptions are cheap to unlock and run at fixtureNow, so that the
// fixture keys never expire under the tests.
func profileOptions() *mail.ProfileOptions {
	return &mail.ProfileOptions{Store: &localstore.Options{KDF: &cheapKDF}, Now: func() time.Time { return fixtureNow }}
}

func newEngine(t *testing.T) *mail.Engine {
	t.Helper()
	e := mail.NewEngine(filepath.Join(t.TempDir(), "profile"), profileOptions())
	t.Cleanup(func() { _ = e.Lock() })
	return e
}

func TestFirstRunCreatesProfile(t *testing.T) {
	test.NewTempApp(t)
	engine := newEngine(t)
	ui := newApp(engine)

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
	if ui.main == nil || !strings.Contains(ui.main.status.Text, "No accounts yet") {
		t.Fatalf("after creating the profile: main window = %v, want the main window saying there are no accounts", ui.main != nil)
	}
	if !engine.ProfileExists() {
		t.Fatal("no profile after the first-run flow")
	}
}

func TestUnlockWrongThenRight(t *testing.T) {
	test.NewTempApp(t)
	engine := newEngine(t)
	if err := engine.CreateProfile(t.Context(), []byte("the right passphrase")); err != nil {
		t.Fatal(err)
	}
	if err := engine.Lock(); err != nil {
		t.Fatal(err)
	}
	ui := newApp(engine)
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
	if _, err := engine.ListKeys(t.Context()); err == nil {
		t.Fatal("the engine is unlocked after a wrong passphrase")
	}

	test.Type(ui.passphrase, "the right passphrase")
	test.Tap(ui.submit)
	ui.tasks.wait()
	if ui.main == nil {
		t.Fatal("the right passphrase did not open the main window")
	}
	if !strings.Contains(ui.Window().Title(), "Sealpost") {
		t.Errorf("title = %q, want it to contain Sealpost", ui.Window().Title())
	}
}

func TestReadable(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"capitalised with a full stop", errors.New("the profile is locked"), "The profile is locked."},
		{"first line only", errors.New("bad thing\n\tdetail"), "Bad thing."},
		{"address kept", errors.New("alice@example.org: no such account"), "alice@example.org: no such account."},
		{"internal", fmt.Errorf("%w: boom", errInternal), "Sealpost hit an internal error; your data was not changed."},
		{"empty", errors.New(" \n "), "Something went wrong."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := readable(tt.err); got != tt.want {
				t.Errorf("got = %q, want %q", got, tt.want)
			}
		})
	}
}
