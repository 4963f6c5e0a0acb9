package ui

import (
	"image/color"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
)

// variantTheme is the default theme fixed to one variant, so that golden
// images do not depend on the desktop's preference.
type variantTheme struct {
	fyne.Theme
	variant fyne.ThemeVariant
}

func (v variantTheme) Color(name fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	return v.Theme.Color(name, v.variant)
}

// TestGoldenImages renders the main window with an opened message, the
// composer and the key manager in the light and the dark theme.
// Differences are written to testdata/failed/ for review.
func TestGoldenImages(t *testing.T) {
	if testing.Short() {
		t.Skip("renders six windows")
	}
	for _, tt := range []struct {
		name    string
		variant fyne.ThemeVariant
	}{{"light", theme.VariantLight}, {"dark", theme.VariantDark}} {
		t.Run(tt.name, func(t *testing.T) {
			test.NewTempApp(t)
			test.ApplyTheme(t, variantTheme{theme.DefaultTheme(), tt.variant})
			app, _ := openFixture(t)
			v := app.main
			v.reader.headers.zone = time.UTC // dates as in any time zone
			v.list.Select(rowOf(t, v, "Q3 numbers"))
			app.tasks.wait()
			test.AssertImageMatches(t, "main_"+tt.name+".png", app.window.Canvas().Capture())

			v.compose(nil)
			app.tasks.wait()
			c := v.lastComposer
			c.to.SetText("Bob Example <bob@example.net>, carol@example.com")
			c.subject.SetText("Budget")
			c.body.SetText("Hi both,\n\nhere is the budget.\n")
			app.tasks.wait()
			c.window.Canvas().Unfocus()
			test.AssertImageMatches(t, "composer_"+tt.name+".png", c.window.Canvas().Capture())
			c.window.Close()

			test.Tap(v.keysButton)
			app.tasks.wait()
			test.AssertImageMatches(t, "keys_"+tt.name+".png", app.keyManager.window.Canvas().Capture())
		})
	}
}
