package transport

import (
	"errors"
	"fmt"
	"net"
	"strings"
)

// Tags of the two commands sent in cleartext.
const (
	imapCapabilityTag = "A1"
	imapStartTLSTag   = "A2"
)

// imapStartTLS runs the cleartext part of IMAP STARTTLS (RFC 9051 section
// 6.2.1) on conn: greeting, CAPABILITY, STARTTLS. It returns once the
// tagged OK to STARTTLS has been read, having read no byte past it. If the
// server does not advertise STARTTLS, it returns ErrNoStartTLS without
// sending anything more.
func imapStartTLS(conn net.Conn) error {
	greeting, err := readLine(conn)
	if err != nil {
		return fmt.Errorf("waiting for the greeting: %w", err)
	}
	switch status, _ := imapStatus(greeting, "*"); status {
	case "OK":
	case "PREAUTH":
		return errors.New("the server greeted with PREAUTH: a connection that is already logged in before STARTTLS cannot be secured")
	case "BYE":
		return fmt.Errorf("the server refused the connection: %s", quote(greeting))
	default:
		return fmt.Errorf("unexpected IMAP greeting %s", quote(greeting))
	}

	if err := writeLine(conn, imapCapabilityTag+" CAPABILITY"); err != nil {
		return err
	}
	startTLS := false
	for i := 0; ; i++ {
		if i == maxLines {
			return fmt.Errorf("the reply to CAPABILITY has more than %d lines", maxLines)
		}
		line, err := readLine(conn)
		if err != nil {
			return fmt.Errorf("waiting for the capabilities: %w", err)
		}
		if hasLiteral(line) {
			return fmt.Errorf("unexpected literal in the reply to CAPABILITY: %s", quote(line))
		}
		if status, text := imapStatus(line, imapCapabilityTag); status != "" {
			if status != "OK" {
				return fmt.Errorf("the server rejected CAPABILITY: %s", quote(line))
			}
			// A tagged OK may repeat the list in a response code.
			if code, ok := strings.CutPrefix(strings.ToUpper(text), "[CAPABILITY "); ok {
				code, _, _ = strings.Cut(code, "]")
				startTLS = startTLS || hasCapability(code, "STARTTLS")
			}
			break
		}
		if status, _ := imapStatus(line, "*"); status == "BYE" {
			return fmt.Errorf("the server closed the connection: %s", quote(line))
		}
		if rest, ok := cutPrefixFold(line, "* CAPABILITY "); ok {
			startTLS = startTLS || hasCapability(rest, "STARTTLS")
		}
	}
	if !startTLS {
		return ErrNoStartTLS
	}

	if err := writeLine(conn, imapStartTLSTag+" STARTTLS"); err != nil {
		return err
	}
	line, err := readLine(conn)
	if err != nil {
		return fmt.Errorf("waiting for the reply to STARTTLS: %w", err)
	}
	switch status, _ := imapStatus(line, imapStartTLSTag); status {
	case "OK":
		return nil
	case "":
		return fmt.Errorf("unexpected reply to STARTTLS %s", quote(line))
	default:
		return fmt.Errorf("the server refused STARTTLS with %s: %w", quote(line), ErrNoStartTLS)
	}
}

// imapStatus returns the upper-case status (OK, NO, BAD, PREAUTH, BYE) and
// the text after it if line is a status response with the given tag ("*"
// for untagged); else "".
func imapStatus(line, tag string) (status, text string) {
	rest, ok := strings.CutPrefix(line, tag+" ")
	if !ok {
		return "", ""
	}
	word, text, _ := strings.Cut(rest, " ")
	switch word = strings.ToUpper(word); word {
	case "OK", "NO", "BAD", "PREAUTH", "BYE":
		return word, text
	default:
		return "", ""
	}
}

// hasCapability reports whether the space-separated list holds capability
// name (case-insensitively).
func hasCapability(list, name string) bool {
	for _, c := range strings.Fields(list) {
		if strings.EqualFold(c, name) {
			return true
		}
	}
	return false
}

// hasLiteral reports whether line ends with an IMAP literal announcement
// ("{12}" or "{12+}"), which no reply to CAPABILITY contains.
func hasLiteral(line string) bool {
	if !strings.HasSuffix(line, "}") {
		return false
	}
	i := strings.LastIndexByte(line, '{')
	if i < 0 {
		return false
	}
	digits := strings.TrimSuffix(line[i+1:len(line)-1], "+")
	return digits != "" && strings.Trim(digits, "0123456789") == ""
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return "", false
	}
	return s[len(prefix):], true
}
