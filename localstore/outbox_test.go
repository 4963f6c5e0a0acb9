package localstore

import (
	"reflect"
	"testing"
	"time"
)

// TestOutboxDeliveryState checks that the delivery state survives a restart
// and that Update appends its audit notes in the same transaction.
func TestOutboxDeliveryState(t *testing.T) {
	s := newTestStore(t)
	item, err := s.Outbox().Add(OutboxItem{Account: "a@example.org", Raw: []byte("msg"), CreatedAt: ts(1)})
	if err != nil {
		t.Fatalf("Add: %v", err)
	}
	item.SubmittingSince = ts(2)
	if err := s.Outbox().Update(item); err != nil {
		t.Fatalf("Update: %v", err)
	}
	if entries, _ := s.AuditEntries(); len(entries) != 0 {
		t.Errorf("audit after Update without notes = %+v, want none", entries)
	}
	item.SubmittingSince, item.AcceptedAt, item.Held = time.Time{}, ts(3), true
	note := AuditNote{Kind: "mail.sent", Subject: "<id@example.org>", Detail: "1 recipient"}
	if err := s.Outbox().Update(item, note); err != nil {
		t.Fatalf("Update with note: %v", err)
	}

	s = reopen(t, s)
	got, err := s.Outbox().Get(item.ID)
	if err != nil {
		t.Fatalf("Get after reopen: %v", err)
	}
	if !reflect.DeepEqual(got, item) {
		t.Errorf("Get after reopen = %+v, want %+v", got, item)
	}
	entries, err := s.AuditEntries()
	if err != nil {
		t.Fatalf("AuditEntries: %v", err)
	}
	if len(entries) != 1 || entries[0].Kind != note.Kind || entries[0].Subject != note.Subject || entries[0].Detail != note.Detail {
		t.Errorf("audit entries = %+v, want one %+v", entries, note)
	}
}

// TestOutboxUpdateMissingAddsNoAudit checks that a failed Update leaves no
// audit entry behind.
func TestOutboxUpdateMissingAddsNoAudit(t *testing.T) {
	s := newTestStore(t)
	err := s.Outbox().Update(OutboxItem{ID: "absent"}, AuditNote{Kind: "mail.sent"})
	wantErr(t, "Update of absent item", err, ErrNotFound)
	if entries, err := s.AuditEntries(); err != nil || len(entries) != 0 {
		t.Errorf("audit entries = %d, %v, want 0, nil", len(entries), err)
	}
}
