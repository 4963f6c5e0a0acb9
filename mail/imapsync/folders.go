package imapsync

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/sealpost/sealpost/localstore"
)

// specialUses are the RFC 6154 attributes the sync recognises.
var specialUses = []string{SpecialSent, SpecialDrafts, SpecialTrash, SpecialJunk, SpecialArchive, SpecialAll, SpecialFlagged}

// usualNames are folder names (last path component, case-insensitive) that
// common providers use, for servers without SPECIAL-USE.
var usualNames = map[string][]string{
	SpecialSent:    {"Sent", "Sent Items", "Sent Messages", "Sent Mail"},
	SpecialDrafts:  {"Drafts", "Draft"},
	SpecialTrash:   {"Trash", "Deleted Items", "Deleted Messages", "Bin"},
	SpecialJunk:    {"Junk", "Spam", "Junk E-mail", "Junk Email", "Bulk Mail"},
	SpecialArchive: {"Archive", "Archives"},
	SpecialAll:     {"All Mail"},
}

// folderFromList translates one LIST response.
func folderFromList(d *imap.ListData) Folder {
	f := Folder{Name: d.Mailbox, Selectable: true}
	if strings.EqualFold(f.Name, "INBOX") {
		f.Name = "INBOX"
	}
	if d.Delim != 0 {
		f.Delimiter = string(d.Delim)
	}
	for _, a := range d.Attrs {
		switch {
		case strings.EqualFold(string(a), string(imap.MailboxAttrNoSelect)),
			strings.EqualFold(string(a), string(imap.MailboxAttrNonExistent)):
			f.Selectable = false
		case f.SpecialUse == "":
			if i := slices.IndexFunc(specialUses, func(u string) bool { return strings.EqualFold(u, string(a)) }); i >= 0 {
				f.SpecialUse = specialUses[i]
			}
		}
	}
	return f
}

// guessSpecialUse gives each special use that no folder claims to the first
// selectable folder (in name order) whose last name component is a usual
// name for it.
func guessSpecialUse(folders []Folder) {
	claimed := map[string]bool{}
	for _, f := range folders {
		claimed[f.SpecialUse] = true
	}
	for _, use := range specialUses {
		if claimed[use] {
			continue
		}
		for i := range folders {
			f := &folders[i]
			if f.SpecialUse != "" || !f.Selectable || f.Name == "INBOX" {
				continue
			}
			leaf := f.Name
			if f.Delimiter != "" {
				leaf = leaf[strings.LastIndex(leaf, f.Delimiter)+len(f.Delimiter):]
			}
			if slices.ContainsFunc(usualNames[use], func(n string) bool { return strings.EqualFold(n, leaf) }) {
				f.SpecialUse = use
				break
			}
		}
	}
}

// listFolders runs LIST "" "*" (asking for special-use attributes when the
// server offers them) and translates the answer.
func listFolders(c *imapclient.Client, pattern string) ([]Folder, error) {
	caps := c.Caps()
	var opts *imap.ListOptions
	if caps.Has(imap.CapSpecialUse) && (caps.Has(imap.CapListExtended) || caps.Has(imap.CapIMAP4rev2)) {
		opts = &imap.ListOptions{ReturnSpecialUse: true}
	}
	list, err := c.List("", pattern, opts).Collect()
	if err != nil {
		return nil, fmt.Errorf("list folders: %w", err)
	}
	out := make([]Folder, 0, len(list))
	for _, d := range list {
		out = append(out, folderFromList(d))
	}
	slices.SortFunc(out, func(a, b Folder) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// SyncFolders lists the server's folders, stores them (keeping each folder's
// sync state) and removes local folders that vanished on the server,
// together with their messages. It returns the folders in name order.
func (s *Syncer) SyncFolders(ctx context.Context) ([]Folder, error) {
	var out []Folder
	err := s.withConn(ctx, func(c *imapclient.Client) error {
		var err error
		out, err = s.syncFolders(c)
		return err
	})
	return out, err
}

func (s *Syncer) syncFolders(c *imapclient.Client) ([]Folder, error) {
	folders, err := listFolders(c, "*")
	if err != nil {
		return nil, err
	}
	guessSpecialUse(folders)
	repo := s.opts.Store.Folders()
	local, err := repo.List(s.opts.Account)
	if err != nil {
		return nil, err
	}
	byName := make(map[string]localstore.Folder, len(local))
	for _, f := range local {
		byName[f.Name] = f
	}
	for _, f := range folders {
		old, had := byName[f.Name]
		delete(byName, f.Name)
		rec := old
		rec.Account, rec.Name = s.opts.Account, f.Name
		rec.Delimiter, rec.SpecialUse = f.Delimiter, f.SpecialUse
		rec.Attributes = nil
		if !f.Selectable {
			rec.Attributes = []string{string(imap.MailboxAttrNoSelect)}
		}
		if had && sameFolder(old, rec) {
			continue
		}
		if err := repo.Put(rec); err != nil {
			return nil, err
		}
	}
	for name := range byName {
		if err := repo.Delete(s.opts.Account, name); err != nil && !errors.Is(err, localstore.ErrNotFound) {
			return nil, err
		}
	}
	return folders, nil
}

func sameFolder(a, b localstore.Folder) bool {
	return a.Delimiter == b.Delimiter && a.SpecialUse == b.SpecialUse && slices.Equal(a.Attributes, b.Attributes)
}

// selectable reports whether the stored folder record can be selected.
func selectable(f localstore.Folder) bool {
	return !slices.ContainsFunc(f.Attributes, func(a string) bool {
		return strings.EqualFold(a, string(imap.MailboxAttrNoSelect))
	})
}
