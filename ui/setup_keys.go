package ui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sealpost/sealpost/mail/backend"
)

// keyLookupTimeout bounds a key lookup on the network.
const keyLookupTimeout = 45 * time.Second

// Algorithm choices of the generate dialog.
const (
	algoCurve25519 = "Curve25519 (recommended)"
	algoRSA4096    = "RSA-4096 (for old software; slow to create)"
)

// Reasons the revoke dialog offers.
var revokeReasons = []string{
	"The key is no longer used",
	"The key was replaced by a new one",
	"The secret key may have been compromised",
}

// saveFunc asks where to save data, suggesting name, and writes it there.
// done runs on the UI goroutine with where it was saved ("" when the user
// cancelled) or why it failed.
type saveFunc func(name string, data []byte, done func(where string, err error))

// keyActions are the key manager's actions beyond import and verify:
// generate, export, copy, back up, revoke and look up. Each dialog keeps
// its widgets here while it is open.
type keyActions struct {
	km    *keyManager
	setup backend.Setup
	save  saveFunc

	generateButton, importOwnButton, lookupButton *widget.Button

	// The dialog that is open, and its widgets.
	open                       dialog.Dialog
	genName, genEmail          *widget.Entry
	genAlgo                    *widget.Select
	genButton                  *widget.Button
	exportButton, copyButton   *widget.Button
	backupButton, revokeButton *widget.Button
	backupPass, backupRepeat   *widget.Entry
	backupSave                 *widget.Button
	revokeReason               *widget.Select
	revokeConfirm              *widget.Button
	lookupAddress              *widget.Entry
	lookupGo, lookupImport     *widget.Button
	lookupResult               *widget.Label
	lookupNotice               *notice   // lookupResult with Retry after a failure
	lookupProgress             *activity // the running lookup, with its Cancel
	found                      *backend.KeyLookup
	ownPass                    *widget.Entry
	ownImport                  *widget.Button
}

// newKeyActions returns the actions for km, or nil when the backend cannot
// manage own keys.
func newKeyActions(km *keyManager) *keyActions {
	setup, ok := km.ui.backend.(backend.Setup)
	if !ok {
		return nil
	}
	ka := &keyActions{km: km, setup: setup}
	ka.save = ka.saveWithDialog
	ka.generateButton = widget.NewButtonWithIcon("Generate my key…", theme.ContentAddIcon(), func() { ka.askGenerate() })
	ka.importOwnButton = widget.NewButtonWithIcon("Import my secret key…", theme.LoginIcon(), ka.importOwn)
	ka.lookupButton = widget.NewButtonWithIcon("Look up by address…", theme.SearchIcon(), func() { ka.askLookup("") })
	return ka
}

// toolbar puts the actions' buttons in a row below the key manager's
// import buttons (one row would not fit the window); without actions it
// returns imports unchanged.
func (ka *keyActions) toolbar(imports fyne.CanvasObject) fyne.CanvasObject {
	if ka == nil {
		return imports
	}
	return container.NewVBox(imports, container.NewHBox(ka.generateButton, ka.importOwnButton, ka.lookupButton))
}

// selected opens the actions for the key in row id of the list.
func (ka *keyActions) selected(id widget.ListItemID) {
	km := ka.km
	km.list.UnselectAll()
	if id < len(km.keys) {
		ka.showKeyActions(km.keys[id])
	}
}

func (ka *keyActions) show(title string, content fyne.CanvasObject, size fyne.Size) {
	ka.open = dialog.NewCustomWithoutButtons(title, content, ka.km.window)
	ka.open.Resize(size)
	ka.open.Show()
}

// close closes the open dialog, cancelling a lookup that runs in it.
func (ka *keyActions) close() {
	if ka.lookupProgress != nil {
		ka.lookupProgress.cancel()
	}
	if ka.open != nil {
		ka.open.Hide()
		ka.open = nil
	}
}

func (ka *keyActions) say(message string) { ka.km.status.SetText(message) }

