package ui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sealpost/sealpost/mail/backend"
)

// sendEntry is a text entry in which Ctrl+Enter sends the message (a
// focused entry receives shortcuts before the window does).
type sendEntry struct {
	widget.Entry
	onSend func()
	// onSave, when set, saves the draft on Ctrl+S.
	onSave func()
	// complete, when set, takes the field's first address suggestion and
	// reports whether there was one; suggesting reports whether there is.
	complete   func() bool
	suggesting func() bool
}

func newSendEntry(multiLine bool, onSend func()) *sendEntry {
	e := &sendEntry{onSend: onSend}
	e.MultiLine = multiLine
	if multiLine {
		e.Wrapping = fyne.TextWrapWord
	}
	e.ExtendBaseWidget(e)
	return e
}

// TypedShortcut sends on Ctrl+Enter, saves the draft on Ctrl+S and leaves
// other shortcuts to the entry.
func (e *sendEntry) TypedShortcut(s fyne.Shortcut) {
	switch {
	case isSendShortcut(s):
		e.onSend()
	case isSaveShortcut(s) && e.onSave != nil:
		e.onSave()
	default:
		e.Entry.TypedShortcut(s)
	}
}

// AcceptsTab keeps Tab in an address field while it shows a suggestion,
// so that Tab completes instead of moving the focus.
func (e *sendEntry) AcceptsTab() bool {
	return e.MultiLine || (e.suggesting != nil && e.suggesting())
}

// TypedKey completes the address being typed on Tab or Enter when there is
// a suggestion, and otherwise types as usual.
func (e *sendEntry) TypedKey(k *fyne.KeyEvent) {
	switch k.Name {
	case fyne.KeyTab, fyne.KeyReturn, fyne.KeyEnter:
		if !e.MultiLine && e.complete != nil && e.complete() {
			return
		}
	}
	e.Entry.TypedKey(k)
}

func isSaveShortcut(s fyne.Shortcut) bool {
	c, ok := s.(*desktop.CustomShortcut)
	return ok && c.Modifier == fyne.KeyModifierShortcutDefault && c.KeyName == fyne.KeyS
}

func isSendShortcut(s fyne.Shortcut) bool {
	c, ok := s.(*desktop.CustomShortcut)
	return ok && c.Modifier == fyne.KeyModifierShortcutDefault && (c.KeyName == fyne.KeyReturn || c.KeyName == fyne.KeyEnter)
}

// chip is a recipient as the composer shows it.
type chip struct {
	address string // as typed, "Name <a@b>" or "a@b"
	email   string // the bare address, lower case; empty when invalid
	state   string // a chip constant
}

// composer is the message composer in its own window.
type composer struct {
	ui     *App
	window fyne.Window
	ctx    context.Context
	cancel context.CancelFunc

	from                 *widget.Select
	to, cc, bcc, subject *sendEntry
	body                 *sendEntry
	toChips, ccChips     *fyne.Container
	bccChips             *fyne.Container
	chips                []chip
	states               map[string]backend.KeyState // lower-case address -> key
	lookups              int                         // generation of the latest key lookup
	encrypt, sign        *widget.Check
	encryptTouched       bool
	summary, status      *widget.Label
	notice               *notice // status with a problem's actions (Open settings, Retry)
	sendButton           *widget.Button
	offer                *fyne.Container
	offerText            *widget.Label
	passwordButton       *widget.Button
	plainButton          *widget.Button
	password             *widget.Entry
	sendPasswordButton   *widget.Button
	inReplyTo            string
	references           []string
	sending              bool
	passwordRow          *fyne.Container

	// sendProgress shows a running send with its Cancel; lookupProgress a
	// running network key lookup (or the import that looks up again) with
	// its Cancel. One lookup runs at a time.
	sendProgress, lookupProgress *activity

	// known are the addresses completion suggests, from the accounts and
	// the keys; matches and boxes are each address field's suggestions
	// and the buttons showing them under the field.
	known   []contact
	matches map[*sendEntry][]contact
	boxes   map[*sendEntry]*fyne.Container
	// chipScrolls hold each field's chips, hidden while there are none.
	chipScrolls map[*fyne.Container]*container.Scroll

	// found shows what a network key lookup found, with importButton to
	// confirm the import.
	found        *widget.PopUp
	foundText    *widget.Label
	importButton *widget.Button

	// attached are the files that go with the message, listed in
	// attachList; open is the file dialog, replaced in tests.
	attached     []backend.Attachment
	attachList   *fyne.Container
	attachButton *widget.Button
	open         openFunc

	// saved is the saved-draft state (see drafts.go).
	saved draftState
	// deliveryState is how mail to the recipients' domains will travel
	// (see delivery.go).
	deliveryState deliveryState
}

