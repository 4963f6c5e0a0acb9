package ui

import (
	"fmt"
	"image/color"
	"net/mail"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sealpost/sealpost/mail/backend"
)

// level is how the security bar rates a message.
type level int

const (
	levelNeutral level = iota // not protected, nothing wrong found
	levelGood                 // encrypted, signed by the sender, key verified
	levelCaution              // protected in part, or by a key not verified
	levelBad                  // forged, tampered with or unreadable
)

// String names the level for tests and accessibility.
func (l level) String() string {
	return [...]string{"neutral", "good", "caution", "bad"}[l]
}

// barLine is one line of the security bar.
type barLine struct {
	icon fyne.Resource
	text string
}

// securityState is what the security bar says about a message. It is
// computed from what the engine verified only, never from the message's
// own content.
type securityState struct {
	level level
	lines []barLine
}

func (s *securityState) raise(l level) {
	if l > s.level {
		s.level = l
	}
}

// describe turns the engine's verdict on m into the security bar's words.
func describe(m backend.Message) securityState { return describeIn(m, origin{}) }

// origin says where the shown content came from when it is not a message
// of its own: attached to the message whose subject is attachedTo, or an
// inline block inside the message whose subject is blockOf.
type origin struct {
	attachedTo, blockOf string
}

// describeIn is describe for content of origin o.
func describeIn(m backend.Message, o origin) securityState {
	s := securityState{level: levelNeutral}
	switch {
	case m.Encrypted && m.Decrypted:
		s.lines = append(s.lines, barLine{lockIcon, "Encrypted: only you and the other recipients can read it"})
	case m.Encrypted:
		s.raise(levelBad)
		s.lines = append(s.lines, barLine{theme.ErrorIcon(), "Encrypted, but Sealpost could not decrypt it: nothing of it is shown"})
	case m.SMIMEEncrypted:
		s.raise(levelCaution)
		s.lines = append(s.lines, barLine{theme.WarningIcon(), "Encrypted with S/MIME, which Sealpost cannot read: nothing of it is shown"})
	default:
		s.lines = append(s.lines, barLine{openLockIcon, "Not encrypted: servers on the way could read it"})
	}

	sig := m.Signature
	signer := sig.Signer
	if signer == "" {
		signer = m.From
	}
	key := ""
	if sig.Fingerprint != "" {
		key = "key " + backend.GroupFingerprint(sig.Fingerprint)
	}
	switch {
	case sig.Counts():
		line := "Signed by " + signer
		switch sig.Verification {
		case backend.VerificationVerified:
			line += fmt.Sprintf(", %s, verified", key)
			if m.Encrypted && m.Decrypted {
				s.raise(levelGood)
			}
		case backend.VerificationOwn:
			line += fmt.Sprintf(", your own %s", key)
			if m.Encrypted && m.Decrypted {
				s.raise(levelGood)
			}
		default:
			line += fmt.Sprintf(", %s, not verified yet: compare fingerprints in Keys", key)
			s.raise(levelCaution)
		}
		s.lines = append(s.lines, barLine{sealIcon, line})
	case sig.Status == backend.SigValid && !sig.MatchesFrom:
		s.raise(levelBad)
		s.lines = append(s.lines, barLine{theme.ErrorIcon(),
			fmt.Sprintf("Signed, but NOT by %s: the signing key (%s) belongs to someone else", fromAddress(m.From), keyOr(key))})
		if sig.DateMismatch {
			s.lines = append(s.lines, barLine{theme.WarningIcon(), dateMismatchLine(signer, sig.SignedAt, m.Date)})
		}
	case sig.Status == backend.SigValid && sig.DateMismatch:
		s.raise(levelCaution)
		s.lines = append(s.lines, barLine{theme.WarningIcon(), dateMismatchLine(signer, sig.SignedAt, m.Date)})
	case sig.Status == backend.SigValid:
		s.raise(levelCaution)
		s.lines = append(s.lines, barLine{theme.WarningIcon(), "Only part of this message is signed by " + signer})
	case sig.Status == backend.SigInvalid:
		s.raise(levelBad)
		s.lines = append(s.lines, barLine{theme.ErrorIcon(), "The signature is INVALID: the message was changed or forged"})
	case sig.Status == backend.SigUnknownKey:
		s.raise(levelCaution)
		s.lines = append(s.lines, barLine{theme.WarningIcon(), "Signed with a key you do not have: import the sender's key to check it"})
	case sig.Status == backend.SigExpiredKey:
		s.raise(levelCaution)
		s.lines = append(s.lines, barLine{theme.WarningIcon(), "Signed with an expired key (" + keyOr(key) + ")"})
	case sig.Status == backend.SigRevokedKey:
		s.raise(levelBad)
		s.lines = append(s.lines, barLine{theme.ErrorIcon(), "Signed with a revoked key (" + keyOr(key) + ")"})
	case sig.Status == backend.SigError:
		s.raise(levelBad)
		s.lines = append(s.lines, barLine{theme.ErrorIcon(), "The signature could not be checked"})
	default:
		s.lines = append(s.lines, barLine{theme.InfoIcon(), "Not signed: the sender cannot be confirmed"})
	}

	if len(m.Protected) > 0 {
		how := "are covered by the signature"
		if m.Encrypted && m.Decrypted {
			how = "travelled encrypted inside the message"
		}
		var names []string
		for _, f := range []string{"Subject", "From", "To", "Cc", "Bcc", "Reply-To", "Date"} {
			if slices.Contains(m.Protected, f) {
				names = append(names, f)
			}
		}
		s.lines = append(s.lines, barLine{lockIcon, fmt.Sprintf("%s %s (marked with a lock below)", list(names), how)})
	}
	if o.blockOf != "" {
		s.lines = append(s.lines, barLine{theme.DocumentIcon(), fmt.Sprintf(
			"A block from “%s”: only the block is shown, with its own security; the text around it is not covered", o.blockOf)})
	} else if o.attachedTo != "" {
		s.lines = append(s.lines, barLine{theme.MailAttachmentIcon(), fmt.Sprintf(
			"Attached to “%s”: this is the attached message's own security, not that of the message it came in", o.attachedTo)})
	} else if t := m.Transport; t != nil {
		// The account's latest connection, which need not be the one that
		// fetched this message: "How it travelled" says how that was.
		line := fmt.Sprintf("This session's connection to %s: %s (%s), certificate %s", t.Server, t.Version, t.CipherSuite, shortHash(t.CertSHA256))
		if t.Pinned {
			line += ", pinned by you"
		}
		s.lines = append(s.lines, barLine{theme.StorageIcon(), line})
	} else {
		s.lines = append(s.lines, barLine{theme.StorageIcon(), "Read from the local encrypted store; no server connection in this session"})
	}
	for _, w := range m.Warnings {
		s.raise(levelCaution)
		s.lines = append(s.lines, barLine{theme.WarningIcon(), w})
	}
	return s
}

