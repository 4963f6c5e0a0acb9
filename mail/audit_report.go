package mail

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sealpost/sealpost/crypto"
	"github.com/sealpost/sealpost/localstore"
)

// ErrChooseSigningKey means several own keys could sign a report and none
// is the only default one: the caller must name one.
var ErrChooseSigningKey = errors.New("several of your keys could sign the report: choose one")

// Report is the audit trail as a text report for people: when it was made,
// what checking the hash chain found, then the entries oldest first, each
// with its hash, so that the report can be compared with the trail later.
// With contact set, only the entries that mention that address or
// fingerprint are listed (backend.AuditEntry.Mentions), and the report says
// so. The report holds addresses, subjects and fingerprints in plain text:
// it is for a file the user asks for.
func (a *Audit) Report(contact string) ([]byte, error) {
	rep, err := a.Verify()
	if err != nil {
		return nil, err
	}
	entries, err := a.Entries()
	if err != nil && rep.OK {
		return nil, fmt.Errorf("reading the audit trail: %w", err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Sealpost audit report\nMade: %s\n", a.now().UTC().Format(time.RFC3339))
	if rep.OK {
		fmt.Fprintf(&b, "Hash chain: intact, %d entries verified\n", rep.Entries)
	} else {
		fmt.Fprintf(&b, "Hash chain: BROKEN, %d problem(s):\n", len(rep.Problems))
		for _, p := range rep.Problems {
			fmt.Fprintf(&b, "  %s\n", p)
		}
		if err != nil {
			fmt.Fprintf(&b, "The entries cannot be read: %v\n", err)
		}
	}
	if n := len(entries); n > 0 {
		fmt.Fprintf(&b, "Newest entry: #%d, hash %s\n", entries[n-1].Seq, hex.EncodeToString(entries[n-1].Hash))
	}
	shown := entries
	if contact = strings.TrimSpace(contact); contact != "" {
		shown = nil
		for _, en := range entries {
			if auditEntryOf(en).Mentions(contact) {
				shown = append(shown, en)
			}
		}
		fmt.Fprintf(&b, "Only the entries that mention %s: %d of %d\n", contact, len(shown), len(entries))
	}
	for _, en := range shown {
		writeReportEntry(&b, en)
	}
	return []byte(b.String()), nil
}

// writeReportEntry writes one entry of a report: a heading line, then its
// subject, detail and hash, indented.
func writeReportEntry(b *strings.Builder, en localstore.AuditEntry) {
	fmt.Fprintf(b, "\n#%d  %s  %s\n", en.Seq, en.Time.UTC().Format(time.RFC3339), en.Kind)
	for _, f := range []struct{ name, value string }{{"subject", en.Subject}, {"detail", en.Detail}} {
		if v := oneLine(strings.ToValidUTF8(f.value, "\uFFFD")); v != "" {
			fmt.Fprintf(b, "    %s: %s\n", f.name, v)
		}
	}
	fmt.Fprintf(b, "    hash: %s\n", hex.EncodeToString(en.Hash))
}

// SignedReport is Report signed with one of the user's own keys as a
// cleartext signature, which `gpg --verify` checks once the key's public
// part is imported. selector (an address or a fingerprint) chooses the key;
// empty, it is the default own key, or the only usable one. It returns the
// key that signed.
func (a *Audit) SignedReport(contact, selector string) ([]byte, KeyInfo, error) {
	info, err := a.reportKey(selector)
	if err != nil {
		return nil, KeyInfo{}, err
	}
	key, err := a.keys.loadKey(info)
	if err != nil {
		return nil, KeyInfo{}, err
	}
	defer key.ClearPrivate()
	report, err := a.Report(contact)
	if err != nil {
		return nil, KeyInfo{}, err
	}
	signed, err := crypto.ClearSign(report, key, a.now())
	if err != nil {
		return nil, KeyInfo{}, fmt.Errorf("signing the report with %s: %w", GroupFingerprint(info.Fingerprint), err)
	}
	return signed, info, nil
}

// reportKey chooses the own key that signs a report (see SignedReport).
func (a *Audit) reportKey(selector string) (KeyInfo, error) {
	if selector != "" {
		info, err := a.keys.pick(selector, true)
		if err != nil {
			return KeyInfo{}, err
		}
		if info.Usable != "" {
			return KeyInfo{}, fmt.Errorf("%s is %s: %w", GroupFingerprint(info.Fingerprint), info.Usable, ErrKeyNotUsable)
		}
		return info, nil
	}
	all, err := a.keys.ListKeys()
	if err != nil {
		return KeyInfo{}, err
	}
	var usable, defaults []KeyInfo
	for _, k := range all {
		if k.Own && k.Usable == "" {
			usable = append(usable, k)
			if k.Default {
				defaults = append(defaults, k)
			}
		}
	}
	switch {
	case len(usable) == 0:
		return KeyInfo{}, ErrNoOwnKey
	case len(usable) == 1:
		return usable[0], nil
	case len(defaults) == 1:
		return defaults[0], nil
	}
	return KeyInfo{}, ErrChooseSigningKey
}
