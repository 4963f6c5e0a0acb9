package mail

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/emersion/go-imap/v2"

	"github.com/sealpost/sealpost/mail/backend"
	"github.com/sealpost/sealpost/mail/submit"
)

// responseCodeReferral is IMAP's REFERRAL response code (RFC 2221), which
// go-imap has no constant for.
const responseCodeReferral imap.ResponseCode = "REFERRAL"

// classifyIMAPLogin marks a refused IMAP login with the backend sentinel
// that says what the user can do, from the response code of the server's
// answer (RFC 5530): UNAVAILABLE is ErrServerUnavailable (try again
// later), REFERRAL a *backend.ReferralError naming the server referred to
// (referral is the IMAP URL the server sent, if any), and any other
// refusal, AUTHENTICATIONFAILED included, ErrLoginRejected (check the
// password). Errors that are not the server's answer pass unchanged.
func classifyIMAPLogin(err error, server, referral string) error {
	var refused *imap.Error
	if !errors.As(err, &refused) {
		return err
	}
	switch imap.ResponseCode(strings.ToUpper(string(refused.Code))) { // atoms are case-insensitive
	case imap.ResponseCodeUnavailable:
		return fmt.Errorf("%w: %w", backend.ErrServerUnavailable, err)
	case responseCodeReferral:
		return fmt.Errorf("%w: %w", referralError(server, referral), err)
	}
	return fmt.Errorf("%w: %w", backend.ErrLoginRejected, err)
}

// referralError names the server an IMAP URL (RFC 5092, such as
// imap://user;AUTH=*@imap2.example.org/) points to. An URL that cannot be
// read leaves the server unnamed.
func referralError(server, referral string) *backend.ReferralError {
	e := &backend.ReferralError{Server: server}
	u, err := url.Parse(referral)
	if err != nil || (u.Scheme != "imap" && u.Scheme != "imaps") {
		return e
	}
	e.Host = u.Hostname()
	if port, err := strconv.Atoi(u.Port()); err == nil && port > 0 && port < 65536 {
		e.Port = port
	}
	return e
}

// markLoginRejected marks a refused SMTP login: a temporary refusal
// (454 4.7.0, RFC 4954) is ErrServerUnavailable, and any other
// submit.ErrAuthFailed ErrLoginRejected.
func markLoginRejected(err error) error {
	if !errors.Is(err, submit.ErrAuthFailed) || errors.Is(err, backend.ErrLoginRejected) || errors.Is(err, backend.ErrServerUnavailable) {
		return err
	}
	if se, ok := errors.AsType[*submit.SMTPError](err); ok && se.Temporary {
		return fmt.Errorf("%w: %w", backend.ErrServerUnavailable, err)
	}
	return fmt.Errorf("%w: %w", backend.ErrLoginRejected, err)
}

// referralTag is what starts a REFERRAL response code on the wire.
var referralTag = []byte("[REFERRAL ")

// maxReferral bounds the bytes kept while looking for the end of a
// referral URL; a longer one is not read.
const maxReferral = 1024

// loginWatch is an IMAP connection as go-imap reads it, which notes the
// URL of the first REFERRAL response code the server sends while it
// watches: go-imap keeps only the code's name. Once stopped it only passes
// bytes through.
type loginWatch struct {
	net.Conn
	watching atomic.Bool

	mu       sync.Mutex
	pending  []byte // the unmatched end of what was read, for a code split across reads
	referral string
}

// watchLogin wraps conn and watches it until stop.
func watchLogin(conn net.Conn) *loginWatch {
	w := &loginWatch{Conn: conn}
	w.watching.Store(true)
	return w
}

// Read reads from the connection and looks for a referral in what came.
func (w *loginWatch) Read(p []byte) (int, error) {
	n, err := w.Conn.Read(p)
	if n > 0 && w.watching.Load() {
		w.scan(p[:n])
	}
	return n, err
}

// stop ends the watch and returns the referral URL seen, if any.
func (w *loginWatch) stop() string {
	w.watching.Store(false)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.pending = nil
	return w.referral
}

func (w *loginWatch) scan(b []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.referral != "" {
		return
	}
	buf := append(w.pending, b...)
	i := bytes.Index(bytes.ToUpper(buf), referralTag)
	if i < 0 {
		// Keep what could be the start of a tag cut by this read.
		w.pending = append(w.pending[:0], buf[max(0, len(buf)-len(referralTag)+1):]...)
		return
	}
	rest := buf[i+len(referralTag):]
	if end := bytes.IndexAny(rest, "]\r\n"); end >= 0 {
		w.referral = string(rest[:end])
		w.pending = nil
		return
	}
	if len(rest) > maxReferral {
		w.pending = nil
		return
	}
	w.pending = append(w.pending[:0], buf[i:]...)
}
