package ui

import (
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
)

// variantTheme is fixedVariant under the name the golden tests know.
type variantTheme = fixedVariant

// TestGoldenImages renders the main window with an opened message (also
// 800 wide, where toolbar buttons move into the ⋯ menu), the composer and
// the key manager in the light and the dark theme, fixed so that the
// images do not depend on the desktop's preference. Differences are
// written to testdata/failed/ for review.
func TestGoldenImages(t *testing.T) {
	if testing.Short() {
		t.Skip("renders eight windows")
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
			app.window.Resize(fyne.NewSize(800, 600))
			test.AssertImageMatches(t, "main_narrow_"+tt.name+".png", app.window.Canvas().Capture())

			v.compose(nil)
			app.tasks.wait()
			c := v.lastComposer
			// The delivery check's words depend on the machine's DNS: none here.
			c.stopDelivery()
			c.deliveryState.after = func(time.Duration, func()) func() bool { return func() bool { return true } }
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
