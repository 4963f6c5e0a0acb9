package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail"
	"github.com/sealpost/sealpost/mail/backend"
)

func cmdInit(_ context.Context, env *cliEnv, args []string) error {
	fs := env.flags("init")
	if err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	dir, err := env.profile()
	if err != nil {
		return err
	}
	if localstore.Interrupted(dir) {
		return localstore.ErrInterruptedInit
	}
	if mail.ProfileExists(dir) {
		return fmt.Errorf("%s already holds a Sealpost profile; nothing was changed", dir)
	}
	pass, err := env.newPassphrase(env.passphraseFilePath(), "profile passphrase (at least 10 characters; it cannot be recovered)")
	if err != nil {
		return err
	}
	if err := localstore.CheckPassphrase(pass); err != nil {
		return err
	}
	p, err := mail.CreateProfile(dir, pass, nil)
	if err != nil {
		return err
	}
	if err := p.Close(); err != nil {
		return err
	}
	fmt.Fprintf(env.out, "Created an encrypted profile in %s\n", dir)
	return nil
}

func cmdPasswd(_ context.Context, env *cliEnv, args []string) error {
	fs := env.flags("passwd")
	newFile := fs.String("new-passphrase-file", "", "read the new passphrase from `FILE` (else prompt twice)")
	if err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	dir, err := env.profile()
	if err != nil {
		return err
	}
	if !mail.ProfileExists(dir) {
		return fmt.Errorf("no Sealpost profile in %s: create one with `sealpost init`", dir)
	}
	oldPass, err := env.passphrase("Current passphrase for " + dir + ": ")
	if err != nil {
		return err
	}
	newPass, err := env.newPassphrase(*newFile, "profile passphrase")
	if err != nil {
		return err
	}
	if err := localstore.CheckPassphrase(newPass); err != nil {
		return err
	}
	p, err := mail.OpenProfile(dir, oldPass, nil)
	if err != nil {
		return err
	}
	err = p.ChangePassphrase(oldPass, newPass)
	if cerr := p.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(env.out, "Passphrase changed.")
	return nil
}

func cmdBackup(ctx context.Context, env *cliEnv, args []string) error {
	fs := env.flags("backup")
	output := fs.String("output", "", "write the backup to the new `FILE`")
	if err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	if *output == "" {
		return fmt.Errorf("%w: give the backup file with --output FILE", errUsage)
	}
	err := env.withEngine(ctx, func(e *mail.Engine) error { return e.BackupProfile(ctx, *output) })
	if err != nil && !errors.Is(err, backend.ErrBackupNotAudited) {
		return err
	}
	fmt.Fprintf(env.out, "Backed up the profile to %s; it opens with the current passphrase.\n", *output)
	if err != nil {
		fmt.Fprintf(env.err, "warning: %s\n", userMessage(err))
	}
	return nil
}

func cmdRestore(ctx context.Context, env *cliEnv, args []string) error {
	fs := env.flags("restore")
	from := fs.String("from", "", "restore the backup in `FILE`")
	force := fs.Bool("force", false, "replace the profile that is there")
	if err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	if *from == "" {
		return fmt.Errorf("%w: give the backup file with --from FILE", errUsage)
	}
	dir, err := env.profile()
	if err != nil {
		return err
	}
	if mail.ProfileExists(dir) && !localstore.Interrupted(dir) && !*force {
		return fmt.Errorf("%s already holds a Sealpost profile; nothing was changed (--force replaces it)", dir)
	}
	pass, err := env.passphrase("Passphrase of the backup " + *from + ": ")
	if err != nil {
		return err
	}
	// Restoring talks to no mail server: the network options do not apply.
	res, err := mail.NewEngine(dir, nil).RestoreProfile(ctx, *from, pass, *force)
	if errors.Is(err, localstore.ErrProfileExists) {
		// Another process made a profile there meanwhile.
		return fmt.Errorf("%s already holds a Sealpost profile; nothing was changed (--force replaces it)", dir)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(env.out, "Restored the profile in %s from %s.\n", dir, *from)
	if res.Kept != "" {
		fmt.Fprintf(env.out, "The profile it replaced is kept, sealed as it was, in %s; delete that file once you no longer need it.\n", res.Kept)
	}
	if res.Warning != nil {
		fmt.Fprintf(env.err, "warning: %s\n", userMessage(res.Warning))
	}
	return nil
}

// settingsJSON is `settings --json`: the settings the command shows.
type settingsJSON struct {
	// DKIMLookups says whether DKIM keys are looked up in the DNS.
	DKIMLookups bool `json:"dkim_lookups"`
}

// cmdSettings shows the profile's privacy settings and changes those
// given: --dkim-lookups on|off.
func cmdSettings(_ context.Context, env *cliEnv, args []string) error {
	fs := env.flags("settings")
	dkim := fs.String("dkim-lookups", "", "look up DKIM keys in the DNS to check signatures of incoming mail: `on` or off")
	asJSON := fs.Bool("json", false, "print JSON (see docs/cli.md)")
	if err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	var off *bool
	switch *dkim {
	case "":
	case "on", "off":
		v := *dkim == "off"
		off = &v
	default:
		return fmt.Errorf("%w: --dkim-lookups must be on or off, not %q", errUsage, *dkim)
	}
	return env.withProfile(func(p *mail.Profile) error {
		s, err := p.Settings().Get()
		if err != nil {
			return err
		}
		if off != nil && *off != s.NoDKIMLookups {
			s.NoDKIMLookups = *off
			if err := p.Settings().Save(s); err != nil {
				return err
			}
		}
		if *asJSON {
			return writeJSON(env.out, settingsJSON{DKIMLookups: !s.NoDKIMLookups})
		}
		state := "on"
		if s.NoDKIMLookups {
			state = "off"
		}
		fmt.Fprintf(env.out, "DKIM lookups: %s\n", state)
		return nil
	})
}
