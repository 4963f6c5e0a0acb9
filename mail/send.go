package mail

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail/backend"
	"github.com/sealpost/sealpost/mail/imapsync"
	"github.com/sealpost/sealpost/mail/submit"
)

// OutboxItem is a message waiting in the sealed outbox.
type OutboxItem = localstore.OutboxItem

// ErrKeptInOutbox wraps a failed send: the message is safe in the outbox.
// It is backend.ErrKeptInOutbox, so that the UI can tell.
var ErrKeptInOutbox = backend.ErrKeptInOutbox

// outbox is the profile's sending queue: one for the profile, so that a
// Send, a sync's flush and a Retry never submit the same message at once.
func (p *Profile) outbox() (*submit.Outbox, error) {
	p.senderOnce.Do(func() { p.sender, p.senderErr = p.newOutbox() })
	return p.sender, p.senderErr
}

func (p *Profile) newOutbox() (*submit.Outbox, error) {
	return submit.NewOutbox(p.store, submit.Options{
		Connect: p.smtpConnector(),
		Sent:    sentAppender{p},
		ServerSavesSent: func(account string) bool {
			acct, err := p.account(account)
			return err == nil && acct.ServerSavesSent
		},
		Now: p.now,
	})
}

// Send composes the message as sec asks (see Compose: fail closed), seals
// it in the outbox and submits it. On a failed submission the message stays
// in the outbox (the error wraps ErrKeptInOutbox and names the item), to be
// retried or discarded.
func (p *Profile) Send(ctx context.Context, account string, d backend.Draft, sec SecurityOptions) (string, error) {
	acct, err := p.account(account)
	if err != nil {
		return "", err
	}
	d.FromName = acct.DisplayName
	raw, err := p.Compose(acct.Email, d, sec)
	if err != nil {
		return "", err
	}
	return p.SendRaw(ctx, acct.Email, raw)
}

// SendRaw queues a finished message and submits it.
func (p *Profile) SendRaw(ctx context.Context, account string, raw []byte) (string, error) {
	ob, err := p.outbox()
	if err != nil {
		return "", err
	}
	item, err := ob.Enqueue(strings.ToLower(account), raw)
	if err != nil {
		return "", err
	}
	if err := ob.Send(ctx, item.ID); err != nil {
		return item.ID, fmt.Errorf("%w (id %s): %w", ErrKeptInOutbox, item.ID, markLoginRejected(err))
	}
	return item.ID, nil
}

// Outbox lists the messages waiting to be sent, oldest first.
func (p *Profile) Outbox() ([]OutboxItem, error) { return p.store.Outbox().List() }

// RetryOutbox submits a queued message again now.
func (p *Profile) RetryOutbox(ctx context.Context, id string) error {
	ob, err := p.outbox()
	if err != nil {
		return err
	}
	return markLoginRejected(ob.Retry(ctx, id))
}

// DiscardOutbox removes a queued message without sending it; the audit
// trail records it.
func (p *Profile) DiscardOutbox(id string) error {
	ob, err := p.outbox()
	if err != nil {
		return err
	}
	return ob.Discard(id)
}

// FlushOutbox submits every queued message that is due.
func (p *Profile) FlushOutbox(ctx context.Context) error {
	ob, err := p.outbox()
	if err != nil {
		return err
	}
	return ob.Flush(ctx)
}

// sentAppender saves submitted messages in the account's Sent folder.
type sentAppender struct{ p *Profile }

// AppendSent APPENDs raw, marked read, to the folder with the \Sent
// attribute (or one named Sent). If the server answers that the folder
// does not exist (NO [TRYCREATE]), the message has gone out already, so
// the folder is made (see createSent) and the APPEND repeated, rather than
// the copy failing.
func (s sentAppender) AppendSent(ctx context.Context, account string, raw []byte) error {
	acct, err := s.p.account(account)
	if err != nil {
		return err
	}
	folder, err := s.p.sentFolder(acct.Email)
	if err != nil {
		return err
	}
	c, conn, _, err := s.p.dialIMAPConn(ctx, acct, nil)
	if err != nil {
		return err
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	err = appendSeen(c, folder, raw)
	if isTryCreate(err) {
		if folder, err = createSent(c, folder); err == nil {
			err = appendSeen(c, folder, raw)
		}
	}
	if err != nil {
		return fmt.Errorf("save to %s: %w", folder, imapStalled(conn, err))
	}
	return imapStalled(conn, c.Logout().Wait())
}

// appendSeen APPENDs raw to folder, marked read.
func appendSeen(c *imapclient.Client, folder string, raw []byte) error {
	cmd := c.Append(folder, int64(len(raw)), &imap.AppendOptions{Flags: []imap.Flag{imap.FlagSeen}})
	if _, err := cmd.Write(raw); err != nil {
		return err
	}
	if err := cmd.Close(); err != nil {
		return err
	}
	_, err := cmd.Wait()
	return err
}

// isTryCreate reports whether err is the server's answer that the target
// folder does not exist and may be created (RFC 9051 section 7.1).
func isTryCreate(err error) bool {
	imapErr, ok := errors.AsType[*imap.Error](err)
	return ok && imapErr.Code == imap.ResponseCodeTryCreate
}

// createSent makes a Sent folder after an APPEND to missing failed with
// TRYCREATE, and returns its name. The server's own list comes first: if a
// folder there has the \Sent attribute (the local list was out of date),
// that one is used. Otherwise missing is created, marked \Sent where the
// server supports CREATE-SPECIAL-USE.
func createSent(c *imapclient.Client, missing string) (string, error) {
	var listOpts *imap.ListOptions
	if c.Caps().Has(imap.CapSpecialUse) {
		listOpts = &imap.ListOptions{ReturnSpecialUse: true}
	}
	boxes, err := c.List("", "*", listOpts).Collect()
	if err != nil {
		return missing, fmt.Errorf("list folders: %w", err)
	}
	for _, b := range boxes {
		if slices.Contains(b.Attrs, imap.MailboxAttrSent) && !slices.Contains(b.Attrs, imap.MailboxAttrNoSelect) {
			return b.Mailbox, nil
		}
	}
	var createOpts *imap.CreateOptions
	if c.Caps().Has(imap.CapCreateSpecialUse) {
		createOpts = &imap.CreateOptions{SpecialUse: []imap.MailboxAttr{imap.MailboxAttrSent}}
	}
	if err := c.Create(missing, createOpts).Wait(); err != nil {
		return missing, fmt.Errorf("create the folder: %w", err)
	}
	return missing, nil
}

// sentFolder finds the account's Sent folder among the synchronised ones.
func (p *Profile) sentFolder(account string) (string, error) {
	folders, err := p.store.Folders().List(account)
	if err != nil {
		return "", err
	}
	for _, f := range folders {
		if f.SpecialUse == imapsync.SpecialSent {
			return f.Name, nil
		}
	}
	for _, f := range folders {
		if strings.EqualFold(f.Name, "Sent") {
			return f.Name, nil
		}
	}
	return "Sent", nil
}
