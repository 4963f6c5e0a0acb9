package transport

import (
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
)

// smtpStartTLS runs the cleartext part of SMTP STARTTLS (RFC 3207) on conn:
// greeting, EHLO, STARTTLS. It returns once the 220 reply to STARTTLS has
// been read, having read no byte past it. If the server does not advertise
// STARTTLS, it returns ErrNoStartTLS without sending anything more.
func smtpStartTLS(conn net.Conn, heloName string) error {
	code, lines, err := readSMTPReply(conn)
	if err != nil {
		return fmt.Errorf("waiting for the greeting: %w", err)
	}
	if code != 220 {
		return fmt.Errorf("the server refused the connection: %d %s", code, quote(lines[0]))
	}

	if err := writeLine(conn, "EHLO "+heloName); err != nil {
		return err
	}
	code, lines, err = readSMTPReply(conn)
	if err != nil {
		return fmt.Errorf("waiting for the reply to EHLO: %w", err)
	}
	if code != 250 {
		return fmt.Errorf("the server rejected EHLO with %d %s: %w", code, quote(lines[0]), ErrNoStartTLS)
	}
	startTLS := false
	for _, l := range lines[1:] {
		keyword, _, _ := strings.Cut(l, " ")
		startTLS = startTLS || strings.EqualFold(keyword, "STARTTLS")
	}
	if !startTLS {
		return ErrNoStartTLS
	}

	if err := writeLine(conn, "STARTTLS"); err != nil {
		return err
	}
	code, lines, err = readSMTPReply(conn)
	if err != nil {
		return fmt.Errorf("waiting for the reply to STARTTLS: %w", err)
	}
	if code != 220 {
		return fmt.Errorf("the server refused STARTTLS with %d %s: %w", code, quote(lines[0]), ErrNoStartTLS)
	}
	return nil
}

// readSMTPReply reads one SMTP reply (RFC 5321 section 4.2), single or
// multi-line, byte by byte. It returns the code and the text of each line.
func readSMTPReply(r io.Reader) (int, []string, error) {
	var lines []string
	code := 0
	for {
		if len(lines) == maxLines {
			return 0, nil, fmt.Errorf("reply has more than %d lines", maxLines)
		}
		line, err := readLine(r)
		if err != nil {
			return 0, nil, err
		}
		if len(line) < 3 || (len(line) > 3 && line[3] != ' ' && line[3] != '-') {
			return 0, nil, fmt.Errorf("malformed SMTP reply %s", quote(line))
		}
		c, err := strconv.Atoi(line[:3])
		if err != nil || c < 200 || c > 599 {
			return 0, nil, fmt.Errorf("malformed SMTP reply code in %s", quote(line))
		}
		if code != 0 && c != code {
			return 0, nil, fmt.Errorf("SMTP reply code changed within a reply: %s", quote(line))
		}
		code = c
		if len(line) == 3 {
			return code, append(lines, ""), nil
		}
		lines = append(lines, line[4:])
		if line[3] == ' ' {
			return code, lines, nil
		}
	}
}
