package submit

import (
	"testing"

	"github.com/sealpost/sealpost/localstore"
	mailbackend "github.com/sealpost/sealpost/mail/backend"
)

// TestFindingOf: a stored delivery finding comes back with every field it
// kept, and words itself as the finding it was made from.
func TestFindingOf(t *testing.T) {
	want := mailbackend.DeliveryFinding{Domain: "example.net", Status: mailbackend.DeliveryEnforced, DANE: mailbackend.DANENotChecked,
		Reason: "MTA-STS policy enforced"}
	got := FindingOf(localstore.AuditDelivery{Domain: want.Domain, Status: want.Status, DANE: want.DANE, Reason: want.Reason})
	if got.Domain != want.Domain || got.Status != want.Status || got.DANE != want.DANE || got.Reason != want.Reason || !got.Checked.IsZero() {
		t.Errorf("FindingOf = %+v, want %+v", got, want)
	}
	if got.Text() != want.Text() {
		t.Errorf("Text() = %q, want %q", got.Text(), want.Text())
	}
	if z := FindingOf(localstore.AuditDelivery{}); z.Domain != "" || z.Status != "" || z.DANE != "" || z.Reason != "" {
		t.Errorf("FindingOf(zero) = %+v, want the zero finding", z)
	}
}
