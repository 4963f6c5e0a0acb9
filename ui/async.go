package ui

import (
	"fmt"
	"os"
	"runtime/debug"
	"sync"

	"fyne.io/fyne/v2"
)

// onUI runs f on the Fyne UI goroutine. Every widget change that starts on
// another goroutine goes through here.
func onUI(f func()) { fyne.Do(f) }

// tasks runs work off the UI goroutine and hands each result back on it.
type tasks struct {
	running sync.WaitGroup
}

// run executes work on a new goroutine and then done(err) on the UI
// goroutine. A panic in work becomes an error instead of a crash.
func (t *tasks) run(work func() error, done func(error)) {
	t.running.Add(1)
	go func() {
		defer t.running.Done()
		var err error
		func() {
			defer func() {
				if r := recover(); r != nil {
					os.Stderr.Write(debug.Stack())
					err = fmt.Errorf("%w: %v", errInternal, r)
				}
			}()
			err = work()
		}()
		fyne.DoAndWait(func() { done(err) })
	}()
}

// wait blocks until every task started so far, and its UI update, is done.
func (t *tasks) wait() { t.running.Wait() }
