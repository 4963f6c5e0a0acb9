package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/sealpost/sealpost/mail"
	"github.com/sealpost/sealpost/mail/travel"
)

// inspectJSON is the stable JSON form of one file in `inspect --json`.
type inspectJSON struct {
	File               string           `json:"file"`
	From               string           `json:"from"`
	Subject            string           `json:"subject"`
	Encrypted          bool             `json:"encrypted"`
	IntegrityProtected bool             `json:"integrity_protected"`
	HeaderProtection   string           `json:"header_protection"`
	Signature          signatureJSON    `json:"signature"`
	BodyText           string           `json:"body_text"`
	Attachments        []attachmentJSON `json:"attachments"`
	Warnings           []string         `json:"warnings"`
	Transport          *transportJSON   `json:"transport"`
	Error              string           `json:"error"`
	SMIMEEncrypted     bool             `json:"smime_encrypted"`
	InlineBlocks       []blockJSON      `json:"inline_blocks"`

	// shown are the warnings the text output lists: Warnings less the
	// date mismatch, which its Security line says (not in the JSON).
	shown []string
}

type signatureJSON struct {
	Status             string `json:"status"`
	SignerFingerprint  string `json:"signer_fingerprint"`
	SignerMatchesFrom  bool   `json:"signer_matches_from"`
	CoversWholeMessage bool   `json:"covers_whole_message"`
	SignedAt           string `json:"signed_at"`
	DateMismatch       bool   `json:"date_mismatch"`
}

// blockJSON is an inline OpenPGP block that was not processed with the
// message.
type blockJSON struct {
	Kind string `json:"kind"`
	Path string `json:"path"`
}

type attachmentJSON struct {
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
}

// errUnreadable marks an inspect run in which a file could not be read.
var errUnreadable = errors.New("some files could not be read")

func cmdInspect(_ context.Context, env *cliEnv, args []string) error {
	fs := env.flags("inspect")
	asJSON := fs.Bool("json", false, "print one JSON object per file (see docs/cli.md)")
	provider := fs.String("provider-domain", "", "trust the Received and Authentication-Results headers added by this `DOMAIN` (your provider's)")
	if err := parse(fs, args, 1, -1); err != nil {
		return err
	}
	if _, err := mail.TravelOffline(nil, *provider); err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	return env.withProfile(func(p *mail.Profile) error {
		var results []inspectJSON
		failed := 0
		for _, file := range fs.Args() {
			res := inspectFile(p, file, *provider)
			if res.Error != "" {
				failed++
			}
			results = append(results, res)
		}
		if *asJSON {
			if err := writeJSON(env.out, results); err != nil {
				return err
			}
		} else {
			for _, r := range results {
				printVerdict(env, r)
			}
		}
		if failed > 0 {
			return fmt.Errorf("%w (%d of %d)", errUnreadable, failed, len(results))
		}
		return nil
	})
}

func inspectFile(p *mail.Profile, file, provider string) inspectJSON {
	res := inspectJSON{File: file, Attachments: []attachmentJSON{}, Warnings: []string{}, HeaderProtection: "none",
		Signature: signatureJSON{Status: "none"}, InlineBlocks: []blockJSON{}}
	v, head, err := inspectPath(p, file)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	if t, err := mail.TravelOffline(head, provider); err == nil {
		res.Transport = transportOf(t)
	}
	res.fill(v)
	return res
}

// fill sets what res says of the message from its verdict v.
func (res *inspectJSON) fill(v mail.Verdict) {
	res.From, res.Subject = v.From, v.Subject
	res.Encrypted, res.IntegrityProtected = v.Encrypted, v.IntegrityProtected
	res.HeaderProtection = v.HeaderProtection
	res.Signature = signatureJSON{Status: string(v.Signature.Status), SignerFingerprint: v.Signature.SignerFingerprint,
		SignerMatchesFrom: v.Signature.SignerMatchesFrom, CoversWholeMessage: v.Signature.CoversWholeMessage,
		DateMismatch: v.Signature.DateMismatch}
	if !v.Signature.SignedAt.IsZero() {
		res.Signature.SignedAt = v.Signature.SignedAt.UTC().Format(time.RFC3339)
	}
	res.SMIMEEncrypted = v.SMIMEEncrypted
	for _, b := range v.Blocks {
		res.InlineBlocks = append(res.InlineBlocks, blockJSON{Kind: b.Kind, Path: b.Path})
	}
	res.BodyText = v.BodyText
	for _, a := range v.Attachments {
		res.Attachments = append(res.Attachments, attachmentJSON{a.Filename, a.ContentType, a.Size, a.SHA256})
	}
	res.Warnings = append(res.Warnings, v.Warnings...)
	res.shown = mail.ShownWarnings(v)
}

