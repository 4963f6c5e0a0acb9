package mail

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail/backend"
	"github.com/sealpost/sealpost/mail/testservers"
)

// TestSyncIndexesAsItStores syncs plain and encrypted mail from Dovecot and
// checks, without any indexing run of its own, that the sync stored every
// message with its search record, showed the protected subject, learnt the
// sender's Autocrypt state and left no backlog; then that a headers-only
// sync indexes the summaries and a body fetched later is indexed again.
func TestSyncIndexesAsItStores(t *testing.T) {
	srv := testservers.Start(t)
	alice, bob := "alice@"+srv.Domain, "bob@"+srv.Domain
	pa := profileWithAccount(t, srv, alice, false)
	pb := profileWithAccount(t, srv, bob, false)
	exchangeKeys(t, pa, alice, pb, bob)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := pa.Outbox().Send(ctx, alice, backend.Draft{To: []string{bob}, Subject: "Merger plans", Body: "The password is tangerine.\n"}, backend.Security{}); err != nil {
		t.Fatalf("send encrypted: %v", err)
	}
	if _, err := pa.Outbox().Send(ctx, alice, backend.Draft{To: []string{bob}, Subject: "Fruit order", Body: "Twelve crates of kumquats.\n"}, backend.Security{Mode: ModeSign}); err != nil {
		t.Fatalf("send signed: %v", err)
	}
	srv.WaitForMessages(t, bob, "INBOX", 2, 30*time.Second)

	search := func(p *Profile, text string) []string {
		t.Helper()
		// searchIndexed scans the index as it is: no indexing run first.
		got, err := p.index.search(ctx, SearchQuery{Account: bob, Text: text}, searchWords(text))
		if err != nil {
			t.Fatalf("search %q: %v", text, err)
		}
		var subjects []string
		for _, s := range got {
			subjects = append(subjects, s.Subject)
		}
		slices.Sort(subjects)
		return subjects
	}
	noBacklog := func(p *Profile, when string) {
		t.Helper()
		if _, pending, err := p.store.SearchIndex().Backlog(bob); err != nil || pending {
			t.Errorf("%s: backlog pending = %v, %v; want none", when, pending, err)
		}
	}

	if err := pb.Syncer().Sync(ctx, SyncRequest{Folder: "INBOX"}); err != nil {
		t.Fatal(err)
	}
	noBacklog(pb, "after the sync")
	if got, want := search(pb, "tangerine"), []string{"Merger plans"}; !slices.Equal(got, want) {
		t.Errorf("search inside the encrypted mail: got = %q, want %q", got, want)
	}
	if got, want := search(pb, "kumquats"), []string{"Fruit order"}; !slices.Equal(got, want) {
		t.Errorf("search inside the signed mail: got = %q, want %q", got, want)
	}
	if _, err := pb.store.Peers().Get(alice); err != nil {
		t.Errorf("alice's Autocrypt state at bob: %v, want it learnt from the new mail", err)
	}

	// Headers only: the summaries are indexed; a body fetched later is
	// indexed with the next run.
	pc := profileWithAccount(t, srv, bob, false)
	if err := pc.Syncer().Sync(ctx, SyncRequest{Folder: "INBOX", HeadersOnly: true}); err != nil {
		t.Fatal(err)
	}
	noBacklog(pc, "after the headers-only sync")
	if got := search(pc, "kumquats"); len(got) != 0 {
		t.Errorf("headers only: search for a body word: got = %q, want nothing", got)
	}
	if got, want := search(pc, "fruit"), []string{"Fruit order"}; !slices.Equal(got, want) {
		t.Errorf("headers only: search for a subject word: got = %q, want %q", got, want)
	}
	sums, err := pc.Messages().List(bob, "INBOX", 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sums {
		if s.Subject == "Fruit order" {
			if _, err := pc.Messages().Raw(t.Context(), bob, "INBOX", s.UID); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, pending, err := pc.store.SearchIndex().Backlog(bob); err != nil || !pending {
		t.Errorf("after a body was fetched: backlog pending = %v, %v; want pending", pending, err)
	}
	if err := pc.Index().Update(ctx, bob, nil); err != nil {
		t.Fatal(err)
	}
	noBacklog(pc, "after indexing")
	if got, want := search(pc, "kumquats"), []string{"Fruit order"}; !slices.Equal(got, want) {
		t.Errorf("after the body was fetched and indexed: got = %q, want %q", got, want)
	}
}

// TestIndexNewShowsOnlyVerifiedProtection checks the sync's Index hook on
// a batch: the protected subject of mail that decrypts goes into its
// summary, mail that does not decrypt keeps its placeholder and is marked
// unreadable, and a summary without a body is indexed from the summary.
func TestIndexNewShowsOnlyVerifiedProtection(t *testing.T) {
	alice, bob := keyedPair(t)
	enc := compose(t, alice, searchAlice, backend.Draft{To: []string{searchAlice}, Subject: "Quarterly plans", Body: "zanzibar\n"}, ModeEncrypt)
	foreign := compose(t, bob, "bob@example.net", backend.Draft{To: []string{"bob@example.net"}, Subject: "Bob's notes", Body: "marzipan\n"}, ModeEncrypt)
	sums := []localstore.Summary{
		{UID: 1, Subject: "[...]", Encrypted: true},
		{UID: 2, Subject: "[...]", Encrypted: true},
		{UID: 3, Subject: "Travel receipt", RawOmitted: true},
	}
	raws := []localstore.RawMessage{{UID: 2, Raw: foreign}, {UID: 1, Raw: enc}}
	docs, err := alice.index.indexNew(searchAlice, nil)("Archive", sums, raws)
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 3 {
		t.Fatalf("docs: got = %d, want 3", len(docs))
	}
	if sums[0].Subject != "Quarterly plans" || sums[1].Subject != "[...]" {
		t.Errorf("subjects: got = %q, %q; want the protected one shown only for the mail that decrypted", sums[0].Subject, sums[1].Subject)
	}
	for i, want := range []struct {
		hasBody, unreadable bool
		word                string
	}{{true, false, "zanzibar"}, {true, true, ""}, {false, false, "travel"}} {
		d := docs[i]
		if d.UID != sums[i].UID || d.HasBody != want.hasBody || d.Unreadable != want.unreadable || d.Of != (localstore.MessageIdentity{}) {
			t.Errorf("doc %d: got = UID %d, body %v, unreadable %v, of %+v; want UID %d, body %v, unreadable %v, no identity",
				i, d.UID, d.HasBody, d.Unreadable, d.Of, sums[i].UID, want.hasBody, want.unreadable)
		}
		if want.word != "" && !matchesAll(d.Text, [][]byte{[]byte(want.word)}) {
			t.Errorf("doc %d: text %q lacks %q", i, d.Text, want.word)
		}
	}
	if matchesAll(docs[1].Text, [][]byte{[]byte("marzipan")}) {
		t.Error("the undecryptable mail's record holds its body")
	}
}
