package ui

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sealpost/sealpost/mail/backend"
)

// maxKeyFile bounds a key file read for import.
const maxKeyFile = 4 << 20

// keyManager is the key manager window: own keys and contacts' keys.
type keyManager struct {
	ui     *App
	window fyne.Window
	keys   []backend.KeyInfo
	// accounts are the configured accounts' addresses, for the "Make
	// default for" actions.
	accounts []string
	defaults backend.KeyDefaults // nil when the backend cannot choose default keys
	list     *widget.List
	status   *widget.Label
	notice   *notice   // the status with a problem's actions (Look up again)
	progress *activity // generating a key, importing looked-up keys

	importButton, pasteButton *widget.Button
	actions                   *keyActions // generate, export, back up, revoke, look up; nil if unsupported

	// The fingerprint comparison dialog while it is open.
	verifying                *backend.KeyInfo
	verifyDialog             dialog.Dialog
	verifyQR                 *canvas.Image // the fingerprint as a QR code; nil if it could not be encoded
	matchButton, ditchButton *widget.Button

	// historyDialog shows a contact key's history while it is open.
	historyDialog dialog.Dialog
}

// showKeyManager opens the key manager window (or raises it).
func (ui *App) showKeyManager() {
	if ui.keyManager != nil {
		ui.keyManager.window.RequestFocus()
		return
	}
	km := &keyManager{ui: ui}
	km.defaults, _ = ui.backend.(backend.KeyDefaults)
	ui.keyManager = km
	km.window = ui.sideWindow("Keys", func() { ui.keyManager = nil })
	km.status = widget.NewLabel("Loading keys…")
	km.status.Wrapping = fyne.TextWrapWord
	km.notice = newNotice(km.status, km.relayout)
	km.progress = newActivity(km.relayout)
	km.importButton = widget.NewButtonWithIcon("Import from file…", theme.FolderOpenIcon(), km.importFile)
	km.pasteButton = widget.NewButtonWithIcon("Import from clipboard", theme.ContentPasteIcon(), km.importClipboard)
	km.list = widget.NewList(func() int { return len(km.keys) }, newKeyRow, func(id widget.ListItemID, o fyne.CanvasObject) {
		if id < len(km.keys) {
			k := km.keys[id]
			o.(*keyRow).show(k, func() { km.askVerify(k) }, km.defaultChoices(k), func(account string) { km.makeDefault(k, account) })
			var history func()
			if !k.Own {
				history = func() { km.showHistory(k) }
			}
			o.(*keyRow).showChanges(keyChangeWarning(k, km.keys), history)
		}
	})
	km.actions = newKeyActions(km)
	if km.actions != nil {
		km.list.OnSelected = km.actions.selected
	}
	top := km.actions.toolbar(container.NewHBox(km.importButton, km.pasteButton))
	km.window.SetContent(container.NewBorder(top, container.NewVBox(km.progress.box, km.notice.content), nil, nil, km.list))
	fitWindow(km.window, fyne.NewSize(760, 480))
	km.window.Show()
	km.reload("")
}

// relayout lays the key manager out again after a row appeared or went.
func (km *keyManager) relayout() {
	if content := km.window.Content(); content != nil {
		content.Refresh()
	}
}

// reload lists the keys (and the accounts) again and then shows message
// (or a count), with a button for each of actions.
func (km *keyManager) reload(message string, actions ...noticeAction) {
	var keys []backend.KeyInfo
	var accounts []backend.Account
	km.ui.tasks.run(km.ui.context(), func(ctx context.Context) (err error) {
		if keys, err = km.ui.backend.ListKeys(ctx); err != nil {
			return err
		}
		accounts, err = km.ui.backend.Accounts(ctx)
		return err
	}, func(err error) {
		if err != nil {
			km.status.SetText(readable(err))
			return
		}
		km.keys = keys
		km.accounts = km.accounts[:0]
		for _, a := range accounts {
			km.accounts = append(km.accounts, a.Email)
		}
		km.list.Refresh()
		if message == "" {
			message = fmt.Sprintf("%s: own keys first, then your contacts'.", plural(len(keys), "key"))
			if len(keys) == 0 {
				message = "No keys yet. Import your contacts' public keys from a file or the clipboard."
			}
		}
		if len(actions) > 0 {
			km.notice.problem(message, actions...)
			return
		}
		km.status.SetText(message)
	})
}

