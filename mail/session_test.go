package mail_test

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail"
	"github.com/sealpost/sealpost/mail/backend"
	"github.com/sealpost/sealpost/mail/demo"
)

// eventWait bounds how long a test waits for one event.
const eventWait = 20 * time.Second

var sessionKDF = localstore.KDFParams{Time: 1, MemoryKiB: 8 * 1024, Threads: 1}

var sessionPass = []byte("session test passphrase")

// liveDemo sets up the demo (alice's profile with her account on the demo
// servers, already synchronised) and unlocks it in an engine that runs
// sessions, with short intervals. The subscription starts before the
// unlock, so no event is missed.
func liveDemo(t *testing.T, opts mail.SessionOptions) (*demo.Demo, *mail.Engine, <-chan backend.Event) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	d, err := demo.Setup(ctx, demo.Options{Dir: filepath.Join(t.TempDir(), "alice"), Passphrase: sessionPass,
		Store: &localstore.Options{KDF: &sessionKDF}})
	if err != nil {
		t.Fatalf("demo setup: %v", err)
	}
	t.Cleanup(func() { _ = d.Close() })
	e := mail.NewEngine(d.Dir, &mail.ProfileOptions{Sessions: &opts})
	subCtx, stop := context.WithCancel(context.Background())
	t.Cleanup(stop)
	events := e.Subscribe(subCtx)
	if err := e.Unlock(t.Context(), sessionPass); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Lock() })
	return d, e, events
}

// waitFor returns the first event that match accepts, failing the test
// after eventWait. Errors reported meanwhile are logged.
func waitFor(t *testing.T, events <-chan backend.Event, what string, match func(backend.Event) bool) backend.Event {
	t.Helper()
	deadline := time.NewTimer(eventWait)
	defer deadline.Stop()
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatalf("%s: the event stream ended", what)
			}
			t.Logf("event %s %s %s state=%s count=%d %s", ev.Kind, ev.Account, ev.Folder, ev.State, ev.Count, ev.Message)
			if match(ev) {
				return ev
			}
		case <-deadline.C:
			t.Fatalf("%s: no such event within %v", what, eventWait)
			return backend.Event{}
		}
	}
}

func online(ev backend.Event) bool {
	return ev.Kind == backend.EventConnection && ev.Account == demo.Alice && ev.State == backend.ConnOnline
}

func plainMessage(subject string) []byte {
	return []byte(fmt.Sprintf("From: Carol <carol@example.com>\r\nTo: %s\r\nSubject: %s\r\n"+
		"Date: Sat, 05 Dec 2026 12:00:00 +0000\r\nMessage-ID: <%d@example.com>\r\n\r\nHello.\r\n",
		demo.Alice, subject, time.Now().UnixNano()))
}

func TestSessionFetchesNewMailByItself(t *testing.T) {
	d, e, events := liveDemo(t, mail.SessionOptions{})
	waitFor(t, events, "online", online)

	if err := d.Servers.Deliver(demo.Alice, plainMessage("Arrives by itself")); err != nil {
		t.Fatal(err)
	}
	ev := waitFor(t, events, "new mail", func(ev backend.Event) bool {
		return ev.Kind == backend.EventNewMail && ev.Account == demo.Alice && ev.Folder == "INBOX"
	})
	if ev.Count != 1 || len(ev.UIDs) != 1 || ev.FirstSync {
		t.Fatalf("new mail event = %+v, want one new message, not a first sync", ev)
	}
	msgs, err := e.Messages(t.Context(), demo.Alice, "INBOX", 50)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(msgs, func(m backend.MessageSummary) bool { return m.UID == ev.UIDs[0] })
	if i < 0 || msgs[i].Subject != "Arrives by itself" {
		t.Fatalf("UID %d is not the delivered message in the list: %+v", ev.UIDs[0], msgs)
	}
	waitFor(t, events, "INBOX changed", func(ev backend.Event) bool {
		return ev.Kind == backend.EventFolderChanged && ev.Folder == "INBOX"
	})
	// The new mail is searchable: indexed by the session, not later.
	found, err := e.Search(context.Background(), backend.SearchQuery{Text: "arrives", Account: demo.Alice, Folder: "INBOX"}, nil)
	if err != nil || len(found) != 1 {
		t.Fatalf("search after new mail: %d results, %v; want 1", len(found), err)
	}
}

