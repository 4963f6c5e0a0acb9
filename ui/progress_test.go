package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/sealpost/sealpost/mail"
	"github.com/sealpost/sealpost/mail/backend"
)

// heldBackend is the fixture engine whose network calls (Send, LookupKeys,
// ImportLookedUpKeys) and key generation wait until the test answers them, so that a test can
// look at a view while the call runs. A call whose context ends returns
// the context's error, as the engine does.
type heldBackend struct {
	*mail.Engine
	calls chan heldCall
}

// heldCall is one network call waiting for the test's reply.
type heldCall struct {
	method string
	ctx    context.Context
	reply  chan heldReply
}

// heldReply is what a held call returns.
type heldReply struct {
	found backend.KeyLookup
	err   error
}

func (b *heldBackend) hold(ctx context.Context, method string) heldReply {
	call := heldCall{method: method, ctx: ctx, reply: make(chan heldReply, 1)}
	select {
	case b.calls <- call:
	case <-time.After(10 * time.Second): // a call the test did not expect: fail it, never hang
		return heldReply{err: fmt.Errorf("%s: no test took the call", method)}
	}
	select {
	case r := <-call.reply:
		return r
	case <-ctx.Done():
		return heldReply{err: fmt.Errorf("%s stopped: %w", method, ctx.Err())}
	}
}

func (b *heldBackend) Send(ctx context.Context, _ string, _ backend.Draft, _ backend.Security) error {
	return b.hold(ctx, "Send").err
}

func (b *heldBackend) LookupKeys(ctx context.Context, _ string) (backend.KeyLookup, error) {
	r := b.hold(ctx, "LookupKeys")
	return r.found, r.err
}

func (b *heldBackend) ImportLookedUpKeys(ctx context.Context, _ string, _ []string) ([]backend.KeyInfo, error) {
	r := b.hold(ctx, "ImportLookedUpKeys")
	return r.found.Keys, r.err
}

func (b *heldBackend) GenerateKey(ctx context.Context, _, _, _ string) (backend.KeyInfo, error) {
	r := b.hold(context.Background(), "GenerateKey")
	if r.err != nil {
		return backend.KeyInfo{}, r.err
	}
	return r.found.Keys[0], nil
}

// next returns the network call that the view started, which must be
// method; it fails the test if none starts.
func (b *heldBackend) next(t *testing.T, method string) heldCall {
	t.Helper()
	select {
	case call := <-b.calls:
		if call.method != method {
			t.Fatalf("the view called %s, want %s", call.method, method)
		}
		return call
	case <-time.After(10 * time.Second):
		t.Fatalf("the view did not call %s", method)
		return heldCall{}
	}
}

// carolFound is what the held lookups find for carol@example.com.
var carolFound = backend.KeyLookup{Source: "the Web Key Directory of example.com", Keys: []backend.KeyInfo{
	{Fingerprint: foundFingerprint, UserIDs: []string{"Carol <carol@example.com>"}, Emails: []string{"carol@example.com"}}}}

// openHeld unlocks the fixture profile on a heldBackend.
func openHeld(t *testing.T) (*App, *heldBackend) {
	t.Helper()
	b := &heldBackend{Engine: fixtureEngine(t), calls: make(chan heldCall)}
	return unlocked(t, newApp(b)), b
}

// openHeldComposer opens a composer on a heldBackend with to as the
// recipients.
func openHeldComposer(t *testing.T, to string) (*App, *heldBackend, *composer) {
	t.Helper()
	app, b := openHeld(t)
	test.Tap(app.main.newButton)
	app.tasks.wait()
	c := app.main.lastComposer
	test.Type(c.to, to)
	test.Type(c.subject, "Budget")
	app.tasks.wait()
	return app, b, c
}

// checkActivity fails the test unless a shows text with a running bar (and
// a Cancel when cancellable), or, when text is empty, is hidden.
func checkActivity(t *testing.T, name string, a *activity, text string, cancellable bool) {
	t.Helper()
	if text == "" {
		if a.running() || a.bar.Visible() || a.bar.Running() {
			t.Errorf("%s progress got = shown %v, bar visible %v, running %v; want hidden", name, a.running(), a.bar.Visible(), a.bar.Running())
		}
		return
	}
	if !a.running() || !a.bar.Visible() || !a.bar.Running() || a.label.Text != text {
		t.Errorf("%s progress got = shown %v, bar visible %v, running %v, text %q; want a running bar with %q",
			name, a.running(), a.bar.Visible(), a.bar.Running(), a.label.Text, text)
	}
	if got := a.cancelButton.Visible() && !a.cancelButton.Disabled(); got != cancellable {
		t.Errorf("%s Cancel offered got = %v, want %v", name, got, cancellable)
	}
}

