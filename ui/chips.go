package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sealpost/sealpost/mail/backend"
)

// Key states a chip shows.
const (
	chipOwn        = "your key"
	chipVerified   = "verified key"
	chipUnverified = "unverified key"
	chipNoKey      = "no key"
	chipChecking   = "checking…"
	chipInvalid    = "not an address"
)

// chipState names the key state of a key's verification level, or of no
// key when verification is empty.
func chipState(verification string) string {
	switch verification {
	case backend.VerificationOwn:
		return chipOwn
	case backend.VerificationVerified:
		return chipVerified
	case "":
		return chipNoKey
	}
	return chipUnverified
}

// chipView draws a rounded tag: an icon and a colour for the state, the
// text, and the state in words (colour is never the only signal).
type chipView struct {
	widget.BaseWidget
	bg    *canvas.Rectangle
	icon  *widget.Icon
	label *widget.Label
}

func newChip(text, state string) *chipView {
	c := &chipView{bg: canvas.NewRectangle(color.Transparent), icon: widget.NewIcon(nil), label: widget.NewLabel("")}
	c.bg.CornerRadius = theme.Padding() * 2
	c.ExtendBaseWidget(c)
	c.set(text, state)
	return c
}

// CreateRenderer puts the icon and the text on the tinted background.
func (c *chipView) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(container.NewStack(c.bg, container.NewHBox(c.icon, c.label)))
}

// set shows text in state.
func (c *chipView) set(text, state string) {
	icon, colorName := theme.WarningIcon(), theme.ColorNameWarning
	switch state {
	case chipOwn, chipVerified:
		icon, colorName = sealIcon, theme.ColorNameSuccess
	case chipUnverified:
		icon, colorName = lockIcon, theme.ColorNamePrimary
	case chipChecking:
		icon, colorName = theme.SearchIcon(), theme.ColorNameDisabled
	case chipInvalid:
		icon, colorName = theme.ErrorIcon(), theme.ColorNameError
	}
	r, g, b, _ := theme.Color(colorName).RGBA()
	c.bg.FillColor = color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: 0x40}
	c.icon.SetResource(icon)
	c.label.SetText(text + " · " + state)
	c.Refresh() // the text's width changed: lay the chip out again
}
