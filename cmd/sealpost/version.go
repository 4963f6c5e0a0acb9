package main

import (
	"context"
	"fmt"
	"runtime/debug"
)

// version and build are the app's version and build number from
// FyneApp.toml. The Makefile sets them (go build -ldflags "-X
// main.version=… -X main.build=…"); a plain go build leaves them empty and
// the version then comes from what Go recorded of the build.
var version, build string

// versionText is the line `sealpost --version` prints: "sealpost 0.1.0
// (build 3)" for a build made by the Makefile, else "sealpost
// development build" followed by the commit when Go recorded one (in its
// module version, with "+dirty" for uncommitted changes, or as the VCS
// revision).
func versionText() string {
	if version != "" {
		text := "sealpost " + version
		if build != "" {
			text += " (build " + build + ")"
		}
		return text
	}
	text := "sealpost development build"
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return text
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return text + " " + v // names the commit already
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" {
			text += " of commit " + s.Value
		}
	}
	return text
}

// cmdVersion prints the version; `sealpost --version` does the same.
func cmdVersion(_ context.Context, env *cliEnv, args []string) error {
	if err := parse(env.flags("version"), args, 0, 0); err != nil {
		return err
	}
	fmt.Fprintln(env.out, versionText())
	return nil
}
