package backend

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// FolderManager is what a backend may offer beyond Backend to describe and
// manage an account's folders. It is optional: the UI checks for it with a
// type assertion and leaves folder management out without it.
//
// Unlike the message Actions, CreateFolder, RenameFolder and DeleteFolder
// need the server: they change the folder there first and then the local
// copy, and fail without changing anything when the server cannot be
// reached or refuses.
type FolderManager interface {
	// FolderInfos describes the locally known folders of account, INBOX
	// first, with their role and message counts.
	FolderInfos(ctx context.Context, account string) ([]FolderInfo, error)
	// FolderInfo describes one locally known folder of account: what
	// FolderInfos says of it, at the cost of counting that folder alone.
	FolderInfo(ctx context.Context, account, folder string) (FolderInfo, error)
	// CreateFolder creates the folder name (a full path, levels joined by
	// the account's delimiter).
	CreateFolder(ctx context.Context, account, name string) error
	// RenameFolder renames the folder from (and the folders below it) to
	// to. Their messages are downloaded again under the new name by the
	// next sync.
	RenameFolder(ctx context.Context, account, from, to string) error
	// DeleteFolder deletes the folder and its messages, on the server and
	// locally.
	DeleteFolder(ctx context.Context, account, name string) error
}

// FolderInfo describes one folder of an account.
type FolderInfo struct {
	Name string
	// Role is a Role constant, or empty for an ordinary folder.
	Role string
	// Delimiter separates the levels of Name ("" when the server has no
	// hierarchy).
	Delimiter string
	// Unread and Total count the messages stored locally.
	Unread, Total int
}

// Roles of special folders (RFC 6154 special use, or a usual name).
const (
	RoleSent    = "sent"
	RoleDrafts  = "drafts"
	RoleTrash   = "trash"
	RoleJunk    = "junk"
	RoleArchive = "archive"
)

// Errors of folder management that the UI explains and tests branch on.
var (
	// ErrFolderName means a folder name cannot be used; the wrapping error
	// says why.
	ErrFolderName = errors.New("this folder name cannot be used")
	// ErrFolderExists means a folder of that name exists already.
	ErrFolderExists = errors.New("a folder of that name exists already")
	// ErrInboxFixed means INBOX was to be renamed or deleted, which IMAP
	// does not allow.
	ErrInboxFixed = errors.New("the Inbox cannot be renamed or deleted")
)

// maxFolderName bounds a folder name's length in bytes.
const maxFolderName = 200

// CheckFolderName checks one level of a folder name, as a user typed it
// (surrounding spaces are the caller's to trim): not empty, not INBOX, no
// delimiter, no control characters and no IMAP wildcards (* and %). It
// returns an error wrapping ErrFolderName that says what is wrong.
func CheckFolderName(name, delimiter string) error {
	bad := func(why string) error { return fmt.Errorf("%w: %s", ErrFolderName, why) }
	switch {
	case strings.TrimSpace(name) == "":
		return bad("type a name")
	case name != strings.TrimSpace(name):
		return bad("it starts or ends with a space")
	case strings.EqualFold(name, "INBOX"):
		return bad("INBOX is the name of the Inbox")
	case len(name) > maxFolderName:
		return bad(fmt.Sprintf("it is longer than %d characters", maxFolderName))
	case delimiter != "" && strings.Contains(name, delimiter):
		return bad(fmt.Sprintf("it contains %q, which separates folder levels on this server", delimiter))
	case strings.ContainsAny(name, "*%"):
		return bad("* and % are not allowed")
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return bad("it contains a control character")
	}
	return nil
}
