package ui

import (
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// hasActions reports whether a problem's buttons are shown.
func (n *notice) hasActions() bool { return len(n.actions.Objects) > 0 }

// TestNoticeActions: a problem shows its buttons and a dismiss button; an
// action clears them before it runs, and the holder is laid out again each
// time the buttons change.
func TestNoticeActions(t *testing.T) {
	test.NewTempApp(t)
	relayouts, retried := 0, 0
	n := newNotice(widget.NewLabel(""), func() { relayouts++ })
	n.problem("Sync failed.", noticeAction{"Retry", func() {
		if n.hasActions() {
			t.Error("Retry ran with the problem's buttons still shown")
		}
		retried++
	}})
	if got := len(n.actions.Objects); got != 2 || n.label.Text != "Sync failed." {
		t.Fatalf("problem shows %d buttons and %q, want Retry and dismiss with the text", got, n.label.Text)
	}
	test.Tap(buttonIn(t, n.content, "Retry"))
	if retried != 1 || n.hasActions() || relayouts != 2 {
		t.Errorf("after Retry: ran %d times, buttons shown %v, %d layouts; want 1, none, 2", retried, n.hasActions(), relayouts)
	}
}