// maxAttachments is the most the attachments of one message may add up
// to: mail servers commonly refuse messages above 25 MB, and base64 adds a
// third.
const maxAttachments = 18 << 20

// errTooLarge is returned when a file would make the attachments larger
// than maxAttachments.
var errTooLarge = fmt.Errorf("attachments may add up to at most %d MB: mail servers refuse larger messages", maxAttachments>>20)

// openFunc asks for a file to attach and reads it. done runs on the UI
// goroutine with the file's name and content, or the error; with an empty
// name and no error when the user cancelled.
type openFunc func(done func(name string, data []byte, err error))

// newComposer opens a composer window for d, sending from account (the
// first account when empty).
//
// Its window is titled by the subject, as a mail client's composers are,
// so that several open ones can be told apart.
func (ui *App) newComposer(accounts []backend.Account, account string, d backend.Draft) *composer {
	c := &composer{ui: ui, states: map[string]backend.KeyState{}, inReplyTo: d.InReplyTo, references: d.References}
	c.open = c.openWithDialog
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.window = ui.sideWindow("New message", func() { c.cancel(); c.stopAutosave(); c.stopDelivery(); delete(ui.composers, c) })
	if ui.composers == nil {
		ui.composers = map[*composer]struct{}{}
	}
	ui.composers[c] = struct{}{}
	c.saved.after = afterFunc
	c.deliveryState = deliveryState{found: map[string]backend.DeliveryFinding{}, pending: map[string]bool{}, after: afterFunc}

	var froms []string
	for _, a := range accounts {
		froms = append(froms, a.Email)
	}
	c.from = widget.NewSelect(froms, func(string) { c.lookupKeys() })
	c.from.PlaceHolder = "No account yet"
	c.to = newSendEntry(false, c.send)
	c.to.SetPlaceHolder("name@example.org, …")
	c.cc = newSendEntry(false, c.send)
	c.subject = newSendEntry(false, c.send)
	c.body = newSendEntry(true, c.send)
	c.to.SetText(strings.Join(d.To, ", "))
	c.cc.SetText(strings.Join(d.Cc, ", "))
	c.subject.SetText(d.Subject)
	c.body.SetText(d.Body)
	c.bcc = newSendEntry(false, c.send)
	c.bcc.SetText(strings.Join(d.Bcc, ", "))
	// The chips wrap onto more rows, so that every button stays on screen
	// however many recipients there are.
	c.toChips, c.ccChips, c.bccChips = c.newChipBox(), c.newChipBox(), c.newChipBox()
	c.chipScrolls = map[*fyne.Container]*container.Scroll{}
	for _, box := range []*fyne.Container{c.toChips, c.ccChips, c.bccChips} {
		c.newChipScroll(box)
	}
	c.matches, c.boxes = map[*sendEntry][]contact{}, map[*sendEntry]*fyne.Container{}
	for _, e := range []*sendEntry{c.to, c.cc, c.bcc} {
		c.boxes[e] = container.NewVBox()
		c.boxes[e].Hide()
		e.OnChanged = func(string) { c.lookupKeys(); c.suggest(e); c.changed(); c.scheduleDelivery() }
		e.complete = func() bool { return c.completeFirst(e) }
		e.suggesting = func() bool { return len(c.matches[e]) > 0 }
	}
	c.subject.OnChanged = func(subject string) { c.window.SetTitle(composerTitle(subject)); c.changed() }
	c.window.SetTitle(composerTitle(d.Subject))
	c.body.OnChanged = func(string) { c.changed() }
	for _, e := range []*sendEntry{c.to, c.cc, c.bcc, c.subject, c.body} {
		e.onSave = c.saveDraftNow
	}
	c.loadContacts(accounts)

	c.encrypt = widget.NewCheck("Encrypt", func(bool) { c.encryptTouched = true; c.update(); c.changed() })
	c.sign = widget.NewCheck("Sign", nil)
	c.sign.SetChecked(true)
	c.sign.OnChanged = func(bool) { c.update(); c.changed() }
	c.summary = widget.NewLabel("")
	c.summary.Wrapping = fyne.TextWrapWord
	c.status = widget.NewLabel("")
	c.status.Wrapping = fyne.TextWrapWord
	c.notice = newNotice(c.status, c.relayout)
	c.notice.window = c.window
	c.sendProgress, c.lookupProgress = newActivity(c.relayout), newActivity(c.relayout)
	c.sendButton = widget.NewButtonWithIcon("Send", theme.MailSendIcon(), c.send)
	c.sendButton.Importance = widget.HighImportance

	c.offerText = widget.NewLabel("")
	c.offerText.Wrapping = fyne.TextWrapWord
	c.passwordButton = widget.NewButton("Encrypt with a password…", c.askPassword)
	c.plainButton = widget.NewButton("Send without encryption", c.sendUnencrypted)
	c.password = widget.NewPasswordEntry()
	c.password.SetPlaceHolder("Password to share with the recipients by phone or in person")
	c.sendPasswordButton = widget.NewButton("Send with password", c.sendWithPassword)
	c.passwordRow = container.NewBorder(nil, nil, nil, c.sendPasswordButton, c.password)
	c.passwordRow.Hide()
	c.offer = container.NewVBox(c.offerText,
		container.NewHBox(c.passwordButton, c.plainButton, widget.NewButton("Back to editing", c.hideOffer)), c.passwordRow)
	c.offer.Hide()

	c.attachButton = widget.NewButtonWithIcon("Attach…", theme.MailAttachmentIcon(), c.attach)
	c.attachList = container.NewVBox()
	for _, a := range d.Attachments {
		c.addAttachment(a.Filename, a.Data)
	}
	c.window.SetOnDropped(c.dropped)

	form := widget.NewForm(
		widget.NewFormItem("From", c.from),
		widget.NewFormItem("To", container.NewVBox(c.to, c.boxes[c.to], c.chipScrolls[c.toChips])),
		widget.NewFormItem("Cc", container.NewVBox(c.cc, c.boxes[c.cc], c.chipScrolls[c.ccChips])),
		widget.NewFormItem("Bcc", container.NewVBox(c.bcc, c.boxes[c.bcc], c.chipScrolls[c.bccChips])),
		widget.NewFormItem("Subject", c.subject),
	)
	buttons := container.NewHBox(c.sendButton)
	if c.drafts() != nil {
		c.saved.saveButton = widget.NewButtonWithIcon("Save draft", theme.DocumentSaveIcon(), c.saveDraftNow)
		buttons = container.NewHBox(c.saved.saveButton, c.sendButton)
		c.window.Canvas().AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyS, Modifier: fyne.KeyModifierShortcutDefault},
			func(fyne.Shortcut) { c.saveDraftNow() })
	}
	c.window.SetCloseIntercept(c.requestClose)
	actions := container.NewBorder(nil, nil, container.NewVBox(container.NewHBox(c.encrypt, c.sign)), container.NewVBox(buttons), c.summary)
	attachBar := container.NewBorder(nil, nil, container.NewVBox(c.attachButton), nil, c.attachList)
	bottom := container.NewVBox(attachBar, c.offer, actions, c.sendProgress.box, c.notice.content)
	c.window.SetContent(container.NewBorder(container.NewVBox(form, c.lookupProgress.box), bottom, nil, nil, c.body))
	fitWindow(c.window, fyne.NewSize(720, 560))
	for _, key := range []fyne.KeyName{fyne.KeyReturn, fyne.KeyEnter} {
		c.window.Canvas().AddShortcut(&desktop.CustomShortcut{KeyName: key, Modifier: fyne.KeyModifierShortcutDefault},
			func(fyne.Shortcut) { c.send() })
	}
	if account == "" && len(froms) > 0 {
		account = froms[0]
	}
	if account != "" {
		c.from.SetSelected(account) // starts the key lookup
	} else {
		c.lookupKeys()
	}
	c.scheduleDelivery()
	c.window.Show()
	c.saved.ready = true
	if len(d.To) == 0 {
		c.window.Canvas().Focus(c.to)
	} else {
		c.window.Canvas().Focus(c.body)
	}
	return c
}

