package mail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-message"
	gomail "github.com/emersion/go-message/mail"

	"github.com/sealpost/sealpost/crypto"
	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail/backend"
	"github.com/sealpost/sealpost/mail/imapsync"
)

// ErrDraftMode means a draft was saved with a mode Sealpost does not know.
var ErrDraftMode = errors.New("unknown security mode for a draft: use encrypt, sign, password or plain")

// draftsFolderName is used when the account has no folder marked \Drafts.
const draftsFolderName = "Drafts"

// hiddenDraftSubject is the outer Subject of a draft in the Drafts folder.
const hiddenDraftSubject = "[...]"

// Drafts are messages being written, sealed on this computer and kept in
// step with the account's Drafts folder, where each is stored encrypted to
// the account's own key only.
type Drafts struct {
	store       *localstore.Store
	accounts    *Accounts
	connections *Connections
	keys        *Keyring
	now         func() time.Time
}

// Save seals d as a new revision of draft id (a new draft when id is
// empty) of account, marks it for upload to the Drafts folder, and returns
// its id. mode is the composer's security mode; a password is never kept.
func (ds *Drafts) Save(account, id string, d backend.Draft, mode string) (string, error) {
	switch mode {
	case "", ModeEncrypt, ModeSign, ModePassword, ModePlain:
	default:
		return "", fmt.Errorf("%q: %w", mode, ErrDraftMode)
	}
	acct, err := ds.accounts.get(account)
	if err != nil {
		return "", err
	}
	rec := localstore.Draft{
		ID: id, Account: acct.Email, To: d.To, Cc: d.Cc, Bcc: d.Bcc, Subject: d.Subject, Body: d.Body,
		InReplyTo: d.InReplyTo, References: d.References, Mode: mode, Saved: ds.now().UTC(),
	}
	for _, a := range d.Attachments {
		rec.Attachments = append(rec.Attachments, localstore.DraftAttachment{Name: a.Filename, ContentType: a.ContentType, Data: a.Data})
	}
	saved, err := ds.store.Drafts().Put(rec)
	if err != nil {
		return "", err
	}
	return saved.ID, nil
}

// List lists the drafts of account (every account when empty), newest
// first, without attachment data.
func (ds *Drafts) List(account string) ([]backend.SavedDraft, error) {
	recs, err := ds.store.Drafts().List(account)
	if err != nil {
		return nil, err
	}
	out := make([]backend.SavedDraft, len(recs))
	for i, r := range recs {
		out[i] = savedDraftOf(r)
	}
	return out, nil
}

// Open returns one draft with its attachments.
func (ds *Drafts) Open(account, id string) (backend.SavedDraft, error) {
	r, err := ds.store.Drafts().Get(account, id)
	if err != nil {
		return backend.SavedDraft{}, err
	}
	return savedDraftOf(r), nil
}

// savedDraftOf translates a stored draft into the domain type, the one
// place that does.
func savedDraftOf(r localstore.Draft) backend.SavedDraft {
	d := backend.Draft{To: r.To, Cc: r.Cc, Bcc: r.Bcc, Subject: r.Subject, Body: r.Body, InReplyTo: r.InReplyTo, References: r.References}
	for _, a := range r.Attachments {
		d.Attachments = append(d.Attachments, backend.Attachment{Filename: a.Name, ContentType: a.ContentType, Size: len(a.Data), Data: a.Data})
	}
	return backend.SavedDraft{ID: r.ID, Account: r.Account, Draft: d, Mode: r.Mode, Saved: r.Saved, Uploaded: !r.UploadPending}
}

// Delete deletes the draft on this computer at once, then removes its
// copies from the Drafts folder within ctx. When that fails the error wraps
// backend.ErrDraftCopyKept: a tombstone keeps the copies to remove, and the
// next Upload (every sync runs it) removes them.
func (ds *Drafts) Delete(ctx context.Context, account, id string) error {
	if err := ds.store.Drafts().Delete(account, id); err != nil {
		return err
	}
	if err := ds.upload(ctx, account, id); err != nil {
		return fmt.Errorf("%w: %w", backend.ErrDraftCopyKept, err)
	}
	return nil
}

