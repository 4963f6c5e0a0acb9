package ui

import (
	"fmt"
	"io"
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
	list   *widget.List
	status *widget.Label

	importButton, pasteButton *widget.Button
	actions                   *keyActions // generate, export, back up, revoke, look up; nil if unsupported

	// The fingerprint comparison dialog while it is open.
	verifying                *backend.KeyInfo
	verifyDialog             dialog.Dialog
	verifyQR                 *canvas.Image // the fingerprint as a QR code; nil if it could not be encoded
	matchButton, ditchButton *widget.Button
}

// showKeyManager opens the key manager window (or raises it).
func (ui *App) showKeyManager() {
	if ui.keyManager != nil {
		ui.keyManager.window.RequestFocus()
		return
	}
	km := &keyManager{ui: ui}
	ui.keyManager = km
	km.window = ui.sideWindow("Keys", func() { ui.keyManager = nil })
	km.status = widget.NewLabel("Loading keys…")
	km.status.Wrapping = fyne.TextWrapWord
	km.importButton = widget.NewButtonWithIcon("Import from file…", theme.FolderOpenIcon(), km.importFile)
	km.pasteButton = widget.NewButtonWithIcon("Import from clipboard", theme.ContentPasteIcon(), km.importClipboard)
	km.list = widget.NewList(func() int { return len(km.keys) }, newKeyRow, func(id widget.ListItemID, o fyne.CanvasObject) {
		if id < len(km.keys) {
			k := km.keys[id]
			o.(*keyRow).show(k, func() { km.askVerify(k) })
		}
	})
	km.actions = newKeyActions(km)
	if km.actions != nil {
		km.list.OnSelected = km.actions.selected
	}
	top := km.actions.toolbar(container.NewHBox(km.importButton, km.pasteButton))
	km.window.SetContent(container.NewBorder(top, km.status, nil, nil, km.list))
	km.window.Resize(fyne.NewSize(760, 480))
	km.window.Show()
	km.reload("")
}

// reload lists the keys again and then shows message (or a count).
func (km *keyManager) reload(message string) {
	var keys []backend.KeyInfo
	km.ui.tasks.run(func() (err error) { keys, err = km.ui.backend.ListKeys(); return err }, func(err error) {
		if err != nil {
			km.status.SetText(readable(err))
			return
		}
		km.keys = keys
		km.list.Refresh()
		if message == "" {
			message = fmt.Sprintf("%s: own keys first, then your contacts'.", plural(len(keys), "key"))
			if len(keys) == 0 {
				message = "No keys yet. Import your contacts' public keys from a file or the clipboard."
			}
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
		km.ui.tasks.run(func() error {
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
	km.ui.tasks.run(func() (err error) { imported, err = km.ui.backend.ImportKeys(data); return err }, func(err error) {
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
	content.Add(container.NewHBox(km.ditchButton, km.matchButton))
	km.verifyDialog = dialog.NewCustomWithoutButtons("Compare fingerprints", content, km.window)
	km.verifyDialog.Resize(fyne.NewSize(560, 500))
	km.verifyDialog.Show()
}

func (km *keyManager) closeVerify() {
	km.verifyDialog.Hide()
	km.verifying = nil
}

func (km *keyManager) confirmVerify() {
	k := *km.verifying
	km.closeVerify()
	km.ui.tasks.run(func() error { _, err := km.ui.backend.VerifyKey(k.Fingerprint); return err }, func(err error) {
		if err != nil {
			km.status.SetText(readable(err))
			return
		}
		km.reload(keyName(k) + " is now verified.")
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
	fingerprint *widget.Label
	details     *widget.Label
	verify      *widget.Button
}

func newKeyRow() fyne.CanvasObject {
	r := &keyRow{
		chip:        newChip("", chipChecking),
		fingerprint: widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Monospace: true}),
		details:     widget.NewLabel(""),
		verify:      widget.NewButton("Verify…", nil),
	}
	r.details.Truncation = fyne.TextTruncateEllipsis
	r.ExtendBaseWidget(r)
	return r
}

// CreateRenderer stacks the chip, the fingerprint and the details, with
// the verify action on the right.
func (r *keyRow) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(container.NewBorder(nil, nil, nil, container.NewCenter(r.verify),
		container.NewVBox(container.NewHBox(r.chip), r.fingerprint, r.details)))
}

func (r *keyRow) show(k backend.KeyInfo, verify func()) {
	r.chip.set(keyName(k), chipState(k.Verification))
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
