package ui

import (
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sealpost/sealpost/mail/backend"
)

// travelPanel is the reader's "How it travelled" section: the relays the
// message's Received headers state, hop by hop, its DKIM signatures as
// checked when it was synced, what the account's provider reported, and
// how Sealpost fetched it, in plain words. It says only what the engine
// recorded. It starts closed, its title summing it up; the title opens and
// closes it.
type travelPanel struct {
	toggle *widget.Button
	lines  *fyne.Container
	object *fyne.Container
	// relayout lays the reader out again after the panel changed size.
	relayout func()
	// zone is where the reader is: hop times show in its time.
	zone *time.Location
	// shown is what the panel says, title first (for tests).
	shown []string
}

func newTravelPanel(relayout func()) *travelPanel {
	p := &travelPanel{lines: container.NewVBox(), zone: time.Local, relayout: relayout}
	p.toggle = widget.NewButtonWithIcon("", theme.MenuExpandIcon(), func() { p.setOpen(!p.lines.Visible()) })
	p.toggle.Alignment = widget.ButtonAlignLeading
	p.toggle.Importance = widget.LowImportance
	p.lines.Hide()
	p.object = container.NewVBox(p.toggle, p.lines)
	p.object.Hide()
	return p
}

// setOpen shows or hides the panel's lines.
func (p *travelPanel) setOpen(open bool) {
	if open {
		p.toggle.SetIcon(theme.MenuDropDownIcon())
		p.lines.Show()
	} else {
		p.toggle.SetIcon(theme.MenuExpandIcon())
		p.lines.Hide()
	}
	p.relayout()
}

// show describes t (nil: nothing was recorded), closed.
func (p *travelPanel) show(t *backend.Travel) {
	title, lines := describeTravel(t, p.zone)
	p.toggle.SetText(title)
	objs := make([]fyne.CanvasObject, 0, len(lines))
	for _, l := range lines {
		label := widget.NewLabel(l)
		label.Wrapping = fyne.TextWrapWord
		objs = append(objs, label)
	}
	p.lines.Objects = objs
	p.shown = append([]string{title}, lines...)
	p.toggle.SetIcon(theme.MenuExpandIcon())
	p.lines.Hide()
	p.object.Show()
}

// update describes t in place of what the panel said, open if it was.
func (p *travelPanel) update(t *backend.Travel) {
	open := p.lines.Visible()
	p.show(t)
	if open {
		p.lines.Show()
		p.toggle.SetIcon(theme.MenuDropDownIcon())
	}
	p.relayout()
}

// clear hides the panel and forgets what it said.
func (p *travelPanel) clear() {
	p.lines.Objects = nil
	p.lines.Hide()
	p.shown = nil
	p.toggle.SetText("")
	p.object.Hide()
}

// describeTravel puts t into the panel's words: a title that sums it up
// and one line per hop (oldest first), per DKIM signature, for the
// provider's report and for Sealpost's own fetch.
func describeTravel(t *backend.Travel, zone *time.Location) (title string, lines []string) {
	if t == nil {
		return "How it travelled: not recorded", []string{
			"Sealpost did not record how this message travelled: it was stored before Sealpost did so, " +
				"or only its list entry was stored and it has not been fetched since.",
		}
	}
	encrypted, stated := 0, len(t.Hops)
	for _, h := range t.Hops {
		lines = append(lines, hopLine(h, zone))
		if h.Encryption == backend.HopTLS {
			encrypted++
		}
	}
	if stated == 0 {
		lines = append(lines, "The message names no servers it passed through.")
	} else {
		lines = append(lines, "Only the hops marked “your provider” were written by your provider; "+
			"the others are what servers on the sender's side say, which nobody can check.")
	}
	for _, d := range t.DKIM {
		lines = append(lines, dkimLine(d))
	}
	if len(t.DKIM) == 0 {
		lines = append(lines, "No domain signed it (DKIM).")
	}
	lines = append(lines, providerLine(t.Provider))
	if f := t.Fetch; f != nil {
		lines = append(lines, fmt.Sprintf("Sealpost fetched it from %s, encrypted (%s, %s).", f.Server, f.Version, f.Cipher))
	} else {
		lines = append(lines, "How Sealpost fetched it was not recorded.")
	}

	switch {
	case stated == 0:
		title = "How it travelled: no route stated"
	case encrypted == stated:
		title = "How it travelled: every stated hop encrypted"
	default:
		title = fmt.Sprintf("How it travelled: %d of %d hops without stated encryption", stated-encrypted, stated)
	}
	for _, d := range t.DKIM {
		if d.Result == backend.DKIMFail {
			title += "; a DKIM signature FAILED"
			break
		}
	}
	return title, lines
}

