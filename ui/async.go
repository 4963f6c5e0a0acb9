package ui

import (
	"context"
	"fmt"
	"os"
	"runtime/debug"
	"sync"

	"fyne.io/fyne/v2"
)

// tasks runs work off the UI goroutine and hands each result back on it.
// It is the one place where results cross to the UI goroutine.
type tasks struct {
	running sync.WaitGroup

	// queued, when not nil, replaces fyne.Do: UI updates wait in it until
	// wait runs them on the goroutine that calls wait. Tests use it so that
	// updates never run concurrently with the test's own taps and typing,
	// just as a real event loop runs them one at a time.
	mu     sync.Mutex
	queued *[]func()
	// queuedSignal, in tests, receives a signal whenever an update is
	// queued, so a test can wait for updates from goroutines it does not
	// start (the event stream).
	queuedSignal chan struct{}
}

// run executes work(ctx) on a new goroutine and then done(err) on the UI
// goroutine. A panic in work becomes an error instead of a crash. When ctx
// is already done, work does not run and done gets ctx's error.
func (t *tasks) run(ctx context.Context, work func(ctx context.Context) error, done func(error)) {
	t.running.Add(1)
	go func() {
		defer t.running.Done()
		err := ctx.Err()
		if err == nil {
			func() {
				defer func() {
					if r := recover(); r != nil {
						os.Stderr.Write(debug.Stack())
						err = fmt.Errorf("%w: %v", errInternal, r)
					}
				}()
				err = work(ctx)
			}()
		}
		t.do(func() { done(err) })
	}()
}

// do runs f on the UI goroutine and returns when it has run (or, in
// tests, when it is queued).
func (t *tasks) do(f func()) {
	t.mu.Lock()
	if t.queued != nil {
		*t.queued = append(*t.queued, f)
		t.mu.Unlock()
		select {
		case t.queuedSignal <- struct{}{}:
		default:
		}
		return
	}
	t.mu.Unlock()
	fyne.DoAndWait(f)
}

// queueUpdates makes UI updates wait for wait (tests only).
func (t *tasks) queueUpdates() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.queued = new([]func())
	t.queuedSignal = make(chan struct{}, 1)
}

// wait blocks until every task started so far, and its UI update, is done,
// including tasks that those updates start.
func (t *tasks) wait() {
	for {
		t.running.Wait()
		t.mu.Lock()
		var q []func()
		if t.queued != nil {
			q, *t.queued = *t.queued, nil
		}
		t.mu.Unlock()
		if len(q) == 0 {
			return
		}
		for _, f := range q {
			f()
		}
	}
}

// afterEvent runs f on the UI goroutine once the event being handled is
// done (in tests: at the next wait). Call it on the UI goroutine.
func (t *tasks) afterEvent(f func()) {
	t.mu.Lock()
	queued := t.queued != nil
	t.mu.Unlock()
	if queued {
		t.do(f)
		return
	}
	fyne.Do(f)
}
