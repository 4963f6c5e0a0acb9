package imapsync

import (
	"context"
	"slices"
	"strings"
	"testing"
)

func TestReferencesOf(t *testing.T) {
	long := make([]string, 30)
	for i := range long {
		long[i] = "<r" + strings.Repeat("x", i) + "@h>"
	}
	tests := []struct {
		name, header string
		want         []string
	}{
		{"none", "", nil},
		{"one", "References: <a@h>\r\n\r\n", []string{"a@h"}},
		{"folded", "References: <a@h>\r\n <b@h>\r\n\t<c@h>\r\n\r\n", []string{"a@h", "b@h", "c@h"}},
		{"header absent", "\r\n", nil},
		{"garbage", "References: not an id\r\n\r\n", nil},
		{"long list keeps root and newest", "References: " + strings.Join(long, " ") + "\r\n\r\n",
			append([]string{"r@h"}, trimmed(long[len(long)-maxReferences+1:])...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := referencesOf([]byte(tt.header)); !slices.Equal(got, tt.want) {
				t.Errorf("referencesOf = %q, want %q", got, tt.want)
			}
		})
	}
}

func trimmed(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = strings.Trim(id, "<>")
	}
	return out
}

// The sync stores In-Reply-To and References, with or without the bodies.
func TestSyncStoresThreadHeaders(t *testing.T) {
	for _, headersOnly := range []bool{false, true} {
		srv := startMemServer(t, memCaps)
		admin := srv.admin(t)
		appendMsg(t, admin, "INBOX", []byte("From: b@example.test\r\nSubject: Re: plan\r\nMessage-ID: <c@h>\r\n"+
			"In-Reply-To: <b@h>\r\nReferences: <a@h>\r\n <b@h>\r\n\r\nyes\r\n"))
		st := newStore(t)
		s := newSyncer(t, st, srv.connector("", nil), func(o *Options) { o.HeadersOnly = headersOnly })
		if err := s.SyncFolder(context.Background(), "INBOX"); err != nil {
			t.Fatal(err)
		}
		sum, ok := summaryByID(t, st, "INBOX", "c@h")
		if !ok {
			t.Fatal("message not stored")
		}
		if sum.InReplyTo != "b@h" || !slices.Equal(sum.References, []string{"a@h", "b@h"}) {
			t.Errorf("headers only %v: In-Reply-To %q, References %q; want b@h, [a@h b@h]", headersOnly, sum.InReplyTo, sum.References)
		}
	}
}
