package autoconfig

import (
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
)

func TestParseClientConfig(t *testing.T) {
	tests := []struct {
		name      string
		email     string
		doc       string
		want      Settings
		wantNotes []string // substrings, one per note, in order
	}{
		{
			name:  "implicit TLS for both",
			email: testEmail,
			doc: configXML(
				imapEntry("imap.example.test", "993", "SSL", "%EMAILADDRESS%", "password-cleartext"),
				smtpEntry("smtp.example.test", "465", "SSL", "%EMAILADDRESS%", "password-cleartext", "OAuth2"),
			),
			want: Settings{
				IMAP:     Server{Host: "imap.example.test", Port: 993, Security: SecurityTLS, Auth: []Auth{AuthPasswordCleartext}},
				SMTP:     Server{Host: "smtp.example.test", Port: 465, Security: SecurityTLS, Auth: []Auth{AuthPasswordCleartext, AuthOAuth2}},
				Username: testEmail,
				Source:   SourceAutoconfig,
			},
		},
		{
			name:  "STARTTLS becomes mandatory STARTTLS",
			email: testEmail,
			doc: configXML(
				imapEntry("imap.example.test", "143", "STARTTLS", "%EMAILADDRESS%"),
				smtpEntry("smtp.example.test", "587", "starttls", "%EMAILADDRESS%"),
			),
			want: Settings{
				IMAP:     Server{Host: "imap.example.test", Port: 143, Security: SecurityStartTLS},
				SMTP:     Server{Host: "smtp.example.test", Port: 587, Security: SecurityStartTLS},
				Username: testEmail,
				Source:   SourceAutoconfig,
			},
		},
		{
			name:  "plain entries are skipped for the next ones",
			email: testEmail,
			doc: configXML(
				imapEntry("imap.example.test", "143", "plain", "%EMAILADDRESS%"),
				imapEntry("imap.example.test", "993", "SSL", "%EMAILADDRESS%"),
				smtpEntry("smtp.example.test", "25", "plain", "%EMAILADDRESS%"),
				smtpEntry("smtp.example.test", "587", "STARTTLS", "%EMAILADDRESS%"),
			),
			want: Settings{
				IMAP:     Server{Host: "imap.example.test", Port: 993, Security: SecurityTLS},
				SMTP:     Server{Host: "smtp.example.test", Port: 587, Security: SecurityStartTLS},
				Username: testEmail,
				Source:   SourceAutoconfig,
			},
			wantNotes: []string{`IMAP server "imap.example.test" in the autoconfig file: it has no encryption`, `SMTP server "smtp.example.test" in the autoconfig file: it has no encryption`},
		},
		{
			name:  "a plain-only SMTP leaves SMTP empty",
			email: testEmail,
			doc: configXML(
				imapEntry("imap.example.test", "993", "SSL", ""),
				smtpEntry("smtp.example.test", "25", "plain", ""),
			),
			want: Settings{
				IMAP:     Server{Host: "imap.example.test", Port: 993, Security: SecurityTLS},
				Username: testEmail,
				Source:   SourceAutoconfig,
			},
			wantNotes: []string{"no encryption"},
		},
		{
			name:  "placeholders in user names and host names",
			email: "Bob.Smith@Example.test",
			doc: configXML(
				imapEntry("imap.%EMAILDOMAIN%", "993", "SSL", "%EMAILLOCALPART%"),
				smtpEntry("smtp.%EMAILDOMAIN%", "465", "SSL", "%EMAILLOCALPART%+smtp@%EMAILDOMAIN%"),
			),
			want: Settings{
				IMAP:     Server{Host: "imap.example.test", Port: 993, Security: SecurityTLS},
				SMTP:     Server{Host: "smtp.example.test", Port: 465, Security: SecurityTLS},
				Username: "Bob.Smith",
				Source:   SourceAutoconfig,
			},
			wantNotes: []string{`user name "Bob.Smith+smtp@Example.test"`},
		},
		{
			name:  "other server types and unknown socket types are ignored",
			email: testEmail,
			doc: configXML(
				entry("incomingServer", "pop3", "pop.example.test", "995", "SSL", ""),
				imapEntry("imap.example.test", "993", "TLS", ""),
				imapEntry("imap2.example.test", "993", "SSL", ""),
				smtpEntry("smtp.example.test", "465", "SSL", ""),
			),
			want: Settings{
				IMAP:     Server{Host: "imap2.example.test", Port: 993, Security: SecurityTLS},
				SMTP:     Server{Host: "smtp.example.test", Port: 465, Security: SecurityTLS},
				Username: testEmail,
				Source:   SourceAutoconfig,
			},
			wantNotes: []string{`unknown socketType "TLS"`},
		},
		{
			name:  "bad ports and host names are skipped",
			email: testEmail,
			doc: configXML(
				imapEntry("imap.example.test", "0", "SSL", ""),
				imapEntry("imap.example.test", "99999", "SSL", ""),
				imapEntry("imap example test", "993", "SSL", ""),
				imapEntry(" IMAP.Example.Test. ", " 993 ", " SSL ", ""),
				smtpEntry("smtp.example.test", "x", "SSL", ""),
				smtpEntry("smtp.example.test", "465", "SSL", ""),
			),
			want: Settings{
				IMAP:     Server{Host: "imap.example.test", Port: 993, Security: SecurityTLS},
				SMTP:     Server{Host: "smtp.example.test", Port: 465, Security: SecurityTLS},
				Username: testEmail,
				Source:   SourceAutoconfig,
			},
			wantNotes: []string{`invalid port "0"`, `invalid port "99999"`, "invalid host name", `invalid port "x"`},
		},
		{
			name:  "many skipped entries are summarised and clipped",
			email: testEmail,
			doc: configXML(
				imapEntry(strings.Repeat("é", 100), "993", "SSL", ""),
				imapEntry("imap.example.test", "143", "plain", ""),
				imapEntry("imap.example.test", "143", "plain", ""),
				imapEntry("imap.example.test", "143", "plain", ""),
				imapEntry("imap.example.test", "143", "plain", ""),
				imapEntry("imap.example.test", "143", "plain", ""),
				imapEntry("imap.example.test", "143", "plain", ""),
				imapEntry("imap.example.test", "993", "SSL", ""),
				smtpEntry("smtp.example.test", "465", "SSL", ""),
			),
			want: Settings{
				IMAP:     Server{Host: "imap.example.test", Port: 993, Security: SecurityTLS},
				SMTP:     Server{Host: "smtp.example.test", Port: 465, Security: SecurityTLS},
				Username: testEmail,
				Source:   SourceAutoconfig,
			},
			wantNotes: []string{
				`IMAP server "` + strings.Repeat("é", 40) + `…" in the autoconfig file: invalid host name`,
				"no encryption", "no encryption", "no encryption", "no encryption",
				"Skipped 2 more servers",
			},
		},
		{
			name:  "international domain names become ASCII",
			email: "anna@bücher.test",
			doc: configXML(
				imapEntry("imap.bücher.test", "993", "SSL", ""),
				smtpEntry("smtp.%EMAILDOMAIN%", "465", "SSL", ""),
			),
			want: Settings{
				IMAP:     Server{Host: "imap.xn--bcher-kva.test", Port: 993, Security: SecurityTLS},
				SMTP:     Server{Host: "smtp.xn--bcher-kva.test", Port: 465, Security: SecurityTLS},
				Username: "anna@bücher.test",
				Source:   SourceAutoconfig,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseClientConfig(strings.NewReader(tt.doc), tt.email)
			if err != nil {
				t.Fatalf("parseClientConfig() error = %v, want nil", err)
			}
			notes := got.Notes
			got.Notes = nil
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parseClientConfig() = %+v, want %+v", got, tt.want)
			}
			if len(notes) != len(tt.wantNotes) {
				t.Fatalf("notes = %q, want %d notes containing %q", notes, len(tt.wantNotes), tt.wantNotes)
			}
			for i, want := range tt.wantNotes {
				if !strings.Contains(notes[i], want) {
					t.Errorf("note %d = %q, want it to contain %q", i, notes[i], want)
				}
			}
		})
	}
}

