package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sealpost/sealpost/mail"
	"github.com/sealpost/sealpost/mail/backend"
)

// messageJSON is the stable JSON form of a message in `list --json`.
type messageJSON struct {
	Account        string   `json:"account"`
	Folder         string   `json:"folder"`
	UID            uint32   `json:"uid"`
	MessageID      string   `json:"message_id"`
	From           string   `json:"from"`
	To             string   `json:"to"`
	Cc             string   `json:"cc"`
	Subject        string   `json:"subject"`
	Date           string   `json:"date"`
	Flags          []string `json:"flags"`
	Seen           bool     `json:"seen"`
	Flagged        bool     `json:"flagged"`
	Size           uint32   `json:"size"`
	HasAttachments bool     `json:"has_attachments"`
	Encrypted      bool     `json:"encrypted"`
	Signed         bool     `json:"signed"`
	Offline        bool     `json:"offline"`
	// Transport is how the message travelled, null when not recorded.
	Transport *transportJSON `json:"transport"`
}

// outboxJSON is the stable JSON form of a queued message in `outbox list --json`.
type outboxJSON struct {
	ID          string   `json:"id"`
	Account     string   `json:"account"`
	Recipients  []string `json:"recipients"`
	Size        int      `json:"size"`
	Created     string   `json:"created"`
	Attempts    int      `json:"attempts"`
	NextAttempt string   `json:"next_attempt"`
	LastError   string   `json:"last_error"`
	State       string   `json:"state"`
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func cmdSync(ctx context.Context, env *cliEnv, args []string) error {
	fs := env.flags("sync")
	account := fs.String("account", "", "sync only this account")
	folder := fs.String("folder", "", "sync only this folder")
	headersOnly := fs.Bool("headers-only", false, "store message summaries without the full messages")
	if err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	return env.withEngine(ctx, func(e *mail.Engine) error {
		// The app's sync: actions, folders, messages, Autocrypt, drafts,
		// the search index, then the outbox. Progress goes to stderr; a
		// slow terminal skips progress lines rather than slowing the sync.
		lines := make(chan string, 64)
		done := make(chan struct{})
		go func() {
			defer close(done)
			for l := range lines {
				fmt.Fprintln(env.err, l)
			}
		}()
		err := e.SyncWith(ctx, *account, backend.SyncOptions{Folder: *folder, HeadersOnly: *headersOnly,
			IndexProgress: env.indexProgress}, func(pr backend.SyncProgress) {
			if pr.Warning != "" {
				lines <- "warning: " + strings.ReplaceAll(pr.Warning, "\n", "; ")
				return
			}
			select {
			case lines <- fmt.Sprintf("%s %s: %d/%d", pr.Account, pr.Folder, pr.Done, pr.Total):
			default:
			}
		})
		close(lines)
		<-done
		return err
	})
}

func cmdList(_ context.Context, env *cliEnv, args []string) error {
	fs := env.flags("list")
	account := fs.String("account", "", "account (default: the only one)")
	folder := fs.String("folder", "INBOX", "folder")
	limit := fs.Int("limit", 50, "how many of the newest messages")
	asJSON := fs.Bool("json", false, "print JSON (see docs/cli.md)")
	if err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	if *limit <= 0 {
		return fmt.Errorf("%w: --limit must be positive", errUsage)
	}
	return env.withProfile(func(p *mail.Profile) error {
		msgs, err := p.Messages().List(*account, *folder, *limit)
		if err != nil {
			return err
		}
		return printMessages(env.out, msgs, *asJSON, p.Messages().Travel)
	})
}

// printMessages writes msgs as `list` shows them: a JSON array of
// messageJSON, each with how it travelled (read with travel), or one line
// per message (unread mark, UID, date, sender, subject).
func printMessages(w io.Writer, msgs []backend.MessageSummary, asJSON bool, travel func(account, folder string, uid uint32) (*backend.Travel, error)) error {
	if asJSON {
		out := make([]messageJSON, 0, len(msgs))
		for _, m := range msgs {
			t, err := travel(m.Account, m.Folder, m.UID)
			if err != nil {
				return err
			}
			flags := m.Flags
			if flags == nil {
				flags = []string{}
			}
			out = append(out, messageJSON{
				Account: m.Account, Folder: m.Folder, UID: m.UID, MessageID: m.MessageID, From: m.From, To: m.To,
				Cc: m.Cc, Subject: m.Subject, Date: rfc3339(m.Date), Flags: flags, Seen: m.Seen, Flagged: m.Flagged,
				Size: m.Size, HasAttachments: m.HasAttachments, Encrypted: m.Encrypted, Signed: m.Signed, Offline: m.Offline,
				Transport: transportOf(t),
			})
		}
		return writeJSON(w, out)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, m := range msgs {
		mark := " "
		if !m.Seen {
			mark = "*"
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", mark, m.UID, m.Date.Local().Format("2006-01-02 15:04"), oneLine(m.From, 30), oneLine(m.Subject, 60))
	}
	return tw.Flush()
}

func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > max {
		return string(r[:max-1]) + "…"
	}
	return s
}

// listFlag collects a repeatable flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ", ") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// messageFlags are the flags send and compose share.
type messageFlags struct {
	account, from, subject, bodyFile string
	mode, passwordFile               string
	attachKey                        bool
	to, cc, bcc, attach              listFlag
}

func (m *messageFlags) register(fs *flag.FlagSet, withFrom bool) {
	fs.StringVar(&m.account, "account", "", "send from this account")
	if withFrom {
		fs.StringVar(&m.from, "from", "", "sender `ADDRESS` when no account is configured (uses your own key for it)")
	}
	fs.Var(&m.to, "to", "recipient (repeatable; commas allowed)")
	fs.Var(&m.cc, "cc", "copy recipient (repeatable)")
	fs.Var(&m.bcc, "bcc", "blind copy recipient (repeatable; never in the headers sent)")
	fs.Var(&m.attach, "attach", "attach `FILE` (repeatable)")
	fs.StringVar(&m.subject, "subject", "", "subject")
	fs.StringVar(&m.bodyFile, "body-file", "", "read the text from `FILE`, or - for standard input")
	fs.StringVar(&m.mode, "mode", mail.ModeAuto, "security: auto (encrypt+sign when every recipient has a key, else refuse), encrypt, sign, password or plain")
	fs.StringVar(&m.passwordFile, "password-file", "", "with --mode password: read the message password from `FILE`")
	fs.BoolVar(&m.attachKey, "attach-key", false, "attach your public key")
}

// draft reads the body and attachments named by the flags.
func (m *messageFlags) draft(in io.Reader) (backend.Draft, backend.Security, error) {
	d := backend.Draft{To: m.to, Cc: m.cc, Bcc: m.bcc, Subject: m.subject}
	sec := backend.Security{Mode: m.mode, AttachKey: m.attachKey}
	if m.bodyFile != "" {
		var body []byte
		var err error
		if m.bodyFile == "-" {
			body, err = io.ReadAll(in)
		} else {
			body, err = os.ReadFile(m.bodyFile)
		}
		if err != nil {
			return d, sec, fmt.Errorf("read the message text: %w", err)
		}
		d.Body = string(body)
	}
	for _, f := range m.attach {
		if err := checkReadable(f); err != nil {
			return d, sec, fmt.Errorf("attach %s: %w", f, err)
		}
		// The file streams into the message when it is written.
		d.Attachments = append(d.Attachments, backend.Attachment{Filename: filepath.Base(f),
			Open: func() (io.ReadCloser, error) { return os.Open(f) }})
	}
	if m.passwordFile != "" {
		if m.mode != mail.ModePassword {
			return d, sec, fmt.Errorf("%w: --password-file goes with --mode password", errUsage)
		}
		pw, err := readSecretFile(m.passwordFile)
		if err != nil {
			return d, sec, err
		}
		sec.Password = pw
	}
	return d, sec, nil
}

func cmdSend(ctx context.Context, env *cliEnv, args []string) error {
	fs := env.flags("send")
	var m messageFlags
	m.register(fs, false)
	asJSON := fs.Bool("json", false, "print JSON with the delivery security of each recipient domain (see docs/cli.md)")
	if err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	if m.account == "" {
		return fmt.Errorf("%w: --account ADDRESS is required", errUsage)
	}
	d, sec, err := m.draft(env.in)
	if err != nil {
		return err
	}
	return env.withProfile(func(p *mail.Profile) error {
		// Checked first, so that the send reuses the findings it records.
		findings := p.Delivery().CheckRecipients(ctx, m.recipients())
		id, err := p.Outbox().Send(ctx, m.account, d, sec)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(env.out, sendJSON{OutboxID: id, Delivery: deliveriesOf(findings)})
		}
		fmt.Fprintf(env.out, "Sent (outbox id %s).\n", id)
		printDelivery(env.out, findings)
		return nil
	})
}

// sendJSON is the stable JSON form of `send --json` and `compose --json`.
type sendJSON struct {
	// OutboxID is the sent message's outbox id (send only).
	OutboxID string `json:"outbox_id,omitempty"`
	// Output and Bytes name the file written (compose only).
	Output string `json:"output,omitempty"`
	Bytes  int64  `json:"bytes,omitempty"`
	// Delivery is the delivery security of each recipient domain.
	Delivery []deliveryJSON `json:"delivery"`
}

// recipients are the To, Cc and Bcc recipients as given.
func (m *messageFlags) recipients() []string {
	var out []string
	for _, list := range []listFlag{m.to, m.cc, m.bcc} {
		for _, v := range list {
			out = append(out, strings.Split(v, ",")...)
		}
	}
	return out
}

// deliveriesOf is fs in their JSON form.
func deliveriesOf(fs []backend.DeliveryFinding) []deliveryJSON {
	out := make([]deliveryJSON, len(fs))
	for i, f := range fs {
		out[i] = deliveryOf(f)
	}
	return out
}

// printDelivery prints one line per recipient domain.
func printDelivery(w io.Writer, fs []backend.DeliveryFinding) {
	for _, f := range fs {
		fmt.Fprintf(w, "Delivery to %s: %s\n", f.Domain, f.Text())
	}
}

func cmdCompose(ctx context.Context, env *cliEnv, args []string) error {
	fs := env.flags("compose")
	var m messageFlags
	m.register(fs, true)
	output := fs.String("output", "", "write the message to `FILE.eml` (required)")
	asJSON := fs.Bool("json", false, "print JSON, with the delivery security of each recipient domain looked up (see docs/cli.md)")
	if err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	if *output == "" {
		return fmt.Errorf("%w: --output FILE is required", errUsage)
	}
	if (m.account == "") == (m.from == "") {
		return fmt.Errorf("%w: give either --account or --from", errUsage)
	}
	d, sec, err := m.draft(env.in)
	if err != nil {
		return err
	}
	return env.withProfile(func(p *mail.Profile) error {
		// The message streams into the file, which is created only once the
		// composition passed its checks (keys, addresses, mode).
		out := &outputFile{path: *output}
		err := p.Composer().ComposeFor(out, m.account, m.from, d, sec)
		if err == nil {
			err = out.Close()
		} else {
			out.remove()
		}
		if err != nil {
			return err
		}
		if *asJSON {
			findings := p.Delivery().CheckRecipients(ctx, m.recipients())
			return writeJSON(env.out, sendJSON{Output: *output, Bytes: out.n, Delivery: deliveriesOf(findings)})
		}
		fmt.Fprintf(env.out, "Wrote %s (%d bytes).\n", *output, out.n)
		return nil
	})
}

// checkReadable reports why file cannot be attached: it cannot be opened,
// or it is a directory.
func checkReadable(file string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if st.IsDir() {
		return errors.New("is a directory")
	}
	return nil
}

// outputFile is a file (mode 0600) created at its first write and written
// through a buffer.
type outputFile struct {
	path string
	f    *os.File
	w    *bufio.Writer
	n    int64
}

// Write creates the file on first use.
func (o *outputFile) Write(p []byte) (int, error) {
	if o.f == nil {
		f, err := os.OpenFile(o.path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return 0, fmt.Errorf("write %s: %w", o.path, err)
		}
		o.f, o.w = f, bufio.NewWriterSize(f, 256<<10)
	}
	n, err := o.w.Write(p)
	o.n += int64(n)
	if err != nil {
		return n, fmt.Errorf("write %s: %w", o.path, err)
	}
	return n, nil
}

// Close flushes and closes the file (creating it if nothing was written).
func (o *outputFile) Close() error {
	if o.f == nil {
		if _, err := o.Write(nil); err != nil {
			return err
		}
	}
	err := o.w.Flush()
	if cerr := o.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(o.path)
		return fmt.Errorf("write %s: %w", o.path, err)
	}
	return nil
}

