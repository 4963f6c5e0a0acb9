package imapsync

import (
	"testing"

	"github.com/sealpost/sealpost/mail/internal/leakcheck"
)

// TestMain fails the run if a goroutine of this package outlives the tests:
// every goroutine the Syncer starts is joined before its call returns, and
// every test joins its servers, proxies and Watch calls.
func TestMain(m *testing.M) {
	leakcheck.Main(m, "imapsync", "mail/imapsync.")
}