func TestParseClientConfigErrors(t *testing.T) {
	tests := []struct {
		name    string
		email   string
		doc     string
		wantErr error
		wantMsg string
	}{
		{
			name:    "truncated XML",
			email:   testEmail,
			doc:     configXML(imapEntry("imap.example.test", "993", "SSL", ""))[:120],
			wantErr: ErrMalformedConfig,
			wantMsg: "unexpected EOF",
		},
		{
			name:    "mismatched tags",
			email:   testEmail,
			doc:     `<clientConfig><emailProvider><incomingServer></emailProvider></clientConfig>`,
			wantErr: ErrMalformedConfig,
		},
		{
			name:    "HTML error page",
			email:   testEmail,
			doc:     `<html><body>Not here</body></html>`,
			wantErr: ErrMalformedConfig,
			wantMsg: "clientConfig",
		},
		{
			name:    "empty file",
			email:   testEmail,
			doc:     "",
			wantErr: ErrMalformedConfig,
			wantMsg: "empty",
		},
		{
			name:    "no emailProvider",
			email:   testEmail,
			doc:     `<clientConfig version="1.1"></clientConfig>`,
			wantErr: ErrMalformedConfig,
			wantMsg: "emailProvider",
		},
		{
			name:    "undeclared character set",
			email:   testEmail,
			doc:     `<?xml version="1.0" encoding="x-unknown"?><clientConfig/>`,
			wantErr: ErrMalformedConfig,
		},
		{
			name:  "plaintext only",
			email: testEmail,
			doc: configXML(
				imapEntry("imap.example.test", "143", "plain", ""),
				smtpEntry("smtp.example.test", "25", "plain", ""),
			),
			wantErr: ErrNoUsableServer,
			wantMsg: "no encryption",
		},
		{
			name:    "only POP3",
			email:   testEmail,
			doc:     configXML(entry("incomingServer", "pop3", "pop.example.test", "995", "SSL", "")),
			wantErr: ErrNoUsableServer,
		},
		{
			name:    "too large",
			email:   testEmail,
			doc:     configXML(imapEntry("imap.example.test", "993", "SSL", ""), "<!--"+strings.Repeat("x", MaxConfigSize)+"-->"),
			wantErr: ErrConfigTooLarge,
		},
		{
			name:    "address without domain",
			email:   "alice",
			doc:     configXML(imapEntry("imap.example.test", "993", "SSL", "")),
			wantErr: ErrInvalidAddress,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseClientConfig(strings.NewReader(tt.doc), tt.email)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("parseClientConfig() = %+v, %v; want error %v", got, err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error = %q, want it to contain %q", err, tt.wantMsg)
			}
		})
	}
}

