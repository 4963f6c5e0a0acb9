package main

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail"
	"github.com/sealpost/sealpost/mail/backend"
	"github.com/sealpost/sealpost/mail/signin"
)

// stdio carries the streams a command reads and writes, so tests can run
// commands in-process.
type stdio struct {
	in       io.Reader
	out, err io.Writer
}

// errUsage marks mistakes in how a command was called; they exit with 2.
var errUsage = errors.New("usage")

// command is one subcommand: its words (e.g. "keys list"), a one-line
// summary for help, and what it runs.
type command struct {
	words   string
	summary string
	run     func(ctx context.Context, env *cliEnv, args []string) error
}

func commands() []command {
	return []command{
		{"init", "create a new encrypted profile", cmdInit},
		{"passwd", "change the profile passphrase", cmdPasswd},
		{"settings", "show or change privacy settings: [--dkim-lookups on|off] [--json]", cmdSettings},
		{"backup", "write a sealed copy of the profile: --output FILE", cmdBackup},
		{"restore", "replace the profile with a backup: --from FILE [--force]", cmdRestore},
		{"keys generate", "create an own OpenPGP key: --name N --email E [--algo curve25519|rsa4096]", cmdKeysGenerate},
		{"keys import", "import keys from FILE... (armored or binary, public or secret)", cmdKeysImport},
		{"keys export", "export a key: --email E [--secret]", cmdKeysExport},
		{"keys list", "list own and contacts' keys [--json]", cmdKeysList},
		{"keys lookup", "find a key on the network (WKD, then keys.openpgp.org): EMAIL [--import]", cmdKeysLookup},
		{"keys verify", "mark a contact's key verified: FINGERPRINT", cmdKeysVerify},
		{"keys delete", "delete a key: FINGERPRINT [--force for own keys]", cmdKeysDelete},
		{"keys default", "make an own key the default for its address: FINGERPRINT [--email E]", cmdKeysDefault},
		{"keys revoke", "revoke an own key: FINGERPRINT [--reason R]", cmdKeysRevoke},
		{"account add", "add a mail account: --email E (--password-file F | --oauth2 [--provider P]) [--imap H:P] [--smtp H:P] [--trust-cert SHA256]", cmdAccountAdd},
		{"account list", "list the accounts [--json]", cmdAccountList},
		{"account edit", "change an account: --email E [--name N] [--imap H:P] [--smtp H:P] [--password-file F [--switch-to-password]] [--trust-cert SHA256]", cmdAccountEdit},
		{"account signin", "sign an account in again with its provider (OAuth2) in the browser: --email E", cmdAccountSignIn},
		{"oauth2 providers", "list the OAuth2 sign-in providers and whether their client ID is set [--json]", cmdOAuth2Providers},
		{"oauth2 client", "set the client ID for a sign-in provider: PROVIDER --client-id ID [--client-secret-file F | --clear-client-secret] [--auth-url U --token-url U --scope S --mechanism M --server \"HOSTS\"]", cmdOAuth2Client},
		{"account remove", "remove an account and its local mail from this computer: EMAIL [--yes]", cmdAccountRemove},
		{"sync", "synchronise mail [--account E] [--folder F] [--headers-only]", cmdSync},
		{"watch", "keep mail up to date as it arrives and print what happens: [--account E] [--json] [--check-interval D]", cmdWatch},
		{"list", "list messages [--account E] [--folder F] [--limit N] [--json]", cmdList},
		{"folder list", "list the folders with unread counts [--account E] [--json]", cmdFolderList},
		{"folder create", "create a folder on the server: NAME [--account E]", cmdFolderCreate},
		{"folder rename", "rename a folder on the server: OLD NEW [--account E]", cmdFolderRename},
		{"folder delete", "delete a folder and its messages, on the server too: NAME [--account E] [--yes]", cmdFolderDelete},
		{"search", "find messages, also inside encrypted mail: [--account E] [--folder F] [--limit N] [--json] WORDS...", cmdSearch},
		{"send", "send a message: --account E --to A [--subject S] [--body-file F|-] [--attach F]... [--mode M]", cmdSend},
		{"compose", "write the message send would submit: (--account E|--from A) --output FILE.eml [send's flags]", cmdCompose},
		{"inspect", "decrypt, verify and judge messages: [--json] FILE.eml...", cmdInspect},
		{"outbox", "queued messages: outbox list [--json] | retry ID | discard ID", cmdOutbox},
		{"audit list", "show the audit trail [--json]", cmdAuditList},
		{"audit verify", "check the audit trail's hash chain", cmdAuditVerify},
		{"audit export", "write the audit trail as a report, signed with your key if asked: [--signed] [--key FPR|EMAIL] [--contact ADDR] [--output FILE]", cmdAuditExport},
		{"version", "print the version and build number (also --version)", cmdVersion},
		{"demo", "open the app on a throwaway demo profile with in-process mail servers: [--dir DIR] [--no-gui]", cmdDemo},
	}
}

