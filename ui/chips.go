package ui

import (
	"context"
	"errors"
	"fmt"
	"image/color"
	"strings"

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

// fillChips shows chips in box, each followed by how mail to its domain
// will travel (once checked), and each recipient without a key by "Look up
// key" (when the backend can look keys up) and "Remove".
func (c *composer) fillChips(field *sendEntry, box *fyne.Container, chips []chip) {
	box.Objects = box.Objects[:0]
	_, canLookUp := c.ui.backend.(backend.Setup)
	for i, ch := range chips {
		box.Add(newChip(ch.address, ch.state))
		if l := c.deliveryLabel(ch.email); l != nil {
			box.Add(l)
		}
		if ch.state != chipNoKey {
			continue
		}
		if canLookUp {
			lookUp := widget.NewButtonWithIcon("Look up key", theme.SearchIcon(), func() { c.lookUpKey(ch.email) })
			if c.lookupProgress.running() {
				lookUp.Disable() // one lookup at a time, shown under the addresses
			}
			box.Add(lookUp)
		}
		box.Add(widget.NewButtonWithIcon("Remove", theme.ContentRemoveIcon(), func() { c.removeRecipient(field, i) }))
	}
	if scroll := c.chipScrolls[box]; scroll != nil {
		if len(chips) == 0 {
			scroll.Hide()
		} else {
			scroll.Show()
		}
		scroll.SetMinSize(fyne.NewSize(0, min(wrappedHeight(box.Objects, c.chipWidth()), maxChipsHeight())))
	}
	box.Refresh()
	c.relayout()
}

// maxChipRows is how many rows of chips a field shows; more scroll.
const maxChipRows = 3

// maxChipsHeight is the height of maxChipRows rows of chips.
func maxChipsHeight() float32 {
	row := newChip("x", chipNoKey).MinSize().Height
	return maxChipRows*row + (maxChipRows-1)*theme.Padding()
}

// chipWidth is the width the chips wrap in: the address fields' width, or
// before the window is laid out an estimate from the window's.
func (c *composer) chipWidth() float32 {
	if w := c.to.Size().Width; w > 0 {
		return w
	}
	return c.window.Canvas().Size().Width * 0.8
}

// newChipScroll puts box, which wraps its chips onto rows, in a vertical
// scroll that fillChips keeps at most maxChipRows high: every button stays
// reachable however many recipients there are.
func (c *composer) newChipScroll(box *fyne.Container) {
	scroll := container.NewVScroll(box)
	scroll.Hide()
	c.chipScrolls[box] = scroll
}

// newChipBox returns an empty container in which chips and their buttons
// wrap onto as many rows as they need within the address fields' width.
func (c *composer) newChipBox() *fyne.Container {
	return container.New(chipWrap{width: c.chipWidth})
}

// chipWrap lays objects out left to right, wrapping onto a new row where
// the next would not fit. Its minimum height is that of the rows at the
// width it will get, so a scroll around it knows its true height before
// the first layout.
type chipWrap struct{ width func() float32 }

// MinSize is the widest object's width and the wrapped rows' height.
func (l chipWrap) MinSize(objects []fyne.CanvasObject) fyne.Size {
	var widest float32
	for _, o := range objects {
		if o.Visible() {
			widest = max(widest, o.MinSize().Width)
		}
	}
	return fyne.NewSize(widest, wrappedHeight(objects, l.width()))
}

// Layout places the objects in rows at their minimum sizes.
func (l chipWrap) Layout(objects []fyne.CanvasObject, size fyne.Size) {
	wrap(objects, size.Width, func(o fyne.CanvasObject, pos fyne.Position, s fyne.Size) {
		o.Move(pos)
		o.Resize(s)
	})
}

// wrappedHeight is the height objects take when wrapped onto rows of width.
func wrappedHeight(objects []fyne.CanvasObject, width float32) float32 {
	return wrap(objects, width, func(fyne.CanvasObject, fyne.Position, fyne.Size) {})
}

// wrap walks the visible objects in rows of width, calling place for each
// with its position and size, and returns the rows' total height.
func wrap(objects []fyne.CanvasObject, width float32, place func(fyne.CanvasObject, fyne.Position, fyne.Size)) float32 {
	pad := theme.Padding()
	var x, y, row float32
	for _, o := range objects {
		if !o.Visible() {
			continue
		}
		s := o.MinSize()
		if x > 0 && x+s.Width > width {
			x, y, row = 0, y+row+pad, 0
		}
		place(o, fyne.NewPos(x, y), s)
		x += s.Width + pad
		row = max(row, s.Height)
	}
	return y + row
}

// removeRecipient takes the i-th recipient out of field.
func (c *composer) removeRecipient(field *sendEntry, i int) {
	var keep []string
	for j, ch := range parseRecipients(field.Text) {
		if j != i {
			keep = append(keep, ch.address)
		}
	}
	field.SetText(strings.Join(keep, ", ")) // OnChanged redraws the chips
}

// lookUpKey asks the network, off the UI goroutine and only now, for the
// keys of address, and shows what it found. While it runs, a progress bar
// under the addresses says so and offers Cancel; a failure offers Retry.
func (c *composer) lookUpKey(address string) {
	setup, ok := c.ui.backend.(backend.Setup)
	if !ok || c.lookupProgress.running() {
		return
	}
	ctx := c.startLookup(fmt.Sprintf("Looking up %s…", address))
	var found backend.KeyLookup
	c.ui.tasks.run(ctx, func(ctx context.Context) (err error) { found, err = setup.LookupKeys(ctx, address); return err }, func(err error) {
		stopped := c.endLookup(ctx)
		switch {
		case err != nil && stopped:
			c.status.SetText(fmt.Sprintf("Stopped looking up a key for %s.", address))
		case err != nil:
			c.notice.problem(lookupProblem(address, err), noticeAction{"Retry", func() { c.lookUpKey(address) }})
		case len(found.Keys) == 0:
			c.status.SetText(fmt.Sprintf("No key for %s was found on the network: ask them to send you their public key.", address))
		default:
			c.showFound(setup, address, found)
		}
	})
}

// startLookup shows that a network lookup runs, with text and a Cancel,
// disables the other lookups and returns the lookup's context.
func (c *composer) startLookup(text string) context.Context {
	ctx, stop := context.WithCancel(c.ctx)
	c.notice.clear()
	c.status.SetText("")
	c.lookupProgress.start(text, stop)
	c.update() // disables Look up key
	return ctx
}

// endLookup hides the lookup's progress once it has ended and reports
// whether it was cancelled (by Cancel or by closing the composer).
func (c *composer) endLookup(ctx context.Context) (cancelled bool) {
	cancelled = ctx.Err() != nil
	c.lookupProgress.finish()
	c.update()
	return cancelled
}

// lookupProblem says why a key lookup for address (or the import of what it
// found, which looks up again) failed: an error of the engine as it is, a
// timeout in words.
func lookupProblem(address string, err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Sprintf("No answer in time while looking up a key for %s: check the connection to the Internet, then retry.", address)
	}
	return readable(fmt.Errorf("looking up a key for %s: %w", address, err))
}

