package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// The theme choices of Settings → Appearance and View → Theme, as stored
// in the profile: follow the desktop (the default), or always light or
// always dark.
const (
	themeSystem = ""
	themeLight  = "light"
	themeDark   = "dark"
)

// themeChoices are the choices in the order the settings and the menu
// offer them.
var themeChoices = []string{themeSystem, themeLight, themeDark}

// themeLabel names a theme choice.
func themeLabel(choice string) string {
	switch choice {
	case themeLight:
		return "Light"
	case themeDark:
		return "Dark"
	}
	return "System"
}

// fixedVariant is a theme held to one variant, light or dark, whatever
// the desktop prefers.
type fixedVariant struct {
	fyne.Theme
	variant fyne.ThemeVariant
}

// Color is the wrapped theme's colour in the fixed variant.
func (f fixedVariant) Color(name fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	return f.Theme.Color(name, f.variant)
}

// themeState is the theme the app applied and the one it replaced.
type themeState struct {
	// choice is the choice in force: themeSystem until the user or the
	// profile chose otherwise.
	choice string
	// system is the theme in force before Sealpost first applied a
	// choice (Fyne's, following the desktop and FYNE_THEME); nil until
	// then.
	system fyne.Theme
}

// applyTheme puts choice in force at once in every window. Choosing
// System again restores the theme the app started with. The choice lasts
// through a lock: it is no secret, and the unlock screen keeps the look
// the user chose (a fresh start shows the desktop's until unlocking reads
// the choice from the profile).
func (ui *App) applyTheme(choice string) {
	if choice == ui.theme.choice {
		return
	}
	settings := ui.app.Settings()
	if ui.theme.system == nil {
		ui.theme.system = settings.Theme()
	}
	ui.theme.choice = choice
	switch choice {
	case themeLight:
		settings.SetTheme(fixedVariant{ui.theme.system, theme.VariantLight})
	case themeDark:
		settings.SetTheme(fixedVariant{ui.theme.system, theme.VariantDark})
	default:
		settings.SetTheme(ui.theme.system)
	}
	ui.menu.refresh()
}

// chooseTheme applies choice and keeps it in the profile's settings.
func (ui *App) chooseTheme(choice string) {
	s := ui.settingsOf()
	if choice == s.prefs.theme && choice == ui.theme.choice {
		return
	}
	s.prefs.theme = choice
	ui.applyTheme(choice)
	if sw := s.window; sw != nil && sw.theme.Selected != themeLabel(choice) {
		sw.theme.SetSelected(themeLabel(choice))
	}
	ui.savePreferences()
}

// appearancePane is the Appearance tab of the settings window: the theme.
func (sw *settingsWindow) appearancePane() fyne.CanvasObject {
	ui := sw.ui
	labels := make([]string, len(themeChoices))
	for i, c := range themeChoices {
		labels[i] = themeLabel(c)
	}
	sw.theme = widget.NewRadioGroup(labels, func(label string) {
		for _, c := range themeChoices {
			if themeLabel(c) == label {
				ui.chooseTheme(c)
			}
		}
	})
	sw.theme.Required = true
	sw.theme.SetSelected(themeLabel(ui.settingsOf().prefs.theme))
	now := "light"
	if ui.app.Settings().ThemeVariant() == theme.VariantDark {
		now = "dark"
	}
	return container.NewVBox(
		widget.NewForm(widget.NewFormItem("Theme", sw.theme)),
		wrapped("System follows your desktop's light or dark setting (it is "+now+" now). "+
			"The choice applies at once and is kept in your encrypted profile, so Sealpost shows it from unlocking on."),
	)
}
