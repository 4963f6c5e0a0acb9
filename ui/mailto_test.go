package ui

import (
	"bufio"
	"bytes"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/sealpost/sealpost/mail"
	"github.com/sealpost/sealpost/mail/backend"
	"github.com/sealpost/sealpost/mail/mailtest"
)

// mustMailto parses link as the running app does with a link handed over.
func mustMailto(t *testing.T, link string) backend.Draft {
	t.Helper()
	d, err := mail.ParseMailto(link)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestMailtoHandedOverWhileLocked: a link handed to the locked app waits
// for the unlock, then opens a composer whose Bcc field, not Cc, holds
// the link's blind copy.
func TestMailtoHandedOverWhileLocked(t *testing.T) {
	test.NewTempApp(t)
	app := newApp(fixtureEngine(t))
	app.OpenMailto(mustMailto(t, "mailto:bob@example.net?cc=carol@example.com&bcc=erin@example.org&subject=From%20a+link"))
	if app.main != nil || len(app.extra) != 0 {
		t.Fatal("a composer opened before unlocking")
	}
	unlocked(t, app)
	app.tasks.wait()
	c := app.main.lastComposer
	if c == nil {
		t.Fatal("no composer after unlocking")
	}
	if c.to.Text != "bob@example.net" || c.cc.Text != "carol@example.com" || c.bcc.Text != "erin@example.org" || c.subject.Text != "From a+link" {
		t.Errorf("composer got To %q, Cc %q, Bcc %q, Subject %q; want bob, carol, erin as Bcc, %q",
			c.to.Text, c.cc.Text, c.bcc.Text, c.subject.Text, "From a+link")
	}
}

// TestMailtoHandedOverWhileOpen: with the profile open, a link opens a
// composer at once, and a second link a second one.
func TestMailtoHandedOverWhileOpen(t *testing.T) {
	test.NewTempApp(t)
	app, _ := openFixture(t)
	app.OpenMailto(mustMailto(t, "mailto:bob@example.net?bcc=erin@example.org"))
	first := app.main.lastComposer
	if first == nil || first.bcc.Text != "erin@example.org" || first.cc.Text != "" {
		t.Fatalf("composer after the link = %+v; want Bcc erin and no Cc", first)
	}
	app.OpenMailto(mustMailto(t, "mailto:carol@example.com"))
	app.tasks.wait()
	if c := app.main.lastComposer; c == first || c.to.Text != "carol@example.com" || len(app.extra) != 2 {
		t.Errorf("after a second link: %d windows, last composer To %q; want two composers", len(app.extra), c.to.Text)
	}
}

// TestMailtoBccNeverInSentHeaders sends what a link with a bcc= asked
// for through the in-process servers: the blind copy arrives, and no
// header of the message the To recipient gets names it.
func TestMailtoBccNeverInSentHeaders(t *testing.T) {
	test.NewTempApp(t)
	srv := mailtest.Start(t)
	e := mailtest.NewEngine(t, srv, srv.Alice, nil)
	if err := e.Lock(); err != nil {
		t.Fatal(err)
	}
	app := newApp(e)
	app.OpenMailto(mustMailto(t, "mailto:"+srv.Alice+"?bcc="+srv.Bob+"&subject=Blind%20copy&body=Hello"))
	test.Type(app.passphrase, mailtest.Passphrase)
	test.Tap(app.submit)
	waitUntil(t, app, time.Minute, "the composer", func() bool { return app.main != nil && app.main.lastComposer != nil })
	c := app.main.lastComposer
	c.sign.SetChecked(false) // alice has no key yet
	test.Tap(c.sendButton)
	test.Tap(c.plainButton)
	app.tasks.wait()
	srv.WaitForMessages(t, srv.Bob, "INBOX", 1, 30*time.Second)
	srv.WaitForMessages(t, srv.Alice, "INBOX", 1, 30*time.Second)
	raw := srv.Messages(t, srv.Alice, "INBOX")[0]
	header, err := textproto.NewReader(bufio.NewReader(bytes.NewReader(raw))).ReadMIMEHeader()
	if err != nil {
		t.Fatal(err)
	}
	if header.Get("Subject") != "Blind copy" {
		t.Errorf("alice's copy: Subject %q, want %q", header.Get("Subject"), "Blind copy")
	}
	for name, values := range header {
		for _, v := range values {
			if strings.Contains(strings.ToLower(v), strings.ToLower(srv.Bob)) || strings.EqualFold(name, "Bcc") {
				t.Errorf("the blind copy shows in the header %s: %s", name, v)
			}
		}
	}
}