func TestSessionReplaysActionsPromptly(t *testing.T) {
	_, e, events := liveDemo(t, mail.SessionOptions{CheckInterval: time.Hour})
	waitFor(t, events, "online", online)
	msgs, err := e.Messages(t.Context(), demo.Alice, "INBOX", 50)
	if err != nil || len(msgs) == 0 {
		t.Fatalf("inbox: %d messages, %v", len(msgs), err)
	}
	if err := e.Delete(t.Context(), demo.Alice, "INBOX", []uint32{msgs[0].UID}); err != nil {
		t.Fatal(err)
	}
	// The periodic check is an hour away: only the replay can bring the
	// message into the server's Trash and from there into the local one.
	waitFor(t, events, "message in Trash", func(ev backend.Event) bool {
		return ev.Kind == backend.EventNewMail && ev.Folder == "Trash"
	})
	trash, err := e.Messages(t.Context(), demo.Alice, "Trash", 50)
	if err != nil || !slices.ContainsFunc(trash, func(m backend.MessageSummary) bool { return m.Subject == msgs[0].Subject }) {
		t.Fatalf("Trash after delete: %+v, %v", trash, err)
	}
}

func TestSessionSyncWithRunsOnTheSession(t *testing.T) {
	d, e, events := liveDemo(t, mail.SessionOptions{CheckInterval: time.Hour})
	waitFor(t, events, "online", online)
	var progress []backend.SyncProgress
	if err := e.SyncWith(context.Background(), "", backend.SyncOptions{}, func(p backend.SyncProgress) { progress = append(progress, p) }); err != nil {
		t.Fatal(err)
	}
	_ = d
	// A sync with the session running reports on the event stream too.
	waitFor(t, events, "folder events of the requested sync", func(ev backend.Event) bool {
		return ev.Kind == backend.EventFolderChanged || ev.Kind == backend.EventOutbox
	})
}

func TestLockStopsSessionsAndLeavesNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	d, e, events := liveDemo(t, mail.SessionOptions{})
	waitFor(t, events, "online", online)
	if err := e.Lock(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, events, "stopped", func(ev backend.Event) bool {
		return ev.Kind == backend.EventConnection && ev.State == backend.ConnStopped
	})
	if st := e.ConnectionStates(); len(st) != 0 {
		t.Fatalf("connection states after lock: %v", st)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	// Goroutines end asynchronously; poll the count with a deadline.
	deadline := time.Now().Add(eventWait)
	for runtime.NumGoroutine() > before+2 {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			n := runtime.Stack(buf, true)
			t.Fatalf("%d goroutines left (before: %d):\n%s", runtime.NumGoroutine(), before, onlyOurs(string(buf[:n])))
		}
		runtime.Gosched()
		time.Sleep(10 * time.Millisecond)
	}
}

func onlyOurs(stacks string) string {
	var keep []string
	for _, g := range strings.Split(stacks, "\n\n") {
		if strings.Contains(g, "sealpost") {
			keep = append(keep, g)
		}
	}
	return strings.Join(keep, "\n\n")
}

func TestSavingASyncSettingRestartsTheSessions(t *testing.T) {
	_, e, events := liveDemo(t, mail.SessionOptions{})
	waitFor(t, events, "online", online)
	prefs, err := e.Preferences(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	prefs.CheckMinutes = 1
	if err := e.SavePreferences(t.Context(), prefs); err != nil {
		t.Fatal(err)
	}
	waitFor(t, events, "stopped", func(ev backend.Event) bool {
		return ev.Kind == backend.EventConnection && ev.State == backend.ConnStopped
	})
	waitFor(t, events, "online again", online)
	prefs.CheckMinutes = -1
	if err := e.SavePreferences(t.Context(), prefs); err == nil {
		t.Error("a negative check interval was saved")
	}
}
