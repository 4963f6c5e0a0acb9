package main

import (
	"encoding/json"
	"testing"
)

// TestInspectTransport checks inspect's transport field: the hops of the
// Received headers, the provider's results only for the provider named,
// and DKIM not checked (inspect looks nothing up).
func TestInspectTransport(t *testing.T) {
	dir, pass := newProfile(t)
	msg := writeFile(t, "m.eml", "Received: by imap.provider.net with LMTP id q; Sat, 05 Dec 2026 12:03:10 +0000\r\n"+
		"Authentication-Results: mail.provider.net; spf=pass smtp.mailfrom=example.com; dkim=pass header.d=example.com; dmarc=pass\r\n"+
		"Received: from mx.example.com (mx.example.com [192.0.2.7]) (using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)) by mail.provider.net (Postfix) with ESMTPS id 1; Sat, 05 Dec 2026 12:03:04 +0000\r\n"+
		"DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=s1; h=from; bh=AAAA; b=AAAA\r\n"+
		"From: a@example.com\r\nTo: me@provider.net\r\nSubject: hi\r\n\r\nhello\r\n")

	out := inspect(t, dir, pass, msg)[0].Transport
	if out == nil || len(out.Hops) != 2 || out.Provider != nil {
		t.Fatalf("without a provider domain: transport = %+v, want two hops and no provider results", out)
	}
	if h := out.Hops[0]; h.From != "mx.example.com" || h.By != "mail.provider.net" || h.TLSVersion != "TLS 1.3" || h.Encryption != "tls" || h.ByProvider {
		t.Errorf("first hop = %+v", h)
	}
	if len(out.DKIM) != 1 || out.DKIM[0].Result != "not_checked" || out.DKIM[0].Domain != "example.com" {
		t.Errorf("dkim = %+v, want example.com not checked", out.DKIM)
	}

	r := mustSucceed(t, sealpost(t, dir, pass, "inspect", "--json", "--provider-domain", "provider.net", msg))
	var res []inspectJSON
	if err := json.Unmarshal([]byte(r.out), &res); err != nil || len(res) != 1 {
		t.Fatalf("inspect --json: %v\n%s", err, r.out)
	}
	p := res[0].Transport.Provider
	if p == nil || p.AuthServID != "mail.provider.net" || p.SPF != "pass" || p.DKIM != "pass" || p.DMARC != "pass" || p.ARC != "" {
		t.Errorf("provider results = %+v, want the provider's passes", p)
	}
	if !res[0].Transport.Hops[0].ByProvider || !res[0].Transport.Hops[1].ByProvider {
		t.Errorf("hops = %+v, want both the provider's", res[0].Transport.Hops)
	}

	failsWith(t, sealpost(t, dir, pass, "inspect", "--provider-domain", "not a domain", msg), 2, "domain name")
}