// parseRecipients splits an address field into chips.
func parseRecipients(field string) []chip {
	var out []chip
	for _, part := range strings.FieldsFunc(field, func(r rune) bool { return r == ',' || r == ';' }) {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		ch := chip{address: part, state: chipInvalid}
		if a, err := mail.ParseAddress(part); err == nil {
			ch.email, ch.state = strings.ToLower(a.Address), chipChecking
		}
		out = append(out, ch)
	}
	return out
}

// lookupKeys asks the engine, off the UI goroutine, which key every
// recipient and the sender have; the latest lookup wins.
func (c *composer) lookupKeys() {
	c.lookups++
	gen := c.lookups
	addrs := []string{}
	if c.from.Selected != "" {
		addrs = append(addrs, strings.ToLower(c.from.Selected))
	}
	for _, ch := range c.recipients() {
		if ch.email != "" {
			addrs = append(addrs, ch.email)
		}
	}
	c.update()
	var states []backend.KeyState
	c.ui.tasks.run(c.ui.context(), func(ctx context.Context) (err error) { states, err = c.ui.backend.KeyStates(ctx, addrs); return err }, func(err error) {
		if gen != c.lookups {
			return
		}
		if err != nil {
			c.status.SetText(readable(fmt.Errorf("checking the recipients' keys: %w", err)))
			return
		}
		for _, s := range states {
			c.states[strings.ToLower(s.Address)] = s
		}
		c.update()
	})
}

