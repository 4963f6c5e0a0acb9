package transport

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// Limits on the cleartext a server may send before STARTTLS.
const (
	maxLineLength = 8 << 10 // bytes in one response line
	maxLines      = 100     // lines in one response
	maxQuoted     = 120     // characters of server text quoted in an error
)

// errLineTooLong means a cleartext response line exceeded maxLineLength.
var errLineTooLong = fmt.Errorf("response line longer than %d bytes", maxLineLength)

// readLine reads one CRLF- (or LF-) terminated line from r one byte at a
// time, so that not a single byte past the line is consumed: whatever follows
// stays in the socket for the next reader. The line is returned without its
// terminator.
func readLine(r io.Reader) (string, error) {
	var line []byte
	var b [1]byte
	for {
		if _, err := io.ReadFull(r, b[:]); err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return "", fmt.Errorf("reading the server's response: %w", err)
		}
		if b[0] == '\n' {
			return strings.TrimSuffix(string(line), "\r"), nil
		}
		if len(line) == maxLineLength {
			return "", errLineTooLong
		}
		line = append(line, b[0])
	}
}

// quote shortens and quotes untrusted server text for an error message.
func quote(s string) string {
	if len(s) > maxQuoted {
		s = s[:maxQuoted] + "..."
	}
	return fmt.Sprintf("%q", s)
}

// writeLine sends one command line.
func writeLine(w io.Writer, line string) error {
	if _, err := io.WriteString(w, line+"\r\n"); err != nil {
		return fmt.Errorf("sending %s: %w", strings.Fields(line)[0], err)
	}
	return nil
}
