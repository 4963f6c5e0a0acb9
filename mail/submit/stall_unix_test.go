//go:build linux || darwin

package submit

import (
	"bytes"
	"testing"
	"time"

	"github.com/sealpost/sealpost/mail/stalltest"
)

// TestSubmitSlowLargeMessage: a large message that the server takes in
// slowly but steadily, for longer than the stall timeout in all, is sent;
// and the wait for the reply does not stall while the end of the message
// still drains from the socket's send buffer (which only Linux and macOS
// report).
func TestSubmitSlowLargeMessage(t *testing.T) {
	const stall = time.Second
	body := bytes.Repeat([]byte("a line of a large message that travels slowly to the server.\r\n"), (8<<20)/63)
	raw := append(testMessage("To: bob@example.net"), body...)
	// 32 KiB every 10 ms: about 2.5 s for 8 MiB, five stall timeouts.
	rule := stalltest.Rule{After: "DATA\r\n", Chunk: 32 << 10, Every: 10 * time.Millisecond, Upload: true}
	start := time.Now()
	srv, err := submitThrough(t, rule, stall, raw)
	if err != nil {
		t.Fatalf("Submit = %v, want the message sent", err)
	}
	if took := time.Since(start); took < 2*stall {
		t.Fatalf("the submission took %v, less than two stall timeouts: the test proves nothing", took)
	}
	if got := srv.Received(); len(got) != 1 || len(got[0]) < len(body) {
		t.Fatalf("the server received %d messages, want the large one", len(got))
	}
}
