package main

import (
	"context"
	"fmt"

	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail"
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
