package submit

import (
	"errors"
	"reflect"
	"testing"
)

func TestPrepareForSubmission(t *testing.T) {
	const tail = "Subject: x\r\n\r\nBody line\r\nBcc: not a header, body text\r\n"
	tests := []struct {
		name     string
		raw      string
		wantData string
		wantEnv  Envelope
	}{
		{
			name:     "no bcc leaves every byte",
			raw:      "From: a@example.org\r\nTo:  Bob\r\n  <bob@example.net>\r\nX-Odd:\tfolded\r\n\tvalue\r\n" + tail,
			wantData: "From: a@example.org\r\nTo:  Bob\r\n  <bob@example.net>\r\nX-Odd:\tfolded\r\n\tvalue\r\n" + tail,
			wantEnv:  Envelope{From: "a@example.org", To: []string{"bob@example.net"}},
		},
		{
			name:     "folded bcc over three lines",
			raw:      "From: a@example.org\r\nBcc: Eve\r\n <eve@example.com>,\r\n\t  mallory@example.com\r\nTo: bob@example.net\r\n" + tail,
			wantData: "From: a@example.org\r\nTo: bob@example.net\r\n" + tail,
			wantEnv:  Envelope{From: "a@example.org", To: []string{"bob@example.net", "eve@example.com", "mallory@example.com"}},
		},
		{
			name:     "lower-case and repeated bcc fields, resent-bcc",
			raw:      "bcc: one@example.com\r\nFrom: a@example.org\r\nBCC:two@example.com\r\nResent-Bcc: three@example.com\r\nTo: bob@example.net\r\n" + tail,
			wantData: "From: a@example.org\r\nTo: bob@example.net\r\n" + tail,
			wantEnv:  Envelope{From: "a@example.org", To: []string{"bob@example.net", "one@example.com", "two@example.com"}},
		},
		{
			name:     "empty bcc and group syntax",
			raw:      "From: a@example.org\r\nTo: undisclosed-recipients:;\r\nBcc:\r\nCc: friends: bob@example.net, carol@example.net;\r\n" + tail,
			wantData: "From: a@example.org\r\nTo: undisclosed-recipients:;\r\nCc: friends: bob@example.net, carol@example.net;\r\n" + tail,
			wantEnv:  Envelope{From: "a@example.org", To: []string{"bob@example.net", "carol@example.net"}},
		},
		{
			name:     "duplicates across fields, domain case folded, local part kept",
			raw:      "From: a@Example.ORG\r\nTo: Bob@EXAMPLE.net\r\nCc: Bob@example.NET, bob@example.net\r\nBcc: \"B.\" <Bob@Example.Net>\r\n" + tail,
			wantData: "From: a@Example.ORG\r\nTo: Bob@EXAMPLE.net\r\nCc: Bob@example.NET, bob@example.net\r\n" + tail,
			wantEnv:  Envelope{From: "a@example.org", To: []string{"Bob@example.net", "bob@example.net"}},
		},
		{
			name:     "sender wins over several from addresses",
			raw:      "From: a@example.org, b@example.org\r\nSender: sec@example.org\r\nTo: bob@example.net\r\n" + tail,
			wantData: "From: a@example.org, b@example.org\r\nSender: sec@example.org\r\nTo: bob@example.net\r\n" + tail,
			wantEnv:  Envelope{From: "sec@example.org", To: []string{"bob@example.net"}},
		},
		{
			name:     "display names in an unknown charset",
			raw:      "From: =?x-unknown?q?A=E9?= <a@example.org>\r\nTo: =?koi8-r?b?8fI=?= <bob@example.net>\r\nBcc: =?x-unknown?q?E?= <eve@example.com>\r\n" + tail,
			wantData: "From: =?x-unknown?q?A=E9?= <a@example.org>\r\nTo: =?koi8-r?b?8fI=?= <bob@example.net>\r\n" + tail,
			wantEnv:  Envelope{From: "a@example.org", To: []string{"bob@example.net", "eve@example.com"}},
		},
		{
			name:     "header only",
			raw:      "From: a@example.org\r\nBcc: eve@example.com\r\n",
			wantData: "From: a@example.org\r\n\r\n",
			wantEnv:  Envelope{From: "a@example.org", To: []string{"eve@example.com"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, env, err := PrepareForSubmission([]byte(tt.raw))
			if err != nil {
				t.Fatalf("PrepareForSubmission: got error = %v, want nil", err)
			}
			if string(data) != tt.wantData {
				t.Errorf("data = %q, want %q", data, tt.wantData)
			}
			if !reflect.DeepEqual(env, tt.wantEnv) {
				t.Errorf("envelope = %+v, want %+v", env, tt.wantEnv)
			}
			if hidden, err := hasHiddenField(data); err != nil || hidden {
				t.Errorf("hasHiddenField(data) = %v, %v, want false, nil", hidden, err)
			}
		})
	}
}

func TestPrepareForSubmissionErrors(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		wantErr error
	}{
		{"no from", "To: bob@example.net\r\n\r\nx", ErrNoSender},
		{"two from without sender", "From: a@example.org, b@example.org\r\nTo: bob@example.net\r\n\r\nx", ErrNoSender},
		{"no recipients", "From: a@example.org\r\nSubject: x\r\n\r\nx", ErrNoRecipients},
		{"only an empty group", "From: a@example.org\r\nTo: undisclosed-recipients:;\r\n\r\nx", ErrNoRecipients},
		{"malformed address", "From: a@example.org\r\nTo: bob@\r\n\r\nx", ErrMalformed},
		{"malformed bcc address", "From: a@example.org\r\nTo: bob@example.net\r\nBcc: <eve\r\n\r\nx", ErrMalformed},
		{"header line without colon", "From: a@example.org\r\nnot a header\r\n\r\nx", ErrMalformed},
		{"leading continuation line", " From: a@example.org\r\n\r\nx", ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := PrepareForSubmission([]byte(tt.raw))
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("PrepareForSubmission: got error = %v, want %v", err, tt.wantErr)
			}
		})
	}
}