// Upload brings account's Drafts folder in line with its drafts:
// each draft saved since its last upload is APPENDed (encrypted to the
// account's own key only, flagged \Draft \Seen) and every older copy, and
// every copy of a deleted draft, is removed. It connects only when there
// is something to do. A draft that fails stays pending; the error names
// the cause.
func (ds *Drafts) Upload(ctx context.Context, account string) error {
	return ds.upload(ctx, account, "")
}

// uploadForSync is the sync's drafts step: an upload failure is not
// fatal to the sync; warn receives it in words a user can act on.
func (ds *Drafts) uploadForSync(ctx context.Context, account string, warn func(string)) {
	if err := ds.Upload(ctx, account); err != nil && warn != nil {
		warn(fmt.Sprintf("Drafts of %s are kept on this computer but not yet in the Drafts folder (%v); the next sync tries again.", account, err))
	}
}

// upload does Upload's work for every draft of account, or only
// for draft only when it is not empty.
func (ds *Drafts) upload(ctx context.Context, account, only string) error {
	acct, err := ds.accounts.get(account)
	if err != nil {
		return err
	}
	recs, err := ds.store.Drafts().Records(acct.Email)
	if err != nil {
		return err
	}
	var work []localstore.Draft
	for _, r := range recs {
		if (only == "" || r.ID == only) && ((r.UploadPending && !r.Deleted) || len(r.Stale()) > 0) {
			work = append(work, r)
		}
	}
	if len(work) == 0 {
		return nil
	}
	if !slices.ContainsFunc(work, func(r localstore.Draft) bool { return len(r.Stale()) > 0 }) {
		// Only uploads to do: without an own key there is nothing to log in for.
		key, err := ds.keys.signingKey(acct.Email, ds.now())
		if err != nil {
			return fmt.Errorf("%s: %w", draftsNeedOwnKey, err)
		}
		key.ClearPrivate()
	}
	c, _, err := ds.connections.dialIMAP(ctx, acct, nil)
	if err != nil {
		return fmt.Errorf("cannot reach the Drafts folder: %w", err)
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	up := draftUploader{ds: ds, c: c, acct: acct}
	var errs []error
	for _, r := range work {
		if err := up.sync(r); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return c.Logout().Wait()
}

// draftUploader works through drafts on one logged-in connection.
type draftUploader struct {
	ds     *Drafts
	c      *imapclient.Client
	acct   localstore.Account
	folder string // the Drafts folder, found on first use
}

// sync uploads r when it is pending and removes its stale copies.
func (u *draftUploader) sync(r localstore.Draft) error {
	if r.UploadPending && !r.Deleted {
		full, err := u.ds.store.Drafts().Get(r.Account, r.ID)
		if err != nil {
			return err
		}
		if r, err = u.upload(full); err != nil {
			return err
		}
	}
	stale := r.Stale()
	if len(stale) == 0 {
		return nil
	}
	if err := u.remove(stale); err != nil {
		return err
	}
	return u.ds.store.Drafts().Removed(r.Account, r.ID, stale)
}

// upload APPENDs d and records the new copy.
func (u *draftUploader) upload(d localstore.Draft) (localstore.Draft, error) {
	folder, err := u.draftsFolder()
	if err != nil {
		return localstore.Draft{}, err
	}
	raw, msgID, err := u.ds.buildMessage(u.acct, d)
	if err != nil {
		return localstore.Draft{}, err
	}
	cmd := u.c.Append(folder, int64(len(raw)), &imap.AppendOptions{Flags: []imap.Flag{imap.FlagDraft, imap.FlagSeen}})
	if _, err := cmd.Write(raw); err != nil {
		return localstore.Draft{}, fmt.Errorf("save the draft to %s: %w", folder, err)
	}
	if err := cmd.Close(); err != nil {
		return localstore.Draft{}, fmt.Errorf("save the draft to %s: %w", folder, err)
	}
	data, err := cmd.Wait()
	if err != nil {
		return localstore.Draft{}, fmt.Errorf("save the draft to %s: %w", folder, err)
	}
	cp := localstore.ServerCopy{Folder: folder, MessageID: msgID, Revision: d.Revision}
	if data != nil {
		cp.UID, cp.UIDValidity = uint32(data.UID), data.UIDValidity
	}
	return u.ds.store.Drafts().Uploaded(d.Account, d.ID, cp)
}

// draftsFolder is the folder marked \Drafts, else the one named Drafts,
// created when the server does not have it.
func (u *draftUploader) draftsFolder() (string, error) {
	if u.folder != "" {
		return u.folder, nil
	}
	folders, err := u.ds.store.Folders().List(u.acct.Email)
	if err != nil {
		return "", err
	}
	for _, f := range folders {
		if f.SpecialUse == imapsync.SpecialDrafts {
			u.folder = f.Name
			return f.Name, nil
		}
	}
	for _, f := range folders {
		if strings.EqualFold(f.Name, draftsFolderName) {
			u.folder = f.Name
			return f.Name, nil
		}
	}
	list, err := u.c.List("", draftsFolderName, nil).Collect()
	if err != nil {
		return "", fmt.Errorf("look for the %s folder: %w", draftsFolderName, err)
	}
	if len(list) == 0 {
		if err := u.c.Create(draftsFolderName, nil).Wait(); err != nil {
			return "", fmt.Errorf("create the %s folder: %w", draftsFolderName, err)
		}
	}
	u.folder = draftsFolderName
	return u.folder, nil
}

// remove deletes copies from the server: by UID when the folder's
// UIDVALIDITY is still theirs, else by Message-ID. Copies no longer there
// count as removed. Without UIDPLUS they are only flagged \Deleted (a
// plain EXPUNGE could remove other messages the user deleted).
func (u *draftUploader) remove(copies []localstore.ServerCopy) error {
	byFolder := map[string][]localstore.ServerCopy{}
	var order []string
	for _, c := range copies {
		if _, ok := byFolder[c.Folder]; !ok {
			order = append(order, c.Folder)
		}
		byFolder[c.Folder] = append(byFolder[c.Folder], c)
	}
	for _, folder := range order {
		sel, err := u.c.Select(folder, nil).Wait()
		if err != nil {
			return fmt.Errorf("open %s to remove an old draft: %w", folder, err)
		}
		var uids imap.UIDSet
		for _, c := range byFolder[folder] {
			if c.UID != 0 && c.UIDValidity == sel.UIDValidity {
				uids.AddNum(imap.UID(c.UID))
				continue
			}
			if c.MessageID == "" {
				continue
			}
			found, err := u.c.UIDSearch(&imap.SearchCriteria{
				Header: []imap.SearchCriteriaHeaderField{{Key: "Message-ID", Value: "<" + c.MessageID + ">"}},
			}, nil).Wait()
			if err != nil {
				return fmt.Errorf("find an old draft in %s: %w", folder, err)
			}
			uids.AddNum(found.AllUIDs()...)
		}
		if len(uids) == 0 {
			continue
		}
		if err := u.c.Store(uids, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
			return fmt.Errorf("remove an old draft from %s: %w", folder, err)
		}
		if u.c.Caps().Has(imap.CapUIDPlus) {
			if err := u.c.UIDExpunge(uids).Close(); err != nil {
				return fmt.Errorf("remove an old draft from %s: %w", folder, err)
			}
		}
	}
	return nil
}

// draftsNeedOwnKey says why a draft stays on this computer without an own
// key.
const draftsNeedOwnKey = "drafts go to the server only encrypted to your own key"

// buildMessage writes d as the Drafts folder keeps it: RFC 3156
// multipart/encrypted, encrypted to the account's own key only and signed
// with it. The encrypted part carries the real header fields (From, To,
// Cc, Bcc, Subject, Date, Message-ID, In-Reply-To, References: RFC 9788
// header protection); the outer header says nothing more than From, Date,
// a fresh Message-ID and the Subject placeholder. It returns the message
// and its Message-ID.
func (ds *Drafts) buildMessage(acct localstore.Account, d localstore.Draft) ([]byte, string, error) {
	now := ds.now()
	key, err := ds.keys.signingKey(acct.Email, now)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", draftsNeedOwnKey, err)
	}
	defer key.ClearPrivate()
	msgID, err := newMessageID(acct.Email)
	if err != nil {
		return nil, "", err
	}
	from := &gomail.Address{Name: acct.DisplayName, Address: acct.Email}
	inner, err := draftPayload(d, from, msgID, now)
	if err != nil {
		return nil, "", err
	}
	defer clear(inner)
	armored, err := crypto.EncryptBytes(inner, crypto.EncryptOptions{
		Recipients: []*crypto.Key{key.Public()}, Signer: key, Now: now, Armor: true,
	})
	if err != nil {
		return nil, "", fmt.Errorf("encrypt the draft to your own key: %w", err)
	}
	var outer gomail.Header
	outer.SetDate(now)
	outer.SetAddressList("From", []*gomail.Address{from})
	outer.SetMessageID(msgID)
	outer.SetSubject(hiddenDraftSubject)
	outer.Set("MIME-Version", "1.0")
	outer.SetContentType("multipart/encrypted", map[string]string{"protocol": "application/pgp-encrypted"})
	var buf bytes.Buffer
	w, err := message.CreateWriter(&buf, outer.Header)
	if err != nil {
		return nil, "", err
	}
	var version message.Header
	version.SetContentType("application/pgp-encrypted", nil)
	version.Set("Content-Description", "PGP/MIME version identification")
	var data message.Header
	data.SetContentType("application/octet-stream", map[string]string{"name": "encrypted.asc"})
	data.Set("Content-Description", "OpenPGP encrypted message")
	data.SetContentDisposition("inline", map[string]string{"filename": "encrypted.asc"})
	for _, part := range []struct {
		h    message.Header
		body []byte
	}{{version, []byte("Version: 1\r\n")}, {data, crlf(armored)}} {
		pw, err := w.CreatePart(part.h)
		if err != nil {
			return nil, "", err
		}
		if _, err := pw.Write(part.body); err != nil {
			return nil, "", err
		}
		if err := pw.Close(); err != nil {
			return nil, "", err
		}
	}
	if err := w.Close(); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), msgID, nil
}

