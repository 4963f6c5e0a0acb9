package imapsync

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/sealpost/sealpost/localstore"
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

// Mail stored before summaries carried thread headers gets them with the
// next sync, once per folder.
func TestSyncFillsThreadHeadersOfOldMail(t *testing.T) {
	srv := startMemServer(t, memCaps)
	admin := srv.admin(t)
	appendMsg(t, admin, "INBOX", []byte("From: a@example.test\r\nSubject: plan\r\nMessage-ID: <a@h>\r\n\r\nhi\r\n"))
	appendMsg(t, admin, "INBOX", []byte("From: b@example.test\r\nSubject: Re: plan\r\nMessage-ID: <b@h>\r\n"+
		"In-Reply-To: <a@h>\r\nReferences: <a@h>\r\n\r\nyes\r\n"))
	st := newStore(t)
	s := newSyncer(t, st, srv.connector("", nil), nil)
	ctx := context.Background()
	if err := s.SyncFolder(ctx, "INBOX"); err != nil {
		t.Fatal(err)
	}
	// Make it look like an older Sealpost stored it.
	sum, _ := summaryByID(t, st, "INBOX", "b@h")
	sum.InReplyTo, sum.References = "", nil
	if err := st.Messages().PutSummaries(testUser, "INBOX", []localstore.Summary{sum}); err != nil {
		t.Fatal(err)
	}
	rec, err := st.Folders().Get(testUser, "INBOX")
	if err != nil || !rec.ThreadHeaders {
		t.Fatalf("after a sync: ThreadHeaders %v, %v; want set", rec.ThreadHeaders, err)
	}
	rec.ThreadHeaders = false
	if err := st.Folders().Put(rec); err != nil {
		t.Fatal(err)
	}
	if err := s.SyncFolder(ctx, "INBOX"); err != nil {
		t.Fatal(err)
	}
	sum, _ = summaryByID(t, st, "INBOX", "b@h")
	if sum.InReplyTo != "a@h" || !slices.Equal(sum.References, []string{"a@h"}) || sum.Subject != "Re: plan" {
		t.Errorf("filled in: %+v, want In-Reply-To a@h and References [a@h], the rest kept", sum)
	}
	if rec, _ := st.Folders().Get(testUser, "INBOX"); !rec.ThreadHeaders {
		t.Error("ThreadHeaders not set after filling in")
	}
}

func TestThreadHeadersOf(t *testing.T) {
	h := threadHeadersOf([]byte("In-Reply-To: <b@h> <c@h>\r\nReferences: <a@h> <b@h>\r\n\r\n"))
	if h.InReplyTo != "b@h" || !slices.Equal(h.References, []string{"a@h", "b@h"}) {
		t.Errorf("threadHeadersOf = %+v", h)
	}
	if h := threadHeadersOf([]byte("In-Reply-To: your message of Monday\r\n\r\n")); h.InReplyTo != "" {
		t.Errorf("free text In-Reply-To gave %q", h.InReplyTo)
	}
}
