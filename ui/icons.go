package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// Icons Fyne's theme does not have. They are drawn in the foreground colour
// and recoloured by the theme, like the built-in ones.
var (
	lockIcon = theme.NewThemedResource(fyne.NewStaticResource("lock.svg", []byte(
		`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path fill="#000" d="M12 2a5 5 0 0 0-5 5v3H6a2 2 0 0 0-2 2v8a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2v-8a2 2 0 0 0-2-2h-1V7a5 5 0 0 0-5-5zm-3 5a3 3 0 0 1 6 0v3H9zm3 7a2 2 0 0 1 1 3.7V20h-2v-2.3A2 2 0 0 1 12 14z"/></svg>`)))
	openLockIcon = theme.NewThemedResource(fyne.NewStaticResource("lock-open.svg", []byte(
		`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path fill="#000" d="M16 1a5 5 0 0 0-5 5v4H4a2 2 0 0 0-2 2v8a2 2 0 0 0 2 2h11a2 2 0 0 0 2-2v-8a2 2 0 0 0-2-2h-2V6a3 3 0 0 1 6 0v2h2V6a5 5 0 0 0-5-5zM9.5 14a2 2 0 0 1 1 3.7V20h-2v-2.3A2 2 0 0 1 9.5 14z"/></svg>`)))
	flagIcon = theme.NewThemedResource(fyne.NewStaticResource("flag.svg", []byte(
		`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path fill="#000" d="M5 2h2v1h12l-3 5 3 5H7v9H5z"/></svg>`)))
	unreadIcon = theme.NewPrimaryThemedResource(fyne.NewStaticResource("unread.svg", []byte(
		`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><circle fill="#000" cx="12" cy="12" r="5"/></svg>`)))
	// signaturePresentIcon marks a list row whose message carries a
	// signature that has not been checked yet (the list never decrypts or
	// verifies): a pen, deliberately unlike the verified seal.
	signaturePresentIcon = theme.NewThemedResource(fyne.NewStaticResource("signature.svg", []byte(
		`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path fill="#000" d="M4 20l1.5-5.5 10-10 4 4-10 10zm2.4-4.2l-.7 2.5 2.5-.7z"/></svg>`)))
	sealIcon = theme.NewThemedResource(fyne.NewStaticResource("signed.svg", []byte(
		`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path fill="#000" d="M12 1l3 2.5 3.9-.4.9 3.8 3.2 2.3-1.7 3.6 1.7 3.6-3.2 2.3-.9 3.8-3.9-.4L12 23l-3-2.5-3.9.4-.9-3.8L1 14.8l1.7-3.6L1 7.6l3.2-2.3.9-3.8 3.9.4zm-1.2 14.6l6-6-1.4-1.4-4.6 4.6-2.4-2.4-1.4 1.4z"/></svg>`)))
)
