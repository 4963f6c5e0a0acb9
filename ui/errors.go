package ui

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"unicode"
	"unicode/utf8"

	"github.com/sealpost/sealpost/mail/backend"
)

// userError is an error as the user sees it: one sentence that says what
// happened and what to do, the technical chain behind it for a Details
// expander, and which actions fit.
type userError struct {
	// sentence is one plain sentence, capitalised and ending in a full
	// stop, never cut.
	sentence string
	// details is the whole error chain, one cause a line; empty when it
	// would only repeat the sentence.
	details string
	// retry: trying the same again may help (a network or server
	// problem). settings: the fix is in the account's settings.
	retry, settings bool
	// cancelled: the user cancelled the work; nothing else to report.
	cancelled bool
	// signIn: the account's sign-in with its provider must be renewed in
	// the browser.
	signIn bool
}

// maxSentence bounds a sentence taken from an error's own text; a longer
// one ends at a word with "…", and Details holds all of it.
const maxSentence = 220

// explain turns err into what the user is shown. The engine's sentinel
// errors, certificate and referral errors, and the common network failures
// get a sentence written for them; any other error is shown by its own
// text, less the parts that only name a server or list causes.
func explain(err error) userError {
	if err == nil {
		return userError{}
	}
	u := userError{details: chain(err)}
	u.sentence = sentenceFor(err, &u)
	if errors.Is(err, backend.ErrKeptInOutbox) && !errors.Is(err, context.Canceled) {
		u.sentence = strings.TrimSuffix(u.sentence, ".") + ". The message is kept in the outbox."
	}
	if strings.EqualFold(u.details, strings.TrimSuffix(u.sentence, ".")) {
		u.details = ""
	}
	return u
}

// sentenceFor picks err's sentence and sets u's actions.
func sentenceFor(err error, u *userError) string {
	var (
		certErr  *backend.CertificateError
		referral *backend.ReferralError
		missing  *backend.MissingKeysError
		dnsErr   *net.DNSError
		netErr   net.Error
	)
	switch {
	case errors.Is(err, context.Canceled):
		u.cancelled = true
		// Keep what was cancelled when the error says it in words.
		if what := strings.TrimSuffix(mostTelling(err), ": "+context.Canceled.Error()); what != context.Canceled.Error() &&
			len(strings.Fields(what)) >= 4 {
			return sentence(what + ": cancelled")
		}
		return "Cancelled."
	case errors.Is(err, errInternal):
		return "Sealpost hit an internal error; your data was not changed."
	case errors.Is(err, backend.ErrProfileDamaged):
		return "The profile file is damaged: restore it from a backup."
	case errors.As(err, &certErr) && certErr.Changed:
		u.settings = true
		return fmt.Sprintf("The certificate of %s:%d changed since you trusted it; this may be an attack, so nothing was sent.",
			certErr.Host, certErr.Port)
	case errors.As(err, &certErr):
		u.settings = true
		return fmt.Sprintf("The certificate of %s:%d could not be verified, so nothing was sent to it.", certErr.Host, certErr.Port)
	case errors.Is(err, backend.ErrCertificateRejected):
		u.settings = true
		return "The mail server's certificate could not be verified, so nothing was sent: check the server in the account's settings."
	case errors.As(err, &referral) && referral.Host != "":
		u.settings = true
		return fmt.Sprintf("The server %s says this account is on %s: if your provider confirms that, enter it in the account's settings.",
			referral.Server, referralTarget(referral))
	case errors.Is(err, backend.ErrReferral):
		u.settings = true
		return "The mail server says this account is on another server: ask your provider which, and enter it in the account's settings."
	case errors.Is(err, backend.ErrServerUnavailable):
		u.retry = true
		return "The mail server is temporarily unavailable: try again later."
	case errors.Is(err, backend.ErrSignInAgain):
		u.signIn = true
		return "The sign-in with the account's provider has expired or was withdrawn: sign in again."
	case errors.Is(err, backend.ErrLoginRejected):
		u.settings = true
		return "The mail server refused the user name or password: check them in the account's settings."
	case errors.As(err, &missing):
		return sentence(missing.Error())
	case errors.As(err, &dnsErr):
		u.retry, u.settings = true, true
		if dnsErr.IsNotFound {
			return fmt.Sprintf("The server name %s was not found: check it in the account's settings.", dnsErr.Name)
		}
		return fmt.Sprintf("The server name %s could not be looked up: check your connection, then try again.", dnsErr.Name)
	case errors.Is(err, syscall.ECONNREFUSED):
		u.retry, u.settings = true, true
		return "The server refused the connection: check its name and port in the account's settings."
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH):
		u.retry = true
		return "The server could not be reached: check your connection, then try again."
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded),
		errors.As(err, &netErr) && netErr.Timeout():
		u.retry = true
		return "The server did not answer in time: check your connection, then try again."
	}
	return sentence(mostTelling(err))
}