// recipients are the chips of To, Cc and Bcc, in that order.
func (c *composer) recipients() []chip {
	return append(append(parseRecipients(c.to.Text), parseRecipients(c.cc.Text)...), parseRecipients(c.bcc.Text)...)
}

// update redraws the chips, the toggles and the sentence from the state.
func (c *composer) update() {
	c.chips = nil
	for _, f := range []struct {
		entry *sendEntry
		box   *fyne.Container
	}{{c.to, c.toChips}, {c.cc, c.ccChips}, {c.bcc, c.bccChips}} {
		list := parseRecipients(f.entry.Text)
		for i := range list {
			if s, ok := c.states[list[i].email]; ok && list[i].email != "" {
				list[i].state = chipState(s.Verification)
			}
		}
		c.chips = append(c.chips, list...)
		c.fillChips(f.entry, f.box, list)
	}

	if !c.encryptTouched {
		c.encrypt.Checked = len(c.chips) > 0 && len(c.missing()) == 0
		c.encrypt.Refresh()
	}
	if c.encrypt.Checked {
		c.sign.Checked = true
		c.sign.Disable()
	} else {
		c.sign.Enable()
	}
	c.sign.Refresh()
	c.summary.SetText(c.describe())
}

// missing lists the recipients without a usable key (or not checked yet).
func (c *composer) missing() []string {
	var out []string
	for _, ch := range c.chips {
		if ch.state != chipOwn && ch.state != chipVerified && ch.state != chipUnverified {
			out = append(out, ch.address)
		}
	}
	return out
}

