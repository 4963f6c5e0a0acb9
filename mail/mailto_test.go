package mail

import (
	"errors"
	"reflect"
	"testing"

	"github.com/sealpost/sealpost/mail/backend"
)

func TestParseMailto(t *testing.T) {
	tests := []struct {
		link string
		want backend.Draft
		err  error
	}{
		{"mailto:bob@example.net", backend.Draft{To: []string{"bob@example.net"}}, nil},
		{"mailto:bob@example.net,carol@example.com?subject=Hello%20there&body=Line%201%0D%0ALine%202",
			backend.Draft{To: []string{"bob@example.net", "carol@example.com"}, Subject: "Hello there", Body: "Line 1\nLine 2"}, nil},
		{"MAILTO:?to=bob@example.net&cc=dave@example.org&bcc=erin@example.org&from=evil@example.com&reply-to=x@evil.example",
			backend.Draft{To: []string{"bob@example.net"}, Cc: []string{"dave@example.org"}, Bcc: []string{"erin@example.org"}}, nil},
		{"mailto:g%C3%BCnter@example.de", backend.Draft{To: []string{"günter@example.de"}}, nil},
		{"https://example.com", backend.Draft{}, ErrNotMailto},
	}
	for _, tt := range tests {
		t.Run(tt.link, func(t *testing.T) {
			got, err := ParseMailto(tt.link)
			if !errors.Is(err, tt.err) || (err == nil && !reflect.DeepEqual(got, tt.want)) {
				t.Errorf("ParseMailto(%q) = %+v, %v; want %+v, %v", tt.link, got, err, tt.want, tt.err)
			}
		})
	}
}
