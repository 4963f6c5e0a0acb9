package submit

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"

	"github.com/sealpost/sealpost/localstore"
	mailbackend "github.com/sealpost/sealpost/mail/backend"
)

// Audit entry kinds written by the outbox.
const (
	// AuditSent is written when the server accepts a message, in the same
	// transaction that records the acceptance. Subject is the Message-ID;
	// Detail says who sent what to whom and how (see SentDetail).
	AuditSent = "mail.sent"
	// AuditDiscarded is written when the user discards a queued message.
	AuditDiscarded = "mail.discarded"
)

// Default retry schedule: the first retry after a minute, doubling up to an hour.
const (
	DefaultRetryBase = time.Minute
	DefaultRetryMax  = time.Hour
)

// Connector opens a connection to account's submission server and returns
// it with the credential to log in. The connection must be TLS (implicit,
// or after STARTTLS, as mail/transport's DialSMTP returns it) and nothing
// may have been read from it or written to it since; Submit refuses
// anything else.
type Connector func(ctx context.Context, account string) (net.Conn, Auth, error)

// Session runs one attempt to submit a message of account: it opens a
// connection to the submission server as for a Connector and hands it to
// try with the credential to log in, which submits the message over it and
// closes it. When try fails with ErrAuthFailed (the server refused the
// credential at AUTH, before MAIL FROM, so nothing of the message went
// out), Session may call try once more, on a new connection, with a
// renewed credential; try refuses to run again after any other outcome.
type Session func(ctx context.Context, account string, try func(net.Conn, Auth) error) error

// errTriedAgain is try's answer to a second call that Session's contract
// does not allow: the message might go out twice.
var errTriedAgain = errors.New("submit: a submission is tried again only once, and only after the server refused the credential at AUTH")

// errNoAttempt means a Session returned without submitting the message.
var errNoAttempt = errors.New("submit: the session did not submit the message")

// SentAppender saves the submitted copy of a message in account's Sent
// folder (with IMAP APPEND).
type SentAppender interface {
	AppendSent(ctx context.Context, account string, raw []byte) error
}

// Options configure an Outbox.
type Options struct {
	// Connect opens submission connections. Required unless Session is
	// set.
	Connect Connector
	// Session, when not nil, is used instead of Connect: it connects for
	// each attempt and may try a renewed credential once after a refused
	// one.
	Session Session
	// Sent saves copies in Sent. Required unless ServerSavesSent is true
	// for every account.
	Sent SentAppender
	// ServerSavesSent reports whether account's provider saves submitted
	// mail in Sent itself (as Gmail does), so that Sealpost must not; nil
	// means no provider does.
	ServerSavesSent func(account string) bool
	// HeloName is the name to greet servers with; empty means
	// DefaultHeloName.
	HeloName string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// RetryBase is the wait before the first retry after a temporary
	// error; each further failure doubles it, up to RetryMax. Zero means
	// DefaultRetryBase and DefaultRetryMax.
	RetryBase, RetryMax time.Duration
}

// Outbox sends the messages queued in the store's outbox. Its methods are
// safe for concurrent use; one message is never sent by two calls at once.
//
// The life of a message: Enqueue seals it in the store. Send (or Flush)
// marks it as being submitted, submits it, and on acceptance records
// AcceptedAt and writes the AuditSent entry in one transaction, before
// anything else; from then on it is never submitted again. Then it is
// saved in Sent (unless the provider does that itself) and removed. A
// failed copy to Sent is retried on its own schedule.
//
// A failed submission stays queued with LastError and Attempts. Temporary
// errors are retried by Flush after a doubling wait; permanent ones hold
// the message until the user calls Retry or Discard. If Sealpost stopped
// while the server was receiving a message (SubmittingSince is set), the
// message is held with ErrUncertain rather than sent again: only the user
// can tell whether the recipients got it. (SMTP has one unavoidable window:
// a crash after the server's acceptance and before the store's commit,
// a few milliseconds, also ends as ErrUncertain.)
type Outbox struct {
	store *localstore.Store
	opts  Options

	mu       sync.Mutex
	inflight map[string]bool
}