// ownKey names the sender's own key, or "" when there is none.
func (c *composer) ownKey() string {
	s, ok := c.states[strings.ToLower(c.from.Selected)]
	if !ok || s.Verification != backend.VerificationOwn {
		return ""
	}
	g := backend.GroupFingerprint(s.Fingerprint)
	return "your key " + g[:min(len(g), 9)]
}

// describe says in words what Send will do.
func (c *composer) describe() string {
	n := len(c.chips)
	own := c.ownKey()
	signed := "signed with " + own
	if own == "" {
		signed = "but you have no key of your own to sign with: create one in Keys"
	}
	switch {
	case n == 0:
		return "Add at least one recipient."
	case c.encrypt.Checked && len(c.missing()) > 0:
		return fmt.Sprintf("No key for %s: Send will stop and let you choose a password or no encryption.", strings.Join(c.missing(), ", "))
	case c.encrypt.Checked:
		return fmt.Sprintf("Encrypted to %s and you, %s.", plural(n, "recipient"), signed)
	case c.sign.Checked:
		return fmt.Sprintf("Not encrypted: anyone on the way can read it; %s. Send asks you to confirm.", signed)
	}
	return "Not encrypted and not signed: anyone on the way can read or change it. Send asks you to confirm."
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func (c *composer) draft() (backend.Draft, error) {
	d := backend.Draft{Subject: c.subject.Text, Body: c.body.Text, InReplyTo: c.inReplyTo, References: c.references,
		Attachments: append([]backend.Attachment(nil), c.attached...)}
	for _, ch := range c.chips {
		if ch.email == "" {
			return d, fmt.Errorf("%q is not an e-mail address", ch.address)
		}
	}
	for _, ch := range parseRecipients(c.to.Text) {
		d.To = append(d.To, ch.address)
	}
	for _, ch := range parseRecipients(c.cc.Text) {
		d.Cc = append(d.Cc, ch.address)
	}
	for _, ch := range parseRecipients(c.bcc.Text) {
		d.Bcc = append(d.Bcc, ch.address)
	}
	if len(d.To)+len(d.Cc)+len(d.Bcc) == 0 {
		return d, errors.New("add at least one recipient")
	}
	if c.from.Selected == "" {
		return d, errors.New("there is no account to send from: add one in Settings, Accounts")
	}
	return d, nil
}

// send is the Send action. It only ever sends encrypted; anything else
// needs an explicit choice in the offer below.
func (c *composer) send() {
	if c.sending {
		return
	}
	if _, err := c.draft(); err != nil {
		c.status.SetText(readable(err))
		return
	}
	if missing := c.missing(); len(missing) > 0 {
		c.showOffer(fmt.Sprintf("No key for %s: nothing was sent. Encrypt with a password you share with them out of band, or send without encryption on purpose.",
			strings.Join(missing, ", ")))
		return
	}
	if !c.encrypt.Checked {
		c.showOffer("Encryption is off: nothing was sent. Choose how to send it.")
		return
	}
	c.submit(backend.Security{Mode: backend.ModeEncrypt})
}

func (c *composer) showOffer(text string) {
	c.offerText.SetText(text)
	c.status.SetText(text)
	c.passwordRow.Hide()
	c.offer.Show()
}

func (c *composer) hideOffer() {
	c.offer.Hide()
	c.status.SetText("")
}

func (c *composer) askPassword() {
	c.passwordRow.Show()
	c.window.Canvas().Focus(c.password)
}

func (c *composer) sendWithPassword() {
	if c.password.Text == "" {
		c.status.SetText("Enter the password you will share with the recipients.")
		return
	}
	c.submit(backend.Security{Mode: backend.ModePassword, Password: []byte(c.password.Text)})
}

// sendUnencrypted is the explicit choice to send readable mail: signed
// when Sign is on.
func (c *composer) sendUnencrypted() {
	mode := backend.ModePlain
	if c.sign.Checked {
		mode = backend.ModeSign
	}
	c.submit(backend.Security{Mode: mode})
}

func (c *composer) submit(sec backend.Security) {
	d, err := c.draft()
	if err != nil {
		c.status.SetText(readable(err))
		return
	}
	c.sending = true
	c.sendButton.Disable()
	c.offer.Hide()
	c.notice.clear()
	c.status.SetText("")
	// Only Cancel stops a send: closing the window or locking must not cut
	// a submission off mid-transfer, which would leave the message
	// uncertain (and a retry might deliver it twice).
	ctx, stop := context.WithCancel(context.Background())
	c.sendProgress.start("Sending…", stop)
	from := c.from.Selected
	c.ui.tasks.run(ctx, func(ctx context.Context) error { return c.ui.backend.Send(ctx, from, d, sec) }, func(err error) {
		stopped := ctx.Err() != nil
		c.sending = false
		c.sendButton.Enable()
		c.sendProgress.finish()
		var missing *backend.MissingKeysError
		switch {
		case errors.As(err, &missing):
			c.lookupKeys()
			c.showOffer(readable(err))
		case errors.Is(err, backend.ErrKeptInOutbox):
			// Sealed in the outbox: Send here again would queue a copy.
			c.deleteSentDraft()
			if v := c.ui.main; v != nil {
				v.keptInOutbox(err)
			}
			c.window.Close()
		case err != nil && stopped && errors.Is(err, context.Canceled):
			c.status.SetText(sendStopped)
		case err != nil:
			c.notice.showError("Not sent: ", err, errorActions{settings: c.ui.showAccountSettings})
		default:
			c.status.SetText("Sent.")
			c.deleteSentDraft()
			if v := c.ui.main; v != nil {
				v.status.SetText("Sent.")
				v.loadOutbox("")
			}
			c.window.Close()
		}
	})
}

// requireEncryption turns encryption on as the message's starting point
// (a forward of encrypted mail), not as an edit of the user's.
func (c *composer) requireEncryption() {
	c.encryptTouched = true
	c.encrypt.Checked = true
	c.encrypt.Refresh()
	c.update()
}

// sendStopped is what the composer says after the user cancelled a send.
// The engine seals a message in the outbox before it connects, and the
// connection is the only step a cancel stops, so a cancelled send is
// always kept there.
const sendStopped = "Sending stopped. The message is kept in the outbox, sealed on this computer: retry or discard it there. " +
	"Send here would queue a second copy."

// activity shows work that is running: what it does, an infinite progress
// bar and, when the work can be stopped, a Cancel button. It is hidden,
// taking no room, while nothing runs.
type activity struct {
	box          *fyne.Container
	label        *widget.Label
	bar          *widget.ProgressBarInfinite
	cancelButton *widget.Button
	stop         context.CancelFunc
	// resized runs after the activity appeared or went, to lay its window
	// out again.
	resized func()
}

// newActivity returns a hidden activity; resized lays its window out again.
func newActivity(resized func()) *activity {
	a := &activity{label: widget.NewLabel(""), bar: widget.NewProgressBarInfinite(), resized: resized}
	a.cancelButton = widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), a.cancel)
	a.box = container.NewBorder(nil, nil, a.label, a.cancelButton, a.bar)
	a.bar.Hide() // a hidden bar does not animate
	a.box.Hide()
	return a
}

