// Package backend is the boundary between the desktop UI and the engine:
// the interface the UI calls and the plain domain types that cross it. It
// imports no network, storage or UI package, so the UI can depend on it
// without depending on how mail is fetched or stored.
package backend

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Verification levels of a key as the user sees them.
const (
	VerificationOwn        = "own"
	VerificationVerified   = "verified"
	VerificationUnverified = "unverified"
)

// Errors a backend returns for problems the user fixes in an account's
// settings rather than by trying again.
var (
	// ErrLoginRejected means a mail server refused the account's user name
	// or password (or token).
	ErrLoginRejected = errors.New("the mail server refused the login: check the account's password")
	// ErrCertificateRejected means a mail server's certificate did not
	// verify, or differs from the one pinned for it. Nothing was sent.
	ErrCertificateRejected = errors.New("the mail server's certificate was not accepted, so nothing was sent")
)

// ErrProfileDamaged means the profile file is damaged (cut short or
// altered): nothing more is read or written until a backup is restored.
var ErrProfileDamaged = errors.New("the profile file is damaged; restore it from a backup")

// Backend is everything the UI asks of the engine. Calls may block (key
// derivation, disk, network): the UI makes them off its own goroutine.
type Backend interface {
	// ProfileDir is the folder of the profile.
	ProfileDir() string
	// ProfileExists reports whether the profile has been created.
	ProfileExists() bool
	// CreateProfile creates the profile with passphrase and unlocks it.
	CreateProfile(ctx context.Context, passphrase []byte) error
	// Unlock opens the profile with passphrase.
	Unlock(ctx context.Context, passphrase []byte) error
	// Lock closes the profile and drops decrypted state.
	Lock() error
	// ListKeys lists own keys, then contacts' keys.
	ListKeys(ctx context.Context) ([]KeyInfo, error)
	// ImportKeys imports armored or binary public keys and returns them.
	ImportKeys(ctx context.Context, data []byte) ([]KeyInfo, error)
	// VerifyKey marks a contact's key verified after the user compared
	// its fingerprint.
	VerifyKey(ctx context.Context, fingerprint string) (KeyInfo, error)
	// KeyStates says, for each address, which key Sealpost would encrypt
	// to and how far it is trusted.
	KeyStates(ctx context.Context, addresses []string) ([]KeyState, error)

	// Accounts lists the configured accounts, sorted by address.
	Accounts(ctx context.Context) ([]Account, error)
	// Folders lists the locally known folders of account, INBOX first.
	Folders(ctx context.Context, account string) ([]Folder, error)
	// Messages lists the newest limit messages of a folder, newest first.
	Messages(ctx context.Context, account, folder string, limit int) ([]MessageSummary, error)
	// Open decrypts and verifies one stored message.
	Open(ctx context.Context, account, folder string, uid uint32) (Message, error)
	// Reply prepares an answer to a stored message: to its sender (or
	// Reply-To), with all to every other recipient too, quoting only what
	// the reader showed.
	Reply(ctx context.Context, account, folder string, uid uint32, all bool) (Reply, error)
	// Sync fetches new mail of account (every account when empty) and
	// reports progress as it goes.
	Sync(ctx context.Context, account string, progress func(SyncProgress)) error
	// Send composes d from account, protected as sec says, and submits
	// it. It never downgrades: without keys for every recipient an
	// encrypting mode fails with a *MissingKeysError and nothing is sent.
	Send(ctx context.Context, account string, d Draft, sec Security) error
}

// Account is a configured mail account.
type Account struct {
	Email, Name string
}

// Folder is a mailbox of an account that has been synchronised.
type Folder struct {
	Account, Name string
}

// MessageSummary is one stored message as a list shows it: a row of the
// app's message list, of `sealpost list` and of search results.
type MessageSummary struct {
	Account, Folder string
	UID             uint32
	// MessageID is the Message-ID without angle brackets.
	MessageID string
	// InReplyTo and References are the Message-IDs the message answers
	// (without angle brackets; References oldest first), for threading.
	InReplyTo    string
	References   []string
	From, To, Cc string
	Subject      string
	Date         time.Time
	// Flags are the IMAP flags as stored; Seen and Flagged say whether
	// they hold \Seen and \Flagged (the UI changes those two in place).
	Flags          []string
	Seen, Flagged  bool
	Size           uint32
	Encrypted      bool
	Signed         bool
	HasAttachments bool
	// Offline says whether the full message is stored locally.
	Offline bool
}