// NewOutbox returns an outbox over store.
func NewOutbox(store *localstore.Store, opts Options) (*Outbox, error) {
	if store == nil || (opts.Connect == nil && opts.Session == nil) {
		return nil, errors.New("submit: NewOutbox needs a store and a Connector or a Session")
	}
	if opts.Sent == nil && opts.ServerSavesSent == nil {
		return nil, errors.New("submit: NewOutbox needs a SentAppender unless every provider saves sent mail itself")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.RetryBase <= 0 || opts.RetryMax <= 0 {
		opts.RetryBase, opts.RetryMax = DefaultRetryBase, DefaultRetryMax
	}
	return &Outbox{store: store, opts: opts, inflight: map[string]bool{}}, nil
}

// About is what the audit entry of a sent message records beyond its
// envelope and header.
type About struct {
	// Subject is the real subject, when the outer one is a placeholder
	// (header protection); empty: the outer Subject is used.
	Subject string
	// Record is what the audit entry keeps apart from its text: the
	// security mode the message was composed in (empty: read from its
	// Content-Type) and the delivery-security findings.
	Record localstore.SendRecord
}

// Enqueue checks raw (a finished, already signed or encrypted message with
// a Message-ID) and seals it in the outbox with its envelope. The stored
// copy keeps its Bcc header, as the user's own Sent copy should; it is
// removed only from what is submitted.
func (o *Outbox) Enqueue(account string, raw []byte) (localstore.OutboxItem, error) {
	return o.EnqueueAbout(account, raw, About{})
}

// EnqueueAbout is Enqueue with what the audit entry of the sent message
// records.
func (o *Outbox) EnqueueAbout(account string, raw []byte, about About) (localstore.OutboxItem, error) {
	_, env, err := PrepareForSubmission(raw)
	if err != nil {
		return localstore.OutboxItem{}, err
	}
	if _, err := messageID(raw); err != nil {
		return localstore.OutboxItem{}, err
	}
	item, err := o.store.Outbox().Add(localstore.OutboxItem{
		Account:    account,
		From:       env.From,
		Recipients: env.To,
		Raw:        raw,
		Subject:    about.Subject,
		CreatedAt:  o.opts.Now().UTC(),
		SendRecord: about.Record,
	})
	if err != nil {
		return localstore.OutboxItem{}, err
	}
	return item, nil
}

// List returns the queued messages, oldest first.
func (o *Outbox) List() ([]localstore.OutboxItem, error) {
	return o.store.Outbox().List()
}

// Flush sends every message that is due: not held, not being sent, and
// whose NextAttempt has come. It returns the errors of the messages that
// failed, each recorded on its item as well.
func (o *Outbox) Flush(ctx context.Context) error {
	items, err := o.store.Outbox().List()
	if err != nil {
		return err
	}
	var errs []error
	for _, it := range items {
		if ctx.Err() != nil {
			errs = append(errs, ctx.Err())
			break
		}
		if it.Held || it.NextAttempt.After(o.opts.Now()) {
			continue
		}
		if err := o.Send(ctx, it.ID); err != nil && !errors.Is(err, ErrBusy) && !errors.Is(err, localstore.ErrNotFound) {
			errs = append(errs, fmt.Errorf("the message to %s: %w", strings.Join(it.Recipients, ", "), err))
		}
	}
	return errors.Join(errs...)
}

// Send sends the message id now, whatever its schedule; a held message
// fails with ErrHeld. If the message was accepted already, only its copy
// to Sent is attempted.
func (o *Outbox) Send(ctx context.Context, id string) error {
	if !o.claim(id) {
		return ErrBusy
	}
	defer o.release(id)
	return o.send(ctx, id)
}

// SendFinding is Send with the delivery findings that finding makes (DNS
// lookups, which may take seconds) added to the message's audit record
// first. The message is sealed in the outbox all that time, and claimed,
// so that no flush sends it before its record is complete.
func (o *Outbox) SendFinding(ctx context.Context, id string, finding func(context.Context) []localstore.AuditDelivery) error {
	if !o.claim(id) {
		return ErrBusy
	}
	defer o.release(id)
	if found := finding(ctx); len(found) > 0 {
		it, err := o.store.Outbox().Get(id)
		if err != nil {
			return err
		}
		it.SendRecord.Delivery = found
		if err := o.store.Outbox().Update(it); err != nil {
			return err
		}
	}
	return o.send(ctx, id)
}

// Retry releases a held message (the user's decision, also to risk a
// duplicate after ErrUncertain) and sends it now.
func (o *Outbox) Retry(ctx context.Context, id string) error {
	if !o.claim(id) {
		return ErrBusy
	}
	defer o.release(id)
	it, err := o.store.Outbox().Get(id)
	if err != nil {
		return err
	}
	if it.AcceptedAt.IsZero() {
		it.Held, it.SubmittingSince, it.NextAttempt = false, time.Time{}, time.Time{}
		if err := o.store.Outbox().Update(it); err != nil {
			return err
		}
	}
	return o.send(ctx, id)
}

// send is Send for a claimed id.
func (o *Outbox) send(ctx context.Context, id string) error {
	it, err := o.store.Outbox().Get(id)
	if err != nil {
		return err
	}
	switch {
	case !it.AcceptedAt.IsZero():
		return o.saveCopy(ctx, it)
	case it.Held:
		return fmt.Errorf("%w (last error: %s)", ErrHeld, it.LastError)
	case !it.SubmittingSince.IsZero():
		// Not running here (it is claimed), so an earlier run stopped
		// while the server was receiving the message.
		return o.failed(it, ErrUncertain)
	}
	return o.submit(ctx, it)
}

// Discard removes the message id from the outbox and writes an
// AuditDiscarded entry. A message the server accepted already is only
// spared its copy to Sent.
func (o *Outbox) Discard(id string) error {
	if !o.claim(id) {
		return ErrBusy
	}
	defer o.release(id)
	it, err := o.store.Outbox().Get(id)
	if err != nil {
		return err
	}
	detail := "not sent"
	if !it.AcceptedAt.IsZero() {
		detail = "sent; copy to Sent not saved"
	} else if !it.SubmittingSince.IsZero() {
		detail = "possibly sent (the outcome was unknown)"
	}
	mid, _ := messageID(it.Raw)
	return o.store.Outbox().Delete(id, localstore.AuditNote{Kind: AuditDiscarded, Subject: mid, Detail: detail})
}

// submit runs one submission of it and records the outcome.
func (o *Outbox) submit(ctx context.Context, it localstore.OutboxItem) error {
	data, _, err := PrepareForSubmission(it.Raw)
	if err != nil {
		return o.failed(it, err)
	}
	env := Envelope{From: it.From, To: it.Recipients}
	tries := 0
	var last error
	try := func(conn net.Conn, auth Auth) error {
		if tries > 1 || (tries == 1 && !errors.Is(last, ErrAuthFailed)) {
			conn.Close()
			return errTriedAgain
		}
		tries++
		last = submit(ctx, conn, o.opts.HeloName, auth, env, data, func() error {
			it.SubmittingSince = o.opts.Now().UTC()
			return o.store.Outbox().Update(it)
		})
		return last
	}
	err = o.session()(ctx, it.Account, try)
	if err == nil && (tries == 0 || last != nil) {
		// Only an attempt the server accepted counts as sent.
		err = cmp.Or(last, errNoAttempt)
	}
	if err != nil {
		if !it.SubmittingSince.IsZero() && !errors.Is(err, ErrUncertain) {
			it.SubmittingSince = time.Time{} // the server answered: no doubt left
		}
		return o.failed(it, err)
	}

	mid, _ := messageID(it.Raw)
	it.AcceptedAt = o.opts.Now().UTC()
	it.SubmittingSince = time.Time{}
	it.Attempts, it.LastError, it.NextAttempt, it.Held = 0, "", time.Time{}, false
	note := localstore.AuditNote{Kind: AuditSent, Subject: mid, Detail: SentDetail(it), SendRecord: it.SendRecord}
	if err := o.store.Outbox().Update(it, note); err != nil {
		// SubmittingSince stays set in the store, so the message is held
		// as uncertain, never submitted again automatically.
		return fmt.Errorf("the server accepted the message, but recording that failed: %w", err)
	}
	return o.saveCopy(ctx, it)
}

// session is Options.Session, or one attempt on a connection from
// Options.Connect.
func (o *Outbox) session() Session {
	if o.opts.Session != nil {
		return o.opts.Session
	}
	return func(ctx context.Context, account string, try func(net.Conn, Auth) error) error {
		conn, auth, err := o.opts.Connect(ctx, account)
		if err != nil {
			return err
		}
		return try(conn, auth)
	}
}

// failed records a failed submission of it and returns err.
func (o *Outbox) failed(it localstore.OutboxItem, err error) error {
	now := o.opts.Now().UTC()
	it.Attempts++
	it.LastError = err.Error()
	if IsTemporary(err) {
		it.NextAttempt = now.Add(o.backoff(it.Attempts))
	} else {
		// After ErrUncertain, SubmittingSince stays set: it marks the doubt.
		it.Held, it.NextAttempt = true, time.Time{}
	}
	if uerr := o.store.Outbox().Update(it); uerr != nil {
		return errors.Join(err, fmt.Errorf("recording the failure: %w", uerr))
	}
	return err
}

// saveCopy saves the accepted message it in Sent, unless the provider
// does, and removes it from the outbox. A failure is recorded for a later
// retry of the copy alone.
func (o *Outbox) saveCopy(ctx context.Context, it localstore.OutboxItem) error {
	if o.opts.ServerSavesSent == nil || !o.opts.ServerSavesSent(it.Account) {
		if o.opts.Sent == nil {
			return o.copyFailed(it, errors.New("no way to save the copy in Sent is configured"))
		}
		if err := o.opts.Sent.AppendSent(ctx, it.Account, it.Raw); err != nil {
			return o.copyFailed(it, err)
		}
	}
	return o.store.Outbox().Delete(it.ID)
}

// copyFailed records a failed copy to Sent of the accepted message it.
func (o *Outbox) copyFailed(it localstore.OutboxItem, err error) error {
	it.Attempts++
	it.LastError = "the message was sent, but saving it in Sent failed: " + err.Error()
	it.NextAttempt = o.opts.Now().UTC().Add(o.backoff(it.Attempts))
	err = fmt.Errorf("the message was sent, but saving it in Sent failed: %w", err)
	if uerr := o.store.Outbox().Update(it); uerr != nil {
		return errors.Join(err, fmt.Errorf("recording the failure: %w", uerr))
	}
	return err
}

// backoff is the wait after the attempts-th consecutive failure.
func (o *Outbox) backoff(attempts int) time.Duration {
	d := o.opts.RetryBase
	for i := 1; i < attempts && d < o.opts.RetryMax; i++ {
		d *= 2
	}
	return min(d, o.opts.RetryMax)
}

func (o *Outbox) claim(id string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.inflight[id] {
		return false
	}
	o.inflight[id] = true
	return true
}

func (o *Outbox) release(id string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.inflight, id)
}

