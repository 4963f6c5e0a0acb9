package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sealpost/sealpost/crypto"
	"github.com/sealpost/sealpost/mail"
)

// keyJSON is the stable JSON form of a key in `keys list --json`.
type keyJSON struct {
	Fingerprint  string   `json:"fingerprint"`
	UserIDs      []string `json:"user_ids"`
	Emails       []string `json:"emails"`
	Type         string   `json:"type"` // own | contact
	Default      bool     `json:"default"`
	Verification string   `json:"verification"` // own | verified | unverified
	Source       string   `json:"source"`
	Algorithm    string   `json:"algorithm"`
	Created      string   `json:"created"`
	Expires      string   `json:"expires"` // RFC 3339, or "" for never
	Revoked      bool     `json:"revoked"`
	Status       string   `json:"status"` // usable | expired | revoked | weak
}

func toKeyJSON(k mail.KeyInfo) keyJSON {
	out := keyJSON{
		Fingerprint: k.Fingerprint, UserIDs: nonNil(k.UserIDs), Emails: nonNil(k.Emails), Type: "contact",
		Default: k.Default, Verification: k.Verification, Source: k.Source, Algorithm: k.Algorithm,
		Created: k.CreatedAt.UTC().Format(time.RFC3339), Revoked: k.Revoked, Status: "usable",
	}
	if k.Own {
		out.Type = "own"
	}
	if !k.ExpiresAt.IsZero() {
		out.Expires = k.ExpiresAt.UTC().Format(time.RFC3339)
	}
	switch {
	case strings.HasPrefix(k.Usable, "too weak"):
		out.Status = "weak"
	case k.Usable != "":
		out.Status = k.Usable
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func cmdKeysGenerate(_ context.Context, env *cliEnv, args []string) error {
	fs := env.flags("keys generate")
	name := fs.String("name", "", "your name as it appears in the key's user ID")
	email := fs.String("email", "", "your e-mail address (required)")
	algo := fs.String("algo", string(crypto.AlgoCurve25519), "key algorithm: curve25519 or rsa4096")
	expires := fs.Duration("expires", 3*365*24*time.Hour, "validity from now, e.g. 26280h (3 years)")
	if err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	if *email == "" || !strings.Contains(*email, "@") {
		return fmt.Errorf("%w: --email ADDRESS is required", errUsage)
	}
	a := crypto.Algorithm(*algo)
	if a != crypto.AlgoCurve25519 && a != crypto.AlgoRSA4096 {
		return fmt.Errorf("%w: --algo must be curve25519 or rsa4096, not %q", errUsage, *algo)
	}
	return env.withProfile(func(p *mail.Profile) error {
		k, err := p.Keys().GenerateKey(*name, *email, a, *expires)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.out, "Generated %s key %s for %s, expires %s\n", k.Algorithm,
			mail.GroupFingerprint(k.Fingerprint), strings.Join(k.UserIDs, ", "), expiryText(k.ExpiresAt))
		return nil
	})
}

func cmdKeysImport(_ context.Context, env *cliEnv, args []string) error {
	fs := env.flags("keys import")
	keyPassFile := fs.String("key-passphrase-file", "", "passphrase of protected secret keys in the files (else prompt)")
	if err := parse(fs, args, 1, -1); err != nil {
		return err
	}
	askKeyPass := func(fpr string, uids []string) ([]byte, error) {
		if *keyPassFile != "" {
			return readSecretFile(*keyPassFile)
		}
		return env.prompt(fmt.Sprintf("Passphrase of secret key %s (%s): ", mail.GroupFingerprint(fpr), strings.Join(uids, ", ")))
	}
	return env.withProfile(func(p *mail.Profile) error {
		for _, file := range fs.Args() {
			data, err := os.ReadFile(file)
			if err != nil {
				return fmt.Errorf("read %s: %w", file, err)
			}
			results, err := p.Keys().ImportKeys(data, askKeyPass)
			for _, r := range results {
				kind := "contact key"
				if r.Key.Own {
					kind = "own key"
				}
				fmt.Fprintf(env.out, "%s %s %s %s\n", r.Status, kind, mail.GroupFingerprint(r.Key.Fingerprint), strings.Join(r.Key.UserIDs, ", "))
				for _, w := range r.Warnings {
					fmt.Fprintf(env.err, "warning: %s\n", w)
				}
			}
			if err != nil {
				return fmt.Errorf("%s: %w", file, err)
			}
		}
		return nil
	})
}

func cmdKeysExport(_ context.Context, env *cliEnv, args []string) error {
	fs := env.flags("keys export")
	email := fs.String("email", "", "address (or fingerprint) of the key to export")
	secret := fs.Bool("secret", false, "export the own secret key, protected by a passphrase you choose")
	exportPassFile := fs.String("export-passphrase-file", "", "with --secret: read the protecting passphrase from `FILE` (else prompt twice)")
	if err := parse(fs, args, 0, 1); err != nil {
		return err
	}
	selector := *email
	if selector == "" && fs.NArg() == 1 {
		selector = fs.Arg(0)
	}
	if selector == "" {
		return fmt.Errorf("%w: --email ADDRESS (or a fingerprint) is required", errUsage)
	}
	return env.withProfile(func(p *mail.Profile) error {
		var armored string
		var err error
		if *secret {
			var pass []byte
			if pass, err = env.newPassphrase(*exportPassFile, "passphrase for the exported secret key"); err != nil {
				return err
			}
			armored, err = p.Keys().ExportSecret(selector, pass)
		} else {
			armored, err = p.Keys().ExportPublic(selector)
		}
		if err != nil {
			return err
		}
		_, err = fmt.Fprint(env.out, armored)
		return err
	})
}

func cmdKeysList(_ context.Context, env *cliEnv, args []string) error {
	fs := env.flags("keys list")
	asJSON := fs.Bool("json", false, "print JSON (see docs/cli.md)")
	if err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	return env.withProfile(func(p *mail.Profile) error {
		keys, err := p.Keys().ListKeys()
		if err != nil {
			return err
		}
		if *asJSON {
			out := make([]keyJSON, 0, len(keys))
			for _, k := range keys {
				out = append(out, toKeyJSON(k))
			}
			return writeJSON(env.out, out)
		}
		if len(keys) == 0 {
			fmt.Fprintln(env.out, "No keys yet: `sealpost keys generate` or `sealpost keys import FILE`.")
			return nil
		}
		tw := tabwriter.NewWriter(env.out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "TYPE\tFINGERPRINT\tUSER ID\tTRUST\tEXPIRES\tSTATUS")
		for _, k := range keys {
			j := toKeyJSON(k)
			typ := j.Type
			if k.Default {
				typ += "*"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", typ, mail.GroupFingerprint(k.Fingerprint),
				strings.Join(k.UserIDs, ", "), k.Verification, expiryText(k.ExpiresAt), j.Status)
		}
		return tw.Flush()
	})
}

func cmdKeysVerify(_ context.Context, env *cliEnv, args []string) error {
	fs := env.flags("keys verify")
	if err := parse(fs, args, 1, -1); err != nil {
		return err
	}
	return env.withProfile(func(p *mail.Profile) error {
		k, err := p.Keys().VerifyKey(strings.Join(fs.Args(), ""))
		if err != nil {
			return err
		}
		fmt.Fprintf(env.out, "%s %s is %s\n", mail.GroupFingerprint(k.Fingerprint), strings.Join(k.UserIDs, ", "), k.Verification)
		return nil
	})
}

func cmdKeysDelete(_ context.Context, env *cliEnv, args []string) error {
	fs := env.flags("keys delete")
	force := fs.Bool("force", false, "also delete an own secret key")
	if err := parse(fs, args, 1, -1); err != nil {
		return err
	}
	return env.withProfile(func(p *mail.Profile) error {
		fpr := strings.Join(fs.Args(), "")
		if err := p.Keys().DeleteKey(fpr, *force); err != nil {
			if errors.Is(err, mail.ErrOwnKeyNeedsConfirmation) {
				return fmt.Errorf("%w; export a backup first (`keys export --secret`), then repeat with --force", err)
			}
			return err
		}
		fmt.Fprintln(env.out, "Deleted.")
		return nil
	})
}

func cmdKeysRevoke(_ context.Context, env *cliEnv, args []string) error {
	fs := env.flags("keys revoke")
	reason := fs.String("reason", "key is no longer used", "reason recorded in the revocation")
	if err := parse(fs, args, 1, -1); err != nil {
		return err
	}
	return env.withProfile(func(p *mail.Profile) error {
		armored, err := p.Keys().RevokeKey(strings.Join(fs.Args(), ""), *reason)
		if err != nil {
			return err
		}
		fmt.Fprintln(env.err, "Key revoked. Send this revoked public key to your contacts:")
		_, err = fmt.Fprint(env.out, armored)
		return err
	})
}

func expiryText(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format("2006-01-02")
}

func cmdKeysLookup(ctx context.Context, env *cliEnv, args []string) error {
	fs := env.flags("keys lookup")
	save := fs.Bool("import", false, "import the keys found (as unverified contact keys)")
	if err := parse(fs, args, 1, 1); err != nil {
		return err
	}
	return env.withProfile(func(p *mail.Profile) error {
		results, source, err := p.Keys().LookupKeys(ctx, fs.Arg(0), nil, *save)
		for _, r := range results {
			fmt.Fprintf(env.out, "%s %s %s (%s, from %s)\n", r.Status, mail.GroupFingerprint(r.Key.Fingerprint),
				strings.Join(r.Key.UserIDs, ", "), keyState(r.Key), source)
			for _, w := range r.Warnings {
				fmt.Fprintf(env.err, "warning: %s\n", w)
			}
		}
		if err == nil && !*save && len(results) > 0 {
			fmt.Fprintln(env.err, "Not imported: compare the fingerprint with its owner, then run again with --import.")
		}
		return err
	})
}

func keyState(k mail.KeyInfo) string {
	if k.Usable != "" {
		return k.Usable
	}
	return k.Verification
}

// cmdKeysDefault makes an own key the default for one of its addresses:
// keys default FINGERPRINT [--email E]. The fingerprint may be written in
// groups; --email may come before or after it and is needed only when the
// key carries several addresses.
func cmdKeysDefault(_ context.Context, env *cliEnv, args []string) error {
	fs := env.flags("keys default")
	email := fs.String("email", "", "the address the key becomes the default for (required when the key carries several)")
	var words []string
	for rest := args; ; {
		if err := parse(fs, rest, 0, -1); err != nil {
			return err
		}
		rest = fs.Args()
		for len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
			words, rest = append(words, rest[0]), rest[1:]
		}
		if len(rest) == 0 {
			break
		}
	}
	if len(words) == 0 {
		return fmt.Errorf("%w: the FINGERPRINT of an own key is required", errUsage)
	}
	fpr, err := mail.NormalizeFingerprint(strings.Join(words, ""))
	if err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	return env.withProfile(func(p *mail.Profile) error {
		keys, err := p.Keys().FindKeys(fpr)
		if err != nil {
			return err
		}
		k := keys[0]
		if !k.Own {
			return fmt.Errorf("%s is a contact's key, not one of yours: %w", mail.GroupFingerprint(fpr), mail.ErrKeyNotFound)
		}
		address := *email
		if address == "" {
			switch len(k.Emails) {
			case 0:
				return fmt.Errorf("key %s carries no e-mail address: %w", mail.GroupFingerprint(fpr), mail.ErrKeyLacksAddress)
			case 1:
				address = k.Emails[0]
			default:
				return fmt.Errorf("%w: key %s carries %s: choose one with --email", errUsage, mail.GroupFingerprint(fpr), strings.Join(k.Emails, ", "))
			}
		}
		if err := p.Keys().SetDefaultKey(fpr, address); err != nil {
			return err
		}
		fmt.Fprintf(env.out, "%s is now the default key for %s\n", mail.GroupFingerprint(fpr), strings.Join(k.Emails, ", "))
		return nil
	})
}