// draftPayload is the encrypted part of a draft: multipart/mixed with the
// protected header fields (hp="cipher"), the text and the attachments.
// Address fields that do not parse (a draft may hold half-typed addresses)
// are kept as text.
func draftPayload(d localstore.Draft, from *gomail.Address, msgID string, now time.Time) ([]byte, error) {
	var h gomail.Header
	h.SetDate(now)
	h.SetAddressList("From", []*gomail.Address{from})
	for _, f := range []struct {
		name string
		list []string
	}{{"To", d.To}, {"Cc", d.Cc}, {"Bcc", d.Bcc}} {
		if len(f.list) == 0 {
			continue
		}
		if addrs, err := parseAddresses(f.list); err == nil && len(addrs) > 0 {
			h.SetAddressList(f.name, addrs)
		} else {
			h.SetText(f.name, strings.Join(f.list, ", "))
		}
	}
	h.SetSubject(d.Subject)
	h.SetMessageID(msgID)
	if d.InReplyTo != "" {
		h.SetMsgIDList("In-Reply-To", []string{d.InReplyTo})
	}
	if len(d.References) > 0 {
		h.SetMsgIDList("References", d.References)
	}
	h.SetContentType("multipart/mixed", map[string]string{"hp": "cipher", "protected-headers": "v1"})
	var buf bytes.Buffer
	w, err := message.CreateWriter(&buf, h.Header)
	if err != nil {
		return nil, err
	}
	var th message.Header
	th.SetContentType("text/plain", map[string]string{"charset": "utf-8"})
	th.Set("Content-Transfer-Encoding", "quoted-printable")
	parts := []struct {
		h    message.Header
		body []byte
	}{{th, []byte(d.Body)}}
	for _, a := range d.Attachments {
		var ah message.Header
		ct := a.ContentType
		if ct == "" {
			ct = contentTypeFor(a.Name)
		}
		mt, params, err := mime.ParseMediaType(ct)
		if err != nil {
			mt, params = "application/octet-stream", nil
		}
		ah.SetContentType(mt, params)
		ah.SetContentDisposition("attachment", map[string]string{"filename": a.Name})
		ah.Set("Content-Transfer-Encoding", "base64")
		parts = append(parts, struct {
			h    message.Header
			body []byte
		}{ah, a.Data})
	}
	for _, part := range parts {
		pw, err := w.CreatePart(part.h)
		if err != nil {
			return nil, err
		}
		if _, err := io.Copy(pw, bytes.NewReader(part.body)); err != nil {
			return nil, err
		}
		if err := pw.Close(); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// crlf ends every line of text with CRLF, as mail must.
func crlf(text []byte) []byte {
	return bytes.ReplaceAll(bytes.ReplaceAll(text, []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r\n"))
}
