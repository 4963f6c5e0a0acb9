package backend

import (
	"context"
	"errors"
	"strings"
	"time"
)

// Settings is what a backend may offer beyond Backend for the audit trail
// viewer and the settings window. It is optional: the UI checks for it with
// a type assertion and leaves out what the backend cannot do.
type Settings interface {
	// AuditTrail reads the profile's audit trail and verifies its hash
	// chain.
	AuditTrail(ctx context.Context) (AuditTrail, error)
	// SyncWith is Sync with the user's sync options.
	SyncWith(ctx context.Context, account string, opts SyncOptions, progress func(SyncProgress)) error
	// Preferences reads the user's choices stored (sealed) in the profile.
	Preferences(ctx context.Context) (Preferences, error)
	// SavePreferences stores them.
	SavePreferences(ctx context.Context, prefs Preferences) error
}

// Preferences are the choices of the settings window that the profile
// keeps.
type Preferences struct {
	// AutoLockMinutes is the idle time before the app locks; 0 never.
	AutoLockMinutes int
	// PrivateNotifications keeps subjects and senders out of
	// notifications.
	PrivateNotifications bool
	// OfflineBodies keeps whole messages offline, not only the list.
	OfflineBodies bool
	// MaxMessageMB is the size cap for offline messages in MiB: larger
	// messages are kept as list entries only. 0 means DefaultMaxMessageMB.
	MaxMessageMB int
	// CheckMinutes is how often the running app checks the folders other
	// than INBOX, which it watches for new mail as it arrives. 0 means
	// DefaultCheckMinutes.
	CheckMinutes int
	// Theme is the app's look: ThemeLight, ThemeDark, or empty to follow
	// the desktop.
	Theme string
	// NoProviderLookup keeps account setup from asking Thunderbird's ISPDB
	// and the mail provider named by the domain's MX records for server
	// settings, which tells them the domain; false (they are asked) by
	// default.
	NoProviderLookup bool
	// NoDKIMLookups keeps Sealpost from looking up the DKIM keys of
	// incoming mail in the DNS, which shows the DNS resolver which
	// domains signed the mail being synced and read; signatures are then
	// "not checked (lookups off)". False (they are looked up) by default.
	NoDKIMLookups bool
	// CompactList shows the message list in compact rows.
	CompactList bool
	// ListViews is how the message list orders each folder whose order
	// the user changed, by ListViewKey.
	ListViews map[string]ListView
}

// ListView is how the message list orders one folder.
type ListView struct {
	// Column names the sort column: one of the List… constants.
	Column    string
	Ascending bool
	// Threaded groups conversations.
	Threaded bool
}

// The sort columns of the message list, as ListView.Column names them.
const (
	ListByDate          = "date"
	ListByCorrespondent = "correspondent"
	ListBySubject       = "subject"
	ListBySize          = "size"
	ListByUnread        = "unread"
	ListByFlagged       = "flagged"
)

// MaxListViews is how many folders' list orders Preferences keeps; the
// app drops the orders of folders that are gone beyond that.
const MaxListViews = 1000

// ListViewKey is the key of Preferences.ListViews for folder of account.
func ListViewKey(account, folder string) string { return strings.ToLower(account) + "\n" + folder }

// The themes Preferences.Theme names besides the desktop's (empty).
const (
	ThemeLight = "light"
	ThemeDark  = "dark"
)

// DefaultCheckMinutes is how often, in minutes, the folders other than
// INBOX are checked when the user chose nothing else.
const DefaultCheckMinutes = 5

// DefaultMaxMessageMB is the size cap for offline messages, in MiB, when
// the user chose none.
const DefaultMaxMessageMB = 32

// AuditEntry is one record of the audit trail.
type AuditEntry struct {
	Seq     uint64
	Time    time.Time
	Kind    string
	Subject string
	Detail  string
	// Mode is the security mode of a sent message (ModeEncrypt, …).
	Mode string
	// Delivery is how a sent message was to travel to each recipient
	// domain, as checked when it was queued (Domain, Status, DANE and
	// Reason are kept).
	Delivery []DeliveryFinding
}

// Mentions reports whether the entry concerns contact, an address or a key
// fingerprint (with or without spaces): whether its subject or detail
// holds it, ignoring case. A sent message's entry names its sender and
// every recipient; a key's entry its fingerprint and user IDs.
func (e AuditEntry) Mentions(contact string) bool {
	c := strings.ToLower(strings.TrimSpace(contact))
	if c == "" {
		return true
	}
	text := strings.ToLower(e.Subject + "\n" + e.Detail)
	if strings.Contains(text, c) {
		return true
	}
	squeezed := strings.ReplaceAll(c, " ", "")
	return len(squeezed) >= 16 && strings.Contains(strings.ReplaceAll(text, " ", ""), squeezed)
}

// AuditTrail is the audit trail and the result of checking it.
type AuditTrail struct {
	// Entries are the readable entries, newest first. It is empty when the
	// trail could not be read because an entry fails authentication; the
	// problems then say which.
	Entries []AuditEntry
	// Intact is true when the hash chain verified without a problem.
	Intact bool
	// Problems name the broken entries by sequence number, one line each.
	Problems []string
}

// SyncOptions are the user's choices for synchronising mail.
type SyncOptions struct {
	// HeadersOnly keeps only the message list offline: bodies are not
	// stored, so they cannot be read or searched without a connection.
	HeadersOnly bool
	// Folder limits the sync to one folder (after the queued actions and
	// the folder list); empty means every folder.
	Folder string
	// IndexProgress, if set, is told how far indexing what arrived for
	// search is.
	IndexProgress func(done, total int)
}

// ProfileBackup is what a backend offers that can back the profile up.
type ProfileBackup interface {
	// BackupProfile writes a sealed copy of the unlocked profile, as it is
	// now, to the new file at path; it opens with the current passphrase.
	// An existing file at path is left alone (an error). An error that is
	// ErrBackupNotAudited is a warning: the backup was written.
	BackupProfile(ctx context.Context, path string) error
}

// ErrBackupNotAudited means a backup was written and stands, and only
// recording it in the audit trail failed (the error says why): report it
// as a warning, not as a failed backup.
var ErrBackupNotAudited = errors.New("the backup was written, but it could not be recorded in the audit trail")