// askGenerate opens the dialog that creates an own key.
func (ka *keyActions) askGenerate() {
	ka.genName = widget.NewEntry()
	ka.genName.SetPlaceHolder("Your name")
	ka.genEmail = widget.NewEntry()
	ka.genEmail.SetPlaceHolder("you@example.org")
	if v := ka.km.ui.main; v != nil && len(v.accounts) > 0 {
		ka.genName.SetText(v.accounts[0].Name)
		ka.genEmail.SetText(v.accounts[0].Email)
	}
	ka.genAlgo = widget.NewSelect([]string{algoCurve25519, algoRSA4096}, nil)
	ka.genAlgo.SetSelected(algoCurve25519)
	ka.genButton = widget.NewButtonWithIcon("Generate", theme.ConfirmIcon(), ka.generate)
	ka.genButton.Importance = widget.HighImportance
	explain := widget.NewLabel("Your key lets contacts encrypt mail to you and proves that mail signed with it is yours. " +
		"Its secret half stays sealed in your profile; back it up from the key list afterwards.")
	explain.Wrapping = fyne.TextWrapWord
	form := widget.NewForm(widget.NewFormItem("Name", ka.genName), widget.NewFormItem("Address", ka.genEmail),
		widget.NewFormItem("Algorithm", ka.genAlgo))
	ka.show("Generate my key", container.NewVBox(explain, form,
		container.NewHBox(widget.NewButton("Cancel", ka.close), ka.genButton)), fyne.NewSize(520, 320))
}

func (ka *keyActions) generate() {
	name, email := strings.TrimSpace(ka.genName.Text), strings.TrimSpace(ka.genEmail.Text)
	if email == "" || !strings.Contains(email, "@") {
		ka.say("Enter the e-mail address the key is for.")
		return
	}
	algo := backend.AlgorithmCurve25519
	if ka.genAlgo.Selected == algoRSA4096 {
		algo = backend.AlgorithmRSA4096
	}
	if ka.km.progress.running() {
		ka.say("The key manager is busy with another key: generate when it is done.")
		return
	}
	ka.close()
	ka.km.notice.clear()
	ka.say("")
	ka.km.progress.start("Generating your key…", nil) // key generation cannot be stopped
	var key backend.KeyInfo
	ka.km.ui.tasks.run(ka.km.ui.context(), func(ctx context.Context) (err error) {
		key, err = ka.setup.GenerateKey(ctx, name, email, algo)
		return err
	}, func(err error) {
		ka.km.progress.finish()
		if err != nil {
			ka.say(readable(err))
			return
		}
		ka.km.reload(fmt.Sprintf("Generated %s, fingerprint %s. Back it up: select it and choose Back up.",
			keyName(key), backend.GroupFingerprint(key.Fingerprint)))
	})
}

// showKeyActions opens what can be done with k.
func (ka *keyActions) showKeyActions(k backend.KeyInfo) {
	ka.exportButton = widget.NewButtonWithIcon("Export public key to a file…", theme.DocumentSaveIcon(), func() { ka.exportPublic(k) })
	ka.copyButton = widget.NewButtonWithIcon("Copy public key", theme.ContentCopyIcon(), func() { ka.copyPublic(k) })
	ka.backupButton = widget.NewButtonWithIcon("Back up secret key…", theme.UploadIcon(), func() { ka.askBackup(k) })
	ka.revokeButton = widget.NewButtonWithIcon("Revoke…", theme.DeleteIcon(), func() { ka.askRevoke(k) })
	ka.revokeButton.Importance = widget.DangerImportance
	items := []fyne.CanvasObject{
		widget.NewLabelWithStyle(backend.GroupFingerprint(k.Fingerprint), fyne.TextAlignCenter, fyne.TextStyle{Monospace: true}),
		ka.exportButton, ka.copyButton, ka.backupButton, ka.revokeButton, widget.NewButton("Close", ka.close),
	}
	if !k.Own {
		ka.backupButton.Hide()
	}
	if !k.Own || k.Revoked {
		ka.revokeButton.Hide()
	}
	ka.show(keyName(k), container.NewVBox(items...), fyne.NewSize(460, 300))
}

// keyFileName suggests a file name for k.
func keyFileName(k backend.KeyInfo, suffix string) string {
	who := "key"
	if len(k.Emails) > 0 {
		who = strings.NewReplacer("@", "_at_", "/", "_", "\\", "_").Replace(k.Emails[0])
	}
	return fmt.Sprintf("%s-%s%s.asc", who, k.Fingerprint[max(0, len(k.Fingerprint)-8):], suffix)
}