// Signature states as the engine reports them.
const (
	SigNone       = "none"
	SigValid      = "valid"
	SigInvalid    = "invalid"
	SigUnknownKey = "unknown_key"
	SigExpiredKey = "expired_key"
	SigRevokedKey = "revoked_key"
	SigError      = "error"
)

// Message is an opened message: what Sealpost verified about it and what it
// shows.
type Message struct {
	From, Subject string
	// To, Cc, Bcc and ReplyTo are addresses ("Name <address>") joined by
	// ", "; empty when the message has no such field (Bcc is there mostly
	// in one's own sent copies).
	To, Cc, Bcc, ReplyTo string
	// Date is the message's Date in the sender's own time zone; zero when
	// it has none that can be read.
	Date time.Time
	// Protected names the fields among From, To, Cc, Bcc, Reply-To, Date
	// and Subject whose values above come from the message's protected
	// headers (inside its encryption or signature). An outer value is
	// never named here.
	Protected []string
	// Encrypted is true when the message was encrypted with OpenPGP;
	// Decrypted when it was decrypted with integrity protection.
	Encrypted, Decrypted bool
	// SMIMEEncrypted is true when the message is S/MIME encrypted, which
	// Sealpost cannot read (Encrypted is then false).
	SMIMEEncrypted bool
	Signature      Signature
	Body           string
	Attachments    []Attachment
	// Warnings are problems found, in words a user can act on. A date
	// mismatch is not among them: Signature.DateMismatch says it.
	Warnings []string
	// Blocks are inline OpenPGP blocks inside the text that were not
	// decrypted or verified with the message (text around them, or
	// HTML); a BlockInspector opens one on its own.
	Blocks []InlineBlock
	// Transport is how the account's last IMAP connection was secured;
	// nil when there was none in this session.
	Transport *Transport
	// Travel is how the message travelled to the provider and to us, as
	// recorded when it was stored; nil when nothing was recorded (mail
	// stored before Sealpost recorded it) and for a message attached to
	// another.
	Travel *Travel
}

// MessageInspector is implemented by a backend that reads a message given
// as bytes, such as one attached to another: it decrypts and verifies it
// on its own, as Open does for a stored message, with no transport
// evidence and no effect on the keys.
type MessageInspector interface {
	Inspect(ctx context.Context, raw []byte) (Message, error)
}

// TravelReader is implemented by a backend that reads how a stored
// message travelled on its own, without opening the message again: for a
// reader to show the record a background check changed
// (EventMessageChecked). nil means nothing was recorded.
type TravelReader interface {
	Travel(ctx context.Context, account, folder string, uid uint32) (*Travel, error)
}

// Kinds of InlineBlock.
const (
	BlockEncrypted = "encrypted"
	BlockSigned    = "signed"
)

// InlineBlock is an inline OpenPGP block found inside a message's text,
// with what judging it on its own needs. Only a BlockInspector reads
// Armored and the fields after it.
type InlineBlock struct {
	// Kind is BlockEncrypted or BlockSigned.
	Kind string
	// Armored is the block: ciphertext, or the cleartext-signed text.
	Armored []byte
	// Path, Charset, Sender and Date say where the block was found: the
	// section of its text part, that part's charset, and the From address
	// and Date of its message.
	Path, Charset, Sender string
	Date                  time.Time
}

// BlockInspector is implemented by a backend that decrypts or verifies an
// inline block on the user's request. The Message it returns holds only
// the block's content and the block's own verdict, never the text around
// it.
type BlockInspector interface {
	InspectBlock(ctx context.Context, b InlineBlock) (Message, error)
}

// Signature is the verdict on a message's signature.
type Signature struct {
	// Status is one of the Sig constants.
	Status string
	// Fingerprint is the signer's key fingerprint when the key is known.
	Fingerprint string
	// Signer is the user ID of the signer's key when the key is known.
	Signer string
	// Verification is the signer key's verification level (Verification
	// constants) when the key is known.
	Verification string
	// MatchesFrom is true when the signing key carries the From address.
	MatchesFrom bool
	// WholeMessage is true when the signature covers everything shown.
	WholeMessage bool
	// SignedAt is when the signature says it was made; zero when unknown.
	SignedAt time.Time
	// DateMismatch is true when a valid signature was made more than a
	// day from the message's Date: it may be an old message sent again.
	DateMismatch bool
}

// Counts reports whether the signature may be presented as the sender's:
// valid, by a key of the From address, over the whole message, made when
// the message says it was written.
func (s Signature) Counts() bool {
	return s.Status == SigValid && s.MatchesFrom && s.WholeMessage && !s.DateMismatch
}