// cliEnv is what every command shares: the streams and the global options.
type cliEnv struct {
	stdio
	profileDir     string
	passphraseFile string
	stallTimeout   time.Duration // 0: the engine's default
	// rootCAs replaces the system's roots; only in-process tests set it
	// (for their servers and OAuth2 provider with generated certificates).
	rootCAs *x509.CertPool
}

// run executes one headless command and returns the process exit code.
func run(ctx context.Context, args []string, io stdio) int {
	env := &cliEnv{stdio: io}
	global := flag.NewFlagSet("sealpost", flag.ContinueOnError)
	global.SetOutput(io.err)
	env.registerGlobals(global)
	showVersion := global.Bool("version", false, "print the version and build number")
	global.Usage = func() { printUsage(io.err) }
	if err := global.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *showVersion {
		fmt.Fprintln(io.out, versionText())
		return 0
	}
	rest := global.Args()
	if len(rest) == 0 || rest[0] == "help" {
		printUsage(io.out)
		return 0
	}
	cmd, cmdArgs, ok := findCommand(rest)
	if !ok {
		fmt.Fprintf(io.err, "sealpost: unknown command %q (see `sealpost help`)\n", strings.Join(rest[:min(2, len(rest))], " "))
		return 2
	}
	err := cmd.run(ctx, env, cmdArgs)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(io.err, "sealpost %s: %v\n", cmd.words, err)
		return 2
	default:
		fmt.Fprintf(io.err, "sealpost %s: %s\n", cmd.words, userMessage(err))
		return 1
	}
}

func findCommand(args []string) (command, []string, bool) {
	for _, c := range commands() {
		words := strings.Fields(c.words)
		if len(args) >= len(words) && strings.Join(args[:len(words)], " ") == c.words {
			return c, args[len(words):], true
		}
	}
	return command{}, nil, false
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "Usage: sealpost [--profile DIR] [--passphrase-file FILE] [--stall-timeout DURATION] COMMAND [options]")
	fmt.Fprintln(w, "       sealpost --version")
	fmt.Fprintln(w, "Without a command, sealpost opens the desktop app.")
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-14s %s\n", c.words, c.summary)
	}
	fmt.Fprintln(w, "\nEnvironment: SEALPOST_PROFILE, SEALPOST_PASSPHRASE_FILE. Details: docs/cli.md")
}

func (env *cliEnv) registerGlobals(fs *flag.FlagSet) {
	fs.StringVar(&env.profileDir, "profile", env.profileDir, "profile folder (default $SEALPOST_PROFILE or the OS config folder)")
	fs.StringVar(&env.passphraseFile, "passphrase-file", env.passphraseFile, "read the profile passphrase from `FILE` (default $SEALPOST_PASSPHRASE_FILE, else prompt)")
	fs.DurationVar(&env.stallTimeout, "stall-timeout", env.stallTimeout, "give up on a mail server that sends nothing for `DURATION` (default 60s)")
}

// flags makes a subcommand's flag set, which also accepts the global options.
func (env *cliEnv) flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("sealpost "+name, flag.ContinueOnError)
	fs.SetOutput(env.err)
	env.registerGlobals(fs)
	return fs
}

