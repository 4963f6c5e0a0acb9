package backend

import (
	"strings"
	"testing"
)

func TestGroupFingerprint(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty", "", ""},
		{"short", "ABC", "ABC"},
		{"v4", "EEE772889CE57117BD7D6C12DDFB66979E15B17C", "EEE7 7288 9CE5 7117 BD7D 6C12 DDFB 6697 9E15 B17C"},
		{"ragged end", "0123456789", "0123 4567 89"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := GroupFingerprint(tt.in); got != tt.want {
				t.Errorf("got = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSignatureCounts(t *testing.T) {
	good := Signature{Status: SigValid, MatchesFrom: true, WholeMessage: true}
	tests := []struct {
		name string
		sig  func(Signature) Signature
		want bool
	}{
		{"valid, sender's, whole", func(s Signature) Signature { return s }, true},
		{"another signer", func(s Signature) Signature { s.MatchesFrom = false; return s }, false},
		{"part only", func(s Signature) Signature { s.WholeMessage = false; return s }, false},
		{"unknown key", func(s Signature) Signature { s.Status = SigUnknownKey; return s }, false},
		{"invalid", func(s Signature) Signature { s.Status = SigInvalid; return s }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.sig(good).Counts(); got != tt.want {
				t.Errorf("got = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMissingKeysErrorNamesRecipients(t *testing.T) {
	err := &MissingKeysError{Addresses: []string{"carol@example.com", "dave@example.com"}}
	if got := err.Error(); !strings.Contains(got, "carol@example.com, dave@example.com") || !strings.Contains(got, "nothing was sent") {
		t.Errorf("got = %q, want both addresses and that nothing was sent", got)
	}
}

func TestAuditEntryMentions(t *testing.T) {
	sent := AuditEntry{Kind: "mail.sent", Subject: "<1@example.org>",
		Detail: `from alice@example.org to Bob@Example.net, carol@example.com; subject "x"; security: encrypted and signed (PGP/MIME); delivery: not checked`}
	key := AuditEntry{Kind: "key.imported", Subject: "EEE772889CE57117BD7D6C12DDFB66979E15B17C", Detail: "contact key Dave <dave@example.org>"}
	tests := []struct {
		e       AuditEntry
		contact string
		want    bool
	}{
		{sent, "bob@example.net", true},
		{sent, " CAROL@example.com ", true},
		{sent, "dave@example.org", false},
		{key, "dave@example.org", true},
		{key, "EEE7 7288 9CE5 7117 BD7D 6C12 DDFB 6697 9E15 B17C", true},
		{key, "eee772889ce57117", true},
		{key, "EEE7 7288", false}, // too short to match without its spaces
		{sent, "", true},
	}
	for _, tt := range tests {
		if got := tt.e.Mentions(tt.contact); got != tt.want {
			t.Errorf("%s Mentions(%q) = %v, want %v", tt.e.Kind, tt.contact, got, tt.want)
		}
	}
}
