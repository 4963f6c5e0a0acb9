package archtest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestImportRules checks the module's real import graph against Rules.
func TestImportRules(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pkgs, err := Load(ctx, ".")
	if err != nil {
		t.Fatal(err)
	}
	// The graph must hold the layers the rules govern, or the rules would
	// pass on nothing.
	for _, want := range []string{Module + "/ui", Module + "/mail", Module + "/crypto", Module + "/localstore", Module + "/cmd/sealpost"} {
		if !slices.ContainsFunc(pkgs, func(p Package) bool { return p.ImportPath == want }) {
			t.Fatalf("go list did not list %s", want)
		}
	}
	for _, v := range Check(pkgs, Rules()) {
		t.Error(v)
	}
}

// Short names for the fake graphs below.
const (
	ui      = Module + "/ui"
	uiSub   = Module + "/ui/widgets"
	backend = Module + "/mail/backend"
	mailPkg = Module + "/mail"
	imapPkg = Module + "/mail/imapsync"
	store   = Module + "/localstore"
	crypto  = Module + "/crypto"
	pgpmime = Module + "/crypto/pgpmime"
	demo    = Module + "/mail/demo"
	cmd     = Module + "/cmd/sealpost"
	imapLib = "github.com/emersion/go-imap/v2"
	smtpLib = "github.com/emersion/go-smtp"
	boltLib = "go.etcd.io/bbolt"
	fyneLib = "fyne.io/fyne/v2"
	fyneW   = "fyne.io/fyne/v2/widget"
)

// clean is a graph that keeps every rule.
func clean() []Package {
	return []Package{
		{ImportPath: cmd, Imports: []string{ui, mailPkg, fyneLib, "flag"}},
		{ImportPath: ui, Imports: []string{backend, fyneW, "net/mail"}, TestImports: []string{mailPkg, store, fyneLib}},
		{ImportPath: backend, Imports: []string{"context"}},
		{ImportPath: mailPkg, Imports: []string{backend, imapPkg, store, crypto, "net"}, TestImports: []string{imapLib}},
		{ImportPath: imapPkg, Imports: []string{imapLib, store}},
		{ImportPath: store, Imports: []string{boltLib}},
		{ImportPath: crypto, Imports: []string{"github.com/ProtonMail/gopenpgp/v2/crypto"}},
		{ImportPath: pgpmime, Imports: []string{crypto, "net/mail", "github.com/emersion/go-message"}},
		{ImportPath: "github.com/emersion/go-message", Imports: []string{"net/http"}},
		{ImportPath: fyneW, Imports: []string{fyneLib}},
		{ImportPath: imapLib, Imports: []string{"net"}},
	}
}

