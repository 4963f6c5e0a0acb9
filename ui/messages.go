package ui

import (
	"net/mail"
	"strings"
	"time"

	"github.com/sealpost/sealpost/mail/backend"
)

// messageList is the message list's view model: the loaded folder and the
// rows the search box lets through. It is plain Go, tested without a window.
type messageList struct {
	all   []backend.MessageSummary
	hay   []string // lower-case sender and subject of all[i], searched
	shown []int    // indexes into all
	query string
}

// set replaces the loaded messages and applies the current search.
func (l *messageList) set(all []backend.MessageSummary) {
	l.all = all
	l.hay = make([]string, len(all))
	for i, m := range all {
		l.hay[i] = strings.ToLower(m.From + "\x00" + m.Subject)
	}
	l.shown = nil
	l.apply(l.query, false)
}

// filter shows the messages whose sender or subject contains every word of
// query, ignoring case.
func (l *messageList) filter(query string) {
	// Typing on narrows the rows already shown.
	narrows := l.shown != nil && strings.HasPrefix(query, l.query) && !strings.HasSuffix(l.query, " ") &&
		len(strings.Fields(query)) == len(strings.Fields(l.query))
	l.apply(query, narrows)
}

func (l *messageList) apply(query string, narrow bool) {
	l.query = query
	words := strings.Fields(strings.ToLower(query))
	if narrow {
		kept := l.shown[:0]
		for _, i := range l.shown {
			if matches(l.hay[i], words) {
				kept = append(kept, i)
			}
		}
		l.shown = kept
		return
	}
	l.shown = make([]int, 0, len(l.all))
	for i := range l.all {
		if matches(l.hay[i], words) {
			l.shown = append(l.shown, i)
		}
	}
}

func matches(hay string, words []string) bool {
	for _, w := range words {
		if !strings.Contains(hay, w) {
			return false
		}
	}
	return true
}

func (l *messageList) len() int { return len(l.shown) }

func (l *messageList) at(row int) backend.MessageSummary { return l.all[l.shown[row]] }

// senderName is how a list row names the sender: the display name, else
// the address.
func senderName(from string) string {
	if a, err := mail.ParseAddress(from); err == nil {
		if a.Name != "" {
			return a.Name
		}
		return a.Address
	}
	if from == "" {
		return "(no sender)"
	}
	return from
}

// listDate is a row's date: the time today, else the date.
func listDate(d, now time.Time) string {
	if d.IsZero() {
		return ""
	}
	d = d.In(now.Location())
	if y, m, day := d.Date(); y == now.Year() && m == now.Month() && day == now.Day() {
		return d.Format("15:04")
	}
	return d.Format("2006-01-02")
}
