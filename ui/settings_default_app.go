package ui

import (
	"context"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// DefaultMailApp reads and changes which program the desktop opens
// mailto: links with (on Linux through xdg-mime).
type DefaultMailApp interface {
	// Current returns the desktop file of the program that opens mailto:
	// links now, such as "thunderbird.desktop"; "" when there is none.
	Current(ctx context.Context) (string, error)
	// MakeDefault makes Sealpost that program.
	MakeDefault(ctx context.Context) error
	// Own is the name of Sealpost's desktop file.
	Own() string
}

// SetDefaultMailApp lets the settings show and change the program that
// opens mailto: links. Without it the settings only explain where to
// change that.
func (ui *App) SetDefaultMailApp(d DefaultMailApp) { ui.defaultMailApp = d }

// defaultAppTimeout bounds one xdg-mime run.
const defaultAppTimeout = 10 * time.Second

// defaultAppPane is the settings tab about mailto: links.
type defaultAppPane struct {
	ui      *App
	window  fyne.Window
	current *widget.Label
	make    *widget.Button
	content fyne.CanvasObject
}

// newDefaultAppPane builds the "Mail links" tab of the settings window w
// and starts reading the current default.
func (ui *App) newDefaultAppPane(w fyne.Window) *defaultAppPane {
	p := &defaultAppPane{ui: ui, window: w, current: wrapped("")}
	p.make = widget.NewButtonWithIcon("Make Sealpost the default mail app…", theme.MailComposeIcon(), p.confirm)
	p.content = container.NewVBox(
		wrapped("When you click a mailto: link in a browser or another program, the desktop opens the default mail app. "+
			"With Sealpost as that app, the link opens a composer here, after you unlock if Sealpost is locked. "+
			"A blind copy (bcc) asked for by the link stays a blind copy."),
		p.current, container.NewHBox(p.make))
	if ui.defaultMailApp == nil {
		p.current.SetText("Sealpost cannot read or change the default mail app on this system: choose it in your desktop's settings.")
		p.make.Disable()
		return p
	}
	p.refresh()
	return p
}

// refresh reads the current default off the UI goroutine and shows it.
func (p *defaultAppPane) refresh() {
	p.current.SetText("Checking which app opens mail links…")
	var name string
	p.ui.tasks.run(p.ui.context(), func(ctx context.Context) (err error) {
		ctx, cancel := context.WithTimeout(ctx, defaultAppTimeout)
		defer cancel()
		name, err = p.ui.defaultMailApp.Current(ctx)
		return err
	}, func(err error) {
		switch {
		case err != nil:
			p.current.SetText("Could not read the default mail app: " + readable(err))
		case name == p.ui.defaultMailApp.Own():
			p.current.SetText("Sealpost is the default mail app.")
			p.make.Disable()
			return
		case name == "":
			p.current.SetText("No default mail app is set.")
		default:
			p.current.SetText("The default mail app now: " + name + ".")
		}
		p.make.Enable()
	})
}

// confirm asks before changing the desktop's default, then changes it.
func (p *defaultAppPane) confirm() {
	dialog.ShowConfirm("Default mail app",
		"Open every mailto: link with Sealpost from now on? You can change it back in your desktop's settings.",
		func(ok bool) {
			if !ok {
				return
			}
			p.make.Disable()
			p.ui.tasks.run(p.ui.context(), func(ctx context.Context) error {
				ctx, cancel := context.WithTimeout(ctx, defaultAppTimeout)
				defer cancel()
				return p.ui.defaultMailApp.MakeDefault(ctx)
			}, func(err error) {
				if err != nil {
					p.make.Enable()
					p.current.SetText("Could not make Sealpost the default mail app: " + readable(err))
					return
				}
				p.refresh()
			})
		}, p.window)
}