// describeFound says what a lookup found: where, each key's fingerprint in
// groups, and that none of it is verified.
func describeFound(address string, found backend.KeyLookup) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Found for %s in %s:\n", address, found.Source)
	for _, k := range found.Keys {
		fmt.Fprintf(&b, "\n%s\n%s\n", backend.GroupFingerprint(k.Fingerprint), strings.Join(k.UserIDs, ", "))
	}
	fmt.Fprintf(&b, "\nUnverified: whoever controls that server could have put it there. "+
		"Import it, then compare the fingerprint with %s in person or by phone and mark it verified in Keys.", address)
	return b.String()
}

// showFound shows what a lookup found and imports it when the user
// confirms.
func (c *composer) showFound(setup backend.Setup, address string, found backend.KeyLookup) {
	var fingerprints []string
	for _, k := range found.Keys {
		fingerprints = append(fingerprints, k.Fingerprint)
	}
	c.foundText = widget.NewLabel(describeFound(address, found))
	c.foundText.Wrapping = fyne.TextWrapWord
	cancel := widget.NewButton("Cancel", func() { c.found.Hide() })
	c.importButton = widget.NewButton("Import as unverified", func() {
		c.found.Hide()
		if c.lookupProgress.running() {
			return
		}
		// The import looks the address up again, so it shows as a lookup.
		ctx := c.startLookup(fmt.Sprintf("Importing the key for %s…", address))
		c.ui.tasks.run(ctx, func(ctx context.Context) error {
			_, err := setup.ImportLookedUpKeys(ctx, address, fingerprints)
			return err
		}, func(err error) {
			stopped := c.endLookup(ctx)
			switch {
			case err != nil && stopped:
				c.status.SetText(fmt.Sprintf("Stopped importing the key for %s.", address))
				c.lookupKeys() // the chip shows whether a key arrived before the stop
			case err != nil:
				c.notice.problem(lookupProblem(address, err), noticeAction{"Look up again", func() { c.lookUpKey(address) }})
			default:
				c.status.SetText(fmt.Sprintf("Imported %s for %s, unverified: compare the fingerprint with them in Keys.",
					plural(len(fingerprints), "key"), address))
				c.lookupKeys()
			}
		})
	})
	c.importButton.Importance = widget.HighImportance
	content := container.NewBorder(nil, container.NewHBox(cancel, c.importButton), nil, nil, c.foundText)
	c.found = widget.NewModalPopUp(content, c.window.Canvas())
	c.found.Resize(fyne.NewSize(480, content.MinSize().Height))
	c.found.Show()
}

// relayout lays the composer out again after a row appeared or went.
func (c *composer) relayout() {
	if content := c.window.Content(); content != nil {
		content.Refresh()
	}
}
