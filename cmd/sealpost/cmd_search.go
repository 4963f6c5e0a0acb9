package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/sealpost/sealpost/mail"
)

// cmdSearch finds stored messages containing every word given, including
// inside encrypted mail, and prints them as `list` does. It searches every
// account unless --account narrows it.
func cmdSearch(ctx context.Context, env *cliEnv, args []string) error {
	fs := env.flags("search")
	account := fs.String("account", "", "search only this account (default: every account)")
	folder := fs.String("folder", "", "search only this folder (default: every folder)")
	limit := fs.Int("limit", 50, "how many of the newest matching messages")
	asJSON := fs.Bool("json", false, "print JSON (see docs/cli.md)")
	if err := parse(fs, args, 0, -1); err != nil {
		return err
	}
	if *limit <= 0 {
		return fmt.Errorf("%w: --limit must be positive", errUsage)
	}
	text := strings.Join(fs.Args(), " ")
	if strings.TrimSpace(text) == "" {
		return fmt.Errorf("%w: %w", errUsage, mail.ErrEmptySearch)
	}
	return env.withProfile(func(p *mail.Profile) error {
		if err := p.Index().Update(ctx, *account, env.indexProgress); err != nil {
			return err
		}
		msgs, err := p.Index().Search(ctx, mail.SearchQuery{Account: *account, Folder: *folder, Text: text, Limit: *limit})
		if errors.Is(err, mail.ErrEmptySearch) {
			return fmt.Errorf("%w: %w", errUsage, err)
		}
		if err != nil {
			return err
		}
		return printMessages(env.out, msgs, *asJSON, p.Messages().Travel)
	})
}

// indexProgress prints how far indexing for search is to stderr, when
// there is anything to index.
func (env *cliEnv) indexProgress(done, total int) {
	if total > 0 {
		fmt.Fprintf(env.err, "indexing: %d/%d\n", done, total)
	}
}