func (ka *keyActions) exportPublic(k backend.KeyInfo) {
	ka.close()
	var armored string
	ka.km.ui.tasks.run(ka.km.ui.context(), func(ctx context.Context) (err error) {
		armored, err = ka.setup.ExportPublicKey(ctx, k.Fingerprint)
		return err
	}, func(err error) {
		if err != nil {
			ka.say(readable(err))
			return
		}
		ka.save(keyFileName(k, ""), []byte(armored), func(where string, err error) {
			switch {
			case err != nil:
				ka.say(readable(err))
			case where != "":
				ka.say(fmt.Sprintf("Saved the public key of %s to %s.", keyName(k), where))
			}
		})
	})
}

func (ka *keyActions) copyPublic(k backend.KeyInfo) {
	ka.close()
	var armored string
	ka.km.ui.tasks.run(ka.km.ui.context(), func(ctx context.Context) (err error) {
		armored, err = ka.setup.ExportPublicKey(ctx, k.Fingerprint)
		return err
	}, func(err error) {
		if err != nil {
			ka.say(readable(err))
			return
		}
		ka.km.ui.app.Clipboard().SetContent(armored)
		ka.say(fmt.Sprintf("Copied the public key of %s to the clipboard.", keyName(k)))
	})
}

// askBackup asks for the backup passphrase twice.
func (ka *keyActions) askBackup(k backend.KeyInfo) {
	ka.close()
	ka.backupPass = widget.NewPasswordEntry()
	ka.backupPass.SetPlaceHolder(fmt.Sprintf("Backup passphrase (at least %d characters)", MinPassphraseRunes))
	ka.backupRepeat = widget.NewPasswordEntry()
	ka.backupRepeat.SetPlaceHolder("Repeat the backup passphrase")
	ka.backupSave = widget.NewButtonWithIcon("Save backup…", theme.DocumentSaveIcon(), func() { ka.backup(k) })
	ka.backupSave.Importance = widget.HighImportance
	explain := widget.NewLabel("The backup file holds your secret key, encrypted with this passphrase. Keep the file and " +
		"the passphrase apart: without the passphrase the backup cannot be opened.")
	explain.Wrapping = fyne.TextWrapWord
	ka.show("Back up "+keyName(k), container.NewVBox(explain, ka.backupPass, ka.backupRepeat,
		container.NewHBox(widget.NewButton("Cancel", ka.close), ka.backupSave)), fyne.NewSize(520, 300))
}

func (ka *keyActions) backup(k backend.KeyInfo) {
	pass, again := ka.backupPass.Text, ka.backupRepeat.Text
	switch {
	case utf8.RuneCountInString(pass) < MinPassphraseRunes:
		ka.say(fmt.Sprintf("The backup passphrase needs at least %d characters.", MinPassphraseRunes))
		return
	case pass != again:
		ka.say("The two backup passphrases differ.")
		return
	}
	ka.close()
	ka.say("Protecting the backup…")
	var armored string
	ka.km.ui.tasks.run(ka.km.ui.context(), func(ctx context.Context) (err error) {
		armored, err = ka.setup.BackupSecretKey(ctx, k.Fingerprint, []byte(pass))
		return err
	}, func(err error) {
		if err != nil {
			ka.say(readable(err))
			return
		}
		ka.save(keyFileName(k, "-secret-backup"), []byte(armored), func(where string, err error) {
			switch {
			case err != nil:
				ka.say(readable(err))
			case where == "":
				ka.say("The backup was not saved.")
			default:
				ka.say(fmt.Sprintf("Backed up the secret key of %s to %s. Keep its passphrase somewhere else.", keyName(k), where))
			}
		})
	})
}

// askRevoke asks for a reason and a confirmation.
func (ka *keyActions) askRevoke(k backend.KeyInfo) {
	ka.close()
	ka.revokeReason = widget.NewSelect(revokeReasons, nil)
	ka.revokeReason.SetSelected(revokeReasons[0])
	ka.revokeConfirm = widget.NewButtonWithIcon("Revoke this key", theme.DeleteIcon(), func() { ka.revoke(k) })
	ka.revokeConfirm.Importance = widget.DangerImportance
	explain := widget.NewLabel(fmt.Sprintf("Revoking %s cannot be undone. Sealpost will no longer sign with it, and once "+
		"your contacts have the revoked key they stop encrypting to it. You can still read mail encrypted to it.",
		backend.GroupFingerprint(k.Fingerprint)))
	explain.Wrapping = fyne.TextWrapWord
	ka.show("Revoke "+keyName(k), container.NewVBox(explain, ka.revokeReason,
		container.NewHBox(widget.NewButton("Cancel", ka.close), ka.revokeConfirm)), fyne.NewSize(520, 280))
}

