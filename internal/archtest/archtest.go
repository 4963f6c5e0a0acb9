// Package archtest checks Sealpost's package layering: which package may
// import which (cmd -> ui -> mail -> crypto, localstore; see
// docs/testing.md and the design's "Packages and data flow"). Its test
// loads the module's import graph with `go list` and fails on every import
// that breaks a rule, naming the package, the import and the chain of
// imports that leads to it.
//
// It also checks that only cmd names commands and flags in the text it
// shows (see CommandLineTexts): every other package's errors reach the app
// too, whose users have no flags.
package archtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Module is the import path of the Sealpost module.
const Module = "github.com/sealpost/sealpost"

// Package is one package of the import graph.
type Package struct {
	// ImportPath is the package's import path.
	ImportPath string
	// Imports are the packages its non-test files import directly.
	Imports []string
	// TestImports are the packages its _test.go files import directly
	// (in-package and external tests together).
	TestImports []string
}

// Rule forbids some packages to import others.
type Rule struct {
	// Name says the rule in words, for failure messages.
	Name string
	// From are the packages the rule governs, as patterns (see Match).
	From []string
	// Except are packages among From that the rule leaves alone.
	Except []string
	// Forbid are the imports the governed packages must not have.
	Forbid []string
	// Transitive extends the rule from direct imports to everything the
	// non-test code depends on.
	Transitive bool
	// Tests extends the rule to the direct imports of _test.go files.
	Tests bool
}

// Violation is one import that breaks a rule.
type Violation struct {
	// Rule is the broken rule's Name.
	Rule string
	// Package is the package that breaks it.
	Package string
	// Import is the forbidden package it depends on.
	Import string
	// Via is the chain of imports from Package to Import, both included;
	// for a direct import it holds just the two.
	Via []string
	// Test is true when a _test.go file makes the import.
	Test bool
}

// String says which package breaks which rule and how.
func (v Violation) String() string {
	where := "imports"
	if v.Test {
		where = "imports in a test"
	}
	s := fmt.Sprintf("%s %s %s (rule: %s)", v.Package, where, v.Import, v.Rule)
	if len(v.Via) > 2 {
		s += "\n\tvia " + strings.Join(v.Via, " -> ")
	}
	return s
}

// Match reports whether path matches pattern: a pattern ending in "/..."
// matches that path and every path below it; any other pattern matches
// only itself.
func Match(pattern, path string) bool {
	if prefix, ok := strings.CutSuffix(pattern, "/..."); ok {
		return path == prefix || strings.HasPrefix(path, prefix+"/")
	}
	return path == pattern
}

// matchAny reports whether path matches one of patterns.
func matchAny(patterns []string, path string) bool {
	return slices.ContainsFunc(patterns, func(p string) bool { return Match(p, path) })
}

// Check returns every violation of rules in pkgs, in the order of rules
// and then of pkgs. Only packages of Module are governed; pkgs should hold
// the whole import graph (go list -deps) so that transitive rules can
// follow the imports of third-party and standard packages too.
func Check(pkgs []Package, rules []Rule) []Violation {
	graph := make(map[string][]string, len(pkgs))
	for _, p := range pkgs {
		graph[p.ImportPath] = p.Imports
	}
	var out []Violation
	for _, r := range rules {
		for _, p := range pkgs {
			if !Match(Module+"/...", p.ImportPath) || !matchAny(r.From, p.ImportPath) || matchAny(r.Except, p.ImportPath) {
				continue
			}
			if r.Transitive {
				out = append(out, reachable(graph, p.ImportPath, r)...)
			} else {
				for _, imp := range p.Imports {
					if matchAny(r.Forbid, imp) {
						out = append(out, Violation{Rule: r.Name, Package: p.ImportPath, Import: imp, Via: []string{p.ImportPath, imp}})
					}
				}
			}
			if r.Tests {
				for _, imp := range p.TestImports {
					if matchAny(r.Forbid, imp) {
						out = append(out, Violation{Rule: r.Name, Package: p.ImportPath, Import: imp, Via: []string{p.ImportPath, imp}, Test: true})
					}
				}
			}
		}
	}
	return out
}

// reachable walks the imports from start breadth first and returns one
// violation, with the shortest chain, for each forbidden package it
// reaches. It does not walk through a forbidden package: what that imports
// is reported as the forbidden package itself.
func reachable(graph map[string][]string, start string, r Rule) []Violation {
	parent := map[string]string{start: ""}
	queue := []string{start}
	var out []Violation
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, imp := range graph[cur] {
			if _, seen := parent[imp]; seen {
				continue
			}
			parent[imp] = cur
			if !matchAny(r.Forbid, imp) {
				queue = append(queue, imp)
				continue
			}
			var via []string
			for at := imp; at != ""; at = parent[at] {
				via = append(via, at)
			}
			slices.Reverse(via)
			out = append(out, Violation{Rule: r.Name, Package: start, Import: imp, Via: via})
		}
	}
	return out
}

// listed is the part of `go list -json` output Load reads.
type listed struct {
	ImportPath   string
	Imports      []string
	TestImports  []string
	XTestImports []string
	Error        *struct{ Err string }
}

