package submit

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sealpost/sealpost/mail/stalltest"
	"github.com/sealpost/sealpost/mail/transport"
)

// submitThrough submits raw to a stalltest SMTP server behind a proxy with
// rule, over DialSMTP with the given stall timeout and dialer (nil for the
// default), and returns Submit's error, failing the test if Submit has not
// returned within 30 s.
func submitThrough(t *testing.T, rule stalltest.Rule, stall time.Duration, dialer transport.Dialer, raw []byte) (*stalltest.SMTP, error) {
	t.Helper()
	srv := stalltest.StartSMTP(t, testUser, testPassword)
	p := stalltest.Start(t, srv.Addr, rule)
	data, env, err := PrepareForSubmission(raw)
	if err != nil {
		t.Fatal(err)
	}
	conn, _, err := transport.DialSMTP(context.Background(), stalltest.Host, p.Port, transport.SecurityTLS,
		transport.Policy{RootCAs: p.Roots, StallTimeout: stall, Dialer: dialer}, "")
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- Submit(context.Background(), conn, "", passwordAuth, env, data) }()
	select {
	case err := <-errc:
		return srv, err
	case <-time.After(30 * time.Second):
		t.Fatal("Submit still runs after 30 s: it hangs")
		return nil, nil
	}
}

// TestSubmitToStalledServer: a submission server that stops answering fails
// the submission with ErrServerStalled after the stall timeout. Before the
// message's end was sent the failure is temporary; after it, the server may
// have accepted the message, so it is ErrUncertain and not retried.
func TestSubmitToStalledServer(t *testing.T) {
	tests := []struct {
		name          string
		after         string
		wantUncertain bool
	}{
		{"during AUTH", "AUTH ", false},
		{"after the DATA command", "DATA\r\n", false},
		{"after the end of the message", "\r\n.\r\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := submitThrough(t, stalltest.Rule{After: tt.after}, time.Second, nil, testMessage("To: bob@example.net"))
			if !errors.Is(err, transport.ErrServerStalled) {
				t.Fatalf("Submit = %v, want ErrServerStalled", err)
			}
			if !strings.Contains(err.Error(), "SMTP server "+stalltest.Host) {
				t.Errorf("error = %q, want it to name the SMTP server", err)
			}
			if got := errors.Is(err, ErrUncertain); got != tt.wantUncertain {
				t.Errorf("errors.Is(err, ErrUncertain) = %v, want %v (err %v)", got, tt.wantUncertain, err)
			}
			if got := IsTemporary(err); got == tt.wantUncertain {
				t.Errorf("IsTemporary = %v, want %v (err %v)", got, !tt.wantUncertain, err)
			}
		})
	}
}
