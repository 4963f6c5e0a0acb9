package ui

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/sealpost/sealpost/mail/backend"
)

// TestExplainSentinels: each error the engine marks gets its own plain
// sentence and the actions that fit it, wrapped as deep as the engine
// wraps them, and Details keeps the technical chain.
func TestExplainSentinels(t *testing.T) {
	imapNO := errors.New("imap: NO [AUTHENTICATIONFAILED] Authentication failed.")
	login := func(mark error) error {
		return fmt.Errorf("IMAP imap.example.org:993 (tls): IMAP login to imap.example.org as alice: %w",
			fmt.Errorf("%w: %w", mark, imapNO))
	}
	for _, tt := range []struct {
		name            string
		err             error
		want            string // in the sentence
		retry, settings bool
	}{
		{"authentication failed", login(backend.ErrLoginRejected), "refused the user name or password", false, true},
		{"unavailable", login(backend.ErrServerUnavailable), "temporarily unavailable", true, false},
		{"referral", login(&backend.ReferralError{Server: "imap.example.org", Host: "imap2.example.org", Port: 993}),
			"imap.example.org says this account is on imap2.example.org:993", false, true},
		{"referral without a server", login(&backend.ReferralError{Server: "imap.example.org"}), "on another server", false, true},
		{"untrusted certificate", fmt.Errorf("add: %w", &backend.CertificateError{Host: "mx.example.org", Port: 465, SHA256: "ab"}),
			"certificate of mx.example.org:465 could not be verified", false, true},
		{"changed certificate", &backend.CertificateError{Host: "mx.example.org", Port: 465, Changed: true},
			"may be an attack", false, true},
		{"certificate on sync", fmt.Errorf("sync: %w", backend.ErrCertificateRejected), "certificate could not be verified", false, true},
		{"deadline", fmt.Errorf("autoconfig: %w", context.DeadlineExceeded), "did not answer in time", true, false},
		{"i/o timeout", &net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}, "did not answer in time", true, false},
		{"unknown host", fmt.Errorf("IMAP x: %w", &net.DNSError{Name: "imap.nowhere.test", IsNotFound: true}), "imap.nowhere.test was not found", true, true},
		{"refused", &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}, "refused the connection", true, true},
		{"unreachable", fmt.Errorf("dial: %w", syscall.ENETUNREACH), "could not be reached", true, false},
		{"kept in outbox", fmt.Errorf("%w (id 3fa9c0de): %w", backend.ErrKeptInOutbox, login(backend.ErrLoginRejected)),
			"refused the user name or password: check them in the account's settings. The message is kept in the outbox.", false, true},
		{"lookup changed", fmt.Errorf("%w: nothing was imported", backend.ErrLookupChanged), "The keys found changed", false, false},
		{"damaged profile", fmt.Errorf("list folders: %w", fmt.Errorf("%w: %w", backend.ErrProfileDamaged, errors.New("assertion failed: page 7"))),
			"The profile file is damaged: restore it from a backup.", false, false},
		{"missing keys", &backend.MissingKeysError{Addresses: []string{"bob@example.net"}}, "No key for bob@example.net", false, false},
		{"internal", fmt.Errorf("%w: nil map", errInternal), "internal error; your data was not changed", false, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			u := explain(tt.err)
			if !strings.Contains(u.sentence, tt.want) {
				t.Errorf("sentence = %q, want it to contain %q", u.sentence, tt.want)
			}
			if strings.Count(u.sentence, "\n") > 0 || !strings.HasSuffix(u.sentence, ".") {
				t.Errorf("sentence = %q, want one line ending in a full stop", u.sentence)
			}
			if u.retry != tt.retry || u.settings != tt.settings {
				t.Errorf("retry, settings = %v, %v; want %v, %v", u.retry, u.settings, tt.retry, tt.settings)
			}
			if u.cancelled {
				t.Error("cancelled, want a problem")
			}
		})
	}
	if d := explain(login(backend.ErrLoginRejected)).details; !strings.Contains(d, "AUTHENTICATIONFAILED") || !strings.Contains(d, "imap.example.org:993") {
		t.Errorf("details = %q, want the whole chain", d)
	}
}