// Load lists the packages of the module that holds dir, with everything
// they depend on, by running `go list -deps -json ./...` in the module's
// root. The go command is looked up on PATH (go test puts the running
// toolchain's first).
func Load(ctx context.Context, dir string) ([]Package, error) {
	root, err := moduleRoot(dir)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, "go", "list", "-deps", "-json=ImportPath,Imports,TestImports,XTestImports,Error", "./...")
	cmd.Dir = root
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("go list in %s: %w\n%s", root, err, stderr.String())
	}
	var pkgs []Package
	dec := json.NewDecoder(&stdout)
	for {
		var l listed
		if err := dec.Decode(&l); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("read go list output: %w", err)
		}
		if l.Error != nil {
			return nil, fmt.Errorf("go list: %s: %s", l.ImportPath, l.Error.Err)
		}
		pkgs = append(pkgs, Package{
			ImportPath:  l.ImportPath,
			Imports:     l.Imports,
			TestImports: append(l.TestImports, l.XTestImports...),
		})
	}
	return pkgs, nil
}

// moduleRoot returns the nearest directory at or above dir that holds a
// go.mod file.
func moduleRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod at or above the working directory")
		}
		dir = parent
	}
}

// Project packages and third-party modules the rules name.
const (
	goIMAP     = "github.com/emersion/go-imap/v2/..."
	goSMTP     = "github.com/emersion/go-smtp/..."
	bbolt      = "go.etcd.io/bbolt/..."
	oauth2     = "golang.org/x/oauth2/..."
	fyne       = "fyne.io/..."
	cmdPkgs    = Module + "/cmd/..."
	uiPkgs     = Module + "/ui/..."
	mailPkgs   = Module + "/mail/..."
	cryptoPkgs = Module + "/crypto/..."
	storePkgs  = Module + "/localstore/..."
)

// Rules are Sealpost's layering rules: dependencies point inward, cmd ->
// ui -> mail -> crypto, localstore.
func Rules() []Rule {
	return []Rule{{
		Name: "ui talks to the engine through mail/backend only: no IMAP, SMTP, OAuth2, store or engine code, even indirectly",
		From: []string{uiPkgs},
		// mail itself, not mail/...: mail/backend is the interface ui uses.
		Forbid:     []string{Module + "/mail", storePkgs, goIMAP, goSMTP, bbolt, oauth2, cmdPkgs},
		Transitive: true,
	}, {
		Name:   "crypto does no network I/O",
		From:   []string{cryptoPkgs},
		Forbid: []string{"net", "net/http/..."},
		// Not transitive: gopenpgp and go-message depend on net/http for
		// code crypto does not call.
		Tests: true,
	}, {
		Name:       "crypto knows nothing of the store, the engine, the protocols or the UI",
		From:       []string{cryptoPkgs},
		Forbid:     []string{storePkgs, mailPkgs, uiPkgs, cmdPkgs, goIMAP, goSMTP, bbolt},
		Transitive: true,
		Tests:      true,
	}, {
		Name:       "localstore knows nothing of the engine, the protocols or the UI",
		From:       []string{storePkgs},
		Forbid:     []string{mailPkgs, uiPkgs, cmdPkgs, goIMAP, goSMTP},
		Transitive: true,
		Tests:      true,
	}, {
		Name:       "mail never depends on the UI or the commands",
		From:       []string{mailPkgs},
		Forbid:     []string{uiPkgs, cmdPkgs},
		Transitive: true,
		Tests:      true,
	}, {
		Name:       "only ui and cmd use Fyne",
		From:       []string{Module + "/..."},
		Except:     []string{uiPkgs, cmdPkgs},
		Forbid:     []string{fyne},
		Transitive: true,
		Tests:      true,
	}}
}

// Text is a string literal in the code that reads like a command line.
type Text struct {
	// File is the file's path relative to the module root, with slashes.
	File string
	// Line is the literal's line.
	Line int
	// Text is the literal's value.
	Text string
}

// String says where the text is and what it says.
func (t Text) String() string {
	return fmt.Sprintf("%s:%d: %q names a command or flag", t.File, t.Line, t.Text)
}

// commandLine matches text that names a sealpost command ("sealpost sync")
// or a long flag ("--account").
var commandLine = regexp.MustCompile("(^|[\\s(`'\"])(sealpost [a-z]|--[a-z])")

// otherProgram matches, to the end of its line, a command line of another
// program, whose flags are not Sealpost's (the note in a password-encrypted
// message tells its reader to run gpg --decrypt).
var otherProgram = regexp.MustCompile(`(^|\s)(gpg|gpg2|gpgconf|apt-get) -.*`)

// NamesCommandLine reports whether text names a sealpost command or a long
// flag of one.
func NamesCommandLine(text string) bool {
	return commandLine.MatchString(otherProgram.ReplaceAllString(text, ""))
}

// CommandLineTexts parses the non-test Go files below root, the module's
// root, and returns the string literals that name a sealpost command or a
// flag. Files below skip (slash-separated directories relative to root)
// are left out, and so are directories named testdata or starting with a
// dot.
func CommandLineTexts(root string, skip []string) ([]Text, error) {
	var out []Text
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel != "." && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".") || slices.Contains(skip, rel)) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			text, err := strconv.Unquote(lit.Value)
			if err == nil && NamesCommandLine(text) {
				out = append(out, Text{File: rel, Line: fset.Position(lit.Pos()).Line, Text: text})
			}
			return true
		})
		return nil
	})
	return out, err
}
