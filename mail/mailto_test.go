package mail

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/sealpost/sealpost/mail/backend"
)

func TestParseMailto(t *testing.T) {
	tests := []struct {
		name string
		link string
		want backend.Draft
	}{
		{"one address", "mailto:bob@example.net", backend.Draft{To: []string{"bob@example.net"}}},
		{"scheme in capitals", "MAILTO:bob@example.net", backend.Draft{To: []string{"bob@example.net"}}},
		{"two addresses, subject and a body with CRLF",
			"mailto:bob@example.net,carol@example.com?subject=Hello%20there&body=Line%201%0D%0ALine%202",
			backend.Draft{To: []string{"bob@example.net", "carol@example.com"}, Subject: "Hello there", Body: "Line 1\nLine 2"}},
		{"plus is a plus, not a space",
			"mailto:bob+lists@example.net?subject=1+1%3D2&body=a+b",
			backend.Draft{To: []string{"bob+lists@example.net"}, Subject: "1+1=2", Body: "a+b"}},
		{"percent-encoded plus", "mailto:?to=bob%2Btag@example.net", backend.Draft{To: []string{"bob+tag@example.net"}}},
		{"UTF-8 address, subject and body",
			"mailto:g%C3%BCnter@example.de?subject=Gr%C3%BC%C3%9Fe&body=%E2%9C%93%20ok",
			backend.Draft{To: []string{"günter@example.de"}, Subject: "Grüße", Body: "✓ ok"}},
		{"to, cc and bcc hfields, in order, with several addresses each",
			"mailto:ann@example.org?to=bob@example.net,carol@example.com&cc=dave@example.org&bcc=erin@example.org,frank@example.org&cc=gina@example.org",
			backend.Draft{To: []string{"ann@example.org", "bob@example.net", "carol@example.com"},
				Cc: []string{"dave@example.org", "gina@example.org"}, Bcc: []string{"erin@example.org", "frank@example.org"}}},
		{"hfield names in any case", "mailto:?TO=bob@example.net&Bcc=erin@example.org&SUBJECT=x",
			backend.Draft{To: []string{"bob@example.net"}, Bcc: []string{"erin@example.org"}, Subject: "x"}},
		{"unsafe hfields are ignored",
			"mailto:bob@example.net?from=evil@example.com&reply-to=x@evil.example&sender=s@evil.example&x-mailer=y&content-type=text/html&references=%3Ca@b%3E",
			backend.Draft{To: []string{"bob@example.net"}}},
		{"in-reply-to makes a reply", "mailto:list@example.org?in-reply-to=%3C3469A91.D10AF4C@example.com%3E",
			backend.Draft{To: []string{"list@example.org"}, InReplyTo: "3469A91.D10AF4C@example.com", References: []string{"3469A91.D10AF4C@example.com"}}},
		{"in-reply-to that is not a Message-ID", "mailto:list@example.org?in-reply-to=hello",
			backend.Draft{To: []string{"list@example.org"}}},
		{"the first subject and body count", "mailto:?subject=one&subject=two&body=a&body=b",
			backend.Draft{Subject: "one", Body: "a"}},
		{"a line break cannot leave the subject", "mailto:bob@example.net?subject=Hi%0D%0ABcc:%20spy@evil.example",
			backend.Draft{To: []string{"bob@example.net"}, Subject: "Hi  Bcc: spy@evil.example"}},
		{"display name", "mailto:?to=Bob%20Example%20%3Cbob@example.net%3E",
			backend.Draft{To: []string{"Bob Example <bob@example.net>"}}},
		{"quoted display name with a comma keeps the address only", "mailto:?cc=%22Example,%20Bob%22%20%3Cbob@example.net%3E",
			backend.Draft{Cc: []string{"bob@example.net"}}},
		{"an invalid address is kept for the user to see", "mailto:not-an-address,bob@example.net",
			backend.Draft{To: []string{"not-an-address", "bob@example.net"}}},
		{"empty link", "mailto:", backend.Draft{}},
		{"fragment is not part of the link", "mailto:bob@example.net#x?bcc=erin@example.org", backend.Draft{To: []string{"bob@example.net"}}},
		{"surrounding space", "  mailto:bob@example.net\n", backend.Draft{To: []string{"bob@example.net"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseMailto(tt.link)
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseMailto(%q) got = %#v, %v; want %#v", tt.link, got, err, tt.want)
			}
		})
	}
}

func TestParseMailtoRejects(t *testing.T) {
	tests := []struct {
		name string
		link string
		want error
	}{
		{"another scheme", "https://example.com", ErrNotMailto},
		{"no scheme", "bob@example.net", ErrNotMailto},
		{"too short", "mail", ErrNotMailto},
		{"broken escape in the address", "mailto:bob%zz@example.net", ErrBadMailto},
		{"broken escape in a value", "mailto:?subject=100%", ErrBadMailto},
		{"broken escape in a name", "mailto:?sub%jject=x", ErrBadMailto},
		{"not UTF-8", "mailto:?body=%FF%FE", ErrBadMailto},
		{"too long", "mailto:?body=" + strings.Repeat("a", MaxMailtoLen), ErrBadMailto},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := ParseMailto(tt.link); !errors.Is(err, tt.want) {
				t.Errorf("ParseMailto(%.60q) got = %+v, %v; want %v", tt.link, got, err, tt.want)
			}
		})
	}
}

// FuzzParseMailto: no link makes the parser panic, and what it returns
// never holds a line break outside the body.
func FuzzParseMailto(f *testing.F) {
	for _, s := range []string{"mailto:bob@example.net?subject=a+b&body=c%0D%0Ad", "mailto:?bcc=x@y&in-reply-to=%3Ca@b%3E", "mailto:%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, link string) {
		d, err := ParseMailto(link)
		if err != nil {
			return
		}
		for _, v := range append(append(append([]string{d.Subject, d.InReplyTo}, d.To...), d.Cc...), d.Bcc...) {
			if strings.ContainsAny(v, "\r\n") {
				t.Errorf("ParseMailto(%q): %q holds a line break", link, v)
			}
		}
	})
}