// start shows text and the running bar, with a Cancel that calls stop;
// without stop there is no Cancel.
func (a *activity) start(text string, stop context.CancelFunc) {
	a.label.SetText(text)
	a.stop = stop
	a.cancelButton.Enable()
	a.cancelButton.Hidden = stop == nil
	a.bar.Show()
	a.box.Show()
	a.resized()
}

// cancel is the Cancel action: it stops the work, whose end then calls
// finish.
func (a *activity) cancel() {
	if a.stop != nil {
		a.stop()
		a.cancelButton.Disable()
	}
}

// finish hides the activity once the work has ended and releases the
// work's context.
func (a *activity) finish() {
	if a.stop != nil {
		a.stop()
		a.stop = nil
	}
	a.bar.Hide()
	a.box.Hide()
	a.resized()
}

// running reports whether the activity is shown.
func (a *activity) running() bool { return a.box.Visible() }

// attach is the Attach… action.
func (c *composer) attach() {
	c.open(func(name string, data []byte, err error) {
		switch {
		case err != nil:
			c.status.SetText(readable(err))
		case name != "":
			c.addAttachment(name, data)
		}
	})
}

// openWithDialog asks for a file with Fyne's open dialog and reads it off
// the UI goroutine.
func (c *composer) openWithDialog(done func(string, []byte, error)) {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			done("", nil, err)
			return
		}
		c.read(r, done)
	}, c.window)
	d.Show()
}

