package travel

import (
	"strings"
	"testing"

	"github.com/sealpost/sealpost/mail/backend"
)

// Header fields for the Authentication-Results cases, top down.
const (
	lmtp     = "Received: by imap.provider.net (Dovecot) with LMTP id q; Sat, 5 Dec 2026 12:03:10 +0000"
	entry    = "Received: from mx.example.com (mx.example.com [192.0.2.7]) by mail.provider.net (Postfix) with ESMTPS id 1; Sat, 5 Dec 2026 12:03:04 +0000"
	relay    = "Received: from laptop by mx.example.com with ESMTPSA id 2; Sat, 5 Dec 2026 12:03:00 +0000"
	ours     = "Authentication-Results: mail.provider.net; spf=pass smtp.mailfrom=example.com; dkim=pass header.d=example.com; dmarc=pass header.from=example.com; arc=none"
	oursFail = "Authentication-Results: mail.provider.net; spf=fail smtp.mailfrom=example.com; dkim=fail header.d=example.com; dmarc=fail header.from=example.com"
	forged   = "Authentication-Results: mail.provider.net; spf=pass; dkim=pass header.d=bank.example; dmarc=pass"
	foreign  = "Authentication-Results: mx.elsewhere.example; spf=pass; dkim=pass; dmarc=pass"
	dkimSig  = "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=s; h=from; bh=x; b=y"
	from     = "From: a@example.com"

	gmailTop    = "Received: by 2002:a05:7300:5c0e:b0:1a2:3b4c with SMTP id q; Sat, 5 Dec 2026 12:03:10 -0800 (PST)"
	arcSeal     = "ARC-Seal: i=1; a=rsa-sha256; t=1; cv=none; d=google.com; s=arc-20160816; b=AAAA"
	arcResults  = "ARC-Authentication-Results: i=1; mx.google.com; dkim=pass header.i=@example.com; spf=pass smtp.mailfrom=a@example.com; dmarc=pass (p=REJECT) header.from=example.com"
	entryGoogle = "Received: from mx.example.com (mx.example.com. [192.0.2.7]) by mx.google.com with ESMTPS id x (version=TLS1_3 cipher=TLS_AES_256_GCM_SHA384 bits=256/256); Sat, 05 Dec 2026 12:03:04 -0800 (PST)"
)

func TestProviderResults(t *testing.T) {
	arcPass := &backend.ProviderResults{AuthServID: "mx.google.com", SPF: "pass", DKIM: "pass", DMARC: "pass"}
	pass := &backend.ProviderResults{AuthServID: "mail.provider.net", SPF: "pass", DKIM: "pass", DMARC: "pass", ARC: "none"}
	fail := &backend.ProviderResults{AuthServID: "mail.provider.net", SPF: "fail", DKIM: "fail", DMARC: "fail"}
	tests := []struct {
		name   string
		fields []string
		want   *backend.ProviderResults
	}{
		{"above the entry point", []string{lmtp, ours, entry, relay, from}, pass},
		{"below the entry point: the sender could have written it", []string{lmtp, entry, ours, dkimSig, relay, from}, nil},
		{"the provider's is the topmost", []string{lmtp, oursFail, entry, forged, relay, from}, fail},
		{"the provider's ARC set (Gmail)", []string{gmailTop, arcSeal, arcResults, entryGoogle, ours, from}, arcPass},
		{"forged below the sender's relay", []string{lmtp, entry, relay, forged, from}, nil},
		{"forged after the sender's DKIM-Signature", []string{lmtp, entry, dkimSig, forged, from}, nil},
		{"foreign authserv-id", []string{lmtp, entry, foreign, relay, from}, nil},
		{"foreign above ours: ours counts", []string{foreign, lmtp, ours, entry, from}, pass},
		{"no Received of the provider (stored over IMAP)", []string{forged, from}, nil},
		{"a relay outside the provider on top", []string{relay, ours, entry, from}, nil},
		{"no Authentication-Results", []string{lmtp, entry, relay, from}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := strings.Join(tt.fields, "\r\n") + "\r\n\r\nbody\r\n"
			domain := "provider.net"
			if strings.Contains(raw, "google") {
				domain = "google.com"
			}
			got := providerResults(headerFields([]byte(raw)), domain)
			switch {
			case got == nil && tt.want == nil:
			case got == nil || tt.want == nil:
				t.Fatalf("got %+v, want %+v", got, tt.want)
			case *got != *tt.want:
				t.Errorf("got %+v, want %+v", *got, *tt.want)
			}
		})
	}
}

func TestProviderResultsNeedAProvider(t *testing.T) {
	raw := strings.Join([]string{lmtp, ours, entry, from}, "\r\n") + "\r\n\r\n"
	if got := providerResults(headerFields([]byte(raw)), ""); got != nil {
		t.Errorf("without a provider domain got %+v, want nil", got)
	}
	if got := providerResults(headerFields([]byte(raw)), "elsewhere.example"); got != nil {
		t.Errorf("with another provider got %+v, want nil", got)
	}
}

func TestProviderResultsOnePerMethod(t *testing.T) {
	// Fastmail writes one field per method, above its entry point; below
	// the entry point any field may be the sender's.
	spf := "Authentication-Results: mail.provider.net; spf=pass smtp.mailfrom=example.com"
	dkim := "Authentication-Results: mail.provider.net; dkim=pass header.d=example.com"
	forgedDMARC := "Authentication-Results: mail.provider.net; dmarc=pass"
	above := strings.Join([]string{lmtp, spf, dkim, entry, from}, "\r\n") + "\r\n\r\n"
	want := backend.ProviderResults{AuthServID: "mail.provider.net", SPF: "pass", DKIM: "pass"}
	if got := providerResults(headerFields([]byte(above)), "provider.net"); got == nil || *got != want {
		t.Errorf("above the entry point got %+v, want %+v", got, want)
	}
	below := strings.Join([]string{lmtp, entry, spf, forgedDMARC, from}, "\r\n") + "\r\n\r\n"
	if got := providerResults(headerFields([]byte(below)), "provider.net"); got != nil {
		t.Errorf("below the entry point got %+v, want nil", got)
	}
}
