package ui

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/sealpost/sealpost/mail/backend"
)

// travelled is how a message from example.com reached the user at
// provider.net: the sender's submission, the provider's MX over TLS 1.3,
// the provider's delivery; signed by example.com and by a mailing service,
// the latter's key unreachable.
var travelled = &backend.Travel{
	Hops: []backend.Hop{
		{From: "laptop", By: "mx.example.com", With: "ESMTPSA", Encryption: backend.HopTLS, Time: time.Date(2026, 11, 20, 9, 2, 0, 0, time.UTC)},
		{From: "mx.example.com", By: "mail.provider.net", With: "ESMTPS", Encryption: backend.HopTLS, TLSVersion: "TLS 1.3",
			Cipher: "TLS_AES_256_GCM_SHA384", Time: time.Date(2026, 11, 20, 9, 3, 0, 0, time.UTC), ByProvider: true},
		{From: "mail.provider.net", By: "imap.provider.net", With: "LMTP", Encryption: backend.HopNotStated,
			Time: time.Date(2026, 11, 20, 9, 3, 5, 0, time.UTC), ByProvider: true},
	},
	DKIM: []backend.DKIMCheck{
		{Domain: "example.com", Result: backend.DKIMPass, AlignedWithFrom: true},
		{Domain: "mailer.example", Result: backend.DKIMNotChecked, Reason: "its key could not be looked up"},
	},
	Provider: &backend.ProviderResults{AuthServID: "mail.provider.net", SPF: "pass", DKIM: "pass", DMARC: "pass"},
	Fetch:    &backend.FetchTLS{Server: "imap.provider.net", Version: "TLS 1.3", Cipher: "TLS_AES_128_GCM_SHA256"},
}

func TestDescribeTravel(t *testing.T) {
	title, lines := describeTravel(travelled, time.UTC)
	if title != "How it travelled: 1 of 3 hops without stated encryption" {
		t.Errorf("title = %q", title)
	}
	want := []string{
		"laptop to mx.example.com, encrypted (ESMTPSA), 20 Nov 09:02",
		"mx.example.com to mail.provider.net, encrypted (TLS 1.3), 20 Nov 09:03, your provider",
		"mail.provider.net to imap.provider.net, no encryption stated (LMTP), 20 Nov 09:03, your provider",
		"Only the hops marked “your provider” were written by your provider; the others are what servers on the sender's side say, which nobody can check.",
		"Signed by example.com, verified (DKIM).",
		"Signed by mailer.example, not checked (DKIM): its key could not be looked up, for one because Sealpost was offline; it is tried again when the message is opened later; mailer.example is not the sender's domain.",
		"Your provider (mail.provider.net) reported: SPF pass, DKIM pass, DMARC pass.",
		"Sealpost fetched it from imap.provider.net, encrypted (TLS 1.3, TLS_AES_128_GCM_SHA256).",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("lines:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}

	tests := []struct {
		name      string
		travel    *backend.Travel
		title     string
		wantLines []string
	}{
		{"not recorded", nil, "How it travelled: not recorded", []string{"did not record"}},
		{"nothing stated", &backend.Travel{}, "How it travelled: no route stated",
			[]string{"names no servers", "No domain signed it", "no check results that Sealpost can trust", "fetched it was not recorded"}},
		{"all encrypted, a forged signature", &backend.Travel{
			Hops: travelled.Hops[:2],
			DKIM: []backend.DKIMCheck{{Domain: "bank.example", Result: backend.DKIMFail, Reason: "signature did not verify"}},
		}, "How it travelled: every stated hop encrypted; a DKIM signature FAILED",
			[]string{"Signed by bank.example, but the signature FAILED (DKIM): the message was changed or the signature forged (signature did not verify)"}},
		{"lookups off", &backend.Travel{
			DKIM: []backend.DKIMCheck{{Domain: "bank.example", Result: backend.DKIMNotChecked, Reason: backend.DKIMLookupsOff, AlignedWithFrom: true}},
		}, "How it travelled: no route stated",
			[]string{"Signed by bank.example, not checked (lookups off): DKIM key lookups are turned off in Settings, Security."}},
		{"not checked yet", &backend.Travel{
			DKIM: []backend.DKIMCheck{{Domain: "bank.example", Result: backend.DKIMNotChecked, Reason: backend.DKIMNotYet, AlignedWithFrom: true}},
		}, "How it travelled: no route stated", []string{"Signed by bank.example, not checked yet (DKIM)"}},
		{"a provider that stated nothing", &backend.Travel{Provider: &backend.ProviderResults{AuthServID: "mx.provider.net"}},
			"How it travelled: no route stated", []string{"Your provider (mx.provider.net) reported no checks."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			title, lines := describeTravel(tt.travel, time.UTC)
			if title != tt.title {
				t.Errorf("title = %q, want %q", title, tt.title)
			}
			text := strings.Join(lines, "\n")
			for _, w := range tt.wantLines {
				if !strings.Contains(text, w) {
					t.Errorf("lines %q do not say %q", text, w)
				}
			}
		})
	}
}

// TestReaderTravelPanel opens a fixture message (stored without a record:
// "not recorded"), shows one with a record, and checks that every way the
// reader lets go of a message empties the panel.
func TestReaderTravelPanel(t *testing.T) {
	test.NewTempApp(t)
	app, _ := openFixture(t)
	v := app.main
	v.list.Select(rowOf(t, v, "Q3 numbers"))
	app.tasks.wait()
	p := v.reader.travel
	if !p.object.Visible() || len(p.shown) == 0 || p.shown[0] != "How it travelled: not recorded" {
		t.Fatalf("panel = %q, want it shown, not recorded", p.shown)
	}

	v.reader.show(backend.Message{From: "a@example.com", Subject: "s", Travel: travelled})
	if !strings.Contains(strings.Join(p.shown, "\n"), "Signed by example.com, verified (DKIM).") {
		t.Errorf("panel = %q, want the DKIM pass", p.shown)
	}

	if p.lines.Visible() {
		t.Error("the panel starts open")
	}
	test.Tap(p.toggle)
	if !p.lines.Visible() {
		t.Error("tapping the title does not open the panel")
	}
	test.Tap(p.toggle)
	if p.lines.Visible() {
		t.Error("tapping the title again does not close the panel")
	}

	v.reader.wipe()
	if p.object.Visible() || p.shown != nil || len(p.lines.Objects) != 0 {
		t.Errorf("after locking the panel still shows %q", p.shown)
	}

	// A message attached to another did not travel by itself.
	sub := newReader()
	sub.attachedTo = "Q3 numbers"
	sub.show(backend.Message{Subject: "inner", Travel: travelled})
	if sub.travel.object.Visible() {
		t.Error("the panel shows for an attached message")
	}
}

// TestGoldenTravelPanel renders the reader with the panel open.
func TestGoldenTravelPanel(t *testing.T) {
	test.NewTempApp(t)
	test.ApplyTheme(t, variantTheme{theme.DefaultTheme(), theme.VariantLight})
	r := newReader()
	r.headers.zone = time.UTC
	w := test.NewWindow(r.object)
	defer w.Close()
	w.Resize(fyne.NewSize(640, 820))
	r.show(backend.Message{From: "Bob Example <bob@example.com>", To: "alice@provider.net", Subject: "Q3 numbers",
		Date: time.Date(2026, 11, 20, 9, 2, 0, 0, time.UTC), Body: "The numbers are good.", Travel: travelled})
	test.Tap(r.travel.toggle)
	test.AssertImageMatches(t, "travel_light.png", w.Canvas().Capture())
}