// dropped attaches the files dropped onto the composer window.
func (c *composer) dropped(_ fyne.Position, uris []fyne.URI) {
	for _, u := range uris {
		r, err := storage.Reader(u)
		if err != nil {
			c.status.SetText(readable(fmt.Errorf("cannot attach %s: %w", u.Name(), err)))
			continue
		}
		c.read(r, func(name string, data []byte, err error) {
			if err != nil {
				c.status.SetText(readable(err))
				return
			}
			c.addAttachment(name, data)
		})
	}
}

// read reads a file to attach off the UI goroutine, refusing files that
// would exceed maxAttachments.
func (c *composer) read(r fyne.URIReadCloser, done func(string, []byte, error)) {
	name := r.URI().Name()
	var data []byte
	c.ui.tasks.run(c.ui.context(), func(ctx context.Context) (err error) {
		defer r.Close()
		data, err = io.ReadAll(io.LimitReader(r, maxAttachments+1))
		if err != nil {
			return fmt.Errorf("reading %s: %w", name, err)
		}
		if len(data) > maxAttachments {
			return fmt.Errorf("%s: %w", name, errTooLarge)
		}
		return nil
	}, func(err error) {
		if err != nil {
			done("", nil, err)
			return
		}
		done(name, data, nil)
	})
}

// addAttachment adds a file to the message, unless the attachments would
// grow too large.
func (c *composer) addAttachment(name string, data []byte) {
	total := len(data)
	for _, a := range c.attached {
		total += len(a.Data)
	}
	if total > maxAttachments {
		c.status.SetText(readable(fmt.Errorf("%s was not attached: %w", name, errTooLarge)))
		return
	}
	c.attached = append(c.attached, backend.Attachment{Filename: name, Size: len(data), Data: data})
	c.showAttachments()
	c.changed()
}

// removeAttachment takes the i-th attachment off the message.
func (c *composer) removeAttachment(i int) {
	if i < len(c.attached) {
		c.attached = append(c.attached[:i], c.attached[i+1:]...)
		c.showAttachments()
		c.changed()
	}
}

// showAttachments lists the attachments, each with a remove button.
func (c *composer) showAttachments() {
	c.attachList.RemoveAll()
	for i, a := range c.attached {
		remove := widget.NewButtonWithIcon("", theme.DeleteIcon(), func() { c.removeAttachment(i) })
		c.attachList.Add(container.NewBorder(nil, nil, nil, remove,
			widget.NewLabel(fmt.Sprintf("%s  (%s)", a.Filename, byteSize(a.Size)))))
	}
}

// contact is an address completion can suggest.
type contact struct {
	email   string // lower case
	display string // "Name <email>" when a key names it, else the email
}

