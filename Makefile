# Sealpost — build, run, test. `make help` lists the targets.
SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(HOME)/go/bin:$(PATH)
export CGO_ENABLED := 1
# The Go release Sealpost is built and tested with (go.mod requires it): the go command on PATH
# (1.21 or newer) fetches this toolchain from the Go module proxy on first use (about 76 MB, kept
# in the module cache). Set GOTOOLCHAIN yourself to use another toolchain that satisfies go.mod.
export GOTOOLCHAIN ?= go1.27.3

BIN        := bin/sealpost
GO         ?= go
# Debian packages the build (Fyne needs cgo, OpenGL and X11 headers) and the tests need.
DEB_PKGS   := gcc pkg-config libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev \
              libxinerama-dev libxi-dev libxxf86vm-dev gnupg xvfb x11-utils \
              dovecot-imapd dovecot-lmtpd postfix isync imagemagick jq
DEMO_DIR   ?= $(CURDIR)/.demo-profile
FUZZTIME   ?= 20s

.PHONY: help deps build run demo test vet lint vulncheck unit bench fuzz package install uninstall clean

help:
	@echo "make demo   build, install missing system packages (as root), open the app on a demo profile"
	@echo "make run    build and open the app on your own profile"
	@echo "make test   everything: vet, lint, vulncheck, unit and integration tests with -race (real gpg included)"
	@echo "make lint   staticcheck and errorlint (pinned, installed into bin/)"
	@echo "make vulncheck  govulncheck against an offline copy of the Go vulnerability database"
	@echo "make bench  benchmarks (store, OpenPGP against gpg); see docs/performance.md"
	@echo "make fuzz   run each fuzzer for FUZZTIME (default $(FUZZTIME))"
	@echo "make package  the Linux bundle (Sealpost.tar.xz: binary, icon, desktop file, mailto: handler)"
	@echo "make deps   install the Debian packages the build and tests need (root), else print the command"
	@echo "make install  install bin/sealpost, its desktop file (the mailto: handler) and icon under PREFIX (default /usr/local)"

