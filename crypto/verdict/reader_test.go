package verdict

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sealpost/sealpost/crypto"
	"github.com/sealpost/sealpost/crypto/internal/testenv"
)

// TestHeaderFields checks the fields a reader shows (To, Cc, Reply-To,
// Date) and which of them come from protected headers.
func TestHeaderFields(t *testing.T) {
	k := people(t)
	outer := "From: Alice <alice@example.org>\nTo: Bob <bob@example.org>, carol@example.org\nCc: Dave <dave@example.org>\n" +
		"Reply-To: alice@example.org\nSubject: outer\nDate: Mon, 01 Jun 2026 12:00:00 +0200\nMIME-Version: 1.0\n"
	tests := []struct {
		name                 string
		msg                  string
		to, cc, bcc, replyTo string
		date                 string // RFC 3339 with the sender's zone; "" for none
		protected            []string
		subject              string
		absentFromAnyHeader  string
	}{
		{
			name: "plain message",
			msg:  outer + "Content-Type: text/plain\n\nhello\n",
			to:   "Bob <bob@example.org>, carol@example.org", cc: "Dave <dave@example.org>", replyTo: "alice@example.org",
			date: "2026-06-01T12:00:00+02:00", subject: "outer",
		},
		{
			name: "protected values replace differing outer ones",
			msg: strings.Replace(outer, "Subject: outer", "Subject: [...]", 1) + pgpMIME(encryptTo(t, k, k.alice,
				"Content-Type: text/plain; hp=\"cipher\"\nFrom: Alice <alice@example.org>\nTo: Bob <bob@example.org>\n"+
					"Cc: Erin <erin@example.org>\nSubject: the real one\nDate: Mon, 01 Jun 2026 11:58:00 -0700\n\nbody\n"), "E"),
			to: "Bob <bob@example.org>", cc: "Erin <erin@example.org>", replyTo: "alice@example.org",
			date: "2026-06-01T11:58:00-07:00", subject: "the real one",
			protected: []string{"Subject", "From", "Date", "To", "Cc"},
		},
		{
			name: "outer fields that the protected headers lack are not marked protected",
			msg: outer + pgpMIME(encryptTo(t, k, k.alice,
				"Content-Type: text/plain; protected-headers=\"v1\"\nSubject: inner\n\nbody\n"), "E"),
			to: "Bob <bob@example.org>, carol@example.org", cc: "Dave <dave@example.org>", replyTo: "alice@example.org",
			date: "2026-06-01T12:00:00+02:00", subject: "inner", protected: []string{"Subject"},
		},
		{
			name: "inner headers without protection are not used",
			msg: outer + pgpMIME(encryptTo(t, k, k.alice,
				"Content-Type: text/plain\nTo: mallory@evil.example\nSubject: inner\n\nbody\n"), "E"),
			to: "Bob <bob@example.org>, carol@example.org", cc: "Dave <dave@example.org>", replyTo: "alice@example.org",
			date: "2026-06-01T12:00:00+02:00", subject: "outer", absentFromAnyHeader: "mallory",
		},
		{
			name: "missing and unreadable fields",
			msg:  "From: alice@example.org\nTo: undisclosed-recipients:;\nCc: not an <address\nDate: yesterday\n\nhello\n",
			to:   "undisclosed-recipients:;", cc: "not an <address", subject: "",
		},
		{
			name: "a sent copy with blind copies",
			msg:  "From: alice@example.org\nTo: bob@example.org\nBcc: Carol <carol@example.org>, dave@example.org\n\nhi\n",
			to:   "bob@example.org", bcc: "Carol <carol@example.org>, dave@example.org",
		},
		{
			name: "encoded names and bidi overrides",
			msg:  "From: alice@example.org\nTo: =?utf-8?q?J=C3=B6rg?= <joerg@example.org>\nCc: \"Eve\u202e\" <eve@example.org>\n\nhi\n",
			to:   "Jörg <joerg@example.org>", cc: "Eve <eve@example.org>",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Inspect([]byte(tc.msg), bobReads(k))
			if err != nil {
				t.Fatalf("Inspect error = %v, want nil", err)
			}
			if r.To != tc.to || r.Cc != tc.cc || r.Bcc != tc.bcc || r.ReplyTo != tc.replyTo {
				t.Errorf("To, Cc, Bcc, ReplyTo = %q, %q, %q, %q, want %q, %q, %q, %q", r.To, r.Cc, r.Bcc, r.ReplyTo, tc.to, tc.cc, tc.bcc, tc.replyTo)
			}
			date := ""
			if !r.Date.IsZero() {
				date = r.Date.Format(time.RFC3339)
			}
			if date != tc.date {
				t.Errorf("Date = %q, want %q", date, tc.date)
			}
			if r.Subject != tc.subject {
				t.Errorf("Subject = %q, want %q", r.Subject, tc.subject)
			}
			got, want := slices.Sorted(slices.Values(r.Protected)), slices.Sorted(slices.Values(tc.protected))
			if !slices.Equal(got, want) {
				t.Errorf("Protected = %q, want %q", got, want)
			}
			if s := tc.absentFromAnyHeader; s != "" && strings.Contains(r.To+r.Cc+r.ReplyTo+r.From, s) {
				t.Errorf("the shown headers contain %q", s)
			}
		})
	}
}

