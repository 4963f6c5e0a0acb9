package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/sealpost/sealpost/mail"
	"github.com/sealpost/sealpost/mail/backend"
	"github.com/sealpost/sealpost/mail/submit"
)

// auditJSON is the stable JSON form of an audit entry in `audit list --json`.
type auditJSON struct {
	Seq      uint64 `json:"seq"`
	Time     string `json:"time"`
	Kind     string `json:"kind"`
	Subject  string `json:"subject"`
	Detail   string `json:"detail"`
	PrevHash string `json:"prev_hash"`
	Hash     string `json:"hash"`
	// Mode and Delivery are set on sent messages only.
	Mode     string         `json:"mode,omitempty"`
	Delivery []deliveryJSON `json:"delivery,omitempty"`
}

// deliveryJSON is the stable JSON form of a delivery-security finding for
// one recipient domain (in `audit list --json`, `send --json` and
// `compose --json`).
type deliveryJSON struct {
	Domain string `json:"domain"`
	// Status is enforced, testing, not_enforced or not_checked.
	Status string `json:"status"`
	// DANE is validated, unvalidated, none or not_checked.
	DANE   string `json:"dane"`
	Reason string `json:"reason,omitempty"`
	// Text says it in words, as the app does.
	Text string `json:"text"`
}

// deliveryOf is f in its JSON form.
func deliveryOf(f backend.DeliveryFinding) deliveryJSON {
	return deliveryJSON{Domain: f.Domain, Status: f.Status, DANE: f.DANE, Reason: f.Reason, Text: f.Text()}
}

func cmdAuditList(_ context.Context, env *cliEnv, args []string) error {
	fs := env.flags("audit list")
	asJSON := fs.Bool("json", false, "print JSON (see docs/cli.md)")
	if err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	return env.withProfile(func(p *mail.Profile) error {
		entries, err := p.Audit().Entries()
		if err != nil {
			return err
		}
		if *asJSON {
			out := make([]auditJSON, 0, len(entries))
			for _, e := range entries {
				out = append(out, auditJSON{
					Seq: e.Seq, Time: e.Time.UTC().Format(time.RFC3339Nano), Kind: e.Kind, Subject: e.Subject,
					Detail: e.Detail, PrevHash: hex.EncodeToString(e.PrevHash), Hash: hex.EncodeToString(e.Hash), Mode: e.Mode,
				})
				for _, d := range e.Delivery {
					out[len(out)-1].Delivery = append(out[len(out)-1].Delivery, deliveryOf(submit.FindingOf(d)))
				}
			}
			return writeJSON(env.out, out)
		}
		for _, e := range entries {
			fmt.Fprintf(env.out, "%5d  %s  %-26s %s %s\n", e.Seq, e.Time.Local().Format("2006-01-02 15:04:05"), e.Kind, e.Subject, e.Detail)
		}
		return nil
	})
}

// errAuditBroken is returned when the audit chain does not verify.
var errAuditBroken = errors.New("the audit trail has been tampered with")

func cmdAuditVerify(_ context.Context, env *cliEnv, args []string) error {
	fs := env.flags("audit verify")
	if err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	return env.withProfile(func(p *mail.Profile) error {
		report, err := p.Audit().Verify()
		if err != nil {
			return err
		}
		if !report.OK {
			for _, problem := range report.Problems {
				fmt.Fprintf(env.out, "problem: %s\n", problem)
			}
			return fmt.Errorf("%w: %d problem(s) in %d entries", errAuditBroken, len(report.Problems), report.Entries)
		}
		fmt.Fprintf(env.out, "Audit trail intact: %d entries, hash chain verified.\n", report.Entries)
		return nil
	})
}

func cmdAuditExport(_ context.Context, env *cliEnv, args []string) error {
	fs := env.flags("audit export")
	signed := fs.Bool("signed", false, "sign the report with your own key (a cleartext signature: gpg --verify checks it)")
	key := fs.String("key", "", "the own key that signs (fingerprint or address); default: your default key")
	contact := fs.String("contact", "", "list only the entries that mention this address or fingerprint")
	output := fs.String("output", "", "write the report to this new file (mode 0600) instead of stdout")
	if err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	if *key != "" && !*signed {
		return fmt.Errorf("%w: --key needs --signed", errUsage)
	}
	return env.withProfile(func(p *mail.Profile) error {
		var report []byte
		var signer mail.KeyInfo
		var err error
		if *signed {
			report, signer, err = p.Audit().SignedReport(*contact, *key)
		} else {
			report, err = p.Audit().Report(*contact)
		}
		if err != nil {
			return err
		}
		if *output == "" {
			_, err = env.out.Write(report)
		} else {
			err = writeNewPrivateFile(*output, report)
		}
		if err != nil {
			return err
		}
		if *signed {
			where := *output
			if where == "" {
				where = "FILE"
			}
			fmt.Fprintf(env.err, "Signed with your key %s. Check it with: gpg --verify %s\n",
				mail.GroupFingerprint(signer.Fingerprint), where)
		}
		return nil
	})
}

// writeNewPrivateFile writes data to a file that must not exist yet,
// readable and writable by the user only.
func writeNewPrivateFile(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
	}
	return err
}