// parse parses args into fs and checks the number of positional arguments.
func parse(fs *flag.FlagSet, args []string, minArgs, maxArgs int) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	n := fs.NArg()
	if n < minArgs || (maxArgs >= 0 && n > maxArgs) {
		return fmt.Errorf("%w: unexpected arguments %q (see -h)", errUsage, fs.Args())
	}
	return nil
}

// profile returns the profile folder from the flag, the environment or the
// OS default.
func (env *cliEnv) profile() (string, error) {
	if env.profileDir != "" {
		return env.profileDir, nil
	}
	if dir := os.Getenv("SEALPOST_PROFILE"); dir != "" {
		return dir, nil
	}
	return defaultProfileDir()
}

func defaultProfileDir() (string, error) {
	base, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("no profile folder: set --profile or SEALPOST_PROFILE (%w)", err)
	}
	return filepath.Join(base, "sealpost"), nil
}

// passphrase reads the profile passphrase from the file, the environment's
// file or a terminal prompt, in that order.
func (env *cliEnv) passphrase(prompt string) ([]byte, error) {
	if file := env.passphraseFilePath(); file != "" {
		return readSecretFile(file)
	}
	return env.prompt(prompt)
}

// passphraseFilePath is the --passphrase-file option, else
// $SEALPOST_PASSPHRASE_FILE, else empty (prompt).
func (env *cliEnv) passphraseFilePath() string {
	if env.passphraseFile != "" {
		return env.passphraseFile
	}
	return os.Getenv("SEALPOST_PASSPHRASE_FILE")
}

// newPassphrase asks for a passphrase to be chosen: from file when given,
// otherwise typed twice on the terminal.
func (env *cliEnv) newPassphrase(file, what string) ([]byte, error) {
	if file != "" {
		return readSecretFile(file)
	}
	first, err := env.prompt("New " + what + ": ")
	if err != nil {
		return nil, err
	}
	second, err := env.prompt("Repeat the " + what + ": ")
	if err != nil {
		return nil, err
	}
	if string(first) != string(second) {
		return nil, errors.New("the two passphrases differ; nothing was changed")
	}
	return first, nil
}

func (env *cliEnv) prompt(prompt string) ([]byte, error) {
	f, ok := env.in.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil, errors.New("no passphrase: give --passphrase-file FILE or set SEALPOST_PASSPHRASE_FILE (there is no terminal to ask on)")
	}
	fmt.Fprint(env.err, prompt)
	pass, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(env.err)
	if err != nil {
		return nil, fmt.Errorf("read passphrase: %w", err)
	}
	return pass, nil
}

// readSecretFile reads a passphrase or password file; one trailing line
// break is not part of the secret.
func readSecretFile(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read passphrase file: %w", err)
	}
	data = []byte(strings.TrimSuffix(strings.TrimSuffix(string(data), "\n"), "\r"))
	if len(data) == 0 {
		return nil, fmt.Errorf("passphrase file %s is empty", path)
	}
	return data, nil
}

// openProfile unlocks the profile for a command.
func (env *cliEnv) openProfile() (*mail.Profile, error) {
	dir, pass, err := env.unlockInput()
	if err != nil {
		return nil, err
	}
	return mail.OpenProfile(dir, pass, env.profileOptions())
}

// profileOptions are the engine options the global flags ask for.
func (env *cliEnv) profileOptions() *mail.ProfileOptions {
	return &mail.ProfileOptions{StallTimeout: env.stallTimeout, RootCAs: env.rootCAs}
}

// unlockInput returns the profile folder, which must hold a profile, and
// its passphrase.
func (env *cliEnv) unlockInput() (dir string, pass []byte, err error) {
	if env.stallTimeout < 0 {
		return "", nil, fmt.Errorf("%w: --stall-timeout must not be negative", errUsage)
	}
	if dir, err = env.profile(); err != nil {
		return "", nil, err
	}
	if !mail.ProfileExists(dir) {
		return "", nil, fmt.Errorf("no Sealpost profile in %s: create one with `sealpost init`", dir)
	}
	pass, err = env.passphrase("Passphrase for " + dir + ": ")
	return dir, pass, err
}