func (ka *keyActions) revoke(k backend.KeyInfo) {
	reason := ka.revokeReason.Selected
	ka.close()
	ka.km.ui.tasks.run(ka.km.ui.context(), func(ctx context.Context) error { _, err := ka.setup.RevokeKey(ctx, k.Fingerprint, reason); return err }, func(err error) {
		if err != nil {
			ka.say(readable(err))
			return
		}
		ka.km.reload(fmt.Sprintf("Revoked %s. Send your contacts the revoked key: select it and export or copy it.", keyName(k)))
	})
}

// askLookup opens the dialog that looks up a contact's key on the network.
func (ka *keyActions) askLookup(address string) {
	ka.found = nil
	ka.lookupAddress = widget.NewEntry()
	ka.lookupAddress.SetPlaceHolder("contact@example.org")
	ka.lookupAddress.SetText(address)
	ka.lookupResult = widget.NewLabel("Sealpost asks the address's own domain (Web Key Directory), then keys.openpgp.org. " +
		"Nothing is imported until you confirm.")
	ka.lookupResult.Wrapping = fyne.TextWrapWord
	ka.lookupNotice = newNotice(ka.lookupResult, nil)
	ka.lookupGo = widget.NewButtonWithIcon("Look up", theme.SearchIcon(), ka.lookup)
	ka.lookupImport = widget.NewButtonWithIcon("Import as unverified", theme.DownloadIcon(), ka.importFound)
	ka.lookupImport.Importance = widget.HighImportance
	ka.lookupImport.Disable()
	ka.lookupAddress.OnSubmitted = func(string) { ka.lookup() }
	content := container.NewVBox(container.NewBorder(nil, nil, nil, ka.lookupGo, ka.lookupAddress))
	ka.lookupNotice.relayout = content.Refresh
	ka.lookupProgress = newActivity(content.Refresh)
	content.Add(ka.lookupProgress.box)
	content.Add(ka.lookupNotice.content)
	// Close, not Cancel: the running lookup has the Cancel.
	content.Add(container.NewHBox(widget.NewButton("Close", ka.close), ka.lookupImport))
	ka.show("Look up a key", content, fyne.NewSize(560, 320))
}

// lookup looks up the address entered, showing progress with a Cancel
// while it runs and Retry when it fails.
func (ka *keyActions) lookup() {
	if ka.lookupProgress.running() {
		return
	}
	address := strings.TrimSpace(ka.lookupAddress.Text)
	ka.lookupNotice.clear()
	if !strings.Contains(address, "@") {
		ka.lookupResult.SetText("Enter an e-mail address.")
		return
	}
	ka.found = nil
	ka.lookupImport.Disable()
	ka.lookupGo.Disable()
	ka.lookupResult.SetText("")
	ctx, stop := context.WithTimeout(context.Background(), keyLookupTimeout)
	ka.lookupProgress.start("Looking up "+address+"…", stop)
	var found backend.KeyLookup
	ka.km.ui.tasks.run(ctx, func(ctx context.Context) (err error) { found, err = ka.setup.LookupKeys(ctx, address); return err }, func(err error) {
		stopped := errors.Is(ctx.Err(), context.Canceled)
		ka.lookupProgress.finish()
		ka.lookupGo.Enable()
		switch {
		case err != nil && stopped:
			ka.lookupResult.SetText("Stopped looking up " + address + ".")
			return
		case err != nil:
			ka.lookupNotice.problem(lookupProblem(address, err), noticeAction{"Retry", ka.lookup})
			return
		case len(found.Keys) == 0:
			ka.lookupResult.SetText("No key found for " + address + ".")
			return
		}
		lines := []string{fmt.Sprintf("Found at %s:", found.Source)}
		for _, k := range found.Keys {
			lines = append(lines, fmt.Sprintf("%s\n  %s", keyName(k), backend.GroupFingerprint(k.Fingerprint)))
		}
		lines = append(lines, "Import only if you expected this key; compare its fingerprint with "+address+" before you mark it verified.")
		ka.lookupResult.SetText(strings.Join(lines, "\n"))
		ka.found = &found
		ka.lookupImport.Enable()
	})
}