// TestExplainOtherErrors: without a sentinel the sentence is the error's
// own text without a bare protocol and server prefix, an outbox id or a
// 20-line dump; Details holds every line, and a cancellation is just
// "Cancelled.".
func TestExplainOtherErrors(t *testing.T) {
	var causes []error
	for i := range 20 {
		causes = append(causes, fmt.Errorf("https://autoconfig.example.org/mail/config-v1.1.xml attempt %d: 404", i))
	}
	dump := fmt.Errorf("no server settings found for a@example.org; enter the IMAP and SMTP servers yourself: %w", errors.Join(causes...))
	stalled := fmt.Errorf("IMAP imap.example.org:993 (tls): %w", errors.New("the server stopped responding"))
	long := errors.New(strings.Repeat("a word ", 60) + "end")
	for _, tt := range []struct {
		name, want string
		err        error
	}{
		{"autoconfig dump", "No server settings found for a@example.org; enter the IMAP and SMTP servers yourself.", dump},
		{"protocol prefix", "The server stopped responding.", stalled},
		{"plain", "Cannot list the outbox: the profile is locked.", fmt.Errorf("cannot list the outbox: %w", errors.New("the profile is locked"))},
		{"kept in the outbox", "SMTP said no. The message is kept in the outbox.",
			fmt.Errorf("%w (id 3fa9c0de): %w", backend.ErrKeptInOutbox, errors.New("SMTP said no"))},
		{"address first", "alice@example.org: no such account.", errors.New("alice@example.org: no such account")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := explain(tt.err).sentence; got != tt.want {
				t.Errorf("sentence = %q, want %q", got, tt.want)
			}
		})
	}
	if d := explain(dump).details; strings.Count(d, "\n") < 20 || !strings.Contains(d, "attempt 19: 404") {
		t.Errorf("details of the dump = %q, want every cause on its own line", d)
	}
	s := explain(long).sentence
	body := strings.ToLower(strings.TrimSuffix(s, "…"))
	if len(s) > maxSentence+len("…") || !strings.HasSuffix(s, "…") || !strings.HasPrefix(long.Error(), body) || long.Error()[len(body)] != ' ' {
		t.Errorf("long sentence = %q, want it cut between words with an ellipsis", s)
	}
	if u := explain(fmt.Errorf("sync: %w", context.Canceled)); !u.cancelled || u.sentence != "Cancelled." || u.retry {
		t.Errorf("cancelled = %+v, want just Cancelled.", u)
	}
	if u := explain(fmt.Errorf("a message you were writing could not be kept as a draft: %w", context.Canceled)); !u.cancelled ||
		u.sentence != "A message you were writing could not be kept as a draft: cancelled." {
		t.Errorf("cancelled with words = %+v, want what was cancelled named", u)
	}
}

// TestErrorViewDetailsExpand: the view shows the sentence, a closed
// Details expander that opens onto the chain, and only the actions that
// fit; an action hides the error before it runs.
func TestErrorViewDetailsExpand(t *testing.T) {
	test.NewTempApp(t)
	e := newErrorView()
	w := test.NewWindow(e.content)
	defer w.Close()
	retried, opened := 0, 0
	err := fmt.Errorf("IMAP login to imap.example.org as alice: %w", fmt.Errorf("%w: imap: NO [UNAVAILABLE] try later", backend.ErrServerUnavailable))
	e.show(err, errorActions{retry: func() { retried++ }, settings: func() { opened++ }})
	if !e.content.Visible() || !strings.Contains(e.sentence.Text, "temporarily unavailable") {
		t.Fatalf("view shown %v with %q, want the sentence", e.content.Visible(), e.sentence.Text)
	}
	if e.expander.Items[0].Open {
		t.Error("Details open at first, want closed")
	}
	test.Tap(buttonIn(t, e.expander, "Details"))
	if !e.expander.Items[0].Open || !strings.Contains(e.details.Text, "[UNAVAILABLE]") {
		t.Errorf("after tapping Details: open %v, text %q; want the chain", e.expander.Items[0].Open, e.details.Text)
	}
	if len(e.actions.Objects) != 1 {
		t.Fatalf("%d actions, want Retry only (the fix is not in the settings)", len(e.actions.Objects))
	}
	test.Tap(buttonIn(t, e.actions, "Retry"))
	if retried != 1 || opened != 0 || e.content.Visible() {
		t.Errorf("after Retry: retried %d, opened %d, shown %v; want 1, 0, hidden", retried, opened, e.content.Visible())
	}
}

// TestErrorDialog: the dialog names the error in one sentence, opens
// Details on demand and offers Open settings for a refused login.
func TestErrorDialog(t *testing.T) {
	test.NewTempApp(t)
	w := test.NewWindow(widget.NewLabel(""))
	defer w.Close()
	opened := 0
	d := showErrorDialog(w, "Sync failed", fmt.Errorf("sync: %w", fmt.Errorf("%w: imap: NO [AUTHENTICATIONFAILED] no", backend.ErrLoginRejected)),
		errorActions{retry: func() { t.Error("Retry offered for a refused login") }, settings: func() { opened++ }})
	top := w.Canvas().Overlays().Top()
	if top == nil {
		t.Fatal("no dialog shown")
	}
	test.Tap(buttonIn(t, top, "Open settings"))
	if opened != 1 {
		t.Errorf("Open settings ran %d times, want 1", opened)
	}
	d.Hide()
}