func referralTarget(r *backend.ReferralError) string {
	if r.Port != 0 {
		return fmt.Sprintf("%s:%d", r.Host, r.Port)
	}
	return r.Host
}

// mostTelling is the text to make a sentence of when no sentinel says
// more: the layers of err's chain (the texts that each
// fmt.Errorf("…: %w") added) joined as the error writes them, without the
// layers that only name a protocol and server ("IMAP host:993 (tls)") or
// say that a message waits in the outbox (explain says that itself), and
// without a list of causes (errors.Join), which Details shows.
func mostTelling(err error) string {
	var kept []string
	for _, l := range ownTexts(err) {
		if !serverPrefix(l) && !strings.HasPrefix(l, backend.ErrKeptInOutbox.Error()) {
			kept = append(kept, l)
		}
	}
	if len(kept) == 0 {
		return firstLine(err.Error())
	}
	return strings.Join(kept, ": ")
}

// ownTexts is the text each layer of err's chain adds, outermost first,
// following single wraps. It stops at a layer that words its cause itself
// and before a list of causes.
func ownTexts(err error) []string {
	var texts []string
	for err != nil {
		text := firstLine(err.Error())
		next := innermostPart(err)
		if next == nil {
			texts = append(texts, text)
			break
		}
		own, ok := strings.CutSuffix(text, ": "+firstLine(next.Error()))
		if !ok {
			texts = append(texts, text)
			break
		}
		if own != "" {
			texts = append(texts, own)
		}
		if strings.Contains(strings.TrimSpace(next.Error()), "\n") {
			break
		}
		err = next
	}
	return texts
}

// innermostPart is the error err wraps, or the last of those it wraps
// with fmt.Errorf("%w …: %w"), whose text ends err's own.
func innermostPart(err error) error {
	if next := errors.Unwrap(err); next != nil {
		return next
	}
	if multi, ok := any(err).(interface{ Unwrap() []error }); ok {
		if parts := multi.Unwrap(); len(parts) > 1 {
			return parts[len(parts)-1]
		}
	}
	return nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(line)
}

// serverPrefix reports whether text only names a protocol, in capitals,
// and a server ("IMAP imap.example.org:993 (tls)").
func serverPrefix(text string) bool {
	fields := strings.Fields(text)
	return len(fields) >= 2 && len(fields) <= 3 && len(fields[0]) >= 3 &&
		strings.Trim(fields[0], "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == "" && strings.ContainsAny(fields[1], ".:")
}

// sentence makes text a sentence: capitalised (unless it starts with an
// address), ending in a full stop, and cut at a word when too long.
func sentence(text string) string {
	text = strings.TrimSpace(text)
	if text == "" {
		return "Something went wrong."
	}
	if len(text) > maxSentence {
		cut := strings.LastIndex(text[:maxSentence], " ")
		if cut < maxSentence/2 {
			for cut = maxSentence; !utf8.RuneStart(text[cut]); cut-- {
			}
		}
		text = strings.TrimRight(text[:cut], " ,;:") + "…"
	}
	if first, _, _ := strings.Cut(text, " "); !strings.Contains(first, "@") {
		r, size := utf8.DecodeRuneInString(text)
		text = string(unicode.ToUpper(r)) + text[size:]
	}
	if !strings.HasSuffix(text, ".") && !strings.HasSuffix(text, "…") && !strings.HasSuffix(text, "?") {
		text += "."
	}
	return text
}

// chain writes err and its causes for Details: one layer a line, the
// parts of joined errors indented below.
func chain(err error) string {
	var b strings.Builder
	var write func(err error, indent string)
	write = func(err error, indent string) {
		for err != nil {
			text := strings.TrimSpace(err.Error())
			next := errors.Unwrap(err)
			if next != nil {
				if own, ok := strings.CutSuffix(text, ": "+strings.TrimSpace(next.Error())); ok && own != "" {
					b.WriteString(indent + own + ":\n")
					err, indent = next, indent+"  "
					continue
				}
			}
			if joined, ok := any(err).(interface{ Unwrap() []error }); ok && strings.Contains(text, "\n") {
				for _, part := range joined.Unwrap() { // errors.Join: a cause a line
					write(part, indent)
				}
				return
			}
			for _, line := range strings.Split(text, "\n") {
				if line = strings.TrimSpace(line); line != "" {
					b.WriteString(indent + line + "\n")
				}
			}
			return
		}
	}
	write(err, "")
	return strings.TrimRight(b.String(), "\n")
}