deps:
	@command -v $(GO) >/dev/null || { echo "Go is missing: install Go 1.21 or newer (https://go.dev/dl) and put it on PATH; it fetches $(GOTOOLCHAIN) itself"; exit 1; }
	@missing=$$(for p in $(DEB_PKGS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q "install ok installed" || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing: $$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	  else \
	    echo "Missing Debian packages. Run:"; echo "  sudo apt-get install -y $$missing"; exit 1; \
	  fi; \
	fi

build: deps
	$(GO) build -o $(BIN) ./cmd/sealpost

run: build
	./$(BIN)

# The demo profile is throwaway: its passphrase is public (testdata/demo-passphrase). The demo mail
# servers run inside the sealpost process and stop when the window closes.
demo: build
	./$(BIN) --passphrase-file testdata/demo-passphrase demo --dir "$(DEMO_DIR)"

vet: deps
	@gofmt="$$($(GO) env GOROOT)/bin/gofmt"; \
	test -z "$$($$gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { $$gofmt -l .; echo "gofmt: files above need formatting"; exit 1; }
	$(GO) vet ./...

# Linters, pinned and installed into bin/ from the Go module proxy on first use; a new version
# installs next to the old one, and so does a new GOTOOLCHAIN (a linter built by an older Go
# cannot load newer code). errorlint also checks that fmt.Errorf wraps errors with %w (-errorf):
# use %v only where hiding the cause is the point, and say why.
STATICCHECK_VERSION := v0.8.2
ERRORLINT_VERSION   := v1.9.1
STATICCHECK := bin/lint/staticcheck-$(STATICCHECK_VERSION)-$(GOTOOLCHAIN)
ERRORLINT   := bin/lint/errorlint-$(ERRORLINT_VERSION)-$(GOTOOLCHAIN)

$(STATICCHECK):
	rm -rf bin/lint/tmp-sc && GOBIN=$(CURDIR)/bin/lint/tmp-sc $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	mv bin/lint/tmp-sc/staticcheck $@ && rm -rf bin/lint/tmp-sc

$(ERRORLINT):
	rm -rf bin/lint/tmp-el && GOBIN=$(CURDIR)/bin/lint/tmp-el $(GO) install codeberg.org/polyfloyd/go-errorlint@$(ERRORLINT_VERSION)
	mv bin/lint/tmp-el/go-errorlint $@ && rm -rf bin/lint/tmp-el

lint: deps $(STATICCHECK) $(ERRORLINT)
	@status=0; ./$(STATICCHECK) ./... || status=1; ./$(ERRORLINT) -errorf ./... || status=1; exit $$status

# govulncheck (pinned, installed into bin/ like the linters) against an offline copy of the Go
# vulnerability database: the advisories (data/osv) of a pinned golang.org/x/vulndb from the Go
# module proxy, laid out as govulncheck's -db file:// expects (index/db.json, index/modules.json,
# ID/<id>.json; docs/testing.md). Nothing but the module proxy is contacted. Exits non-zero when
# the code calls a vulnerable function of a module or the standard library it is built with; a
# new VULNDB_VERSION brings newer advisories.
GOVULNCHECK_VERSION := v1.9.0
VULNDB_VERSION      := v0.0.0-20261105234957-e22db6528018
GOVULNCHECK := bin/lint/govulncheck-$(GOVULNCHECK_VERSION)-$(GOTOOLCHAIN)
VULNDB      := bin/vulndb-$(VULNDB_VERSION)
# index/modules.json: for each module path, the advisories that name it. No "fixed" versions, so
# govulncheck reads every advisory of a module the code uses and decides from its ranges.
VULNDB_MODULES := [.[] | . as $$e | [.affected[]?.package.name] | unique[] | {path: ., id: $$e.id, modified: $$e.modified}] \
                  | group_by(.path) | map({path: .[0].path, vulns: map({id, modified})})

$(GOVULNCHECK):
	rm -rf bin/lint/tmp-vc && GOBIN=$(CURDIR)/bin/lint/tmp-vc $(GO) install golang.org/x/vuln/cmd/govulncheck@$(GOVULNCHECK_VERSION)
	mv bin/lint/tmp-vc/govulncheck $@ && rm -rf bin/lint/tmp-vc

$(VULNDB):
	rm -rf $@.tmp && mkdir -p $@.tmp/index $@.tmp/ID
	set -o pipefail; src=$$(cd / && $(GO) mod download -json golang.org/x/vulndb@$(VULNDB_VERSION) | jq -er .Dir)/data/osv && \
	  cp "$$src"/GO-*.json $@.tmp/ID/ && \
	  jq -n -c --arg v $(VULNDB_VERSION) '{modified: ($$v | capture("-(?<t>[0-9]{14})-") .t | strptime("%Y%m%d%H%M%S") | todate)}' > $@.tmp/index/db.json && \
	  jq -s -c '$(VULNDB_MODULES)' $@.tmp/ID/*.json > $@.tmp/index/modules.json && \
	  jq -s -c 'map({id, modified, aliases})' $@.tmp/ID/*.json > $@.tmp/index/vulns.json
	mv $@.tmp $@

vulncheck: deps $(GOVULNCHECK) $(VULNDB)
	./$(GOVULNCHECK) -db file://$(CURDIR)/$(VULNDB) ./...

# SEALPOST_REQUIRE_SERVERS makes the Dovecot/Postfix suites fail instead of skip when they cannot start.
# Tests on mail/mailtest run on its in-process servers; those in DOVECOT_TESTS, whose outcome depends
# on the server, run again on Dovecot and Postfix (docs/testing.md).
DOVECOT_TESTS := TestActionsReachTheServer|TestAccountEdit|TestSendFailureKeepsMessageInOutbox
unit: deps
	SEALPOST_REQUIRE_SERVERS=1 $(GO) test -race -count=1 -timeout 30m ./...
	SEALPOST_REQUIRE_SERVERS=1 SEALPOST_TEST_SERVERS=dovecot $(GO) test -race -count=1 -timeout 10m \
	  -run '^($(DOVECOT_TESTS))$$' ./mail/ ./cmd/sealpost/

test: vet lint vulncheck unit

# One package at a time (-p 1): each benchmark compares contenders measured in the same run, and
# another package's benchmark on the same two cores would skew those ratios. mail/syncbench runs
# Sealpost, the raw go-imap fetch and mbsync against a private Dovecot (isync, dovecot-imapd and
# postfix come with deps); its cases take minutes each, so each runs once (-benchtime 1x) and repeats
# its contenders -syncbench.rounds times inside.
bench: deps
	set -o pipefail; { $(GO) test -p 1 -run '^$$' -bench . -timeout 60m $$($(GO) list ./... | grep -v /mail/syncbench) && \
	  $(GO) test -run '^$$' -bench . -benchtime 1x -timeout 60m ./mail/syncbench; } | tee bench.out

fuzz: deps
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

# fyne's packager comes from the Go module proxy, pinned; the desktop file it writes is then
# registered as the handler of mailto: links (Exec with %u, MimeType x-scheme-handler/mailto).
FYNE_TOOLS := fyne.io/tools/cmd/fyne@v1.7.4
package: build
	rm -rf bin/pkg && mkdir -p bin/pkg
	GOBIN=$(CURDIR)/bin $(GO) install $(FYNE_TOOLS)
	./bin/fyne package --os linux --exe $(BIN) --name Sealpost --icon assets/icon.png --app-id io.sealpost.app --release
	tar -xJf Sealpost.tar.xz -C bin/pkg && rm Sealpost.tar.xz
	desktop=$$(find bin/pkg -name '*.desktop') && \
	  sed -i -e 's|^Exec=\([^ ]*\).*|Exec=\1 %u|' -e '/^Keywords=/a MimeType=x-scheme-handler/mailto;' "$$desktop" && cat "$$desktop"
	tar -cJf bin/Sealpost.tar.xz -C bin/pkg .
	@echo "Linux bundle: bin/Sealpost.tar.xz (install: tar -xJf bin/Sealpost.tar.xz && sudo make -C sealpost install)"

# make install puts the built binary, the desktop file that registers Sealpost for mailto: links and
# the icon under PREFIX (/usr/local; PREFIX=$HOME/.local installs for one user without root). It
# does not build, so that `sudo make install` runs no compiler as root: run `make build` first.
# Settings -> Mail links (or `xdg-mime default sealpost.desktop x-scheme-handler/mailto`) then makes
# Sealpost the default mail app.
PREFIX     ?= /usr/local
DESTDIR    ?=
install:
	@test -x $(BIN) || { echo "$(BIN) is missing: run make build first"; exit 1; }
	install -Dm755 $(BIN) "$(DESTDIR)$(PREFIX)/bin/sealpost"
	install -Dm644 assets/sealpost.desktop "$(DESTDIR)$(PREFIX)/share/applications/sealpost.desktop"
	install -Dm644 assets/icon.png "$(DESTDIR)$(PREFIX)/share/icons/hicolor/512x512/apps/sealpost.png"
	@! command -v update-desktop-database >/dev/null || update-desktop-database -q "$(DESTDIR)$(PREFIX)/share/applications"

uninstall:
	rm -f "$(DESTDIR)$(PREFIX)/bin/sealpost" "$(DESTDIR)$(PREFIX)/share/applications/sealpost.desktop" \
	  "$(DESTDIR)$(PREFIX)/share/icons/hicolor/512x512/apps/sealpost.png"
	@! command -v update-desktop-database >/dev/null || update-desktop-database -q "$(DESTDIR)$(PREFIX)/share/applications"

clean:
	rm -rf bin bench.out
