package ui

import (
	"image/color"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
)

// background is the app's background colour now.
func background() string {
	r, g, b, _ := fyne.CurrentApp().Settings().Theme().Color(theme.ColorNameBackground, fyne.CurrentApp().Settings().ThemeVariant()).RGBA()
	return string([]byte{byte(r >> 8), byte(g >> 8), byte(b >> 8)})
}

// backgroundOf is variant's background colour in the default theme.
func backgroundOf(variant fyne.ThemeVariant) string {
	r, g, b, _ := theme.DefaultTheme().Color(theme.ColorNameBackground, variant).RGBA()
	return string([]byte{byte(r >> 8), byte(g >> 8), byte(b >> 8)})
}

// lightDesktop is the default theme on a desktop that prefers light: it
// follows the variant asked for, and is light when there is no preference
// (as in the test app).
type lightDesktop struct{ fyne.Theme }

func (d lightDesktop) Color(name fyne.ThemeColorName, variant fyne.ThemeVariant) color.Color {
	if variant != theme.VariantDark {
		variant = theme.VariantLight
	}
	return d.Theme.Color(name, variant)
}

// TestThemeChoiceIsKept: a theme chosen in the settings applies at once,
// is stored in the profile, lasts through lock and unlock, and comes back
// after a restart; System restores the desktop's theme.
func TestThemeChoiceIsKept(t *testing.T) {
	test.NewTempApp(t)
	test.ApplyTheme(t, lightDesktop{theme.DefaultTheme()})
	light, dark := backgroundOf(theme.VariantLight), backgroundOf(theme.VariantDark)
	app, e := openFixture(t)
	desktop := background()
	if desktop != light {
		t.Fatal("the desktop's theme must be light to tell Dark apart")
	}

	app.showSettings()
	sw := app.settingsOf().window
	if sw.theme.Selected != "System" {
		t.Fatalf("theme choice got = %q, want System", sw.theme.Selected)
	}
	sw.theme.SetSelected("Dark")
	app.tasks.wait()
	if background() != dark {
		t.Fatal("choosing Dark did not make the app dark")
	}
	if p, err := e.Preferences(t.Context()); err != nil || p.Theme != themeDark {
		t.Fatalf("stored theme got = %q, %v, want dark", p.Theme, err)
	}
	if !menuItem(t, app, "View", "Dark").Checked || menuItem(t, app, "View", "System").Checked {
		t.Error("View → Theme does not show Dark checked")
	}

	test.Tap(app.main.lockButton)
	app.tasks.wait()
	if background() != dark {
		t.Error("locking changed the theme")
	}
	unlocked(t, app)
	if background() != dark || app.settingsOf().prefs.theme != themeDark {
		t.Error("after unlocking the theme is no longer dark")
	}

	// A restart: a new app on the same profile starts in the desktop's
	// theme and turns dark on unlocking.
	app.window.Close()
	fyne.CurrentApp().Settings().SetTheme(lightDesktop{theme.DefaultTheme()})
	again := newApp(e)
	if background() != desktop {
		t.Fatal("a fresh start must show the desktop's theme before unlocking")
	}
	unlocked(t, again)
	if background() != dark {
		t.Fatal("after a restart and unlocking, the stored Dark theme did not apply")
	}

	menuItem(t, again, "View", "Light").Action()
	again.tasks.wait()
	if background() != light {
		t.Error("View → Theme → Light did not make the app light")
	}
	menuItem(t, again, "View", "System").Action()
	again.tasks.wait()
	if background() != desktop {
		t.Error("View → Theme → System did not restore the desktop's theme")
	}
	if p, err := e.Preferences(t.Context()); err != nil || p.Theme != themeSystem {
		t.Errorf("stored theme got = %q, %v, want empty (System)", p.Theme, err)
	}
}

// TestThemeWithoutStoredSettings: a backend that cannot store settings
// still switches the theme for the session.
func TestThemeWithoutStoredSettings(t *testing.T) {
	test.NewTempApp(t)
	test.ApplyTheme(t, lightDesktop{theme.DefaultTheme()})
	app := unlocked(t, newApp(&bigInbox{n: 3}))
	menuItem(t, app, "View", "Dark").Action()
	app.tasks.wait()
	if background() != backgroundOf(theme.VariantDark) {
		t.Error("View → Theme → Dark did not apply without stored settings")
	}
}
