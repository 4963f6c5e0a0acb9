package mail

import (
	"slices"
	"testing"
	"time"

	"github.com/sealpost/sealpost/crypto"
	"github.com/sealpost/sealpost/crypto/verdict"
)

// TestMessageOfSaysDateMismatchOnce: the date mismatch reaches the reader
// as Signature.DateMismatch only, not once more among the warnings; other
// warnings stay.
func TestMessageOfSaysDateMismatchOnce(t *testing.T) {
	dated := time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)
	signed := dated.AddDate(0, 0, -5)
	v := verdict.Result{Date: dated, Warnings: []string{"the display name looks like another address", verdict.DateMismatchWarning(signed, dated)},
		Signature: verdict.SignatureInfo{Status: crypto.SigValid, SignedAt: signed, DateMismatch: true, CoversWholeMessage: true}}
	m := messageOf(v)
	if !m.Signature.DateMismatch || !m.Signature.SignedAt.Equal(signed) {
		t.Errorf("signature = %+v, want the date mismatch with its time", m.Signature)
	}
	if want := []string{"the display name looks like another address"}; !slices.Equal(m.Warnings, want) {
		t.Errorf("warnings = %q, want %q", m.Warnings, want)
	}
	v.Signature.DateMismatch = false
	if m := messageOf(v); len(m.Warnings) != 2 {
		t.Errorf("without a date mismatch: warnings = %q, want both kept", m.Warnings)
	}
}
