package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sealpost/sealpost/mail"
	"github.com/sealpost/sealpost/mail/imapsync"
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
	return env.withProfile(func(p *mail.Profile) error {
		progress := make(chan imapsync.Progress, 64)
		done := make(chan struct{})
		go func() {
			defer close(done)
			for pr := range progress {
				fmt.Fprintf(env.err, "%s %s: %d/%d\n", pr.Account, pr.Folder, pr.Done, pr.Total)
			}
		}()
		err := p.Sync(ctx, mail.SyncRequest{
			Account: *account, Folder: *folder, HeadersOnly: *headersOnly,
			Progress: func(pr imapsync.Progress) {
				select {
				case progress <- pr:
				default: // the terminal is slow: skip a progress line rather than the sync
				}
			},
		})
		close(progress)
		<-done
		if err != nil {
			return err
		}
		// Messages waiting after a temporary failure go out with the sync.
		if err := p.FlushOutbox(ctx); err != nil {
			fmt.Fprintf(env.err, "warning: the outbox could not be sent: %s (see `sealpost outbox list`)\n", userMessage(err))
		}
		return nil
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
		msgs, err := p.ListMessages(*account, *folder, *limit)
		if err != nil {
			return err
		}
		if *asJSON {
			out := make([]messageJSON, 0, len(msgs))
			for _, m := range msgs {
				flags := m.Flags
				if flags == nil {
					flags = []string{}
				}
				out = append(out, messageJSON{
					Account: m.Account, Folder: m.Folder, UID: m.UID, MessageID: m.MessageID, From: m.From, To: m.To,
					Cc: m.Cc, Subject: m.Subject, Date: rfc3339(m.Date), Flags: flags, Seen: m.Seen(), Flagged: m.Flagged(),
					Size: m.Size, HasAttachments: m.HasAttachments, Encrypted: m.Encrypted, Signed: m.Signed, Offline: m.Offline,
				})
			}
			return writeJSON(env.out, out)
		}
		tw := tabwriter.NewWriter(env.out, 0, 4, 2, ' ', 0)
		for _, m := range msgs {
			mark := " "
			if !m.Seen() {
				mark = "*"
			}
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", mark, m.UID, m.Date.Local().Format("2006-01-02 15:04"), oneLine(m.From, 30), oneLine(m.Subject, 60))
		}
		return tw.Flush()
	})
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

func cmdSend(ctx context.Context, env *cliEnv, args []string) error {
	fs := env.flags("send")
	account := fs.String("account", "", "send from this account (required)")
	var to, cc, bcc, attach listFlag
	fs.Var(&to, "to", "recipient (repeatable; commas allowed)")
	fs.Var(&cc, "cc", "copy recipient (repeatable)")
	fs.Var(&bcc, "bcc", "blind copy recipient (repeatable; never in the headers sent)")
	fs.Var(&attach, "attach", "attach `FILE` (repeatable)")
	subject := fs.String("subject", "", "subject")
	bodyFile := fs.String("body-file", "", "read the text from `FILE`, or - for standard input")
	if err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	if *account == "" {
		return fmt.Errorf("%w: --account ADDRESS is required", errUsage)
	}
	draft := mail.Draft{To: to, Cc: cc, Bcc: bcc, Subject: *subject}
	if *bodyFile != "" {
		var body []byte
		var err error
		if *bodyFile == "-" {
			body, err = io.ReadAll(env.in)
		} else {
			body, err = os.ReadFile(*bodyFile)
		}
		if err != nil {
			return fmt.Errorf("read the message text: %w", err)
		}
		draft.Body = string(body)
	}
	for _, f := range attach {
		data, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("attach %s: %w", f, err)
		}
		draft.Attachments = append(draft.Attachments, mail.Attachment{Filename: filepath.Base(f), Data: data})
	}
	return env.withProfile(func(p *mail.Profile) error {
		id, err := p.Send(ctx, *account, draft)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.out, "Sent (outbox id %s).\n", id)
		return nil
	})
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
			if err := p.RetryOutbox(ctx, fs.Arg(0)); err != nil {
				return err
			}
			fmt.Fprintln(env.out, "Sent.")
			return nil
		case "discard":
			if err := p.DiscardOutbox(fs.Arg(0)); err != nil {
				return err
			}
			fmt.Fprintln(env.out, "Discarded.")
			return nil
		}
		items, err := p.Outbox()
		if err != nil {
			return err
		}
		if *asJSON {
			out := make([]outboxJSON, 0, len(items))
			for _, it := range items {
				out = append(out, outboxJSON{ID: it.ID, Account: it.Account, Recipients: nonNil(it.Recipients), Size: len(it.Raw),
					Created: rfc3339(it.CreatedAt), Attempts: it.Attempts, NextAttempt: rfc3339(it.NextAttempt), LastError: it.LastError})
			}
			return writeJSON(env.out, out)
		}
		if len(items) == 0 {
			fmt.Fprintln(env.out, "The outbox is empty.")
			return nil
		}
		for _, it := range items {
			fmt.Fprintf(env.out, "%s  %s  %d recipient(s)  %d attempt(s)  %s\n", it.ID, it.Account, len(it.Recipients), it.Attempts, it.LastError)
		}
		return nil
	})
}