// remove deletes a partly written file: an incomplete message must not be
// left behind.
func (o *outputFile) remove() {
	if o.f != nil {
		o.f.Close()
		os.Remove(o.path)
	}
}

func cmdOutbox(ctx context.Context, env *cliEnv, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: outbox list|retry ID|discard ID", errUsage)
	}
	action, rest := args[0], args[1:]
	fs := env.flags("outbox " + action)
	asJSON := fs.Bool("json", false, "with list: print JSON (see docs/cli.md)")
	switch action {
	case "list":
		if err := parse(fs, rest, 0, 0); err != nil {
			return err
		}
	case "retry", "discard":
		if err := parse(fs, rest, 1, 1); err != nil {
			return err
		}
	default:
		return fmt.Errorf("%w: outbox list|retry ID|discard ID, not %q", errUsage, action)
	}
	return env.withProfile(func(p *mail.Profile) error {
		switch action {
		case "retry":
			if err := p.Outbox().Retry(ctx, fs.Arg(0)); err != nil {
				return err
			}
			fmt.Fprintln(env.out, "Sent.")
			return nil
		case "discard":
			if err := p.Outbox().Discard(fs.Arg(0)); err != nil {
				return err
			}
			fmt.Fprintln(env.out, "Discarded.")
			return nil
		}
		items, err := p.Outbox().List()
		if err != nil {
			return err
		}
		if *asJSON {
			out := make([]outboxJSON, 0, len(items))
			for _, it := range items {
				out = append(out, outboxJSON{ID: it.ID, Account: it.Account, Recipients: nonNil(it.Recipients), Size: len(it.Raw),
					Created: rfc3339(it.CreatedAt), Attempts: it.Attempts, NextAttempt: rfc3339(it.NextAttempt), LastError: it.LastError,
					State: mail.OutboxState(it)})
			}
			return writeJSON(env.out, out)
		}
		if len(items) == 0 {
			fmt.Fprintln(env.out, "The outbox is empty.")
			return nil
		}
		for _, it := range items {
			fmt.Fprintf(env.out, "%s  %s  %s  %d recipient(s)  %d attempt(s)  %s\n", it.ID, it.Account, mail.OutboxState(it),
				len(it.Recipients), it.Attempts, it.LastError)
		}
		return nil
	})
}