// noticeButton returns the action button labelled text of n, or nil.
func noticeButton(n *notice, text string) *widget.Button {
	for _, o := range n.actions.Objects {
		if b, ok := o.(*widget.Button); ok && b.Text == text {
			return b
		}
	}
	return nil
}

func TestComposerSendShowsProgress(t *testing.T) {
	test.NewTempApp(t)
	app, b, c := openHeldComposer(t, "bob@example.net")

	test.Tap(c.sendButton)
	call := b.next(t, "Send")
	checkActivity(t, "send", c.sendProgress, "Sending…", true)
	if !c.sendButton.Disabled() {
		t.Error("Send got = enabled while sending, want disabled")
	}
	pressCtrlEnter(c) // must not start a second send
	call.reply <- heldReply{}
	app.tasks.wait()
	checkActivity(t, "send", c.sendProgress, "", false)
	select {
	case extra := <-b.calls:
		t.Errorf("a second %s ran while the first send was running", extra.method)
	default:
	}
	if len(app.extra) != 0 {
		t.Errorf("open windows besides the main one = %d after sending, want 0", len(app.extra))
	}
}

func TestComposerCancelSend(t *testing.T) {
	test.NewTempApp(t)
	app, b, c := openHeldComposer(t, "bob@example.net")

	test.Tap(c.sendButton)
	call := b.next(t, "Send")
	test.Tap(c.sendProgress.cancelButton)
	if err := call.ctx.Err(); !errors.Is(err, context.Canceled) {
		t.Fatalf("send context after Cancel got = %v, want it cancelled", err)
	}
	if !c.sendProgress.cancelButton.Disabled() {
		t.Error("Cancel got = enabled after cancelling, want disabled until the send ends")
	}
	app.tasks.wait()
	checkActivity(t, "send", c.sendProgress, "", false)
	if c.sendButton.Disabled() {
		t.Error("Send got = disabled after the cancelled send, want enabled")
	}
	if c.status.Text != sendStopped || !strings.Contains(c.status.Text, "kept in the outbox") {
		t.Errorf("status got = %q, want %q", c.status.Text, sendStopped)
	}
	if len(app.extra) != 1 {
		t.Errorf("open windows besides the main one = %d, want the composer still open", len(app.extra))
	}
}

func TestComposerSendErrorsOfferActions(t *testing.T) {
	test.NewTempApp(t)
	app, b, c := openHeldComposer(t, "bob@example.net")
	tests := []struct {
		name         string
		err          error
		wantStatus   string
		wantSettings bool
	}{
		{"login rejected", fmt.Errorf("the message is kept in the outbox (id 1): SMTP login: %w", backend.ErrLoginRejected),
			"Not sent: The mail server refused the user name or password", true},
		{"certificate rejected", fmt.Errorf("the message is kept in the outbox (id 2): SMTP smtp.example.org:465 (tls): %w", backend.ErrCertificateRejected),
			"certificate could not be verified, so nothing was sent", true},
		{"network", errors.New("the message is kept in the outbox (id 3): dial tcp 192.0.2.1:465: connection refused"),
			"The message is kept in the outbox (id 3): dial tcp", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			test.Tap(c.sendButton)
			b.next(t, "Send").reply <- heldReply{err: tt.err}
			app.tasks.wait()
			checkActivity(t, "send", c.sendProgress, "", false)
			if !strings.Contains(c.status.Text, tt.wantStatus) {
				t.Errorf("status got = %q, want it to contain %q", c.status.Text, tt.wantStatus)
			}
			open := noticeButton(c.notice, "Open settings")
			if got := open != nil; got != tt.wantSettings {
				t.Fatalf("Open settings offered got = %v, want %v", got, tt.wantSettings)
			}
			if open == nil {
				return
			}
			test.Tap(open)
			app.tasks.wait()
			sw := app.settingsOf().window
			if sw == nil || sw.tabs.Selected() != sw.accountsTab {
				t.Fatalf("Open settings got = settings window %v, want it open on Accounts", sw != nil)
			}
			if c.notice.hasActions() {
				t.Error("the problem's buttons stayed after Open settings")
			}
			sw.window.Close()
		})
	}
}

