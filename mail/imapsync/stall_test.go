package imapsync

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/sealpost/sealpost/mail/stalltest"
	"github.com/sealpost/sealpost/mail/transport"
)

// guardedConnector logs in through the proxy with DialIMAP, so that the
// connections have mail/transport's stall guard, and counts the dials.
func guardedConnector(p *stalltest.Proxy, stall time.Duration, dials *atomic.Int32) Connector {
	return func(ctx context.Context, opts *imapclient.Options) (*imapclient.Client, Link, error) {
		dials.Add(1)
		conn, _, err := transport.DialIMAP(ctx, stalltest.Host, p.Port, transport.SecurityTLS,
			transport.Policy{RootCAs: p.Roots, StallTimeout: stall})
		if err != nil {
			return nil, nil, err
		}
		c := imapclient.New(conn, opts)
		if err := c.Login(testUser, testPass).Wait(); err != nil {
			_ = c.Close()
			return nil, nil, err
		}
		return c, conn, nil
	}
}

// stallingServer starts an IMAP server with n messages in INBOX behind a
// proxy with rule.
func stallingServer(t *testing.T, n int, rule stalltest.Rule) *stalltest.Proxy {
	t.Helper()
	srv := stalltest.StartIMAP(t, testUser, testPass)
	for i := range n {
		if _, err := srv.User.Append("INBOX", bytes.NewReader(testMessage(i, 2000)), &imap.AppendOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	return stalltest.Start(t, srv.Addr, rule)
}

// assertStallError checks that err is the stall of a broken connection, in
// words a user can act on.
func assertStallError(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, transport.ErrServerStalled) || !errors.Is(err, ErrConnectionLost) {
		t.Fatalf("error = %v, want ErrServerStalled and ErrConnectionLost", err)
	}
	if msg := err.Error(); !strings.HasPrefix(msg, "IMAP server "+stalltest.Host) || !strings.Contains(msg, "stopped responding") {
		t.Errorf("error = %q, want it to start with the server and say it stopped responding", msg)
	}
}

// TestSyncOfStalledServerFails: a server that stops answering in the middle
// of a folder's sync fails the sync with ErrServerStalled after the stall
// timeout, on the parked connection, without a second try that would make
// the user wait twice as long.
func TestSyncOfStalledServerFails(t *testing.T) {
	tests := []struct {
		name string
		rule stalltest.Rule
	}{
		{"before the reply", stalltest.Rule{After: " FETCH "}},
		{"in the middle of the reply", stalltest.Rule{After: " FETCH ", Pass: 300}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := stallingServer(t, 3, tt.rule)
			var dials atomic.Int32
			s := newSyncer(t, newStore(t), guardedConnector(p, time.Second, &dials), nil)
			ctx := context.Background()
			if _, err := s.SyncFolders(ctx); err != nil {
				t.Fatal(err)
			}
			errc := make(chan error, 1)
			go func() { errc <- s.SyncFolder(ctx, "INBOX") }()
			select {
			case err := <-errc:
				assertStallError(t, err)
			case <-time.After(waitTimeout):
				t.Fatalf("SyncFolder still runs after %v: it hangs", waitTimeout)
			}
			if n := dials.Load(); n != 1 {
				t.Errorf("dialled %d times, want 1 (the parked connection, no retry)", n)
			}
		})
	}
}

// runWatch runs s.Watch until the test ends and returns the channel that
// gets its result.
func runWatch(t *testing.T, s *Syncer) <-chan error {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		done <- s.Watch(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-finished
	})
	return done
}

// TestWatchIdlesLongerThanTheStallTimeout: IDLE is silent for several stall
// timeouts without failing, because Watch marks its connection idle, and it
// is re-issued (the keepalive) on the same connection.
func TestWatchIdlesLongerThanTheStallTimeout(t *testing.T) {
	const stall = 250 * time.Millisecond
	p := stallingServer(t, 1, stalltest.Rule{})
	var dials atomic.Int32
	idling := make(chan struct{}, 16)
	failures := make(chan error, 16)
	s := newSyncer(t, newStore(t), guardedConnector(p, stall, &dials), func(o *Options) {
		o.IdleRestart = 3 * stall
		o.Idling = func() { idling <- struct{}{} }
		o.WatchError = func(err error) { failures <- err }
	})
	done := runWatch(t, s)
	for i := range 4 { // the first IDLE and three restarts
		select {
		case <-idling:
		case err := <-failures:
			t.Fatalf("IDLE %d: Watch failed: %v", i, err)
		case err := <-done:
			t.Fatalf("IDLE %d: Watch returned %v", i, err)
		case <-time.After(waitTimeout):
			t.Fatalf("IDLE %d did not start within %v", i, waitTimeout)
		}
	}
	select {
	case err := <-failures:
		t.Fatalf("Watch failed: %v", err)
	default:
	}
	if n := dials.Load(); n != 1 {
		t.Errorf("dialled %d times, want 1: IDLE kept one connection", n)
	}
}

// TestWatchFindsAServerThatDiedInIdle: a server that stops answering while
// the connection is in IDLE is found when IDLE is re-issued: the reply to
// DONE never comes, and Watch reports the stall.
func TestWatchFindsAServerThatDiedInIdle(t *testing.T) {
	p := stallingServer(t, 1, stalltest.Rule{After: "DONE\r\n"})
	var dials atomic.Int32
	failures := make(chan error, 16)
	s := newSyncer(t, newStore(t), guardedConnector(p, 500*time.Millisecond, &dials), func(o *Options) {
		o.IdleRestart = 300 * time.Millisecond
		o.RetryMin, o.RetryMax = time.Minute, time.Minute // one failure is enough here
		o.WatchError = func(err error) { failures <- err }
	})
	done := runWatch(t, s)
	select {
	case err := <-failures:
		assertStallError(t, err)
	case err := <-done:
		t.Fatalf("Watch returned %v", err)
	case <-time.After(waitTimeout):
		t.Fatalf("no failure reported within %v: the dead server went unnoticed", waitTimeout)
	}
	select {
	case <-p.Stalled():
	default:
		t.Fatal("the proxy never stalled")
	}
}
