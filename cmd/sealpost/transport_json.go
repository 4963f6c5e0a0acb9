package main

import "github.com/sealpost/sealpost/mail/backend"

// transportJSON is the stable JSON form of how a message travelled (the
// "transport" field of `list --json` and `inspect --json`; docs/cli.md).
type transportJSON struct {
	Hops      []hopJSON            `json:"hops"`
	DKIM      []dkimJSON           `json:"dkim"`
	Provider  *providerResultsJSON `json:"provider"`
	Fetch     *fetchJSON           `json:"fetch"`
	CheckedAt string               `json:"checked_at"`
}

type hopJSON struct {
	From       string `json:"from"`
	By         string `json:"by"`
	With       string `json:"with"`
	Encryption string `json:"encryption"`
	TLSVersion string `json:"tls_version"`
	Cipher     string `json:"cipher"`
	Time       string `json:"time"`
	ByProvider bool   `json:"by_provider"`
}

type dkimJSON struct {
	Domain          string `json:"domain"`
	Result          string `json:"result"`
	Reason          string `json:"reason"`
	AlignedWithFrom bool   `json:"aligned_with_from"`
}

type providerResultsJSON struct {
	AuthServID string `json:"authserv_id"`
	SPF        string `json:"spf"`
	DKIM       string `json:"dkim"`
	DMARC      string `json:"dmarc"`
	ARC        string `json:"arc"`
}

type fetchJSON struct {
	Server  string `json:"server"`
	Version string `json:"version"`
	Cipher  string `json:"cipher"`
}

// transportOf translates a record into its JSON form; nil (JSON null) when
// nothing was recorded.
func transportOf(t *backend.Travel) *transportJSON {
	if t == nil {
		return nil
	}
	out := &transportJSON{Hops: []hopJSON{}, DKIM: []dkimJSON{}, CheckedAt: rfc3339(t.CheckedAt)}
	for _, h := range t.Hops {
		out.Hops = append(out.Hops, hopJSON{From: h.From, By: h.By, With: h.With, Encryption: h.Encryption,
			TLSVersion: h.TLSVersion, Cipher: h.Cipher, Time: rfc3339(h.Time), ByProvider: h.ByProvider})
	}
	for _, d := range t.DKIM {
		out.DKIM = append(out.DKIM, dkimJSON{Domain: d.Domain, Result: d.Result, Reason: d.Reason, AlignedWithFrom: d.AlignedWithFrom})
	}
	if p := t.Provider; p != nil {
		out.Provider = &providerResultsJSON{AuthServID: p.AuthServID, SPF: p.SPF, DKIM: p.DKIM, DMARC: p.DMARC, ARC: p.ARC}
	}
	if f := t.Fetch; f != nil {
		out.Fetch = &fetchJSON{Server: f.Server, Version: f.Version, Cipher: f.Cipher}
	}
	return out
}
