package mail

import (
	"fmt"
	"time"

	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail/backend"
	"github.com/sealpost/sealpost/mail/submit"
)

// Audit is the profile's audit trail: an append-only, hash-chained record
// of what changed the profile's security (keys, accounts, pinned
// certificates, the passphrase). The services write to it in the same
// transaction as the change they record; this reads and checks it.
type Audit struct {
	store *localstore.Store
	// keys sign reports (SignedReport); now dates them.
	keys *Keyring
	now  func() time.Time
}

// Entries returns the audit trail, oldest first.
func (a *Audit) Entries() ([]localstore.AuditEntry, error) {
	return a.store.AuditEntries()
}

// Verify checks the audit trail's hash chain.
func (a *Audit) Verify() (localstore.AuditReport, error) {
	return a.store.VerifyAudit()
}

// Trail reads the audit trail, newest first, and verifies its hash chain.
// When an entry fails authentication the trail cannot be read: the result
// then holds no entries and the problems found.
func (a *Audit) Trail() (backend.AuditTrail, error) {
	var trail backend.AuditTrail
	rep, err := a.Verify()
	if err != nil {
		return trail, err
	}
	trail.Intact, trail.Problems = rep.OK, rep.Problems
	entries, err := a.Entries()
	if err != nil {
		if !rep.OK {
			return trail, nil // the problems say why the entries cannot be shown
		}
		return trail, fmt.Errorf("reading the audit trail: %w", err)
	}
	trail.Entries = make([]backend.AuditEntry, len(entries))
	for i, en := range entries {
		trail.Entries[len(entries)-1-i] = auditEntryOf(en)
	}
	return trail, nil
}

// auditEntryOf translates a stored audit entry into the domain type, the
// one place that does (the hash chain stays in the store's record).
func auditEntryOf(en localstore.AuditEntry) backend.AuditEntry {
	out := backend.AuditEntry{Seq: en.Seq, Time: en.Time, Kind: en.Kind, Subject: en.Subject, Detail: en.Detail, Mode: en.Mode}
	for _, d := range en.Delivery {
		out.Delivery = append(out.Delivery, submit.FindingOf(d))
	}
	return out
}

// writeAudit appends an entry to the store's audit trail.
func writeAudit(store *localstore.Store, kind, subject, detail string) error {
	if _, err := store.AppendAudit(kind, subject, detail); err != nil {
		return fmt.Errorf("write audit entry %s: %w", kind, err)
	}
	return nil
}

// auditNote is an audit entry written in the same transaction as the change
// it records.
func auditNote(kind, subject, detail string) localstore.AuditNote {
	return localstore.AuditNote{Kind: kind, Subject: subject, Detail: detail}
}