// importFound imports the keys the lookup found, which looks the address
// up again: the key manager shows progress with a Cancel meanwhile, and
// Look up again when it fails.
func (ka *keyActions) importFound() {
	if ka.found == nil {
		return
	}
	address := strings.TrimSpace(ka.lookupAddress.Text)
	var fprs []string
	for _, k := range ka.found.Keys {
		fprs = append(fprs, k.Fingerprint)
	}
	km := ka.km
	if km.progress.running() {
		ka.lookupResult.SetText("The key manager is busy with another key: import when it is done.")
		return
	}
	ka.close()
	km.notice.clear()
	ka.say("")
	ctx, stop := context.WithTimeout(context.Background(), keyLookupTimeout)
	km.progress.start("Importing the keys of "+address+"…", stop)
	var keys []backend.KeyInfo
	km.ui.tasks.run(ctx, func(ctx context.Context) (err error) {
		keys, err = ka.setup.ImportLookedUpKeys(ctx, address, fprs)
		return err
	}, func(err error) {
		stopped := errors.Is(ctx.Err(), context.Canceled)
		km.progress.finish()
		switch {
		case err != nil && stopped:
			km.reload("Stopped importing the keys of " + address + ".")
		case err != nil:
			km.reload(lookupProblem(address, err), noticeAction{"Look up again", func() { ka.askLookup(address) }})
		default:
			km.reload(fmt.Sprintf("Imported %s for %s, unverified. Compare fingerprints before you mark it verified.",
				plural(len(keys), "key"), address))
		}
	})
}

// importOwn reads a secret key file and asks for its passphrase.
func (ka *keyActions) importOwn() {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil {
			ka.say(readable(err))
			return
		}
		if r == nil {
			return
		}
		var data []byte
		ka.km.ui.tasks.run(ka.km.ui.context(), func(ctx context.Context) error {
			defer r.Close()
			data, err = io.ReadAll(io.LimitReader(r, maxKeyFile+1))
			if err == nil && len(data) > maxKeyFile {
				err = fmt.Errorf("%s is larger than %d MB: that is not a key file", r.URI().Name(), maxKeyFile>>20)
			}
			return err
		}, func(err error) {
			if err != nil {
				ka.say(readable(err))
				return
			}
			ka.askOwnPassphrase(data)
		})
	}, ka.km.window)
	d.Show()
}

// askOwnPassphrase asks for the passphrase of a secret key file read.
func (ka *keyActions) askOwnPassphrase(data []byte) {
	ka.ownPass = widget.NewPasswordEntry()
	ka.ownPass.SetPlaceHolder("The key's passphrase (empty if it has none)")
	ka.ownImport = widget.NewButtonWithIcon("Import", theme.ConfirmIcon(), func() { ka.importOwnData(data, []byte(ka.ownPass.Text)) })
	ka.ownImport.Importance = widget.HighImportance
	ka.ownPass.OnSubmitted = func(string) { ka.ownImport.OnTapped() }
	ka.show("Import my secret key", container.NewVBox(
		widget.NewLabel("Enter the passphrase that protects the key file."), ka.ownPass,
		container.NewHBox(widget.NewButton("Cancel", ka.close), ka.ownImport)), fyne.NewSize(480, 220))
}

func (ka *keyActions) importOwnData(data, passphrase []byte) {
	ka.close()
	ka.say("Importing…")
	var keys []backend.KeyInfo
	ka.km.ui.tasks.run(ka.km.ui.context(), func(ctx context.Context) (err error) {
		keys, err = ka.setup.ImportSecretKey(ctx, data, passphrase)
		return err
	}, func(err error) {
		if err != nil {
			ka.say(readable(err))
			return
		}
		var names []string
		for _, k := range keys {
			names = append(names, keyName(k))
		}
		ka.km.reload("Imported " + strings.Join(names, ", ") + ".")
	})
}

// saveWithDialog asks for a file with Fyne's save dialog and writes data
// there off the UI goroutine.
func (ka *keyActions) saveWithDialog(name string, data []byte, done func(string, error)) {
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil || w == nil {
			done("", err)
			return
		}
		ka.km.ui.tasks.run(ka.km.ui.context(), func(ctx context.Context) error {
			_, err := w.Write(data)
			if cerr := w.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return fmt.Errorf("saving %s: %w", w.URI().Name(), err)
			}
			return nil
		}, func(err error) {
			if err != nil {
				done("", err)
				return
			}
			done(w.URI().Path(), nil)
		})
	}, ka.km.window)
	d.SetFileName(name)
	d.Show()
}