func (km *keyManager) importFile() {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil {
			km.status.SetText(readable(err))
			return
		}
		if r == nil {
			return // cancelled
		}
		var data []byte
		km.ui.tasks.run(km.ui.context(), func(ctx context.Context) error {
			defer r.Close()
			data, err = io.ReadAll(io.LimitReader(r, maxKeyFile+1))
			if err == nil && len(data) > maxKeyFile {
				err = fmt.Errorf("%s is larger than %d MB: that is not a key file", r.URI().Name(), maxKeyFile>>20)
			}
			return err
		}, func(err error) {
			if err != nil {
				km.status.SetText(readable(err))
				return
			}
			km.importData(data)
		})
	}, km.window)
	d.Show()
}

func (km *keyManager) importClipboard() {
	text := km.ui.app.Clipboard().Content()
	if strings.TrimSpace(text) == "" {
		km.status.SetText("The clipboard is empty: copy an armored public key (-----BEGIN PGP PUBLIC KEY BLOCK-----) first.")
		return
	}
	km.importData([]byte(text))
}

// importData imports keys off the UI goroutine and lists them again.
func (km *keyManager) importData(data []byte) {
	km.status.SetText("Importing…")
	var imported []backend.KeyInfo
	km.ui.tasks.run(km.ui.context(), func(ctx context.Context) (err error) { imported, err = km.ui.backend.ImportKeys(ctx, data); return err }, func(err error) {
		if err != nil {
			km.status.SetText(readable(err))
			return
		}
		var names []string
		for _, k := range imported {
			names = append(names, keyName(k))
		}
		km.reload(fmt.Sprintf("Imported %s. Compare fingerprints before you mark a key verified.", strings.Join(names, ", ")))
	})
}

// askVerify opens the fingerprint comparison dialog for k.
func (km *keyManager) askVerify(k backend.KeyInfo) {
	km.verifying = &k
	groups := strings.Fields(backend.GroupFingerprint(k.Fingerprint))
	half := (len(groups) + 1) / 2
	big := widget.NewRichText(
		&widget.TextSegment{Text: strings.Join(groups[:half], "  "), Style: widget.RichTextStyle{SizeName: theme.SizeNameSubHeadingText, TextStyle: fyne.TextStyle{Monospace: true}, Alignment: fyne.TextAlignCenter}},
		&widget.TextSegment{Text: strings.Join(groups[half:], "  "), Style: widget.RichTextStyle{SizeName: theme.SizeNameSubHeadingText, TextStyle: fyne.TextStyle{Monospace: true}, Alignment: fyne.TextAlignCenter}},
	)
	explain := widget.NewLabel(fmt.Sprintf("Ask %s to read their key's fingerprint to you over a channel you trust: in person or "+
		"on a call where you recognise their voice. Mark the key verified only if every group matches.", keyName(k)))
	explain.Wrapping = fyne.TextWrapWord
	km.matchButton = widget.NewButtonWithIcon("Every group matches: mark verified", theme.ConfirmIcon(), km.confirmVerify)
	km.matchButton.Importance = widget.HighImportance
	km.ditchButton = widget.NewButton("They differ or I cannot check now", km.closeVerify)
	content := container.NewVBox(widget.NewLabelWithStyle(keyName(k), fyne.TextAlignCenter, fyne.TextStyle{Bold: true}), big)
	km.verifyQR, _ = fingerprintQRImage(k.Fingerprint) // an extra for phone apps: the groups above stay the reference
	if km.verifyQR != nil {
		content.Add(container.NewCenter(km.verifyQR))
	}
	content.Add(explain)
	km.verifyDialog = dialog.NewCustomWithoutButtons("Compare fingerprints",
		scrolled(content, container.NewHBox(km.ditchButton, km.matchButton)), km.window)
	km.verifyDialog.Resize(fitDialog(km.window, fyne.NewSize(560, 500)))
	km.verifyDialog.Show()
}

