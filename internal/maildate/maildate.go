// Package maildate parses the dates of mail header fields (RFC 5322
// section 3.3) as net/mail.ParseDate does, with its result for every
// input, but faster for the form nearly all mail writes.
package maildate

import (
	netmail "net/mail"
	"time"
)

// common is the date form of RFC 5322 that mail programs write: day of
// the week, day, month, four-digit year, time with seconds and a numeric
// zone ("Sun, 6 Dec 2026 03:53:47 +0000"). net/mail.ParseDate tries 24
// layouts without a day of the week before it, each failing with an
// allocated error.
const common = "Mon, 2 Jan 2006 15:04:05 -0700"

// Parse returns what net/mail.ParseDate returns for date.
//
// A date that time.Parse reads in the common layout as it stands is one
// ParseDate reads the same way: such a date has no CR, LF, comment or
// leading space for ParseDate to remove, its only sign is the zone's,
// which ends it (so ParseDate's cut at the zone keeps all of it), and
// it starts with a letter, on which every layout ParseDate tries before
// this one (they start with the day of the month) fails. Anything else
// goes to ParseDate.
func Parse(date string) (time.Time, error) {
	if t, err := time.Parse(common, date); err == nil {
		return t, nil
	}
	return netmail.ParseDate(date)
}