// TestAttachedMessages follows Thunderbird's forwarded-message cases: an
// attached message is listed as an attachment whose data, inspected on its
// own, gets its own verdict, and its security never reaches the parent's.
func TestAttachedMessages(t *testing.T) {
	dir := filepath.Join(testenv.SharedTestdata(t, "interop", "thunderbird"), "eml")
	tests := []struct {
		file     string
		name     string
		inner    corpusCase
		innerSub string
	}{
		{file: "fwd-signed.eml", name: "signed.eml",
			inner: corpusCase{profile: profileTB, sig: crypto.SigUnknownKey, covers: true, hp: hpNone, body: "", warn: "signed with a key you do not have"}},
		{file: "fwd-unsigned-encrypted.eml", name: "attached-message.eml",
			inner: corpusCase{profile: profileTB, enc: true, integ: true, sig: crypto.SigNone, hp: hpLegacy, body: "Sundays are nothing without ca"}},
		{file: "forwarded-eml-signed-by-alice.eml", name: "openpgp signed by alice.eml",
			inner:    corpusCase{profile: profileTB, sig: crypto.SigValid, match: true, covers: true, hp: hpLegacy, body: ""},
			innerSub: "openpgp signed by alice"},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			opts := corpusProfile(t, tc.inner.profile)
			opts.KeepAttachmentData = true
			outer, err := Inspect(readFile(t, filepath.Join(dir, tc.file)), opts)
			if err != nil {
				t.Fatalf("Inspect error = %v, want nil", err)
			}
			if outer.Encrypted || outer.Signature.Status != crypto.SigNone {
				t.Errorf("outer Encrypted, Signature = %v, %s, want false, none: the attached message's state leaked", outer.Encrypted, outer.Signature.Status)
			}
			i := slices.IndexFunc(outer.Attachments, func(a Attachment) bool { return a.ContentType == "message/rfc822" })
			if i < 0 {
				t.Fatalf("Attachments = %+v, want a message/rfc822", outer.Attachments)
			}
			a := outer.Attachments[i]
			if a.Filename != tc.name || int64(len(a.Data)) != a.Size {
				t.Errorf("attachment = %q with %d of %d bytes, want %q with all its data", a.Filename, len(a.Data), a.Size, tc.name)
			}
			inner, err := Inspect(a.Data, opts)
			if err != nil {
				t.Fatalf("Inspect(attached) error = %v, want nil", err)
			}
			c := tc.inner
			if c.body == "" {
				c.body = inner.BodyText // only the security state is compared
			}
			if c.warn == "" {
				c.warn = "\x00" // warnings are not compared
				inner.Warnings = append(inner.Warnings, c.warn)
			}
			c.check(t, inner)
			if tc.innerSub != "" && inner.Subject != tc.innerSub {
				t.Errorf("attached Subject = %q, want %q", inner.Subject, tc.innerSub)
			}
		})
	}
}

