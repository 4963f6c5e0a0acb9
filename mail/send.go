package mail

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-message"
	gomail "github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"

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

// Outbox sends mail: each message is composed (see Composer), sealed in
// the outbox and submitted over SMTP; what fails waits there to be retried
// or discarded, and what went out gets its copy in the account's Sent
// folder. One submit.Outbox does the sending for the profile, so a Send, a
// flush and a Retry never submit the same message at once.
type Outbox struct {
	store       *localstore.Store
	accounts    *Accounts
	connections *Connections
	composer    *Composer
	delivery    *Delivery
	now         func() time.Time

	senderOnce sync.Once // makes sender, once
	sender     *submit.Outbox
	senderErr  error
}

// queue is the profile's one sender, made on first use.
func (o *Outbox) queue() (*submit.Outbox, error) {
	o.senderOnce.Do(func() {
		o.sender, o.senderErr = submit.NewOutbox(o.store, submit.Options{
			Session: o.smtpSession(),
			Sent:    sentAppender{o},
			ServerSavesSent: func(account string) bool {
				acct, err := o.accounts.get(account)
				return err == nil && acct.ServerSavesSent
			},
			Now: o.now,
		})
	})
	return o.sender, o.senderErr
}

// smtpSession gives the sender its submission connections. A token the
// server refuses at AUTH although it had not expired is renewed once and
// the submission tried again (see Connections.withRenewal): AUTH comes
// before MAIL FROM, so nothing of the message has gone out then.
func (o *Outbox) smtpSession() submit.Session {
	return func(ctx context.Context, account string, try func(net.Conn, submit.Auth) error) error {
		acct, err := o.accounts.get(account)
		if err != nil {
			return err
		}
		return o.connections.withRenewal(ctx, acct, func(acct localstore.Account) error {
			conn, auth, _, err := o.connections.dialSMTP(ctx, acct)
			if err != nil {
				return err
			}
			return markLoginRejected(try(conn, auth))
		})
	}
}

// Send composes the message as sec asks (see Composer.Compose: fail closed), seals
// it in the outbox and submits it. On a failed submission the message stays
// in the outbox (the error wraps ErrKeptInOutbox and names the item), to be
// retried or discarded. The audit entry written when the server accepts it
// records the security mode and the delivery security of each recipient
// domain, checked once the message is sealed in the outbox (see Delivery).
func (o *Outbox) Send(ctx context.Context, account string, d backend.Draft, sec backend.Security) (string, error) {
	acct, err := o.accounts.get(account)
	if err != nil {
		return "", err
	}
	d.FromName = acct.DisplayName
	raw, err := o.composer.Compose(acct.Email, d, sec)
	if err != nil {
		return "", err
	}
	var finding func(context.Context) []localstore.AuditDelivery
	if o.delivery != nil {
		finding = func(ctx context.Context) []localstore.AuditDelivery {
			return auditDeliveries(o.delivery.CheckRecipients(ctx, slices.Concat(d.To, d.Cc, d.Bcc)))
		}
	}
	return o.send(ctx, acct.Email, raw, submit.About{Subject: d.Subject, Record: localstore.SendRecord{Mode: sentMode(sec.Mode)}}, finding)
}

// sentMode is the mode a message composed with mode is sent in: auto
// sends only encrypted (or not at all).
func sentMode(mode string) string {
	if mode == "" || mode == ModeAuto {
		return ModeEncrypt
	}
	return mode
}

// SendRaw queues a finished message and submits it.
func (o *Outbox) SendRaw(ctx context.Context, account string, raw []byte) (string, error) {
	return o.send(ctx, account, raw, submit.About{}, nil)
}

