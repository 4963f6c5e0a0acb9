package imapsync

import (
	"slices"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

func TestSummaryOf(t *testing.T) {
	date := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	got := summaryOf(&imapclient.FetchMessageBuffer{
		UID: 42, Flags: []imap.Flag{imap.FlagSeen}, RFC822Size: 1234, InternalDate: date,
		Envelope: &imap.Envelope{
			Subject: "Q3 numbers", MessageID: "id@example.test", Date: date,
			From: []imap.Address{{Name: "Bob Example", Mailbox: "bob", Host: "example.net"}},
			To:   []imap.Address{{Mailbox: "alice", Host: "example.org"}, {Mailbox: "carol", Host: "example.org"}},
		},
	})
	if got.UID != 42 || got.Size != 1234 || got.Subject != "Q3 numbers" || got.MessageID != "id@example.test" ||
		!got.Date.Equal(date) || !got.InternalDate.Equal(date) || !slices.Equal(got.Flags, []string{`\Seen`}) {
		t.Errorf("summaryOf = %+v, want the fetched values", got)
	}
	if want := "Bob Example <bob@example.net>"; got.From != want {
		t.Errorf("From = %q, want %q", got.From, want)
	}
	if want := "alice@example.org, carol@example.org"; got.To != want {
		t.Errorf("To = %q, want %q", got.To, want)
	}
}

func TestStructureFacts(t *testing.T) {
	text := &imap.BodyStructureSinglePart{Type: "text", Subtype: "plain"}
	pdf := &imap.BodyStructureSinglePart{Type: "application", Subtype: "pdf",
		Extended: &imap.BodyStructureSinglePartExt{Disposition: &imap.BodyStructureDisposition{Value: "attachment", Params: map[string]string{"filename": "a.pdf"}}}}
	inlineImg := &imap.BodyStructureSinglePart{Type: "image", Subtype: "png", Params: map[string]string{"name": "logo.png"},
		Extended: &imap.BodyStructureSinglePartExt{Disposition: &imap.BodyStructureDisposition{Value: "inline"}}}
	sig := &imap.BodyStructureSinglePart{Type: "application", Subtype: "pgp-signature", Params: map[string]string{"name": "signature.asc"}}
	tests := []struct {
		name                   string
		bs                     imap.BodyStructure
		attach, encrypt, signs bool
	}{
		{"plain text", text, false, false, false},
		{"mixed with attachment", &imap.BodyStructureMultiPart{Subtype: "mixed", Children: []imap.BodyStructure{text, pdf}}, true, false, false},
		{"inline image", &imap.BodyStructureMultiPart{Subtype: "related", Children: []imap.BodyStructure{text, inlineImg}}, false, false, false},
		{"pgp signed", &imap.BodyStructureMultiPart{Subtype: "signed", Children: []imap.BodyStructure{text, sig}}, false, false, true},
		{"pgp encrypted", &imap.BodyStructureMultiPart{Subtype: "encrypted", Children: []imap.BodyStructure{
			&imap.BodyStructureSinglePart{Type: "application", Subtype: "pgp-encrypted"},
			&imap.BodyStructureSinglePart{Type: "application", Subtype: "octet-stream", Params: map[string]string{"name": "encrypted.asc"}},
		}}, false, true, false},
		{"pgp encrypted, protocol sent", &imap.BodyStructureMultiPart{Subtype: "encrypted", Children: []imap.BodyStructure{
			&imap.BodyStructureSinglePart{Type: "application", Subtype: "pgp-encrypted"},
			&imap.BodyStructureSinglePart{Type: "application", Subtype: "octet-stream"},
		}, Extended: &imap.BodyStructureMultiPartExt{Params: map[string]string{"protocol": "application/pgp-encrypted"}}}, false, true, false},
		{"another protocol", &imap.BodyStructureMultiPart{Subtype: "encrypted", Children: []imap.BodyStructure{
			&imap.BodyStructureSinglePart{Type: "application", Subtype: "pgp-encrypted"},
			&imap.BodyStructureSinglePart{Type: "application", Subtype: "octet-stream"},
		}, Extended: &imap.BodyStructureMultiPartExt{Params: map[string]string{"protocol": "application/x-other"}}}, false, false, false},
		{"encrypted without the version part", &imap.BodyStructureMultiPart{Subtype: "encrypted", Children: []imap.BodyStructure{
			&imap.BodyStructureSinglePart{Type: "application", Subtype: "octet-stream", Params: map[string]string{"name": "x.asc"}},
		}}, false, false, false},
		{"s/mime is not OpenPGP encryption", &imap.BodyStructureSinglePart{Type: "application", Subtype: "pkcs7-mime"}, false, false, false},
		{"s/mime with a name", &imap.BodyStructureSinglePart{Type: "application", Subtype: "x-pkcs7-mime", Params: map[string]string{"name": "smime.p7m"}}, false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, e, s := structureFacts(tt.bs)
			if a != tt.attach || e != tt.encrypt || s != tt.signs {
				t.Errorf("structureFacts = attachments %v, encrypted %v, signed %v; want %v, %v, %v", a, e, s, tt.attach, tt.encrypt, tt.signs)
			}
		})
	}
}

func TestUIDSet(t *testing.T) {
	tests := []struct {
		name string
		in   []imap.UID
		want string
	}{
		{"empty", nil, ""},
		{"single", []imap.UID{7}, "7"},
		{"ranges", []imap.UID{1, 2, 3, 5, 8, 9}, "1:3,5,8:9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := uidSet(tt.in).String(); got != tt.want {
				t.Errorf("uidSet(%v) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestPlanJobs(t *testing.T) {
	sizes := []int64{100, 100, 5000, 100, 700, 700, 100}
	var list []*imapclient.FetchMessageBuffer
	for i, size := range sizes {
		list = append(list, &imapclient.FetchMessageBuffer{UID: imap.UID(i + 1), RFC822Size: size})
	}
	tests := []struct {
		name string
		opts Options
		want []string // UID set, "+" for jobs with bodies
	}{
		{"batch size", Options{BatchSize: 3, BatchBytes: 1 << 20, MaxRawSize: 1 << 20}, []string{"+1:3", "+4:6", "+7"}},
		{"size cap", Options{BatchSize: 10, BatchBytes: 1 << 20, MaxRawSize: 1000}, []string{"+1:2", "3", "+4:7"}},
		{"batch bytes", Options{BatchSize: 10, BatchBytes: 1000, MaxRawSize: -1}, []string{"+1:2", "+3", "+4:5", "+6:7"}},
		{"headers only", Options{BatchSize: 4, BatchBytes: 1000, HeadersOnly: true}, []string{"1:4", "5:7"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &Syncer{opts: tt.opts}
			var got []string
			for _, j := range s.planJobs(list) {
				prefix := ""
				if j.body {
					prefix = "+"
				}
				got = append(got, prefix+j.uids.String())
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("planJobs = %q, want %q", got, tt.want)
			}
		})
	}
}
