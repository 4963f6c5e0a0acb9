package submit

import (
	"bytes"
	"context"
	"testing"
)

// BenchmarkPrepareForSubmission measures Bcc removal on a 1 MiB message.
func BenchmarkPrepareForSubmission(b *testing.B) {
	raw := append(testMessage("To: bob@example.net", "Bcc: eve@example.com"), bytes.Repeat([]byte("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd\r\n"), 1<<14)...)
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		if _, _, err := PrepareForSubmission(raw); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOutboxSend measures one message through the outbox: Enqueue,
// then Flush (TLS connection, AUTH, submission on loopback, the store's
// fsynced transactions, the copy to Sent and removal).
func BenchmarkOutboxSend(b *testing.B) {
	r := newRig(b, newBackend())
	raw := testMessage("To: bob@example.net", "Cc: carol@example.net")
	for b.Loop() {
		if _, err := r.ob.Enqueue(testUser, raw); err != nil {
			b.Fatal(err)
		}
		if err := r.ob.Flush(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}
