package mail

import (
	"errors"
	"path/filepath"
	"testing"
)

// TestEngineActionsNeedUnlockedProfile checks that every message action of
// a locked engine fails with ErrProfileLocked.
func TestEngineActionsNeedUnlockedProfile(t *testing.T) {
	e := NewEngine(filepath.Join(t.TempDir(), "p"), nil)
	tests := []struct {
		name string
		call func() error
	}{
		{"mark read", func() error { return e.MarkRead(t.Context(), "a@example.org", "INBOX", []uint32{1}, true) }},
		{"flag", func() error { return e.SetFlagged(t.Context(), "a@example.org", "INBOX", []uint32{1}, true) }},
		{"move", func() error { return e.Move(t.Context(), "a@example.org", "INBOX", []uint32{1}, "Archive") }},
		{"delete", func() error { return e.Delete(t.Context(), "a@example.org", "INBOX", []uint32{1}) }},
		{"forward", func() error { _, err := e.Forward(t.Context(), "a@example.org", "INBOX", 1); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); !errors.Is(err, ErrProfileLocked) {
				t.Errorf("got = %v, want ErrProfileLocked", err)
			}
		})
	}
}