// TestAttachedMessageNames checks the file name of an attached message
// without one: its Subject, made safe for a file name.
func TestAttachedMessageNames(t *testing.T) {
	tests := []struct{ name, attached, want string }{
		{"subject", "Subject: Lunch on Friday\n\nhi\n", "Lunch on Friday.eml"},
		{"slashes and controls", "Subject: Q3/Q4 \x01numbers\u202e\n\nhi\n", "Q3-Q4 numbers.eml"},
		{"no subject", "From: a@example.org\n\nhi\n", "forwarded-message.eml"},
		{"no header at all", "", "forwarded-message.eml"},
		{"long subject", "Subject: " + strings.Repeat("x", 300) + "\n\nhi\n", strings.Repeat("x", 100) + ".eml"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			msg := "From: a@example.org\nContent-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: text/plain\n\nsee attached\n" +
				"--B\nContent-Type: message/rfc822\n\n" + tc.attached + "\n--B--\n"
			r, err := Inspect([]byte(msg), Options{})
			if err != nil {
				t.Fatalf("Inspect error = %v, want nil", err)
			}
			if len(r.Attachments) != 1 || r.Attachments[0].Filename != tc.want {
				t.Errorf("Attachments = %+v, want one named %q", r.Attachments, tc.want)
			}
		})
	}
}

// TestAttachedInsideEncrypted checks that a message attached inside an
// encrypted and signed message is judged by its own signature only: the
// parent's encryption and signature are not its.
func TestAttachedInsideEncrypted(t *testing.T) {
	k := people(t)
	attachedSigned := header("Eve <eve@example.org>", "eve's note") + signedPart(t, k.eve, "Content-Type: text/plain\n\nfrom eve", "S")
	attachedPlain := header("Carol <carol@example.org>", "carol's note") + "Content-Type: text/plain\n\nfrom carol\n"
	tests := []struct {
		name     string
		attached string
		sig      crypto.SignatureStatus
		match    bool
	}{
		{"signed by its own sender", attachedSigned, crypto.SigValid, true},
		{"unsigned", attachedPlain, crypto.SigNone, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inner := "Content-Type: multipart/mixed; boundary=M\n\n--M\nContent-Type: text/plain\n\nforwarded, see attached\n" +
				"--M\nContent-Type: message/rfc822\nContent-Disposition: attachment\n\n" + tc.attached + "\n--M--\n"
			msg := header("Alice <alice@example.org>", "Fwd") + pgpMIME(encryptTo(t, k, k.alice, inner), "E")
			opts := bobReads(k)
			opts.KeepAttachmentData = true
			outer, err := Inspect([]byte(msg), opts)
			if err != nil {
				t.Fatalf("Inspect error = %v, want nil", err)
			}
			if !outer.IntegrityProtected || outer.Signature.Status != crypto.SigValid || !outer.Signature.SignerMatchesFrom {
				t.Fatalf("outer = integrity %v, signature %+v, want encrypted and signed by Alice", outer.IntegrityProtected, outer.Signature)
			}
			if strings.Contains(outer.BodyText, "from eve") || strings.Contains(outer.BodyText, "from carol") {
				t.Errorf("outer BodyText = %q, want the attached message's text left to its own window", outer.BodyText)
			}
			if len(outer.Attachments) != 1 || outer.Attachments[0].ContentType != "message/rfc822" {
				t.Fatalf("Attachments = %+v, want the attached message", outer.Attachments)
			}
			got, err := Inspect(outer.Attachments[0].Data, opts)
			if err != nil {
				t.Fatalf("Inspect(attached) error = %v, want nil", err)
			}
			if got.Encrypted || got.IntegrityProtected {
				t.Errorf("attached Encrypted, IntegrityProtected = %v, %v, want false: the parent's encryption is not its", got.Encrypted, got.IntegrityProtected)
			}
			if got.Signature.Status != tc.sig || got.Signature.SignerMatchesFrom != tc.match {
				t.Errorf("attached Signature = %+v, want %s (matching its From: %v) by its own key only", got.Signature, tc.sig, tc.match)
			}
			if tc.sig == crypto.SigValid && got.Signature.SignerFingerprint != k.eve.Fingerprint() {
				t.Errorf("attached signer = %s, want Eve's key", got.Signature.SignerFingerprint)
			}
		})
	}
}