func (km *keyManager) closeVerify() {
	km.verifyDialog.Hide()
	km.verifying = nil
}

func (km *keyManager) confirmVerify() {
	k := *km.verifying
	km.closeVerify()
	km.ui.tasks.run(km.ui.context(), func(ctx context.Context) error { _, err := km.ui.backend.VerifyKey(ctx, k.Fingerprint); return err }, func(err error) {
		if err != nil {
			km.status.SetText(readable(err))
			return
		}
		km.reload(keyName(k) + " is now verified.")
	})
}

// defaultChoices are the account addresses that own key k carries and
// could become the default for: none when k is the default already (a key
// is the default for all its addresses), not usable, or the backend cannot
// choose.
func (km *keyManager) defaultChoices(k backend.KeyInfo) []string {
	if km.defaults == nil || !k.Own || k.Default || k.Usable != "" {
		return nil
	}
	var out []string
	for _, a := range km.accounts {
		if slices.ContainsFunc(k.Emails, func(e string) bool { return strings.EqualFold(e, a) }) {
			out = append(out, a)
		}
	}
	return out
}

// makeDefault makes own key k the default for account's address.
func (km *keyManager) makeDefault(k backend.KeyInfo, account string) {
	km.status.SetText("Making " + backend.GroupFingerprint(k.Fingerprint) + " the default for " + account + "…")
	km.ui.tasks.run(km.ui.context(), func(ctx context.Context) error { return km.defaults.SetDefaultKey(ctx, k.Fingerprint, account) }, func(err error) {
		if err != nil {
			km.status.SetText(readable(fmt.Errorf("the default key did not change: %w", err)))
			return
		}
		km.reload(fmt.Sprintf("Mail from %s is now signed with %s, and your own copies are encrypted to it.",
			account, backend.GroupFingerprint(k.Fingerprint)))
	})
}

func keyName(k backend.KeyInfo) string {
	if len(k.UserIDs) > 0 {
		return k.UserIDs[0]
	}
	return backend.GroupFingerprint(k.Fingerprint)
}

// keyRow is one key in the key manager.
type keyRow struct {
	widget.BaseWidget
	chip        *chipView
	defaultFor  *widget.Label // "Default for …" on the default own key
	fingerprint *widget.Label
	details     *widget.Label
	verify      *widget.Button
	makeDefault *fyne.Container // one "Make default for <account>" button per choice
	warning     *widget.Label   // another key for the same address: a key change
	history     *widget.Button
}

func newKeyRow() fyne.CanvasObject {
	r := &keyRow{
		chip:        newChip("", chipChecking),
		defaultFor:  widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		fingerprint: widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Monospace: true}),
		details:     widget.NewLabel(""),
		verify:      widget.NewButton("Verify…", nil),
		makeDefault: container.NewVBox(),
		warning:     widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		history:     widget.NewButtonWithIcon("History…", theme.HistoryIcon(), nil),
	}
	r.details.Truncation = fyne.TextTruncateEllipsis
	r.warning.Importance = widget.DangerImportance
	r.warning.Wrapping = fyne.TextWrapWord
	r.warning.Hide()
	r.ExtendBaseWidget(r)
	return r
}

// CreateRenderer stacks the chip (and the default marker), the fingerprint,
// the details and a key-change warning, with the verify, history or
// make-default actions on the right.
func (r *keyRow) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(container.NewBorder(nil, nil, nil, container.NewCenter(container.NewVBox(r.verify, r.history, r.makeDefault)),
		container.NewVBox(container.NewHBox(r.chip, r.defaultFor), r.fingerprint, r.details, r.warning)))
}