// send queues raw with what its audit entry is to record and submits it;
// finding, when not nil, adds the delivery findings to that record once
// the message is safe in the outbox (the lookups take seconds).
func (o *Outbox) send(ctx context.Context, account string, raw []byte, about submit.About, finding func(context.Context) []localstore.AuditDelivery) (string, error) {
	ob, err := o.queue()
	if err != nil {
		return "", err
	}
	item, err := ob.EnqueueAbout(strings.ToLower(account), raw, about)
	if err != nil {
		return "", err
	}
	send := ob.Send
	if finding != nil {
		send = func(ctx context.Context, id string) error { return ob.SendFinding(ctx, id, finding) }
	}
	if err := send(ctx, item.ID); err != nil {
		return item.ID, fmt.Errorf("%w (id %s): %w", ErrKeptInOutbox, item.ID, markLoginRejected(err))
	}
	return item.ID, nil
}

// List lists the messages waiting to be sent, oldest first.
func (o *Outbox) List() ([]OutboxItem, error) { return o.store.Outbox().List() }

// Items describes the messages waiting to be sent, oldest first, for the
// app: the subject is read from the outer header of the sealed message,
// which is what travels ("[...]" when header protection hides the real
// one). Nothing is decrypted.
func (o *Outbox) Items() ([]backend.OutboxItem, error) {
	items, err := o.List()
	var out []backend.OutboxItem
	for _, it := range items {
		out = append(out, outboxItem(it))
	}
	return out, err
}

// Retry submits a queued message again now.
func (o *Outbox) Retry(ctx context.Context, id string) error {
	ob, err := o.queue()
	if err != nil {
		return err
	}
	return markLoginRejected(ob.Retry(ctx, id))
}

// Discard removes a queued message without sending it; the audit
// trail records it.
func (o *Outbox) Discard(id string) error {
	ob, err := o.queue()
	if err != nil {
		return err
	}
	return ob.Discard(id)
}

// Flush submits every queued message that is due.
func (o *Outbox) Flush(ctx context.Context) error {
	ob, err := o.queue()
	if err != nil {
		return err
	}
	return ob.Flush(ctx)
}

// sentAppender saves submitted messages in the account's Sent folder.
type sentAppender struct{ o *Outbox }

// AppendSent APPENDs raw, marked read, to the folder with the \Sent
// attribute (or one named Sent). If the server answers that the folder
// does not exist (NO [TRYCREATE]), the message has gone out already, so
// the folder is made (see createSent) and the APPEND repeated, rather than
// the copy failing.
func (s sentAppender) AppendSent(ctx context.Context, account string, raw []byte) error {
	acct, err := s.o.accounts.get(account)
	if err != nil {
		return err
	}
	folder, err := s.o.sentFolder(acct.Email)
	if err != nil {
		return err
	}
	c, conn, _, err := s.o.connections.dialIMAPConn(ctx, acct, nil)
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
func (o *Outbox) sentFolder(account string) (string, error) {
	folders, err := o.store.Folders().List(account)
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

// outboxItem describes it for the UI from its record and the outer header
// of its sealed message.
func outboxItem(it localstore.OutboxItem) backend.OutboxItem {
	out := backend.OutboxItem{
		ID: it.ID, Account: it.Account, To: it.Recipients, Subject: outerSubject(it.Raw), Queued: it.CreatedAt,
		Attempts: it.Attempts, LastError: it.LastError, NextTry: it.NextAttempt, State: OutboxState(it),
	}
	return out
}

// OutboxState says where a queued message stands, as one of the
// backend.Outbox… states: sent (only the Sent copy is missing), uncertain
// (cut off while the server received it; never resent without the user),
// sending, held (waits for the user) or waiting (for its retry time).
func OutboxState(it OutboxItem) string {
	switch {
	case !it.AcceptedAt.IsZero():
		return backend.OutboxSent
	case !it.SubmittingSince.IsZero() && it.Held:
		return backend.OutboxUncertain
	case !it.SubmittingSince.IsZero():
		return backend.OutboxSending
	case it.Held:
		return backend.OutboxHeld
	}
	return backend.OutboxWaiting
}

// outerSubject is the decoded Subject of raw's top-level header, empty when
// it has none or cannot be read.
func outerSubject(raw []byte) string {
	h, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil {
		return ""
	}
	s, err := (&gomail.Header{Header: message.Header{Header: h}}).Subject()
	if err != nil {
		return h.Get("Subject")
	}
	return s
}