// withProfile runs fn with the unlocked profile and closes it afterwards.
func (env *cliEnv) withProfile(fn func(p *mail.Profile) error) error {
	p, err := env.openProfile()
	if err != nil {
		return err
	}
	err = fn(p)
	if cerr := p.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close profile: %w", cerr)
	}
	return err
}

// withProfileAround runs before with the unlocked profile, closes it, runs
// wait (a sign-in in the browser, which may take minutes: the app and other
// commands may open the profile meanwhile), and opens the profile again,
// with the same passphrase, to run after. wait and after run only when the
// step before succeeded.
func (env *cliEnv) withProfileAround(before func(p *mail.Profile) error, wait func() error, after func(p *mail.Profile) error) error {
	dir, pass, err := env.unlockInput()
	if err != nil {
		return err
	}
	for _, step := range []func(p *mail.Profile) error{before, nil, after} {
		if step == nil {
			if err := wait(); err != nil {
				return err
			}
			continue
		}
		p, err := mail.OpenProfile(dir, pass, env.profileOptions())
		if err != nil {
			return err
		}
		err = step(p)
		if cerr := p.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("close profile: %w", cerr)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// withEngine runs fn with the profile unlocked in an engine that runs no
// sessions, and locks it afterwards.
func (env *cliEnv) withEngine(ctx context.Context, fn func(e *mail.Engine) error) error {
	dir, pass, err := env.unlockInput()
	if err != nil {
		return err
	}
	e := mail.NewEngine(dir, env.profileOptions())
	if err := e.Unlock(ctx, pass); err != nil {
		return err
	}
	err = fn(e)
	if cerr := e.Lock(); err == nil && cerr != nil {
		err = fmt.Errorf("close profile: %w", cerr)
	}
	return err
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// userMessage renders an error as one line, followed by the command-line
// way out of it when there is one (see commandHints).
func userMessage(err error) string {
	msg := strings.ReplaceAll(err.Error(), "\n", "; ")
	switch {
	case errors.Is(err, localstore.ErrKDFBounds):
		// What was found is the message; the layers above add nothing.
		msg = localstore.ErrKDFBounds.Error()
	case errors.Is(err, localstore.ErrDamaged):
		msg = localstore.ErrDamaged.Error()
	}
	for _, h := range commandHints() {
		if errors.Is(err, h.err) {
			msg += " (" + h.hint + ")"
		}
	}
	if missing := (*backend.MissingKeysError)(nil); errors.As(err, &missing) {
		msg += " (`sealpost keys lookup EMAIL --import` finds a key; --mode password or --mode plain sends without one)"
	}
	return msg
}

// commandHints name, for errors the engine words for the app and the
// command line alike, the commands that help. Packages other than cmd never
// name commands or flags in their messages: they return a sentinel error,
// listed here.
func commandHints() []struct {
	err  error
	hint string
} {
	return []struct {
		err  error
		hint string
	}{
		{localstore.ErrNoProfile, "`sealpost init` creates one"},
		{localstore.ErrDamaged, "`sealpost restore --from FILE --force` puts a backup in its place"},
		{mail.ErrNoAccounts, "`sealpost account add` adds one"},
		{mail.ErrSeveralAccounts, "with --account"},
		{mail.ErrFolderNotSynced, "`sealpost sync` synchronises it"},
		{mail.ErrNoRecipients, "with --to, --cc or --bcc"},
		{mail.ErrNoAccount, "`sealpost account list` shows the accounts"},
		{mail.ErrNoOwnKey, "`sealpost keys generate` creates one, `sealpost keys import FILE` imports one"},
		{mail.ErrChooseSigningKey, "name it with --key FINGERPRINT; `sealpost keys list` shows your keys"},
		{backend.ErrSignInAgain, "`sealpost account signin --email ADDRESS` signs in again"},
		{signin.ErrNoProviderServers, "`sealpost oauth2 client PROVIDER --server \"HOSTS\"` names them"},
		{signin.ErrNoClientID, "`sealpost oauth2 client PROVIDER --client-id ID` sets it; see docs/oauth2.md"},
		{mail.ErrAccountHasOutbox, "`sealpost outbox list` shows the IDs; `sealpost outbox retry ID` sends one, `sealpost outbox discard ID` discards it"},
	}
}