// show binds the row to k: verify opens the fingerprint comparison, and
// makeDefault(account) runs for each of choices (see defaultChoices).
func (r *keyRow) show(k backend.KeyInfo, verify func(), choices []string, makeDefault func(account string)) {
	r.chip.set(keyName(k), chipState(k.Verification))
	if k.Own && k.Default {
		r.defaultFor.SetText("Default for " + strings.Join(k.Emails, ", "))
		r.defaultFor.Show()
	} else {
		r.defaultFor.Hide()
	}
	r.makeDefault.RemoveAll()
	for _, account := range choices {
		r.makeDefault.Add(widget.NewButtonWithIcon("Make default for "+account, theme.ConfirmIcon(), func() { makeDefault(account) }))
	}
	r.fingerprint.SetText(backend.GroupFingerprint(k.Fingerprint))
	details := []string{k.Algorithm}
	if !k.CreatedAt.IsZero() {
		details = append(details, "created "+k.CreatedAt.Format("2006-01-02"))
	}
	if !k.ExpiresAt.IsZero() {
		details = append(details, "expires "+k.ExpiresAt.Format("2006-01-02"))
	}
	if k.Source != "" {
		details = append(details, "from "+k.Source)
	}
	if k.Usable != "" {
		details = append(details, "NOT USABLE: "+k.Usable)
	}
	r.details.SetText(strings.Join(details, " · "))
	r.verify.OnTapped = verify
	if k.Own || k.Verification == backend.VerificationVerified {
		r.verify.Hide()
	} else {
		r.verify.Show()
	}
	r.Refresh()
}

// showChanges shows warning (hidden when empty) and, for a contact's key,
// the History button that runs history.
func (r *keyRow) showChanges(warning string, history func()) {
	r.warning.SetText(warning)
	r.warning.Hidden = warning == ""
	r.history.OnTapped = history
	r.history.Hidden = history == nil
	r.Refresh()
}

// keyChangeWarning says, for a contact's key, which of its addresses also
// have another contact key: the sender's key changed (or someone sent a
// key in their name), so neither should be trusted before comparing
// fingerprints. It is empty for own keys and for keys without a rival.
func keyChangeWarning(k backend.KeyInfo, all []backend.KeyInfo) string {
	if k.Own {
		return ""
	}
	var shared []string
	for _, email := range k.Emails {
		for _, other := range all {
			if !other.Own && other.Fingerprint != k.Fingerprint &&
				slices.ContainsFunc(other.Emails, func(e string) bool { return strings.EqualFold(e, email) }) {
				shared = append(shared, email)
				break
			}
		}
	}
	if len(shared) == 0 {
		return ""
	}
	return "Key change: " + strings.Join(shared, ", ") + " also has another key. Compare fingerprints with the person before trusting either."
}

// showHistory shows what happened to a contact's key, newest first.
func (km *keyManager) showHistory(k backend.KeyInfo) {
	lines := make([]string, 0, len(k.History))
	for i := len(k.History) - 1; i >= 0; i-- {
		e := k.History[i]
		line := e.At.Local().Format("2006-01-02 15:04") + "  " + e.Event
		if e.Detail != "" {
			line += ": " + e.Detail
		}
		lines = append(lines, line)
	}
	if len(lines) == 0 {
		lines = append(lines, "Nothing recorded for this key.")
	}
	text := widget.NewLabel(strings.Join(lines, "\n"))
	text.Wrapping = fyne.TextWrapWord
	title := widget.NewLabelWithStyle(keyName(k)+"\n"+backend.GroupFingerprint(k.Fingerprint), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	km.historyDialog = dialog.NewCustom("Key history", "Close", container.NewBorder(title, nil, nil, nil, container.NewVScroll(text)), km.window)
	km.historyDialog.Resize(fyne.NewSize(600, 320))
	km.historyDialog.Show()
}
