package travel

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"net"
	"testing"
	"time"

	"github.com/sealpost/sealpost/mail/backend"
)

func TestParseReceived(t *testing.T) {
	tests := []struct {
		name, value string
		want        backend.Hop
		ok          bool
	}{{
		name: "postfix with TLS 1.3",
		value: "from mx.example.com (mx.example.com [192.0.2.7])\r\n\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)\r\n\t key-exchange X25519 server-signature ECDSA (P-256))\r\n" +
			"\t(No client certificate requested)\r\n\tby mail.provider.net (Postfix) with ESMTPS id 4XyZ1\r\n\tfor <me@provider.net>; Sat, 5 Dec 2026 12:03:04 +0100 (CET)",
		want: backend.Hop{From: "mx.example.com", By: "mail.provider.net", With: "ESMTPS", Encryption: backend.HopTLS,
			TLSVersion: "TLS 1.3", Cipher: "TLS_AES_256_GCM_SHA384", Time: time.Date(2026, 12, 5, 11, 3, 4, 0, time.UTC)},
		ok: true,
	}, {
		name:  "google",
		value: "from mail-sor-f41.google.com (mail-sor-f41.google.com. [209.85.220.41])\r\n        by mx.google.com with SMTPS id a1sor;\r\n        Mon, 01 Jun 2026 10:00:00 -0700 (PDT)",
		want: backend.Hop{From: "mail-sor-f41.google.com", By: "mx.google.com", With: "SMTPS", Encryption: backend.HopTLS,
			Time: time.Date(2026, 6, 1, 17, 0, 0, 0, time.UTC)},
		ok: true,
	}, {
		name:  "google with version and cipher",
		value: "from a.example.org (a.example.org. [198.51.100.1]) by mx.google.com with ESMTPS id x (version=TLS1_3 cipher=TLS_AES_128_GCM_SHA256 bits=128/128); Tue, 2 Jun 2026 01:02:03 +0000",
		want: backend.Hop{From: "a.example.org", By: "mx.google.com", With: "ESMTPS", Encryption: backend.HopTLS,
			TLSVersion: "TLS 1.3", Cipher: "TLS_AES_128_GCM_SHA256", Time: time.Date(2026, 6, 2, 1, 2, 3, 0, time.UTC)},
		ok: true,
	}, {
		name:  "microsoft",
		value: "from EX1.corp.example (10.0.0.1) by EX2.corp.example (10.0.0.2) with Microsoft SMTP Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.1.2; Wed, 3 Jun 2026 04:05:06 +0000",
		want: backend.Hop{From: "EX1.corp.example", By: "EX2.corp.example", With: "MICROSOFT", Encryption: backend.HopTLS,
			TLSVersion: "TLS 1.2", Cipher: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", Time: time.Date(2026, 6, 3, 4, 5, 6, 0, time.UTC)},
		ok: true,
	}, {
		name:  "exim",
		value: "from host.example ([203.0.113.9]) by relay.example with esmtps (TLS1.3) tls TLS_AES_256_GCM_SHA384 (Exim 4.96) id 1abc; Thu, 04 Jun 2026 07:08:09 +0200",
		want: backend.Hop{From: "host.example", By: "relay.example", With: "ESMTPS", Encryption: backend.HopTLS,
			TLSVersion: "TLS 1.3", Cipher: "TLS_AES_256_GCM_SHA384", Time: time.Date(2026, 6, 4, 5, 8, 9, 0, time.UTC)},
		ok: true,
	}, {
		name:  "old exim",
		value: "from host.example by relay.example with esmtps (TLS1.2:ECDHE_RSA_AES_256_GCM_SHA384:256) (Exim 4.80) id 1x; Fri, 05 Jun 2026 00:00:00 +0000",
		want: backend.Hop{From: "host.example", By: "relay.example", With: "ESMTPS", Encryption: backend.HopTLS,
			TLSVersion: "TLS 1.2", Cipher: "ECDHE_RSA_AES_256_GCM_SHA384", Time: time.Date(2026, 6, 5, 0, 0, 0, 0, time.UTC)},
		ok: true,
	}, {
		name:  "plain ESMTP states no TLS",
		value: "from old.example by mx.example with ESMTP id 12; Sat, 06 Jun 2026 00:00:00 +0000",
		want: backend.Hop{From: "old.example", By: "mx.example", With: "ESMTP", Encryption: backend.HopNotStated,
			Time: time.Date(2026, 6, 6, 0, 0, 0, 0, time.UTC)},
		ok: true,
	}, {
		name:  "local delivery without from or date",
		value: "by imap.provider.net (Dovecot) with LMTP id q",
		want:  backend.Hop{By: "imap.provider.net", With: "LMTP", Encryption: backend.HopNotStated},
		ok:    true,
	}, {
		name:  "a semicolon inside a comment is not the date",
		value: "from a.example (x; y) by b.example with ESMTPSA; Sun, 07 Jun 2026 00:00:00 +0000",
		want: backend.Hop{From: "a.example", By: "b.example", With: "ESMTPSA", Encryption: backend.HopTLS,
			Time: time.Date(2026, 6, 7, 0, 0, 0, 0, time.UTC)},
		ok: true,
	}, {
		name:  "a TLS claim inside the from host's name is not read",
		value: "from using.TLSv1.3.example by b.example with ESMTP; garbage date",
		want:  backend.Hop{From: "using.TLSv1.3.example", By: "b.example", With: "ESMTP", Encryption: backend.HopNotStated},
		ok:    true,
	}, {
		name:  "no hosts",
		value: "with ESMTP id 1; Mon, 1 Jun 2026 00:00:00 +0000",
	}, {
		name:  "empty",
		value: "",
	}, {
		name:  "unbalanced parentheses",
		value: "from a.example ((((( by b.example",
		want:  backend.Hop{From: "a.example", Encryption: backend.HopNotStated},
		ok:    true,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ParseReceived(tt.value)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if !got.Time.Equal(tt.want.Time) {
				t.Errorf("Time = %v, want %v", got.Time, tt.want.Time)
			}
			got.Time, tt.want.Time = time.Time{}, time.Time{}
			if got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestHopsMarksOnlyTheProvidersFields(t *testing.T) {
	// Top down: the provider's LMTP delivery, its MX (the entry point),
	// the sender's relay, and a field the sender forged to look like the
	// provider's MX receiving over TLS.
	raw := "Received: by imap.provider.net (Dovecot) with LMTP id q; Sat, 5 Dec 2026 12:03:10 +0000\r\n" +
		"Received: from mx.example.com (mx.example.com [192.0.2.7]) (using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)) by mail.provider.net (Postfix) with ESMTPS id 1; Sat, 5 Dec 2026 12:03:04 +0000\r\n" +
		"Received: from laptop by mx.example.com with ESMTPSA id 2; Sat, 5 Dec 2026 12:03:00 +0000\r\n" +
		"Received: from forged.example by mail.provider.net with ESMTPS id 3; Sat, 5 Dec 2026 12:02:00 +0000\r\n" +
		"From: a@example.com\r\n\r\nbody\r\n"
	got := hops(headerFields([]byte(raw)), "provider.net")
	if len(got) != 4 {
		t.Fatalf("got %d hops, want 4", len(got))
	}
	wantBy := []string{"mail.provider.net", "mx.example.com", "mail.provider.net", "imap.provider.net"}
	wantProvider := []bool{false, false, true, true}
	for i, h := range got {
		if h.By != wantBy[i] || h.ByProvider != wantProvider[i] {
			t.Errorf("hop %d = by %q provider %v, want by %q provider %v", i, h.By, h.ByProvider, wantBy[i], wantProvider[i])
		}
	}
}

func TestHopsBounded(t *testing.T) {
	var raw []byte
	for range maxReceived + 10 {
		raw = append(raw, "Received: from a.example by b.example with ESMTP; Sat, 5 Dec 2026 12:00:00 +0000\r\n"...)
	}
	if got := hops(headerFields(raw), ""); len(got) != maxReceived {
		t.Errorf("got %d hops, want at most %d", len(got), maxReceived)
	}
}

func TestProviderDomainOf(t *testing.T) {
	for host, want := range map[string]string{
		"imap.mail.example.net": "example.net",
		"imap.example.co.uk.":   "example.co.uk",
		"IMAP.Provider.NET":     "provider.net",
		"127.0.0.1":             "127.0.0.1",
		"localhost":             "localhost",
		"imap.gmail.com":        "google.com",
		"outlook.office365.com": "outlook.com",
		"imap-mail.outlook.com": "outlook.com",
		"imap.fastmail.com":     "messagingengine.com",
	} {
		if got := ProviderDomainOf(host); got != want {
			t.Errorf("ProviderDomainOf(%q) = %q, want %q", host, got, want)
		}
	}
}

// TestReceivedParsedOnce: Examine parses each Received field once, though
// the hops and the provider's results both read them.
func TestReceivedParsedOnce(t *testing.T) {
	var calls int
	parseHop = func(v string) (backend.Hop, bool) { calls++; return ParseReceived(v) }
	t.Cleanup(func() { parseHop = ParseReceived })
	raw := []byte("Authentication-Results: mx.provider.net; spf=pass smtp.mailfrom=example.com\r\n" +
		"Received: from mx.provider.net by imap.provider.net with LMTP; Sat, 5 Dec 2026 12:03:05 +0000\r\n" +
		"Received: from mx.example.com by mx.provider.net with ESMTPS; Sat, 5 Dec 2026 12:03:04 +0000\r\n" +
		"Received: from laptop by mx.example.com with ESMTPSA; Sat, 5 Dec 2026 12:03:00 +0000\r\n" +
		"From: a@example.com\r\n\r\nText.\r\n")
	ev := Examine(t.Context(), raw, Options{ProviderDomain: "provider.net"})
	if len(ev.Hops) != 3 || ev.Provider == nil {
		t.Fatalf("Examine = %+v, want 3 hops and the provider's results", ev)
	}
	if calls != 3 {
		t.Errorf("3 Received fields were parsed %d times, want once each", calls)
	}
}

// TestRecheckAfter: a signature left not checked asks to be checked again
// at once when no key was looked up, and after RetryAfter when the DNS
// failed; a verdict, or no RetryAfter, asks nothing.
func TestRecheckAfter(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	signed := sign(t, testMessage, "example.com", "ed", key)
	now := time.Date(2026, 12, 6, 1, 0, 0, 0, time.UTC)
	down := func(context.Context, string) ([]string, error) {
		return nil, &net.DNSError{Err: "server misbehaving", IsTemporary: true}
	}
	for _, tt := range []struct {
		name string
		opts Options
		want time.Time
	}{
		{"no resolver", Options{RetryAfter: time.Hour, NotChecked: backend.DKIMLookupsOff}, now},
		{"DNS down", Options{RetryAfter: time.Hour, Resolver: NewResolver(down)}, now.Add(time.Hour)},
		{"no key", Options{RetryAfter: time.Hour, Resolver: NewResolver(noKeys)}, time.Time{}},
		{"no RetryAfter", Options{Resolver: NewResolver(down)}, time.Time{}},
	} {
		tt.opts.Now = now
		ev := Examine(t.Context(), signed, tt.opts)
		if !ev.RecheckAfter.Equal(tt.want) {
			t.Errorf("%s: RecheckAfter = %v, want %v (DKIM %+v)", tt.name, ev.RecheckAfter, tt.want, ev.DKIM)
		}
	}
	ev := Examine(t.Context(), signed, Options{NotChecked: backend.DKIMLookupsOff})
	if len(ev.DKIM) != 1 || ev.DKIM[0].Reason != backend.DKIMLookupsOff {
		t.Errorf("lookups off: DKIM %+v, want the reason recorded", ev.DKIM)
	}
}

// BenchmarkParseReceived parses a Received field as the synthetic sync
// corpus writes it (no TLS comment) and one of Postfix's (with one).
func BenchmarkParseReceived(b *testing.B) {
	for _, bc := range []struct{ name, value string }{
		{"plain", "from mx.example.net (mx.example.net [192.0.2.9]) by mail.example.test with ESMTPS id 1f2e; Sun, 06 Dec 2026 03:53:47 +0000"},
		{"postfix", "from a (a [192.0.2.1]) (using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)) by b with ESMTPS id 1; Sun, 6 Dec 2026 03:53:47 +0000"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if _, ok := ParseReceived(bc.value); !ok {
					b.Fatal("not parsed")
				}
			}
		})
	}
}