// lookUpButton returns the Look up key button of the composer's To chips.
func lookUpButton(t *testing.T, c *composer) *widget.Button {
	t.Helper()
	return button(t, c.toChips, "Look up key")
}

func TestComposerKeyLookupProgress(t *testing.T) {
	test.NewTempApp(t)
	app, b, c := openHeldComposer(t, "carol@example.com")
	const looking = "Looking up carol@example.com…"

	test.Tap(lookUpButton(t, c))
	call := b.next(t, "LookupKeys")
	checkActivity(t, "lookup", c.lookupProgress, looking, true)
	if !lookUpButton(t, c).Disabled() {
		t.Error("Look up key got = enabled while the lookup runs, want disabled")
	}
	call.reply <- heldReply{err: errors.New("keys.openpgp.org: 503 Service Unavailable")}
	app.tasks.wait()
	checkActivity(t, "lookup", c.lookupProgress, "", false)
	if lookUpButton(t, c).Disabled() {
		t.Error("Look up key got = disabled after the lookup, want enabled")
	}
	if want := "Looking up a key for carol@example.com: keys.openpgp.org: 503"; !strings.HasPrefix(c.status.Text, want) {
		t.Errorf("status got = %q, want it to start with %q", c.status.Text, want)
	}
	retry := noticeButton(c.notice, "Retry")
	if retry == nil {
		t.Fatal("no Retry after a failed lookup")
	}

	test.Tap(retry)
	call = b.next(t, "LookupKeys")
	checkActivity(t, "lookup", c.lookupProgress, looking, true)
	call.reply <- heldReply{found: carolFound}
	app.tasks.wait()
	if c.found == nil || !c.found.Visible() {
		t.Fatalf("nothing shown after the retried lookup; status %q", c.status.Text)
	}

	test.Tap(c.importButton)
	call = b.next(t, "ImportLookedUpKeys")
	checkActivity(t, "import", c.lookupProgress, "Importing the key for carol@example.com…", true)
	call.reply <- heldReply{err: fmt.Errorf("%w: nothing was imported; look the address up again", backend.ErrLookupChanged)}
	app.tasks.wait()
	checkActivity(t, "import", c.lookupProgress, "", false)
	again := noticeButton(c.notice, "Look up again")
	if again == nil || !strings.Contains(c.status.Text, "changed since you looked them up") {
		t.Fatalf("after a changed lookup: status %q, Look up again offered %v; want both", c.status.Text, again != nil)
	}
	test.Tap(again)
	call = b.next(t, "LookupKeys")

	test.Tap(c.lookupProgress.cancelButton)
	if err := call.ctx.Err(); !errors.Is(err, context.Canceled) {
		t.Fatalf("lookup context after Cancel got = %v, want it cancelled", err)
	}
	app.tasks.wait()
	checkActivity(t, "lookup", c.lookupProgress, "", false)
	if c.status.Text != "Stopped looking up a key for carol@example.com." || c.notice.hasActions() {
		t.Errorf("status after Cancel got = %q (actions %v), want the stop confirmed without actions", c.status.Text, c.notice.hasActions())
	}
}

