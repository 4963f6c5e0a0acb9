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
# Debian packages the build (Fyne needs cgo, OpenGL, X11 and, since Fyne 2.8, Wayland and xkbcommon
# headers) and the tests need.
DEB_PKGS   := gcc pkg-config libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev \
              libxinerama-dev libxi-dev libxxf86vm-dev libwayland-dev libxkbcommon-dev \
              gnupg xvfb x11-utils \
              dovecot-imapd dovecot-lmtpd postfix isync imagemagick unbound opendkim jq
DEMO_DIR   ?= $(CURDIR)/.demo-profile
FUZZTIME   ?= 20s

.PHONY: help deps build run demo test vet lint vulncheck unit bench fuzz release package deb deb-check windows install uninstall clean

help:
	@echo "make demo   build, install missing system packages (as root), open the app on a demo profile"
	@echo "make run    build and open the app on your own profile"
	@echo "make test   everything: vet, lint, vulncheck, unit and integration tests with -race (real gpg included)"
	@echo "make lint   staticcheck and errorlint (pinned, installed into bin/)"
	@echo "make vulncheck  govulncheck against an offline copy of the Go vulnerability database"
	@echo "make bench  benchmarks (store, OpenPGP against gpg); see docs/performance.md"
	@echo "make fuzz   run each fuzzer for FUZZTIME (default $(FUZZTIME))"
	@echo "make package  the Linux bundle (bin/Sealpost.tar.xz: release binary, icons, desktop file, AppStream metadata)"
	@echo "make deb    the Debian package (bin/sealpost_VERSION-BUILD_ARCH.deb); make deb-check checks it"
	@echo "make windows  cross-build bin/windows/Sealpost.exe with mingw-w64 (docs/packaging.md)"
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
	$(GO) build -ldflags "$(VERSION_LDFLAGS)" -o $(BIN) ./cmd/sealpost

run: build
	./$(BIN)

# The demo profile is throwaway: its passphrase is public (testdata/demo-passphrase). The demo mail
# servers run inside the sealpost process and stop when the window closes.
demo: build
	./$(BIN) --passphrase-file testdata/demo-passphrase demo --dir "$(DEMO_DIR)"

# vet also type-checks every package for Windows and macOS, without cgo: cross cgo needs those
# systems' C compilers and headers. Built without cgo, cmd/sealpost has no desktop driver
# (gui_nocgo.go). On macOS a few of Fyne's own widget files need cgo unless Fyne's `ci` tag picks
# their portable variants; the tag changes only Fyne's internals, so our code is checked as built.
vet: deps
	@gofmt="$$($(GO) env GOROOT)/bin/gofmt"; \
	test -z "$$($$gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { $$gofmt -l .; echo "gofmt: files above need formatting"; exit 1; }
	$(GO) vet ./...
	GOOS=windows CGO_ENABLED=0 $(GO) vet ./...
	GOOS=darwin CGO_ENABLED=0 $(GO) vet -tags ci ./...

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

# Release builds. FyneApp.toml's Version and Build are stamped into the binary (sealpost --version;
# a plain go build says "development build"). Like `fyne package --release`: Fyne's release mode
# (the release build tag), no symbol table or DWARF (-s -w) and no build paths (-trimpath); unlike
# it, nothing is fetched and FyneApp.toml is left alone (fyne package bumps its Build). See
# docs/packaging.md.
APP_VERSION     := $(shell sed -n 's/^Version *= *"\(.*\)"/\1/p' FyneApp.toml)
APP_BUILD       := $(shell sed -n 's/^Build *= *\([0-9]*\)/\1/p' FyneApp.toml)
VERSION_LDFLAGS := -X main.version=$(APP_VERSION) -X main.build=$(APP_BUILD)
RELEASE_BIN     := bin/release/sealpost
ICON_SIZES      := 16 24 32 48 64 128 256 512
DEB_ARCH        := $(shell dpkg --print-architecture 2>/dev/null || echo amd64)
DEB             := bin/sealpost_$(APP_VERSION)-$(APP_BUILD)_$(DEB_ARCH).deb
DEB_DEPENDS     := libc6, libgl1, libx11-6, libxcursor1, libxi6, libxinerama1, libxrandr2, libxxf86vm1, \
                   libwayland-client0, libxkbcommon0
# make deb-check validates the AppStream metadata and the desktop file with these.
DEB_PKGS        += appstream desktop-file-utils
WINDOWS_CC      ?= x86_64-w64-mingw32-gcc
WINDOWS_WINDRES ?= x86_64-w64-mingw32-windres

release: deps
	$(GO) build -tags release -trimpath -ldflags "-s -w $(VERSION_LDFLAGS)" -o $(RELEASE_BIN) ./cmd/sealpost

# stage_release DIR installs the release binary, the desktop file (named by the app ID, which the
# AppStream metadata launches), the AppStream metadata and the icon in ICON_SIZES (scaled from
# assets/icon.png now, without dates in the PNGs) and as SVG, into DIR as into /usr or /usr/local.
define stage_release
	install -Dm755 $(RELEASE_BIN) $(1)/bin/sealpost
	install -Dm644 assets/sealpost.desktop $(1)/share/applications/io.sealpost.app.desktop
	install -Dm644 assets/io.sealpost.app.metainfo.xml $(1)/share/metainfo/io.sealpost.app.metainfo.xml
	for size in $(ICON_SIZES); do \
	  mkdir -p $(1)/share/icons/hicolor/$${size}x$${size}/apps && \
	  convert assets/icon.png -resize $${size}x$${size} -strip -define png:exclude-chunks=date,time \
	    $(1)/share/icons/hicolor/$${size}x$${size}/apps/sealpost.png || exit 1; \
	done
	install -Dm644 assets/icon.svg $(1)/share/icons/hicolor/scalable/apps/sealpost.svg
