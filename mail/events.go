package mail

import (
	"context"
	"sync"
	"time"

	"github.com/sealpost/sealpost/mail/backend"
)

// eventBuffer is how many events one subscriber may fall behind before
// events are dropped (and counted) for it.
const eventBuffer = 256

// eventBus fans the sessions' events out to subscribers. Publishing never
// blocks: a subscriber whose buffer is full misses the event, and the next
// event it receives carries the number it missed. It also keeps the latest
// connection event of each account for ConnectionStates.
type eventBus struct {
	now func() time.Time

	mu     sync.Mutex
	subs   map[*subscriber]struct{}
	states map[string]backend.Event
}

type subscriber struct {
	ch     chan backend.Event
	missed int // guarded by eventBus.mu
}

func newEventBus(now func() time.Time) *eventBus {
	return &eventBus{now: now, subs: map[*subscriber]struct{}{}, states: map[string]backend.Event{}}
}

// subscribe returns a channel of the events published from now on, closed
// when ctx is done.
func (b *eventBus) subscribe(ctx context.Context) <-chan backend.Event {
	s := &subscriber{ch: make(chan backend.Event, eventBuffer)}
	b.mu.Lock()
	b.subs[s] = struct{}{}
	b.mu.Unlock()
	context.AfterFunc(ctx, func() {
		b.mu.Lock()
		delete(b.subs, s)
		close(s.ch)
		b.mu.Unlock()
	})
	return s.ch
}

// publish stamps ev and hands it to every subscriber without waiting.
func (b *eventBus) publish(ev backend.Event) {
	if ev.Time.IsZero() {
		ev.Time = b.now()
	}
	if ev.RetryIn > 0 {
		ev.RetrySeconds = int((ev.RetryIn + time.Second - 1) / time.Second)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if ev.Kind == backend.EventConnection && ev.Account != "" {
		if ev.State == backend.ConnStopped {
			delete(b.states, ev.Account)
		} else {
			b.states[ev.Account] = ev
		}
	}
	for s := range b.subs {
		out := ev
		out.Missed = s.missed
		select {
		case s.ch <- out:
			s.missed = 0
		default:
			s.missed++
		}
	}
}

// connectionStates returns the latest connection event of each account.
func (b *eventBus) connectionStates() map[string]backend.Event {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make(map[string]backend.Event, len(b.states))
	for k, v := range b.states {
		out[k] = v
	}
	return out
}