// Attachment is one attachment of an opened message or of a Draft.
type Attachment struct {
	// ContentType may be empty on a Draft: it is then guessed from the
	// file name.
	Filename, ContentType string
	// Size is the size of Data; on a Draft it is not used.
	Size int
	// Data is the decoded content; on a Draft, what is sent.
	Data []byte
	// Open, when not nil on a Draft, is used instead of Data: it returns
	// the content, which streams into the message, so a large file is
	// never held in memory. It is called once, when the message is
	// written.
	Open func() (io.ReadCloser, error)
}

// Transport describes how a connection was secured.
type Transport struct {
	Server      string
	Version     string
	CipherSuite string
	CertSHA256  string
	// Pinned is true when the certificate was accepted only because the
	// user pinned it.
	Pinned bool
}

// SyncProgress reports how far a sync of one folder is, or, when Warning
// is set, something the sync found that the user should know (a contact's
// key changed, a draft could not be uploaded); Done and Total are then
// zero.
type SyncProgress struct {
	Account, Folder string
	Done, Total     int
	Warning         string
}

// Draft is a message being composed.
type Draft struct {
	// From is the sender's address and FromName its display name; sending
	// from an account fills both in from the account.
	From, FromName string
	To, Cc         []string
	// Bcc are blind copies: sent to, never shown to the other recipients.
	Bcc           []string
	Subject, Body string
	// Attachments are sent with the message (encrypted with it when
	// encrypting); Size is not used.
	Attachments []Attachment
	// InReplyTo and References are Message-IDs without angle brackets.
	InReplyTo  string
	References []string
}

// Reply is a prepared answer or forward, how it must be protected and
// what the user should check before sending it.
type Reply struct {
	Draft Draft
	// Security is the mode the composer must start in: ModeEncrypt when
	// the original was encrypted, else empty, which lets the composer
	// choose as for a new message.
	Security string
	// Warnings tell the user what to check or what is left out, such as
	// the original's attachments or a Reply-To other than the sender.
	Warnings []string
}

// Security modes of an outgoing message.
const (
	// ModeEncrypt encrypts to every recipient and signs; it fails with a
	// *MissingKeysError when a recipient has no key.
	ModeEncrypt = "encrypt"
	// ModeSign signs without encrypting.
	ModeSign = "sign"
	// ModePassword encrypts with a password shared out of band.
	ModePassword = "password"
	// ModePlain sends without any protection.
	ModePlain = "plain"
)

// Security says how an outgoing message is protected.
type Security struct {
	// Mode is one of the Mode constants. The engine's composer also takes
	// "auto" (or empty): encrypt when every recipient has a key, else
	// refuse; the app always chooses a mode.
	Mode string
	// Password is the shared password of ModePassword.
	Password []byte
	// AttachKey attaches the sender's public key.
	AttachKey bool
}

// KeyState is the key Sealpost would encrypt to for one address.
type KeyState struct {
	Address string
	// Fingerprint is empty when there is no usable key.
	Fingerprint string
	// Verification is a Verification constant; empty without a key.
	Verification string
}

// MissingKeysError lists recipients without a usable key. Nothing was sent.
type MissingKeysError struct {
	Addresses []string
}

// Error names the recipients and the ways forward.
func (e *MissingKeysError) Error() string {
	return fmt.Sprintf("no key for %s: nothing was sent; encrypt with a password or send unencrypted on purpose",
		strings.Join(e.Addresses, ", "))
}

// KeyInfo describes one key in the profile, own or a contact's.
type KeyInfo struct {
	Fingerprint  string
	UserIDs      []string
	Emails       []string
	Own          bool
	Default      bool
	Verification string
	Source       string
	Algorithm    string
	CreatedAt    time.Time
	ExpiresAt    time.Time
	Revoked      bool
	// Usable is empty when the key can be used now, else why not
	// ("expired", "revoked").
	Usable string
	// History lists what happened to a contact's key, oldest first.
	History []KeyEvent
}

// KeyEvent is one entry in a key's history.
type KeyEvent struct {
	At     time.Time
	Event  string
	Detail string
}

// GroupFingerprint writes a fingerprint in groups of four for people to
// compare.
func GroupFingerprint(fpr string) string {
	var out []byte
	for i := 0; i < len(fpr); i += 4 {
		if i > 0 {
			out = append(out, ' ')
		}
		out = append(out, fpr[i:min(i+4, len(fpr))]...)
	}
	return string(out)
}