// messageID returns raw's Message-ID field, or ErrNoMessageID.
func messageID(raw []byte) (string, error) {
	h, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	id := strings.TrimSpace(h.Get("Message-Id"))
	if id == "" {
		return "", ErrNoMessageID
	}
	return id, nil
}

// SentDetail is the audit detail of a sent message: who sent it to whom
// (every envelope recipient, blind copies included), its subject, how it
// was protected and what was known about its delivery, as
//
//	from ADDR to ADDR, ADDR; subject "…"; security: …; delivery: …
//
// (the delivery part says "not checked" when no finding was recorded).
func SentDetail(it localstore.OutboxItem) string {
	subject := it.Subject
	h, herr := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(it.Raw)))
	if subject == "" && (herr == nil || errors.Is(herr, io.EOF)) {
		subject, _ = (&mail.Header{Header: message.Header{Header: h}}).Subject()
	}
	delivery := "not checked"
	if len(it.SendRecord.Delivery) > 0 {
		words := make([]string, len(it.SendRecord.Delivery))
		for i, d := range it.SendRecord.Delivery {
			words[i] = d.Domain + " " + FindingOf(d).Text()
		}
		delivery = strings.Join(words, ", ")
	}
	return fmt.Sprintf("from %s to %s; subject %q; security: %s; delivery: %s",
		it.From, strings.Join(it.Recipients, ", "), subject, security(it.SendRecord.Mode, it.Raw, h, herr), delivery)
}