endef

# The Linux bundle: the files of a release under bin/, share/ (unpack it into /usr/local or ~/.local).
package: release
	rm -rf bin/pkg && mkdir -p bin/pkg
	$(call stage_release,bin/pkg)
	tar --owner=0 --group=0 --sort=name -cJf bin/Sealpost.tar.xz -C bin/pkg bin share
	@echo "Linux bundle: bin/Sealpost.tar.xz (install: sudo tar -xJf bin/Sealpost.tar.xz -C /usr/local)"

# The Debian package, built with dpkg-deb alone (no network, no debhelper). The desktop database,
# icon cache and AppStream cache update through the triggers of the packages that own them.
deb: release
	rm -rf bin/deb && mkdir -p bin/deb/DEBIAN
	$(call stage_release,bin/deb/usr)
	printf '%s\n' "Package: sealpost" "Version: $(APP_VERSION)-$(APP_BUILD)" "Architecture: $(DEB_ARCH)" \
	  "Maintainer: Sealpost Engineers <dev@sealpost.invalid>" "Installed-Size: $$(du -sk bin/deb/usr | cut -f1)" \
	  "Depends: $(DEB_DEPENDS)" "Recommends: xdg-utils" "Section: mail" "Priority: optional" \
	  "Description: encrypted, signed mail over any provider" \
	  " Sealpost is a desktop mail client that encrypts and signs mail with OpenPGP and keeps" \
	  " nothing in plaintext on disk. The sealpost command also runs it without a window." \
	  > bin/deb/DEBIAN/control
	dpkg-deb --root-owner-group -Zxz --build bin/deb $(DEB)

# Checks the .deb as installed would see it: its control data, its file list, the AppStream
# metadata (valid, and its newest release is FyneApp.toml's Version), the desktop file, and the
# packaged binary's version.
deb-check: deb
	dpkg-deb -I $(DEB) | grep -qx ' Version: $(APP_VERSION)-$(APP_BUILD)'
	dpkg-deb -c $(DEB) > bin/deb.list
	for f in ./usr/bin/sealpost ./usr/share/applications/io.sealpost.app.desktop \
	    ./usr/share/metainfo/io.sealpost.app.metainfo.xml ./usr/share/icons/hicolor/scalable/apps/sealpost.svg \
	    $(foreach s,$(ICON_SIZES),./usr/share/icons/hicolor/$(s)x$(s)/apps/sealpost.png); do \
	  grep -q " root/root .* $$f$$" bin/deb.list || { echo "deb-check: $$f is missing or not root's"; exit 1; }; \
	done
	rm -rf bin/deb-x && dpkg-deb -x $(DEB) bin/deb-x
	appstreamcli validate --no-net --pedantic bin/deb-x/usr/share/metainfo/io.sealpost.app.metainfo.xml
	grep -m1 '<release ' bin/deb-x/usr/share/metainfo/io.sealpost.app.metainfo.xml | grep -q 'version="$(APP_VERSION)"' || \
	  { echo "deb-check: the newest <release> in the AppStream metadata is not $(APP_VERSION)"; exit 1; }
	desktop-file-validate bin/deb-x/usr/share/applications/io.sealpost.app.desktop
	for size in $(ICON_SIZES); do identify -format '%wx%h\n' bin/deb-x/usr/share/icons/hicolor/$${size}x$${size}/apps/sealpost.png | grep -qx "$${size}x$${size}" || exit 1; done
	test "$$(LANG=C.UTF-8 bin/deb-x/usr/bin/sealpost --version 2>&1)" = "sealpost $(APP_VERSION) (build $(APP_BUILD))"
	git diff --quiet -- FyneApp.toml || { echo "deb-check: FyneApp.toml changed"; exit 1; }
	@echo "deb-check: $(DEB) is fine"

# The Windows GUI executable, cross-built with mingw-w64 (apt-get install gcc-mingw-w64-x86-64; not
# part of make deps or CI): the icon and version go into a resource (.syso) that go build links.
windows:
	@command -v $(WINDOWS_CC) >/dev/null && command -v $(WINDOWS_WINDRES) >/dev/null || \
	  { echo "$(WINDOWS_CC) is missing: apt-get install gcc-mingw-w64-x86-64 (see docs/packaging.md)"; exit 1; }
	rm -rf bin/windows && mkdir -p bin/windows
	convert assets/icon.png -define icon:auto-resize=256,128,64,48,32,16 bin/windows/sealpost.ico
	printf '%s\n' '1 ICON "sealpost.ico"' > bin/windows/sealpost.rc
	cd bin/windows && $(WINDOWS_WINDRES) -O coff -o $(CURDIR)/cmd/sealpost/zz_resource_windows_amd64.syso sealpost.rc
	GOOS=windows GOARCH=amd64 CGO_ENABLED=1 CC=$(WINDOWS_CC) $(GO) build -tags release -trimpath \
	  -ldflags "-s -w -H windowsgui $(VERSION_LDFLAGS)" -o bin/windows/Sealpost.exe ./cmd/sealpost; \
	  status=$$?; rm -f cmd/sealpost/zz_resource_windows_amd64.syso; exit $$status
	@echo "Windows executable: bin/windows/Sealpost.exe"

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