// inspectPath judges the message in file and returns its start (up to
// travel.MaxHeaderBytes), where its header is. A regular file is read where
// needed and never held whole (a message of any size fits in bounded
// memory); anything else (a pipe, a device) is read into memory first.
func inspectPath(p *mail.Profile, file string) (mail.Verdict, []byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return mail.Verdict{}, nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return mail.Verdict{}, nil, err
	}
	if st.Mode().IsRegular() {
		head := make([]byte, min(st.Size(), travel.MaxHeaderBytes))
		if n, err := f.ReadAt(head, 0); err != nil && (n < len(head) || !errors.Is(err, io.EOF)) {
			return mail.Verdict{}, nil, fmt.Errorf("read %s: %w", file, err)
		}
		v, err := p.Inspector().InspectFrom(f, st.Size())
		return v, head, err
	}
	if st.IsDir() {
		return mail.Verdict{}, nil, fmt.Errorf("%s is a directory", file)
	}
	raw, err := io.ReadAll(f)
	if err != nil {
		return mail.Verdict{}, nil, fmt.Errorf("read %s: %w", file, err)
	}
	v, err := p.Inspector().InspectFrom(bytes.NewReader(raw), int64(len(raw)))
	return v, raw[:min(len(raw), travel.MaxHeaderBytes)], err
}

func printVerdict(env *cliEnv, r inspectJSON) {
	fmt.Fprintf(env.out, "== %s\n", r.File)
	if r.Error != "" {
		fmt.Fprintf(env.out, "error: %s\n\n", r.Error)
		return
	}
	enc := "not encrypted"
	if r.Encrypted && r.IntegrityProtected {
		enc = "encrypted (integrity protected)"
	} else if r.Encrypted {
		enc = "encrypted WITHOUT integrity protection"
	} else if r.SMIMEEncrypted {
		enc = "S/MIME encrypted (not readable by Sealpost)"
	}
	sig := r.Signature.Status
	switch {
	case r.Signature.Status == "valid" && r.Signature.SignerMatchesFrom:
		sig = "valid, by the sender (" + mail.GroupFingerprint(r.Signature.SignerFingerprint) + ")"
	case r.Signature.Status == "valid":
		sig = "valid, but NOT by the sender's key (" + mail.GroupFingerprint(r.Signature.SignerFingerprint) + ")"
	}
	if r.Signature.Status != "none" && !r.Signature.CoversWholeMessage {
		sig += "; covers only part of the message"
	}
	if r.Signature.DateMismatch {
		sig += "; DATE MISMATCH: made on " + r.Signature.SignedAt + ", far from the message's Date"
	}
	fmt.Fprintf(env.out, "From: %s\nSubject: %s\nSecurity: %s; signature %s; header protection %s\n", r.From, r.Subject, enc, sig, r.HeaderProtection)
	for _, w := range r.shown {
		fmt.Fprintf(env.out, "warning: %s\n", w)
	}
	for _, a := range r.Attachments {
		fmt.Fprintf(env.out, "attachment: %s (%s, %d bytes)\n", a.Filename, a.ContentType, a.Size)
	}
	for _, b := range r.InlineBlocks {
		fmt.Fprintf(env.out, "inline block: %s, not processed with the message: text surrounds it, or it is in HTML\n", b.Kind)
	}
	fmt.Fprintf(env.out, "\n%s\n", strings.TrimRight(r.BodyText, "\n"))
}
