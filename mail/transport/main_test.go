package transport

import (
	"testing"

	"github.com/sealpost/sealpost/mail/internal/leakcheck"
)

// TestMain fails the run if a goroutine of a client or test server outlives
// the tests: a stalled exchange must end go-imap's reader, and every test
// server and proxy is joined at the end of its test.
func TestMain(m *testing.M) {
	leakcheck.Main(m, "transport", "emersion/go-imap", "emersion/go-smtp", "mail/transport.", "stalltest.")
}