// hopLine says one hop: "mx.example.com to mail.provider.net, encrypted
// (TLS 1.3), 12:03, your provider". Words, not an arrow: the bundled font has
// no "→", and Fyne 2.8 draws a space after a glyph from a fallback font as a
// missing glyph (fyne-io/fyne#6216).
func hopLine(h backend.Hop, zone *time.Location) string {
	var b strings.Builder
	b.WriteString(orNone(h.From, "(unnamed)"))
	b.WriteString(" to ")
	b.WriteString(orNone(h.By, "(unnamed)"))
	switch {
	case h.Encryption != backend.HopTLS:
		b.WriteString(", no encryption stated")
		if h.With != "" {
			b.WriteString(" (" + h.With + ")")
		}
	case h.TLSVersion != "":
		b.WriteString(", encrypted (" + h.TLSVersion + ")")
	default:
		b.WriteString(", encrypted (" + orNone(h.With, "TLS") + ")")
	}
	if !h.Time.IsZero() {
		b.WriteString(", " + h.Time.In(zone).Format("2 Jan 15:04"))
	}
	if h.ByProvider {
		b.WriteString(", your provider")
	}
	return b.String()
}

// dkimLine says one DKIM check.
func dkimLine(d backend.DKIMCheck) string {
	domain := orNone(d.Domain, "an unnamed domain")
	var line string
	switch d.Result {
	case backend.DKIMPass:
		line = "Signed by " + domain + ", verified (DKIM)"
	case backend.DKIMFail:
		line = "Signed by " + domain + ", but the signature FAILED (DKIM): the message was changed or the signature forged"
		if d.Reason != "" {
			line += " (" + d.Reason + ")"
		}
	default: // backend.DKIMNotChecked
		switch d.Reason {
		case backend.DKIMLookupsOff:
			line = "Signed by " + domain + ", not checked (lookups off): DKIM key lookups are turned off in Settings, Security"
		case backend.DKIMNotYet:
			line = "Signed by " + domain + ", not checked yet (DKIM): its key is being looked up; the result shows here when it comes, or when the message is opened again"
		default:
			line = "Signed by " + domain + ", not checked (DKIM): its key could not be looked up, for one because Sealpost was offline; it is tried again when the message is opened later"
		}
	}
	if d.Domain != "" && !d.AlignedWithFrom {
		line += "; " + domain + " is not the sender's domain"
	}
	return line + "."
}

// providerLine says what the account's provider reported.
func providerLine(p *backend.ProviderResults) string {
	if p == nil {
		return "Your provider added no check results that Sealpost can trust."
	}
	var parts []string
	for _, r := range []struct{ name, value string }{{"SPF", p.SPF}, {"DKIM", p.DKIM}, {"DMARC", p.DMARC}, {"ARC", p.ARC}} {
		if r.value != "" {
			parts = append(parts, r.name+" "+r.value)
		}
	}
	if len(parts) == 0 {
		return fmt.Sprintf("Your provider (%s) reported no checks.", p.AuthServID)
	}
	return fmt.Sprintf("Your provider (%s) reported: %s.", p.AuthServID, strings.Join(parts, ", "))
}
