package transport

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestNormalizeSHA256(t *testing.T) {
	const canon = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	colons := func(s string) string {
		var parts []string
		for i := 0; i < len(s); i += 2 {
			parts = append(parts, s[i:i+2])
		}
		return strings.Join(parts, ":")
	}
	tests := []struct {
		name    string
		in      string
		want    string
		wantErr bool
	}{
		{name: "canonical", in: canon, want: canon},
		{name: "upper case", in: strings.ToUpper(canon), want: canon},
		{name: "colons upper case", in: colons(strings.ToUpper(canon)), want: canon},
		{name: "spaces and newline", in: " " + strings.ReplaceAll(colons(canon), ":", " ") + "\n", want: canon},
		{name: "empty", in: "", wantErr: true},
		{name: "too short", in: canon[:62], wantErr: true},
		{name: "too long", in: canon + "00", wantErr: true},
		{name: "not hex", in: canon[:63] + "g", wantErr: true},
		{name: "prefix", in: "sha256:" + canon, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormalizeSHA256(tt.in)
			if tt.wantErr {
				if !errors.Is(err, ErrInvalidFingerprint) {
					t.Fatalf("NormalizeSHA256(%q) error = %v, want ErrInvalidFingerprint", tt.in, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("NormalizeSHA256(%q) = %q, %v, want %q, nil", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestParseSecurity(t *testing.T) {
	tests := []struct {
		in      string
		want    Security
		wantErr error
	}{
		{in: "tls", want: SecurityTLS},
		{in: " STARTTLS ", want: SecurityStartTLS},
		{in: "TLS", want: SecurityTLS},
		{in: "", wantErr: ErrPlaintextRefused},
		{in: "none", wantErr: ErrPlaintextRefused},
		{in: "plain", wantErr: ErrPlaintextRefused},
		{in: "insecure", wantErr: ErrPlaintextRefused},
		{in: "ssl", wantErr: ErrUnknownSecurity},
		{in: "starttls-optional", wantErr: ErrUnknownSecurity},
	}
	for _, tt := range tests {
		t.Run("in="+tt.in, func(t *testing.T) {
			got, err := ParseSecurity(tt.in)
			if !errors.Is(err, tt.wantErr) || got != tt.want {
				t.Fatalf("ParseSecurity(%q) = %q, %v, want %q, %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestDefaultSecurity(t *testing.T) {
	tests := []struct {
		port int
		want Security
	}{
		{993, SecurityTLS}, {465, SecurityTLS}, {143, SecurityStartTLS},
		{587, SecurityStartTLS}, {25, SecurityStartTLS}, {10993, SecurityTLS},
	}
	for _, tt := range tests {
		if got := DefaultSecurity(tt.port); got != tt.want {
			t.Errorf("DefaultSecurity(%d) = %q, want %q", tt.port, got, tt.want)
		}
	}
}

func TestReadLineReadsNothingPastTheLine(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		want     string
		wantRest string
		wantErr  error
	}{
		{name: "CRLF", in: "A2 OK begin\r\n* injected\r\n", want: "A2 OK begin", wantRest: "* injected\r\n"},
		{name: "bare LF", in: "220 go\n\x16\x03\x01", want: "220 go", wantRest: "\x16\x03\x01"},
		{name: "empty line", in: "\r\nrest", want: "", wantRest: "rest"},
		{name: "EOF mid-line", in: "A2 OK", wantErr: io.ErrUnexpectedEOF},
		{name: "too long", in: strings.Repeat("x", maxLineLength+1) + "\r\n", wantErr: errLineTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := strings.NewReader(tt.in)
			got, err := readLine(r)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("readLine error = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("readLine = %q, %v, want %q, nil", got, err, tt.want)
			}
			rest, _ := io.ReadAll(r)
			if string(rest) != tt.wantRest {
				t.Fatalf("left unread = %q, want %q", rest, tt.wantRest)
			}
		})
	}
}

func TestHasLiteral(t *testing.T) {
	tests := []struct {
		line string
		want bool
	}{
		{"* CAPABILITY IMAP4rev1 {12}", true},
		{"* CAPABILITY IMAP4rev1 {12+}", true},
		{"* OK [CAPABILITY IMAP4rev1] ready", false},
		{"* OK {}", false},
		{"* OK {a}", false},
		{"* OK }", false},
	}
	for _, tt := range tests {
		if got := hasLiteral(tt.line); got != tt.want {
			t.Errorf("hasLiteral(%q) = %v, want %v", tt.line, got, tt.want)
		}
	}
}

func TestReadSMTPReply(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		wantCode  int
		wantLines []string
		wantErr   bool
	}{
		{name: "single", in: "220 ready\r\n", wantCode: 220, wantLines: []string{"ready"}},
		{name: "multi", in: "250-host\r\n250-STARTTLS\r\n250 8BITMIME\r\n", wantCode: 250, wantLines: []string{"host", "STARTTLS", "8BITMIME"}},
		{name: "bare code", in: "250\r\n", wantCode: 250, wantLines: []string{""}},
		{name: "code changes", in: "250-host\r\n220 x\r\n", wantErr: true},
		{name: "not a code", in: "abc ready\r\n", wantErr: true},
		{name: "bad separator", in: "250xready\r\n", wantErr: true},
		{name: "out of range", in: "999 what\r\n", wantErr: true},
		{name: "too many lines", in: strings.Repeat("250-x\r\n", maxLines+1), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, lines, err := readSMTPReply(strings.NewReader(tt.in))
			if tt.wantErr {
				if err == nil {
					t.Fatalf("readSMTPReply(%q) = %d, %q, want an error", tt.in, code, lines)
				}
				return
			}
			if err != nil || code != tt.wantCode || strings.Join(lines, "|") != strings.Join(tt.wantLines, "|") {
				t.Fatalf("readSMTPReply(%q) = %d, %q, %v, want %d, %q, nil", tt.in, code, lines, err, tt.wantCode, tt.wantLines)
			}
		})
	}
}

// TestRefusedBeforeDialling checks that settings that cannot be honoured
// securely fail before any connection is made.
func TestRefusedBeforeDialling(t *testing.T) {
	tests := []struct {
		name    string
		host    string
		port    int
		sec     Security
		pins    []Pin
		helo    string
		wantErr error
	}{
		{name: "plaintext", host: testHost, port: 143, sec: "", wantErr: ErrPlaintextRefused},
		{name: "none", host: testHost, port: 143, sec: "none", wantErr: ErrPlaintextRefused},
		{name: "unknown security", host: testHost, port: 993, sec: "ssl", wantErr: ErrUnknownSecurity},
		{name: "malformed pin for this host", host: testHost, port: 993, sec: SecurityTLS,
			pins: []Pin{{Host: testHost, Port: 993, SHA256: "abc"}}, wantErr: ErrInvalidFingerprint},
		{name: "empty host", host: "", port: 993, sec: SecurityTLS},
		{name: "host with CRLF", host: "a\r\nLOGIN", port: 993, sec: SecurityTLS},
		{name: "port zero", host: testHost, port: 0, sec: SecurityTLS},
		{name: "port too big", host: testHost, port: 65536, sec: SecurityTLS},
		{name: "HELO with space", host: testHost, port: 587, sec: SecurityStartTLS, helo: "a b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, proto := range []string{"IMAP", "SMTP"} {
				if tt.helo != "" && proto == "IMAP" {
					continue
				}
				d := &testDialer{addr: "127.0.0.1:1"}
				p := Policy{Pins: tt.pins, Dialer: d}
				var err error
				if proto == "IMAP" {
					_, _, err = DialIMAP(context.Background(), tt.host, tt.port, tt.sec, p)
				} else {
					_, _, err = DialSMTP(context.Background(), tt.host, tt.port, tt.sec, p, tt.helo)
				}
				if err == nil || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) {
					t.Errorf("%s: error = %v, want %v", proto, err, tt.wantErr)
				}
				if got := d.dialed(); len(got) != 0 {
					t.Errorf("%s: dialled %q, want no connection", proto, got)
				}
			}
		})
	}
}
