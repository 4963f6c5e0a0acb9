package submit

import (
	"github.com/sealpost/sealpost/localstore"
	mailbackend "github.com/sealpost/sealpost/mail/backend"
)

// FindingOf is the delivery finding that a send record keeps as d (see
// SendFinding), in the form that words it (DeliveryFinding.Text): the one
// place that turns a stored finding back into a finding.
func FindingOf(d localstore.AuditDelivery) mailbackend.DeliveryFinding {
	return mailbackend.DeliveryFinding{Domain: d.Domain, Status: d.Status, DANE: d.DANE, Reason: d.Reason}
}