// A file of exactly MaxConfigSize bytes is still read.
func TestParseClientConfigSizeLimit(t *testing.T) {
	doc := configXML(imapEntry("imap.example.test", "993", "SSL", ""))
	doc += "<!--" + strings.Repeat("x", MaxConfigSize-len(doc)-7) + "-->"
	if len(doc) != MaxConfigSize {
		t.Fatalf("test document is %d bytes, want %d", len(doc), MaxConfigSize)
	}
	got, err := parseClientConfig(strings.NewReader(doc), testEmail)
	if err != nil {
		t.Fatalf("parseClientConfig() error = %v, want nil", err)
	}
	if got.IMAP.Host != "imap.example.test" {
		t.Errorf("IMAP.Host = %q, want %q", got.IMAP.Host, "imap.example.test")
	}
}

func BenchmarkParseClientConfig(b *testing.B) {
	doc := configXML(
		entry("incomingServer", "pop3", "pop.example.test", "995", "SSL", "%EMAILADDRESS%", "password-cleartext"),
		imapEntry("imap.example.test", "993", "SSL", "%EMAILADDRESS%", "OAuth2", "password-cleartext"),
		imapEntry("imap.example.test", "143", "STARTTLS", "%EMAILADDRESS%", "password-cleartext"),
		smtpEntry("smtp.example.test", "465", "SSL", "%EMAILADDRESS%", "OAuth2", "password-cleartext"),
	)
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		if _, err := parseClientConfig(strings.NewReader(doc), testEmail); err != nil {
			b.Fatal(err)
		}
	}
}

// parseClientConfig parses an autoconfig file for email as discovery does
// once it has fetched one (see parseResult), for the tests and the fuzzer:
// Source SourceAutoconfig, Confirmed false; ErrNoUsableServer when neither
// server is usable, ErrConfigTooLarge past MaxConfigSize,
// ErrMalformedConfig for anything but a clientConfig document and
// ErrInvalidAddress for an unusable email.
func parseClientConfig(r io.Reader, email string) (Settings, error) {
	addr, err := parseAddress(email)
	if err != nil {
		return Settings{}, err
	}
	doc, err := decodeClientConfig(r)
	if err != nil {
		return Settings{}, err
	}
	st := parseResult(doc, addr).settings()
	if st.IMAP.Host == "" && st.SMTP.Host == "" {
		return Settings{}, noUsableServer(st.Notes)
	}
	return st, nil
}