// dateMismatchLine says that a signature was made on another day than the
// message says it was written, as Thunderbird's "mismatch".
func dateMismatchLine(signer string, signed, dated time.Time) string {
	when := func(t time.Time) string {
		if t.IsZero() {
			return "an unknown date"
		}
		return t.UTC().Format("2 Jan 2006")
	}
	return fmt.Sprintf("Date mismatch: signed by %s on %s, but the message is dated %s; it may be an old message sent again",
		signer, when(signed), when(dated))
}

// list joins words as a sentence does: "a", "a and b", "a, b and c".
func list(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}

func keyOr(key string) string {
	if key == "" {
		return "unknown key"
	}
	return key
}

func fromAddress(from string) string {
	if a, err := mail.ParseAddress(from); err == nil {
		return a.Address
	}
	if from == "" {
		return "the sender"
	}
	return from
}

func shortHash(h string) string {
	if len(h) > 16 {
		return "SHA-256 " + backend.GroupFingerprint(h[:16]) + "…"
	}
	return "SHA-256 " + h
}

// levelColor is the bar's tint for a level, from the theme so that it
// follows light and dark mode.
func levelColor(l level) color.Color {
	name := map[level]fyne.ThemeColorName{
		levelNeutral: theme.ColorNameDisabledButton, levelGood: theme.ColorNameSuccess,
		levelCaution: theme.ColorNameWarning, levelBad: theme.ColorNameError,
	}[l]
	return theme.Color(name)
}

// securityBar is the band above the reader. It belongs to the app: the
// message cannot draw into it.
type securityBar struct {
	// origin says where the shown content came from, when it is not a
	// message of its own.
	origin origin
	state  securityState
	stripe *canvas.Rectangle
	tint   *canvas.Rectangle
	lines  *fyne.Container
	object fyne.CanvasObject
}

func newSecurityBar() *securityBar {
	b := &securityBar{stripe: canvas.NewRectangle(color.Transparent), tint: canvas.NewRectangle(color.Transparent)}
	b.stripe.SetMinSize(fyne.NewSize(6, 0))
	b.lines = container.NewVBox()
	b.object = container.NewStack(b.tint, container.NewBorder(nil, nil, b.stripe, nil, b.lines))
	b.object.Hide()
	return b
}

func (b *securityBar) show(m backend.Message) {
	b.state = describeIn(m, b.origin)
	c := levelColor(b.state.level)
	b.stripe.FillColor = c
	r, g, bl, _ := c.RGBA()
	b.tint.FillColor = color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(bl >> 8), A: 0x38}
	objs := make([]fyne.CanvasObject, 0, len(b.state.lines))
	for i, l := range b.state.lines {
		label := widget.NewLabel(l.text)
		label.Wrapping = fyne.TextWrapWord
		if i == 0 {
			label.TextStyle.Bold = true
		}
		objs = append(objs, container.NewBorder(nil, nil, widget.NewIcon(l.icon), nil, label))
	}
	b.lines.Objects = objs
	b.object.Show()
	b.object.Refresh()
}

func (b *securityBar) clear() {
	b.state = securityState{}
	b.lines.Objects = nil
	b.object.Hide()
}