// security describes how the message raw was protected as it was sent:
// from its structure, the top-level Content-Type h (RFC 3156), never from
// the mode it was composed in alone. The mode adds only what the structure
// cannot show: that a PGP/MIME encrypted message is also signed (encrypt
// mode always signs inside the encryption), that a multipart/mixed with an
// armored OpenPGP attachment is password mode's layout, and that a plain
// message was sent so on purpose.
func security(mode string, raw []byte, h textproto.Header, herr error) string {
	if herr != nil && !errors.Is(herr, io.EOF) {
		return "unknown"
	}
	mt, params, _ := (&message.Header{Header: h}).ContentType()
	protocol := strings.ToLower(params["protocol"])
	switch {
	case mt == "multipart/encrypted" && protocol == "application/pgp-encrypted":
		if mode == mailbackend.ModeEncrypt {
			return "encrypted and signed (PGP/MIME)"
		}
		return "encrypted (PGP/MIME)"
	case mt == "multipart/signed" && protocol == "application/pgp-signature":
		return "signed, not encrypted (PGP/MIME)"
	case mode == mailbackend.ModePassword && mt == "multipart/mixed" && carriesArmoredMessage(raw):
		return "encrypted with a password (OpenPGP)"
	case mode == mailbackend.ModePlain:
		return "not encrypted, not signed (sent so on purpose)"
	}
	return "not encrypted"
}

// armorBegin starts an armored OpenPGP message.
var armorBegin = []byte("-----BEGIN PGP MESSAGE-----")

// carriesArmoredMessage reports whether a part of the multipart message raw
// is an armored OpenPGP message, as password mode sends it (message.asc).
func carriesArmoredMessage(raw []byte) bool {
	e, err := message.Read(bytes.NewReader(raw))
	if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
		return false
	}
	mr := e.MultipartReader()
	if mr == nil {
		return false
	}
	head := make([]byte, 1024)
	for {
		p, err := mr.NextPart()
		if err != nil {
			return false
		}
		n, _ := io.ReadFull(p.Body, head)
		if bytes.HasPrefix(bytes.TrimLeft(head[:n], " \t\r\n"), armorBegin) {
			return true
		}
	}
}