func TestLookupProblem(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"timeout", fmt.Errorf("look up key: %w", context.DeadlineExceeded),
			"No answer in time while looking up a key for dana@example.com: check the connection to the Internet, then retry."},
		{"not found", errors.New("no key found for the address: keyserver: 404 Not Found"),
			"Looking up a key for dana@example.com: no key found for the address: keyserver: 404 Not Found."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := lookupProblem("dana@example.com", tt.err); got != tt.want {
				t.Errorf("got = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestKeyManagerLookupProgress(t *testing.T) {
	test.NewTempApp(t)
	app, b := openHeld(t)
	km, ka := openKeyManager(t, app)
	const address = "carol@example.com"

	test.Tap(ka.lookupButton)
	test.Type(ka.lookupAddress, address)
	test.Tap(ka.lookupGo)
	call := b.next(t, "LookupKeys")
	checkActivity(t, "lookup", ka.lookupProgress, "Looking up "+address+"…", true)
	if !ka.lookupGo.Disabled() {
		t.Error("Look up got = enabled while the lookup runs, want disabled")
	}
	ka.lookupAddress.OnSubmitted(address) // Enter must not start a second lookup
	call.reply <- heldReply{err: errors.New("WKD policy file: 500 Internal Server Error")}
	app.tasks.wait()
	checkActivity(t, "lookup", ka.lookupProgress, "", false)
	retry := noticeButton(ka.lookupNotice, "Retry")
	if retry == nil || ka.lookupGo.Disabled() || !strings.Contains(ka.lookupResult.Text, "500 Internal Server Error") {
		t.Fatalf("after a failed lookup: result %q, Retry offered %v, Look up disabled %v; want the error, Retry and Look up",
			ka.lookupResult.Text, retry != nil, ka.lookupGo.Disabled())
	}

	test.Tap(retry)
	b.next(t, "LookupKeys").reply <- heldReply{found: carolFound}
	app.tasks.wait()
	if ka.lookupImport.Disabled() || !strings.Contains(ka.lookupResult.Text, backend.GroupFingerprint(foundFingerprint)) {
		t.Fatalf("after the retried lookup: result %q, Import disabled %v; want the key and Import", ka.lookupResult.Text, ka.lookupImport.Disabled())
	}

	test.Tap(ka.lookupImport)
	call = b.next(t, "ImportLookedUpKeys")
	checkActivity(t, "import", km.progress, "Importing the keys of "+address+"…", true)
	call.reply <- heldReply{err: fmt.Errorf("%w: nothing was imported; look the address up again", backend.ErrLookupChanged)}
	app.tasks.wait()
	checkActivity(t, "import", km.progress, "", false)
	again := noticeButton(km.notice, "Look up again")
	if again == nil || !strings.Contains(km.status.Text, "changed since you looked them up") {
		t.Fatalf("after a changed lookup: status %q, Look up again offered %v; want both", km.status.Text, again != nil)
	}
	test.Tap(again)
	if ka.open == nil || ka.lookupAddress.Text != address {
		t.Fatalf("Look up again got = dialog open %v for %q, want it open for %s", ka.open != nil, ka.lookupAddress.Text, address)
	}

	test.Tap(ka.lookupGo)
	call = b.next(t, "LookupKeys")
	test.Tap(dialogButton(t, km.window.Canvas(), "Close"))
	if err := call.ctx.Err(); !errors.Is(err, context.Canceled) {
		t.Fatalf("lookup context after closing the dialog got = %v, want it cancelled", err)
	}
	app.tasks.wait()
	if ka.open != nil {
		t.Error("the lookup dialog stayed open after Close")
	}
}

func TestKeyManagerLookupCancel(t *testing.T) {
	test.NewTempApp(t)
	app, b := openHeld(t)
	_, ka := openKeyManager(t, app)

	test.Tap(ka.lookupButton)
	test.Type(ka.lookupAddress, "carol@example.com")
	test.Tap(ka.lookupGo)
	call := b.next(t, "LookupKeys")
	test.Tap(ka.lookupProgress.cancelButton)
	if err := call.ctx.Err(); !errors.Is(err, context.Canceled) {
		t.Fatalf("lookup context after Cancel got = %v, want it cancelled", err)
	}
	app.tasks.wait()
	checkActivity(t, "lookup", ka.lookupProgress, "", false)
	if got, want := ka.lookupResult.Text, "Stopped looking up carol@example.com."; got != want || ka.lookupNotice.hasActions() {
		t.Errorf("result got = %q (actions %v), want %q without actions", got, ka.lookupNotice.hasActions(), want)
	}
	if ka.lookupGo.Disabled() || ka.open == nil {
		t.Errorf("after Cancel: Look up disabled %v, dialog open %v; want Look up enabled in the open dialog", ka.lookupGo.Disabled(), ka.open != nil)
	}
}

func TestKeyManagerGenerateShowsProgress(t *testing.T) {
	test.NewTempApp(t)
	app, b := openHeld(t)
	km, ka := openKeyManager(t, app)

	test.Tap(ka.generateButton)
	ka.genEmail.SetText("carol@example.com")
	test.Tap(ka.genButton)
	call := b.next(t, "GenerateKey")
	checkActivity(t, "generate", km.progress, "Generating your key…", false)
	test.Tap(ka.generateButton) // a second generation must wait for the first
	ka.genEmail.SetText("dana@example.com")
	test.Tap(ka.genButton)
	if want := "The key manager is busy with another key: generate when it is done."; km.status.Text != want {
		t.Errorf("generate while generating got = %q, want %q", km.status.Text, want)
	}
	ka.close()
	call.reply <- heldReply{found: carolFound}
	app.tasks.wait()
	checkActivity(t, "generate", km.progress, "", false)
	if !strings.HasPrefix(km.status.Text, "Generated Carol <carol@example.com>") {
		t.Errorf("status got = %q, want the generated key named", km.status.Text)
	}
}
