package main

import (
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/sealpost/sealpost/mail/stalltest"
)

// TestSyncOfStalledServerExits: `sealpost sync` against an IMAP server that
// stops answering in the middle of the fetch exits with status 1 and one
// line saying the server stopped responding, after --stall-timeout, instead
// of hanging.
func TestSyncOfStalledServerExits(t *testing.T) {
	const user, password = "alice@example.test", "stall test password"
	imapSrv := stalltest.StartIMAP(t, user, password)
	smtpSrv := stalltest.StartSMTP(t, user, password)
	raw := "From: bob@example.test\r\nTo: " + user + "\r\nSubject: hi\r\nMessage-ID: <stall1@example.test>\r\n\r\nhello\r\n"
	if _, err := imapSrv.User.Append("INBOX", strings.NewReader(raw), &imap.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
	imapProxy := stalltest.Start(t, imapSrv.Addr, stalltest.Rule{After: " FETCH "})
	smtpProxy := imapProxy.Sibling(t, smtpSrv.Addr, stalltest.Rule{})

	dir, pass := newProfile(t)
	pwFile := writeFile(t, "pw", password)
	mustSucceed(t, sealpost(t, dir, pass, "account", "add", "--email", user, "--password-file", pwFile,
		"--imap", imapProxy.Addr(), "--imap-security", "tls", "--smtp", smtpProxy.Addr(), "--smtp-security", "tls",
		"--trust-cert", imapProxy.SHA256))

	done := make(chan result, 1)
	go func() { done <- sealpost(t, dir, pass, "--stall-timeout", "1s", "sync") }()
	var r result
	select {
	case r = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("sealpost sync still runs after 30 s: it hangs")
	}
	addr := net.JoinHostPort(stalltest.Host, strconv.Itoa(imapProxy.Port))
	failsWith(t, r, 1, "IMAP server "+addr+" stopped responding: nothing arrived for 1 s")
	select {
	case <-imapProxy.Stalled():
	default:
		t.Error("the server never stalled: the test proves nothing")
	}
}

// TestStallTimeoutFlag: a negative --stall-timeout is a usage mistake, and
// one that is no duration at all too.
func TestStallTimeoutFlag(t *testing.T) {
	dir, pass := newProfile(t)
	for _, v := range []string{"-5s", "soon"} {
		r := sealpost(t, dir, pass, "--stall-timeout", v, "sync")
		if r.code != 2 {
			t.Errorf("--stall-timeout %s: exit code = %d, want 2; stderr %q", v, r.code, r.err)
		}
		if !strings.Contains(r.err, "stall-timeout") {
			t.Errorf("--stall-timeout %s: stderr = %q, want it to name the flag", v, r.err)
		}
	}
}
