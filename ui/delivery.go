package ui

import (
	"context"
	"time"

	"fyne.io/fyne/v2/widget"

	"github.com/sealpost/sealpost/mail/backend"
)

const (
	// deliveryPause is how long typing in an address field pauses before
	// the recipients' domains are checked, so that a half-typed domain is
	// not looked up.
	deliveryPause = 700 * time.Millisecond
	// deliveryTimeout bounds one domain's check; what did not answer by
	// then shows as not checked.
	deliveryTimeout = 20 * time.Second
	// deliveryChecking is what a recipient shows while its domain is
	// being checked.
	deliveryChecking = "checking delivery…"
)

// deliveryState is what the composer knows of the recipients' domains:
// each domain is checked once per composer, in the background.
type deliveryState struct {
	found   map[string]backend.DeliveryFinding // by domain
	pending map[string]bool
	// after starts the pause timer (afterFunc; tests replace it); stop
	// stops the running one.
	after func(time.Duration, func()) func() bool
	stop  func() bool
}

// scheduleDelivery checks the recipients' domains once typing has paused
// (when the backend can check them at all).
func (c *composer) scheduleDelivery() {
	if _, ok := c.ui.backend.(backend.DeliveryChecker); !ok {
		return
	}
	if c.deliveryState.stop != nil {
		c.deliveryState.stop()
	}
	c.deliveryState.stop = c.deliveryState.after(deliveryPause, func() { c.ui.tasks.do(c.checkDelivery) })
}

// stopDelivery stops the pause timer of a closing composer (the checks
// under way end with its context).
func (c *composer) stopDelivery() {
	if c.deliveryState.stop != nil {
		c.deliveryState.stop()
	}
}

// checkDelivery starts, off the UI goroutine, the check of every recipient
// domain not checked yet by this composer and not being checked.
func (c *composer) checkDelivery() {
	checker, ok := c.ui.backend.(backend.DeliveryChecker)
	if !ok || c.ctx.Err() != nil {
		return
	}
	started := false
	for _, ch := range c.recipients() {
		dom := backend.AddressDomain(ch.email)
		if dom == "" || c.deliveryState.pending[dom] {
			continue
		}
		// A domain that could not be checked (offline, say) is asked
		// again when the recipients next change; its finding stays shown
		// meanwhile.
		if f, ok := c.deliveryState.found[dom]; ok && f.Status != backend.DeliveryNotChecked {
			continue
		}
		c.deliveryState.pending[dom] = true
		started = true
		ctx, cancel := context.WithTimeout(c.ctx, deliveryTimeout)
		var f backend.DeliveryFinding
		c.ui.tasks.run(ctx, func(ctx context.Context) error { f = checker.CheckDelivery(ctx, dom); return nil }, func(err error) {
			cancel()
			delete(c.deliveryState.pending, dom)
			if err != nil || c.ctx.Err() != nil {
				return // the composer closed
			}
			c.deliveryState.found[dom] = f
			c.update()
		})
	}
	if started {
		c.update()
	}
}

// deliveryLabel says how mail to email's domain will travel, for the
// recipient's chip: nil while nothing is known or asked.
func (c *composer) deliveryLabel(email string) *widget.Label {
	dom := backend.AddressDomain(email)
	if dom == "" {
		return nil
	}
	text, importance := deliveryChecking, widget.LowImportance
	if f, ok := c.deliveryState.found[dom]; ok {
		text = f.Text()
		switch f.Status {
		case backend.DeliveryEnforced:
			importance = widget.SuccessImportance
		case backend.DeliveryNotChecked:
			importance = widget.LowImportance
		default:
			importance = widget.WarningImportance
		}
	} else if !c.deliveryState.pending[dom] {
		return nil
	}
	l := widget.NewLabel(text)
	l.Importance = importance
	return l
}
