package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/sealpost/sealpost/mail/backend"
	"github.com/sealpost/sealpost/mail/mailtest"
)

// watchEvent is one line of `sealpost watch --json` (docs/cli.md).
type watchEvent struct {
	Kind    string    `json:"kind"`
	Time    time.Time `json:"time"`
	Account string    `json:"account"`
	Folder  string    `json:"folder"`
	UIDs    []uint32  `json:"uids"`
	Count   int       `json:"count"`
	State   string    `json:"state"`
	Message string    `json:"message"`
}

// newMailLatency is how soon mail delivered to the server must be
// reported by a running watch: the promise, not a speed goal.
const newMailLatency = 5 * time.Second

// TestWatchReportsDeliveredMail runs `sealpost watch --json` against the
// in-process servers and against Dovecot and Postfix: mail delivered while
// it runs is printed as a new_mail event within five seconds, with no
// sync asked for, and an interrupt ends the command with exit 0.
func TestWatchReportsDeliveredMail(t *testing.T) {
	for _, kind := range mailtest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			srv := mailtest.StartKind(t, kind)
			dir, passFile := mailtestProfile(t, srv, srv.Alice)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			out, events := eventLines(t)
			var errOut strings.Builder
			exit := make(chan int, 1)
			go func() {
				exit <- run(ctx, []string{"--profile", dir, "--passphrase-file", passFile, "watch", "--json"},
					stdio{in: strings.NewReader(""), out: out, err: &errOut})
				out.Close()
			}()
			next := func(what string, deadline time.Duration, match func(watchEvent) bool) watchEvent {
				t.Helper()
				timer := time.NewTimer(deadline)
				defer timer.Stop()
				for {
					select {
					case ev, ok := <-events:
						if !ok {
							t.Fatalf("%s: watch ended (exit %d, stderr %q)", what, <-exit, errOut.String())
						}
						if match(ev) {
							return ev
						}
					case <-timer.C:
						t.Fatalf("%s: not printed within %v", what, deadline)
					}
				}
			}
			next("online", time.Minute, func(ev watchEvent) bool {
				return ev.Kind == "connection" && ev.Account == srv.Alice && ev.State == "online"
			})
			srv.Deliver(t, srv.Bob, srv.Alice, mailtest.Message(srv.Bob, srv.Alice, "Watch this", "Hello.\r\n"))
			delivered := time.Now()
			ev := next("new mail", newMailLatency, func(ev watchEvent) bool { return ev.Kind == "new_mail" })
			if ev.Account != srv.Alice || ev.Folder != "INBOX" || ev.Count != 1 || len(ev.UIDs) != 1 {
				t.Fatalf("new_mail event = %+v, want one message in alice's INBOX", ev)
			}
			t.Logf("%s: new mail printed %v after delivery", kind, time.Since(delivered).Round(time.Millisecond))
			cancel()
			if code := <-exit; code != 0 {
				t.Fatalf("watch exited %d after the interrupt; stderr %q", code, errOut.String())
			}
		})
	}
}

// eventLines returns the writer for the command's output and the JSON
// lines written to it, decoded; the channel closes with the writer.
func eventLines(t *testing.T) (io.WriteCloser, <-chan watchEvent) {
	t.Helper()
	r, w := io.Pipe()
	events := make(chan watchEvent, 256)
	go func() {
		defer close(events)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			var ev watchEvent
			if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
				t.Errorf("watch --json printed a line that is not JSON: %q", sc.Text())
				continue
			}
			events <- ev
		}
	}()
	t.Cleanup(func() { r.Close() })
	return w, events
}

func TestWatchRefusesAnUnknownAccount(t *testing.T) {
	srv := mailtest.Start(t)
	dir, passFile := mailtestProfile(t, srv, srv.Alice)
	r := sealpost(t, dir, passFile, "watch", "--account", "nobody@example.org")
	failsWith(t, r, 1, "nobody@example.org")
}

// TestEventTextSaysWhatHappened: each kind of event reads as one line of
// words naming where it happened.
func TestEventTextSaysWhatHappened(t *testing.T) {
	tests := []struct {
		ev   backend.Event
		want string
	}{
		{backend.Event{Kind: backend.EventNewMail, Account: "a@example.org", Folder: "INBOX", Count: 2}, "a@example.org: 2 new messages in INBOX"},
		{backend.Event{Kind: backend.EventMessageChecked, Account: "a@example.org", Folder: "INBOX", UIDs: []uint32{7}},
			"a@example.org: DKIM checked again for message 7 in INBOX"},
		{backend.Event{Kind: backend.EventOutbox, Count: 1, Message: "the server refused\nthe message"},
			"outbox: 1 message waiting: the server refused; the message"},
		{backend.Event{Kind: backend.EventWarning, Message: "check this", Missed: 3}, "sealpost: warning: check this (3 earlier events were dropped)"},
	}
	for _, tt := range tests {
		if got := eventText(tt.ev); got != tt.want {
			t.Errorf("eventText(%s) = %q, want %q", tt.ev.Kind, got, tt.want)
		}
	}
}
