package imapsync

import (
	"context"
	"errors"
	"testing"
	"time"
)

// waitTimeout bounds every wait for an event in these tests.
const waitTimeout = 20 * time.Second

func TestWatch(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *testServer) {
		admin := srv.admin(t)
		proxy := startProxy(t, srv.addr)
		st := newStore(t)
		progress := make(chan Progress, 256)
		idling := make(chan struct{}, 256)
		failures := make(chan error, 256)
		s := newSyncer(t, st, srv.connector(proxy.addr(), nil), func(o *Options) {
			o.Progress = func(p Progress) { progress <- p }
			o.IdleRestart = 50 * time.Millisecond
			o.RetryMin, o.RetryMax = 5*time.Millisecond, 20*time.Millisecond
			o.WatchError = func(err error) { failures <- err }
			o.Idling = func() { idling <- struct{}{} }
		})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- s.Watch(ctx) }()

		waitIdle := func(what string) {
			t.Helper()
			select {
			case <-idling:
			case err := <-done:
				t.Fatalf("%s: Watch returned %v", what, err)
			case <-time.After(waitTimeout):
				t.Fatalf("%s: no IDLE within %v", what, waitTimeout)
			}
		}
		drain := func() {
			for {
				select {
				case <-idling:
				default:
					return
				}
			}
		}
		arrives := func(i int) {
			t.Helper()
			appendMsg(t, admin, "INBOX", testMessage(i, 400))
			deadline := time.After(waitTimeout)
			for {
				select {
				case p := <-progress:
					if p.Folder == "INBOX" && p.Done == p.Total && p.Total > 0 {
						if _, ok := summaryByID(t, st, "INBOX", msgID(i)); ok {
							return
						}
					}
				case err := <-done:
					t.Fatalf("message %d: Watch returned %v", i, err)
				case <-deadline:
					t.Fatalf("message %d did not reach the store within %v", i, waitTimeout)
				}
			}
		}

		waitIdle("start")
		arrives(1)

		// With no mail, IDLE is re-issued every IdleRestart.
		drain()
		waitIdle("first restart")
		waitIdle("second restart")

		// A lost connection is re-established, and mail keeps arriving.
		proxy.closeAll()
		drain()
		waitIdle("after reconnect")
		select {
		case err := <-failures:
			if !errors.Is(err, ErrConnectionLost) {
				t.Errorf("reported failure = %v, want ErrConnectionLost", err)
			}
		default:
			t.Error("the lost connection was not reported to WatchError")
		}
		arrives(2)

		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Watch after cancel = %v, want context.Canceled", err)
			}
		case <-time.After(waitTimeout):
			t.Fatal("Watch did not return after cancel")
		}
	})
}
