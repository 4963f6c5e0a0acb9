package ui

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/sealpost/sealpost/mail"
	"github.com/sealpost/sealpost/mail/backend"
	"github.com/sealpost/sealpost/mail/mailtest"
)

// deliverySpy is the real engine, counting its delivery checks.
type deliverySpy struct {
	*mail.Engine
	mu      sync.Mutex
	domains []string
}

func (s *deliverySpy) CheckDelivery(ctx context.Context, domain string) backend.DeliveryFinding {
	s.mu.Lock()
	s.domains = append(s.domains, domain)
	s.mu.Unlock()
	return s.Engine.CheckDelivery(ctx, domain)
}

func (s *deliverySpy) checked() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.domains...)
}

// fixtureEngineWith is the fixture profile in an engine opened with opts.
func fixtureEngineWith(t *testing.T, opts *mail.ProfileOptions) *mail.Engine {
	t.Helper()
	fixtureEngine(t) // builds the template
	e := mail.NewEngine(filepath.Join(t.TempDir(), "profile"), opts)
	t.Cleanup(func() { _ = e.Lock() })
	if err := os.CopyFS(e.ProfileDir(), os.DirFS(template.dir)); err != nil {
		t.Fatal(err)
	}
	return e
}

// manualPause replaces the composer's typing pause: fire runs the latest
// scheduled check, as the timer would.
type manualPause struct{ f func() }

func (p *manualPause) after(_ time.Duration, f func()) func() bool {
	p.f = f
	return func() bool { p.f = nil; return true }
}

func (p *manualPause) fire(t *testing.T) {
	t.Helper()
	if p.f == nil {
		t.Fatal("no delivery check is scheduled")
	}
	f := p.f
	p.f = nil
	f()
}

// deliveryTexts are the delivery labels next to the chips of box.
func deliveryTexts(box *fyne.Container) []string {
	var out []string
	for _, o := range box.Objects {
		if l, ok := o.(*widget.Label); ok {
			out = append(out, l.Text)
		}
	}
	return out
}

func composerWith(t *testing.T, b backend.Backend) (*App, *composer, *manualPause) {
	t.Helper()
	app := unlocked(t, newApp(b))
	test.Tap(app.main.newButton)
	app.tasks.wait()
	c := app.main.lastComposer
	pause := &manualPause{}
	c.stopDelivery() // the real timer the composer started with
	c.deliveryState.after = pause.after
	return app, c, pause
}

// TestComposerShowsDeliverySecurity: once typing pauses, each recipient's
// chip is followed by how mail to its domain travels, looked up on a real
// DNS server and policy host; each domain is checked once per composer,
// not per keystroke.
func TestComposerShowsDeliverySecurity(t *testing.T) {
	test.NewTempApp(t)
	opts := profileOptions()
	mailtest.DeliveryDNS(t, opts, "secure.test", "enforce")
	spy := &deliverySpy{Engine: fixtureEngineWith(t, opts)}
	app, c, pause := composerWith(t, spy)

	test.Type(c.to, "carol@secure.test")
	app.tasks.wait()
	if got := spy.checked(); len(got) != 0 {
		t.Fatalf("checked %v while typing, want nothing before the pause", got)
	}
	pause.fire(t)
	app.tasks.wait()
	if got := deliveryTexts(c.toChips); len(got) != 1 || got[0] != "delivered over enforced TLS (MTA-STS)" {
		t.Fatalf("To shows %q, want the enforced delivery", got)
	}

	test.Type(c.to, ", dave@secure.test")
	test.Type(c.subject, "Hello")
	test.Type(c.body, "Text")
	pause.fire(t)
	app.tasks.wait()
	if got := spy.checked(); len(got) != 1 || got[0] != "secure.test" {
		t.Errorf("checked %v, want secure.test once", got)
	}
	if got := deliveryTexts(c.toChips); len(got) != 2 || got[1] != "delivered over enforced TLS (MTA-STS)" {
		t.Errorf("To shows %q, want both recipients enforced", got)
	}
}

// TestComposerDeliveryOffline: without a DNS answer the chip says not
// checked, never a guess.
func TestComposerDeliveryOffline(t *testing.T) {
	test.NewTempApp(t)
	opts := profileOptions()
	opts.Resolver = "127.0.0.1:1" // nothing listens: refused at once
	app, c, pause := composerWith(t, fixtureEngineWith(t, opts))
	test.Type(c.cc, "erin@example.org")
	pause.fire(t)
	app.tasks.wait()
	if got := deliveryTexts(c.ccChips); len(got) != 1 || got[0] != "not checked (offline)" {
		t.Errorf("Cc shows %q, want not checked (offline)", got)
	}
}

// TestComposerDeliveryStallNeverBlocks: a resolver that never answers
// leaves the chip at "checking delivery…" while typing goes on, and
// closing the composer ends the check.
func TestComposerDeliveryStallNeverBlocks(t *testing.T) {
	test.NewTempApp(t)
	stalled, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer stalled.Close()
	opts := profileOptions()
	opts.Resolver = stalled.LocalAddr().String()
	app, c, _ := composerWith(t, fixtureEngineWith(t, opts))
	test.Type(c.to, "frank@slow.test")
	c.checkDelivery() // what the pause's timer does, without waiting for the check
	if got := deliveryTexts(c.toChips); len(got) != 1 || got[0] != deliveryChecking {
		t.Fatalf("To shows %q while the check runs, want %q", got, deliveryChecking)
	}
	test.Type(c.body, "typing goes on")
	if c.body.Text != "typing goes on" {
		t.Errorf("body = %q", c.body.Text)
	}
	done := make(chan struct{})
	c.cancel() // what closing the window does
	go func() {
		app.tasks.wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the check did not end when the composer closed")
	}
	if got := deliveryTexts(c.toChips); len(got) != 1 || !strings.Contains(got[0], "checking") {
		t.Errorf("after closing: %q, want no finding made up", got)
	}
}
