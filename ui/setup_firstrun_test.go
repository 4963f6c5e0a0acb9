package ui

import (
	"testing"

	"fyne.io/fyne/v2/test"
)

// TestFirstStepsAfterCreatingProfile creates a profile and follows the
// offered steps: each opens its view, and Skip closes the offer.
func TestFirstStepsAfterCreatingProfile(t *testing.T) {
	test.NewTempApp(t)
	app := newApp(newEngine(t))
	test.Type(app.passphrase, "a long enough passphrase")
	test.Type(app.repeat, "a long enough passphrase")
	test.Tap(app.submit)
	app.tasks.wait()
	fs := app.firstSteps
	if app.main == nil || fs == nil {
		t.Fatalf("after creating the profile: main window %v, first steps %v; want both", app.main != nil, fs != nil)
	}

	test.Tap(fs.createKeyButton)
	app.tasks.wait()
	if km := app.keyManager; km == nil || km.actions.open == nil || km.actions.genEmail == nil {
		t.Fatal("Create my key did not open the generate dialog in the key manager")
	}
	test.Tap(fs.accountButton)
	if app.accountSetup == nil {
		t.Fatal("Add account did not open the add-account window")
	}
	test.Tap(fs.doneButton)
	if app.firstSteps != nil {
		t.Error("Skip left the first steps open")
	}
	if app.accountSetup == nil || app.keyManager == nil {
		t.Error("Skip closed the windows the steps opened")
	}
}

// TestNoFirstStepsOnUnlock checks that the steps are offered only once,
// when the profile is created, not on every unlock.
func TestNoFirstStepsOnUnlock(t *testing.T) {
	test.NewTempApp(t)
	app, _ := openFixture(t)
	if app.firstSteps != nil {
		t.Error("the first steps were offered on unlock")
	}
}
