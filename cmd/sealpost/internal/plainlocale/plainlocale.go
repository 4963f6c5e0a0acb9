// Package plainlocale keeps Fyne from logging errors about the locale when
// it is the plain C or POSIX locale with a character set, such as
// C.UTF-8, the default of Debian and Ubuntu containers.
//
// Fyne's lang package reads the locale from the environment when it is
// initialised, before main runs, even in a headless command that never
// opens a window. It takes the language from the first of LC_ALL,
// LC_MESSAGES and LANG that is set, "C" from "C.UTF-8", and logs three
// lines because "C" is no language tag; it reads LANGUAGE instead when
// that is set (and the locale is not exactly C or POSIX). The C locale
// means untranslated messages, which are English, so when it is in force
// and LANGUAGE is unset this package sets LANGUAGE to "en" in the
// process's environment. Programs Sealpost starts inherit it, which asks
// them for English, what the C locale gives them anyway.
//
// Importing the package is enough; it must run before Fyne's lang package
// is initialised, and it does: Go initialises a program's packages in the
// order of their import paths, each as soon as the packages it imports are
// initialised (the Go specification, "Package initialization", since Go
// 1.21). This package imports only os and strings, so it is ready before
// golang.org/x/text/language, which Fyne's lang package imports, is, and
// its path sorts first. cmd/sealpost's TestBinary checks the
// outcome on the built binary.
package plainlocale

import (
	"os"
	"strings"
)

func init() {
	if os.Getenv("LANGUAGE") == "" && isPlain(locale()) {
		_ = os.Setenv("LANGUAGE", "en") // on failure Fyne logs, as before
	}
}

// locale is the locale messages are shown in: the first of LC_ALL,
// LC_MESSAGES and LANG that is set.
func locale() string {
	for _, name := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if v := os.Getenv(name); v != "" {
			return v
		}
	}
	return ""
}

// isPlain reports whether locale is C or POSIX with a character set or a
// modifier ("C.UTF-8", "C.utf8", "POSIX@euro"); exactly "C" and "POSIX"
// Fyne understands.
func isPlain(locale string) bool {
	lang, _, _ := strings.Cut(locale, "@")
	lang, _, _ = strings.Cut(lang, ".")
	return lang != locale && (lang == "C" || lang == "POSIX")
}