// maxSuggestions is how many completions a field shows at most.
const maxSuggestions = 5

// loadContacts collects, off the UI goroutine, the addresses completion
// suggests: the accounts' and those on the keys.
func (c *composer) loadContacts(accounts []backend.Account) {
	var keys []backend.KeyInfo
	c.ui.tasks.run(c.ui.context(), func(ctx context.Context) (err error) { keys, err = c.ui.backend.ListKeys(ctx); return err }, func(err error) {
		if err != nil {
			c.status.SetText(readable(fmt.Errorf("address completion is off: %w", err)))
		}
		c.known = contactsOf(accounts, keys)
	})
}

// contactsOf lists each address of the accounts and keys once, with the
// first user ID that names it.
func contactsOf(accounts []backend.Account, keys []backend.KeyInfo) []contact {
	seen := map[string]bool{}
	var out []contact
	add := func(email, display string) {
		email = strings.ToLower(email)
		if email == "" || seen[email] {
			return
		}
		seen[email] = true
		out = append(out, contact{email: email, display: display})
	}
	for _, a := range accounts {
		add(a.Email, a.Email)
	}
	for _, k := range keys {
		for _, email := range k.Emails {
			display := email
			for _, id := range k.UserIDs {
				if a, err := mail.ParseAddress(id); err == nil && strings.EqualFold(a.Address, email) && a.Name != "" {
					display = id
					break
				}
			}
			add(email, display)
		}
	}
	return out
}

// typing splits an address field into what comes before the address being
// typed (up to and including the last separator) and that address.
func typing(field string) (before, current string) {
	i := strings.LastIndexAny(field, ",;")
	return field[:i+1], strings.TrimSpace(field[i+1:])
}

// suggestions lists the contacts whose address or name contains what is
// being typed in field, leaving out those already in it.
func suggestions(known []contact, field string) []contact {
	before, current := typing(field)
	current = strings.ToLower(current)
	if current == "" {
		return nil
	}
	present := map[string]bool{}
	for _, ch := range parseRecipients(before) {
		present[ch.email] = true
	}
	var out []contact
	for _, k := range known {
		if present[k.email] || k.email == current || !strings.Contains(strings.ToLower(k.display), current) {
			continue
		}
		if out = append(out, k); len(out) == maxSuggestions {
			break
		}
	}
	return out
}

// suggest shows field's completions under it, one button each.
func (c *composer) suggest(field *sendEntry) {
	c.matches[field] = suggestions(c.known, field.Text)
	box := c.boxes[field]
	box.RemoveAll()
	for _, k := range c.matches[field] {
		b := widget.NewButton(k.display, func() { c.completeWith(field, k) })
		b.Alignment = widget.ButtonAlignLeading
		b.Importance = widget.LowImportance
		box.Add(b)
	}
	if box.Hidden != (len(box.Objects) == 0) {
		box.Hidden = len(box.Objects) == 0
		c.relayout()
	}
	box.Refresh()
}

// completeFirst completes field with its first suggestion, if any.
func (c *composer) completeFirst(field *sendEntry) bool {
	if len(c.matches[field]) == 0 {
		return false
	}
	c.completeWith(field, c.matches[field][0])
	return true
}

// completeWith replaces the address being typed in field with k and starts
// the next one.
func (c *composer) completeWith(field *sendEntry, k contact) {
	before, _ := typing(field.Text)
	if before != "" {
		before += " "
	}
	text := before + k.display + ", "
	field.SetText(text)
	field.CursorColumn = len([]rune(text))
	field.Refresh()
	c.window.Canvas().Focus(field)
}

// composerTitle is the title of a composer's window whose subject is
// subject.
func composerTitle(subject string) string {
	subject = strings.Join(strings.Fields(subject), " ")
	if subject == "" {
		subject = "New message"
	}
	return subject + " – Sealpost"
}
