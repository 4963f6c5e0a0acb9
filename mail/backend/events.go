package backend

import (
	"context"
	"time"
)

// EventKind says what an Event reports.
type EventKind string

// The kinds of events the engine's sessions report.
const (
	// EventNewMail: new messages were stored in Folder of Account. UIDs
	// lists them (empty when there were more than MaxEventUIDs; Count has
	// the number); FirstSync is true when the folder had never been
	// synchronised before, so the mail is not news.
	EventNewMail EventKind = "new_mail"
	// EventFolderChanged: Folder of Account changed on the server (flags,
	// expunges, new mail) or locally by a replayed action: reload it.
	EventFolderChanged EventKind = "folder_changed"
	// EventFoldersChanged: the folder list of Account was refreshed.
	EventFoldersChanged EventKind = "folders_changed"
	// EventProgress: Done of Total new messages of Folder are stored.
	EventProgress EventKind = "progress"
	// EventConnection: the state of Account's connection changed (State,
	// and Message and RetryIn when it is offline).
	EventConnection EventKind = "connection"
	// EventError: something failed that the user should know about
	// (Message); the session goes on and retries where that makes sense.
	EventError EventKind = "error"
	// EventWarning: something a sync found that the user should check,
	// such as a contact whose key changed (Message).
	EventWarning EventKind = "warning"
	// EventOutbox: the outbox was flushed; Count messages still wait, and
	// Message says why when a send failed (RetryIn: when it is tried again).
	EventOutbox EventKind = "outbox"
	// EventMessageChecked: the DKIM checks of message UIDs[0] of Folder of
	// Account, which could not be made when it was stored or opened, were
	// made in the background and its record changed: a reader showing it
	// reads the record again (TravelReader).
	EventMessageChecked EventKind = "message_checked"
)

// Connection states of an account's session.
const (
	// ConnConnecting: the session is connecting or running its first sync.
	ConnConnecting = "connecting"
	// ConnOnline: connected and waiting for new mail (IDLE), or polling
	// when the server has no IDLE.
	ConnOnline = "online"
	// ConnOffline: the connection failed; the session retries after RetryIn.
	ConnOffline = "offline"
	// ConnStopped: the session ended (the profile was locked, or the
	// account removed).
	ConnStopped = "stopped"
)

// MaxEventUIDs bounds the UIDs one EventNewMail carries, so a first sync
// of a large folder does not make one huge event.
const MaxEventUIDs = 500

// Event is one thing the engine reports while its sessions run. Which
// fields are set depends on Kind. It carries no message content: a
// consumer reads summaries through the Backend.
type Event struct {
	Kind    EventKind     `json:"kind"`
	Time    time.Time     `json:"time"`
	Account string        `json:"account,omitempty"`
	Folder  string        `json:"folder,omitempty"`
	UIDs    []uint32      `json:"uids,omitempty"`
	Count   int           `json:"count,omitempty"`
	Done    int           `json:"done,omitempty"`
	Total   int           `json:"total,omitempty"`
	State   string        `json:"state,omitempty"`
	Message string        `json:"message,omitempty"`
	RetryIn time.Duration `json:"-"`
	// RetrySeconds is RetryIn in whole seconds, for JSON consumers.
	RetrySeconds int  `json:"retry_seconds,omitempty"`
	FirstSync    bool `json:"first_sync,omitempty"`
	// Missed counts events dropped before this one because the consumer
	// fell behind: it should reload what it shows.
	Missed int `json:"missed,omitempty"`
	// Err is the error behind an EventError or an offline EventConnection,
	// for errors.Is (ErrLoginRejected, ErrCertificateRejected).
	Err error `json:"-"`
}

// Events is the optional interface of a backend whose sessions run by
// themselves while the profile is unlocked: they fetch new mail as it
// arrives and report it as events.
type Events interface {
	// Subscribe returns the events from now on until ctx is done; the
	// channel is then closed. A consumer that falls behind loses events,
	// and the next one it gets says how many (Missed).
	Subscribe(ctx context.Context) <-chan Event
	// ConnectionStates returns the current connection state of every
	// account with a session, by address.
	ConnectionStates() map[string]Event
	// Live reports whether sessions run, so that new mail is reported by
	// events without anyone asking for a sync.
	Live() bool
}
