package imapsync

import (
	"context"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/sealpost/sealpost/mail/testservers"
)

const benchMessages = 2000

// benchServers runs fn against an in-memory server and (where it can run)
// Dovecot, each with an INBOX of benchMessages messages of 2 to 5 KB.
func benchServers(b *testing.B, fn func(b *testing.B, srv *testServer)) {
	for _, name := range []string{"memserver", "dovecot"} {
		b.Run(name, func(b *testing.B) {
			var srv *testServer
			if name == "dovecot" {
				s := testservers.StartDovecot(b)
				srv = &testServer{name: name, addr: s.IMAPTLS, tls: s.TLSConfig(), user: testUser, pass: s.Users[testUser], condStore: true}
			} else {
				srv = startMemServer(b, memCaps)
			}
			fill(b, srv.admin(b), "INBOX", 1, benchMessages, 2500)
			fn(b, srv)
		})
	}
}

// BenchmarkFullSync syncs the whole INBOX into an empty profile over TLS.
func BenchmarkFullSync(b *testing.B) {
	benchServers(b, func(b *testing.B, srv *testServer) {
		ctx := context.Background()
		for b.Loop() {
			b.StopTimer()
			st := newStore(b)
			s := newSyncer(b, st, srv.connector("", nil), func(o *Options) { o.BatchSize, o.InFlight = 0, 0 })
			b.StartTimer()
			if err := s.SyncFolder(ctx, "INBOX"); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			_ = s.Close()
			_ = st.Close()
			b.StartTimer()
		}
	})
}

// BenchmarkHeadersOnlySync syncs the summaries of the whole INBOX, without
// raw messages, into an empty profile.
func BenchmarkHeadersOnlySync(b *testing.B) {
	benchServers(b, func(b *testing.B, srv *testServer) {
		ctx := context.Background()
		for b.Loop() {
			b.StopTimer()
			st := newStore(b)
			s := newSyncer(b, st, srv.connector("", nil), func(o *Options) {
				o.BatchSize, o.InFlight, o.HeadersOnly = 0, 0, true
			})
			b.StartTimer()
			if err := s.SyncFolder(ctx, "INBOX"); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			_ = s.Close()
			_ = st.Close()
			b.StartTimer()
		}
	})
}

// BenchmarkNoChangeResync syncs an up-to-date INBOX again.
func BenchmarkNoChangeResync(b *testing.B) {
	benchServers(b, func(b *testing.B, srv *testServer) {
		ctx := context.Background()
		st := newStore(b)
		s := newSyncer(b, st, srv.connector("", nil), func(o *Options) { o.BatchSize, o.InFlight = 0, 0 })
		if err := s.SyncFolder(ctx, "INBOX"); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if err := s.SyncFolder(ctx, "INBOX"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkRawFetchLimit is the reference for BenchmarkFullSync: a new
// connection that fetches what the sync needs, in the same batches, with
// the same commands in flight, and throws it away.
func BenchmarkRawFetchLimit(b *testing.B) {
	benchServers(b, func(b *testing.B, srv *testServer) {
		ctx := context.Background()
		s := &Syncer{opts: Options{}}
		for b.Loop() {
			c, _, err := srv.connector("", nil)(ctx, nil)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := c.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
				b.Fatal(err)
			}
			var inflight []*imapclient.FetchCommand
			for start := 1; start <= benchMessages; start += DefaultBatchSize {
				set := imap.UIDSet{imap.UIDRange{Start: imap.UID(start), Stop: imap.UID(min(start+DefaultBatchSize-1, benchMessages))}}
				inflight = append(inflight, c.Fetch(set, s.fetchOptions(true)))
			}
			done := make(chan error, len(inflight))
			for _, cmd := range inflight {
				go func() {
					_, err := cmd.Collect()
					done <- err
				}()
			}
			for range inflight {
				if err := <-done; err != nil {
					b.Fatal(err)
				}
			}
			_ = c.Close()
		}
	})
}
