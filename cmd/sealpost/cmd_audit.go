package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/sealpost/sealpost/mail"
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
					Detail: e.Detail, PrevHash: hex.EncodeToString(e.PrevHash), Hash: hex.EncodeToString(e.Hash),
				})
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
