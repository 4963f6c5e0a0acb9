package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"slices"
	"text/tabwriter"

	"github.com/sealpost/sealpost/mail"
)

// folderJSON is the stable JSON form of a folder in `folder list --json`
// (backend.FolderInfo, field for field).
type folderJSON struct {
	Name      string `json:"name"`
	Role      string `json:"role"`
	Delimiter string `json:"delimiter"`
	Unread    int    `json:"unread"`
	Total     int    `json:"total"`
}

// folderFlags is the flag set of `folder name` with its --account flag.
func folderFlags(env *cliEnv, name string) (*flag.FlagSet, *string) {
	fs := env.flags("folder " + name)
	return fs, fs.String("account", "", "account (default: the only one)")
}

// folderArgs parses args into fs: n folder names, with flags before or
// after them.
func folderArgs(fs *flag.FlagSet, args []string, n int) ([]string, error) {
	if err := parse(fs, args, n, -1); err != nil {
		return nil, err
	}
	names := slices.Clone(fs.Args()[:n])
	if err := parse(fs, fs.Args()[n:], 0, 0); err != nil {
		return nil, err
	}
	return names, nil
}

// withAccount runs fn with the unlocked engine and account, or the
// profile's only account when account is empty.
func withAccount(ctx context.Context, env *cliEnv, account string, fn func(e *mail.Engine, acct string) error) error {
	return env.withEngine(ctx, func(e *mail.Engine) error {
		acct, err := onlyAccount(ctx, e, account)
		if err != nil {
			return err
		}
		return fn(e, acct)
	})
}

// onlyAccount is account, or the profile's only account when empty.
func onlyAccount(ctx context.Context, e *mail.Engine, account string) (string, error) {
	if account != "" {
		return account, nil
	}
	accts, err := e.Accounts(ctx)
	if err != nil {
		return "", err
	}
	switch len(accts) {
	case 0:
		return "", errors.New("there is no account yet: add one with `sealpost account add`")
	case 1:
		return accts[0].Email, nil
	}
	return "", fmt.Errorf("%w: name one with --account", mail.ErrSeveralAccounts)
}

func cmdFolderList(ctx context.Context, env *cliEnv, args []string) error {
	fs, account := folderFlags(env, "list")
	asJSON := fs.Bool("json", false, "print JSON (see docs/cli.md)")
	if _, err := folderArgs(fs, args, 0); err != nil {
		return err
	}
	return withAccount(ctx, env, *account, func(e *mail.Engine, acct string) error {
		infos, err := e.FolderInfos(ctx, acct)
		if err != nil {
			return err
		}
		if *asJSON {
			out := make([]folderJSON, 0, len(infos))
			for _, f := range infos {
				out = append(out, folderJSON(f))
			}
			enc := json.NewEncoder(env.out)
			enc.SetIndent("", "  ")
			return enc.Encode(out)
		}
		w := tabwriter.NewWriter(env.out, 0, 4, 2, ' ', 0)
		for _, f := range infos {
			fmt.Fprintf(w, "%s\t%s\t%d unread\t%d messages\n", f.Name, f.Role, f.Unread, f.Total)
		}
		return w.Flush()
	})
}

func cmdFolderCreate(ctx context.Context, env *cliEnv, args []string) error {
	fs, account := folderFlags(env, "create")
	names, err := folderArgs(fs, args, 1)
	if err != nil {
		return err
	}
	return withAccount(ctx, env, *account, func(e *mail.Engine, acct string) error {
		if err := e.CreateFolder(ctx, acct, names[0]); err != nil {
			return err
		}
		fmt.Fprintf(env.out, "Created %s.\n", names[0])
		return nil
	})
}

func cmdFolderRename(ctx context.Context, env *cliEnv, args []string) error {
	fs, account := folderFlags(env, "rename")
	names, err := folderArgs(fs, args, 2)
	if err != nil {
		return err
	}
	return withAccount(ctx, env, *account, func(e *mail.Engine, acct string) error {
		if err := e.RenameFolder(ctx, acct, names[0], names[1]); err != nil {
			return err
		}
		fmt.Fprintf(env.out, "Renamed %s to %s; its messages come again with the next sync.\n", names[0], names[1])
		return nil
	})
}

func cmdFolderDelete(ctx context.Context, env *cliEnv, args []string) error {
	fs, account := folderFlags(env, "delete")
	yes := fs.Bool("yes", false, "do not ask for confirmation")
	names, err := folderArgs(fs, args, 1)
	if err != nil {
		return err
	}
	if !*yes {
		ok, err := env.confirm(fmt.Sprintf("Delete the folder %s and its messages, on the server too? This cannot be undone. [y/N] ", names[0]))
		if err != nil {
			return err
		}
		if !ok {
			return errors.New("nothing was deleted")
		}
	}
	return withAccount(ctx, env, *account, func(e *mail.Engine, acct string) error {
		if err := e.DeleteFolder(ctx, acct, names[0]); err != nil {
			return err
		}
		fmt.Fprintf(env.out, "Deleted %s.\n", names[0])
		return nil
	})
}