// with returns clean() with the imports of ps added to the packages of
// the same paths; packages not in clean() are appended.
func with(ps ...Package) []Package {
	pkgs := clean()
next:
	for _, p := range ps {
		for i := range pkgs {
			if pkgs[i].ImportPath == p.ImportPath {
				pkgs[i].Imports = append(pkgs[i].Imports, p.Imports...)
				pkgs[i].TestImports = append(pkgs[i].TestImports, p.TestImports...)
				continue next
			}
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// brief says a violation as "package -> import", with " (test)" for a test
// import.
func brief(v Violation) string {
	s := v.Package + " -> " + v.Import
	if v.Test {
		s += " (test)"
	}
	return s
}

// TestCheck feeds the checker fake graphs that break rules, so that a
// checker which passes everything fails here.
func TestCheck(t *testing.T) {
	if v := Check(clean(), Rules()); len(v) != 0 {
		t.Fatalf("the clean graph breaks rules: %v", v)
	}
	tests := []struct {
		name string
		pkgs []Package
		want []string // brief of each violation, in Check's order
	}{{
		name: "ui imports go-imap",
		pkgs: with(Package{ImportPath: ui, Imports: []string{imapLib}}),
		want: []string{ui + " -> " + imapLib},
	}, {
		name: "a ui subpackage imports go-smtp",
		pkgs: with(Package{ImportPath: uiSub, Imports: []string{smtpLib}}),
		want: []string{uiSub + " -> " + smtpLib},
	}, {
		name: "ui imports localstore",
		pkgs: with(Package{ImportPath: ui, Imports: []string{store}}),
		want: []string{ui + " -> " + store},
	}, {
		name: "ui reaches bbolt through mail/backend",
		pkgs: with(Package{ImportPath: backend, Imports: []string{boltLib}}),
		want: []string{ui + " -> " + boltLib},
	}, {
		name: "ui imports mail: reported instead of what mail imports",
		pkgs: with(Package{ImportPath: ui, Imports: []string{mailPkg}}),
		want: []string{ui + " -> " + mailPkg},
	}, {
		name: "ui imports a mail subpackage that uses go-imap and the store",
		pkgs: with(Package{ImportPath: ui, Imports: []string{imapPkg}}),
		want: []string{ui + " -> " + imapLib, ui + " -> " + store},
	}, {
		name: "ui imports cmd",
		pkgs: with(Package{ImportPath: uiSub, Imports: []string{cmd}}),
		want: []string{uiSub + " -> " + cmd},
	}, {
		name: "crypto imports net",
		pkgs: with(Package{ImportPath: pgpmime, Imports: []string{"net"}}),
		want: []string{pgpmime + " -> net"},
	}, {
		name: "crypto imports net/http/httptest in a test",
		pkgs: with(Package{ImportPath: crypto, TestImports: []string{"net/http/httptest"}}),
		want: []string{crypto + " -> net/http/httptest (test)"},
	}, {
		name: "crypto imports localstore",
		pkgs: with(Package{ImportPath: crypto, Imports: []string{store}}),
		// pgpmime imports crypto.
		want: []string{crypto + " -> " + store, pgpmime + " -> " + store},
	}, {
		name: "crypto reaches mail through a subpackage",
		pkgs: with(Package{ImportPath: crypto, Imports: []string{pgpmime}}, Package{ImportPath: pgpmime, Imports: []string{mailPkg}}),
		want: []string{crypto + " -> " + mailPkg, pgpmime + " -> " + mailPkg},
	}, {
		name: "crypto imports go-smtp in a test",
		pkgs: with(Package{ImportPath: pgpmime, TestImports: []string{smtpLib}}),
		want: []string{pgpmime + " -> " + smtpLib + " (test)"},
	}, {
		name: "localstore imports mail",
		pkgs: with(Package{ImportPath: store, Imports: []string{mailPkg}}),
		want: []string{store + " -> " + mailPkg},
	}, {
		name: "localstore imports go-imap",
		pkgs: with(Package{ImportPath: store, Imports: []string{imapLib}}),
		want: []string{store + " -> " + imapLib},
	}, {
		name: "localstore imports ui: mail, which uses the store, and Fyne follow",
		pkgs: with(Package{ImportPath: store, Imports: []string{ui}}),
		want: []string{
			store + " -> " + ui,
			mailPkg + " -> " + ui, imapPkg + " -> " + ui,
			mailPkg + " -> " + fyneW, imapPkg + " -> " + fyneW, store + " -> " + fyneW,
		},
	}, {
		name: "mail imports cmd in a test",
		pkgs: with(Package{ImportPath: demo, Imports: []string{mailPkg}, TestImports: []string{cmd}}),
		want: []string{demo + " -> " + cmd + " (test)"},
	}, {
		name: "the store uses Fyne",
		pkgs: with(Package{ImportPath: store, Imports: []string{fyneW}}),
		want: []string{mailPkg + " -> " + fyneW, imapPkg + " -> " + fyneW, store + " -> " + fyneW},
	}, {
		name: "a mail test uses Fyne",
		pkgs: with(Package{ImportPath: mailPkg, TestImports: []string{fyneLib}}),
		want: []string{mailPkg + " -> " + fyneLib + " (test)"},
	}, {
		name: "a package outside the module is not governed",
		pkgs: with(Package{ImportPath: "example.com/other", Imports: []string{fyneLib, imapLib}}),
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, v := range Check(tt.pkgs, Rules()) {
				got = append(got, brief(v))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("violations:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// TestViolationString checks that a failure names the package, the import,
// the rule and, for an indirect import, the chain.
func TestViolationString(t *testing.T) {
	vs := Check(with(Package{ImportPath: backend, Imports: []string{boltLib}}), Rules())
	if len(vs) != 1 {
		t.Fatalf("got %d violations, want 1: %v", len(vs), vs)
	}
	want := ui + " imports " + boltLib + " (rule: " + Rules()[0].Name + ")\n\tvia " + ui + " -> " + backend + " -> " + boltLib
	if got := vs[0].String(); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	direct := Violation{Rule: "r", Package: crypto, Import: "net", Via: []string{crypto, "net"}, Test: true}
	if got, want := direct.String(), crypto+" imports in a test net (rule: r)"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

// TestMatch covers the pattern forms.
func TestMatch(t *testing.T) {
	tests := []struct {
		pattern, path string
		want          bool
	}{
		{"net", "net", true},
		{"net", "net/mail", false},
		{"net/http/...", "net/http", true},
		{"net/http/...", "net/http/httptest", true},
		{"net/http/...", "net/httpx", false},
		{Module + "/mail", Module + "/mail/backend", false},
		{Module + "/mail/...", Module + "/mail/backend", true},
		{Module + "/mail/...", Module + "/mailx", false},
	}
	for _, tt := range tests {
		if got := Match(tt.pattern, tt.path); got != tt.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tt.pattern, tt.path, got, tt.want)
		}
	}
}

// notUserText are the directories whose strings never reach a user of the
// app or the command line: cmd owns the command line, and the rest serve
// tests only.
var notUserText = []string{
	"cmd",
	"internal/archtest",
	"crypto/internal/testenv",
	"mail/internal/testcert",
	"mail/internal/dnstest",
	"mail/mailtest",
	"mail/testservers",
}

// TestNoCommandLineOutsideCmd keeps the names of commands and flags out of
// the messages of every package but cmd: the app shows the same errors,
// and a user there has no flags. Such a package returns a sentinel error
// that cmd maps to a hint.
func TestNoCommandLineOutsideCmd(t *testing.T) {
	root, err := moduleRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	texts, err := CommandLineTexts(root, notUserText)
	if err != nil {
		t.Fatal(err)
	}
	for _, txt := range texts {
		t.Errorf("%v: say it in words that work in the app too; cmd adds the command-line hint for a sentinel error", txt)
	}
}

// TestNamesCommandLine covers what counts as naming the command line.
func TestNamesCommandLine(t *testing.T) {
	tests := []struct {
		text string
		want bool
	}{
		{"choose one with --account", true},
		{"--to", true},
		{"give at least one (--to, --cc)", true},
		{"run `sealpost sync`", true},
		{"sealpost keys generate", true},
		{"no such account", false},
		{"Sealpost demo CA", false},
		{"sealpost-demo-bob-", false},
		{"a -- b", false},
		{"x--y", false},
		{"-----BEGIN PGP MESSAGE-----", false},
		{"open it with GnuPG:\n\n    gpg --decrypt message.asc\n\nand enter", false},
		{"gpg --decrypt x\nthen sealpost --profile", true},
	}
	for _, tt := range tests {
		if got := NamesCommandLine(tt.text); got != tt.want {
			t.Errorf("NamesCommandLine(%q) = %v, want %v", tt.text, got, tt.want)
		}
	}
}

// TestCommandLineTexts runs the scan over a small fake tree.
func TestCommandLineTexts(t *testing.T) {
	root := t.TempDir()
	files := map[string]string{
		"mail/a.go":        "package mail\n\nvar e = \"run `sealpost sync`\"\n\n// run `sealpost sync` in a comment is fine\nvar ok = \"synchronise first\"\n",
		"mail/a_test.go":   "package mail\n\nvar e2 = \"--account\"\n",
		"cmd/x/main.go":    "package main\n\nvar h = \"use --account\"\n",
		"ui/b.go":          "package ui\n\nvar m = `add one with\n--account`\n",
		"ui/testdata/c.go": "package x\n\nvar m = \"--x\"\n",
	}
	for name, src := range files {
		path := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	texts, err := CommandLineTexts(root, []string{"cmd"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, txt := range texts {
		got = append(got, fmt.Sprintf("%s:%d", txt.File, txt.Line))
	}
	if want := []string{"mail/a.go:3", "ui/b.go:3"}; !slices.Equal(got, want) {
		t.Errorf("found %v, want %v", got, want)
	}
}
